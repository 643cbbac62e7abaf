/* nestboxctl software add | list | del: the DDI software repository */
#include "ctl.h"
#include "../ddi/ddi.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

int cmd_software_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "url", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *url = NULL;
	struct ddi_software sw;	/* only for its field sizes */
	struct app app;
	struct nb_err e;
	long long id;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'u')
			url = optarg;
		else
			return 2;
	}
	if (optind != argc - (url ? 0 : 1)) {
		fprintf(stderr, "usage: nestboxctl software add <file.swu|file.raucb> [--name N]\n"
			"       nestboxctl software add --url URL [--name N]\n");
		return 2;
	}
	/* what a software row holds (struct ddi_software): refused, never cut */
	if ((name && !ctl_field_ok("--name", name, 0, sizeof(sw.name) - 1)) ||
	    (url && !ctl_field_ok("--url", url, 1, sizeof(sw.url) - 1)))
		return 1;
	if (ctl_open(&app) < 0)
		return 1;
	nb_err_clear(&e);
	if (url)
		id = ddi_software_add_url(&app, url, name, &e);
	else
		id = ddi_software_add_file(&app, argv[optind], name, &e);
	if (id < 0)
		fprintf(stderr, "nestboxctl: software not added: %s\n", e.msg);
	else
		printf("%lld\n", id);
	app_close(&app);
	return id < 0 ? nb_err_exit(e.kind) : 0;
}

int cmd_software_list(int argc, char **argv)
{
	struct app app;
	sqlite3_stmt *st;

	(void)argc;
	(void)argv;
	if (ctl_open(&app) < 0)
		return 1;
	st = db_stmt(app.db, "SELECT s.id, s.name, s.version, s.size, s.sha256, s.kind, s.url,"
			     " coalesce((SELECT group_concat(CASE WHEN board = '' THEN revision"
			     "  WHEN revision = '' THEN board"
			     "  ELSE board || ':' || revision END, ' ')"
			     "  FROM ddi_software_compat WHERE software_id = s.id), '')"
			     " FROM ddi_software s ORDER BY s.id");
	while (st && sqlite3_step(st) == SQLITE_ROW)
		printf("%lld\t%s\t%s\t%s\t%lld\t%.12s\t%s\t%s\n",
		       (long long)sqlite3_column_int64(st, 0),
		       (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
		       (const char *)sqlite3_column_text(st, 5), (long long)sqlite3_column_int64(st, 3),
		       (const char *)sqlite3_column_text(st, 4), (const char *)sqlite3_column_text(st, 6),
		       (const char *)sqlite3_column_text(st, 7));
	if (st)
		sqlite3_reset(st);
	app_close(&app);
	return 0;
}

int cmd_software_del(int argc, char **argv)
{
	struct app app;
	struct nb_err e;
	int rc;

	if (argc != 2 || atoll(argv[1]) <= 0) {
		fprintf(stderr, "usage: nestboxctl software del <id>\n");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	rc = ddi_software_delete(&app, atoll(argv[1]), &e);
	if (rc < 0)
		fprintf(stderr, "nestboxctl: software %s: %s\n", argv[1], e.msg);
	app_close(&app);
	return rc < 0 ? nb_err_exit(e.kind) : 0;
}
