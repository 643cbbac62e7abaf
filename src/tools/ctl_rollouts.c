/* nestboxctl rollout add | list | show | pause | resume | stage | limits | cancel | finish */
#include "ctl.h"
#include "../admin/admin_ddi.h"
#include "../admin/admin_rollout.h"
#include "../ddi/ddi.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <time.h>

/* The commands' numbers and their ranges: what the rollout's row holds. */
#define MAX_FAILURES 1000000000LL

/* A rollout id operand (argv[i]) into *id; -1 after a usage error. */
static int rollout_id(const char *cmd, const char *s, long long *id)
{
	return ctl_number(cmd, "rollout id", s, 1, LLONG_MAX, id);
}

#define ADD "rollout add"

int ctl_cmd_rollout_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "feed", required_argument, NULL, 'f' }, { "software", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' }, { "percent", required_argument, NULL, 'p' },
		{ "max-failures", required_argument, NULL, 'x' },
		{ "max-failure-rate", required_argument, NULL, 'r' },
		{ "confirm-empty", no_argument, NULL, 'e' }, { NULL, 0, NULL, 0 }
	};
	struct ddi_rollout r;
	const char *feed = NULL, *name = NULL;
	long long v = 0, mf = -1, mr = -1, pct = 100;
	struct ddi_settings set;
	struct app app;
	struct nb_err e;
	int c, bad = 0, confirm_empty = 0;

	memset(&r, 0, sizeof(r));
	optind = 1;
	while (!bad && (c = ctl_getopt(ADD, argc, argv, opts)) != -1) {
		switch (c) {
		case 'f': feed = optarg; break;
		case 'n': name = optarg; break;
		case 's': bad = ctl_number(ADD, "--software", optarg, 1, LLONG_MAX, &v) < 0; break;
		case 'p': bad = ctl_number(ADD, "--percent", optarg, 1, 100, &pct) < 0; break;
		case 'x': bad = ctl_number(ADD, "--max-failures", optarg, 0, MAX_FAILURES, &mf) < 0;
			  break;
		case 'r': bad = ctl_number(ADD, "--max-failure-rate", optarg, 0, 100, &mr) < 0;
			  break;
		case 'e': confirm_empty = 1; break;
		default: return 2;
		}
	}
	if (bad || ctl_operands(ADD, argc, argv, 0, 0, "") < 0)
		return 2;
	if (!feed || !v)
		return ctl_usage_error(ADD, "needs %s", !feed ? "--feed" : "--software");
	r.software_id = v;
	/* what the rollout's row holds: refused, never cut */
	if (!ctl_text_ok("--feed", feed, 1, sizeof(r.feed) - 1) ||
	    (name && !ctl_text_ok("--name", name, 0, sizeof(r.name) - 1)))
		return 1;
	snprintf(r.feed, sizeof(r.feed), "%s", feed);
	snprintf(r.name, sizeof(r.name), "%s", name ? name : "");
	if (ctl_open(&app) < 0)
		return 1;
	/* the page's rule: a feed without devices in rollout mode is refused
	 * unless confirmed (the form's "create it anyway") */
	if (ddi_settings_read(&app, &set, &e) < 0 ||
	    admin_rollout_feed_check(&app, r.feed, confirm_empty, "pass --confirm-empty", &e) < 0) {
		fprintf(stderr, "nestboxctl: %s%s\n", e.kind == NB_CONFLICT ? "rollout not added: " : "",
			e.msg);
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
		printf("%lld\n", v);	/* what scripts read: the id alone */
		ctl_note("added rollout %lld on feed %s at %d%%", v, r.feed, r.percent);
		ctl_audit(&app, "rollout create", "rollout %lld: %s on feed %s at %d%%", v,
			  *r.name ? r.name : "(software's name)", r.feed, r.percent);
		/* scripts may create a rollout before its devices come (--confirm-empty) */
		if (confirm_empty && ddi_fleet_feed_rollout_devices(&app, r.feed, NULL) == 0)
			fprintf(stderr, "nestboxctl: note: feed %s has no devices in rollout mode"
				" yet: nothing is offered until some join it\n", r.feed);
	}
	app_close(&app);
	return v < 0 ? nb_err_exit(e.kind) : 0;
}

static const struct ctl_col rollout_cols[] = {
	{ "id", "ID", CTL_INT, 0, NULL, NULL },
	{ "state", "STATE", CTL_TEXT, 0, NULL, NULL },
	{ "feed", "FEED", CTL_TEXT, 0, NULL, NULL },
	{ "version", "VERSION", CTL_TEXT, 0, NULL, NULL },
	{ "percent", "SHARE %", CTL_INT, CTL_UNIT_TIGHT, NULL, "%" },
	{ "succeeded", "OK", CTL_INT, 0, NULL, NULL },
	{ "failed", "FAILED", CTL_INT, 0, NULL, NULL },
	{ "open", "OPEN", CTL_INT, 0, NULL, NULL },
	{ "pause_reason", "PAUSED BECAUSE", CTL_TEXT, 0, NULL, NULL },
	{ "name", "NAME", CTL_TEXT, CTL_NOT_TSV, NULL, NULL },
	{ "created", "CREATED", CTL_TIME, CTL_NOT_TSV, NULL, NULL },
};

static void rollout_row(struct ctl_list *l, const struct ddi_rollout *r)
{
	ctl_put_int(l, r->id);
	ctl_put_text(l, r->state);
	ctl_put_text(l, r->feed);
	ctl_put_text(l, r->version);
	ctl_put_int(l, r->percent);
	ctl_put_int(l, r->success);
	ctl_put_int(l, r->failure);
	ctl_put_int(l, r->open);
	ctl_put_text(l, r->pause_reason);
	ctl_put_text(l, r->name);
	ctl_put_int(l, r->created);
}

/* rollout list's rows (ctl_rows_fn), read 64 at a time */
static int rollout_rows(struct app *app, struct arena *a, struct ctl_list *l, struct nb_err *e)
{
	struct ddi_rollout r[64];
	int n, off = 0;

	(void)a;
	do {
		n = ddi_rollout_list(app, r, 64, off, e);
		for (int i = 0; i < n; i++)
			rollout_row(l, &r[i]);
		off += n;
	} while (n == 64);
	return n < 0 ? -1 : off;
}

int ctl_cmd_rollout_list(int argc, char **argv)
{
	return ctl_list_run("rollout list", argc, argv, rollout_cols, 11, rollout_rows);
}

/* The operands of a command that takes no options: the rollout id, and
 * for stage the percent; 0, or 2 after a usage error was printed. */
static int id_operands(const char *cmd, int argc, char **argv, long long *id, long long *pct)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	int n = pct ? 2 : 1;

	optind = 1;
	if (ctl_getopt(cmd, argc, argv, none) != -1 ||
	    ctl_operands(cmd, argc, argv, n, n, pct ? "the rollout id and the percent"
						   : "the rollout id") < 0 ||
	    rollout_id(cmd, argv[optind], id) < 0 ||
	    (pct && ctl_number(cmd, "percent", argv[optind + 1], 1, 100, pct) < 0))
		return 2;
	return 0;
}

/* 1 after saying "unchanged" when rollout id (running or paused: an ended
 * one is refused) is in state already, or at pct when state is NULL. */
static int already(struct app *app, long long id, const char *state, int pct)
{
	struct ddi_rollout r;

	if (ddi_rollout_get(app, id, &r, NULL) < 0 ||
	    (strcmp(r.state, "running") && strcmp(r.state, "paused")))
		return 0;
	if (state && !strcmp(r.state, state))
		printf("unchanged rollout %lld: it is %s already\n", id, state);
	else if (!state && r.percent == pct)
		printf("unchanged rollout %lld: it is offered to %d%% of feed %s already\n", id,
		       pct, r.feed);
	else
		return 0;
	return 1;
}

/* pause, resume and stage: one id, maybe one number */
static int change(int argc, char **argv, const char *state)
{
	char cmd[32];
	long long id, pct = 0;
	struct ddi_rollout r;
	struct nb_err e;
	struct app app;
	int rc;

	snprintf(cmd, sizeof(cmd), "rollout %s", argv[0]);
	if (id_operands(cmd, argc, argv, &id, state ? NULL : &pct))
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	if (already(&app, id, state, (int)pct)) {
		app_close(&app);
		return 0;
	}
	rc = state ? ddi_rollout_set_state(&app, id, state, &e) :
		     ddi_rollout_stage(&app, id, (int)pct, &e);
	if (rc < 0) {
		rc = ctl_fail(NULL, &e);
	} else if (state) {
		printf("rollout %lld %s\n", id, state);
		ctl_audit(&app, !strcmp(state, "paused") ? "rollout pause" : "rollout resume",
			  "rollout %lld", id);
	} else {
		if (ddi_rollout_get(&app, id, &r, NULL) == 0)
			printf("rollout %lld offered to %lld%% of feed %s\n", id, pct, r.feed);
		ctl_audit(&app, "rollout stage", "rollout %lld at %lld%%", id, pct);
	}
	app_close(&app);
	return rc;
}

int ctl_cmd_rollout_pause(int argc, char **argv)
{
	return change(argc, argv, "paused");
}

int ctl_cmd_rollout_resume(int argc, char **argv)
{
	return change(argc, argv, "running");
}

int ctl_cmd_rollout_stage(int argc, char **argv)
{
	return change(argc, argv, NULL);
}

/* The one id operand of argv[0]'s command (no options), and the store
 * opened; 0, or the exit status after saying why not. */
static int one_id(int argc, char **argv, long long *id, struct app *app)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "rollout %s", argv[0]);
	if (id_operands(cmd, argc, argv, id, NULL))
		return 2;
	return ctl_open(app) < 0 ? 1 : 0;
}

static int end(int argc, char **argv, const char *state)
{
	long long id;
	struct app app;
	struct nb_err e;
	int rc, withdrawn;

	if ((rc = one_id(argc, argv, &id, &app)))
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

int ctl_cmd_rollout_cancel(int argc, char **argv)
{
	return end(argc, argv, "canceled");
}

int ctl_cmd_rollout_finish(int argc, char **argv)
{
	return end(argc, argv, "finished");
}

#define LIMITS "rollout limits"

int ctl_cmd_rollout_limits(int argc, char **argv)
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
	while (!bad && (c = ctl_getopt(LIMITS, argc, argv, opts)) != -1) {
		if (c == 'x')
			bad = ctl_number(LIMITS, "--max-failures", optarg, 0, MAX_FAILURES, &mf) < 0;
		else if (c == 'r')
			bad = ctl_number(LIMITS, "--max-failure-rate", optarg, 0, 100, &mr) < 0;
		else
			return 2;
	}
	if (bad || ctl_operands(LIMITS, argc, argv, 1, 1, "the rollout id") < 0 ||
	    rollout_id(LIMITS, argv[optind], &id) < 0)
		return 2;
	if (mf < 0 && mr < 0)
		return ctl_usage_error(LIMITS, "needs --max-failures or --max-failure-rate");
	if (ctl_open(&app) < 0)
		return 1;
	/* the store's UPDATE matches the row whatever its values: compared here */
	if (ddi_rollout_get(&app, id, &r, NULL) == 0 && (mf < 0 || mf == r.max_failures) &&
	    (mr < 0 || mr == r.max_failure_rate)) {
		printf("unchanged rollout %lld: it pauses at %d failures or above %d%% failed"
		       " already\n", id, r.max_failures, r.max_failure_rate);
		app_close(&app);
		return 0;
	}
	rc = ddi_rollout_get(&app, id, &r, &e) < 0 ? -1
		: ddi_rollout_limits(&app, id, (int)(mf >= 0 ? mf : r.max_failures),
				     (int)(mr >= 0 ? mr : r.max_failure_rate), &e);
	if (rc < 0) {
		fprintf(stderr, "nestboxctl: %s\n", e.msg);
	} else {
		ddi_rollout_get(&app, id, &r, NULL);
		printf("rollout %lld pauses at %d failures or above %d%% failed (0: no limit)\n", id,
		       r.max_failures, r.max_failure_rate);
		ctl_audit(&app, "rollout limits", "rollout %lld: pauses at %d failures or %d%%", id,
			  r.max_failures, r.max_failure_rate);
	}
	app_close(&app);
	return rc < 0 ? nb_err_exit(e.kind) : 0;
}

/* One group of rollout show; what devices reported (version, the last
 * error line in note) is shown, never obeyed by the terminal.  An offer the
 * device never answered says since when (as the rollout page does). */
static void show_group(const struct ddi_rollout_dev *v, int n, int g, long long count)
{
	char when[96];
	struct arena a;
	int i;

	arena_init(&a);
	printf("\n%s: %lld\n", ddi_rollout_groups[g], count);
	for (i = 0; i < n; i++) {
		if (v[i].group != g)
			continue;
		printf("  %s\t%s\t%s", ctl_printable(&a, v[i].cid),
		       ctl_printable(&a, v[i].version), ctl_printable(&a, v[i].note));
		if (g == DDI_RG_WAITING && v[i].offered && !v[i].answered)
			printf(", offered %s", ctl_when(when, sizeof(when), time(NULL),
							 v[i].offered));
		putchar('\n');
	}
	arena_free(&a);
	if (count > n)
		printf("  ...\n");
}

/* --json: the rollout as /admin/api/rollouts/:id gives it (admin_rollout.h). */
static int show_json(struct app *app, long long id)
{
	struct arena a;
	struct nb_err e;
	cJSON *d;
	char *s;

	arena_init(&a);
	d = admin_rollout_json(app, &a, id, &e);
	if (!d) {
		arena_free(&a);
		return ctl_fail(NULL, &e);
	}
	s = cJSON_PrintUnformatted(d);
	printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(d);
	arena_free(&a);
	return 0;
}

/* The rollout's head, progress and groups as text; 0, or the exit status. */
static int show_text(struct app *app, long long id)
{
	enum { SHOWN = 10000 };
	struct ddi_rollout_dev *v = NULL;
	long long c[DDI_RG_N], eligible;
	char when[96];
	struct ddi_rollout r;
	struct nb_err e;
	int n = -1, g;

	if (ddi_rollout_get(app, id, &r, &e) == 0) {
		if (!(v = calloc(SHOWN, sizeof(*v))))
			nb_fail(&e, NB_INTERNAL, "out of memory");
		else
			n = ddi_rollout_devices(app, &r, v, SHOWN, c, &e);
	}
	if (n < 0) {
		free(v);
		return ctl_fail(NULL, &e);
	}
	eligible = c[DDI_RG_SUCCEEDED] + c[DDI_RG_FAILED] + c[DDI_RG_RUNNING] + c[DDI_RG_WAITING];
	printf("rollout %lld %s: %s on feed %s, %s at %d%%%s%s\n", r.id, r.name, r.version, r.feed,
	       r.state, r.percent, *r.pause_reason ? " - " : "", r.pause_reason);
	printf("created: %s\n", ctl_when(when, sizeof(when), time(NULL), r.created));
	printf("limits: %d failures, %d%% failed (0: none)\n", r.max_failures, r.max_failure_rate);
	printf("progress: %lld of %lld devices that can take it succeeded (%lld%%)\n",
	       c[DDI_RG_SUCCEEDED], eligible, eligible ? c[DDI_RG_SUCCEEDED] * 100 / eligible : 0);
	for (g = 0; g < DDI_RG_N; g++)
		show_group(v, n, g, c[g]);
	free(v);
	return 0;
}

int ctl_cmd_rollout_show(int argc, char **argv)
{
	const char *cmd = "rollout show";
	long long id;
	struct app app;
	int json, rc;

	if (ctl_list_opts(cmd, argc, argv, 1, "the rollout id", &json) < 0 ||
	    ctl_operands(cmd, argc, argv, 1, 1, "the rollout id") < 0 ||
	    rollout_id(cmd, argv[optind], &id) < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	rc = json ? show_json(&app, id) : show_text(&app, id);
	app_close(&app);
	return rc;
}
