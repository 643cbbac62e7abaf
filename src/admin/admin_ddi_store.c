/*
 * The DDI pages' read-only queries.  The device list is paged by id
 * (keyset) and has one statement per leading filter, so SQLite walks the
 * state or feed index instead of the whole table when one is given: a
 * page costs the same with a million devices as with ten.
 */
#include "admin_ddi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *text(struct db_stmt *st, int i)
{
	const char *v = (const char *)db_column_text(st, i);

	return v ? v : "";
}

const char *admin_when(struct arena *a, long long t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || t > (1LL << 40) || !gmtime_r(&tt, &tm))
		return "";
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	return arena_strdup(a, buf);
}

#define DEV_COLS \
	"SELECT id, tenant, controller_id, name, hw_model, hw_revision, sw_version, feed, mode," \
	" state, last_seen, last_addr FROM ddi_devices"
#define DEV_REST \
	" AND (?3 IS NULL OR hw_model = ?3) AND (?4 IS NULL OR sw_version = ?4)" \
	" AND (?5 IS NULL OR last_seen BETWEEN ?5 AND ?6) AND id > ?7 ORDER BY id LIMIT ?8"

/* state = ?1 or feed = ?2 as the leading term lets SQLite pick that index */
static const char sql_dev_by_state[] =
	DEV_COLS " WHERE state = ?1 AND (?2 IS NULL OR feed = ?2)" DEV_REST;
static const char sql_dev_by_feed[] =
	DEV_COLS " WHERE feed = ?2 AND (?1 IS NULL OR state = ?1)" DEV_REST;
static const char sql_dev_any[] =
	DEV_COLS " WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR feed = ?2)" DEV_REST;

static void bind_opt(struct db_stmt *st, int i, const char *v)
{
	if (v)
		db_bind_text(st, i, v, -1, DB_STATIC);
}

static cJSON *dev_json(struct http_req *r, struct db_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	long long seen = db_column_int64(st, 10);

	cJSON_AddNumberToObject(o, "id", (double)db_column_int64(st, 0));
	cJSON_AddStringToObject(o, "tenant", text(st, 1));
	cJSON_AddStringToObject(o, "controller_id", text(st, 2));
	cJSON_AddStringToObject(o, "name", text(st, 3));
	cJSON_AddStringToObject(o, "hw_model", text(st, 4));
	cJSON_AddStringToObject(o, "hw_revision", text(st, 5));
	cJSON_AddStringToObject(o, "sw_version", text(st, 6));
	cJSON_AddStringToObject(o, "feed", text(st, 7));
	cJSON_AddStringToObject(o, "mode", text(st, 8));
	cJSON_AddStringToObject(o, "state", text(st, 9));
	cJSON_AddBoolToObject(o, "error", !strcmp(text(st, 9), "error"));
	cJSON_AddNumberToObject(o, "last_seen", (double)seen);
	cJSON_AddStringToObject(o, "last_seen_text", seen ? admin_when(r->a, seen) : "never");
	cJSON_AddStringToObject(o, "last_addr", text(st, 11));
	return o;
}

cJSON *admin_dev_list(struct app *app, struct http_req *r, const struct admin_dev_filter *f,
		    long long *next)
{
	const char *sql = f->state ? sql_dev_by_state : f->feed ? sql_dev_by_feed : sql_dev_any;
	struct db_stmt *st = db_stmt(app->db, sql);
	long per = admin_page_size(app), n = 0;
	long long last = 0;
	cJSON *arr = cJSON_CreateArray();

	*next = 0;
	if (!st)
		return arr;
	bind_opt(st, 1, f->state);
	bind_opt(st, 2, f->feed);
	bind_opt(st, 3, f->model);
	bind_opt(st, 4, f->version);
	if (f->seen_lo >= 0) {
		db_bind_int64(st, 5, f->seen_lo);
		db_bind_int64(st, 6, f->seen_hi);
	}
	db_bind_int64(st, 7, f->after);
	db_bind_int64(st, 8, per + 1);	/* one more says whether a next page exists */
	while (db_step(st) == DB_ROW) {
		if (n++ == per) {
			*next = last;
			break;
		}
		last = db_column_int64(st, 0);
		cJSON_AddItemToArray(arr, dev_json(r, st));
	}
	db_reset(st);
	return arr;
}

/* the trigger-kept counts (schema step 7): a few rows, whatever the fleet */
static const char sql_state_counts[] =
	"SELECT state, sum(n) FROM ddi_device_counts GROUP BY state HAVING sum(n) > 0"
	" ORDER BY state";

cJSON *admin_dev_state_counts(struct app *app, long long *total)
{
	struct db_stmt *st = db_stmt(app->db, sql_state_counts);
	cJSON *arr = cJSON_CreateArray();

	*total = 0;
	while (st && db_step(st) == DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		long long n = db_column_int64(st, 1);
		cJSON_AddStringToObject(o, "state", text(st, 0));
		cJSON_AddNumberToObject(o, "count", (double)n);
		cJSON_AddItemToArray(arr, o);
		*total += n;
	}
	if (st)
		db_reset(st);
	return arr;
}

static const char sql_dev_one[] =
	DEV_COLS " WHERE (?1 > 0 AND id = ?1) OR (?1 = 0 AND tenant = ?2 AND controller_id = ?3)";
static const char sql_dev_more[] =
	"SELECT coalesce(assigned, 0), force, attributes, created, auto_confirm"
	" FROM ddi_devices WHERE id = ?";

/* The configData attributes as rows; values that are not strings as JSON text. */
static cJSON *attributes(const char *json)
{
	cJSON *j = cJSON_Parse(json), *arr = cJSON_CreateArray(), *it;
	cJSON *obj = cJSON_IsObject(j) ? j : NULL;

	cJSON_ArrayForEach(it, obj) {
		cJSON *o = cJSON_CreateObject();
		char *v = cJSON_IsString(it) ? NULL : cJSON_PrintUnformatted(it);
		cJSON_AddStringToObject(o, "key", it->string);
		cJSON_AddStringToObject(o, "value", v ? v : it->valuestring);
		cJSON_free(v);
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_Delete(j);
	return arr;
}

static void dev_more(struct app *app, struct http_req *r, cJSON *o, long long id)
{
	struct db_stmt *st = db_stmt(app->db, sql_dev_more);

	if (!st)
		return;
	db_bind_int64(st, 1, id);
	if (db_step(st) == DB_ROW) {
		cJSON_AddNumberToObject(o, "assigned", (double)db_column_int64(st, 0));
		cJSON_AddBoolToObject(o, "force", db_column_int(st, 1));
		cJSON_AddItemToObject(o, "attributes", attributes(text(st, 2)));
		cJSON_AddStringToObject(o, "created", admin_when(r->a, db_column_int64(st, 3)));
		cJSON_AddBoolToObject(o, "auto_confirm", db_column_int(st, 4));
	}
	db_reset(st);
}

cJSON *admin_dev_get(struct app *app, struct http_req *r, long long id, const char *tenant,
		   const char *cid)
{
	struct db_stmt *st = db_stmt(app->db, sql_dev_one);
	cJSON *o = NULL;

	if (!st)
		return NULL;
	db_bind_int64(st, 1, id);
	bind_opt(st, 2, tenant);
	bind_opt(st, 3, cid);
	if (db_step(st) == DB_ROW) {
		o = dev_json(r, st);
		id = db_column_int64(st, 0);
	}
	db_reset(st);
	if (o)
		dev_more(app, r, o, id);
	return o;
}

/* with the details of the action's latest feedback (NULL: the device never
 * answered), one index probe each (ddi_action_status_action) */
static const char sql_actions[] =
	"SELECT a.id, a.status, a.progress, a.created, a.updated, coalesce(a.rollout_id, 0),"
	" s.id, s.name, s.version, (SELECT details FROM ddi_action_status t"
	"  WHERE t.action_id = a.id ORDER BY t.id DESC LIMIT 1)"
	" FROM ddi_actions a JOIN ddi_software s ON s.id = a.software_id"
	" WHERE a.device_id = ? ORDER BY a.id DESC LIMIT 100";

/* The last non-empty line of s, in the arena ("" when none): a failed
 * action's reason as the device wrote it last. */
static const char *last_line(struct arena *a, const char *s)
{
	const char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	return arena_strndup(a, start, (size_t)(end - start));
}

/* What the device said of the action: its last line when it failed,
 * or how long it has been offered without an answer. */
static void add_answer(struct http_req *r, cJSON *o, struct db_stmt *st, const char *status)
{
	int answered = db_column_type(st, 9) != DB_NULL;

	cJSON_AddBoolToObject(o, "answered", answered);
	cJSON_AddNumberToObject(o, "created_ts", (double)db_column_int64(st, 3));
	if (!answered && (!strcmp(status, "waiting") || !strcmp(status, "running") ||
			  !strcmp(status, "canceling")))
		cJSON_AddBoolToObject(o, "unanswered", 1);
	if (answered && !strcmp(status, "error"))
		cJSON_AddStringToObject(o, "last_line", last_line(r->a, text(st, 9)));
}

cJSON *admin_dev_actions(struct app *app, struct http_req *r, long long device_id)
{
	struct db_stmt *st = db_stmt(app->db, sql_actions);
	cJSON *arr = cJSON_CreateArray();

	if (!st)
		return arr;
	db_bind_int64(st, 1, device_id);
	while (db_step(st) == DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		const char *s = text(st, 1);
		cJSON_AddNumberToObject(o, "id", (double)db_column_int64(st, 0));
		cJSON_AddStringToObject(o, "status", s);
		cJSON_AddBoolToObject(o, "open", !strcmp(s, "waiting") || !strcmp(s, "running") ||
				      !strcmp(s, "canceling"));
		cJSON_AddBoolToObject(o, "failed", !strcmp(s, "error"));
		cJSON_AddNumberToObject(o, "progress", db_column_int(st, 2));
		cJSON_AddStringToObject(o, "created", admin_when(r->a, db_column_int64(st, 3)));
		cJSON_AddStringToObject(o, "updated", admin_when(r->a, db_column_int64(st, 4)));
		cJSON_AddNumberToObject(o, "rollout_id", (double)db_column_int64(st, 5));
		cJSON_AddNumberToObject(o, "software_id", (double)db_column_int64(st, 6));
		cJSON_AddStringToObject(o, "software", text(st, 7));
		cJSON_AddStringToObject(o, "version", text(st, 8));
		add_answer(r, o, st, s);
		cJSON_AddItemToArray(arr, o);
	}
	db_reset(st);
	return arr;
}

static const char sql_log[] =
	"SELECT ts, execution, finished, details FROM ddi_action_status WHERE action_id = ?"
	" ORDER BY id";

static cJSON *lines(const char *s)
{
	cJSON *arr = cJSON_CreateArray();

	while (*s) {
		size_t n = strcspn(s, "\n");
		char *l = strndup(s, n);
		if (l)
			cJSON_AddItemToArray(arr, cJSON_CreateString(l));
		free(l);
		s += n + (s[n] == '\n');
	}
	return arr;
}

cJSON *admin_action_log(struct app *app, struct http_req *r, long long action_id)
{
	struct db_stmt *st = db_stmt(app->db, sql_log);
	cJSON *arr = cJSON_CreateArray();

	if (!st)
		return arr;
	db_bind_int64(st, 1, action_id);
	while (db_step(st) == DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "time", admin_when(r->a, db_column_int64(st, 0)));
		cJSON_AddStringToObject(o, "execution", text(st, 1));
		cJSON_AddStringToObject(o, "finished", text(st, 2));
		cJSON_AddItemToObject(o, "lines", lines(text(st, 3)));
		cJSON_AddItemToArray(arr, o);
	}
	db_reset(st);
	return arr;
}

/*
 * Use counts come from the indexed action and rollout tables only: counting
 * devices assigned to each software would scan every device once per row.
 */
static const char sql_sw_list[] =
	"SELECT s.id, s.name, s.version, s.kind, s.filename, s.size, s.sha256, s.url, s.created,"
	" (SELECT group_concat(CASE WHEN c.board = '' THEN '*' ELSE c.board END || ':' ||"
	"   CASE WHEN c.revision = '' THEN '*' ELSE c.revision END, ', ')"
	"   FROM ddi_software_compat c WHERE c.software_id = s.id),"
	" (SELECT count(*) FROM ddi_actions a WHERE a.software_id = s.id),"
	" (SELECT count(*) FROM ddi_rollouts r WHERE r.software_id = s.id)"
	" FROM ddi_software s ORDER BY s.id DESC LIMIT ? OFFSET ?";

static void human_size(char *out, size_t n, long long v)
{
	if (v >= 1 << 20)
		snprintf(out, n, "%.1f MiB", (double)v / (1 << 20));
	else if (v >= 1 << 10)
		snprintf(out, n, "%.1f KiB", (double)v / (1 << 10));
	else
		snprintf(out, n, "%lld B", v);
}

static cJSON *sw_json(struct http_req *r, struct db_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	long long size = db_column_int64(st, 5);
	const char *sha = text(st, 6);
	char hs[32];

	human_size(hs, sizeof(hs), size);
	cJSON_AddNumberToObject(o, "id", (double)db_column_int64(st, 0));
	cJSON_AddStringToObject(o, "name", text(st, 1));
	cJSON_AddStringToObject(o, "version", text(st, 2));
	cJSON_AddStringToObject(o, "kind", text(st, 3));
	cJSON_AddStringToObject(o, "filename", text(st, 4));
	cJSON_AddNumberToObject(o, "size", (double)size);
	cJSON_AddStringToObject(o, "size_human", hs);
	cJSON_AddStringToObject(o, "sha256", sha);
	cJSON_AddStringToObject(o, "sha256_short", arena_strndup(r->a, sha, 12));
	cJSON_AddStringToObject(o, "url", text(st, 7));
	cJSON_AddStringToObject(o, "created", admin_when(r->a, db_column_int64(st, 8)));
	cJSON_AddStringToObject(o, "compat", *text(st, 9) ? text(st, 9) : "any board");
	cJSON_AddNumberToObject(o, "actions", (double)db_column_int64(st, 10));
	cJSON_AddNumberToObject(o, "rollouts", (double)db_column_int64(st, 11));
	return o;
}

cJSON *admin_sw_list(struct app *app, struct http_req *r, long offset, long limit)
{
	struct db_stmt *st = db_stmt(app->db, sql_sw_list);
	cJSON *arr = cJSON_CreateArray();

	if (!st)
		return arr;
	db_bind_int64(st, 1, limit);
	db_bind_int64(st, 2, offset);
	while (db_step(st) == DB_ROW)
		cJSON_AddItemToArray(arr, sw_json(r, st));
	db_reset(st);
	return arr;
}

static long long scalar(struct app *app, const char *sql, const char *arg)
{
	struct db_stmt *st = db_stmt(app->db, sql);
	long long v = 0;

	if (!st)
		return 0;
	bind_opt(st, 1, arg);
	if (db_step(st) == DB_ROW)
		v = db_column_int64(st, 0);
	db_reset(st);
	return v;
}

static const char sql_sw_count[] = "SELECT count(*) FROM ddi_software";

long admin_sw_count(struct app *app)
{
	return (long)scalar(app, sql_sw_count, NULL);
}

static const char sql_rollout_count[] = "SELECT count(*) FROM ddi_rollouts";

long admin_rollout_count(struct app *app)
{
	return (long)scalar(app, sql_rollout_count, NULL);
}

static const char sql_sw_choices[] =
	"SELECT id, name, version FROM ddi_software ORDER BY id DESC LIMIT 500";

cJSON *admin_sw_choices(struct app *app, long long selected)
{
	struct db_stmt *st = db_stmt(app->db, sql_sw_choices);
	cJSON *arr = cJSON_CreateArray();
	char label[400];

	while (st && db_step(st) == DB_ROW) {
		cJSON *o = cJSON_CreateObject();
		long long id = db_column_int64(st, 0);
		snprintf(label, sizeof(label), "%s %s (#%lld)", text(st, 1), text(st, 2), id);
		cJSON_AddNumberToObject(o, "id", (double)id);
		cJSON_AddStringToObject(o, "label", label);
		cJSON_AddBoolToObject(o, "selected", id == selected);
		cJSON_AddItemToArray(arr, o);
	}
	if (st)
		db_reset(st);
	return arr;
}

static const char sql_feed_rollout[] =
	"SELECT coalesce(sum(n), 0) FROM ddi_device_counts WHERE feed = ? AND mode = 'rollout'";

long long admin_feed_rollout_devices(struct app *app, const char *feed)
{
	return scalar(app, sql_feed_rollout, feed);
}
