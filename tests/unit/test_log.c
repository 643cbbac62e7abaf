/*
 * test_log.c - the /metrics text (log_metrics_render) over a database
 * with the core schema: the exact Prometheus exposition for known
 * counters (HELP/TYPE lines, requests_total per status, cumulative
 * histogram buckets ending in +Inf, _sum in seconds, _count, the
 * request_log_rows gauge), label escaping, an empty store, and counters
 * fed through reqlog agreeing with each other.
 */
#include <sqlite3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/log/log.h"
#include "../../src/log/reqlog.h"
#include "unit_util.h"
#include "unit_store.h"

struct fx {
	char *dir;
	struct db *db;
	struct arena a;
	struct buf b;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = ut_mkdtemp();
	if (ut_store_open(f->dir, 1000, &f->db) < 0)
		return -1;
	arena_init(&f->a);
	buf_init(&f->b, &f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	db_close(f->db);
	arena_free(&f->a);
	ut_rmtree(f->dir);
	free(f);
	return 0;
}

static void exec(struct fx *f, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db_handle(f->db), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static const char *render(struct fx *f)
{
	f->b.len = 0;
	assert_int_equal(log_metrics_render(f->db, &f->b), 0);
	return buf_cstr(&f->b);
}

#define HEAD_COUNTS							\
	"# HELP nestbox_requests_total Requests answered, by program, route and status.\n" \
	"# TYPE nestbox_requests_total counter\n"
#define HEAD_HIST							\
	"# HELP nestbox_request_duration_seconds Time from request to answer.\n" \
	"# TYPE nestbox_request_duration_seconds histogram\n"
#define ROWS(n)								\
	"# HELP nestbox_request_log_rows Rows kept in the request log.\n" \
	"# TYPE nestbox_request_log_rows gauge\n"			\
	"nestbox_request_log_rows " #n "\n"

static void test_empty_store(void **state)
{
	struct fx *f = *state;

	assert_string_equal(render(f), HEAD_COUNTS HEAD_HIST ROWS(0));
}

#define B(p, r) "nestbox_request_duration_seconds_bucket{program=\"" p "\",route=\"" r "\","

static void test_exact_output(void **state)
{
	struct fx *f = *state;

	exec(f, "INSERT INTO metrics_requests VALUES"
		" ('update','/update/:box',200,3,1500),"
		" ('update','/update/:box',404,1,100),"
		" ('list','/list',200,2,2000)");
	exec(f, "INSERT INTO metrics_latency VALUES"
		" ('update','/update/:box',0,2),"
		" ('update','/update/:box',2,1),"
		" ('update','/update/:box',9,1),"
		" ('list','/list',1,2)");
	exec(f, "INSERT INTO request_log(ts_ms,program,method,path,route,status,bytes,"
		"dur_us,remote,user_agent) VALUES (1,'list','GET','/list','/list',200,1,1,'',''),"
		" (2,'list','GET','/list','/list',200,1,1,'','')");

	assert_string_equal(render(f),
		HEAD_COUNTS
		"nestbox_requests_total{program=\"list\",route=\"/list\",status=\"200\"} 2\n"
		"nestbox_requests_total{program=\"update\",route=\"/update/:box\",status=\"200\"} 3\n"
		"nestbox_requests_total{program=\"update\",route=\"/update/:box\",status=\"404\"} 1\n"
		HEAD_HIST
		B("list", "/list") "le=\"0.0005\"} 0\n"
		B("list", "/list") "le=\"0.001\"} 2\n"
		B("list", "/list") "le=\"0.0025\"} 2\n"
		B("list", "/list") "le=\"0.005\"} 2\n"
		B("list", "/list") "le=\"0.01\"} 2\n"
		B("list", "/list") "le=\"0.05\"} 2\n"
		B("list", "/list") "le=\"0.25\"} 2\n"
		B("list", "/list") "le=\"1\"} 2\n"
		B("list", "/list") "le=\"5\"} 2\n"
		B("list", "/list") "le=\"+Inf\"} 2\n"
		"nestbox_request_duration_seconds_sum{program=\"list\",route=\"/list\"} 0.002000\n"
		"nestbox_request_duration_seconds_count{program=\"list\",route=\"/list\"} 2\n"
		B("update", "/update/:box") "le=\"0.0005\"} 2\n"
		B("update", "/update/:box") "le=\"0.001\"} 2\n"
		B("update", "/update/:box") "le=\"0.0025\"} 3\n"
		B("update", "/update/:box") "le=\"0.005\"} 3\n"
		B("update", "/update/:box") "le=\"0.01\"} 3\n"
		B("update", "/update/:box") "le=\"0.05\"} 3\n"
		B("update", "/update/:box") "le=\"0.25\"} 3\n"
		B("update", "/update/:box") "le=\"1\"} 3\n"
		B("update", "/update/:box") "le=\"5\"} 3\n"
		B("update", "/update/:box") "le=\"+Inf\"} 4\n"
		"nestbox_request_duration_seconds_sum{program=\"update\",route=\"/update/:box\"} 0.001600\n"
		"nestbox_request_duration_seconds_count{program=\"update\",route=\"/update/:box\"} 4\n"
		ROWS(2));
}

static void test_label_escaping(void **state)
{
	struct fx *f = *state;
	const char *out;

	exec(f, "INSERT INTO metrics_requests VALUES"
		" ('p', 'a\"b\\c' || char(10) || 'd', 500, 1, 7)");
	exec(f, "INSERT INTO metrics_latency VALUES"
		" ('p', 'a\"b\\c' || char(10) || 'd', 4, 1)");
	out = render(f);
	assert_non_null(strstr(out,
		"nestbox_requests_total{program=\"p\",route=\"a\\\"b\\\\c\\nd\",status=\"500\"} 1\n"));
	assert_non_null(strstr(out,
		"nestbox_request_duration_seconds_count{program=\"p\",route=\"a\\\"b\\\\c\\nd\"} 1\n"));
	assert_non_null(strstr(out,
		"nestbox_request_duration_seconds_sum{program=\"p\",route=\"a\\\"b\\\\c\\nd\"} 0.000007\n"));
	/* no raw newline inside any label */
	assert_null(strstr(out, "a\"b"));
	assert_null(strstr(out, "c\nd"));
}

/* The value after `prefix` in the text, or -1. */
static long long value_of(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);
	long long v;

	if (!p || sscanf(p + strlen(prefix), "%lld", &v) != 1)
		return -1;
	return v;
}

static void test_through_reqlog(void **state)
{
	struct fx *f = *state;
	struct reqlog l;
	static const long durs[] = { 100, 700, 3000, 3000, 60000, 9000000 };
	const char *out;
	size_t i;

	reqlog_init(&l, 256, 1000000, 1000, 0);
	for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		struct reqlog_entry e;
		memset(&e, 0, sizeof(e));
		e.ts_ms = 1;
		strcpy(e.program, "update");
		strcpy(e.method, "GET");
		strcpy(e.route, "/update");
		strcpy(e.path, "/update");
		e.status = i == 5 ? 503 : 200;
		e.dur_us = durs[i];
		reqlog_add(&l, f->db, &e);
	}
	assert_int_equal(reqlog_flush(&l, f->db, NULL), 0);
	out = render(f);
	assert_int_equal(value_of(out, "nestbox_requests_total{program=\"update\",route=\"/update\",status=\"200\"} "), 5);
	assert_int_equal(value_of(out, "nestbox_requests_total{program=\"update\",route=\"/update\",status=\"503\"} "), 1);
	assert_int_equal(value_of(out, B("update", "/update") "le=\"0.0005\"} "), 1);
	assert_int_equal(value_of(out, B("update", "/update") "le=\"0.001\"} "), 2);
	assert_int_equal(value_of(out, B("update", "/update") "le=\"0.005\"} "), 4);
	assert_int_equal(value_of(out, B("update", "/update") "le=\"0.05\"} "), 4);
	assert_int_equal(value_of(out, B("update", "/update") "le=\"0.25\"} "), 5);
	assert_int_equal(value_of(out, B("update", "/update") "le=\"5\"} "), 5);
	assert_int_equal(value_of(out, B("update", "/update") "le=\"+Inf\"} "), 6);
	/* _count equals +Inf equals the sum of requests_total */
	assert_int_equal(value_of(out,
		"nestbox_request_duration_seconds_count{program=\"update\",route=\"/update\"} "), 6);
	assert_non_null(strstr(out,
		"nestbox_request_duration_seconds_sum{program=\"update\",route=\"/update\"} 9.066800\n"));
	assert_non_null(strstr(out, ROWS(6)));
}

static void test_missing_tables_fail(void **state)
{
	struct fx *f = *state;

	exec(f, "DROP TABLE metrics_latency");
	assert_int_equal(log_metrics_render(f->db, &f->b), -1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_empty_store),
		T(test_exact_output),
		T(test_label_escaping),
		T(test_through_reqlog),
		T(test_missing_tables_fail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
