/* nestboxctl rollout add | list | show | pause | resume | stage | limits | cancel | finish */
#include "ctl.h"
#include "../admin/admin_ddi.h"
#include "../ddi/ddi.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int number(const char *s, long long *out)
{
	char *end;

	*out = strtoll(s, &end, 10);
	return *s && !*end ? 0 : -1;
}

int cmd_rollout_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "feed", required_argument, NULL, 'f' }, { "software", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' }, { "percent", required_argument, NULL, 'p' },
		{ "max-failures", required_argument, NULL, 'x' },
		{ "max-failure-rate", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 }
	};
	struct ddi_rollout r;
	const char *feed = NULL, *name = NULL;
	long long v, mf = -1, mr = -1, pct = 100;
	struct ddi_settings set;
	struct app app;
	struct nb_err e;
	int c, bad = 0;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': feed = optarg; break;
		case 'n': name = optarg; break;
		case 's': bad |= number(optarg, &v) < 0; r.software_id = v; break;
		case 'p': bad |= number(optarg, &pct) < 0; break;
		case 'x': bad |= number(optarg, &mf) < 0; break;
		case 'r': bad |= number(optarg, &mr) < 0; break;
		default: return 2;
		}
	}
	if (bad || optind != argc || !feed || r.software_id <= 0) {
		fprintf(stderr, "usage: nestboxctl rollout add --feed F --software ID [--name N]"
			" [--percent P] [--max-failures N] [--max-failure-rate PCT]\n");
		return 2;
	}
	/* what the rollout's row holds: refused, never cut */
	if (!ctl_field_ok("--feed", feed, 1, sizeof(r.feed) - 1) ||
	    (name && !ctl_field_ok("--name", name, 0, sizeof(r.name) - 1)))
		return 1;
	snprintf(r.feed, sizeof(r.feed), "%s", feed);
	snprintf(r.name, sizeof(r.name), "%s", name ? name : "");
	if (ctl_open(&app) < 0)
		return 1;
	if (ddi_settings_read(&app, &set, &e) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", e.msg);
		app_close(&app);
		return nb_err_exit(e.kind);
	}
	r.percent = (int)pct;
	r.max_failures = (int)(mf >= 0 ? mf : set.rollout_max_failures);
	r.max_failure_rate = (int)(mr >= 0 ? mr : set.rollout_max_failure_rate);
	v = ddi_rollout_create(&app, &r, &e);
	if (v < 0) {
		fprintf(stderr, "nestboxctl: rollout not added: %s\n", e.msg);
	} else {
		printf("%lld\n", v);
		ctl_audit(&app, "rollout create", "rollout %lld: %s on feed %s at %d%%", v,
			  *r.name ? r.name : "(software's name)", r.feed, r.percent);
		/* scripts may create a rollout before its devices come: said, not refused */
		if (admin_feed_rollout_devices(&app, r.feed) == 0)
			fprintf(stderr, "nestboxctl: note: feed %s has no devices in rollout mode"
				" yet: nothing is offered until some join it\n", r.feed);
	}
	app_close(&app);
	return v < 0 ? nb_err_exit(e.kind) : 0;
}

int cmd_rollout_list(int argc, char **argv)
{
	struct ddi_rollout r[64];
	struct app app;
	int n, i, off = 0;

	(void)argc;
	(void)argv;
	if (ctl_open(&app) < 0)
		return 1;
	do {
		n = ddi_rollout_list(&app, r, 64, off);
		for (i = 0; i < n; i++)
			printf("%lld\t%s\t%s\t%s\t%d%%\t%lld\t%lld\t%lld\t%s\n", r[i].id, r[i].state,
			       r[i].feed, r[i].version, r[i].percent, r[i].success, r[i].failure,
			       r[i].open, r[i].pause_reason);
		off += n;
	} while (n == 64);
	app_close(&app);
	return n < 0;
}

/* Why a change was refused: no such rollout (1), or it ended (3). */
static int refused(struct app *app, long long id)
{
	struct ddi_rollout r;

	if (ddi_rollout_get(app, id, &r) < 0) {
		fprintf(stderr, "nestboxctl: no rollout %lld\n", id);
		return nb_err_exit(NB_NOT_FOUND);
	}
	fprintf(stderr, "nestboxctl: rollout %lld is %s: it changes no more\n", id, r.state);
	return nb_err_exit(NB_CONFLICT);
}

/* pause, resume and stage: one id, maybe one number */
static int change(int argc, char **argv, const char *state)
{
	long long id, pct = 0;
	struct app app;
	int rc;

	if (argc != (state ? 2 : 3) || number(argv[1], &id) < 0 ||
	    (!state && (number(argv[2], &pct) < 0 || pct < 1 || pct > 100))) {
		fprintf(stderr, "usage: nestboxctl rollout %s <id>%s\n", argv[0],
			state ? "" : " <percent 1-100>");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	rc = state ? ddi_rollout_set_state(&app, id, state) : ddi_rollout_stage(&app, id, (int)pct);
	if (rc < 0)
		rc = refused(&app, id);
	else if (state)
		ctl_audit(&app, !strcmp(state, "paused") ? "rollout pause" : "rollout resume",
			  "rollout %lld", id);
	else
		ctl_audit(&app, "rollout stage", "rollout %lld at %lld%%", id, pct);
	app_close(&app);
	return rc;
}

int cmd_rollout_pause(int argc, char **argv)
{
	return change(argc, argv, "paused");
}

int cmd_rollout_resume(int argc, char **argv)
{
	return change(argc, argv, "running");
}

int cmd_rollout_stage(int argc, char **argv)
{
	return change(argc, argv, NULL);
}

/* Exactly one id argument (argc == 2), and the store opened; 0, or the exit status. */
static int one_id(int argc, char **argv, long long *id, struct app *app)
{
	if (argc < 2 || number(argv[1], id) < 0 || *id <= 0) {
		fprintf(stderr, "usage: nestboxctl rollout %s <id>%s\n", argv[0],
			!strcmp(argv[0], "limits") ? " [--max-failures N] [--max-failure-rate PCT]"
						   : "");
		return 2;
	}
	return ctl_open(app) < 0 ? 1 : 0;
}

static int end(int argc, char **argv, const char *state)
{
	long long id;
	struct app app;
	struct nb_err e;
	int rc, withdrawn;

	if ((rc = one_id(argc == 2 ? argc : 0, argv, &id, &app)))
		return rc;
	rc = ddi_rollout_end(&app, id, state, &withdrawn, &e);
	if (rc < 0) {
		fprintf(stderr, "nestboxctl: %s\n", e.msg);
	} else {
		printf("rollout %lld %s; %d offers withdrawn\n", id, state, withdrawn);
		ctl_audit(&app, !strcmp(state, "canceled") ? "rollout cancel" : "rollout finish",
			  "rollout %lld (%d offers withdrawn)", id, withdrawn);
	}
	app_close(&app);
	return rc < 0 ? nb_err_exit(e.kind) : 0;
}

int cmd_rollout_cancel(int argc, char **argv)
{
	return end(argc, argv, "canceled");
}

int cmd_rollout_finish(int argc, char **argv)
{
	return end(argc, argv, "finished");
}

int cmd_rollout_limits(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-failures", required_argument, NULL, 'x' },
		{ "max-failure-rate", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 }
	};
	long long id, mf = -1, mr = -1;
	struct ddi_rollout r;
	struct app app;
	struct nb_err e;
	int c, bad = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'x')
			bad |= number(optarg, &mf) < 0 || mf < 0 || mf > 1000000000;
		else if (c == 'r')
			bad |= number(optarg, &mr) < 0 || mr < 0 || mr > 100;
		else
			return 2;
	}
	/* getopt moved the id to argv[optind] */
	argv[optind - 1] = argv[0];
	if ((rc = one_id(bad || argc - optind != 1 || (mf < 0 && mr < 0) ? 0 : 2,
			 argv + optind - 1, &id, &app)))
		return rc;
	rc = ddi_rollout_get(&app, id, &r) < 0 ? nb_fail(&e, NB_NOT_FOUND, "no rollout %lld", id)
		: ddi_rollout_limits(&app, id, (int)(mf >= 0 ? mf : r.max_failures),
				     (int)(mr >= 0 ? mr : r.max_failure_rate), &e);
	if (rc < 0) {
		fprintf(stderr, "nestboxctl: %s\n", e.msg);
	} else {
		ddi_rollout_get(&app, id, &r);
		printf("rollout %lld pauses at %d failures or above %d%% failed (0: no limit)\n", id,
		       r.max_failures, r.max_failure_rate);
		ctl_audit(&app, "rollout limits", "rollout %lld: pauses at %d failures or %d%%", id,
			  r.max_failures, r.max_failure_rate);
	}
	app_close(&app);
	return rc < 0 ? nb_err_exit(e.kind) : 0;
}

static void show_group(const struct ddi_rollout_dev *v, int n, int g, long long count)
{
	int i;

	printf("\n%s: %lld\n", ddi_rollout_groups[g], count);
	for (i = 0; i < n; i++)
		if (v[i].group == g)
			printf("  %s\t%s\t%s\n", v[i].cid, v[i].version, v[i].note);
	if (count > n)
		printf("  ...\n");
}

int cmd_rollout_show(int argc, char **argv)
{
	enum { SHOWN = 10000 };
	struct ddi_rollout_dev *v = NULL;
	long long id, c[DDI_RG_N], eligible;
	struct ddi_rollout r;
	struct app app;
	struct nb_err e;
	int rc, n = -1, g;

	if ((rc = one_id(argc == 2 ? argc : 0, argv, &id, &app)))
		return rc;
	if (ddi_rollout_get(&app, id, &r) < 0)
		nb_fail(&e, NB_NOT_FOUND, "no rollout %lld", id);
	else if (!(v = calloc(SHOWN, sizeof(*v))))
		nb_fail(&e, NB_INTERNAL, "out of memory");
	else
		n = ddi_rollout_devices(&app, &r, v, SHOWN, c, &e);
	if (n < 0) {
		fprintf(stderr, "nestboxctl: %s\n", e.msg);
		free(v);
		app_close(&app);
		return nb_err_exit(e.kind);
	}
	eligible = c[DDI_RG_SUCCEEDED] + c[DDI_RG_FAILED] + c[DDI_RG_RUNNING] + c[DDI_RG_WAITING];
	printf("rollout %lld %s: %s on feed %s, %s at %d%%%s%s\n", r.id, r.name, r.version, r.feed,
	       r.state, r.percent, *r.pause_reason ? " - " : "", r.pause_reason);
	printf("limits: %d failures, %d%% failed (0: none)\n", r.max_failures, r.max_failure_rate);
	printf("progress: %lld of %lld devices that can take it succeeded (%lld%%)\n",
	       c[DDI_RG_SUCCEEDED], eligible, eligible ? c[DDI_RG_SUCCEEDED] * 100 / eligible : 0);
	for (g = 0; g < DDI_RG_N; g++)
		show_group(v, n, g, c[g]);
	free(v);
	app_close(&app);
	return 0;
}
