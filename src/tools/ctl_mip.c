/* nestboxctl mip publish | list */
#include "ctl.h"
#include "../mip/mip.h"

#include <getopt.h>
#include <stdio.h>

int cmd_mip_publish(int argc, char **argv)
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
	char err[1024];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'v': version = optarg; break;
		case 'd': desc = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || !name || !version) {
		fprintf(stderr, "usage: nestboxctl mip publish <dir|archive|file.py> --name N --version V\n");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	mip_settings(&app, &m);
	rc = mip_publish(&app, &m, argv[optind], name, version, desc, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "nestboxctl: publish failed: %s\n", err);
	else
		printf("published %s %s\n", name, version);
	app_close(&app);
	return rc == -2 ? 3 : rc < 0 ? 1 : 0;
}

int cmd_mip_list(int argc, char **argv)
{
	struct app app;
	sqlite3_stmt *st;

	(void)argc;
	(void)argv;
	if (ctl_open(&app) < 0)
		return 1;
	st = db_stmt(app.db, "SELECT name, version, files, size FROM mip_hosted ORDER BY name, published");
	while (st && sqlite3_step(st) == SQLITE_ROW)
		printf("%s\t%s\t%d files\t%lld bytes\n", (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2),
		       (long long)sqlite3_column_int64(st, 3));
	if (st)
		sqlite3_reset(st);
	app_close(&app);
	return 0;
}
