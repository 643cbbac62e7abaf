/*
 * The request log: filtered by program, status, path substring and time,
 * newest first, paged by id (keyset) so a page costs the same at row
 * 100,000 as at row 1.
 */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROW_COLUMNS \
	"SELECT id, ts_ms, program, method, path, route, status, bytes, dur_us, remote, user_agent"
#define ROW_FILTERS \
	"  AND (?2 IS NULL OR program = ?2)" \
	"  AND (?3 IS NULL OR status BETWEEN ?3 AND ?4)" \
	"  AND (?5 IS NULL OR instr(path, ?5) > 0)" \
	"  AND (?6 IS NULL OR ts_ms >= ?6)" \
	"  AND (?7 IS NULL OR ts_ms < ?7)" \
	" ORDER BY id DESC LIMIT ?8"

/*
 * A path substring of three or more characters is looked up in the
 * trigram index first, so a rare one costs a few index probes instead of
 * a scan of the whole log; instr() still decides the exact match.
 */
static const char sql_rows_fts[] =
	ROW_COLUMNS " FROM request_log"
	" WHERE id IN (SELECT rowid FROM request_log_path WHERE request_log_path MATCH ?9)"
	"  AND id < ?1" ROW_FILTERS;

static const char sql_rows[] =
	ROW_COLUMNS " FROM request_log WHERE id < ?1" ROW_FILTERS;

/* "2026-11-23T13:05" (an HTML datetime-local value, UTC) -> ms, or -1. */
static long long parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	if (!s || !*s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end || (*end && *end != ':'))
		return -1;
	return (long long)timegm(&tm) * 1000;
}

/* "404", "4xx" or "" -> a status range. */
static int parse_status(const char *s, int *lo, int *hi)
{
	if (!s || !*s)
		return 0;
	if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && !strcmp(s + 1, "xx")) {
		*lo = (s[0] - '0') * 100;
		*hi = *lo + 99;
		return 1;
	}
	*lo = *hi = atoi(s);
	return *lo >= 100 && *lo <= 599 ? 1 : -1;
}

static cJSON *row_json(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	long long ms = sqlite3_column_int64(st, 1);
	time_t t = (time_t)(ms / 1000);
	char when[40];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&t));
	cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
	cJSON_AddNumberToObject(o, "ts_ms", (double)ms);
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "program", (const char *)sqlite3_column_text(st, 2));
	cJSON_AddStringToObject(o, "method", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddStringToObject(o, "path", (const char *)sqlite3_column_text(st, 4));
	cJSON_AddStringToObject(o, "route", (const char *)sqlite3_column_text(st, 5));
	cJSON_AddNumberToObject(o, "status", sqlite3_column_int(st, 6));
	cJSON_AddBoolToObject(o, "error", sqlite3_column_int(st, 6) >= 400);
	cJSON_AddNumberToObject(o, "bytes", (double)sqlite3_column_int64(st, 7));
	cJSON_AddNumberToObject(o, "ms", (double)sqlite3_column_int64(st, 8) / 1000.0);
	cJSON_AddStringToObject(o, "remote", (const char *)sqlite3_column_text(st, 9));
	cJSON_AddStringToObject(o, "user_agent", (const char *)sqlite3_column_text(st, 10));
	return o;
}

static const char sql_catch_up[] =
	"INSERT INTO request_log_path(rowid, path) SELECT id, path FROM request_log"
	" WHERE id > coalesce((SELECT rowid FROM request_log_path ORDER BY rowid DESC LIMIT 1), 0)";
static const char sql_forget[] =
	"DELETE FROM request_log_path"
	" WHERE rowid < coalesce((SELECT min(id) FROM request_log), 0)";

/*
 * Brings the trigram index up to the log: rows logged since the last
 * search are added, rows the log has dropped are removed.  Searches are
 * rare; doing this here keeps the hot programs' log writes cheap.
 */
static void index_catch_up(struct app *app)
{
	if (db_begin(app->db) < 0)
		return;	/* busy: search what is indexed; instr() keeps it exact */
	if (db_exec(app->db, sql_catch_up) < 0 || db_exec(app->db, sql_forget) < 0 ||
	    db_commit(app->db) < 0)
		db_rollback(app->db);
}

/* NULL when a filter is malformed (then *next is -1). */
cJSON *admin_request_rows(struct app *app, struct http_req *r, long long *next)
{
	const struct query *q = &r->query;
	const char *before = query_get(q, "before"), *prog = query_get(q, "program");
	const char *path = query_get(q, "q");
	long long since = parse_time(query_get(q, "since")), until = parse_time(query_get(q, "until"));
	long per = admin_page_size(app);
	int lo = 0, hi = 0, sf = parse_status(query_get(q, "status"), &lo, &hi), n = 0;
	int fts = path && strlen(path) >= 3;
	sqlite3_stmt *st;

	if (fts)
		index_catch_up(app);
	st = db_stmt(app->db, fts ? sql_rows_fts : sql_rows);
	cJSON *arr;
	long long last = 0;

	*next = 0;
	if (sf < 0 || !st) {
		*next = -1;
		return NULL;
	}
	sqlite3_bind_int64(st, 1, before && atoll(before) > 0 ? atoll(before) : (1LL << 62));
	if (prog && *prog)
		sqlite3_bind_text(st, 2, prog, -1, SQLITE_STATIC);
	if (sf > 0) {
		sqlite3_bind_int(st, 3, lo);
		sqlite3_bind_int(st, 4, hi);
	}
	if (path && *path)
		sqlite3_bind_text(st, 5, path, -1, SQLITE_STATIC);
	if (fts) {
		/* one quoted FTS5 string: the trigrams of path, in order */
		struct buf b;
		buf_init(&b, r->a);
		buf_addc(&b, '"');
		for (const char *c = path; *c; c++) {
			if (*c == '"')
				buf_addc(&b, '"');
			buf_addc(&b, *c);
		}
		buf_addc(&b, '"');
		sqlite3_bind_text(st, 9, buf_cstr(&b), -1, SQLITE_STATIC);
	}
	if (since >= 0)
		sqlite3_bind_int64(st, 6, since);
	if (until >= 0)
		sqlite3_bind_int64(st, 7, until);
	sqlite3_bind_int64(st, 8, per + 1);	/* one more tells whether a next page exists */
	arr = cJSON_CreateArray();
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == per) {
			*next = last;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		cJSON_AddItemToArray(arr, row_json(st));
	}
	sqlite3_reset(st);
	return arr;
}

/*
 * The filter's programs are those that have answered requests: every
 * program counts its requests in metrics_requests (a row per program,
 * route and status, so the table stays small), which keeps this list
 * from drifting from the programs as a hand-kept one did (ddi and mip
 * were missing).  [{"name", "selected"}], by name.
 */
static const char sql_programs[] =
	"SELECT DISTINCT program FROM metrics_requests ORDER BY program";

static cJSON *program_choices(struct app *app, const char *selected)
{
	sqlite3_stmt *st = db_stmt(app->db, sql_programs);
	cJSON *arr = cJSON_CreateArray();

	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddBoolToObject(o, "selected", selected && !strcmp(selected, name));
		cJSON_AddItemToArray(arr, o);
	}
	if (st)
		sqlite3_reset(st);
	return arr;
}

void admin_requests(struct app *app, struct http_req *r, struct http_resp *w)
{
	const struct query *q = &r->query;
	long long next;
	cJSON *rows = admin_request_rows(app, r, &next), *d;
	int i;

	if (!rows) {
		admin_fail(app, r, w, 400, "status must be a code like 404 or a class like 5xx");
		return;
	}
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "rows", rows);
	cJSON_AddItemToObject(d, "programs", program_choices(app, query_get(q, "program")));
	cJSON_AddStringToObject(d, "status", query_get(q, "status") ? query_get(q, "status") : "");
	cJSON_AddStringToObject(d, "q", query_get(q, "q") ? query_get(q, "q") : "");
	cJSON_AddStringToObject(d, "since", query_get(q, "since") ? query_get(q, "since") : "");
	cJSON_AddStringToObject(d, "until", query_get(q, "until") ? query_get(q, "until") : "");
	if (next > 0) {
		/* the next page keeps every filter: rebuild the query string */
		struct buf b;
		buf_init(&b, r->a);
		for (i = 0; i < q->n; i++) {
			if (!strcmp(q->v[i].key, "before"))
				continue;
			buf_printf(&b, "%s=", q->v[i].key);
			buf_add_qenc(&b, q->v[i].val);
			buf_addc(&b, '&');
		}
		buf_printf(&b, "before=%lld", next);
		cJSON_AddStringToObject(d, "next", buf_cstr(&b));
	}
	admin_page(app, r, w, 200, "requests", "Request log", d);
}

void admin_api_requests(struct app *app, struct http_req *r, struct http_resp *w)
{
	long long next;
	cJSON *rows = admin_request_rows(app, r, &next), *o;

	if (!rows) {
		admin_fail(app, r, w, 400, "status must be a code like 404 or a class like 5xx");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "rows", rows);
	if (next > 0)
		cJSON_AddNumberToObject(o, "next_before", (double)next);
	admin_json(w, 200, o);
}
