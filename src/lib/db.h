/*
 * db.h - the SQLite store handle.
 *
 * One database per installation in WAL mode, so readers never wait for
 * the writer; busy_timeout so a second writer waits instead of failing;
 * schema steps applied in order and recorded in PRAGMA user_version.
 * Statements are prepared once per process and kept (keyed by the address
 * of their SQL text, which is always a string literal), because preparing
 * costs more than most of our queries.  Domain code keeps its SQL in its
 * own *_store.c files behind functions, so another backend can replace
 * them module by module.
 */
#ifndef NB_DB_H
#define NB_DB_H

#include <stddef.h>
#include <sqlite3.h>

struct db;

int db_open(const char *path, int busy_ms, const char *const *steps, int nsteps,
	    struct db **out, char *err, size_t errlen);
void db_close(struct db *db);
sqlite3 *db_handle(struct db *db);
int db_version(struct db *db);

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
sqlite3_stmt *db_stmt(struct db *db, const char *sql);
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
 * Ends whatever a request left open: a read is let go, a write (a bug in
 * its handler) rolled back so the store is not held for every process.
 * Returns 1 when it had to roll back.
 */
int db_request_end(struct db *db);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; return 0 or -1. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);
/*
 * A number that changes whenever the database changes, through this
 * connection or any other: what a per-process cache keys on.  Read it in
 * the transaction whose snapshot the cached value came from.
 */
unsigned db_data_version(struct db *db);
/* Runs a statement with no result rows; 0 or -1. */
int db_exec(struct db *db, const char *sql);
const char *db_errmsg(struct db *db);

#endif
