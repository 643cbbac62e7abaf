/* nestboxctl device add | list | show | cancel: the DDI device registry */
#include "ctl.h"
#include "../ddi/ddi.h"
#include "../lib/auth.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* hawkBit's controller-id rule (ddi_controller_id_ok), said when refused. */
static int cid_ok(const char *cid)
{
	if (ddi_controller_id_ok(cid))
		return 1;
	fprintf(stderr, "nestboxctl: a controller id is 1 to %d bytes of UTF-8 without "
		"whitespace, control characters or '/' (hawkBit's rule)\n", DDI_CID_MAX);
	return 0;
}

/* --assign ID: a software id, or -1 (refused as the usage or mode error) */
static long long id_arg(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return *s >= '1' && *s <= '9' && !*end && v > 0 ? v : -1;
}

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
	struct ddi_device d;	/* only for its field sizes */
	struct app app;
	struct nb_err e;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 'f': feed = optarg; break;
		case 'm': mode = optarg; break;
		case 'a': assign = id_arg(optarg); break;
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
	if (!cid_ok(argv[optind]) || !ctl_field_ok("--tenant", tenant, 1, sizeof(d.tenant) - 1) ||
	    (feed && !ctl_field_ok("--feed", feed, 1, sizeof(d.feed) - 1)))
		return 1;
	if (ctl_open(&app) < 0)
		return 1;
	if (token)
		auth_token_hash(token, th);
	rc = ddi_device_add(&app, tenant, argv[optind], th, feed, mode, assign, &e);
	if (rc < 0)
		fprintf(stderr, "nestboxctl: %s; nothing stored\n", e.msg);
	else
		printf("added %s\n", argv[optind]);
	app_close(&app);
	return rc < 0 ? nb_err_exit(e.kind) : 0;
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

/* A device by controller id, in whichever tenant has it (the first). */
static int find_device(struct app *app, const char *cid, struct ddi_device *d)
{
	sqlite3_stmt *st = db_stmt(app->db, "SELECT tenant FROM ddi_devices WHERE controller_id=?"
				   " ORDER BY id LIMIT 1");
	char tenant[64] = "";

	if (!cid_ok(cid))
		return -1;
	if (st) {
		sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(tenant, sizeof(tenant), "%s", sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	if (!*tenant || ddi_device_get(app, tenant, cid, d) < 0) {
		fprintf(stderr, "nestboxctl: no device %s\n", cid);
		return -1;
	}
	return 0;
}

int cmd_device_cancel(int argc, char **argv)
{
	struct ddi_device d;
	struct app app;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: nestboxctl device cancel <controllerId>\n");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	if (find_device(&app, argv[1], &d) == 0) {
		rc = ddi_action_cancel(&app, d.id) < 0;
		if (rc)
			fprintf(stderr, "nestboxctl: %s has no open action\n", argv[1]);
	}
	app_close(&app);
	return rc;
}

int cmd_device_del(int argc, char **argv)
{
	struct ddi_device d;
	struct app app;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: nestboxctl device del <controllerId>\n");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	if (find_device(&app, argv[1], &d) == 0)
		rc = ddi_device_delete(&app, d.id) < 0;
	app_close(&app);
	return rc;
}

int cmd_device_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' }, { "assign", required_argument, NULL, 'a' },
		{ "feed", required_argument, NULL, 'f' }, { "name", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'F' }, { "tags", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mode = NULL, *feed = NULL, *name = NULL, *tags = NULL;
	long long assign = 0;
	struct ddi_device d;
	struct app app;
	int c, force = 0, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mode = optarg; break;
		case 'a': assign = id_arg(optarg); mode = mode ? mode : "assigned"; break;
		case 'f': feed = optarg; break;
		case 'n': name = optarg; break;
		case 'F': force = 1; break;
		case 'g': tags = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: nestboxctl device set <controllerId> [--mode M] [--assign ID]"
			" [--feed F] [--name N] [--tags T,…] [--force]\n");
		return 2;
	}
	/* the sizes ddi_device_set_field() stores; checked here to say which */
	if ((feed && !ctl_field_ok("--feed", feed, 1, sizeof(d.feed) - 1)) ||
	    (name && !ctl_field_ok("--name", name, 0, 63)) ||
	    (tags && !ctl_field_ok("--tags", tags, 0, 255)))
		return 1;
	if (ctl_open(&app) < 0)
		return 1;
	if (find_device(&app, argv[optind], &d) < 0) {
		app_close(&app);
		return 1;
	}
	if (mode && ddi_device_set_mode(&app, d.id, mode, assign) < 0) {
		fprintf(stderr, "nestboxctl: mode must be rollout, latest, pinned or assigned"
			" (with --assign ID)\n");
		rc = 1;
	}
	if (!rc && feed && ddi_device_set_field(&app, d.id, "feed", feed) < 0)
		rc = 1;
	if (!rc && name && ddi_device_set_field(&app, d.id, "name", name) < 0)
		rc = 1;
	if (!rc && tags && ddi_device_set_field(&app, d.id, "tags", tags) < 0)
		rc = 1;
	if (!rc && force && ddi_device_set_field(&app, d.id, "force", "1") < 0)
		rc = 1;
	app_close(&app);
	return rc;
}

int cmd_device_show(int argc, char **argv)
{
	struct ddi_settings set;
	struct nb_err e = { NB_OK, "" };
	struct ddi_explained x;
	struct ddi_device d;
	struct app app;
	sqlite3_stmt *st;

	if (argc != 2) {
		fprintf(stderr, "usage: nestboxctl device show <controllerId>\n");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	if (ddi_settings_read(&app, &set, &e) < 0 || find_device(&app, argv[1], &d) < 0 ||
	    ddi_explain(&app, &d, set.max_running, &x) < 0) {
		if (e.kind != NB_OK)
			fprintf(stderr, "nestboxctl: %s\n", e.msg);
		app_close(&app);
		return 1;
	}
	/* the decision's sentence is the one the device page and the admin API show */
	printf("device\t%s/%s\nstate\t%s\nversion\t%s\nmode\t%s\nfeed\t%s\nboard\t%s:%s\n"
	       "decision\t%s\nreason\t%s\n", d.tenant, d.cid, d.state, d.sw_version, d.mode,
	       d.feed, d.hw_model, d.hw_revision, x.text, ddi_verdict_key(x.v));
	st = db_stmt(app.db, "SELECT a.id, a.status, a.progress, s.version,"
			     " coalesce(a.rollout_id, 0) FROM ddi_actions a"
			     " JOIN ddi_software s ON s.id = a.software_id"
			     " WHERE a.device_id=? ORDER BY a.id DESC");
	if (st) {
		sqlite3_bind_int64(st, 1, d.id);
		while (sqlite3_step(st) == SQLITE_ROW)
			printf("action\t%lld\t%s\t%d%%\t%s\trollout %lld\n",
			       (long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1),
			       sqlite3_column_int(st, 2), sqlite3_column_text(st, 3),
			       (long long)sqlite3_column_int64(st, 4));
		sqlite3_reset(st);
	}
	app_close(&app);
	return 0;
}
