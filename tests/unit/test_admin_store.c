/*
 * test_admin_store.c - the admin tables against a database opened with
 * the core schema: users (add, get, duplicates, roles, counts, password
 * change ending sessions, delete cascading), sessions (random token and
 * CSRF, only sha256(token) stored, lookup, wrong token, expiry, delete,
 * garbage collection), API tokens ("nbx_" + 64 hex, stored hashed, prefix,
 * last_used, revocation by owner / other user / admin, listing, paging and
 * counting), login
 * throttling (the count, the wait, the window restart, clear), and the
 * request-level helpers admin_csrf_ok and admin_name_ok.
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
#include <time.h>

#include "../../src/admin/admin.h"
#include "../../src/core/core.h"
#include "../../src/lib/auth.h"
#include "unit_util.h"
#include "unit_store.h"

/* The first column of the first row of sql (with ?1 bound to arg when given). */
static long long q1(struct db *db, const char *sql, const char *arg)
{
	sqlite3_stmt *st;
	long long v = -999;

	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, db_errmsg(db));
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Same, as text copied into out ("" when no row or NULL). */
static void qs(struct db *db, const char *sql, const char *arg, char *out, size_t n)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, db_errmsg(db));
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static void exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
}

/* Number of cells, over every row and column of table, that contain needle. */
static int table_holds(struct db *db, const char *table, const char *needle)
{
	char sql[128];
	sqlite3_stmt *st;
	int rows = 0, hits = 0, i;

	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, db_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		rows++;
		for (i = 0; i < sqlite3_column_count(st); i++) {
			const char *s = (const char *)sqlite3_column_text(st, i);
			if (s && strstr(s, needle))
				hits++;
		}
	}
	sqlite3_finalize(st);
	if (rows == 0)
		fail_msg("table %s is empty: nothing was checked", table);
	return hits;
}

static int is_lower_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Adds a user and returns its id. */
static long long add_user(struct db *db, const char *name, const char *role)
{
	struct admin_user u;
	char hash[64];

	snprintf(hash, sizeof(hash), "$argon2id$fake-hash-of-%s", name);
	if (admin_user_insert(db, name, hash, role, NULL) < 0)
		fail_msg("admin_user_insert %s: %s", name, db_errmsg(db));
	memset(&u, 0, sizeof(u));
	if (admin_user_get(db, name, &u, NULL, 0, NULL) < 0)
		fail_msg("admin_user_get %s", name);
	assert_true(u.id > 0);
	return u.id;
}

/* The id of the api_tokens row for a raw token. */
static long long token_id(struct db *db, const char *token)
{
	char th[65];

	auth_token_hash(token, th);
	return q1(db, "SELECT id FROM api_tokens WHERE token_hash=?1", th);
}

/* -- users -- */

static void test_user_add_get(void **state)
{
	struct ut_db *f = *state;
	struct admin_user u, v;
	char hash[AUTH_HASH_MAX];

	assert_int_equal(admin_user_insert(f->db, "alice", "$argon2id$hash-a", "admin", NULL), 0);
	assert_int_equal(admin_user_insert(f->db, "bob", "$argon2id$hash-b", "readonly", NULL), 0);

	memset(&u, 0, sizeof(u));
	memset(hash, 'X', sizeof(hash));
	assert_int_equal(admin_user_get(f->db, "alice", &u, hash, sizeof(hash), NULL), 0);
	assert_true(u.id > 0);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.role, "admin");
	assert_string_equal(hash, "$argon2id$hash-a");
	assert_int_equal(u.id, q1(f->db, "SELECT id FROM users WHERE name='alice'", NULL));

	memset(&v, 0, sizeof(v));
	assert_int_equal(admin_user_get(f->db, "bob", &v, hash, sizeof(hash), NULL), 0);
	assert_string_equal(v.name, "bob");
	assert_string_equal(v.role, "readonly");
	assert_string_equal(hash, "$argon2id$hash-b");
	assert_true(v.id > 0);
	assert_true(v.id != u.id);

	/* the hash is optional; a short buffer truncates, never overflows */
	assert_int_equal(admin_user_get(f->db, "bob", &v, NULL, 0, NULL), 0);
	memset(hash, 'X', sizeof(hash));
	assert_int_equal(admin_user_get(f->db, "bob", &v, hash, 5, NULL), 0);
	assert_string_equal(hash, "$arg");
	assert_int_equal(hash[5], 'X');

	/* unknown names, and names are exact (case-sensitive, no patterns) */
	assert_int_equal(admin_user_get(f->db, "carol", &u, NULL, 0, NULL), -1);
	assert_int_equal(admin_user_get(f->db, "Alice", &u, NULL, 0, NULL), -1);
	assert_int_equal(admin_user_get(f->db, "ali%", &u, NULL, 0, NULL), -1);
	assert_int_equal(admin_user_get(f->db, "", &u, NULL, 0, NULL), -1);
}

static void test_user_duplicate_and_bad_role(void **state)
{
	struct nb_err e;
	struct ut_db *f = *state;
	struct admin_user u;
	char hash[AUTH_HASH_MAX];

	assert_int_equal(admin_user_insert(f->db, "alice", "$argon2id$first", "admin", NULL), 0);
	assert_int_equal(admin_user_insert(f->db, "alice", "$argon2id$second", "readonly", &e), -1);
	assert_int_equal(e.kind, NB_CONFLICT);
	/* the first one is unchanged */
	assert_int_equal(admin_user_get(f->db, "alice", &u, hash, sizeof(hash), NULL), 0);
	assert_string_equal(hash, "$argon2id$first");
	assert_string_equal(u.role, "admin");
	assert_int_equal(q1(f->db, "SELECT count(*) FROM users", NULL), 1);

	/* a role other than admin/readonly is refused by the schema */
	assert_int_equal(admin_user_insert(f->db, "mallory", "$argon2id$x", "root", &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_int_equal(admin_user_insert(f->db, "mallory", "$argon2id$x", "", NULL), -1);
	assert_int_equal(admin_user_get(f->db, "mallory", &u, NULL, 0, NULL), -1);
	/* the statement is usable again after the failures */
	assert_int_equal(admin_user_insert(f->db, "mallory", "$argon2id$x", "readonly", NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM users", NULL), 2);
}

static void test_user_count(void **state)
{
	struct ut_db *f = *state;

	assert_int_equal(admin_user_count(f->db, NULL, NULL), 0);
	assert_int_equal(admin_user_count(f->db, "admin", NULL), 0);
	add_user(f->db, "a1", "admin");
	add_user(f->db, "a2", "admin");
	add_user(f->db, "r1", "readonly");
	assert_int_equal(admin_user_count(f->db, NULL, NULL), 3);
	assert_int_equal(admin_user_count(f->db, "admin", NULL), 2);
	assert_int_equal(admin_user_count(f->db, "readonly", NULL), 1);
	assert_int_equal(admin_user_count(f->db, "nobody", NULL), 0);
	/* the cached statement forgets the role binding between calls */
	assert_int_equal(admin_user_count(f->db, NULL, NULL), 3);
}

static void test_user_list(void **state)
{
	struct ut_db *f = *state;
	struct admin_user_row *v;
	struct arena a;
	int n;

	arena_init(&a);
	add_user(f->db, "zed", "readonly");
	add_user(f->db, "amy", "admin");
	n = admin_user_list(f->db, &a, 0, 100, &v, NULL);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "amy");	/* by name */
	assert_string_equal(v[0].role, "admin");
	assert_int_equal(v[0].id, q1(f->db, "SELECT id FROM users WHERE name=?", "amy"));
	assert_true(v[0].created > 0);
	assert_string_equal(v[1].name, "zed");
	assert_string_equal(v[1].role, "readonly");
	{	/* the rows are the caller's: another list does not change them */
		struct admin_user_row *w;
		assert_int_equal(admin_user_list(f->db, &a, 1, 1, &w, NULL), 1);
		assert_string_equal(w[0].name, "zed");
		assert_string_equal(v[0].name, "amy");
	}
	arena_free(&a);
}

/*
 * The names of the n rows of a list, joined by ',' ("-" when the store
 * failed, n < 0): the name of row i is the string name(rows, i).
 */
static const char *names_of(struct arena *a, int n, const void *rows,
			    const char *(*name)(const void *, int))
{
	struct buf b;
	int i;

	if (n < 0)
		return "-";
	buf_init(&b, a);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", name(rows, i));
	return buf_cstr(&b);
}

static const char *user_name(const void *rows, int i)
{
	return ((const struct admin_user_row *)rows)[i].name;
}

/* The names of the users of a page, joined by ',' ("-" when the store failed). */
static const char *user_page(struct ut_db *f, struct arena *a, long offset, long limit)
{
	struct admin_user_row *v;
	int n = admin_user_list(f->db, a, offset, limit, &v, NULL);

	return names_of(a, n, v, user_name);
}

static void test_user_list_pages(void **state)
{
	struct ut_db *f = *state;
	static const char *const names[] = { "u1", "u2", "u3", "u4", "u5" };
	struct arena a;
	size_t i;

	arena_init(&a);
	for (i = 0; i < 5; i++)
		add_user(f->db, names[4 - i], "readonly");
	assert_string_equal(user_page(f, &a, 0, 2), "u1,u2");
	assert_string_equal(user_page(f, &a, 2, 2), "u3,u4");
	assert_string_equal(user_page(f, &a, 4, 2), "u5");	/* the last, partial page */
	assert_string_equal(user_page(f, &a, 5, 2), "");	/* past the end */
	assert_string_equal(user_page(f, &a, 0, 1L << 30), "u1,u2,u3,u4,u5");	/* nestboxctl's "all" */
	arena_free(&a);
}

static void test_user_set_password_ends_sessions(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	long long bob = add_user(f->db, "bob", "readonly");
	char ta[65], ca[65], ta2[65], ca2[65], tb[65], cb[65], csrf[65], hash[AUTH_HASH_MAX];
	char api[80];
	int revoked = -1;
	struct admin_user u;

	assert_int_equal(admin_session_create(f->db, alice, 3600, ta, ca, NULL), 0);
	assert_int_equal(admin_session_create(f->db, alice, 3600, ta2, ca2, NULL), 0);
	assert_int_equal(admin_session_create(f->db, bob, 3600, tb, cb, NULL), 0);
	assert_int_equal(admin_token_create(f->db, alice, "ci", api, NULL), 0);
	assert_int_equal(admin_session_get(f->db, ta, &u, csrf, NULL), 0);

	assert_int_equal(admin_user_set_password(f->db, alice, "$argon2id$new-hash", 1, &revoked, NULL), 0);
	assert_int_equal(revoked, 0);
	assert_int_equal(admin_user_get(f->db, "alice", &u, hash, sizeof(hash), NULL), 0);
	assert_string_equal(hash, "$argon2id$new-hash");
	/* every session of alice is gone; bob's stays */
	assert_int_equal(admin_session_get(f->db, ta, &u, csrf, NULL), -1);
	assert_int_equal(admin_session_get(f->db, ta2, &u, csrf, NULL), -1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions", NULL), 1);
	assert_int_equal(admin_session_get(f->db, tb, &u, csrf, NULL), 0);
	assert_string_equal(u.name, "bob");
	/* bob's password is untouched; asked to, alice's API tokens stay */
	assert_int_equal(admin_user_get(f->db, "bob", &u, hash, sizeof(hash), NULL), 0);
	assert_string_equal(hash, "$argon2id$fake-hash-of-bob");
	assert_int_equal(admin_token_get(f->db, api, &u, NULL), 0);
	/* no transaction left open */
	assert_int_equal(sqlite3_get_autocommit(db_handle(f->db)), 1);
}

static void test_user_set_password_unknown_id(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");

	/*
	 * BUG: src/admin/admin_store.c:83 (admin_user_set_password) tests
	 * `sqlite3_changes(db_handle(db)) >= 0`, which is always true and,
	 * besides, counts the rows of the sessions DELETE, not of the users
	 * UPDATE.  So an id that names no user returns 0 ("done"), and the
	 * caller admin_user_password (src/admin/admin_users.c:105-107), which
	 * answers 404 "no such user" only on -1, reports success instead.
	 * Fix: read sqlite3_changes() right after the UPDATE's done() and set
	 * rc = -1 when it is 0 (then roll back), and drop the `>= 0` test.
	 */
	int revoked = 7;

	struct nb_err e;

	assert_int_equal(admin_user_set_password(f->db, alice + 1000, "$argon2id$x", 0, &revoked, &e),
			 -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(revoked, 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM users WHERE pw_hash='$argon2id$x'",
			    NULL), 0);
	assert_int_equal(sqlite3_get_autocommit(db_handle(f->db)), 1);
}

/* A reset password revokes the user's API tokens (and only theirs), in the
 * same transaction that ends the sessions, and says how many. */
static void test_user_set_password_revokes_tokens(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin"), bob = add_user(f->db, "bob", "admin");
	char a1[80], a2[80], a3[80], b1[80];
	struct admin_user u;
	int revoked = -1;

	assert_int_equal(admin_token_create(f->db, alice, "ci", a1, NULL), 0);
	assert_int_equal(admin_token_create(f->db, alice, "laptop", a2, NULL), 0);
	assert_int_equal(admin_token_create(f->db, alice, "old", a3, NULL), 0);
	assert_int_equal(admin_token_create(f->db, bob, "ci", b1, NULL), 0);
	assert_int_equal(admin_token_remove(f->db, 3, alice, NULL), 0);	/* already revoked: not counted */
	assert_int_equal(admin_user_set_password(f->db, alice, "$argon2id$new", 0, &revoked, NULL), 0);
	assert_int_equal(revoked, 2);
	assert_int_equal(admin_token_get(f->db, a1, &u, NULL), -1);
	assert_int_equal(admin_token_get(f->db, a2, &u, NULL), -1);
	assert_int_equal(admin_token_get(f->db, b1, &u, NULL), 0);
	assert_string_equal(u.name, "bob");
	assert_int_equal(admin_user_set_password(f->db, alice, "$argon2id$newer", 0, &revoked, NULL), 0);
	assert_int_equal(revoked, 0);
	assert_int_equal(sqlite3_get_autocommit(db_handle(f->db)), 1);
	assert_int_equal(admin_user_by_id(f->db, bob, &u, NULL), 0);
	assert_string_equal(u.name, "bob");
	assert_int_equal(admin_user_by_id(f->db, bob + 100, &u, NULL), -1);
}

/* _get reads a key's count and time; _mark counts and moves the time to now. */
static void test_throttle_get_and_mark(void **state)
{
	struct ut_db *f = *state;
	long count = -1;
	long long first = -1, now = (long long)time(NULL);

	assert_int_equal(admin_throttle_get(f->db, "last:192.0.2.1", &count, &first, NULL), -1);
	assert_int_equal(count, 0);
	assert_int_equal(admin_throttle_mark(f->db, "last:192.0.2.1", NULL), 0);
	assert_int_equal(admin_throttle_mark(f->db, "last:192.0.2.1", NULL), 0);
	assert_int_equal(admin_throttle_get(f->db, "last:192.0.2.1", &count, &first, NULL), 0);
	assert_int_equal(count, 2);
	assert_true(first >= now && first <= now + 5);
	assert_int_equal(q1(f->db, "UPDATE login_failures SET first = 5 RETURNING first", NULL), 5);
	assert_int_equal(admin_throttle_mark(f->db, "last:192.0.2.1", NULL), 0);
	assert_int_equal(admin_throttle_get(f->db, "last:192.0.2.1", &count, &first, NULL), 0);
	assert_true(count == 3 && first >= now);
	assert_int_equal(admin_throttle_get(f->db, "last:192.0.2.2", &count, &first, NULL), -1);
}

static void test_user_delete_cascades(void **state)
{
	struct nb_err e;
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	long long bob = add_user(f->db, "bob", "readonly");
	char ta[65], ca[65], tb[65], cb[65], csrf[65], k1[80], k2[80], kb[80], sql[128];
	struct admin_user u;

	assert_int_equal(admin_session_create(f->db, alice, 3600, ta, ca, NULL), 0);
	assert_int_equal(admin_session_create(f->db, bob, 3600, tb, cb, NULL), 0);
	assert_int_equal(admin_token_create(f->db, alice, "one", k1, NULL), 0);
	assert_int_equal(admin_token_create(f->db, alice, "two", k2, NULL), 0);
	assert_int_equal(admin_token_create(f->db, bob, "b", kb, NULL), 0);
	assert_int_equal(q1(f->db, "PRAGMA foreign_keys", NULL), 1);

	assert_int_equal(admin_user_remove(f->db, alice, NULL), 0);
	assert_int_equal(admin_user_get(f->db, "alice", &u, NULL, 0, NULL), -1);
	assert_int_equal(admin_user_count(f->db, NULL, NULL), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sessions WHERE user_id=%lld", alice);
	assert_int_equal(q1(f->db, sql, NULL), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM api_tokens WHERE user_id=%lld", alice);
	assert_int_equal(q1(f->db, sql, NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions", NULL), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM api_tokens", NULL), 1);
	assert_int_equal(admin_session_get(f->db, ta, &u, csrf, NULL), -1);
	assert_int_equal(admin_token_get(f->db, k1, &u, NULL), -1);
	assert_int_equal(admin_token_get(f->db, k2, &u, NULL), -1);
	/* bob keeps his */
	assert_int_equal(admin_session_get(f->db, tb, &u, csrf, NULL), 0);
	assert_int_equal(admin_token_get(f->db, kb, &u, NULL), 0);
	assert_string_equal(u.name, "bob");

	/* deleting again, or an id that never was, is -1 */
	assert_int_equal(admin_user_remove(f->db, alice, NULL), -1);
	assert_int_equal(admin_user_remove(f->db, bob + 1000, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(admin_user_count(f->db, NULL, NULL), 1);
}

/* -- sessions -- */

static void test_session_create_stores_hash(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	char token[65], csrf[65], th[65], stored[128];
	time_t now = time(NULL);
	long long created, expires;

	memset(token, 'X', sizeof(token));
	memset(csrf, 'X', sizeof(csrf));
	assert_int_equal(admin_session_create(f->db, alice, 3600, token, csrf, NULL), 0);
	assert_true(is_lower_hex(token, 64));
	assert_true(is_lower_hex(csrf, 64));
	assert_string_not_equal(token, csrf);

	/* the row holds sha256(token), never the token */
	auth_token_hash(token, th);
	qs(f->db, "SELECT token_hash FROM sessions", NULL, stored, sizeof(stored));
	assert_string_equal(stored, th);
	assert_int_equal(table_holds(f->db, "sessions", token), 0);
	/* not even a good part of it */
	{
		char half[33];
		snprintf(half, sizeof(half), "%.32s", token);
		assert_int_equal(table_holds(f->db, "sessions", half), 0);
		snprintf(half, sizeof(half), "%.32s", token + 32);
		assert_int_equal(table_holds(f->db, "sessions", half), 0);
	}
	/* the table_holds check itself does find what is there */
	assert_int_equal(table_holds(f->db, "sessions", th), 1);
	qs(f->db, "SELECT csrf FROM sessions", NULL, stored, sizeof(stored));
	assert_string_equal(stored, csrf);
	assert_int_equal(q1(f->db, "SELECT user_id FROM sessions", NULL), alice);
	created = q1(f->db, "SELECT created FROM sessions", NULL);
	expires = q1(f->db, "SELECT expires FROM sessions", NULL);
	assert_true(created >= (long long)now && created <= (long long)now + 5);
	assert_int_equal(expires - created, 3600);

	/* a second session: new token and csrf */
	{
		char t2[65], c2[65];
		assert_int_equal(admin_session_create(f->db, alice, 3600, t2, c2, NULL), 0);
		assert_string_not_equal(t2, token);
		assert_string_not_equal(c2, csrf);
		assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions", NULL), 2);
	}
}

static void test_session_unknown_user_refused(void **state)
{
	struct ut_db *f = *state;
	char token[65], csrf[65];

	/* foreign keys are on: no session for a user that does not exist */
	assert_int_equal(admin_session_create(f->db, 4242, 3600, token, csrf, NULL), -1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions", NULL), 0);
}

static void test_session_get(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	long long bob = add_user(f->db, "bob", "readonly");
	char ta[65], ca[65], tb[65], cb[65], csrf[65], th[65], bad[65];
	struct admin_user u;

	assert_int_equal(admin_session_create(f->db, alice, 3600, ta, ca, NULL), 0);
	assert_int_equal(admin_session_create(f->db, bob, 3600, tb, cb, NULL), 0);

	memset(&u, 0, sizeof(u));
	memset(csrf, 0, sizeof(csrf));
	assert_int_equal(admin_session_get(f->db, ta, &u, csrf, NULL), 0);
	assert_int_equal(u.id, alice);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.role, "admin");
	assert_string_equal(csrf, ca);

	assert_int_equal(admin_session_get(f->db, tb, &u, csrf, NULL), 0);
	assert_int_equal(u.id, bob);
	assert_string_equal(u.name, "bob");
	assert_string_equal(u.role, "readonly");
	assert_string_equal(csrf, cb);

	/* wrong tokens: one changed digit, a prefix, empty, the stored hash itself */
	snprintf(bad, sizeof(bad), "%s", ta);
	bad[63] = bad[63] == '0' ? '1' : '0';
	assert_int_equal(admin_session_get(f->db, bad, &u, csrf, NULL), -1);
	snprintf(bad, sizeof(bad), "%.63s", ta);
	assert_int_equal(admin_session_get(f->db, bad, &u, csrf, NULL), -1);
	assert_int_equal(admin_session_get(f->db, "", &u, csrf, NULL), -1);
	auth_token_hash(ta, th);
	assert_int_equal(admin_session_get(f->db, th, &u, csrf, NULL), -1);
	/* the csrf token is not a session token */
	assert_int_equal(admin_session_get(f->db, ca, &u, csrf, NULL), -1);
}

static void test_session_expiry(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	char ta[65], ca[65], tb[65], cb[65], tc[65], cc[65], csrf[65], th[65];
	struct admin_user u;
	sqlite3_stmt *st;

	assert_int_equal(admin_session_create(f->db, alice, 3600, ta, ca, NULL), 0);
	assert_int_equal(admin_session_create(f->db, alice, 3600, tb, cb, NULL), 0);
	assert_int_equal(admin_session_get(f->db, ta, &u, csrf, NULL), 0);

	/* ta expires one second ago */
	auth_token_hash(ta, th);
	assert_int_equal(sqlite3_prepare_v2(db_handle(f->db),
		"UPDATE sessions SET expires = ?1 WHERE token_hash = ?2", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL) - 1);
	sqlite3_bind_text(st, 2, th, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db_handle(f->db)), 1);
	sqlite3_finalize(st);
	assert_int_equal(admin_session_get(f->db, ta, &u, csrf, NULL), -1);
	assert_int_equal(admin_session_get(f->db, tb, &u, csrf, NULL), 0);

	/* a ttl of 0 is expired at once; creating it forgot the expired ta */
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions", NULL), 2);
	assert_int_equal(admin_session_create(f->db, alice, 0, tc, cc, NULL), 0);
	assert_int_equal(admin_session_get(f->db, tc, &u, csrf, NULL), -1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions WHERE token_hash=?1", th), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions", NULL), 2);

	/* the next login forgets every session that expired before now */
	exec(f->db, "UPDATE sessions SET expires = expires - 100000");
	assert_int_equal(admin_session_get(f->db, tb, &u, csrf, NULL), -1);
	assert_int_equal(admin_session_create(f->db, alice, 3600, tc, cc, NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions", NULL), 1);
	assert_int_equal(admin_session_get(f->db, tc, &u, csrf, NULL), 0);
}

static void test_session_delete(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	char ta[65], ca[65], tb[65], cb[65], csrf[65];
	struct admin_user u;

	assert_int_equal(admin_session_create(f->db, alice, 3600, ta, ca, NULL), 0);
	assert_int_equal(admin_session_create(f->db, alice, 3600, tb, cb, NULL), 0);
	assert_int_equal(admin_session_delete(f->db, ta, NULL), 0);
	assert_int_equal(admin_session_get(f->db, ta, &u, csrf, NULL), -1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions", NULL), 1);
	/* only that session: the other one of the same user stays */
	assert_int_equal(admin_session_get(f->db, tb, &u, csrf, NULL), 0);
	assert_string_equal(csrf, cb);
	/* deleting an unknown or already deleted token changes nothing */
	assert_int_equal(admin_session_delete(f->db, ta, NULL), 0);
	assert_int_equal(admin_session_delete(f->db, "nope", NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM sessions", NULL), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM users", NULL), 1);
}

/* -- API tokens -- */

static void test_token_create_stores_hash(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	char token[80], t2[80], th[65], stored[128], prefix[13];
	long long created;
	time_t now = time(NULL);

	memset(token, 'X', sizeof(token));
	assert_int_equal(admin_token_create(f->db, alice, "ci deploy", token, NULL), 0);
	assert_int_equal(strlen(token), 4 + 64);
	assert_memory_equal(token, "nbx_", 4);
	assert_true(is_lower_hex(token + 4, 64));

	auth_token_hash(token, th);
	qs(f->db, "SELECT token_hash FROM api_tokens", NULL, stored, sizeof(stored));
	assert_string_equal(stored, th);
	/* neither the token nor its random part is anywhere in the table */
	assert_int_equal(table_holds(f->db, "api_tokens", token), 0);
	assert_int_equal(table_holds(f->db, "api_tokens", token + 4), 0);
	assert_int_equal(table_holds(f->db, "api_tokens", th), 1);

	snprintf(prefix, sizeof(prefix), "%.12s", token);
	qs(f->db, "SELECT prefix FROM api_tokens", NULL, stored, sizeof(stored));
	assert_string_equal(stored, prefix);
	assert_int_equal(strlen(stored), 12);
	qs(f->db, "SELECT name FROM api_tokens", NULL, stored, sizeof(stored));
	assert_string_equal(stored, "ci deploy");
	assert_int_equal(q1(f->db, "SELECT user_id FROM api_tokens", NULL), alice);
	assert_int_equal(q1(f->db, "SELECT revoked FROM api_tokens", NULL), 0);
	assert_int_equal(q1(f->db, "SELECT last_used FROM api_tokens", NULL), -1);	/* NULL */
	created = q1(f->db, "SELECT created FROM api_tokens", NULL);
	assert_true(created >= (long long)now && created <= (long long)now + 5);

	assert_int_equal(admin_token_create(f->db, alice, "second", t2, NULL), 0);
	assert_string_not_equal(t2, token);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM api_tokens", NULL), 2);

	/* no token for a user that does not exist */
	assert_int_equal(admin_token_create(f->db, alice + 1000, "ghost", t2, NULL), -1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM api_tokens", NULL), 2);
}

static void test_token_get(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	long long bob = add_user(f->db, "bob", "readonly");
	char ka[80], kb[80], bad[80], th[65];
	struct admin_user u;
	long long used;
	time_t now = time(NULL);

	assert_int_equal(admin_token_create(f->db, alice, "a", ka, NULL), 0);
	assert_int_equal(admin_token_create(f->db, bob, "b", kb, NULL), 0);

	memset(&u, 0, sizeof(u));
	assert_int_equal(admin_token_get(f->db, ka, &u, NULL), 0);
	assert_int_equal(u.id, alice);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.role, "admin");
	auth_token_hash(ka, th);
	used = q1(f->db, "SELECT last_used FROM api_tokens WHERE token_hash=?1", th);
	assert_true(used >= (long long)now && used <= (long long)now + 5);
	/* only the token used */
	auth_token_hash(kb, th);
	assert_int_equal(q1(f->db, "SELECT last_used FROM api_tokens WHERE token_hash=?1", th), -1);

	assert_int_equal(admin_token_get(f->db, kb, &u, NULL), 0);
	assert_int_equal(u.id, bob);
	assert_string_equal(u.role, "readonly");
	assert_true(q1(f->db, "SELECT last_used FROM api_tokens WHERE token_hash=?1", th) >= now);

	/* wrong tokens */
	snprintf(bad, sizeof(bad), "%s", ka);
	bad[67] = bad[67] == '0' ? '1' : '0';
	assert_int_equal(admin_token_get(f->db, bad, &u, NULL), -1);
	assert_int_equal(admin_token_get(f->db, ka + 4, &u, NULL), -1);	/* without nbx_ */
	snprintf(bad, sizeof(bad), "%.12s", ka);			/* the prefix */
	assert_int_equal(admin_token_get(f->db, bad, &u, NULL), -1);
	assert_int_equal(admin_token_get(f->db, "", &u, NULL), -1);
	auth_token_hash(ka, th);
	assert_int_equal(admin_token_get(f->db, th, &u, NULL), -1);		/* the stored hash */

	/* a session token is not an API token and vice versa */
	{
		char st[65], sc[65], csrf[65];
		assert_int_equal(admin_session_create(f->db, alice, 3600, st, sc, NULL), 0);
		assert_int_equal(admin_token_get(f->db, st, &u, NULL), -1);
		assert_int_equal(admin_session_get(f->db, ka, &u, csrf, NULL), -1);
	}
}

static void test_token_revoke(void **state)
{
	struct nb_err e;
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	long long bob = add_user(f->db, "bob", "readonly");
	char k1[80], k2[80], kb[80], th[65];
	long long id1, id2, idb;
	struct admin_user u;

	assert_int_equal(admin_token_create(f->db, alice, "one", k1, NULL), 0);
	assert_int_equal(admin_token_create(f->db, alice, "two", k2, NULL), 0);
	assert_int_equal(admin_token_create(f->db, bob, "b", kb, NULL), 0);
	id1 = token_id(f->db, k1);
	id2 = token_id(f->db, k2);
	idb = token_id(f->db, kb);
	assert_true(id1 > 0 && id2 > 0 && idb > 0);

	/* bob cannot revoke alice's token */
	assert_int_equal(admin_token_remove(f->db, id1, bob, NULL), -1);
	assert_int_equal(admin_token_get(f->db, k1, &u, NULL), 0);
	assert_int_equal(q1(f->db, "SELECT sum(revoked) FROM api_tokens", NULL), 0);

	/* alice can */
	assert_int_equal(admin_token_remove(f->db, id1, alice, NULL), 0);
	assert_int_equal(admin_token_get(f->db, k1, &u, NULL), -1);
	auth_token_hash(k1, th);
	assert_int_equal(q1(f->db, "SELECT revoked FROM api_tokens WHERE token_hash=?1", th), 1);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM api_tokens WHERE revoked=1", NULL), 1);
	/* her other token and bob's still work */
	assert_int_equal(admin_token_get(f->db, k2, &u, NULL), 0);
	assert_int_equal(admin_token_get(f->db, kb, &u, NULL), 0);

	/* the admin form (uid 0) revokes anyone's */
	assert_int_equal(admin_token_remove(f->db, idb, 0, NULL), 0);
	assert_int_equal(admin_token_get(f->db, kb, &u, NULL), -1);
	assert_int_equal(admin_token_get(f->db, k2, &u, NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM api_tokens WHERE revoked=1", NULL), 2);

	/* an id that does not exist, as owner or admin */
	assert_int_equal(admin_token_remove(f->db, idb + 1000, 0, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(admin_token_remove(f->db, idb + 1000, alice, NULL), -1);
	/* a revoked row is kept (for the list), not deleted */
	assert_int_equal(q1(f->db, "SELECT count(*) FROM api_tokens", NULL), 3);
}

static const struct admin_token_row *by_name(const struct admin_token_row *v, int n,
					     const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static void test_token_list(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	long long bob = add_user(f->db, "bob", "readonly");
	char k1[80], k2[80], kb[80], prefix[13];
	struct admin_user u;
	struct admin_token_row *v;
	const struct admin_token_row *o;
	struct arena a;
	int n, i;

	arena_init(&a);
	assert_int_equal(admin_token_create(f->db, alice, "one", k1, NULL), 0);
	assert_int_equal(admin_token_create(f->db, alice, "two", k2, NULL), 0);
	assert_int_equal(admin_token_create(f->db, bob, "b", kb, NULL), 0);
	assert_int_equal(admin_token_get(f->db, k1, &u, NULL), 0);
	assert_int_equal(admin_token_remove(f->db, token_id(f->db, k2), alice, NULL), 0);

	n = admin_token_list(f->db, &a, alice, 0, 100, &v, NULL);
	assert_int_equal(n, 2);
	assert_null(by_name(v, n, "b"));
	assert_string_equal(v[0].name, "two");	/* newest first */
	assert_int_equal(v[0].revoked, 1);
	assert_int_equal(v[0].last_used, -1);	/* never used */
	o = by_name(v, n, "one");
	assert_non_null(o);
	assert_int_equal(o->revoked, 0);
	assert_true(o->last_used > 0);
	assert_true(o->created > 0);
	assert_string_equal(o->user, "alice");
	snprintf(prefix, sizeof(prefix), "%.12s", k1);
	assert_string_equal(o->prefix, prefix);
	assert_int_equal(o->id, token_id(f->db, k1));
	/* no secret in the listing */
	for (i = 0; i < n; i++) {
		assert_null(strstr(v[i].prefix, k1 + 12));
		assert_null(strstr(v[i].prefix, k2 + 12));
		assert_true(strlen(v[i].prefix) <= 12);
	}

	n = admin_token_list(f->db, &a, bob, 0, 100, &v, NULL);
	assert_int_equal(n, 1);
	o = by_name(v, n, "b");
	assert_non_null(o);
	assert_string_equal(o->user, "bob");

	n = admin_token_list(f->db, &a, 0, 0, 100, &v, NULL);		/* everyone's */
	assert_int_equal(n, 3);
	assert_non_null(by_name(v, n, "one"));
	assert_non_null(by_name(v, n, "two"));
	assert_string_equal(by_name(v, n, "b")->user, "bob");

	assert_int_equal(admin_token_list(f->db, &a, bob + 1000, 0, 100, &v, NULL), 0);

	/* the counts the pager uses: revoked tokens are listed, so counted */
	assert_int_equal(admin_token_count(f->db, alice, NULL), 2);
	assert_int_equal(admin_token_count(f->db, bob, NULL), 1);
	assert_int_equal(admin_token_count(f->db, 0, NULL), 3);
	assert_int_equal(admin_token_count(f->db, bob + 1000, NULL), 0);
	arena_free(&a);
}

static const char *token_name(const void *rows, int i)
{
	return ((const struct admin_token_row *)rows)[i].name;
}

/* The names of a page of uid's tokens, joined by ','. */
static const char *token_page(struct ut_db *f, struct arena *a, long long uid, long offset,
			      long limit)
{
	struct admin_token_row *v;
	int n = admin_token_list(f->db, a, uid, offset, limit, &v, NULL);

	return names_of(a, n, v, token_name);
}

static void test_token_list_pages(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	long long bob = add_user(f->db, "bob", "readonly");
	char k[80], name[8];
	struct arena a;
	int i;

	arena_init(&a);
	for (i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		assert_int_equal(admin_token_create(f->db, alice, name, k, NULL), 0);
		snprintf(name, sizeof(name), "b%d", i);
		assert_int_equal(admin_token_create(f->db, bob, name, k, NULL), 0);
	}
	/* alice's, newest first, two per page */
	assert_string_equal(token_page(f, &a, alice, 0, 2), "a5,a4");
	assert_string_equal(token_page(f, &a, alice, 2, 2), "a3,a2");
	assert_string_equal(token_page(f, &a, alice, 4, 2), "a1");
	/* everyone's: the newest is bob's b5, then a5 */
	assert_string_equal(token_page(f, &a, 0, 0, 3), "b5,a5,b4");
	assert_string_equal(token_page(f, &a, 0, 9, 3), "a1");
	assert_int_equal(admin_token_count(f->db, alice, NULL), 5);
	assert_int_equal(admin_token_count(f->db, 0, NULL), 10);
	arena_free(&a);
}

/* A users table the store cannot read is an error, not an empty list. */
static void test_lists_unreadable(void **state)
{
	struct ut_db *f = *state;
	struct admin_user_row *v;
	struct admin_token_row *t;
	struct arena a;
	struct nb_err e;

	arena_init(&a);
	assert_int_equal(db_exec(f->db, "DROP TABLE api_tokens"), 0);
	nb_err_clear(&e);
	assert_int_equal(admin_token_list(f->db, &a, 0, 0, 10, &t, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(db_exec(f->db, "DROP TABLE sessions"), 0);
	assert_int_equal(db_exec(f->db, "DROP TABLE users"), 0);
	nb_err_clear(&e);
	assert_int_equal(admin_user_list(f->db, &a, 0, 10, &v, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	arena_free(&a);
}

/* -- login throttling -- */

static void test_throttle(void **state)
{
	struct ut_db *f = *state;
	const int max = 3;
	const long window = 600;
	long wait;
	int i;

	assert_int_equal(admin_throttle_wait(f->db, "u:alice", max, window, NULL), 0);
	for (i = 1; i < max; i++) {
		assert_int_equal(admin_throttle_fail(f->db, "u:alice", window, NULL), 0);
		assert_int_equal(admin_throttle_wait(f->db, "u:alice", max, window, NULL), 0);
	}
	assert_int_equal(q1(f->db, "SELECT count FROM login_failures WHERE key='u:alice'", NULL),
			 max - 1);
	assert_int_equal(admin_throttle_fail(f->db, "u:alice", window, NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count FROM login_failures WHERE key='u:alice'", NULL),
			 max);
	wait = admin_throttle_wait(f->db, "u:alice", max, window, NULL);
	assert_true(wait > 0);
	assert_true(wait <= window);
	assert_true(wait >= window - 5);	/* the window started just now */
	/* a larger max does not throttle yet */
	assert_int_equal(admin_throttle_wait(f->db, "u:alice", max + 1, window, NULL), 0);
	/* other keys are not affected */
	assert_int_equal(admin_throttle_wait(f->db, "u:bob", max, window, NULL), 0);
	assert_int_equal(admin_throttle_wait(f->db, "ip:192.0.2.1", max, window, NULL), 0);
	/* further failures keep counting inside the window */
	assert_int_equal(admin_throttle_fail(f->db, "u:alice", window, NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count FROM login_failures WHERE key='u:alice'", NULL),
			 max + 1);
	assert_true(admin_throttle_wait(f->db, "u:alice", max, window, NULL) > 0);
}

static void test_throttle_window_restarts(void **state)
{
	struct ut_db *f = *state;
	const int max = 3;
	const long window = 600;
	long long first;
	time_t now;
	int i;

	for (i = 0; i < max; i++)
		assert_int_equal(admin_throttle_fail(f->db, "u:alice", window, NULL), 0);
	assert_true(admin_throttle_wait(f->db, "u:alice", max, window, NULL) > 0);

	/* the window began long ago: over */
	exec(f->db, "UPDATE login_failures SET first = first - 100000");
	assert_int_equal(admin_throttle_wait(f->db, "u:alice", max, window, NULL), 0);

	/* and the next failure starts a new window at count 1 */
	now = time(NULL);
	assert_int_equal(admin_throttle_fail(f->db, "u:alice", window, NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count FROM login_failures WHERE key='u:alice'", NULL), 1);
	first = q1(f->db, "SELECT first FROM login_failures WHERE key='u:alice'", NULL);
	assert_true(first >= (long long)now && first <= (long long)now + 5);
	assert_int_equal(admin_throttle_wait(f->db, "u:alice", max, window, NULL), 0);
	for (i = 1; i < max; i++)
		assert_int_equal(admin_throttle_fail(f->db, "u:alice", window, NULL), 0);
	assert_true(admin_throttle_wait(f->db, "u:alice", max, window, NULL) > 0);
}

static void test_throttle_clear(void **state)
{
	struct ut_db *f = *state;
	int i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(admin_throttle_fail(f->db, "u:alice", 600, NULL), 0);
		assert_int_equal(admin_throttle_fail(f->db, "ip:192.0.2.1", 600, NULL), 0);
	}
	assert_true(admin_throttle_wait(f->db, "u:alice", 5, 600, NULL) > 0);
	assert_int_equal(admin_throttle_clear(f->db, "u:alice", NULL), 0);
	assert_int_equal(admin_throttle_wait(f->db, "u:alice", 5, 600, NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM login_failures WHERE key='u:alice'",
			    NULL), 0);
	/* only that key */
	assert_true(admin_throttle_wait(f->db, "ip:192.0.2.1", 5, 600, NULL) > 0);
	/* counting starts over */
	assert_int_equal(admin_throttle_fail(f->db, "u:alice", 600, NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count FROM login_failures WHERE key='u:alice'", NULL), 1);
	/* clearing an unknown key is harmless */
	assert_int_equal(admin_throttle_clear(f->db, "u:nobody", NULL), 0);
	assert_int_equal(q1(f->db, "SELECT count(*) FROM login_failures", NULL), 2);
}

/* -- admin_csrf_ok -- */

struct csrf_fx {
	struct arena a;
	struct http_req r;
	struct admin ad;
};

static int csrf_setup(void **state)
{
	struct csrf_fx *c = calloc(1, sizeof(*c));

	arena_init(&c->a);
	http_req_init(&c->r, &c->a, NULL);
	/* with no FastCGI io, headers come from the environment */
	unsetenv("HTTP_X_CSRF_TOKEN");
	*state = c;
	return 0;
}

static int csrf_teardown(void **state)
{
	struct csrf_fx *c = *state;

	unsetenv("HTTP_X_CSRF_TOKEN");
	arena_free(&c->a);
	free(c);
	return 0;
}

/* A route declaring the csrf form field, as admin.fcgi.c's forms do. */
static const struct req_field csrf_in[] = { REQ_FORM_FIELD("csrf", NULL, 0), REQ_END };
static const struct route csrf_route = ROUTE_IN("POST", "/f", NULL, NULL, csrf_in, 0);

/* The request after req_check accepted the form raw: its csrf field set
 * when present and non-empty (the validator's refusals are test_req's). */
static void set_form(struct csrf_fx *c, const char *raw)
{
	struct nb_err err;
	const char *v;

	if (query_parse(&c->a, raw, strlen(raw), &c->r.form, &err) < 0)
		fail_msg("query_parse %s: %s", raw, err.msg);
	v = query_get(&c->r.form, "csrf");
	c->r.route = &csrf_route;
	c->r.in[0] = (struct req_value){ .s = v, .set = v && *v };
}

#define CSRF "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_csrf_ok(void **state)
{
	struct csrf_fx *c = *state;

	snprintf(c->ad.csrf, sizeof(c->ad.csrf), "%s", CSRF);
	set_form(c, "csrf=" CSRF);
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 1);
	set_form(c, "name=x&csrf=" CSRF "&id=3");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 1);

	/* wrong: one digit, a prefix, longer, empty, another field's name */
	set_form(c, "csrf=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	set_form(c, "csrf=0123456789abcdef");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	set_form(c, "csrf=" CSRF "0");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	set_form(c, "csrf=");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	set_form(c, "csrf");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	set_form(c, "xcsrf=" CSRF);
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);

	/* missing: an empty form, a form without it */
	set_form(c, "");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	set_form(c, "name=x&id=3");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	c->r.route = NULL;	/* no route: no form */
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
}

static void test_csrf_header(void **state)
{
	struct csrf_fx *c = *state;

	snprintf(c->ad.csrf, sizeof(c->ad.csrf), "%s", CSRF);
	set_form(c, "");
	setenv("HTTP_X_CSRF_TOKEN", CSRF, 1);
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 1);
	setenv("HTTP_X_CSRF_TOKEN", "0123456789abcdef", 1);
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	setenv("HTTP_X_CSRF_TOKEN", "", 1);
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	/* a wrong form field is not rescued by a right header */
	setenv("HTTP_X_CSRF_TOKEN", CSRF, 1);
	set_form(c, "csrf=wrong");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
}

static void test_csrf_empty_session_refuses_all(void **state)
{
	struct csrf_fx *c = *state;

	c->ad.csrf[0] = '\0';
	set_form(c, "csrf=");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	set_form(c, "csrf");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	set_form(c, "csrf=" CSRF);
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	set_form(c, "");
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	setenv("HTTP_X_CSRF_TOKEN", "", 1);
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 0);
	/* the same request is accepted once the session has that token */
	snprintf(c->ad.csrf, sizeof(c->ad.csrf), "%s", CSRF);
	set_form(c, "csrf=" CSRF);
	assert_int_equal(admin_csrf_ok(&c->ad, &c->r), 1);
}

/* -- admin_name_ok -- */

static void test_name_ok(void **state)
{
	static const char *const good[] = {
		"a", "Z", "0", "alice", "Alice.Smith", "a_b-c", "ops@example.org",
		"..", "-", "@", "_", "user123",
	};
	static const char *const bad[] = {
		"", "a b", " a", "a ", "a/b", "a\\b", "a:b", "a'b", "a\"b", "<x>", "a;b",
		"a\tb", "a\nb", "a+b", "a%20b", "a=b", "a&b", "\xc3\xa4", "caf\xc3\xa9", "a*",
		"\x7f", "a,b", "~a", "(a)",
	};
	char s[ADMIN_NAME_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!admin_name_ok(good[i]))
			fail_msg("admin_name_ok(\"%s\") refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (admin_name_ok(bad[i]))
			fail_msg("admin_name_ok(\"%s\") accepted", bad[i]);

	/* 64 bytes is the most */
	memset(s, 'n', ADMIN_NAME_MAX);
	s[ADMIN_NAME_MAX] = '\0';
	assert_int_equal(admin_name_ok(s), 1);
	s[ADMIN_NAME_MAX] = 'n';
	s[ADMIN_NAME_MAX + 1] = '\0';
	assert_int_equal(admin_name_ok(s), 0);
}

/* A store that cannot be read is NB_UNAVAILABLE, never "no such session,
 * token or user" (NB_NOT_FOUND): the page answers 503, never the login,
 * and nestboxctl never takes it for a missing user (issue 14, 13). */
static void test_session_and_token_get_store_error(void **state)
{
	struct ut_db *f = *state;
	long long alice = add_user(f->db, "alice", "admin");
	char ta[65], ca[65], csrf[65], api[80];
	struct admin_user u;
	struct nb_err e;

	assert_int_equal(admin_session_create(f->db, alice, 3600, ta, ca, NULL), 0);
	assert_int_equal(admin_token_create(f->db, alice, "ci", api, NULL), 0);
	assert_int_equal(admin_session_get(f->db, "no-such-session", &u, csrf, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(admin_token_get(f->db, "nbx_none", &u, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(admin_user_get(f->db, "bob", &u, NULL, 0, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(admin_user_by_id(f->db, alice + 1, &u, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(admin_throttle_get(f->db, "ip:x", &(long){ 0 }, &(long long){ 0 }, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(db_exec(f->db, "ALTER TABLE sessions RENAME TO s_away"), 0);
	assert_int_equal(db_exec(f->db, "ALTER TABLE api_tokens RENAME TO t_away"), 0);
	assert_int_equal(admin_session_get(f->db, ta, &u, csrf, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(admin_token_get(f->db, api, &u, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(admin_session_create(f->db, alice, 3600, ta, ca, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	/* a session the store cannot end is said, never a logout claimed */
	assert_int_equal(admin_session_delete(f->db, ta, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(admin_user_count(f->db, NULL, &e), 1);
	assert_int_equal(admin_token_count(f->db, 0, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(db_exec(f->db, "ALTER TABLE users RENAME TO u_away"), 0);
	assert_int_equal(db_exec(f->db, "ALTER TABLE login_failures RENAME TO l_away"), 0);
	assert_int_equal(admin_user_get(f->db, "alice", &u, NULL, 0, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(admin_user_by_id(f->db, alice, &u, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(admin_user_count(f->db, NULL, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(admin_throttle_get(f->db, "ip:x", &(long){ 0 }, &(long long){ 0 }, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	/* the throttle's reads and writes say the store failed: no login
	 * goes on uncounted or unthrottled (admin_login.c answers 503) */
	assert_int_equal(admin_throttle_wait(f->db, "ip:x", 3, 600, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(admin_throttle_fail(f->db, "ip:x", 600, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(admin_throttle_mark(f->db, "last:x", &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(admin_throttle_clear(f->db, "ip:x", &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_db_setup, ut_db_teardown)
#define C(fn) cmocka_unit_test_setup_teardown(fn, csrf_setup, csrf_teardown)
	const struct CMUnitTest tests[] = {
		T(test_user_add_get),
		T(test_user_duplicate_and_bad_role),
		T(test_user_count),
		T(test_user_list),
		T(test_user_list_pages),
		T(test_user_set_password_ends_sessions),
		T(test_user_set_password_unknown_id),
		T(test_user_set_password_revokes_tokens),
		T(test_user_delete_cascades),
		T(test_session_create_stores_hash),
		T(test_session_unknown_user_refused),
		T(test_session_get),
		T(test_session_and_token_get_store_error),
		T(test_session_expiry),
		T(test_session_delete),
		T(test_token_create_stores_hash),
		T(test_token_get),
		T(test_token_revoke),
		T(test_token_list),
		T(test_token_list_pages),
		T(test_lists_unreadable),
		T(test_throttle),
		T(test_throttle_window_restarts),
		T(test_throttle_clear),
		T(test_throttle_get_and_mark),
		C(test_csrf_ok),
		C(test_csrf_header),
		C(test_csrf_empty_session_refuses_all),
		cmocka_unit_test(test_name_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
