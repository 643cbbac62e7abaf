/*
 * The dashboard's view of fleet health: the newest failed actions and the
 * devices that stopped polling.  Read-only queries on the DDI tables, as
 * admin_ddi_store.c's, each an index walk (ddi_actions_status,
 * ddi_devices_seen) that stops after a few rows.
 */
#include "admin_ddi.h"

#include <stdio.h>
#include <string.h>

static const char *text(struct db_stmt *st, int i)
{
	const unsigned char *s = db_column_text(st, i);

	return s ? (const char *)s : "";
}

/* The last non-empty line of the details, where a device says what broke. */
static const char *last_line(struct arena *a, const char *s)
{
	const char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	for (start = end; start > s && start[-1] != '\n'; start--)
		;
	return arena_printf(a, "%.*s", (int)(end - start), start);
}

static const char sql_failures[] =
	"SELECT a.id, a.updated, d.id, d.controller_id, s.version, coalesce(a.rollout_id, 0),"
	" coalesce((SELECT details FROM ddi_action_status x WHERE x.action_id = a.id"
	"  ORDER BY x.id DESC LIMIT 1), '')"
	" FROM ddi_actions a JOIN ddi_devices d ON d.id = a.device_id"
	" JOIN ddi_software s ON s.id = a.software_id"
	" WHERE a.status = 'error' ORDER BY a.id DESC LIMIT ?";

cJSON *admin_recent_failures(struct app *app, struct http_req *r, int max)
{
	struct db_stmt *st = db_stmt(app->db, sql_failures);
	cJSON *arr = cJSON_CreateArray();

	if (!st)
		return arr;
	db_bind_int(st, 1, max);
	while (db_step(st) == DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "action_id", (double)db_column_int64(st, 0));
		cJSON_AddStringToObject(o, "time", admin_when(r->a, db_column_int64(st, 1)));
		cJSON_AddNumberToObject(o, "device_id", (double)db_column_int64(st, 2));
		cJSON_AddStringToObject(o, "controller_id", text(st, 3));
		cJSON_AddStringToObject(o, "version", text(st, 4));
		cJSON_AddNumberToObject(o, "rollout_id", (double)db_column_int64(st, 5));
		cJSON_AddStringToObject(o, "line", last_line(r->a, text(st, 6)));
		cJSON_AddItemToArray(arr, o);
	}
	db_reset(st);
	return arr;
}

/* Seen once (last_seen > 0) and not since cutoff; a device never seen is "registered". */
static const char sql_stale[] =
	"SELECT id, controller_id, name, last_seen, last_addr FROM ddi_devices"
	" WHERE last_seen BETWEEN 1 AND ? ORDER BY last_seen LIMIT ?";
static const char sql_stale_count[] =
	"SELECT count(*) FROM ddi_devices WHERE last_seen BETWEEN 1 AND ?";

cJSON *admin_stale_devices(struct app *app, struct http_req *r, long long cutoff, int max,
			   long long *count)
{
	struct db_stmt *st = db_stmt(app->db, sql_stale);
	cJSON *arr = cJSON_CreateArray();

	*count = 0;
	if (!st)
		return arr;
	db_bind_int64(st, 1, cutoff);
	db_bind_int(st, 2, max);
	while (db_step(st) == DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)db_column_int64(st, 0));
		cJSON_AddStringToObject(o, "controller_id", text(st, 1));
		cJSON_AddStringToObject(o, "name", text(st, 2));
		cJSON_AddStringToObject(o, "last_seen", admin_when(r->a, db_column_int64(st, 3)));
		cJSON_AddStringToObject(o, "last_addr", text(st, 4));
		cJSON_AddItemToArray(arr, o);
	}
	db_reset(st);
	st = db_stmt(app->db, sql_stale_count);
	if (st) {
		db_bind_int64(st, 1, cutoff);
		if (db_step(st) == DB_ROW)
			*count = db_column_int64(st, 0);
		db_reset(st);
	}
	return arr;
}
