/*
 * The dashboard's queries on the request log (log_dashboard.h): an index
 * walk of the hourly sums and of the newest log rows, a few dozen rows
 * whatever the log's size.
 */
#include "log_dashboard.h"

static const char sql_hours[] =
	"SELECT hour, sum(count), sum(errors) FROM requests_hourly WHERE hour > ?"
	" GROUP BY hour ORDER BY hour";
static const char sql_recent[] =
	"SELECT ts_ms, program, method, path, status FROM request_log ORDER BY id DESC LIMIT ?";

/* The end of a read: -1 with e unless the statement ran to its end or was stopped. */
static int read_end(struct db_stmt *st, int rc, struct nb_err *e)
{
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return nb_fail(e, NB_UNAVAILABLE, "the request log cannot be read");
	return 0;
}

int log_hours(struct db *db, long long since, struct log_hour *out, int max, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_hours);
	int n = 0, rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the request log cannot be read");
	db_bind_int64(st, 1, since);
	while (n < max && (rc = db_step(st)) == DB_ROW) {
		out[n].hour = db_column_int64(st, 0);
		out[n].count = db_column_int64(st, 1);
		out[n++].errors = db_column_int64(st, 2);
	}
	if (n == max)
		rc = DB_ROW;
	return read_end(st, rc, e) < 0 ? -1 : n;
}

/* A column's text in a ("" for SQL NULL): it must outlive db_reset. */
static const char *col(struct arena *a, struct db_stmt *st, int i)
{
	const char *v = (const char *)db_column_text(st, i);

	return v ? arena_strndup(a, v, (size_t)db_column_bytes(st, i)) : "";
}

int log_recent(struct db *db, struct arena *a, struct log_request *out, int max,
	       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_recent);
	int n = 0, rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the request log cannot be read");
	db_bind_int(st, 1, max);
	while ((rc = db_step(st)) == DB_ROW && n < max) {
		out[n].ts_ms = db_column_int64(st, 0);
		out[n].program = col(a, st, 1);
		out[n].method = col(a, st, 2);
		out[n].path = col(a, st, 3);
		out[n++].status = db_column_int(st, 4);
	}
	return read_end(st, rc, e) < 0 ? -1 : n;
}
