/* nestboxctl mip publish | list | refresh */
#include "ctl.h"
#include "../mip/mip.h"

#include <stdio.h>
#include <time.h>

int ctl_cmd_mip_publish(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'v' },
		{ "description", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *version = NULL, *desc = "";
	struct mip m;
	struct app app;
	struct nb_err e = { 0 };
	int c, rc;

	optind = 1;
	while ((c = ctl_getopt("mip publish", argc, argv, opts)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'v': version = optarg; break;
		case 'd': desc = optarg; break;
		default: return 2;
		}
	}
	if (ctl_operands("mip publish", argc, argv, 1, 1, "the package (a directory, archive or"
			 " .py file)") < 0)
		return 2;
	if (!name || !version)
		return ctl_usage_error("mip publish", "needs %s", !name ? "--name" : "--version");
	if (ctl_open(&app) < 0)
		return 1;
	mip_open(&app, &m);
	rc = mip_publish(&app, &m, argv[optind], NULL, name, version, desc, &e);
	if (rc == 0) {
		printf("published %s %s\n", name, version);
		ctl_audit(&app, "mip publish", "%s %s", name, version);
	}
	app_close(&app);
	return rc < 0 ? ctl_fail("publish failed", &e) : 0;
}

static const struct ctl_col mip_cols[] = {
	{ "name", "NAME", CTL_TEXT, 0, NULL, NULL },
	{ "version", "VERSION", CTL_TEXT, 0, NULL, NULL },
	{ "files", "FILES", CTL_INT, 0, NULL, "files" },
	{ "size", "SIZE", CTL_BYTES, 0, NULL, "bytes" },
	{ "published", "PUBLISHED", CTL_TIME, CTL_NOT_TSV, NULL, NULL },
	{ "description", "DESCRIPTION", CTL_TEXT, CTL_JSON_ONLY, NULL, NULL },
};

/* mip list's rows (ctl_rows_fn): the hosted packages, oldest first */
static int mip_rows(struct app *app, struct arena *a, struct ctl_list *l, struct nb_err *e)
{
	struct mip_hosted_row *h;
	int n = mip_hosted_list(app, a, MIP_HOSTED_OLDEST, -1, 0, &h, e);

	if (n < 0)
		return nb_err_prefix(e, "the package list cannot be read");
	for (int i = 0; i < n; i++) {
		ctl_put_text(l, h[i].name);
		ctl_put_text(l, h[i].version);
		ctl_put_int(l, h[i].files);
		ctl_put_int(l, h[i].size);
		ctl_put_int(l, h[i].published);
		ctl_put_text(l, h[i].description);
	}
	return n;
}

int ctl_cmd_mip_list(int argc, char **argv)
{
	return ctl_list_run("mip list", argc, argv, mip_cols, 6, mip_rows);
}

/* mip refresh: run by a timer more often than --ahead (default 600 s), so
 * that a device never meets an expired proxied package JSON. */
int ctl_cmd_mip_refresh(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ahead", required_argument, NULL, 'a' }, { NULL, 0, NULL, 0 }
	};
	struct mip_proxy_counts n;
	struct mip m;
	struct app app;
	struct nb_err e;
	long long ahead = 600;
	int c, rc;

	optind = 1;
	while ((c = ctl_getopt("mip refresh", argc, argv, opts)) != -1)
		if (c != 'a' || ctl_number("mip refresh", "--ahead", optarg, 0, 365LL * 86400,
					   &ahead) < 0)
			return 2;
	if (ctl_operands("mip refresh", argc, argv, 0, 0, "") < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	mip_open(&app, &m);
	if (mip_settings_check(&m.set, &e) < 0) {	/* it fetches as mip-index.fcgi does */
		app_close(&app);
		return ctl_fail("mip refresh", &e);
	}
	app.domain = &m;
	rc = mip_proxy_refresh(&app, (long)ahead, &n);
	app.domain = NULL;
	if (rc < 0)
		fprintf(stderr, "nestboxctl: the package cache cannot be read (store busy or broken)\n");
	else
		printf("mip refresh: %d revalidated, %d failed (kept until they expire)\n",
		       n.refreshed, n.failed);
	app_close(&app);
	return rc < 0 ? nb_err_exit(NB_UNAVAILABLE) : n.failed > 0;
}
