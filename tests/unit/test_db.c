/*
 * test_db.c - the SQLite handle in a temporary directory: migration steps
 * applied in order and recorded in user_version, re-opening (idempotent,
 * and applying only new steps), refusing a newer schema, a failing step
 * rolled back whole, WAL mode, the statement cache (same statement for
 * the same SQL address, reset and unbound on reuse), and transactions
 * (begin/commit/rollback as seen from a second connection), and the busy
 * handler (a writer waits for the lock while it is held, and no longer
 * than its busy timeout).
 */
#include <sqlite3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/lib/db.h"
#include "../../src/lib/arena.h"
#include "unit_util.h"

struct fx {
	struct ut_dir d;	/* first: ut_dir_teardown removes and frees the whole */
	char path[PATH_MAX];
	struct nb_err err;
};

static const char *const steps[] = {
	"CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);",
	"INSERT INTO t(a, b) VALUES(1, 'one'); CREATE TABLE u(x TEXT NOT NULL);",
	"INSERT INTO t(a, b) VALUES(2, 'two');",
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->d.dir = ut_mkdtemp();
	snprintf(f->path, sizeof(f->path), "%s/test.db", f->d.dir);
	*state = f;
	return 0;
}

static struct db *open_ok(struct fx *f, int nsteps)
{
	struct db *db = NULL;

	nb_err_clear(&f->err);
	if (db_open(f->path, 1000, steps, nsteps, &db, &f->err) != 0)
		fail_msg("db_open: %s", f->err.msg);
	assert_non_null(db);
	return db;
}

/* One integer from a query, through a plain connection of our own. */
static long long scalar(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -999;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static long long count_rows(struct db *db)
{
	return scalar(db_handle(db), "SELECT count(*) FROM t");
}

static void test_fresh_open_applies_all_steps(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 2);
	sqlite3_stmt *st;

	assert_int_equal(db_version(db), 2);
	assert_int_equal(scalar(db_handle(db), "PRAGMA user_version"), 2);
	assert_int_equal(count_rows(db), 1);
	assert_int_equal(scalar(db_handle(db),
				"SELECT count(*) FROM sqlite_master WHERE name='u'"), 1);
	assert_int_equal(sqlite3_prepare_v2(db_handle(db), "PRAGMA journal_mode", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(scalar(db_handle(db), "PRAGMA foreign_keys"), 1);
	db_close(db);
}

static void test_reopen_is_idempotent(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 2);

	db_close(db);
	db = open_ok(f, 2);
	assert_int_equal(db_version(db), 2);
	/* step 2's INSERT did not run again */
	assert_int_equal(count_rows(db), 1);
	db_close(db);
}

static void test_reopen_applies_only_new_steps(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 1);

	assert_int_equal(db_version(db), 1);
	assert_int_equal(count_rows(db), 0);
	db_close(db);
	db = open_ok(f, 3);
	assert_int_equal(db_version(db), 3);
	assert_int_equal(count_rows(db), 2);
	db_close(db);
}

static void test_newer_schema_is_refused(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 3);

	db_close(db);
	db = (struct db *)f;	/* must be reset to NULL */
	assert_int_equal(db_open(f->path, 1000, steps, 2, &db, &f->err), -1);
	assert_null(db);
	assert_string_equal(f->err.msg, "database schema 3 is newer than this program (2)");
	assert_int_equal(f->err.kind, NB_INTERNAL);
	/* and nothing was changed */
	db = open_ok(f, 3);
	assert_int_equal(db_version(db), 3);
	assert_int_equal(count_rows(db), 2);
	db_close(db);
}

static void test_failing_step_rolls_back_everything(void **state)
{
	static const char *const bad[] = {
		"CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);",
		"INSERT INTO no_such_table VALUES(1);",
	};
	struct fx *f = *state;
	struct db *db = (struct db *)f;

	assert_int_equal(db_open(f->path, 1000, bad, 2, &db, &f->err), -1);
	assert_null(db);
	assert_int_equal(strncmp(f->err.msg, "schema step 2: ", 15), 0);
	assert_non_null(strstr(f->err.msg, "no_such_table"));
	/* step 1 went with it: the good steps start again from 0 */
	db = open_ok(f, 0);
	assert_int_equal(db_version(db), 0);
	assert_int_equal(scalar(db_handle(db),
				"SELECT count(*) FROM sqlite_master WHERE name='t'"), 0);
	db_close(db);
}

static void test_open_in_missing_dir_fails(void **state)
{
	struct fx *f = *state;
	struct db *db = (struct db *)f;
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/missing/x.db", f->d.dir);
	assert_int_equal(db_open(path, 1000, steps, 1, &db, &f->err), -1);
	assert_null(db);
	assert_int_equal(strncmp(f->err.msg, path, strlen(path)), 0);
}

static const char sql_sel[] = "SELECT b FROM t ORDER BY a";
static const char sql_sel_copy[] = "SELECT b FROM t ORDER BY a";
static const char sql_param[] = "SELECT ?1";

static void test_stmt_cache_same_stmt(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 3);
	struct db_stmt *a, *b, *c;

	a = db_stmt(db, sql_sel);
	assert_non_null(a);
	b = db_stmt(db, sql_sel);
	assert_ptr_equal(a, b);
	/* keyed by address: equal text elsewhere is another statement */
	c = db_stmt(db, sql_sel_copy);
	assert_non_null(c);
	assert_ptr_not_equal(a, c);
	assert_ptr_equal(db_stmt(db, sql_sel_copy), c);
	db_close(db);
}

static void test_stmt_cache_resets_and_unbinds(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 3);
	struct db_stmt *st;

	st = db_stmt(db, sql_sel);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal((const char *)db_column_text(st, 0), "one");
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal((const char *)db_column_text(st, 0), "two");
	/* mid-iteration: the next db_stmt starts over */
	st = db_stmt(db, sql_sel);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal((const char *)db_column_text(st, 0), "one");

	st = db_stmt(db, sql_param);
	db_bind_int(st, 1, 42);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_int(st, 0), 42);
	st = db_stmt(db, sql_param);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_type(st, 0), DB_NULL);
	db_close(db);
}

/* Text columns copied out: into the arena, into a buffer cut to fit, "" for NULL. */
static void test_column_dup_and_copy(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 3);
	struct db_stmt *st;
	struct arena a;
	const char *one;
	char buf[3];

	arena_init(&a);
	st = db_stmt(db, sql_sel);
	assert_int_equal(db_step(st), DB_ROW);
	one = db_column_dup(&a, st, 0);
	db_column_copy(st, 0, buf, sizeof(buf));
	assert_string_equal(buf, "on");
	db_column_copy(st, 0, buf, 1);
	assert_string_equal(buf, "");
	db_reset(st);
	/* the copy outlives the statement's reset */
	assert_string_equal(one, "one");
	st = db_stmt(db, sql_param);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_column_dup(&a, st, 0), "");
	db_column_copy(st, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	db_reset(st);
	arena_free(&a);
	db_close(db);
}

struct pair {
	long long a;
	const char *b;
};

static void pair_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct pair *r = p;

	r->a = db_column_int64(st, 0);
	r->b = db_column_dup(a, st, 1);
}

/* db_rows: every row into an arena array, none as NULL, a failed step as -1. */
static void test_rows(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 3);
	struct db_stmt *st;
	struct arena a;
	struct pair *v;
	void *out;
	int i;

	arena_init(&a);
	assert_int_equal(db_exec(db, "CREATE TABLE many(a INTEGER, b TEXT)"), 0);
	for (i = 0; i < 40; i++) {
		st = db_stmt(db, "INSERT INTO many VALUES (?, 'row')");
		db_bind_int(st, 1, i);
		assert_int_equal(db_step(st), DB_DONE);
	}
	st = db_stmt(db, "SELECT a, b FROM many ORDER BY a");
	assert_int_equal(db_rows(st, &a, sizeof(*v), pair_row, &out), 40);
	v = out;
	for (i = 0; i < 40; i++) {
		assert_int_equal(v[i].a, i);
		assert_string_equal(v[i].b, "row");
	}
	st = db_stmt(db, "SELECT a, b FROM t WHERE a > 99");
	assert_int_equal(db_rows(st, &a, sizeof(*v), pair_row, &out), 0);
	assert_null(out);
	/* a step that fails part-way: abs() of the smallest integer on the second row */
	st = db_stmt(db, "SELECT a, CASE WHEN a < 2 THEN b ELSE abs(-9223372036854775806 - a) END"
		     " FROM t ORDER BY a");
	assert_int_equal(db_rows(st, &a, sizeof(*v), pair_row, &out), -1);
	assert_non_null(out);
	assert_string_equal(((struct pair *)out)[0].b, "one");
	arena_free(&a);
	db_close(db);
}

static void test_stmt_bad_sql(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 1);

	assert_null(db_stmt(db, "SELECT FROM WHERE"));
	assert_int_equal(db_exec(db, "SELEC 1"), -1);
	db_close(db);
}

static void test_exec(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 2);

	assert_int_equal(db_exec(db, "INSERT INTO t(a, b) VALUES(10, 'ten')"), 0);
	assert_int_equal(count_rows(db), 2);
	/* a constraint violation */
	assert_int_equal(db_exec(db, "INSERT INTO t(a, b) VALUES(10, 'again')"), -1);
	assert_int_equal(db_exec(db, "INSERT INTO u(x) VALUES(NULL)"), -1);
	assert_non_null(strstr(db_errmsg(db), "NOT NULL"));
	assert_int_equal(count_rows(db), 2);
	db_close(db);
}

static void test_commit_is_visible_to_others(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 2), *other = open_ok(f, 2);

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_exec(db, "INSERT INTO t(a, b) VALUES(5, 'five')"), 0);
	/* not yet visible to another connection */
	assert_int_equal(count_rows(other), 1);
	assert_int_equal(count_rows(db), 2);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(count_rows(other), 2);
	assert_int_equal(sqlite3_get_autocommit(db_handle(db)), 1);
	db_close(other);
	db_close(db);
}

static void test_rollback_discards(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 2);

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(sqlite3_get_autocommit(db_handle(db)), 0);
	assert_int_equal(db_exec(db, "INSERT INTO t(a, b) VALUES(6, 'six')"), 0);
	assert_int_equal(count_rows(db), 2);
	db_rollback(db);
	assert_int_equal(sqlite3_get_autocommit(db_handle(db)), 1);
	assert_int_equal(count_rows(db), 1);
	/* rollback outside a transaction is harmless */
	db_rollback(db);
	assert_int_equal(count_rows(db), 1);
	db_close(db);
}

/* How many statements of the connection have the text sql, and how many
 * times the last of them ran (sqlite3_next_stmt walks every prepared one). */
static int prepared(struct db *db, const char *sql, int *runs)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	while ((st = sqlite3_next_stmt(db_handle(db), st)) != NULL)
		if (!strcmp(sqlite3_sql(st), sql)) {
			n++;
			*runs = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_RUN, 0);
		}
	return n;
}

/*
 * A transaction's BEGIN IMMEDIATE and COMMIT are kept prepared like every
 * statement: compiled once per connection, not once per transaction (each
 * DDI feedback is one), and a read's end shares the COMMIT.
 */
static void test_transactions_kept_prepared(void **state)
{
	struct fx *f = *state;
	struct db *db;
	int i, begins = 0, commits = 0;

	db_close(open_ok(f, 2));	/* migrated: the next open runs no transaction */
	db = open_ok(f, 2);
	for (i = 0; i < 3; i++) {
		assert_int_equal(db_begin(db), 0);
		assert_int_equal(db_exec(db, "INSERT INTO u(x) VALUES('x')"), 0);
		assert_int_equal(db_commit(db), 0);
	}
	assert_int_equal(db_read_begin(db), 0);
	assert_int_equal(count_rows(db), 1);
	assert_int_equal(db_read_end(db), 0);
	assert_int_equal(prepared(db, "BEGIN IMMEDIATE", &begins), 1);
	assert_int_equal(prepared(db, "COMMIT", &commits), 1);
	assert_int_equal(begins, 3);
	assert_int_equal(commits, 4);
	assert_int_equal(scalar(db_handle(db), "SELECT count(*) FROM u"), 3);
	db_close(db);
}

/* other's BEGIN is refused while db holds the write lock (other's busy
 * timeout passes first) and goes through once db rolled back; closes both. */
static void refused_while_locked(struct db *db, struct db *other)
{
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_begin(other), -1);
	db_rollback(db);
	assert_int_equal(db_begin(other), 0);
	assert_int_equal(db_commit(other), 0);
	db_close(other);
	db_close(db);
}

static void test_transaction_misuse(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 2), *other = open_ok(f, 2);

	/* COMMIT without BEGIN */
	assert_int_equal(db_commit(db), -1);
	assert_int_equal(db_begin(db), 0);
	/* nested BEGIN */
	assert_int_equal(db_begin(db), -1);
	db_rollback(db);
	/* a second writer is refused once its busy timeout has passed */
	sqlite3_busy_timeout(db_handle(other), 0);
	refused_while_locked(db, other);
}

/* db_open with the given busy timeout */
static struct db *open_busy(struct fx *f, int busy_ms)
{
	struct db *db = NULL;

	nb_err_clear(&f->err);
	if (db_open(f->path, busy_ms, steps, 2, &db, &f->err) != 0)
		fail_msg("db_open: %s", f->err.msg);
	return db;
}

/*
 * A writer waits while another process holds the write lock and gets it
 * when that one commits: the child takes the lock, says so through the
 * pipe, holds it 300 ms (many of the handler's short sleeps, then its
 * longer ones) and commits; the parent's db_begin (busy timeout 60 s,
 * never reached) must succeed and see the child's row.
 */
static void test_busy_waits_for_the_lock(void **state)
{
	struct fx *f = *state;
	struct db *db = open_busy(f, 60000);
	int p[2], st;
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct db *w = open_busy(f, 1000);
		int ok = db_begin(w) == 0 && db_exec(w, "INSERT INTO u(x) VALUES('child')") == 0;

		if (write(p[1], ok ? "1" : "0", 1) != 1)
			_exit(2);
		usleep(300000);
		_exit(ok && db_commit(w) == 0 ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(c, '1');
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_exec(db, "INSERT INTO u(x) VALUES('parent')"), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(scalar(db_handle(db), "SELECT count(*) FROM u WHERE x IN ('child', 'parent')"), 2);
	db_close(db);
}

/*
 * A writer gives up once its busy timeout has passed (200 ms here) while
 * the lock stays held: db_begin returns -1 instead of waiting for ever.
 */
static void test_busy_gives_up_after_timeout(void **state)
{
	struct fx *f = *state;
	struct db *db = open_busy(f, 1000), *other = open_busy(f, 200);

	refused_while_locked(db, other);
}

/* Is a statement with this SQL text alive on the connection and stepping? */
static int busy_alive(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st = NULL;

	while ((st = sqlite3_next_stmt(h, st)) != NULL)
		if (!strcmp(sqlite3_sql(st), sql) && sqlite3_stmt_busy(st))
			return 1;
	return 0;
}

/*
 * A full statement cache must never finalize a statement being stepped
 * (issue 11 §9: slot 0 was finalized, whatever it was doing).  One
 * statement is left mid-way while more distinct statements than the cache
 * holds are prepared; it must still be alive and give its second row.
 */
static void test_stmt_cache_full_keeps_busy(void **state)
{
	enum { N = DB_STMT_CACHE + 16 };
	static char sql[N][32];
	struct fx *f = *state;
	struct db *db = open_ok(f, 3);
	struct db_stmt *busy = db_stmt(db, sql_sel), *st;
	int i;

	assert_int_equal(db_step(busy), DB_ROW);
	assert_string_equal((const char *)db_column_text(busy, 0), "one");
	for (i = 0; i < N; i++) {
		snprintf(sql[i], sizeof(sql[i]), "SELECT %d", i);
		st = db_stmt(db, sql[i]);
		assert_non_null(st);
		assert_int_equal(db_step(st), DB_ROW);
		assert_int_equal(db_column_int(st, 0), i);
		db_reset(st);
	}
	assert_true(busy_alive(db_handle(db), sql_sel));
	assert_int_equal(db_step(busy), DB_ROW);
	assert_string_equal((const char *)db_column_text(busy, 0), "two");
	assert_int_equal(db_step(busy), DB_DONE);
	db_close(db);
}

/* nb_lower(s) through the store's own statement; its bytes into out. */
static int lowered(struct db *db, const char *s, int n, char *out, size_t cap)
{
	static const char sql[] = "SELECT nb_lower(?)";
	struct db_stmt *st = db_stmt(db, sql);
	int len = -1;

	assert_non_null(st);
	if (s)
		db_bind_text(st, 1, s, n, DB_TRANSIENT);
	assert_int_equal(db_step(st), DB_ROW);
	if (db_column_text(st, 0)) {
		len = db_column_bytes(st, 0);
		assert_true((size_t)len < cap);
		memcpy(out, db_column_text(st, 0), (size_t)len);
		out[len] = '\0';
	}
	db_reset(st);
	return len;
}

/* nb_lower folds by Unicode's simple mapping, where lower() folds ASCII
 * (issue 14: "ÄPFEL" did not find "äpfel"); a lowered letter may grow
 * (U+023A, 2 bytes, is U+2C65, 3); bytes that are not UTF-8 are kept. */
static void test_nb_lower(void **state)
{
	struct fx *f = *state;
	struct db *db = open_ok(f, 1);
	char out[64];

	assert_int_equal(lowered(db, "ÄPFEL äpfel ABC", -1, out, sizeof(out)), 17);
	assert_string_equal(out, "äpfel äpfel abc");
	assert_int_equal(lowered(db, "ΑΘΉΝΑ", -1, out, sizeof(out)), 10);
	assert_string_equal(out, "αθήνα");
	assert_int_equal(lowered(db, "\xC8\xBA\xC8\xBA", -1, out, sizeof(out)), 6);
	assert_string_equal(out, "\xE2\xB1\xA5\xE2\xB1\xA5");
	assert_int_equal(lowered(db, "A\xFF\xC3Z\xED\xA0\x80", -1, out, sizeof(out)), 7);
	assert_memory_equal(out, "a\xFF\xC3z\xED\xA0\x80", 7);
	assert_int_equal(lowered(db, "", -1, out, sizeof(out)), 0);
	assert_int_equal(lowered(db, NULL, 0, out, sizeof(out)), -1);
	db_close(db);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_dir_teardown)
	const struct CMUnitTest tests[] = {
		T(test_fresh_open_applies_all_steps),
		T(test_reopen_is_idempotent),
		T(test_reopen_applies_only_new_steps),
		T(test_newer_schema_is_refused),
		T(test_failing_step_rolls_back_everything),
		T(test_open_in_missing_dir_fails),
		T(test_stmt_cache_same_stmt),
		T(test_stmt_cache_full_keeps_busy),
		T(test_stmt_cache_resets_and_unbinds),
		T(test_column_dup_and_copy),
		T(test_rows),
		T(test_stmt_bad_sql),
		T(test_exec),
		T(test_commit_is_visible_to_others),
		T(test_rollback_discards),
		T(test_transaction_misuse),
		T(test_transactions_kept_prepared),
		T(test_nb_lower),
		T(test_busy_waits_for_the_lock),
		T(test_busy_gives_up_after_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
