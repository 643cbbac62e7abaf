/* nestboxctl audit: the operators' actions; ctl_audit(): how commands add to it. */
#include "ctl.h"
#include "../admin/admin_audit.h"	/* the feed's JSON; its rows: core/audit.h */

#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void ctl_audit(struct app *app, const char *action, const char *target_fmt, ...)
{
	const struct passwd *pw = getpwuid(getuid());
	char target[AUDIT_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, target_fmt);
	vsnprintf(target, sizeof(target), target_fmt, ap);
	va_end(ap);
	/* the account on the server that ran the command: nestboxctl has no login */
	audit_write(app->db, pw ? pw->pw_name : "?", "cli", action, NULL, "%s", target);
}

/* The feed as a list (ctl_out.h): on a terminal its times relative with
 * the absolute UTC time, piped one TSV line per action, --json with the
 * times in epoch seconds for scripts. */
static const struct ctl_col audit_cols[] = {
	{ "ts", "TIME", CTL_TIME, 0, NULL, NULL },
	{ "user", "USER", CTL_TEXT, 0, NULL, NULL },
	{ "via", "VIA", CTL_TEXT, 0, NULL, NULL },
	{ "action", "ACTION", CTL_TEXT, 0, NULL, NULL },
	{ "target", "ON", CTL_TEXT, 0, NULL, NULL },
};

/* The feed as a list: 0, or 1 when standard output cannot be written. */
static int print_feed(const struct audit_row *v, int n, int json)
{
	struct ctl_list l;
	struct arena a;
	int i, rc;

	arena_init(&a);
	ctl_list_init(&l, audit_cols, 5, ctl_format_pick(json), time(NULL), &a);
	for (i = 0; i < n; i++) {
		ctl_put_int(&l, v[i].ts);
		ctl_put_text(&l, v[i].user);
		ctl_put_text(&l, v[i].via);
		ctl_put_text(&l, v[i].action);
		ctl_put_text(&l, v[i].target);
	}
	rc = ctl_list_end(&l, 0, stdout);
	arena_free(&a);
	return rc;
}

int ctl_cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' }, { "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 }
	};
	struct audit_row *v;
	const char *user = NULL;
	long long limit = 50;
	int c, n, json = 0, rc;
	struct app app;
	struct nb_err e;

	optind = 1;
	while ((c = ctl_getopt("audit", argc, argv, opts)) != -1) {
		if (c == 'u')
			user = optarg;
		else if (c == 'j')
			json = 1;
		else if (c != 'n' || ctl_number("audit", "--limit", optarg, 1, 100000, &limit) < 0)
			return 2;
	}
	if (ctl_operands("audit", argc, argv, 0, 0, "") < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	v = calloc((size_t)limit, sizeof(*v));
	n = v ? audit_list(app.db, user, 0, v, (int)limit, &e) : -1;
	if (n < 0)
		fprintf(stderr, "nestboxctl: %s\n", v ? e.msg : "out of memory");
	rc = n < 0 ? 1 : print_feed(v, n, json);
	free(v);
	app_close(&app);
	return rc;
}
