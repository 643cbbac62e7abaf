/*
 * db_pg.h - the PostgreSQL backend of db.h, private to src/lib.
 *
 * db.c owns the handle and the statement cache and calls these when the
 * store was opened with a postgresql:// URL; every function has the
 * meaning of its db_* namesake in db.h.  Nothing outside db.c includes
 * this header.
 */
#ifndef NB_DB_PG_H
#define NB_DB_PG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct pg_conn;
struct pg_stmt;

/* 1 when where names a PostgreSQL store (postgresql:// or postgres://). */
int db_pg_is_url(const char *where);

/* Connects to url and applies the schema steps after the recorded
 * version: 0 with *out, or -1 with e NB_UNAVAILABLE in the store's own
 * words (unreachable, refused, a failed step, a newer schema). */
int db_pg_open(const char *url, int busy_ms, const char *const *steps, int nsteps,
	    struct pg_conn **out, struct nb_err *e);
void db_pg_close(struct pg_conn *c);
int db_pg_version(struct pg_conn *c);

/* A statement for sql (SQLite's '?' / '?N' placeholders); NULL when sql is bad. */
struct pg_stmt *db_pg_stmt_new(struct pg_conn *c, const char *sql, int slot);
void db_pg_stmt_free(struct pg_stmt *s);
/* 1 while the statement has rows not yet read (SQLite's stmt_busy). */
int db_pg_stmt_busy(const struct pg_stmt *s);
/* Ends the run and clears the bindings (what db_stmt() hands back). */
void db_pg_stmt_clear(struct pg_stmt *s);

int db_pg_bind_int64(struct pg_stmt *s, int i, int64_t v);
int db_pg_bind_text(struct pg_stmt *s, int i, const char *t, int n, int copy);
int db_pg_bind_blob(struct pg_stmt *s, int i, const void *p, int n, int copy);
int db_pg_bind_null(struct pg_stmt *s, int i);
int db_pg_step(struct pg_stmt *s);
/* db_step_later: s sent into the transaction's pipeline unanswered; DB_DONE or an error code. */
int db_pg_step_later(struct pg_stmt *s);
int db_pg_reset(struct pg_stmt *s);
int64_t db_pg_column_int64(struct pg_stmt *s, int i);
const unsigned char *db_pg_column_text(struct pg_stmt *s, int i);
const void *db_pg_column_blob(struct pg_stmt *s, int i);
int db_pg_column_bytes(struct pg_stmt *s, int i);
int db_pg_column_type(struct pg_stmt *s, int i);

int db_pg_changes(struct pg_conn *c);
int64_t db_pg_last_insert_id(struct pg_conn *c);
int db_pg_unique_violation(struct pg_conn *c);
int db_pg_constraint_violation(struct pg_conn *c);
int db_pg_read_begin(struct pg_conn *c);
int db_pg_read_end(struct pg_conn *c);
void db_pg_read_split(struct pg_conn *c);
int db_pg_request_end(struct pg_conn *c);
int db_pg_begin(struct pg_conn *c);
int db_pg_begin_keyed(struct pg_conn *c, int64_t key);
int db_pg_commit(struct pg_conn *c);
void db_pg_commit_with_next(struct pg_conn *c);
void db_pg_rollback(struct pg_conn *c);
unsigned db_pg_data_version(struct pg_conn *c);
const char *db_pg_errmsg(struct pg_conn *c);

/*
 * '?' and '?N' placeholders of sql as '$N', into out (n bytes): the
 * number of parameters (the highest N), or -1 when out is too small.
 */
int db_pg_translate(const char *sql, char *out, size_t n);

#endif
