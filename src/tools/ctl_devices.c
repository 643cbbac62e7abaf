/* nestboxctl device add | list | show | cancel: the DDI device registry */
#include "ctl.h"
#include "../ddi/ddi.h"
#include "../lib/auth.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_device_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' }, { "feed", required_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' }, { "assign", required_argument, NULL, 'a' },
		{ "tenant", required_argument, NULL, 'T' }, { NULL, 0, NULL, 0 }
	};
	const char *token = NULL, *feed = NULL, *mode = "rollout", *tenant = "DEFAULT";
	long long assign = 0;
	char th[HASH_HEX_MAX] = "";
	struct app app;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 'f': feed = optarg; break;
		case 'm': mode = optarg; break;
		case 'a': assign = atoll(optarg); break;
		case 'T': tenant = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || (strcmp(mode, "rollout") && strcmp(mode, "latest") &&
				   strcmp(mode, "assigned") && strcmp(mode, "pinned")) ||
	    (!strcmp(mode, "assigned") && assign <= 0)) {
		fprintf(stderr, "usage: nestboxctl device add <controllerId> [--token T] [--feed F]"
			" [--mode rollout|latest|assigned|pinned] [--assign SOFTWARE_ID]\n");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	if (token)
		auth_token_hash(token, th);
	rc = ddi_device_add(&app, tenant, argv[optind], th, feed, mode, assign);
	if (rc < 0)
		fprintf(stderr, "nestboxctl: device %s exists already (or bad software id)\n",
			argv[optind]);
	else
		printf("added %s\n", argv[optind]);
	app_close(&app);
	return rc < 0 ? 1 : 0;
}

int cmd_device_list(int argc, char **argv)
{
	struct app app;
	sqlite3_stmt *st;

	(void)argc;
	(void)argv;
	if (ctl_open(&app) < 0)
		return 1;
	st = db_stmt(app.db, "SELECT controller_id, state, sw_version, mode, hw_model, hw_revision,"
			     " last_seen FROM ddi_devices ORDER BY controller_id");
	while (st && sqlite3_step(st) == SQLITE_ROW)
		printf("%s\t%s\t%s\t%s\t%s:%s\t%lld\n", (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
		       (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4),
		       (const char *)sqlite3_column_text(st, 5), (long long)sqlite3_column_int64(st, 6));
	if (st)
		sqlite3_reset(st);
	app_close(&app);
	return 0;
}

/* Asks the device to cancel its open action (it sees cancelAction on its next poll). */
int cmd_device_cancel(int argc, char **argv)
{
	struct app app;
	sqlite3_stmt *st;
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: nestboxctl device cancel <controllerId>\n");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	st = db_stmt(app.db, "UPDATE ddi_actions SET status='canceling' WHERE status='running'"
			     " AND device_id=(SELECT id FROM ddi_devices WHERE controller_id=?)");
	if (st) {
		sqlite3_bind_text(st, 1, argv[1], -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			n = sqlite3_changes(db_handle(app.db));
		sqlite3_reset(st);
	}
	if (!n)
		fprintf(stderr, "nestboxctl: %s has no running action\n", argv[1]);
	app_close(&app);
	return n ? 0 : 1;
}
