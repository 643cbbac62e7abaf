/* nestboxctl rollout add | list | pause | resume | stage */
#include "ctl.h"
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
	if (v < 0)
		fprintf(stderr, "nestboxctl: rollout not added: %s\n", e.msg);
	else
		printf("%lld\n", v);
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
		fprintf(stderr, "nestboxctl: no rollout %lld\n", id);
	app_close(&app);
	return rc < 0;
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
