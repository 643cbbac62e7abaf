/*
 * db.h - the store handle and its statements.
 *
 * One database per installation in WAL mode, so readers never wait for
 * the writer; busy_timeout so a second writer waits instead of failing;
 * schema steps applied in order and recorded in PRAGMA user_version.
 * Statements are prepared once per process and kept (keyed by the address
 * of their SQL text, which is always a string literal), because preparing
 * costs more than most of our queries.  Domain code keeps its SQL in its
 * own *_store.c files behind functions, so another backend can replace
 * them module by module.
 *
 * Two backends behind the same calls: SQLite (a file path) and
 * PostgreSQL (a postgresql:// URL, src/lib/db_pg.c).  SQL is written in
 * the subset both accept, with SQLite's '?' placeholders.
 */
#ifndef NB_DB_H
#define NB_DB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct db;
struct arena;
/* A prepared statement of the store, kept by the handle (see db_stmt). */
struct db_stmt;
struct sqlite3;

/*
 * Result codes of db_step and friends.  The values are SQLite's, so its
 * backend hands them through; another backend maps onto them.
 */
enum {
	DB_OK = 0,
	DB_ERROR = 1,
	DB_BUSY = 5,
	DB_CONSTRAINT = 19,
	DB_ROW = 100,
	DB_DONE = 101,
};
/* Column types of db_column_type (SQLite's values). */
enum { DB_INTEGER = 1, DB_FLOAT = 2, DB_TEXT = 3, DB_BLOB = 4, DB_NULL = 5 };
/*
 * Lifetime of bound text: DB_STATIC when the bytes outlive the statement's
 * next db_reset (string literals, request memory), DB_TRANSIENT to copy.
 */
enum db_life { DB_STATIC = 0, DB_TRANSIENT = 1 };

/*
 * Opens the store at path: a SQLite file, or a PostgreSQL database when
 * path is a postgresql:// (or postgres://) URL, then applies the schema
 * steps after the recorded version (steps written for that backend: see
 * db_is_url).  busy_ms: how long a writer waits for the lock (SQLite's
 * busy_timeout, PostgreSQL's lock_timeout).  0, or -1 with e:
 * NB_UNAVAILABLE (cannot open or lock it), NB_INTERNAL (a schema newer
 * than steps, a step that fails).
 */
int db_open(const char *path, int busy_ms, const char *const *steps, int nsteps,
	    struct db **out, struct nb_err *e);
/* 1 when where names a PostgreSQL store rather than a SQLite file. */
int db_is_url(const char *where);
/* 1 when db is a PostgreSQL store. */
int db_is_pg(struct db *db);
void db_close(struct db *db);
/* The SQLite connection under db, for tests and SQLite-only tools; NULL on PostgreSQL. */
struct sqlite3 *db_handle(struct db *db);
int db_version(struct db *db);

/*
 * A SQLite connection's page cache, in pages of 4 KiB (1 MiB), and at most
 * the heap it takes: each page carries SQLite's header of a few hundred
 * bytes.  The program loop keeps that much free at the heap's top (app.c).
 */
#define DB_CACHE_PAGES 256
#define DB_CACHE_BYTES (DB_CACHE_PAGES * (4096 + 512))

/*
 * Statements kept per process: above the number of db_stmt() call sites
 * in the whole code base (121), so even admin.fcgi, which links nearly
 * all of them, never fills it in normal use.
 */
#define DB_STMT_CACHE 192

/*
 * The cached statement for sql, reset and with bindings cleared.  When
 * the cache is full, a statement not being stepped is replaced; if every
 * one is (a design error), NULL, said on stderr: a statement in use is
 * never finalized under its user.
 */
struct db_stmt *db_stmt(struct db *db, const char *sql);

/*
 * A statement of SQL built at run time (a tool's per-table copy), not
 * kept: the caller ends it with db_finalize.  NULL when sql is bad (said
 * on stderr).  Never for request paths: those use db_stmt.
 */
struct db_stmt *db_prepare(struct db *db, const char *sql);
void db_finalize(struct db_stmt *st);

/*
 * Parameters are numbered from 1, columns from 0, as in SQL and SQLite.
 * Text of length n bytes (-1: up to its NUL).  Each returns DB_OK or an
 * error code.
 */
int db_bind_int64(struct db_stmt *st, int i, int64_t v);
int db_bind_int(struct db_stmt *st, int i, int v);
int db_bind_text(struct db_stmt *st, int i, const char *s, int n, enum db_life life);
int db_bind_blob(struct db_stmt *st, int i, const void *p, int n, enum db_life life);
int db_bind_null(struct db_stmt *st, int i);
/* DB_ROW (a row to read), DB_DONE, or an error code (DB_CONSTRAINT …). */
int db_step(struct db_stmt *st);
/* Ends the statement's run so it can be bound and stepped again: DB_OK,
 * or the error code of the run's failed step (as SQLite's reset), so a
 * loop `while (db_step(st) == DB_ROW)` tells its end from a failure. */
int db_reset(struct db_stmt *st);
/* The current row's columns; text is NUL-terminated, NULL for SQL NULL. */
int64_t db_column_int64(struct db_stmt *st, int i);
int db_column_int(struct db_stmt *st, int i);
const unsigned char *db_column_text(struct db_stmt *st, int i);
const void *db_column_blob(struct db_stmt *st, int i);
/* Bytes of the column's text or blob. */
int db_column_bytes(struct db_stmt *st, int i);
int db_column_type(struct db_stmt *st, int i);
/*
 * Column i's text copied into arena a, so that it outlives db_reset:
 * NUL-terminated, "" for SQL NULL (never NULL).  Fails only as
 * arena_alloc does (abort on malloc failure).
 */
const char *db_column_dup(struct arena *a, struct db_stmt *st, int i);
/*
 * Column i's text into the n-byte buffer out (n > 0): cut to n - 1 bytes
 * when longer, always NUL-terminated, "" for SQL NULL.
 */
void db_column_copy(struct db_stmt *st, int i, char *out, size_t n);
/* Reads the current row of st into the element at row, its text copied into a. */
typedef void db_row_fn(struct arena *a, struct db_stmt *st, void *row);
/*
 * Steps st (prepared and bound) to its end, reading each row with fn into
 * an array of size-byte elements grown in a (arena_grow): *out, NULL when
 * there is no row.  The number of rows, or -1 when a step failed (*out
 * then holds the rows read before).  Resets st.
 */
int db_rows(struct db_stmt *st, struct arena *a, size_t size, db_row_fn *fn, void **out);
/*
 * Steps st, a write with no rows wanted (INSERT, UPDATE, DELETE) in a
 * write transaction (db_begin or db_begin_keyed), when the backend finds
 * it best.  SQLite steps it now and returns db_step's code (DB_DONE, or
 * an error), then resets it.  PostgreSQL queues it into the transaction's
 * pipeline without waiting for its answer and returns DB_DONE; it is
 * sent with what the transaction sends next (the COMMIT: one round trip
 * for the writes and the commit), and when it fails the transaction
 * fails: db_commit returns -1 (rolled back), as do the statements run
 * after it.  db_changes says nothing of such a statement.  Its bindings
 * may go as soon as it returns.
 */
int db_step_later(struct db_stmt *st);
/* Rows changed by the last INSERT, UPDATE or DELETE on db. */
int db_changes(struct db *db);
/* The id given to the row of the last INSERT on db. */
int64_t db_last_insert_id(struct db *db);
/* The last statement failed on a UNIQUE (or PRIMARY KEY) constraint. */
int db_unique_violation(struct db *db);
/* The last statement failed on any constraint. */
int db_constraint_violation(struct db *db);
/* Hands back cache memory the connection can do without (after a peak). */
void db_release_memory(struct db *db);
/*
 * One snapshot for several reads (BEGIN DEFERRED … COMMIT): a request
 * that reads four tables takes the WAL read lock once, not four times.
 * db_read_begin does nothing inside a transaction; db_read_end ends only
 * a transaction that wrote nothing; db_begin ends such a read first.
 * app.c ends a read left open when the request is answered.
 */
int db_read_begin(struct db *db);
int db_read_end(struct db *db);
/*
 * After db_read_begin, before the read's first statement: only that
 * statement needs the read's snapshot (and the data version read with
 * it); each later one may take its own.  On PostgreSQL the first goes
 * with the data version and its Sync in one pipeline, one write and one
 * round trip that ends the read on the server, and nothing is sent at
 * db_read_end (a DDI poll: the device, then reads of what a per-process
 * cache keyed on that data version misses, whose rows may only be newer).
 * On SQLite it does nothing (its BEGIN DEFERRED costs no round trip).
 */
void db_read_split(struct db *db);
/*
 * Ends whatever a request left open: a read is let go, a write (a bug in
 * its handler) rolled back so the store is not held for every process.
 * Returns 1 when it had to roll back.
 */
int db_request_end(struct db *db);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; return 0 or -1. */
int db_begin(struct db *db);
/*
 * A write transaction that may run beside others of other keys: key
 * names the rows it reads to decide (a device's own: its actions and
 * their log), and every row it shares with other keys it changes only
 * by single statements that read and write the row under its row lock
 * (a rollout's counters).  On PostgreSQL the commits of such writers
 * share the disk's flushes (db_pg.c says which lock is taken); db_begin
 * waits for them all and they for it.  On SQLite it is db_begin (one
 * writer).  0 or -1 (busy).  On PostgreSQL always 0: the BEGIN and its
 * locks go with the first statement (one round trip less), and a lock
 * not granted is that statement's DB_BUSY (the caller rolls back): only
 * the writer lock's, after busy_ms; the key's own lock is waited for as
 * long as the key's earlier writers take (a device's feedbacks sent at
 * once are all taken, in turn).
 */
int db_begin_keyed(struct db *db, int64_t key);
int db_commit(struct db *db);
/*
 * The write transaction's COMMIT sent with its next statement, where the
 * backend can: PostgreSQL sends it in that statement's pipeline (a keyed
 * writer's BEGIN, locks, statement and COMMIT in one round trip), and
 * db_commit then returns what it answered (-1: not committed, rolled
 * back).  That statement must be the transaction's last write and must
 * guard its own writes (what it writes is committed whatever the caller
 * makes of its rows; a db_rollback after it changes nothing).  SQLite:
 * nothing (db_commit commits).
 */
void db_commit_with_next(struct db *db);
void db_rollback(struct db *db);
/*
 * A number that changes whenever the database changes, through this
 * connection or any other: what a per-process cache keys on.  Read it in
 * the transaction whose snapshot the cached value came from.  On
 * PostgreSQL the tables no such cache reads (the request log's, the DDI
 * actions and their log: schema_pg.c, steps 1 and 18) do not move it.
 */
unsigned db_data_version(struct db *db);
/* Runs a statement with no result rows; 0 or -1. */
int db_exec(struct db *db, const char *sql);
const char *db_errmsg(struct db *db);

#endif
