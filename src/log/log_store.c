/* The SQL of the log domain's tables (log_store.h): the request log, the
 * request counters and the hourly counts. */
#include "log_store.h"

#include <assert.h>
#include <string.h>

/* -- writes -------------------------------------------------------------- */

#define INSERT_ROWS \
	"INSERT INTO request_log(ts_ms,program,method,path,route,status,bytes,dur_us," \
	"remote,user_agent,\"user\") VALUES"
#define ROW_VALUES "(?,?,?,?,?,?,?,?,?,?,?)"
#define ROW_PARAMS 11
#define ROWS_4 ROW_VALUES "," ROW_VALUES "," ROW_VALUES "," ROW_VALUES
#define ROWS_16 ROWS_4 "," ROWS_4 "," ROWS_4 "," ROWS_4
/*
 * The rows one INSERT carries when it can: a full buffer (REQLOG_BUF) is
 * whole chunks, and 704 parameters stay under SQLite's old limit of 999.
 */
#define CHUNK_ROWS 64
static const char sql_chunk[] = INSERT_ROWS ROWS_16 "," ROWS_16 "," ROWS_16 "," ROWS_16;
static_assert(sizeof(sql_chunk) == sizeof(INSERT_ROWS) - 1 + CHUNK_ROWS * sizeof(ROW_VALUES),
	      "sql_chunk has CHUNK_ROWS rows of values");
static_assert(REQLOG_BUF % CHUNK_ROWS == 0, "a full buffer is whole chunks");
static const char sql_ins[] = INSERT_ROWS ROW_VALUES;
static const char sql_req[] =
	"INSERT INTO metrics_requests(program,route,status,count,sum_us) VALUES(?,?,?,?,?)"
	" ON CONFLICT(program,route,status) DO UPDATE SET"
	" count=metrics_requests.count+excluded.count,"
	" sum_us=metrics_requests.sum_us+excluded.sum_us";
static const char sql_lat[] =
	"INSERT INTO metrics_latency(program,route,bucket,count) VALUES(?,?,?,?)"
	" ON CONFLICT(program,route,bucket) DO UPDATE SET"
	" count=metrics_latency.count+excluded.count";
static const char sql_hour[] =
	"INSERT INTO requests_hourly(hour,program,count,errors) VALUES(?,?,?,?)"
	" ON CONFLICT(hour,program) DO UPDATE SET"
	" count=requests_hourly.count+excluded.count,"
	" errors=requests_hourly.errors+excluded.errors";
static const char sql_trim_hours[] = "DELETE FROM requests_hourly WHERE hour < ?";
static const char sql_trim[] =
	"DELETE FROM request_log WHERE id <= (SELECT max(id) FROM request_log) - ?";

/* The store failed a write of what: -1 with e NB_UNAVAILABLE naming it
 * and the store's reason (the logger's stderr shows it; no client does). */
static int unwritten(struct db *db, const char *what, struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "%s not written: %s", what, db_errmsg(db));
}

/*
 * Steps a write statement (NULL: it could not be prepared) without
 * waiting for its answer (db_step_later): on PostgreSQL a flush's writes
 * go with its COMMIT, one round trip, where each was one.  0, or
 * unwritten() (on PostgreSQL a write that fails there fails the commit).
 */
static int done(struct db *db, struct db_stmt *st, const char *what, struct nb_err *e)
{
	if (!st || db_step_later(st) != DB_DONE)
		return unwritten(db, what, e);
	return 0;
}

/* Row e's values into st's parameters from 1 + at (its 11 columns). */
static void bind_row(struct db_stmt *st, int at, const struct reqlog_entry *e)
{
	db_bind_int64(st, at + 1, e->ts_ms);
	db_bind_text(st, at + 2, e->program, -1, DB_STATIC);
	db_bind_text(st, at + 3, e->method, -1, DB_STATIC);
	db_bind_text(st, at + 4, e->path, -1, DB_STATIC);
	db_bind_text(st, at + 5, e->route, -1, DB_STATIC);
	db_bind_int(st, at + 6, e->status);
	db_bind_int64(st, at + 7, e->bytes);
	db_bind_int64(st, at + 8, e->dur_us);
	db_bind_text(st, at + 9, e->remote, -1, DB_STATIC);
	db_bind_text(st, at + 10, e->ua, -1, DB_STATIC);
	db_bind_text(st, at + 11, e->user, -1, DB_STATIC);
}

/*
 * Whole chunks of CHUNK_ROWS rows a statement, the rest a row each: the
 * server parses, plans and answers a statement, not a row, each time.
 * The ids follow the order of rows, as one INSERT a row gave them.
 */
int log_store_put_rows(struct db *db, const struct reqlog_entry *const *rows, size_t n,
		       struct nb_err *err)
{
	size_t i = 0;

	while (i < n) {
		int k = n - i >= CHUNK_ROWS ? CHUNK_ROWS : 1;
		struct db_stmt *st = db_stmt(db, k > 1 ? sql_chunk : sql_ins);

		for (int j = 0; st && j < k; j++)
			bind_row(st, j * ROW_PARAMS, rows[i + j]);
		if (done(db, st, "request log row", err) < 0)
			return -1;
		i += k;
	}
	return 0;
}

int log_store_add_requests(struct db *db, const char *program, const char *route,
			   int status, long long count, long long sum_us, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_req);

	if (!st)
		return unwritten(db, "request counter", e);
	db_bind_text(st, 1, program, -1, DB_STATIC);
	db_bind_text(st, 2, route, -1, DB_STATIC);
	db_bind_int(st, 3, status);
	db_bind_int64(st, 4, count);
	db_bind_int64(st, 5, sum_us);
	return done(db, st, "request counter", e);
}

int log_store_add_latency(struct db *db, const char *program, const char *route,
			  int bucket, long long count, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_lat);

	if (!st)
		return unwritten(db, "latency counter", e);
	db_bind_text(st, 1, program, -1, DB_STATIC);
	db_bind_text(st, 2, route, -1, DB_STATIC);
	db_bind_int(st, 3, bucket);
	db_bind_int64(st, 4, count);
	return done(db, st, "latency counter", e);
}

int log_store_add_hour(struct db *db, long long hour, const char *program,
		       long long count, long long errors, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_hour);

	if (!st)
		return unwritten(db, "hourly count", e);
	db_bind_int64(st, 1, hour);
	db_bind_text(st, 2, program, -1, DB_STATIC);
	db_bind_int64(st, 3, count);
	db_bind_int64(st, 4, errors);
	return done(db, st, "hourly count", e);
}

int log_store_trim(struct db *db, long long max_rows, long long min_hour, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_trim);

	if (st)
		db_bind_int64(st, 1, max_rows);
	if (done(db, st, "request log trim", e) < 0)
		return -1;
	if ((st = db_stmt(db, sql_trim_hours)))
		db_bind_int64(st, 1, min_hour);
	return done(db, st, "hourly count trim", e);
}

/* -- reads --------------------------------------------------------------- */

static const char sql_counts[] =
	"SELECT program, route, status, count FROM metrics_requests ORDER BY 1,2,3";
static const char sql_hist[] =
	"SELECT l.program, l.route, l.bucket, l.count, "
	" (SELECT sum(sum_us) FROM metrics_requests m WHERE m.program=l.program AND m.route=l.route)"
	" FROM metrics_latency l ORDER BY 1,2,3";
static const char sql_rows[] = "SELECT count(*) FROM request_log";

static void count_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct log_count *c = p;

	c->program = db_column_dup(a, st, 0);
	c->route = db_column_dup(a, st, 1);
	c->status = db_column_int(st, 2);
	c->count = db_column_int64(st, 3);
}

static void latency_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct log_latency *l = p;

	l->program = db_column_dup(a, st, 0);
	l->route = db_column_dup(a, st, 1);
	l->bucket = db_column_int(st, 2);
	l->count = db_column_int64(st, 3);
	l->sum_us = db_column_int64(st, 4);
}

#define UNREADABLE "the request log cannot be read just now; try again"

/* db_rows for st (NULL when it could not be prepared); *n the count.  0,
 * or -1 with e NB_UNAVAILABLE: a failed step is no shorter list. */
static int read_rows(struct db_stmt *st, struct arena *a, size_t size, db_row_fn *fn,
		     void **out, size_t *n, struct nb_err *e)
{
	int k;

	*out = NULL;
	*n = 0;
	if (!st || (k = db_rows(st, a, size, fn, out)) < 0)
		return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
	*n = (size_t)k;
	return 0;
}

int log_store_counts(struct db *db, struct arena *a, struct log_count **out, size_t *n,
		     struct nb_err *e)
{
	void *v;
	int rc = read_rows(db_stmt(db, sql_counts), a, sizeof(**out), count_row, &v, n, e);

	*out = v;
	return rc;
}

int log_store_latency(struct db *db, struct arena *a, struct log_latency **out, size_t *n,
		      struct nb_err *e)
{
	void *v;
	int rc = read_rows(db_stmt(db, sql_hist), a, sizeof(**out), latency_row, &v, n, e);

	*out = v;
	return rc;
}

int log_store_row_count(struct db *db, long long *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_rows);
	int rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
	rc = db_step(st);
	if (rc == DB_ROW)
		*n = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
}

/* -- the admin's request log --------------------------------------------- */

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
static const char sql_requests_fts[] =
	ROW_COLUMNS " FROM request_log"
	" WHERE id IN (SELECT rowid FROM request_log_path WHERE request_log_path MATCH ?9)"
	"  AND id < ?1" ROW_FILTERS;
static const char sql_requests[] =
	ROW_COLUMNS " FROM request_log WHERE id < ?1" ROW_FILTERS;

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
static void index_catch_up(struct db *db)
{
	if (db_begin(db) < 0)
		return;	/* busy: search what is indexed; instr() keeps it exact */
	if (db_exec(db, sql_catch_up) < 0 || db_exec(db, sql_forget) < 0 || db_commit(db) < 0)
		db_rollback(db);
}

/* One quoted FTS5 string: the trigrams of path, in order. */
static const char *fts_phrase(struct arena *a, const char *path)
{
	struct buf b;

	buf_init(&b, a);
	buf_addc(&b, '"');
	for (const char *c = path; *c; c++) {
		if (*c == '"')
			buf_addc(&b, '"');
		buf_addc(&b, *c);
	}
	buf_addc(&b, '"');
	return buf_cstr(&b);
}

static void bind_filter(struct db_stmt *st, struct arena *a, const struct log_filter *f,
			int fts)
{
	db_bind_int64(st, 1, f->before > 0 ? f->before : (1LL << 62));
	if (f->program && *f->program)
		db_bind_text(st, 2, f->program, -1, DB_STATIC);
	if (f->status_lo > 0) {
		db_bind_int(st, 3, f->status_lo);
		db_bind_int(st, 4, f->status_hi);
	}
	if (f->path && *f->path)
		db_bind_text(st, 5, f->path, -1, DB_STATIC);
	if (fts)
		db_bind_text(st, 9, fts_phrase(a, f->path), -1, DB_STATIC);
	if (f->since_ms >= 0)
		db_bind_int64(st, 6, f->since_ms);
	if (f->until_ms >= 0)
		db_bind_int64(st, 7, f->until_ms);
	db_bind_int64(st, 8, f->limit);
}

static void request_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct log_row *o = p;

	o->id = db_column_int64(st, 0);
	o->ts_ms = db_column_int64(st, 1);
	o->program = db_column_dup(a, st, 2);
	o->method = db_column_dup(a, st, 3);
	o->path = db_column_dup(a, st, 4);
	o->route = db_column_dup(a, st, 5);
	o->status = db_column_int(st, 6);
	o->bytes = db_column_int64(st, 7);
	o->dur_us = db_column_int64(st, 8);
	o->remote = db_column_dup(a, st, 9);
	o->user_agent = db_column_dup(a, st, 10);
	o->user = db_column_dup(a, st, 11);
}

int log_store_requests(struct db *db, struct arena *a, const struct log_filter *f,
		       struct log_row **out, size_t *n, struct nb_err *e)
{
	/* the trigram index is SQLite's FTS5: PostgreSQL filters with instr() alone */
	int fts = f->path && strlen(f->path) >= 3 && !db_is_pg(db), rc;
	struct db_stmt *st;
	void *v;

	if (fts)
		index_catch_up(db);
	st = db_stmt(db, fts ? sql_requests_fts : sql_requests);
	if (st)
		bind_filter(st, a, f, fts);
	rc = read_rows(st, a, sizeof(**out), request_row, &v, n, e);
	*out = v;
	return rc;
}

/*
 * Every program counts its requests in metrics_requests (a row per
 * program, route and status, so the table stays small): the programs
 * that answered are read there rather than from a hand-kept list.
 */
static const char sql_programs[] =
	"SELECT DISTINCT program FROM metrics_requests ORDER BY program";

static void program_row(struct arena *a, struct db_stmt *st, void *p)
{
	*(const char **)p = db_column_dup(a, st, 0);
}

int log_store_programs(struct db *db, struct arena *a, const char ***out, size_t *n,
		       struct nb_err *e)
{
	void *v;
	int rc = read_rows(db_stmt(db, sql_programs), a, sizeof(**out), program_row, &v, n, e);

	*out = v;
	return rc;
}

static const char sql_hours[] =
	"SELECT hour, sum(count), sum(errors) FROM requests_hourly WHERE hour > ?"
	" GROUP BY hour ORDER BY hour";

static void hour_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct log_hour *h = p;

	(void)a;
	h->hour = db_column_int64(st, 0);
	h->count = db_column_int64(st, 1);
	h->errors = db_column_int64(st, 2);
}

int log_store_hours(struct db *db, struct arena *a, long long after_hour,
		    struct log_hour **out, size_t *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_hours);
	void *v;
	int rc;

	if (st)
		db_bind_int64(st, 1, after_hour);
	rc = read_rows(st, a, sizeof(**out), hour_row, &v, n, e);
	*out = v;
	return rc;
}
