/*
 * log_store.h - the log domain's tables, and the only file with their SQL
 * (log_store.c): request_log (one row per answered request) with its
 * trigram index request_log_path, the counters metrics_requests and
 * metrics_latency, and the dashboard's requests_hourly.
 *
 * Writers are the request-log buffer (reqlog.c, one short transaction per
 * flush, begun by the caller); readers are /metrics (log_metrics.c) and the
 * admin's request log page and API (admin_requests.c) and the dashboard
 * (admin_dashboard.c).  The writes return 0, or -1 with e NB_UNAVAILABLE
 * naming what was not written and the store's reason (the flush's
 * transaction fails as one; on PostgreSQL they do not wait for their
 * answers, db_step_later, so a write the server refuses fails the
 * commit instead); the reads 0, or -1 with e NB_UNAVAILABLE (a
 * failed step is never a shorter list).  Rows come back as plain structs allocated from the caller's
 * arena, strings never NULL.
 */
#ifndef NB_LOG_STORE_H
#define NB_LOG_STORE_H

#include <stddef.h>

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/err.h"
#include "reqlog.h"

/* -- writes (inside the caller's transaction) ---------------------------- */

/* A request_log row for each of the n rows (its ts_ms, program, method,
 * path, route, status, bytes, dur_us, remote, ua, user), their ids in
 * that order; err as the other writes' e. */
int log_store_put_rows(struct db *db, const struct reqlog_entry *const *rows, size_t n,
		       struct nb_err *err);
/* Adds count requests taking sum_us microseconds to the counter of
 * (program, route, status). */
int log_store_add_requests(struct db *db, const char *program, const char *route,
			   int status, long long count, long long sum_us, struct nb_err *e);
/* Adds count to latency bucket (0..REQLOG_NBUCKETS-1) of (program, route). */
int log_store_add_latency(struct db *db, const char *program, const char *route,
			  int bucket, long long count, struct nb_err *e);
/* Adds count requests, errors of them (status >= 400), to the hour
 * (ms since the epoch / 3,600,000) of program. */
int log_store_add_hour(struct db *db, long long hour, const char *program,
		       long long count, long long errors, struct nb_err *e);
/* Keeps the newest max_rows request_log rows and the hourly counts of
 * hour min_hour and later. */
int log_store_trim(struct db *db, long long max_rows, long long min_hour, struct nb_err *e);

/* -- /metrics ------------------------------------------------------------ */

struct log_count {
	const char *program, *route;
	int status;
	long long count;
};

/* One latency bucket of (program, route); sum_us is the route's total
 * over every status (the histogram's _sum). */
struct log_latency {
	const char *program, *route;
	int bucket;
	long long count, sum_us;
};

/* Every counter, by program, route, status. */
int log_store_counts(struct db *db, struct arena *a, struct log_count **out, size_t *n,
		     struct nb_err *e);
/* Every latency bucket, by program, route, bucket. */
int log_store_latency(struct db *db, struct arena *a, struct log_latency **out, size_t *n,
		      struct nb_err *e);
/* The number of request_log rows kept. */
int log_store_row_count(struct db *db, long long *n, struct nb_err *e);

/* -- the admin's request log --------------------------------------------- */

/* Which rows: each filter is off at its "any" value. */
struct log_filter {
	long long before;	/* ids below this (keyset paging); 0: from the newest */
	const char *program;	/* NULL: any */
	int status_lo, status_hi;	/* inclusive; 0: any */
	const char *path;	/* a substring of the path; NULL: any */
	long long since_ms, until_ms;	/* [since, until); -1: open */
	long limit;		/* rows at most */
};

struct log_row {
	long long id, ts_ms;
	const char *program, *method, *path, *route;
	int status;
	long long bytes, dur_us;
	const char *remote, *user_agent;
	const char *user;	/* the operator who asked ("": a device, a visitor) */
};

/* The rows f selects, newest first.  A path of three or more bytes is
 * looked up in the trigram index on SQLite (brought up to the log first:
 * a busy store searches what is indexed, the exact match still holds). */
int log_store_requests(struct db *db, struct arena *a, const struct log_filter *f,
		       struct log_row **out, size_t *n, struct nb_err *e);
/* Requests per hour, all programs summed: the hours after after_hour,
 * oldest first (the dashboard's chart). */
struct log_hour {
	long long hour;		/* ms since the epoch / 3,600,000 */
	long long count, errors;
};
int log_store_hours(struct db *db, struct arena *a, long long after_hour,
		    struct log_hour **out, size_t *n, struct nb_err *e);
/* The programs that have answered requests, by name. */
int log_store_programs(struct db *db, struct arena *a, const char ***out, size_t *n,
		       struct nb_err *e);

#endif
