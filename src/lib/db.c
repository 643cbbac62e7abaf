#include "db.h"
#include "db_pg.h"
#include "arena.h"

#include <locale.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>
#include <time.h>

/* A kept statement: the backend's handle; its address never changes. */
struct db_stmt {
	sqlite3_stmt *st;
	struct pg_stmt *pg;	/* set instead of st on PostgreSQL */
	int failed;		/* PostgreSQL: the run's failed step's code, for db_reset */
};

/* SQLite's handle, or (pg set, h NULL) PostgreSQL's (db_pg.c). */
struct db {
	sqlite3 *h;
	struct pg_conn *pg;
	struct {
		const char *sql;
		struct db_stmt s;
		unsigned long used;	/* db->tick at its last db_stmt() */
	} cache[DB_STMT_CACHE];
	int ncache;
	unsigned long tick;
	int unkept;		/* db_prepare's statements so far (their names) */
	int busy_ms;		/* how long a lock is waited for (busy_wait) */
	struct timespec busy_since;	/* when the current wait began */
};


static int migrate(struct db *db, const char *const *steps, int nsteps,
		   struct nb_err *e)
{
	int v = db_version(db), i;

	if (v == nsteps)
		return 0;
	if (db_begin(db) < 0) {
		nb_fail(e, NB_UNAVAILABLE, "cannot lock the database: %s", db_errmsg(db));
		return -1;
	}
	/* another process may have migrated while we waited for the lock */
	v = db_version(db);
	if (v > nsteps) {
		db_rollback(db);
		nb_fail(e, NB_INTERNAL, "database schema %d is newer than this program (%d)",
			 v, nsteps);
		return -1;
	}
	for (i = v; i < nsteps; i++) {
		char pragma[64];
		if (sqlite3_exec(db->h, steps[i], NULL, NULL, NULL) != SQLITE_OK) {
			nb_fail(e, NB_INTERNAL, "schema step %d: %s", i + 1, db_errmsg(db));
			db_rollback(db);
			return -1;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", i + 1);
		sqlite3_exec(db->h, pragma, NULL, NULL, NULL);
	}
	if (db_commit(db) < 0) {
		nb_fail(e, NB_UNAVAILABLE, "schema commit: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}

/* One code point of s[0..n) into *cp: its length, or 0 when s holds no
 * well-formed UTF-8 sequence there (the byte is then kept as it is). */
static int utf8_next(const unsigned char *s, int n, unsigned *cp)
{
	int len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 :
		  (s[0] & 0xF8) == 0xF0 ? 4 : 0, i;
	static const unsigned min[] = { 0, 0, 0x80, 0x800, 0x10000 };

	if (!len || len > n)
		return 0;
	*cp = len == 1 ? s[0] : s[0] & (0x7F >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3F);
	}
	return *cp < min[len] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp < 0xE000) ? 0 : len;
}

/* cp as UTF-8 into out (room for 4): its length. */
static int utf8_put(unsigned cp, unsigned char *out)
{
	int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4, i;
	static const unsigned char lead[] = { 0, 0x00, 0xC0, 0xE0, 0xF0 };

	for (i = len - 1; i > 0; i--, cp >>= 6)
		out[i] = (unsigned char)(0x80 | (cp & 0x3F));
	out[0] = (unsigned char)(lead[len] | cp);
	return len;
}

/*
 * SQL nb_lower(x): x with every letter lowered by Unicode's simple case
 * mapping (C.UTF-8's towlower: "ÄPFEL" is "äpfel"), where SQLite's lower()
 * folds ASCII only; NULL stays NULL, bytes that are not UTF-8 are kept.
 * The search's case folding (PostgreSQL's SQL writes lower() under an
 * ICU collation instead).  Deterministic, so usable in any query.
 */
static void sql_nb_lower(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	locale_t loc = sqlite3_user_data(cx);
	const unsigned char *s = sqlite3_value_text(argv[0]);
	int n = sqlite3_value_bytes(argv[0]), i = 0, len, o = 0;
	unsigned char *out;
	unsigned cp;

	(void)argc;
	if (!s) {
		sqlite3_result_null(cx);
		return;
	}
	/* a lowered letter takes at most 3 bytes where it took 2 (U+023A) */
	if (!(out = sqlite3_malloc64((sqlite3_uint64)n * 3 / 2 + 4))) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	while (i < n) {
		if (!(len = utf8_next(s + i, n - i, &cp))) {
			out[o++] = s[i++];
			continue;
		}
		i += len;
		o += utf8_put(loc ? (unsigned)towlower_l((wint_t)cp, loc) :
			      cp < 0x80 ? (unsigned)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp) : cp,
			      out + o);
	}
	sqlite3_result_text(cx, (const char *)out, o, sqlite3_free);
}

static void nb_lower_free(void *loc)
{
	freelocale((locale_t)loc);
}

/* Registers nb_lower (without C.UTF-8 on the system: ASCII only). */
static int add_functions(sqlite3 *h)
{
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	return sqlite3_create_function_v2(h, "nb_lower", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC |
					  SQLITE_INNOCUOUS, loc, sql_nb_lower, NULL, NULL,
					  loc ? nb_lower_free : NULL);
}

static long long ns_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000000LL + (t.tv_nsec - t0->tv_nsec);
}

/*
 * The busy handler: 1 to retry, 0 to give up (SQLITE_BUSY).  SQLite's own
 * (sqlite3_busy_timeout) sleeps 1 ms first, then longer; our writers hold
 * the lock for tens of microseconds (a feedback's commit), so a process
 * slept far longer than the wait it was in.  Here the first sleeps are
 * 20 us, doubled up to 1 ms, until db->busy_ms have passed since the
 * first call of this wait (count 0).
 */
static int busy_wait(void *arg, int count)
{
	struct db *db = arg;
	long long us = 20LL << (count < 6 ? count : 6);
	struct timespec ts;

	if (count == 0)
		clock_gettime(CLOCK_MONOTONIC, &db->busy_since);
	else if (ns_since(&db->busy_since) >= db->busy_ms * 1000000LL)
		return 0;
	if (us > 1000)
		us = 1000;
	ts.tv_sec = 0;
	ts.tv_nsec = us * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

/*
 * Called by SQLite after each commit on a connection, once the write lock
 * is released (sqlite3_wal_hook): syncs the WAL, so a commit is durable
 * (a power cut keeps it) before the statement that committed returns, and
 * so before any answer acknowledges it.  synchronous=FULL would sync with
 * the lock held, every writer of the store waiting for each sync in turn;
 * here concurrent writers' syncs of the one file share the filesystem's
 * journal commits.  Frames a checkpoint copied meanwhile are durable in
 * the database file (a checkpoint syncs the WAL before it copies and the
 * database after), so a WAL restarted by then loses nothing.  A failed
 * sync fails the statement (SQLITE_IOERR; the commit happened, but no
 * answer says so).  The hook replaces SQLite's auto-checkpoint, so it
 * checkpoints as that did: PASSIVE once the WAL holds 1,000 frames.
 */
static int wal_committed(void *arg, sqlite3 *h, const char *name, int frames)
{
	sqlite3_file *wal = NULL;

	(void)arg;
	if (sqlite3_file_control(h, name, SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK ||
	    !wal || !wal->pMethods || wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) != SQLITE_OK)
		return SQLITE_IOERR_FSYNC;
	if (frames >= 1000)
		sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

int db_open(const char *path, int busy_ms, const char *const *steps, int nsteps,
	    struct db **out, struct nb_err *e)
{
	struct db *db = calloc(1, sizeof(*db));
	char pragmas[160];

	*out = NULL;
	if (!db) {
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
		return -1;
	}
	if (db_pg_is_url(path)) {
		if (db_pg_open(path, busy_ms, steps, nsteps, &db->pg, e) < 0) {
			free(db);	/* e: the store's own words */
			return -1;
		}
		*out = db;
		return 0;
	}
	/*
	 * Memory statistics take a global mutex on every allocation; nothing
	 * reads them.  Only honoured before SQLite initializes (the first
	 * open), which is when this runs.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/*
	 * No SQLITE_CONFIG_PAGECACHE block: it made the poll's device lookup
	 * cheaper under other processes' commits, but a DDI feedback ran at
	 * 1,539/s with it against 3,828/s without (make bench, one action),
	 * so the page cache stays SQLite's default allocator.
	 */
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		nb_fail(e, NB_UNAVAILABLE, "%s: %s", path, db->h ? sqlite3_errmsg(db->h) : "cannot open");
		db_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db->h, busy_ms);
	if (add_functions(db->h) != SQLITE_OK) {
		nb_fail(e, NB_UNAVAILABLE, "%s: %s", path, sqlite3_errmsg(db->h));
		db_close(db);
		return -1;
	}
	db->busy_ms = busy_ms;
	if (busy_ms > 0)
		sqlite3_busy_handler(db->h, busy_wait, db);
	/*
	 * Lookaside: the statements we keep prepared hold the default 100
	 * slots, after which every step goes to malloc.  512 slots of 256
	 * bytes (128 KiB, touched only as used) serve the steps too.
	 */
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_LOOKASIDE, NULL, 256, 512);
	/*
	 * WAL with synchronous=NORMAL, and each commit's frames synced by
	 * wal_committed once the write lock is released: as durable as FULL
	 * (see there), without a writer holding the lock over its sync.
	 */
	/*
	 * A 1 MiB page cache per process (256 pages of 4 KiB): our queries are
	 * small and indexed.
	 * No mmap_size: in WAL mode SQLite unmaps the whole file whenever
	 * another process has committed since this one last read (with the
	 * page cache), so with the store's steady small commits (request log,
	 * last_seen, feedback) every page was faulted in again; measured with
	 * make bench's fleet polls it cost more than the pread it saves.
	 */
	snprintf(pragmas, sizeof(pragmas), "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		 "PRAGMA cache_size=%d; PRAGMA foreign_keys=ON;", DB_CACHE_PAGES);
	if (sqlite3_exec(db->h, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		nb_fail(e, NB_UNAVAILABLE, "%s: %s", path, sqlite3_errmsg(db->h));
		db_close(db);
		return -1;
	}
	sqlite3_wal_hook(db->h, wal_committed, NULL);
	if (migrate(db, steps, nsteps, e) < 0) {
		db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	int i;

	if (!db)
		return;
	for (i = 0; i < db->ncache; i++) {
		sqlite3_finalize(db->cache[i].s.st);
		db_pg_stmt_free(db->cache[i].s.pg);
	}
	sqlite3_close(db->h);
	db_pg_close(db->pg);
	free(db);
}

int db_is_url(const char *where)
{
	return db_pg_is_url(where);
}

int db_is_pg(struct db *db)
{
	return db->pg != NULL;
}

sqlite3 *db_handle(struct db *db)
{
	return db->h;
}

int db_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (db->pg)
		return db_pg_version(db->pg);
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * A full cache (more distinct statements than DB_STMT_CACHE): reuse the
 * least recently handed-out slot whose statement is not being stepped.
 * Finalizing one that is (a caller between its steps) would pull it from
 * under that caller; the least recent one is not held by a caller that
 * has bound it and not stepped it yet.
 */
static int stmt_busy(const struct db_stmt *s)
{
	return s->pg ? db_pg_stmt_busy(s->pg) : sqlite3_stmt_busy(s->st);
}

static struct db_stmt *cache_replace(struct db *db, const char *sql, struct db_stmt st)
{
	int i, k = -1;

	fprintf(stderr, "nestbox: statement cache full (DB_STMT_CACHE is too small)\n");
	for (i = 0; i < DB_STMT_CACHE; i++)
		if (!stmt_busy(&db->cache[i].s) &&
		    (k < 0 || db->cache[i].used < db->cache[k].used))
			k = i;
	if (k < 0)
		return NULL;
	sqlite3_finalize(db->cache[k].s.st);
	db_pg_stmt_free(db->cache[k].s.pg);
	db->cache[k].sql = sql;
	db->cache[k].s = st;
	db->cache[k].used = ++db->tick;
	return &db->cache[k].s;
}

/* A new statement for sql, for cache slot `slot` (PostgreSQL names it so). */
static int stmt_new(struct db *db, const char *sql, int slot, struct db_stmt *out)
{
	memset(out, 0, sizeof(*out));
	if (db->pg)
		return (out->pg = db_pg_stmt_new(db->pg, sql, slot)) ? 0 : -1;
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &out->st, NULL) != SQLITE_OK) {
		fprintf(stderr, "nestbox: SQL error: %s in: %s\n", sqlite3_errmsg(db->h), sql);
		return -1;
	}
	return 0;
}

/* The slot cache_replace would take, so the new statement gets its name. */
static int replace_slot(struct db *db)
{
	int i, k = -1;

	for (i = 0; i < DB_STMT_CACHE; i++)
		if (!stmt_busy(&db->cache[i].s) &&
		    (k < 0 || db->cache[i].used < db->cache[k].used))
			k = i;
	return k < 0 ? DB_STMT_CACHE : k;
}

struct db_stmt *db_stmt(struct db *db, const char *sql)
{
	struct db_stmt *kept, st;
	int i;

	for (i = 0; i < db->ncache; i++)
		if (db->cache[i].sql == sql) {
			db->cache[i].used = ++db->tick;
			kept = &db->cache[i].s;
			if (kept->pg) {
				db_pg_stmt_clear(kept->pg);
				kept->failed = 0;
			} else {
				sqlite3_reset(kept->st);
				sqlite3_clear_bindings(kept->st);
			}
			return kept;
		}
	if (stmt_new(db, sql, db->ncache < DB_STMT_CACHE ? db->ncache : replace_slot(db), &st) < 0)
		return NULL;
	if (db->ncache < DB_STMT_CACHE) {
		kept = &db->cache[db->ncache].s;
		db->cache[db->ncache].sql = sql;
		*kept = st;
		db->cache[db->ncache].used = ++db->tick;
		db->ncache++;
	} else if (!(kept = cache_replace(db, sql, st))) {
		fprintf(stderr, "nestbox: statement cache full of statements in use\n");
		sqlite3_finalize(st.st);
		db_pg_stmt_free(st.pg);
		return NULL;
	}
	return kept;
}

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
	struct db_stmt *st = calloc(1, sizeof(*st));

	/* named past every cache slot, so never one a kept statement has */
	if (st && stmt_new(db, sql, DB_STMT_CACHE + 1 + db->unkept++, st) == 0)
		return st;
	free(st);
	return NULL;
}

void db_finalize(struct db_stmt *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->st);
	db_pg_stmt_free(st->pg);
	free(st);
}

static sqlite3_destructor_type life(enum db_life l)
{
	return l == DB_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT;
}

int db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	return s->pg ? db_pg_bind_int64(s->pg, i, v) : sqlite3_bind_int64(s->st, i, v);
}

int db_bind_int(struct db_stmt *s, int i, int v)
{
	return s->pg ? db_pg_bind_int64(s->pg, i, v) : sqlite3_bind_int(s->st, i, v);
}

int db_bind_text(struct db_stmt *s, int i, const char *t, int n, enum db_life l)
{
	if (s->pg)
		return t ? db_pg_bind_text(s->pg, i, t, n, l == DB_TRANSIENT) : db_pg_bind_null(s->pg, i);
	return sqlite3_bind_text(s->st, i, t, n, life(l));
}

int db_bind_blob(struct db_stmt *s, int i, const void *p, int n, enum db_life l)
{
	if (s->pg)
		return db_pg_bind_blob(s->pg, i, p, n, l == DB_TRANSIENT);
	return sqlite3_bind_blob(s->st, i, p, n, life(l));
}

int db_bind_null(struct db_stmt *s, int i)
{
	return s->pg ? db_pg_bind_null(s->pg, i) : sqlite3_bind_null(s->st, i);
}

int db_step(struct db_stmt *s)
{
	int rc;

	if (!s->pg)
		return sqlite3_step(s->st);
	rc = db_pg_step(s->pg);
	if (rc != DB_ROW && rc != DB_DONE)
		s->failed = rc;
	return rc;
}

int db_step_later(struct db_stmt *s)
{
	int rc;

	if (!s->pg) {
		rc = sqlite3_step(s->st);
		sqlite3_reset(s->st);
		return rc;
	}
	rc = db_pg_step_later(s->pg);
	if (rc != DB_DONE)
		s->failed = rc;
	return rc;
}

/* As sqlite3_reset: the code of the run's failed step, else DB_OK, so a
 * loop that stops at the first step that is not a row can tell its end
 * from an error after it; the same on PostgreSQL. */
int db_reset(struct db_stmt *s)
{
	int rc;

	if (!s->pg)
		return sqlite3_reset(s->st);
	rc = s->failed;
	s->failed = 0;
	db_pg_reset(s->pg);
	return rc ? rc : DB_OK;
}

int64_t db_column_int64(struct db_stmt *s, int i)
{
	return s->pg ? db_pg_column_int64(s->pg, i) : sqlite3_column_int64(s->st, i);
}

int db_column_int(struct db_stmt *s, int i)
{
	return s->pg ? (int)db_pg_column_int64(s->pg, i) : sqlite3_column_int(s->st, i);
}

const unsigned char *db_column_text(struct db_stmt *s, int i)
{
	return s->pg ? db_pg_column_text(s->pg, i) : sqlite3_column_text(s->st, i);
}

const void *db_column_blob(struct db_stmt *s, int i)
{
	return s->pg ? db_pg_column_blob(s->pg, i) : sqlite3_column_blob(s->st, i);
}

int db_column_bytes(struct db_stmt *s, int i)
{
	return s->pg ? db_pg_column_bytes(s->pg, i) : sqlite3_column_bytes(s->st, i);
}

const char *db_column_dup(struct arena *a, struct db_stmt *st, int i)
{
	const char *v = (const char *)db_column_text(st, i);

	return v ? arena_strndup(a, v, (size_t)db_column_bytes(st, i)) : "";
}

void db_column_copy(struct db_stmt *st, int i, char *out, size_t n)
{
	const char *v = (const char *)db_column_text(st, i);
	size_t len = v ? (size_t)db_column_bytes(st, i) : 0;

	if (len >= n)
		len = n - 1;
	if (len)
		memcpy(out, v, len);
	out[len] = '\0';
}

int db_rows(struct db_stmt *st, struct arena *a, size_t size, db_row_fn *fn, void **out)
{
	char *v = NULL;
	int n = 0, cap = 0, rc;

	while ((rc = db_step(st)) == DB_ROW) {
		v = arena_grow(a, v, n, &cap, size);
		fn(a, st, v + size * (size_t)n++);
	}
	db_reset(st);
	*out = v;
	return rc == DB_DONE ? n : -1;
}

int db_column_type(struct db_stmt *s, int i)
{
	return s->pg ? db_pg_column_type(s->pg, i) : sqlite3_column_type(s->st, i);
}

int db_changes(struct db *db)
{
	return db->pg ? db_pg_changes(db->pg) : sqlite3_changes(db->h);
}

int64_t db_last_insert_id(struct db *db)
{
	return db->pg ? db_pg_last_insert_id(db->pg) : sqlite3_last_insert_rowid(db->h);
}

int db_unique_violation(struct db *db)
{
	int x;

	if (db->pg)
		return db_pg_unique_violation(db->pg);
	x = sqlite3_extended_errcode(db->h);
	return x == SQLITE_CONSTRAINT_UNIQUE || x == SQLITE_CONSTRAINT_PRIMARYKEY;
}

int db_constraint_violation(struct db *db)
{
	if (db->pg)
		return db_pg_constraint_violation(db->pg);
	return (sqlite3_extended_errcode(db->h) & 0xff) == SQLITE_CONSTRAINT;
}

void db_release_memory(struct db *db)
{
	if (db->h)
		sqlite3_db_release_memory(db->h);
}

int db_exec(struct db *db, const char *sql)
{
	struct db_stmt *st = db_stmt(db, sql);
	int rc;

	if (!st)
		return -1;
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE || rc == DB_ROW ? 0 : -1;
}

/* Cached like every statement: these run on hot paths. */
static int step_once(struct db *db, const char *sql)
{
	struct db_stmt *st = db_stmt(db, sql);
	int rc = st ? db_step(st) : DB_ERROR;

	if (st)
		db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * Transactions' statements are kept prepared like every other: through
 * sqlite3_exec each BEGIN IMMEDIATE and COMMIT was parsed and compiled
 * again, a tenth of a DDI feedback's CPU time (perf).  The same text
 * serves the read's end and the write's commit.
 */
static const char sql_read_begin[] = "BEGIN DEFERRED";
static const char sql_write_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";

int db_read_begin(struct db *db)
{
	if (db->pg)
		return db_pg_read_begin(db->pg);
	return sqlite3_get_autocommit(db->h) ? step_once(db, sql_read_begin) : 0;
}

void db_read_split(struct db *db)
{
	if (db->pg)
		db_pg_read_split(db->pg);
}

/* Ends a transaction that only read; one that wrote is left to its owner. */
int db_read_end(struct db *db)
{
	if (db->pg)
		return db_pg_read_end(db->pg);
	if (sqlite3_get_autocommit(db->h) || sqlite3_txn_state(db->h, NULL) == SQLITE_TXN_WRITE)
		return 0;
	return step_once(db, sql_commit);
}

int db_begin(struct db *db)
{
	if (db->pg)
		return db_pg_begin(db->pg);
	/* a writer leaves the reader's snapshot: nothing to keep there */
	db_read_end(db);
	return step_once(db, sql_write_begin);
}

int db_begin_keyed(struct db *db, int64_t key)
{
	if (db->pg)
		return db_pg_begin_keyed(db->pg, key);
	return db_begin(db);
}

void db_commit_with_next(struct db *db)
{
	if (db->pg)
		db_pg_commit_with_next(db->pg);
}

int db_commit(struct db *db)
{
	if (db->pg)
		return db_pg_commit(db->pg);
	if (step_once(db, sql_commit) == 0)
		return 0;
	db_rollback(db);
	return -1;
}

void db_rollback(struct db *db)
{
	if (db->pg)
		db_pg_rollback(db->pg);
	else if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

const char *db_errmsg(struct db *db)
{
	return db->pg ? db_pg_errmsg(db->pg) : sqlite3_errmsg(db->h);
}

unsigned db_data_version(struct db *db)
{
	unsigned v = 0;

	if (db->pg)
		return db_pg_data_version(db->pg);
	sqlite3_file_control(db->h, "main", SQLITE_FCNTL_DATA_VERSION, &v);
	return v;
}

int db_request_end(struct db *db)
{
	if (db->pg)
		return db_pg_request_end(db->pg);
	if (sqlite3_get_autocommit(db->h))
		return 0;
	if (sqlite3_txn_state(db->h, NULL) == SQLITE_TXN_WRITE) {
		db_rollback(db);
		return 1;
	}
	db_read_end(db);
	return 0;
}
