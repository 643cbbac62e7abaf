/* The admin tables: users, sessions, API tokens, login throttling. */
#include "admin.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void copy_user(struct db_stmt *st, int col, struct admin_user *u)
{
	u->id = db_column_int64(st, col);
	snprintf(u->name, sizeof(u->name), "%s", (const char *)db_column_text(st, col + 1));
	snprintf(u->role, sizeof(u->role), "%s", (const char *)db_column_text(st, col + 2));
}

static int done(struct db_stmt *st)
{
	int rc = db_step(st);

	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * Runs a write and says what went wrong as a kind: a UNIQUE constraint is
 * a conflict (what names the thing that exists), a CHECK a refused
 * value, anything else (busy, I/O) unavailable.  0 or -1 with e.
 */
static int write_step(struct db *db, struct db_stmt *st, const char *what, struct nb_err *e)
{
	int rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "database unavailable, try again");
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	if (db_unique_violation(db))
		return nb_fail(e, NB_CONFLICT, "%s exists already", what);
	if (db_constraint_violation(db))
		return nb_fail(e, NB_INVALID, "%s: a value was refused", what);
	return nb_fail(e, NB_UNAVAILABLE, "database busy, try again");
}

#define UNREADABLE "cannot read the store just now (busy or unreachable); try again"

/* The end of a one-row read whose step gave rc: 0 for a row; -1 with e
 * NB_NOT_FOUND (missing) when the read ran to its end without one, or
 * NB_UNAVAILABLE when a step failed, so that a store that cannot answer
 * never reads as "no such user". */
static int one_row(int rc, const char *missing, struct nb_err *e)
{
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return nb_fail(e, NB_NOT_FOUND, "%s", missing);
	return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
}

#define UNWRITABLE "cannot %s just now (the store is busy or refused the write); try again"

/*
 * The end of a write that no value of the caller's can make the schema
 * refuse (a session's delete, a login's count): any failure is the store
 * that could not take it, NB_UNAVAILABLE saying what was not done.  0, or
 * -1 with e.
 */
static int plain_write(struct db_stmt *st, const char *what, struct nb_err *e)
{
	return done(st) == 0 ? 0 : nb_fail(e, NB_UNAVAILABLE, UNWRITABLE, what);
}

static const char sql_user_get[] = "SELECT id, name, role, pw_hash FROM users WHERE name=?";

int admin_user_get(struct db *db, const char *name, struct admin_user *u,
		   char *pw_hash, size_t n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_user_get);
	int rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
	db_bind_text(st, 1, name, -1, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW) {
		copy_user(st, 0, u);
		if (pw_hash)
			snprintf(pw_hash, n, "%s", (const char *)db_column_text(st, 3));
	}
	db_reset(st);
	return one_row(rc, "no such user", e);
}

static const char sql_user_by_id[] = "SELECT id, name, role FROM users WHERE id=?";

int admin_user_by_id(struct db *db, long long id, struct admin_user *u, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_user_by_id);
	int rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
	db_bind_int64(st, 1, id);
	if ((rc = db_step(st)) == DB_ROW)
		copy_user(st, 0, u);
	db_reset(st);
	return one_row(rc, "no such user", e);
}

static const char sql_user_add[] =
	"INSERT INTO users(name, pw_hash, role, created) VALUES(?,?,?,?)";

int admin_user_insert(struct db *db, const char *name, const char *pw_hash, const char *role,
		      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_user_add);

	if (st) {
		db_bind_text(st, 1, name, -1, DB_STATIC);
		db_bind_text(st, 2, pw_hash, -1, DB_STATIC);
		db_bind_text(st, 3, role, -1, DB_STATIC);
		db_bind_int64(st, 4, (int64_t)time(NULL));
	}
	return write_step(db, st, "a user of that name", e);
}

static const char sql_user_pw[] = "UPDATE users SET pw_hash=? WHERE id=?";
static const char sql_user_pw_sessions[] = "DELETE FROM sessions WHERE user_id=?";
static const char sql_user_pw_tokens[] =
	"UPDATE api_tokens SET revoked=1 WHERE user_id=? AND revoked=0";

/* Binds id to a one-parameter statement and runs it; 0 or -1. */
static int run_for_user(struct db *db, const char *sql, long long id)
{
	struct db_stmt *st = db_stmt(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return done(st);
}

int admin_user_set_password(struct db *db, long long id, const char *pw_hash,
			  int keep_tokens, int *revoked, struct nb_err *e)
{
	struct db_stmt *st;
	int rc = -1, missing = 0;

	*revoked = 0;
	if (db_begin(db) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "database busy, try again");
	st = db_stmt(db, sql_user_pw);
	if (st) {
		db_bind_text(st, 1, pw_hash, -1, DB_STATIC);
		db_bind_int64(st, 2, id);
		rc = done(st);
		if (rc == 0 && db_changes(db) == 0)
			rc = -1, missing = 1;
	}
	/* a new password ends every session of the old one */
	if (rc == 0)
		rc = run_for_user(db, sql_user_pw_sessions, id);
	/* and, unless asked to keep them, every API token: a reset password
	 * often means the account was in the wrong hands, and its tokens too */
	if (rc == 0 && !keep_tokens) {
		rc = run_for_user(db, sql_user_pw_tokens, id);
		*revoked = db_changes(db);
	}
	if (rc == 0 && db_commit(db) == 0)
		return 0;
	db_rollback(db);
	*revoked = 0;
	return missing ? nb_fail(e, NB_NOT_FOUND, "no such user")
		       : nb_fail(e, NB_UNAVAILABLE, "database busy, try again");
}

static const char sql_user_del[] = "DELETE FROM users WHERE id=?";

int admin_user_remove(struct db *db, long long id, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_user_del);

	if (st)
		db_bind_int64(st, 1, id);
	if (write_step(db, st, "the user", e) < 0)
		return -1;
	return db_changes(db) ? 0 : nb_fail(e, NB_NOT_FOUND, "no such user");
}

static const char sql_user_count[] = "SELECT count(*) FROM users WHERE ?1 IS NULL OR role=?1";

/* The count of a one-row count(*) read, or -1 with e NB_UNAVAILABLE. */
static long long count_of(struct db_stmt *st, struct nb_err *e)
{
	long long n = -1;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
	if (db_step(st) == DB_ROW)
		n = db_column_int64(st, 0);
	if (db_reset(st) != DB_OK || n < 0)
		return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
	return n;
}

int admin_user_count(struct db *db, const char *role, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_user_count);

	if (st && role)
		db_bind_text(st, 1, role, -1, DB_STATIC);
	return (int)count_of(st, e);
}

static const char sql_user_list[] =
	"SELECT id, name, role, created FROM users ORDER BY name LIMIT ? OFFSET ?";

/* The end of a list's read: -1 with e unless the statement ran to its end. */
static int list_end(struct db_stmt *st, int rc, struct nb_err *e)
{
	db_reset(st);
	if (rc != DB_DONE)
		return nb_fail(e, NB_UNAVAILABLE, "the user store cannot be read");
	return 0;
}

int admin_user_list(struct db *db, struct arena *a, long offset, long limit,
		    struct admin_user_row **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_user_list);
	int n = 0, cap = 0, rc;

	*out = NULL;
	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the user store cannot be read");
	db_bind_int64(st, 1, limit);
	db_bind_int64(st, 2, offset);
	while ((rc = db_step(st)) == DB_ROW) {
		*out = arena_grow(a, *out, n, &cap, sizeof(**out));
		(*out)[n].id = db_column_int64(st, 0);
		(*out)[n].name = db_column_dup(a, st, 1);
		(*out)[n].role = db_column_dup(a, st, 2);
		(*out)[n++].created = db_column_int64(st, 3);
	}
	return list_end(st, rc, e) < 0 ? -1 : n;
}

static const char sql_sess_add[] =
	"INSERT INTO sessions(token_hash, user_id, csrf, created, expires) VALUES(?,?,?,?,?)";
static const char sql_sess_gc[] = "DELETE FROM sessions WHERE expires < ?";

int admin_session_create(struct db *db, long long uid, long ttl, char *token, char *csrf,
			 struct nb_err *e)
{
	char th[65];
	struct db_stmt *st;
	time_t now = time(NULL);

	if (auth_random_hex(token, AUTH_TOKEN_BYTES) < 0 ||
	    auth_random_hex(csrf, AUTH_TOKEN_BYTES) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "no random bytes for a session; try again");
	auth_token_hash(token, th);
	/* logins are rare: a good moment to forget expired sessions */
	st = db_stmt(db, sql_sess_gc);
	if (st) {
		db_bind_int64(st, 1, (int64_t)now);
		done(st);
	}
	st = db_stmt(db, sql_sess_add);
	if (st) {
		db_bind_text(st, 1, th, -1, DB_TRANSIENT);
		db_bind_int64(st, 2, uid);
		db_bind_text(st, 3, csrf, -1, DB_TRANSIENT);
		db_bind_int64(st, 4, (int64_t)now);
		db_bind_int64(st, 5, (int64_t)(now + ttl));
	}
	return write_step(db, st, "the session", e);
}

static const char sql_sess_get[] =
	"SELECT u.id, u.name, u.role, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.token_hash=? AND s.expires > ?";

int admin_session_get(struct db *db, const char *token, struct admin_user *u, char *csrf,
		      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_sess_get);
	char th[65];
	int rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
	auth_token_hash(token, th);
	db_bind_text(st, 1, th, -1, DB_TRANSIENT);
	db_bind_int64(st, 2, (int64_t)time(NULL));
	rc = db_step(st);
	if (rc == DB_ROW) {
		copy_user(st, 0, u);
		snprintf(csrf, 65, "%s", (const char *)db_column_text(st, 3));
	}
	db_reset(st);
	return one_row(rc, "no such session", e);
}

static const char sql_sess_del[] = "DELETE FROM sessions WHERE token_hash=?";

int admin_session_delete(struct db *db, const char *token, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_sess_del);
	char th[65];

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, UNWRITABLE, "end the session");
	auth_token_hash(token, th);
	db_bind_text(st, 1, th, -1, DB_TRANSIENT);
	return plain_write(st, "end the session", e);
}

static const char sql_tok_add[] =
	"INSERT INTO api_tokens(user_id, name, token_hash, prefix, created) VALUES(?,?,?,?,?)";

int admin_token_create(struct db *db, long long uid, const char *name, char *token,
		       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_tok_add);
	char raw[65], th[65];

	if (auth_random_hex(raw, AUTH_TOKEN_BYTES) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "no randomness for a token");
	if (!st)
		return write_step(db, st, "the token", e);
	/* a recognisable prefix lets secret scanners and people spot one */
	snprintf(token, 72, "nbx_%s", raw);
	auth_token_hash(token, th);
	db_bind_int64(st, 1, uid);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	db_bind_text(st, 3, th, -1, DB_TRANSIENT);
	db_bind_text(st, 4, token, 12, DB_TRANSIENT);
	db_bind_int64(st, 5, (int64_t)time(NULL));
	/* a user gone meanwhile fails the foreign key: a refused value */
	return write_step(db, st, "the token", e);
}

static const char sql_tok_get[] =
	"SELECT u.id, u.name, u.role, t.id FROM api_tokens t JOIN users u ON u.id = t.user_id"
	" WHERE t.token_hash=? AND t.revoked=0";
static const char sql_tok_used[] = "UPDATE api_tokens SET last_used=? WHERE id=?";

int admin_token_get(struct db *db, const char *token, struct admin_user *u, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_tok_get);
	char th[65];
	long long tid = 0;
	int rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
	auth_token_hash(token, th);
	db_bind_text(st, 1, th, -1, DB_TRANSIENT);
	rc = db_step(st);
	if (rc == DB_ROW) {
		copy_user(st, 0, u);
		tid = db_column_int64(st, 3);
	}
	db_reset(st);
	if (rc != DB_ROW)
		return one_row(rc, "no such token", e);
	st = db_stmt(db, sql_tok_used);	/* a note: a busy store may skip it */
	if (st) {
		db_bind_int64(st, 1, (int64_t)time(NULL));
		db_bind_int64(st, 2, tid);
		done(st);
	}
	return 0;
}

static const char sql_tok_revoke[] =
	"UPDATE api_tokens SET revoked=1 WHERE id=? AND (?2 = 0 OR user_id=?2)";

int admin_token_remove(struct db *db, long long id, long long uid, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_tok_revoke);

	if (st) {
		db_bind_int64(st, 1, id);
		db_bind_int64(st, 2, uid);
	}
	if (write_step(db, st, "the token", e) < 0)
		return -1;
	return db_changes(db) ? 0 : nb_fail(e, NB_NOT_FOUND, "no such token");
}

static const char sql_tok_list[] =
	"SELECT t.id, t.name, t.prefix, t.created, t.last_used, t.revoked, u.name"
	" FROM api_tokens t JOIN users u ON u.id = t.user_id"
	" WHERE ?1 = 0 OR t.user_id = ?1 ORDER BY t.id DESC LIMIT ?2 OFFSET ?3";
static const char sql_tok_count[] =
	"SELECT count(*) FROM api_tokens WHERE ?1 = 0 OR user_id = ?1";

long admin_token_count(struct db *db, long long uid, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_tok_count);

	if (st)
		db_bind_int64(st, 1, uid);
	return (long)count_of(st, e);
}

int admin_token_list(struct db *db, struct arena *a, long long uid, long offset, long limit,
		     struct admin_token_row **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_tok_list);
	int n = 0, cap = 0, rc;

	*out = NULL;
	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the token store cannot be read");
	db_bind_int64(st, 1, uid);
	db_bind_int64(st, 2, limit);
	db_bind_int64(st, 3, offset);
	while ((rc = db_step(st)) == DB_ROW) {
		struct admin_token_row *t;
		*out = arena_grow(a, *out, n, &cap, sizeof(**out));
		t = &(*out)[n++];
		t->id = db_column_int64(st, 0);
		t->name = db_column_dup(a, st, 1);
		t->prefix = db_column_dup(a, st, 2);
		t->created = db_column_int64(st, 3);
		t->last_used = db_column_type(st, 4) == DB_NULL ? -1 : db_column_int64(st, 4);
		t->revoked = db_column_int(st, 5) != 0;
		t->user = db_column_dup(a, st, 6);
	}
	return list_end(st, rc, e) < 0 ? -1 : n;
}

static const char sql_thr_get[] = "SELECT count, first FROM login_failures WHERE key=?";
static const char sql_thr_fail[] =
	"INSERT INTO login_failures(key, count, first) VALUES(?1, 1, ?2)"
	" ON CONFLICT(key) DO UPDATE SET"
	"  count = CASE WHEN login_failures.first < ?2 - ?3 THEN 1"
	"   ELSE login_failures.count + 1 END,"
	"  first = CASE WHEN login_failures.first < ?2 - ?3 THEN ?2 ELSE login_failures.first END";
static const char sql_thr_mark[] =
	"INSERT INTO login_failures(key, count, first) VALUES(?1, 1, ?2)"
	" ON CONFLICT(key) DO UPDATE SET count = login_failures.count + 1, first = ?2";
static const char sql_thr_clear[] = "DELETE FROM login_failures WHERE key=?";

int admin_throttle_get(struct db *db, const char *key, long *count, long long *first,
		       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_thr_get);
	int rc;

	*count = 0;
	*first = 0;
	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, UNREADABLE);
	db_bind_text(st, 1, key, -1, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW) {
		*count = (long)db_column_int64(st, 0);
		*first = db_column_int64(st, 1);
	}
	db_reset(st);
	return one_row(rc, "no failures", e);
}

long admin_throttle_wait(struct db *db, const char *key, int max, long window,
			struct nb_err *e)
{
	long count;
	long long first;
	time_t now = time(NULL);
	struct nb_err why;

	if (admin_throttle_get(db, key, &count, &first, &why) < 0) {
		if (why.kind == NB_NOT_FOUND)
			return 0;	/* no failure counted */
		if (e)
			*e = why;
		return -1;
	}
	if (count >= max && first + window > now)
		return (long)(first + window - now);
	return 0;
}

#define FAILED "count the failed login"

/* The throttle's statement sql with key bound (?1): NULL with e when the
 * store cannot prepare it (what: the write, as the message says it). */
static struct db_stmt *throttle_stmt(struct db *db, const char *sql, const char *key,
				     const char *what, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql);

	if (!st) {
		nb_fail(e, NB_UNAVAILABLE, UNWRITABLE, what);
		return NULL;
	}
	db_bind_text(st, 1, key, -1, DB_STATIC);
	return st;
}

int admin_throttle_fail(struct db *db, const char *key, long window, struct nb_err *e)
{
	struct db_stmt *st = throttle_stmt(db, sql_thr_fail, key, FAILED, e);

	if (!st)
		return -1;
	db_bind_int64(st, 2, (int64_t)time(NULL));
	db_bind_int64(st, 3, window);
	return plain_write(st, FAILED, e);
}

int admin_throttle_mark(struct db *db, const char *key, struct nb_err *e)
{
	struct db_stmt *st = throttle_stmt(db, sql_thr_mark, key, FAILED, e);

	if (!st)
		return -1;
	db_bind_int64(st, 2, (int64_t)time(NULL));
	return plain_write(st, FAILED, e);
}

int admin_throttle_clear(struct db *db, const char *key, struct nb_err *e)
{
	struct db_stmt *st = throttle_stmt(db, sql_thr_clear, key, "clear the failed logins", e);

	return st ? plain_write(st, "clear the failed logins", e) : -1;
}
