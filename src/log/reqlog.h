/*
 * reqlog.h - the request log and the request metrics.
 *
 * Every answered request becomes one row of the bounded request_log table
 * and bumps the counters /metrics reports.  The rows come from the front
 * end's access log (src/log/accesslog.h): one logger process per front end
 * buffers them and writes them in one short transaction every
 * `flush_every` rows or `flush_ms` milliseconds and at exit, so no FastCGI
 * program writes to the database per request.  One buffer holds the rows
 * of every program (each entry names its own).  The tables themselves are
 * part of the store's schema; their SQL is log_store.c's.
 */
#ifndef NB_REQLOG_H
#define NB_REQLOG_H

#include "../lib/db.h"
#include "../lib/err.h"

#define REQLOG_BUF 256
#define REQLOG_NBUCKETS 10	/* histogram buckets, the last is +Inf */

extern const double reqlog_bucket_le[REQLOG_NBUCKETS];

struct reqlog_entry {
	long long ts_ms;
	char program[32];
	char method[24];	/* the longest registered methods (VERSION-CONTROL, RFC 3253) fit */
	char route[64];
	char path[256];
	int status;
	long long bytes;
	long dur_us;
	char remote[48];
	char ua[160];
	char user[80];		/* the operator who asked ("": a device, a visitor) */
	int norow;		/* metrics only (a hot route's success) */
};

struct reqlog {
	struct reqlog_entry e[REQLOG_BUF];
	int n;
	long long last_flush_ms;
	int flush_every;
	long flush_ms;
	long long max_rows;
	int to_stderr;
};

void reqlog_init(struct reqlog *l, int flush_every, long flush_ms, long long max_rows,
		 int to_stderr);
/* Records one request r; flushes when flush_every rows wait or flush_ms
 * has passed since the last flush.  db may be NULL (kept, never written).
 * Best effort, never failing its caller: a failed flush keeps the rows
 * for the next one, and a full buffer that cannot be written is dropped
 * (REQLOG_BUF rows at most wait), each said on stderr. */
void reqlog_add(struct reqlog *l, struct db *db, const struct reqlog_entry *r);
/* Writes the buffered rows, their counters and the trim in one
 * transaction: 0 (nothing buffered, or db NULL: nothing written), or -1
 * with e NB_UNAVAILABLE ("request log not written (<n> rows): <what>:
 * <the store's reason>"), every row still buffered and nothing written. */
int reqlog_flush(struct reqlog *l, struct db *db, struct nb_err *e);
/* 1 when rows wait and flush_ms has passed since the last flush. */
int reqlog_due(const struct reqlog *l, long long now_ms);
int reqlog_bucket(long dur_us);

#endif
