/*
 * test_reqlog.c - the request log against a database opened with the
 * core schema: reqlog_bucket at every boundary, reqlog_init clamping,
 * buffering until flush_every, explicit and time-due flushes, the rows
 * and the metrics_requests / metrics_latency counters written, max_rows
 * trimming to the newest N rows, and a failed flush keeping the rows.
 * Times are given explicitly so nothing depends on the clock.
 */
#include <sqlite3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/log/reqlog.h"
#include "unit_util.h"
#include "unit_store.h"

static struct reqlog_entry entry(const char *route, const char *path, int status, long dur_us)
{
	struct reqlog_entry e;

	memset(&e, 0, sizeof(e));
	e.ts_ms = 1000;
	snprintf(e.program, sizeof(e.program), "update");
	snprintf(e.method, sizeof(e.method), "GET");
	snprintf(e.route, sizeof(e.route), "%s", route);
	snprintf(e.path, sizeof(e.path), "%s", path);
	e.status = status;
	e.bytes = 123;
	e.dur_us = dur_us;
	snprintf(e.remote, sizeof(e.remote), "192.0.2.1");
	snprintf(e.ua, sizeof(e.ua), "unit/1.0");
	return e;
}

static void test_bucket_boundaries(void **state)
{
	static const struct { long us; int b; } v[] = {
		{ LONG_MIN, 0 }, { -1, 0 }, { 0, 0 }, { 500, 0 }, { 501, 1 },
		{ 1000, 1 }, { 1001, 2 }, { 2500, 2 }, { 2501, 3 },
		{ 5000, 3 }, { 5001, 4 }, { 10000, 4 }, { 10001, 5 },
		{ 50000, 5 }, { 50001, 6 }, { 250000, 6 }, { 250001, 7 },
		{ 1000000, 7 }, { 1000001, 8 }, { 5000000, 8 }, { 5000001, 9 },
		{ LONG_MAX, 9 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (reqlog_bucket(v[i].us) != v[i].b)
			fail_msg("reqlog_bucket(%ld) = %d, want %d", v[i].us,
				 reqlog_bucket(v[i].us), v[i].b);
	assert_true(reqlog_bucket_le[REQLOG_NBUCKETS - 1] < 0);	/* +Inf */
}

static void test_init_clamps(void **state)
{
	struct reqlog l;

	(void)state;
	reqlog_init(&l, 0, 10, 5, 0);
	assert_int_equal(l.flush_every, 1);
	reqlog_init(&l, -3, 10, 5, 0);
	assert_int_equal(l.flush_every, 1);
	reqlog_init(&l, 100000, 10, 5, 0);
	assert_int_equal(l.flush_every, REQLOG_BUF);
	reqlog_init(&l, 64, 1000, 77, 1);
	assert_int_equal(l.flush_every, 64);
	assert_int_equal(l.flush_ms, 1000);
	assert_int_equal(l.max_rows, 77);
	assert_int_equal(l.to_stderr, 1);
	assert_int_equal(l.n, 0);
}

static void test_buffered_until_flush(void **state)
{
	struct ut_db *f = *state;
	struct reqlog l;
	struct reqlog_entry e1 = entry("/a", "/a", 200, 100);
	struct reqlog_entry e2 = entry("/a", "/a?x", 200, 300);
	struct reqlog_entry e3 = entry("/a", "/a/missing", 404, 50);
	sqlite3_stmt *st;

	reqlog_init(&l, 100, 1000000, 1000, 0);
	reqlog_add(&l, f->db, &e1);
	reqlog_add(&l, f->db, &e2);
	reqlog_add(&l, f->db, &e3);
	assert_int_equal(l.n, 3);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 0);

	assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 3);

	/* the row's fields */
	assert_int_equal(sqlite3_prepare_v2(db_handle(f->db),
		"SELECT ts_ms, program, method, path, route, status, bytes, dur_us, remote,"
		" user_agent FROM request_log ORDER BY id LIMIT 1", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 1000);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "update");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "GET");
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "/a");
	assert_string_equal((const char *)sqlite3_column_text(st, 4), "/a");
	assert_int_equal(sqlite3_column_int(st, 5), 200);
	assert_int_equal(sqlite3_column_int64(st, 6), 123);
	assert_int_equal(sqlite3_column_int64(st, 7), 100);
	assert_string_equal((const char *)sqlite3_column_text(st, 8), "192.0.2.1");
	assert_string_equal((const char *)sqlite3_column_text(st, 9), "unit/1.0");
	sqlite3_finalize(st);

	/* an empty flush is a no-op */
	assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 3);
}

static void test_metrics_counts(void **state)
{
	struct ut_db *f = *state;
	struct reqlog l;
	struct reqlog_entry e[] = {
		entry("/a", "/a", 200, 100), entry("/a", "/a", 200, 300),
		entry("/a", "/a", 404, 50), entry("/b", "/b", 200, 2000000),
	};
	size_t i;

	reqlog_init(&l, 100, 1000000, 1000, 0);
	for (i = 0; i < 4; i++)
		reqlog_add(&l, f->db, &e[i]);
	assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);
	/* a second batch adds to the same counters */
	reqlog_add(&l, f->db, &e[0]);
	assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);

	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM metrics_requests"), 3);
	assert_int_equal(ut_q1(f->db, "SELECT count FROM metrics_requests"
			 " WHERE program='update' AND route='/a' AND status=200"), 3);
	assert_int_equal(ut_q1(f->db, "SELECT sum_us FROM metrics_requests"
			 " WHERE program='update' AND route='/a' AND status=200"), 500);
	assert_int_equal(ut_q1(f->db, "SELECT count FROM metrics_requests"
			 " WHERE route='/a' AND status=404"), 1);
	assert_int_equal(ut_q1(f->db, "SELECT sum_us FROM metrics_requests"
			 " WHERE route='/b' AND status=200"), 2000000);
	/* latency buckets: /a all in bucket 0, /b in bucket 8 */
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM metrics_latency"), 2);
	assert_int_equal(ut_q1(f->db, "SELECT count FROM metrics_latency"
			 " WHERE route='/a' AND bucket=0"), 4);
	assert_int_equal(ut_q1(f->db, "SELECT count FROM metrics_latency"
			 " WHERE route='/b' AND bucket=8"), 1);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 5);
}

static void test_flush_every(void **state)
{
	struct ut_db *f = *state;
	struct reqlog l;
	struct reqlog_entry e = entry("/a", "/a", 200, 1);

	reqlog_init(&l, 2, 1000000, 1000, 0);
	reqlog_add(&l, f->db, &e);
	assert_int_equal(l.n, 1);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 0);
	reqlog_add(&l, f->db, &e);
	assert_int_equal(l.n, 0);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 2);
	reqlog_add(&l, f->db, &e);
	assert_int_equal(l.n, 1);
}

static void test_flush_due_by_time(void **state)
{
	struct ut_db *f = *state;
	struct reqlog l;
	struct reqlog_entry e = entry("/a", "/a", 200, 1);

	reqlog_init(&l, 100, 1000, 1000, 0);
	/* a row that comes long after the last flush */
	assert_int_equal(reqlog_due(&l, clock_now_ms()), 0);
	l.last_flush_ms -= 5000;
	assert_int_equal(reqlog_due(&l, clock_now_ms()), 0);	/* nothing waits */
	reqlog_add(&l, f->db, &e);
	assert_int_equal(l.n, 0);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 1);
}

/* One logger buffers every program's rows: counters stay per program. */
static void test_programs_kept_apart(void **state)
{
	struct ut_db *f = *state;
	struct reqlog l;
	struct reqlog_entry a = entry("/a", "/a", 200, 10), b = entry("/a", "/a", 200, 20);

	snprintf(b.program, sizeof(b.program), "list");
	a.ts_ms = b.ts_ms = clock_now_ms();	/* hourly counts older than 31 days go */
	reqlog_init(&l, 100, 1000000, 1000, 0);
	reqlog_add(&l, f->db, &a);
	reqlog_add(&l, f->db, &b);
	reqlog_add(&l, f->db, &b);
	assert_int_equal(reqlog_due(&l, l.last_flush_ms + 1000000), 1);
	assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);
	assert_int_equal(ut_q1(f->db, "SELECT count FROM metrics_requests WHERE program='update'"), 1);
	assert_int_equal(ut_q1(f->db, "SELECT count FROM metrics_requests WHERE program='list'"), 2);
	assert_int_equal(ut_q1(f->db, "SELECT sum_us FROM metrics_requests WHERE program='list'"), 40);
	assert_int_equal(ut_q1(f->db, "SELECT count FROM requests_hourly WHERE program='list'"), 2);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log WHERE program='list'"), 2);
}

static void test_max_rows_trims_oldest(void **state)
{
	struct ut_db *f = *state;
	struct reqlog l;
	char path[32];
	int i;

	reqlog_init(&l, 100, 1000000, 5, 0);
	for (i = 0; i < 12; i++) {
		struct reqlog_entry e;
		snprintf(path, sizeof(path), "/p%d", i);
		e = entry("/p", path, 200, 1);
		reqlog_add(&l, f->db, &e);
		if (i == 3)	/* two batches: trimming holds across flushes */
			assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);
	}
	assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 5);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"
			 " WHERE path IN ('/p7','/p8','/p9','/p10','/p11')"), 5);
	/* the counters are not trimmed */
	assert_int_equal(ut_q1(f->db, "SELECT count FROM metrics_requests WHERE route='/p'"), 12);
}

static void test_max_rows_at_most_n_with_more_per_batch(void **state)
{
	struct ut_db *f = *state;
	struct reqlog l;
	struct reqlog_entry e = entry("/a", "/a", 200, 1);
	int i;

	reqlog_init(&l, 256, 1000000, 3, 0);
	for (i = 0; i < 50; i++)
		reqlog_add(&l, f->db, &e);
	assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 3);
}

static void test_failed_flush_keeps_rows(void **state)
{
	struct ut_db *f = *state;
	struct reqlog l;
	struct reqlog_entry e = entry("/a", "/a", 200, 1);
	struct nb_err err;

	reqlog_init(&l, 100, 1000000, 1000, 0);
	reqlog_add(&l, f->db, &e);
	reqlog_add(&l, f->db, &e);

	assert_int_equal(db_exec(f->db, "DROP TABLE metrics_latency"), 0);
	assert_int_equal(reqlog_flush(&l, f->db, &err), -1);
	/* the error value says what was not written, and why */
	assert_int_equal(err.kind, NB_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "request log not written (2 rows): latency counter"));
	assert_non_null(strstr(err.msg, "metrics_latency"));
	assert_int_equal(l.n, 2);
	/* rolled back: not even the request_log rows went in */
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), 0);
	assert_int_equal(sqlite3_get_autocommit(db_handle(f->db)), 1);
}

/*
 * A full buffer whose flush fails keeps its rows (the access-log pump
 * retries until the store is free); only reqlog_add, which cannot wait,
 * drops a full buffer to stay bounded.
 */
static void test_failed_flush_of_full_buffer_keeps_rows(void **state)
{
	struct ut_db *f = *state;
	struct reqlog l;
	struct reqlog_entry e = entry("/a", "/a", 200, 1);
	int i;

	reqlog_init(&l, REQLOG_BUF, 1000000, 100000, 0);
	assert_int_equal(db_exec(f->db, "ALTER TABLE metrics_latency RENAME TO ml_away"), 0);
	for (i = 0; i < REQLOG_BUF; i++)
		reqlog_add(&l, f->db, &e);
	assert_int_equal(l.n, REQLOG_BUF);
	assert_int_equal(reqlog_flush(&l, f->db, NULL), -1);
	assert_int_equal(l.n, REQLOG_BUF);
	assert_int_equal(db_exec(f->db, "ALTER TABLE ml_away RENAME TO metrics_latency"), 0);
	assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);
	assert_int_equal(ut_q1(f->db, "SELECT count(*) FROM request_log"), REQLOG_BUF);
}

static void test_null_db_keeps_buffer(void **state)
{
	struct reqlog l;
	struct reqlog_entry e = entry("/a", "/a", 200, 1);

	(void)state;
	reqlog_init(&l, 100, 1000000, 1000, 0);
	reqlog_add(&l, NULL, &e);
	assert_int_equal(reqlog_flush(&l, NULL, NULL), 0);
	assert_int_equal(l.n, 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_db_setup, ut_db_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_boundaries),
		cmocka_unit_test(test_init_clamps),
		T(test_buffered_until_flush),
		T(test_metrics_counts),
		T(test_flush_every),
		T(test_flush_due_by_time),
		T(test_programs_kept_apart),
		T(test_max_rows_trims_oldest),
		T(test_max_rows_at_most_n_with_more_per_batch),
		T(test_failed_flush_keeps_rows),
		T(test_failed_flush_of_full_buffer_keeps_rows),
		cmocka_unit_test(test_null_db_keeps_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
