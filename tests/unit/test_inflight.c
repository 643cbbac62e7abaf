/*
 * test_inflight.c - crash accounting (inflight.h): a process that dies in a
 * request is counted once as a 500 of its program and route; one that dies
 * idle, or is still alive, is not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/lib/inflight.h"
#include "unit_util.h"
#include "unit_store.h"

static long long count_500(struct db *db, const char *program, const char *route)
{
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db),
		"SELECT count(*) FROM request_log WHERE program=?1 AND route=?2 AND status=500",
		-1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, route, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A child process that opens its record, maybe begins a request, and then
 * either dies at once (_exit: no clean-up runs) or waits to be killed. */
static pid_t child(const char *dir, const char *program, int busy, int stay)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct inflight f;
		struct reqlog_entry e;

		memset(&e, 0, sizeof(e));
		strcpy(e.method, "POST");
		strcpy(e.route, "/admin/images");
		strcpy(e.path, "/admin/images");
		if (inflight_open(&f, dir, program) < 0)
			_exit(2);
		if (busy)
			inflight_begin(&f, &e);
		if (stay)
			pause();
		_exit(0);
	}
	return pid;
}

static void test_reap_counts_a_busy_dead_process_once(void **state)
{
	char *dir = ut_mkdtemp();
	struct db *db;
	struct reqlog log;
	int status;
	pid_t busy, idle, alive;

	(void)state;
	assert_int_equal(ut_store_open(dir, 1000, &db), 0);
	reqlog_init(&log, "log", 1, 0, 1000, 0);
	busy = child(dir, "admin", 1, 0);
	idle = child(dir, "ddi", 0, 0);
	waitpid(busy, &status, 0);
	waitpid(idle, &status, 0);
	alive = child(dir, "mip", 1, 1);
	/* its record exists before the reap looks */
	for (int i = 0; i < 200; i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/inflight/mip.%ld", dir, (long)alive);
		if (access(p, F_OK) == 0)
			break;
		usleep(10000);
	}
	assert_int_equal(inflight_reap(dir, &log, db), 1);
	assert_int_equal(count_500(db, "admin", "/admin/images"), 1);
	assert_int_equal(count_500(db, "ddi", "/admin/images"), 0);
	assert_int_equal(count_500(db, "mip", "/admin/images"), 0);
	/* claimed once: a second reap finds nothing more */
	assert_int_equal(inflight_reap(dir, &log, db), 0);
	assert_int_equal(count_500(db, "admin", "/admin/images"), 1);
	/* the live one, killed in its request, is counted by the next reap */
	kill(alive, SIGKILL);
	waitpid(alive, &status, 0);
	assert_int_equal(inflight_reap(dir, &log, db), 1);
	assert_int_equal(count_500(db, "mip", "/admin/images"), 1);
	db_close(db);
	ut_rmtree(dir);
}

static void test_clean_exit_leaves_no_record(void **state)
{
	char *dir = ut_mkdtemp();
	struct inflight f;
	struct reqlog_entry e;
	char p[4200];

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(inflight_open(&f, dir, "list"), 0);
	inflight_begin(&f, &e);
	inflight_end(&f);
	snprintf(p, sizeof(p), "%s", f.path);
	assert_int_equal(access(p, F_OK), 0);
	inflight_close(&f);
	assert_int_equal(access(p, F_OK), -1);
	ut_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reap_counts_a_busy_dead_process_once),
		cmocka_unit_test(test_clean_exit_leaves_no_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
