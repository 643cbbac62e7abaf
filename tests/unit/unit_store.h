/*
 * unit_store.h - a fresh store for the unit tests that need one:
 * <dir>/nestbox.db with the core schema applied, and the temporary
 * directory plus store that a test fixture sets up and tears down; and
 * the common fixture of the domain tests, struct ut_app: that directory,
 * an app on its store and an arena.
 */
#ifndef NB_UNIT_STORE_H
#define NB_UNIT_STORE_H

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/core/core.h"
#include "unit_util.h"

/* 0, or -1 after saying why on stderr. */
static inline int ut_store_open(const char *dir, int busy_ms, struct db **out)
{
	char path[PATH_MAX];
	struct nb_err e;

	snprintf(path, sizeof(path), "%s/nestbox.db", dir);
	if (db_open(path, busy_ms, core_schema, core_schema_steps, out, &e) < 0) {
		fprintf(stderr, "db_open %s: %s\n", path, e.msg);
		return -1;
	}
	return 0;
}

/*
 * A fresh directory in *dir (malloc'd; ut_store_close removes it) holding a
 * store opened with a 1000 ms busy timeout in *db, with the n SQL
 * statements of rows run on it in order: 0, or -1 after saying why.
 */
static inline int ut_store_fixture(char **dir, struct db **db, const char *const *rows,
				   size_t n)
{
	size_t i;

	*dir = ut_mkdtemp();
	if (ut_store_open(*dir, 1000, db) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (db_exec(*db, rows[i]) < 0) {
			fprintf(stderr, "fixture row %zu failed: %s\n", i, rows[i]);
			return -1;
		}
	return 0;
}

/* Closes db and removes dir with all it holds (then frees dir). */
static inline void ut_store_close(struct db *db, char *dir)
{
	db_close(db);
	ut_rmtree(dir);
}

/* The fixture of a test of a store module: a directory and its store. */
struct ut_db {
	char *dir;
	struct db *db;
};

/* A cmocka setup: *state a new ut_db on a fresh store (no rows). */
static inline int ut_db_setup(void **state)
{
	struct ut_db *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return -1;
	f->dir = ut_mkdtemp();
	return ut_store_open(f->dir, 1000, &f->db);
}

static inline int ut_db_teardown(void **state)
{
	struct ut_db *f = *state;

	ut_store_close(f->db, f->dir);
	free(f);
	return 0;
}

/*
 * The integer in the first column of sql's first row, read through
 * SQLite itself (a test looks at the file beside the API it tests); -999
 * when there is no row.  Include after <cmocka.h>: a statement that does
 * not prepare fails the test.
 */
static inline long long ut_q1(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -999;

	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, db_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Asserts that call, a store or domain call that fills e (a struct
 * nb_err, emptied first so that the kind seen is the call's own), fails:
 * returns -1 with e's kind k.  E.g. a store whose table was renamed away:
 * ut_fails_with(e, NB_UNAVAILABLE, mip_file_pin(&f->app, hex, &e)).
 */
#define ut_fails_with(e, k, call)			\
	do {						\
		nb_err_clear(&(e));			\
		assert_int_equal((call), -1);		\
		assert_int_equal((e).kind, (k));	\
	} while (0)

/* The fixture of a test of domain code: what it calls with &f->app. */
struct ut_app {
	char *dir;		/* the store's directory, removed by ut_app_close */
	struct app app;		/* app.db the store; the rest zero */
	struct arena a;		/* for the rows a test reads */
};

/* Opens f (zeroed by the caller) on a fresh store holding the n rows
 * (ut_store_fixture): 0, or -1 after saying why. */
static inline int ut_app_open(struct ut_app *f, const char *const *rows, size_t n)
{
	arena_init(&f->a);
	return ut_store_fixture(&f->dir, &f->app.db, rows, n);
}

static inline void ut_app_close(struct ut_app *f)
{
	arena_free(&f->a);
	ut_store_close(f->app.db, f->dir);
}

/* A cmocka setup's body: *state a new ut_app on a store holding the n rows. */
static inline int ut_app_setup(void **state, const char *const *rows, size_t n)
{
	struct ut_app *f = calloc(1, sizeof(*f));

	*state = f;
	return f ? ut_app_open(f, rows, n) : -1;
}

/* The cmocka teardown of ut_app_setup. */
static inline int ut_app_teardown(void **state)
{
	ut_app_close(*state);
	free(*state);
	return 0;
}

#endif
