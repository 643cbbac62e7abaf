/*
 * log_dashboard.h - the request log as the admin dashboard sums it up:
 * requests and errors per hour (requests_hourly) and the newest requests
 * (request_log).  Read-only; the rows are written by the request logger
 * (reqlog.h).  Only log_dashboard_store.c holds these queries.
 *
 * Errors: -1 with e NB_UNAVAILABLE when the store cannot be read.
 */
#ifndef NB_LOG_DASHBOARD_H
#define NB_LOG_DASHBOARD_H

#include "../lib/arena.h"
#include "../lib/db.h"

/* One hour's requests over every program. */
struct log_hour {
	long long hour;			/* Unix s / 3600 */
	long long count, errors;	/* requests, of which answered >= 400 */
};

/*
 * The hours after since (in hours since the epoch), oldest first, at most
 * max into out.  Their number, or -1 with e.
 */
int log_hours(struct db *db, long long since, struct log_hour *out, int max, struct nb_err *e);

/* One logged request. */
struct log_request {
	long long ts_ms;		/* Unix ms */
	const char *program, *method, *path;	/* as logged, in the caller's arena */
	int status;
};

/* The newest max requests, newest first, into out (strings in a).  Their number, or -1 with e. */
int log_recent(struct db *db, struct arena *a, struct log_request *out, int max,
	       struct nb_err *e);

#endif
