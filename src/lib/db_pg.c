/*
 * db_pg.c - db.h over PostgreSQL (libpq).
 *
 * The code above db.h was written for SQLite; this backend keeps SQLite's
 * meaning where the code depends on it:
 * - statements are prepared once per connection (named "s<slot>" after
 *   the cache slot of db.c), lazily at their first step, with the types
 *   of the first bindings so that "? IS NULL" needs no cast;
 * - rows are read one at a time (single-row mode), so a long list costs
 *   one row of memory; when another statement runs while one is being
 *   read (SQLite allows nesting), the rest of the first is read into its
 *   queue first, since a connection runs one query at a time;
 * - an INSERT inside a transaction runs under a savepoint, so a failed
 *   one (a UNIQUE violation the caller handles) leaves the transaction
 *   usable, as in SQLite (an UPDATE or DELETE that fails ends it: no
 *   caller goes on after one, and two round trips each are saved); a write outside one runs in its
 *   own transaction under the writer lock (below), as SQLite's do, so
 *   "insert only while fewer than N" in one statement stays a guard;
 * - writers take transaction-scoped advisory locks, in READ COMMITTED
 *   (a REPEATABLE READ snapshot would be taken before a lock is granted;
 *   each statement after it sees what the lock's last holder committed):
 *   . db_begin (and a write outside a transaction) takes the writer lock
 *     PG_WRITE_LOCK alone: one writer at a time, SQLite's BEGIN
 *     IMMEDIATE, so read-modify-write code across many rows (rollout
 *     state changes, the poll's offer with its max_concurrent_updates
 *     count, self-registration's caps, the operator's pages, nestboxctl)
 *     stays correct as written for SQLite;
 *   . db_begin_keyed (the DDI device's own writes: feedback, cancel and
 *     confirmation feedback, auto-confirm, configData; and the request
 *     log's flush, key 0) takes the lock of its key (the device) alone,
 *     waited for without a time limit, then the writer lock shared,
 *     within lock_timeout (SQL_KEY_LOCK).  They exclude db_begin's
 *     writers and these them, as before; beside each other they are safe
 *     because each reads to decide only its key's rows (the device's, its
 *     actions'; the request log's tables), and rows shared between keys (a rollout's counters, the
 *     device counts, the data version) change only by single statements
 *     under the row's lock.  So their commits do not wait for each other
 *     and share the disk's flushes (group commit), where one writer at a
 *     time pays one flush each;
 *   . migration takes PG_MIGRATE_LOCK, only when a step is due.
 *   The data version is bumped in one of 64 rows per server process
 *   (schema step 16): one row would be a lock every writer holds until
 *   its commit is flushed.  Read transactions are REPEATABLE READ (one
 *   snapshot, as SQLite's BEGIN DEFERRED): the session's default, which
 *   writers override;
 * - a serialization failure, deadlock or lock timeout is DB_BUSY, and so
 *   is a lost connection (the server restarted): the connection is made
 *   again (PQreset) when the next statement starts outside a transaction,
 *   before anything is sent on it, and a read that finds it lost when
 *   sent or on its first result is run once more (retryable); inside a
 *   transaction the caller's work is gone, so its statements fail until
 *   it ends the transaction;
 * - round trips are what a request pays for (two programs per front end
 *   each wait for every one), so what needs no answer of its own rides
 *   with the next statement in one pipeline (libpq pipeline mode): a
 *   read transaction's data-version read, a savepoint's RELEASE.  A read
 *   transaction is implicit: no BEGIN, no COMMIT; its statements go into
 *   one open pipeline, which the server runs as one transaction until
 *   the Sync that db_pg_read_end sends without waiting (its answer is read
 *   before the connection is used again, not before the client's
 *   answer); the session's repeatable read keeps its first snapshot (a
 *   poll: one round trip, two statements).  What cannot go into that
 *   pipeline (a statement to prepare, a write) first makes it an
 *   explicit transaction with the same snapshot (imp_join).  A write's
 *   BEGIN and its lock are one round trip (db_begin's); a keyed writer's
 *   go with its first statement, in its pipeline (a feedback: BEGIN, the
 *   locks and the action read, one round trip where they were two), so
 *   its lock's refusal (lock_timeout) is that statement's DB_BUSY.
 *   A read split (db_pg_read_split, the DDI poll) sends its first
 *   statement with the data version and the Sync in one write: the read
 *   ends on the server with that answer, nothing is sent at its end, and
 *   a later statement runs alone (its own snapshot).  A write whose
 *   answer is not waited for (db_pg_step_later: a feedback's entry and
 *   progress) waits in the transaction's pipeline for the COMMIT, and
 *   goes with it.  A statement may take the COMMIT into its own pipeline
 *   (db_pg_commit_with_next: it guards its writes itself): a progress
 *   feedback is two round trips (the device; BEGIN, the locks, the
 *   statement that reads the action and writes, and COMMIT), so its
 *   device's lock is held for the server's work and the flush, not for
 *   a round trip to the program as well.
 *   COMMIT of a write waits for the server: a request answered means
 *   committed (synchronous_commit is the server's, on unless the
 *   deployment chose otherwise).
 */
#include "db.h"
#include "db_pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Type oids (pg_type.h is server-side). */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
       OID_TEXT = 25, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_VARCHAR = 1043,
       OID_NUMERIC = 1700 };
/* Any 64-bit key: the store's writer lock and its migration lock. */
#define PG_WRITE_LOCK "7305001"
#define PG_MIGRATE_LOCK "7305002"
/* The keyed writers' locks: (PG_KEY_LOCKS, key) in the two-int4 key space. */
#define PG_KEY_LOCKS "7305003"
/*
 * Writers read committed (the session's default is repeatable read, for
 * the implicit reads): each statement after the lock sees what the lock's
 * last holder committed.
 */
#define SQL_WRITE_BEGIN "BEGIN ISOLATION LEVEL READ COMMITTED"
/*
 * A keyed writer's locks (db_pg_begin_keyed), its key the int4 $1, in
 * this order (a select list is evaluated left to right): its key's
 * first, waited for however long it takes, then the writer lock shared,
 * waited for at most the session's lock_timeout ($2, the busy time).
 * Only the key's own writers hold its lock, each for one short
 * transaction whose own waits are bounded (the writer lock), so a queue
 * of them (a device's feedbacks sent at once) always drains: with the
 * busy time on the key's lock, the last ones in such a queue were
 * answered 503 although nothing but their own device held them.  Waited
 * for without the writer lock held, they keep no db_begin writer waiting.
 */
#define SQL_KEY_LOCK "SELECT set_config('lock_timeout', '0', true), " \
	"pg_advisory_xact_lock(" PG_KEY_LOCKS ", $1::int4), " \
	"set_config('lock_timeout', $2, true), " \
	"pg_advisory_xact_lock_shared(" PG_WRITE_LOCK ")"

enum bound { B_NULL, B_INT, B_TEXT, B_BLOB };

struct pg_param {
	enum bound kind;
	int64_t i;
	const char *p;		/* text or blob bytes */
	int n;
	char *own;		/* our copy (DB_TRANSIENT, or text needing a NUL) */
	char num[24];		/* an integer sent as text */
	unsigned char be[8];	/* an integer sent as binary int8 */
};

struct pg_stmt {
	struct pg_conn *c;
	char name[16];
	char *text;		/* the SQL with $N placeholders */
	int nparams;
	int prepared;
	unsigned gen;		/* the connection's generation it was prepared in */
	int write;		/* INSERT, UPDATE or DELETE: a savepoint in a transaction */
	int own_txn;		/* this run opened its own write transaction */
	int guard;		/* an INSERT: under a savepoint in a transaction */
	Oid *ptypes;		/* the parameters' types, as prepared */
	struct pg_param *par;
	int running;		/* results pending (on the connection or queued) */
	PGresult **q;		/* results read ahead, oldest first */
	int nq, qhead, qcap;
	int lost;		/* a result could not be queued (out of memory) */
	PGresult *row;		/* the current row */
	unsigned char *blob;	/* a bytea column decoded */
	size_t blob_len;
	int blob_col;
};

/* The COMMIT sent with a statement (db_pg_commit_with_next): asked, sent, answered. */
enum { AHEAD_NO, AHEAD_ASKED, AHEAD_SENT, AHEAD_DONE };

struct pg_conn {
	PGconn *h;
	struct pg_stmt *active;	/* whose results the connection is sending */
	int changes;
	int wrote;		/* the open transaction wrote */
	char sqlstate[6];
	char err[512];
	struct pg_stmt *dv;	/* the data-version read */
	char set[192];		/* the session's settings, again after a reconnect */
	unsigned gen;		/* bumped by every reconnect: statements prepared before are gone */
	int txn;		/* the caller opened a transaction and has not ended it */
	int piped;		/* in pipeline mode: a sync result to read after the statement's */
	int imp;		/* a read transaction runs implicitly in the open pipeline */
	int async;		/* a command was sent whose answer is not read yet */
	int pre_read;		/* a read transaction to begin with the next statement */
	int pre_release;	/* RELEASE SAVEPOINT nb_stmt to send with the next statement */
	int pre_begin;		/* a keyed write's BEGIN and locks to send with the next statement */
	int split;		/* the read's statements after its first run each alone (db_pg_read_split) */
	int later;		/* commands in the write's open pipeline, unanswered (db_pg_step_later) */
	int ahead;		/* db_pg_commit_with_next: AHEAD_* */
	int ahead_ok;		/* (AHEAD_DONE) the COMMIT sent with the statement answered COMMIT */
	char pre_key[16];	/* its key, as the lock's int4 parameter */
	char busy[16];		/* lock_timeout as set at open (SQL_KEY_LOCK's $2) */
	struct pg_stmt *began;	/* the last statement started, when it began the read transaction */
	int has_dv;		/* the schema keeps nb_data_version */
	int dv_ok;		/* dv holds the open read transaction's data version */
	unsigned pre_gen;	/* gen + 1 once the prelude's statements are prepared */
	int64_t dv_val;
};

int db_pg_is_url(const char *where)
{
	return !strncmp(where, "postgresql://", 13) || !strncmp(where, "postgres://", 11);
}

static void set_err(struct pg_conn *c, const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(c->h);
	size_t n;

	/* no SQLSTATE from a connection that is gone: 08006, connection failure */
	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st :
		 PQstatus(c->h) == CONNECTION_BAD ? "08006" : "XX000");
	snprintf(c->err, sizeof(c->err), "%s", m && *m ? m : "PostgreSQL error");
	n = strlen(c->err);
	while (n && (c->err[n - 1] == '\n' || c->err[n - 1] == ' '))
		c->err[--n] = '\0';
}

/* SQLSTATE -> db.h code: busy for what a retry can cure. */
static int map_state(const char *s)
{
	if (!strcmp(s, "40001") || !strcmp(s, "40P01") || !strcmp(s, "55P03") ||
	    !strcmp(s, "57014") || !strncmp(s, "08", 2) || !strncmp(s, "57P", 3))
		return DB_BUSY;
	if (!strncmp(s, "23", 2))
		return DB_CONSTRAINT;
	return DB_ERROR;
}

/* A command with no rows we need, run whole; 0 or a db.h error code. */
static int run(struct pg_conn *c, const char *sql)
{
	PGresult *r = PQexec(c->h, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		set_err(c, r);
		rc = map_state(c->sqlstate);
	}
	PQclear(r);
	return rc;
}

static int settle(struct pg_conn *c);
static int begin_now(struct pg_conn *c);
static int later_end(struct pg_conn *c, int commit);

/* -- results read ahead ----------------------------------------------------- */

static void q_push(struct pg_stmt *s, PGresult *r)
{
	if (s->qhead + s->nq == s->qcap) {
		if (s->qhead) {
			memmove(s->q, s->q + s->qhead, s->nq * sizeof(*s->q));
			s->qhead = 0;
		} else {
			int cap = s->qcap ? s->qcap * 2 : 16;
			PGresult **q = realloc(s->q, cap * sizeof(*q));
			if (!q) {	/* out of memory: the run ends in an error */
				PQclear(r);
				s->lost = 1;
				return;
			}
			s->q = q;
			s->qcap = cap;
		}
	}
	s->q[s->qhead + s->nq++] = r;
}

/*
 * The end of a pipeline (its sync) after the statement's last result:
 * the connection leaves pipeline mode.
 */
static void unpipe(struct pg_conn *c)
{
	PGresult *r;

	if (!c->piped || c->imp)	/* (the implicit read's pipeline stays open) */
		return;
	c->piped = 0;
	if (c->ahead == AHEAD_SENT) {	/* the COMMIT after the statement (skipped if it failed) */
		c->ahead = AHEAD_DONE;
		c->ahead_ok = 0;
		while ((r = PQgetResult(c->h))) {
			if (PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT"))
				c->ahead_ok = 1;
			else if (PQresultStatus(r) != PGRES_PIPELINE_ABORTED)
				set_err(c, r);
			PQclear(r);
		}
	}
	while ((r = PQgetResult(c->h))) {
		ExecStatusType st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (!PQexitPipelineMode(c->h))	/* only a lost connection: a reset follows */
		set_err(c, NULL);
}

/* Reads the rest of the active statement's results into its queue. */
static void drain_active(struct pg_conn *c)
{
	struct pg_stmt *s = c->active;
	PGresult *r;

	if (s) {
		while ((r = PQgetResult(c->h)))
			q_push(s, r);
		c->active = NULL;
	}
}

/*
 * drain_active, then the answers of what was sent without waiting (a
 * read's COMMIT, the Sync that ends an implicit read): after this the
 * connection takes a new command (into the open pipeline while an
 * implicit read lasts).
 */
static void drain(struct pg_conn *c)
{
	PGresult *r;

	drain_active(c);
	if (c->later)	/* (its failure fails the transaction: the server's state says it) */
		later_end(c, 0);
	unpipe(c);
	if (c->async) {
		c->async = 0;
		while ((r = PQgetResult(c->h)))
			PQclear(r);
	}
}

/* The statement's next result, NULL when it has no more. */
static PGresult *next_result(struct pg_stmt *s)
{
	PGresult *r;

	if (s->nq) {
		s->nq--;
		return s->q[s->qhead++];
	}
	s->qhead = 0;
	if (s->c->active != s) {
		if (!s->lost)
			return NULL;
		s->lost = 0;	/* rows were dropped (q_push): not a silent end */
		return PQmakeEmptyPGresult(s->c->h, PGRES_FATAL_ERROR);
	}
	if (!(r = PQgetResult(s->c->h))) {
		s->c->active = NULL;
		unpipe(s->c);
	}
	return r;
}

static void discard(struct pg_stmt *s)
{
	PGresult *r;

	if (s->row) {
		PQclear(s->row);
		s->row = NULL;
	}
	while ((r = next_result(s)))
		PQclear(r);
	s->running = 0;
	s->blob_col = -1;
	if (s->own_txn) {
		s->own_txn = 0;
		s->c->txn = 0;
		s->c->pre_release = 0;	/* COMMIT and ROLLBACK end savepoints */
		if (PQtransactionStatus(s->c->h) == PQTRANS_INTRANS)
			run(s->c, "COMMIT");
		else
			run(s->c, "ROLLBACK");
	}
}

/* -- connection and migration ---------------------------------------------- */

static int step_apply(struct pg_conn *c, int i, const char *sql, struct nb_err *e)
{
	char up[96];

	if (run(c, sql))
		return nb_fail(e, NB_UNAVAILABLE, "schema step %d: %s", i + 1, c->err);
	snprintf(up, sizeof(up), "UPDATE nb_schema SET version = %d", i + 1);
	if (run(c, up))
		return nb_fail(e, NB_UNAVAILABLE, "schema version: %s", c->err);
	return 0;
}

/*
 * The steps after the recorded version, in one transaction under the
 * migration lock (several programs start at once), then the data-version
 * triggers (pg_track, kept by the schema) for tables new or old.  The
 * version is read first without the lock: a current schema (every start
 * but an upgrade's) needs nothing, and must not wait for the lock (held
 * by another host's migration, or an operator) until lock_timeout fails
 * the start.  Under the lock it is read again: another program may have
 * migrated meanwhile.
 */
static int migrate(struct pg_conn *c, const char *const *steps, int nsteps,
		   struct nb_err *e)
{
	int v, i;

	if (db_pg_version(c) == nsteps)
		return 0;
	if (run(c, "BEGIN ISOLATION LEVEL READ COMMITTED") ||
	    run(c, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")") ||
	    run(c, "CREATE TABLE IF NOT EXISTS nb_schema(version INTEGER NOT NULL)") ||
	    run(c, "INSERT INTO nb_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM nb_schema)")) {
		nb_fail(e, NB_UNAVAILABLE, "cannot lock the database: %s", c->err);
		run(c, "ROLLBACK");
		return -1;
	}
	v = db_pg_version(c);
	if (v > nsteps) {
		run(c, "ROLLBACK");
		return nb_fail(e, NB_UNAVAILABLE, "database schema %d is newer than this program"
			       " (%d)", v, nsteps);
	}
	for (i = v; i < nsteps; i++)
		if (step_apply(c, i, steps[i], e) < 0) {
			run(c, "ROLLBACK");
			return -1;
		}
	/* (a schema without the counter, as a test's, has no such function) */
	if ((v < nsteps && run(c, "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_proc"
			       " WHERE proname = 'nb_track_changes') THEN"
			       " PERFORM nb_track_changes(); END IF; END $$")) || run(c, "COMMIT")) {
		nb_fail(e, NB_UNAVAILABLE, "schema commit: %s", c->err);
		run(c, "ROLLBACK");
		return -1;
	}
	return 0;
}

/* Notices (a BEGIN inside a transaction) are not errors: no stderr noise. */
static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int db_pg_open(const char *url, int busy_ms, const char *const *steps, int nsteps,
	    struct pg_conn **out, struct nb_err *e)
{
	struct pg_conn *c = calloc(1, sizeof(*c));
	PGresult *r;

	*out = NULL;
	if (!c)
		return nb_fail(e, NB_UNAVAILABLE, "out of memory");
	c->h = PQconnectdb(url);
	if (PQstatus(c->h) != CONNECTION_OK) {
		nb_fail(e, NB_UNAVAILABLE, "PostgreSQL: %s", PQerrorMessage(c->h));
		db_pg_close(c);
		return -1;
	}
	PQsetNoticeProcessor(c->h, quiet, NULL);
	/*
	 * busy_timeout's counterpart: a lock waited for longer is DB_BUSY.
	 * synchronous_commit is left to the server (on by default): a request
	 * answered after COMMIT means the commit is on the server's disk.
	 * Commits of many connections at once share one flush there (group
	 * commit; commit_delay and commit_siblings are the server's settings).
	 * Repeatable read by default: an implicit read (db_pg_read_begin) keeps
	 * one snapshot over its statements; writers begin read committed.
	 */
	snprintf(c->busy, sizeof(c->busy), "%d", busy_ms > 0 ? busy_ms : 1);
	snprintf(c->set, sizeof(c->set), "SET lock_timeout = %s; SET client_min_messages = warning;"
		 " SET default_transaction_isolation = 'repeatable read'", c->busy);
	if (run(c, c->set)) {
		nb_fail(e, NB_UNAVAILABLE, "PostgreSQL: %s", c->err);
		db_pg_close(c);
		return -1;
	}
	if (migrate(c, steps, nsteps, e) < 0) {
		db_pg_close(c);
		return -1;
	}
	/* (a schema without the counter, as a test's, has none to read ahead) */
	r = PQexec(c->h, "SELECT to_regclass('nb_data_version') IS NOT NULL");
	c->has_dv = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		    *PQgetvalue(r, 0, 0) == 't';
	PQclear(r);
	*out = c;
	return 0;
}

/*
 * A connection that is gone (the server restarted, a network cut) is made
 * again, and its session set as at open; statements are prepared again
 * at their next run (gen).  Only outside a transaction of the caller's:
 * inside one, what it did is lost with the connection.  PQconsumeInput
 * reads what the server said while we were idle (the notice it sends
 * when it shuts down, then the end of the stream), without blocking, so
 * a restart is seen before anything is sent.  0, or -1 (still gone).
 */
static int revive(struct pg_conn *c)
{
	if (PQstatus(c->h) == CONNECTION_OK && PQconsumeInput(c->h))
		return 0;
	if (c->txn && !c->pre_read && !c->pre_begin) {
		set_err(c, NULL);
		return -1;
	}
	c->active = NULL;
	c->piped = c->imp = c->async = c->pre_release = c->dv_ok = 0;
	c->began = NULL;
	c->gen++;
	PQreset(c->h);
	if (PQstatus(c->h) != CONNECTION_OK || run(c, c->set)) {
		set_err(c, NULL);
		return -1;
	}
	return 0;
}

void db_pg_close(struct pg_conn *c)
{
	if (!c)
		return;
	if (c->dv)
		db_pg_stmt_free(c->dv);
	PQfinish(c->h);
	free(c);
}

int db_pg_version(struct pg_conn *c)
{
	PGresult *r;
	int v = -1;

	if (settle(c) != DB_OK)
		return -1;
	r = PQexec(c->h, "SELECT version FROM nb_schema");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* -- placeholders ------------------------------------------------------------ */

/* The end of the quoted text, comment or identifier starting at p. */
static const char *skip_quoted(const char *p)
{
	char q = *p;

	if (q == '-' ) {
		while (*p && *p != '\n')
			p++;
		return p;
	}
	if (q == '/') {
		const char *e = strstr(p + 2, "*/");
		return e ? e + 2 : p + strlen(p);
	}
	for (p++; *p; p++)
		if (*p == q) {
			if (p[1] != q)
				return p + 1;
			p++;	/* '' or "" inside */
		}
	return p;
}

/*
 * Hand-written rather than a regular expression or a parser library: the
 * only SQL syntax that matters here is where a '?' is not a placeholder
 * (inside '…' literals, "…" identifiers and comments), and the SQL is
 * our own string literals, not outside input.  SQLite numbers a bare '?'
 * one above the highest number so far, which is kept.
 */
int db_pg_translate(const char *sql, char *out, size_t n)
{
	const char *p = sql;
	size_t o = 0;
	int max = 0;

	while (*p) {
		if (*p == '\'' || *p == '"' || (p[0] == '-' && p[1] == '-') ||
		    (p[0] == '/' && p[1] == '*')) {
			const char *e = skip_quoted(p);
			if (o + (size_t)(e - p) >= n)
				return -1;
			memcpy(out + o, p, e - p);
			o += e - p;
			p = e;
		} else if (*p == '?') {
			int k = 0, w;
			for (p++; *p >= '0' && *p <= '9'; p++)
				k = k * 10 + (*p - '0');
			if (!k)
				k = max + 1;
			if (k > max)
				max = k;
			w = snprintf(out + o, n - o, "$%d", k);
			if (w < 0 || o + (size_t)w >= n)
				return -1;
			o += w;
		} else {
			if (o + 1 >= n)
				return -1;
			out[o++] = *p++;
		}
	}
	if (o >= n)
		return -1;
	out[o] = '\0';
	return max;
}

/* -- statements --------------------------------------------------------------- */

/* Inside a transaction that can still run statements. */
static int in_txn(struct pg_conn *c)
{
	return PQtransactionStatus(c->h) == PQTRANS_INTRANS;
}

/* An INSERT that can fail on a UNIQUE key (an upsert cannot): savepoint-worthy. */
static int is_insert(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	return !strncasecmp(sql, "INSERT", 6) && !strstr(sql, "ON CONFLICT");
}

static int is_write(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	return !strncasecmp(sql, "INSERT", 6) || !strncasecmp(sql, "UPDATE", 6) ||
	       !strncasecmp(sql, "DELETE", 6) || !strncasecmp(sql, "WITH", 4);
}

struct pg_stmt *db_pg_stmt_new(struct pg_conn *c, const char *sql, int slot)
{
	struct pg_stmt *s = calloc(1, sizeof(*s));
	size_t n = strlen(sql) + 16;

	/* each '?' becomes at most "$65535" (PostgreSQL's most parameters) */
	for (const char *q = sql; (q = strchr(q, '?')); q++)
		n += 5;

	if (!s || !(s->text = malloc(n)))
		goto fail;
	if ((s->nparams = db_pg_translate(sql, s->text, n)) < 0)
		goto fail;
	if (s->nparams && (!(s->par = calloc(s->nparams, sizeof(*s->par))) ||
			   !(s->ptypes = calloc(s->nparams, sizeof(*s->ptypes)))))
		goto fail;
	s->c = c;
	s->write = is_write(sql);
	s->guard = is_insert(sql);
	s->blob_col = -1;
	if (slot < 0)
		snprintf(s->name, sizeof(s->name), "sdv");
	else
		snprintf(s->name, sizeof(s->name), "s%d", slot);
	return s;
fail:
	fprintf(stderr, "nestbox: cannot keep the statement: %s\n", sql);
	db_pg_stmt_free(s);
	return NULL;
}

static void unbind(struct pg_param *p)
{
	free(p->own);
	memset(p, 0, sizeof(*p));
}

void db_pg_stmt_free(struct pg_stmt *s)
{
	int i;

	if (!s)
		return;
	if (s->c) {
		discard(s);
		if (s->prepared && s->gen == s->c->gen && PQstatus(s->c->h) == CONNECTION_OK) {
			char sql[40];
			settle(s->c);
			snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
			PQclear(PQexec(s->c->h, sql));
		}
	}
	for (i = 0; i < s->nparams && s->par; i++)
		unbind(&s->par[i]);
	PQfreemem(s->blob);
	free(s->q);
	free(s->par);
	free(s->ptypes);
	free(s->text);
	free(s);
}

int db_pg_stmt_busy(const struct pg_stmt *s)
{
	return s->running;
}

void db_pg_stmt_clear(struct pg_stmt *s)
{
	int i;

	db_pg_reset(s);
	for (i = 0; i < s->nparams; i++)
		unbind(&s->par[i]);
}

static struct pg_param *param(struct pg_stmt *s, int i)
{
	if (i < 1 || i > s->nparams)
		return NULL;
	unbind(&s->par[i - 1]);
	return &s->par[i - 1];
}

int db_pg_bind_int64(struct pg_stmt *s, int i, int64_t v)
{
	struct pg_param *p = param(s, i);

	if (!p)
		return DB_ERROR;
	p->kind = B_INT;
	p->i = v;
	return DB_OK;
}

int db_pg_bind_text(struct pg_stmt *s, int i, const char *t, int n, int copy)
{
	struct pg_param *p = param(s, i);

	if (!p)
		return DB_ERROR;
	if (!t)
		return DB_OK;
	p->kind = B_TEXT;
	p->n = n < 0 ? (int)strlen(t) : n;
	p->p = t;
	if (copy) {
		if (!(p->own = malloc(p->n + 1)))
			return DB_ERROR;
		memcpy(p->own, t, p->n);
		p->own[p->n] = '\0';
		p->p = p->own;
	}
	return DB_OK;
}

int db_pg_bind_blob(struct pg_stmt *s, int i, const void *b, int n, int copy)
{
	int rc = db_pg_bind_text(s, i, b ? b : "", n, copy);

	if (rc == DB_OK)
		s->par[i - 1].kind = B_BLOB;
	return rc;
}

int db_pg_bind_null(struct pg_stmt *s, int i)
{
	return param(s, i) ? DB_OK : DB_ERROR;
}

static Oid bound_type(const struct pg_param *p)
{
	return p->kind == B_INT ? OID_INT8 : p->kind == B_BLOB ? OID_BYTEA : 0;
}

/* A failed PREPARE would end the transaction it runs in: a savepoint there. */
static int prepare_as(struct pg_stmt *s, const Oid *types)
{
	int txn = in_txn(s->c), ok;
	PGresult *r;

	if (txn && run(s->c, "SAVEPOINT nb_prepare"))
		return -1;
	r = PQprepare(s->c->h, s->name, s->text, s->nparams, types);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		set_err(s->c, r);
	PQclear(r);
	if (txn)
		run(s->c, ok ? "RELEASE SAVEPOINT nb_prepare" :
		    "ROLLBACK TO SAVEPOINT nb_prepare; RELEASE SAVEPOINT nb_prepare");
	return ok ? 0 : -1;
}

/* The parameter PostgreSQL could not type ("… parameter $N"), 0-based; -1 if none. */
static int untyped_param(const struct pg_conn *c, int nparams)
{
	const char *p = strstr(c->err, "parameter $");
	int k;

	if ((strcmp(c->sqlstate, "42P18") && strcmp(c->sqlstate, "42P08")) || !p ||
	    sscanf(p + 11, "%d", &k) != 1 || k < 1 || k > nparams)
		return -1;
	return k - 1;
}

/*
 * Prepared with the first bindings' types where they matter (an integer
 * is 64 bits, as in SQLite: "? - 1000" must not be int4); text and NULL
 * are left to PostgreSQL, as a literal would be (text into an integer
 * column is parsed).  PostgreSQL cannot type a parameter whose first use
 * is "? IS NULL" (the store's "?2 IS NULL OR col = ?2" filters): that one
 * is taken as text, and as bigint when text does not fit its other uses.
 * A few round trips, once per statement and connection.  The types it
 * settled on are read back (describe), so later values are sent in the
 * form each parameter takes.
 */
static int prepare(struct pg_stmt *s)
{
	PGresult *r;
	int i, k, last = -1, tries = 2 * s->nparams + 1;

	for (i = 0; i < s->nparams; i++)
		s->ptypes[i] = bound_type(&s->par[i]);
	while (prepare_as(s, s->ptypes) < 0) {
		if (--tries > 0 && (k = untyped_param(s->c, s->nparams)) >= 0) {
			s->ptypes[k] = OID_TEXT;
			last = k;
		} else if (tries > 0 && last >= 0 && s->ptypes[last] == OID_TEXT &&
			   (!strcmp(s->c->sqlstate, "42883") || !strcmp(s->c->sqlstate, "42804"))) {
			s->ptypes[last] = OID_INT8;	/* text did not fit: a number */
			last = -1;
		} else {
			/* as SQLite's prepare error in db.c: a bug in our SQL, named */
			fprintf(stderr, "nestbox: SQL error: %s in: %s\n", s->c->err, s->text);
			return -1;
		}
	}
	r = PQdescribePrepared(s->c->h, s->name);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		set_err(s->c, r);
		PQclear(r);
		return -1;
	}
	for (i = 0; i < s->nparams && i < PQnparams(r); i++)
		s->ptypes[i] = PQparamtype(r, i);
	PQclear(r);
	s->prepared = 1;
	s->gen = s->c->gen;
	return 0;
}

/*
 * One parameter's value in the form its type takes: int8 and text/bytea
 * in binary (no copy, no NUL needed); anything else (an integer into an
 * int4 or boolean, text into a number) as text, which PostgreSQL parses.
 */
static int param_value(struct pg_param *p, Oid t, const char **v, int *len, int *fmt)
{
	*fmt = 1;
	switch (p->kind) {
	case B_NULL:
		*v = NULL;
		*len = 0;
		return 0;
	case B_INT:
		if (t == OID_INT8) {
			uint64_t u = (uint64_t)p->i;
			for (int k = 7; k >= 0; k--, u >>= 8)
				p->be[k] = (unsigned char)u;
			*v = (const char *)p->be;
			*len = 8;
			return 0;
		}
		snprintf(p->num, sizeof(p->num), "%lld", (long long)p->i);
		*v = p->num;
		*len = (int)strlen(p->num);
		*fmt = 0;
		return 0;
	default:
		if (t == OID_TEXT || t == OID_VARCHAR || t == OID_BYTEA) {
			*v = p->p;
			*len = p->n;
			return 0;
		}
		if (!p->own || p->p != p->own) {	/* text form needs its NUL */
			if (!(p->own = malloc(p->n + 1)))
				return -1;
			memcpy(p->own, p->p, p->n);
			p->own[p->n] = '\0';
			p->p = p->own;
		}
		*v = p->p;
		*len = p->n;
		*fmt = 0;
		return 0;
	}
}


static const char sql_read_begin[] = "BEGIN ISOLATION LEVEL REPEATABLE READ";
/* (one row per server process's share since schema step 16: their sum) */
static const char sql_dv[] = "SELECT sum(n)::bigint FROM nb_data_version";

/*
 * Commands that ride ahead of a statement, in its pipeline, prepared once
 * per connection under these names (the server parses and plans them
 * once, not on every request).  PRE_JOIN makes an implicit read a
 * transaction block: a BEGIN inside a transaction keeps its snapshot.
 */
enum { PRE_JOIN, PRE_DV, PRE_RELEASE, PRE_SAVEPOINT, PRE_WBEGIN, PRE_KLOCK, PRE_COMMIT, PRE_N };
static const char *const pre_sql[PRE_N] = {
	"BEGIN", sql_dv, "RELEASE SAVEPOINT nb_stmt", "SAVEPOINT nb_stmt", SQL_WRITE_BEGIN,
	SQL_KEY_LOCK, "COMMIT",
};
static const char *const pre_name[PRE_N] = { "nb_join", "nb_dv", "nb_release", "nb_savepoint",
					     "nb_wbegin", "nb_klock", "nb_commit" };

struct prelude {
	int cmd[4];		/* PRE_* */
	int n;
	int begins;		/* it begins the caller's write transaction (db_pg_begin_keyed) */
	int imp;		/* the statement opens an implicit read: no Sync after it */
};

/* The prelude's statements on this connection (again after a reconnect); 0 or -1. */
static int prelude_prepare(struct pg_conn *c)
{
	int i;

	if (c->pre_gen == c->gen + 1)
		return 0;
	for (i = 0; i < PRE_N; i++) {
		PGresult *r;
		int ok;

		if (i == PRE_DV && !c->has_dv)
			continue;
		r = PQprepare(c->h, pre_name[i], pre_sql[i], 0, NULL);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			set_err(c, r);
		PQclear(r);
		if (!ok)
			return -1;
	}
	c->pre_gen = c->gen + 1;
	return 0;
}

/*
 * What must run before s: a read transaction not yet begun begins as an
 * implicit one (its data version read first), unless s writes, which
 * begins it here first as it always did; a savepoint's pending RELEASE;
 * an INSERT's savepoint.
 *
 * An implicit read sends no BEGIN and no COMMIT: in a pipeline, what the
 * server runs until the next Sync is one transaction, and the session's
 * repeatable read keeps its first snapshot for all of it; each statement
 * goes with a flush request, and db_pg_read_end's Sync ends it without
 * waiting for the answer.  A poll is then one round trip of two
 * statements (the data version and the device) where it was two round
 * trips and four statements.
 */
static int prelude_of(struct pg_stmt *s, struct prelude *p)
{
	struct pg_conn *c = s->c;

	p->n = p->imp = p->begins = 0;
	if (c->pre_begin) {
		c->pre_begin = 0;
		p->begins = 1;
		p->cmd[p->n++] = PRE_WBEGIN;
		p->cmd[p->n++] = PRE_KLOCK;
	}
	if (c->pre_read) {
		c->pre_read = 0;
		if (!s->write) {
			if (c->has_dv)
				p->cmd[p->n++] = PRE_DV;
			/* split: the Sync goes with it, the read ends with its answer */
			p->imp = !c->split;
			c->began = s;
			return 0;
		}
		c->split = 0;
		if (run(c, sql_read_begin))
			return -1;
	}
	if (c->pre_release) {
		c->pre_release = 0;
		p->cmd[p->n++] = PRE_RELEASE;
	}
	if (s->guard && (p->begins || in_txn(c)))
		p->cmd[p->n++] = PRE_SAVEPOINT;
	return 0;
}

/* The answers to a prelude (sent before the statement); a db.h code. */
static int prelude_read(struct pg_conn *c, const struct prelude *p)
{
	int i, rc = DB_OK;
	PGresult *r;

	for (i = 0; i < p->n && PQstatus(c->h) == CONNECTION_OK; i++)
		while ((r = PQgetResult(c->h))) {
			ExecStatusType st = PQresultStatus(r);

			/*
			 * (libpq leaves single-row mode set by the last statement run
			 * outside a pipeline for the first one of the next: the data
			 * version's row may come alone, then an empty result)
			 */
			if (st == PGRES_SINGLE_TUPLE)
				st = PGRES_TUPLES_OK;
			if (st == PGRES_TUPLES_OK && p->cmd[i] == PRE_DV && PQntuples(r) == 1) {
				c->dv_val = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
				c->dv_ok = 1;
			} else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && rc == DB_OK) {
				set_err(c, r);
				rc = map_state(c->sqlstate);
			}
			PQclear(r);
		}
	if (rc == DB_OK && PQstatus(c->h) != CONNECTION_OK) {
		set_err(c, NULL);
		rc = DB_BUSY;
	}
	return rc;
}

/* The statement's results, one row at a time, from now on. */
static void stmt_running(struct pg_stmt *s)
{
	PQsetSingleRowMode(s->c->h);
	s->c->active = s;
	s->running = 1;
}

/*
 * The prelude and s's execution in one pipeline, one round trip: the
 * prelude's answers are read here, the statement's by next_result (its
 * last one ends the pipeline, unpipe, unless it opened an implicit read).
 * When a prelude command fails the server skips the rest: its error is
 * the statement's.
 */
static int send_piped(struct pg_stmt *s, const struct prelude *p, const char *const *v,
		      const int *len, const int *fmt)
{
	struct pg_conn *c = s->c;
	PGresult *r;
	int i, rc;

	if (prelude_prepare(c) < 0)
		return map_state(c->sqlstate);
	if (!PQenterPipelineMode(c->h)) {
		set_err(c, NULL);
		return DB_ERROR;
	}
	c->piped = 1;
	for (i = 0; i < p->n; i++) {
		const char *key[2] = { c->pre_key, c->busy };

		if (p->cmd[i] == PRE_KLOCK)
			PQsendQueryPrepared(c->h, pre_name[PRE_KLOCK], 2, key, NULL, NULL, 0);
		else
			PQsendQueryPrepared(c->h, pre_name[p->cmd[i]], 0, NULL, NULL, NULL, 0);
	}
	if (!PQsendQueryPrepared(c->h, s->name, s->nparams, v, len, fmt, 0) ||
	    (c->ahead == AHEAD_ASKED && !p->imp &&
	     !PQsendQueryPrepared(c->h, pre_name[PRE_COMMIT], 0, NULL, NULL, NULL, 0)) ||
	    !(p->imp ? PQsendFlushRequest(c->h) && PQflush(c->h) == 0 : PQpipelineSync(c->h))) {
		set_err(c, NULL);
		return map_state(c->sqlstate);
	}
	if (c->ahead == AHEAD_ASKED && !p->imp)
		c->ahead = AHEAD_SENT;
	c->imp = p->imp;
	if ((rc = prelude_read(c, p)) != DB_OK) {
		if (c->imp) {	/* the implicit read ends here, failed */
			c->imp = 0;
			PQpipelineSync(c->h);
		}
		while ((r = PQgetResult(c->h)))	/* the statement, skipped */
			PQclear(r);
		unpipe(c);
		return rc;
	}
	stmt_running(s);
	return DB_OK;
}

/* A read into the open implicit read: one round trip, no Sync. */
static int send_more(struct pg_stmt *s, const char *const *v, const int *len, const int *fmt)
{
	struct pg_conn *c = s->c;

	if (!PQsendQueryPrepared(c->h, s->name, s->nparams, v, len, fmt, 0) ||
	    !PQsendFlushRequest(c->h) || PQflush(c->h) != 0) {
		set_err(c, NULL);
		return map_state(c->sqlstate);
	}
	stmt_running(s);
	return DB_OK;
}

/*
 * The open implicit read made a transaction block (BEGIN keeps its
 * snapshot) and the pipeline left, for what cannot go into the pipeline:
 * a statement to prepare, a write, a command that waits for its answer.
 * After it the read is an explicit one, as db_pg_read_begin's always were.
 * A db.h code (an earlier statement failed: the transaction is gone).
 */
static int imp_join(struct pg_conn *c)
{
	PGresult *r;
	int rc = DB_OK;

	c->imp = 0;
	if (!PQsendQueryPrepared(c->h, pre_name[PRE_JOIN], 0, NULL, NULL, NULL, 0) ||
	    !PQpipelineSync(c->h)) {
		set_err(c, NULL);
		rc = map_state(c->sqlstate);
	}
	while ((r = PQgetResult(c->h))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == DB_OK) {
			set_err(c, r);
			rc = map_state(c->sqlstate);
		}
		PQclear(r);
	}
	unpipe(c);
	return rc;
}

/* The open implicit read ends: its Sync is sent, its answer read by the next drain. */
static void imp_end(struct pg_conn *c)
{
	c->imp = 0;
	if (!PQpipelineSync(c->h))
		set_err(c, NULL);
	c->async = 1;
}

/* Nothing pending on the connection and no pipeline: a synchronous command may run. */
static int settle(struct pg_conn *c)
{
	drain(c);
	if (c->pre_begin)
		return begin_now(c);
	return c->imp ? imp_join(c) : DB_OK;
}

static int start(struct pg_stmt *s)
{
	const char *v[s->nparams ? s->nparams : 1];
	int len[s->nparams ? s->nparams : 1], fmt[s->nparams ? s->nparams : 1], i, rc;
	struct pg_conn *c = s->c;
	struct prelude pre;

	/*
	 * Nothing sent yet: a lost connection is made again first; what the
	 * server sent meanwhile (the answer to a read's Sync) is read on the
	 * way, so that drain finds it without waiting.  A statement still
	 * being read keeps its rows (or its error) before that.
	 */
	drain_active(c);
	if ((!c->txn || c->pre_read || c->pre_begin || c->split) && revive(c) < 0)
		return DB_BUSY;
	drain(c);
	c->began = NULL;
	if (c->imp && (s->write || !s->prepared || s->gen != c->gen) && (rc = imp_join(c)) != DB_OK)
		return rc;
	if ((!s->prepared || s->gen != c->gen) && prepare(s) < 0)
		return map_state(c->sqlstate);
	for (i = 0; i < s->nparams; i++)
		if (param_value(&s->par[i], s->ptypes[i], &v[i], &len[i], &fmt[i]) < 0)
			return DB_ERROR;
	if (c->imp)
		return send_more(s, v, len, fmt);
	if (prelude_of(s, &pre) < 0)
		return map_state(c->sqlstate);
	if (s->write && !pre.begins && PQtransactionStatus(c->h) == PQTRANS_IDLE) {
		if (db_pg_begin(c) < 0)
			return map_state(c->sqlstate);
		s->own_txn = 1;
	}
	/* (a COMMIT to send with it: in its pipeline) */
	if (pre.n || pre.imp || (c->ahead == AHEAD_ASKED && in_txn(c))) {
		rc = send_piped(s, &pre, v, len, fmt);
		/* a BEGIN that never ran (not sent, or its connection lost): still to come */
		if (rc != DB_OK && pre.begins && PQtransactionStatus(c->h) != PQTRANS_INERROR &&
		    PQtransactionStatus(c->h) != PQTRANS_INTRANS)
			c->pre_begin = 1;
		return rc;
	}
	if (!PQsendQueryPrepared(c->h, s->name, s->nparams, v, len, fmt, 0)) {
		set_err(c, NULL);
		return map_state(c->sqlstate);
	}
	stmt_running(s);
	return DB_OK;
}

/* The end of a statement's run: its status, the savepoint let go. */
static int finish(struct pg_stmt *s, PGresult *r)
{
	struct pg_conn *c = s->c;
	ExecStatusType st = PQresultStatus(r);
	const char *cmd = PQcmdStatus(r);
	int rc = DB_DONE, own;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		c->changes = atoi(PQcmdTuples(r));
		if (!strncmp(cmd, "INSERT", 6) || !strncmp(cmd, "UPDATE", 6) ||
		    !strncmp(cmd, "DELETE", 6))
			c->wrote = 1;
	} else {
		set_err(c, r);
		rc = map_state(c->sqlstate);
		/* what a caller cannot expect (not a constraint, not busy) is our bug */
		if (rc == DB_ERROR)
			fprintf(stderr, "nestbox: SQL error: %s in: %s\n", c->err, s->text);
	}
	PQclear(r);
	own = s->own_txn;
	discard(s);	/* ends a transaction of its own */
	/* a RELEASE needs no answer: it goes with the next statement */
	if (s->guard && !own && PQtransactionStatus(c->h) != PQTRANS_IDLE) {
		if (rc == DB_DONE)
			c->pre_release = 1;
		else
			run(c, "ROLLBACK TO SAVEPOINT nb_stmt; RELEASE SAVEPOINT nb_stmt");
	}
	return rc;
}

/*
 * A read that finds the connection lost when sent or on its first answer
 * (the server went away after revive looked) lost nothing of the caller's:
 * outside a transaction, or as the statement that began the read one.
 */
static int retryable(const struct pg_stmt *s)
{
	const struct pg_conn *c = s->c;

	return !s->write && PQstatus(c->h) == CONNECTION_BAD &&
	       (!c->txn || c->split || c->began == s);
}

/* Runs s once more, on a connection made again (start: revive). */
static int restart(struct pg_stmt *s)
{
	struct pg_conn *c = s->c;

	if (c->began == s)
		c->pre_read = 1;	/* its transaction is to begin again */
	discard(s);
	c->active = NULL;
	c->piped = c->imp = c->async = 0;
	return start(s);
}

int db_pg_step(struct pg_stmt *s)
{
	PGresult *r;
	int rc, first = 0;

	if (s->row) {
		PQclear(s->row);
		s->row = NULL;
		s->blob_col = -1;
	}
	if (!s->running) {
		if ((rc = start(s)) != DB_OK && retryable(s))
			rc = restart(s);
		if (rc != DB_OK)
			return rc;
		first = 1;
	}
	r = next_result(s);
	if (first && r && PQresultStatus(r) == PGRES_FATAL_ERROR && retryable(s)) {
		PQclear(r);
		if ((rc = restart(s)) != DB_OK)
			return rc;
		r = next_result(s);
	}
	if (!r) {
		s->running = 0;
		return DB_DONE;
	}
	if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
		s->row = r;
		return DB_ROW;
	}
	return finish(s, r);
}

/*
 * The write's open pipeline sent with its Sync (and the COMMIT before it,
 * commit 1) and its answers read: DB_OK, or the code of the first command
 * that failed (the server skipped the rest: the transaction has failed,
 * its COMMIT not run or answered ROLLBACK).
 */
static int later_end(struct pg_conn *c, int commit)
{
	int i, n = c->later, rc = DB_OK;
	PGresult *r;

	c->later = 0;
	if ((commit && !PQsendQueryPrepared(c->h, pre_name[PRE_COMMIT], 0, NULL, NULL, NULL, 0)) ||
	    !PQpipelineSync(c->h)) {
		set_err(c, NULL);
		rc = map_state(c->sqlstate);
	}
	for (i = 0; i < n + commit; i++)
		while ((r = PQgetResult(c->h))) {
			ExecStatusType st = PQresultStatus(r);

			/* (single-row mode carried over from outside the pipeline: prelude_read) */
			if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
			    st != PGRES_SINGLE_TUPLE && rc == DB_OK) {
				set_err(c, r);
				rc = st == PGRES_PIPELINE_ABORTED ? DB_ERROR : map_state(c->sqlstate);
			} else if (commit && i == n && rc == DB_OK && strcmp(PQcmdStatus(r), "COMMIT")) {
				set_err(c, r);
				rc = DB_ERROR;
			}
			PQclear(r);
		}
	while ((r = PQgetResult(c->h))) {
		ExecStatusType st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (!PQexitPipelineMode(c->h) && rc == DB_OK) {	/* only a lost connection */
		set_err(c, NULL);
		rc = DB_BUSY;
	}
	if (rc == DB_OK && PQstatus(c->h) != CONNECTION_OK) {
		set_err(c, NULL);
		rc = DB_BUSY;
	}
	return rc;
}

/*
 * s into the write transaction's pipeline, not waiting for its answer:
 * the pipeline is opened by the first such statement (with the keyed
 * BEGIN and its locks, or a savepoint's RELEASE, still to send) and sent
 * by what the connection does next: the COMMIT (db_pg_commit, one round
 * trip for all), or any statement (drain: one round trip more, its
 * answers read then).  What cannot go into it (no write transaction, a
 * statement to prepare first) is stepped now.
 */
int db_pg_step_later(struct pg_stmt *s)
{
	const char *v[s->nparams ? s->nparams : 1];
	int len[s->nparams ? s->nparams : 1], fmt[s->nparams ? s->nparams : 1], i, rc;
	struct pg_conn *c = s->c;

	discard(s);
	if (!c->later) {
		drain(c);
		if (!s->write || !c->txn || c->imp || c->pre_read || (!c->pre_begin && !in_txn(c)) ||
		    !s->prepared || s->gen != c->gen || prelude_prepare(c) < 0) {
			while ((rc = db_pg_step(s)) == DB_ROW)
				;
			discard(s);
			return rc;
		}
	} else if (!s->write || !s->prepared || s->gen != c->gen) {
		while ((rc = db_pg_step(s)) == DB_ROW)	/* (drain sends the pipeline first) */
			;
		discard(s);
		return rc;
	}
	for (i = 0; i < s->nparams; i++)
		if (param_value(&s->par[i], s->ptypes[i], &v[i], &len[i], &fmt[i]) < 0)
			return DB_ERROR;
	if (!c->later) {
		const char *key[2] = { c->pre_key, c->busy };

		if (!PQenterPipelineMode(c->h)) {
			set_err(c, NULL);
			return DB_ERROR;
		}
		if (c->pre_begin) {
			c->pre_begin = 0;
			PQsendQueryPrepared(c->h, pre_name[PRE_WBEGIN], 0, NULL, NULL, NULL, 0);
			PQsendQueryPrepared(c->h, pre_name[PRE_KLOCK], 2, key, NULL, NULL, 0);
			c->later += 2;
		}
		if (c->pre_release) {
			c->pre_release = 0;
			PQsendQueryPrepared(c->h, pre_name[PRE_RELEASE], 0, NULL, NULL, NULL, 0);
			c->later++;
		}
	}
	c->later++;
	c->wrote = 1;
	if (!PQsendQueryPrepared(c->h, s->name, s->nparams, v, len, fmt, 0)) {
		set_err(c, NULL);
		return map_state(c->sqlstate);
	}
	return DB_DONE;
}

int db_pg_reset(struct pg_stmt *s)
{
	discard(s);
	return DB_OK;
}

static const char *cell(struct pg_stmt *s, int i)
{
	if (!s->row || i < 0 || i >= PQnfields(s->row) || PQgetisnull(s->row, 0, i))
		return NULL;
	return PQgetvalue(s->row, 0, i);
}

/* Booleans ("t"/"f": a comparison in a select list) read as 1/0, as SQLite's. */
int64_t db_pg_column_int64(struct pg_stmt *s, int i)
{
	const char *v = cell(s, i);

	if (!v)
		return 0;
	if (*v == 't' || *v == 'f')
		return *v == 't';
	return strtoll(v, NULL, 10);
}

const unsigned char *db_pg_column_text(struct pg_stmt *s, int i)
{
	if (s->row && i >= 0 && i < PQnfields(s->row) && PQftype(s->row, i) == OID_BYTEA)
		return db_pg_column_blob(s, i);	/* decoded, NUL-ended by us */
	return (const unsigned char *)cell(s, i);
}

const void *db_pg_column_blob(struct pg_stmt *s, int i)
{
	const char *v = cell(s, i);
	unsigned char *d;

	if (!v || PQftype(s->row, i) != OID_BYTEA)
		return v;
	if (s->blob_col == i)
		return s->blob;
	PQfreemem(s->blob);
	s->blob = NULL;
	s->blob_col = -1;
	if (!(d = PQunescapeBytea((const unsigned char *)v, &s->blob_len)))
		return NULL;
	s->blob = d;
	s->blob_col = i;
	return d;
}

int db_pg_column_bytes(struct pg_stmt *s, int i)
{
	if (!cell(s, i))
		return 0;
	if (PQftype(s->row, i) == OID_BYTEA)
		return db_pg_column_blob(s, i) ? (int)s->blob_len : 0;
	return PQgetlength(s->row, 0, i);
}

int db_pg_column_type(struct pg_stmt *s, int i)
{
	const char *v = cell(s, i);

	if (!v)
		return DB_NULL;
	switch (PQftype(s->row, i)) {
	case OID_BOOL: case OID_INT2: case OID_INT4: case OID_INT8:
		return DB_INTEGER;
	case OID_NUMERIC:
		return strchr(v, '.') ? DB_FLOAT : DB_INTEGER;
	case OID_FLOAT4: case OID_FLOAT8:
		return DB_FLOAT;
	case OID_BYTEA:
		return DB_BLOB;
	default:
		return DB_TEXT;
	}
}

/* -- the connection's state ---------------------------------------------------- */

int db_pg_changes(struct pg_conn *c)
{
	return c->changes;
}

/* SQLite's last_insert_rowid: the last identity value this connection took. */
int64_t db_pg_last_insert_id(struct pg_conn *c)
{
	PGresult *r;
	int64_t id = 0;

	if (settle(c) != DB_OK)
		return 0;
	r = PQexec(c->h, "SELECT lastval()");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return id;
}

int db_pg_unique_violation(struct pg_conn *c)
{
	return !strcmp(c->sqlstate, "23505");
}

int db_pg_constraint_violation(struct pg_conn *c)
{
	return !strncmp(c->sqlstate, "23", 2);
}

/* The caller's transaction is over: what was kept for it goes. */
static void txn_over(struct pg_conn *c)
{
	c->txn = c->pre_read = c->pre_release = c->pre_begin = c->dv_ok = c->wrote = 0;
	c->split = c->ahead = 0;
	c->began = NULL;
}

/*
 * Begins nothing yet: the transaction begins with the first statement
 * (prelude_of), which also looks at the connection first (start, revive),
 * and a request that reads nothing costs no round trip.
 */
int db_pg_read_begin(struct pg_conn *c)
{
	if (c->txn)
		return 0;
	c->wrote = 0;
	c->pre_read = c->txn = 1;
	return 0;
}

void db_pg_read_split(struct pg_conn *c)
{
	if (c->pre_read)
		c->split = 1;
}

/*
 * A transaction that only read has nothing to wait for: its COMMIT is
 * sent and its answer read when the connection is next used (drain).
 */
int db_pg_read_end(struct pg_conn *c)
{
	drain(c);
	if (c->imp) {
		imp_end(c);
		txn_over(c);
		return 0;
	}
	if (c->pre_read) {	/* begun by nothing: nothing to end */
		txn_over(c);
		return 0;
	}
	if (PQtransactionStatus(c->h) == PQTRANS_IDLE) {
		txn_over(c);
		return 0;
	}
	if (c->wrote)
		return 0;
	txn_over(c);
	if (!PQsendQuery(c->h, "COMMIT")) {
		set_err(c, NULL);
		return -1;
	}
	c->async = 1;
	return 0;
}

#define sql_write_begin SQL_WRITE_BEGIN "; "

/* BEGIN and its locks (sql) in one round trip (one simple query). */
static int begin_locked(struct pg_conn *c, const char *sql)
{
	db_pg_read_end(c);
	drain(c);
	if (revive(c) < 0)
		return -1;
	c->wrote = c->dv_ok = 0;
	if (run(c, sql) != 0) {
		run(c, "ROLLBACK");
		txn_over(c);
		return -1;
	}
	c->txn = 1;
	return 0;
}

int db_pg_begin(struct pg_conn *c)
{
	return begin_locked(c, sql_write_begin "SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")");
}

/*
 * The writer lock shared and the key's own (the two-int4 key space, apart
 * from the one-bigint keys above; a key past 31 bits may share its lock
 * with another, which only makes one wait for the other).
 */
int db_pg_begin_keyed(struct pg_conn *c, int64_t key)
{
	db_pg_read_end(c);
	drain(c);
	c->wrote = c->dv_ok = 0;
	c->txn = c->pre_begin = 1;
	snprintf(c->pre_key, sizeof(c->pre_key), "%d", (int)(key & 0x7fffffff));
	return 0;
}

/*
 * A pending keyed BEGIN sent on its own, for what cannot carry it in its
 * pipeline (a command run whole, a statement's prepare); 0 or a db.h code
 * (the lock not granted: the transaction is rolled back, the caller's
 * next statements fail until it ends it).
 */
static int begin_now(struct pg_conn *c)
{
	const char *key[2] = { c->pre_key, c->busy };
	PGresult *r;
	int rc = DB_OK;

	c->pre_begin = 0;
	if (run(c, SQL_WRITE_BEGIN) != 0)
		return map_state(c->sqlstate);
	r = PQexecParams(c->h, SQL_KEY_LOCK, 2, NULL, key, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		set_err(c, r);
		rc = map_state(c->sqlstate);
	}
	PQclear(r);
	return rc;
}

/*
 * The write transaction's COMMIT sent with its next statement, in that
 * statement's pipeline (send_piped): BEGIN, the locks, the statement and
 * the COMMIT of a keyed writer are one round trip.  Only a write sent in
 * a pipeline takes it (a keyed writer's first statement, or a statement
 * in a transaction); otherwise db_pg_commit commits as always.
 */
void db_pg_commit_with_next(struct pg_conn *c)
{
	if (c->txn && !c->later)
		c->ahead = AHEAD_ASKED;
}

int db_pg_commit(struct pg_conn *c)
{
	PGresult *r;
	int ok;

	if (c->ahead == AHEAD_SENT || c->ahead == AHEAD_DONE) {	/* sent with the statement */
		drain(c);
		ok = c->ahead == AHEAD_DONE && c->ahead_ok;
		if (!ok)
			db_pg_rollback(c);
		txn_over(c);
		return ok ? 0 : -1;
	}
	c->ahead = AHEAD_NO;

	if (c->later) {	/* the writes queued and the COMMIT: one round trip */
		drain_active(c);
		ok = later_end(c, 1) == DB_OK;
		if (!ok)
			db_pg_rollback(c);
		txn_over(c);
		return ok ? 0 : -1;
	}
	drain(c);
	if (c->pre_read || c->imp || c->pre_begin) {	/* a read, or nothing sent: nothing to wait for */
		if (c->imp)
			imp_end(c);
		txn_over(c);
		return 0;
	}
	c->pre_release = 0;	/* COMMIT ends the savepoints too */
	r = PQexec(c->h, "COMMIT");
	/* COMMIT of a failed transaction answers ROLLBACK */
	ok = PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
	if (!ok)
		set_err(c, r);
	PQclear(r);
	if (!ok)
		db_pg_rollback(c);
	txn_over(c);
	return ok ? 0 : -1;
}

void db_pg_rollback(struct pg_conn *c)
{
	drain(c);
	if (c->imp)	/* a read: its Sync ends it */
		imp_end(c);
	else if (PQstatus(c->h) == CONNECTION_OK && PQtransactionStatus(c->h) != PQTRANS_IDLE) {
		PGresult *r = PQexec(c->h, "ROLLBACK");
		PQclear(r);
	}
	txn_over(c);
}

int db_pg_request_end(struct pg_conn *c)
{
	drain_active(c);
	if (c->later)
		later_end(c, 0);
	if (c->imp) {
		imp_end(c);
		txn_over(c);
		return 0;
	}
	if (!c->async)
		unpipe(c);
	/*
	 * What was sent without waiting (a read's COMMIT or Sync) is read when
	 * the connection is used next: the answer goes to the client now.
	 */
	if (c->async || c->pre_read || PQstatus(c->h) != CONNECTION_OK ||
	    PQtransactionStatus(c->h) == PQTRANS_IDLE) {
		/* (a lost connection lost the transaction: the next request revives it) */
		txn_over(c);
		return 0;
	}
	if (c->wrote || PQtransactionStatus(c->h) == PQTRANS_INERROR) {
		db_pg_rollback(c);
		return 1;
	}
	db_pg_read_end(c);
	return 0;
}

/*
 * The change counter bumped by a statement trigger on every table but
 * the request log's (nb_track_changes in the schema), read in the
 * caller's snapshot.
 */
unsigned db_pg_data_version(struct pg_conn *c)
{
	int64_t v = 0;

	if (c->dv_ok)	/* read with the snapshot (prelude_of) */
		return (unsigned)c->dv_val;
	if (!c->dv && !(c->dv = db_pg_stmt_new(c, sql_dv, -1)))
		return 0;
	if (db_pg_step(c->dv) == DB_ROW)
		v = db_pg_column_int64(c->dv, 0);
	db_pg_reset(c->dv);
	return (unsigned)v;
}

const char *db_pg_errmsg(struct pg_conn *c)
{
	return c->err[0] ? c->err : PQerrorMessage(c->h);
}
