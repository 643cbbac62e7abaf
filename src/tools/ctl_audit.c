/* nestboxctl audit: the operators' actions; ctl_audit(): how commands add to it. */
#include "ctl.h"
#include "../admin/admin_audit.h"

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
	char target[ADMIN_AUDIT_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, target_fmt);
	vsnprintf(target, sizeof(target), target_fmt, ap);
	va_end(ap);
	/* the account on the server that ran the command: nestboxctl has no login */
	admin_audit_write(app->db, pw ? pw->pw_name : "?", "cli", action, NULL, "%s", target);
}

static void print_row(const struct admin_audit_row *a)
{
	char when[32];
	time_t t = (time_t)a->ts;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&t));
	printf("%s\t%s\t%s\t%s\t%s\n", when, a->user, a->via, a->action, a->target);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' }, { "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct admin_audit_row *v;
	const char *user = NULL;
	long limit = 50;
	struct app app;
	struct nb_err e;
	char *end;
	int c, n, i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'u') {
			user = optarg;
			continue;
		}
		if (c != 'n')
			return 2;
		limit = strtol(optarg, &end, 10);
		if (*end || limit < 1 || limit > 100000) {
			fprintf(stderr, "nestboxctl: --limit is 1-100000\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: nestboxctl audit [--user NAME] [--limit N]\n");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	v = calloc((size_t)limit, sizeof(*v));
	n = v ? admin_audit_list(app.db, user, 0, v, (int)limit, &e) : -1;
	if (n < 0)
		fprintf(stderr, "nestboxctl: %s\n", v ? e.msg : "out of memory");
	else
		printf("TIME (UTC)\tUSER\tVIA\tACTION\tON\n");
	for (i = 0; i < n; i++)
		print_row(&v[i]);
	free(v);
	app_close(&app);
	return n < 0 ? 1 : 0;
}
