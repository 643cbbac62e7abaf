/*
 * The request log: filtered by program, status, path substring and time,
 * newest first, paged by id (keyset) so a page costs the same at row
 * 100,000 as at row 1.
 */
#include "admin_ddi.h"	/* admin_id_ok */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROW_COLUMNS \
	"SELECT id, ts_ms, program, method, path, route, status, bytes, dur_us, remote, user_agent," \
	" \"user\""
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
	if (strlen(s) != 3 || strspn(s, "0123456789") != 3)
		return -1;
	*lo = *hi = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	return *lo >= 100 && *lo <= 599 ? 1 : -1;
}

static cJSON *row_json(struct db_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	long long ms = db_column_int64(st, 1);
	time_t t = (time_t)(ms / 1000);
	char when[40] = "";
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	cJSON_AddNumberToObject(o, "id", (double)db_column_int64(st, 0));
	cJSON_AddNumberToObject(o, "ts_ms", (double)ms);
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "program", (const char *)db_column_text(st, 2));
	cJSON_AddStringToObject(o, "method", (const char *)db_column_text(st, 3));
	cJSON_AddStringToObject(o, "path", (const char *)db_column_text(st, 4));
	cJSON_AddStringToObject(o, "route", (const char *)db_column_text(st, 5));
	cJSON_AddNumberToObject(o, "status", db_column_int(st, 6));
	cJSON_AddBoolToObject(o, "error", db_column_int(st, 6) >= 400);
	cJSON_AddNumberToObject(o, "bytes", (double)db_column_int64(st, 7));
	cJSON_AddNumberToObject(o, "ms", (double)db_column_int64(st, 8) / 1000.0);
	cJSON_AddStringToObject(o, "remote", (const char *)db_column_text(st, 9));
	cJSON_AddStringToObject(o, "user_agent", (const char *)db_column_text(st, 10));
	/* the operator who asked (X-Nestbox-User); "" for devices and visitors */
	cJSON_AddStringToObject(o, "user", (const char *)db_column_text(st, 11));
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

/*
 * The rows the declared filters select (before, program, q, since, until,
 * status), newest first, one page; *next the id to continue before, 0 at
 * the end.  NULL with e (NB_INVALID naming the field) when status or
 * before is malformed: they are checked here, not by a validator, so the
 * API answers them in JSON (admin_run) like its other errors.
 */
cJSON *admin_request_rows(struct app *app, struct http_req *r, long long *next,
			  struct nb_err *e)
{
	const char *before = req_str(r, "before"), *prog = req_str(r, "program");
	const char *path = req_str(r, "q");
	long long since = parse_time(req_str(r, "since")), until = parse_time(req_str(r, "until"));
	long per = admin_page_size(app);
	int lo = 0, hi = 0, sf = parse_status(req_str(r, "status"), &lo, &hi), n = 0;
	/* the trigram index is SQLite's FTS5: PostgreSQL filters with instr() alone */
	int fts = path && strlen(path) >= 3 && !db_is_pg(app->db);
	struct db_stmt *st;

	*next = -1;
	if (sf < 0)
		return nb_fail(e, NB_INVALID, "invalid status: a code like 404 or a class like "
			       "5xx"), NULL;
	if (before && (!admin_id_ok(before) || *before == '0'))
		return nb_fail(e, NB_INVALID, "invalid before: a request id"), NULL;
	if (fts)
		index_catch_up(app);
	st = db_stmt(app->db, fts ? sql_rows_fts : sql_rows);
	cJSON *arr;
	long long last = 0;

	*next = 0;
	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the request log is not available"), NULL;
	db_bind_int64(st, 1, before ? strtoll(before, NULL, 10) : (1LL << 62));
	if (prog && *prog)
		db_bind_text(st, 2, prog, -1, DB_STATIC);
	if (sf > 0) {
		db_bind_int(st, 3, lo);
		db_bind_int(st, 4, hi);
	}
	if (path && *path)
		db_bind_text(st, 5, path, -1, DB_STATIC);
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
		db_bind_text(st, 9, buf_cstr(&b), -1, DB_STATIC);
	}
	if (since >= 0)
		db_bind_int64(st, 6, since);
	if (until >= 0)
		db_bind_int64(st, 7, until);
	db_bind_int64(st, 8, per + 1);	/* one more tells whether a next page exists */
	arr = cJSON_CreateArray();
	while (db_step(st) == DB_ROW) {
		if (n++ == per) {
			*next = last;
			break;
		}
		last = db_column_int64(st, 0);
		cJSON_AddItemToArray(arr, row_json(st));
	}
	db_reset(st);
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
	struct db_stmt *st = db_stmt(app->db, sql_programs);
	cJSON *arr = cJSON_CreateArray();

	while (st && db_step(st) == DB_ROW) {
		const char *name = (const char *)db_column_text(st, 0);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddBoolToObject(o, "selected", selected && !strcmp(selected, name));
		cJSON_AddItemToArray(arr, o);
	}
	if (st)
		db_reset(st);
	return arr;
}

/* The query string of the next page: every filter given, and before=next. */
static const char *next_query(struct http_req *r, long long next)
{
	static const char *const keys[] = { "program", "status", "q", "since", "until", NULL };
	struct buf b;
	int i;

	buf_init(&b, r->a);
	for (i = 0; keys[i]; i++) {
		if (!req_has(r, keys[i]))
			continue;
		buf_printf(&b, "%s=", keys[i]);
		buf_add_qenc(&b, req_str(r, keys[i]));
		buf_addc(&b, '&');
	}
	buf_printf(&b, "before=%lld", next);
	return buf_cstr(&b);
}

static void echo(struct http_req *r, cJSON *d, const char *k)
{
	cJSON_AddStringToObject(d, k, req_has(r, k) ? req_str(r, k) : "");
}

int admin_requests_run(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	long long next;
	cJSON *rows = admin_request_rows(app, r, &next, e), *d;

	if (!rows)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "rows", rows);
	cJSON_AddItemToObject(d, "programs", program_choices(app, req_str(r, "program")));
	echo(r, d, "status");
	echo(r, d, "q");
	echo(r, d, "since");
	echo(r, d, "until");
	if (next > 0)
		cJSON_AddStringToObject(d, "next", next_query(r, next));
	admin_page(app, r, w, 200, "requests", "Request log", d);
	return 0;
}

int admin_api_requests_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	long long next;
	cJSON *rows = admin_request_rows(app, r, &next, e), *o;

	if (!rows)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "rows", rows);
	if (next > 0)
		cJSON_AddNumberToObject(o, "next_before", (double)next);
	admin_json(w, 200, o);
	return 0;
}
