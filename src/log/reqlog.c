/* The request-log buffer (reqlog.h): batching, aggregation and the flush
 * policy; the rows and counters are written by log_store.c. */
#include "reqlog.h"
#include "log_store.h"
#include "../lib/clock.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const double reqlog_bucket_le[REQLOG_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, -1
};

void reqlog_init(struct reqlog *l, int flush_every, long flush_ms, long long max_rows,
		 int to_stderr)
{
	memset(l, 0, sizeof(*l));
	l->flush_every = flush_every < 1 ? 1 : flush_every > REQLOG_BUF ? REQLOG_BUF : flush_every;
	l->flush_ms = flush_ms;
	l->max_rows = max_rows;
	l->to_stderr = to_stderr;
	l->last_flush_ms = clock_now_ms();
}

int reqlog_bucket(long dur_us)
{
	int i;

	for (i = 0; i < REQLOG_NBUCKETS - 1; i++)
		if (dur_us <= (long)(reqlog_bucket_le[i] * 1e6))
			return i;
	return REQLOG_NBUCKETS - 1;
}

/* Counters summed over one flush, so a flush costs a few upserts, not n. */
struct agg {
	const char *program;
	const char *route;
	int status;
	long long count, sum_us, hour, errors;
	long long bucket[REQLOG_NBUCKETS];
};

/* Groups the buffer by (program, route, status) and by (hour, program). */
static void aggregate(const struct reqlog *l, struct agg *g, int *ng, struct agg *h, int *nh)
{
	int i, j;

	*ng = *nh = 0;
	for (i = 0; i < l->n; i++) {
		const struct reqlog_entry *e = &l->e[i];
		long long hour = e->ts_ms / 3600000;
		for (j = 0; j < *ng; j++)
			if (g[j].status == e->status && !strcmp(g[j].route, e->route) &&
			    !strcmp(g[j].program, e->program))
				break;
		if (j == *ng)
			memset(&g[(*ng)++], 0, sizeof(*g));
		g[j].program = e->program;
		g[j].route = e->route;
		g[j].status = e->status;
		g[j].count++;
		g[j].sum_us += e->dur_us;
		g[j].bucket[reqlog_bucket(e->dur_us)]++;
		for (j = 0; j < *nh; j++)
			if (h[j].hour == hour && !strcmp(h[j].program, e->program))
				break;
		if (j == *nh)
			memset(&h[(*nh)++], 0, sizeof(*h));
		h[j].hour = hour;
		h[j].program = e->program;
		h[j].count++;
		h[j].errors += e->status >= 400;
	}
}

/* One (program, route, status) group: its counter and latency buckets. */
static int write_agg(struct db *db, const struct agg *g, struct nb_err *e)
{
	int b;

	if (log_store_add_requests(db, g->program, g->route, g->status, g->count, g->sum_us,
				   e) < 0)
		return -1;
	for (b = 0; b < REQLOG_NBUCKETS; b++)
		if (g->bucket[b] &&
		    log_store_add_latency(db, g->program, g->route, b, g->bucket[b], e) < 0)
			return -1;
	return 0;
}

/* The buffer's rows, counters and hourly counts, and the trim, inside the
 * caller's transaction: 0, or -1 with e (log_store.h). */
static int write_all(struct reqlog *l, struct db *db, struct nb_err *e)
{
	static_assert(REQLOG_BUF <= 256, "aggregation tables are sized for the buffer");
	struct agg g[REQLOG_BUF], h[REQLOG_BUF];
	const struct reqlog_entry *rows[REQLOG_BUF] = { NULL };	/* (for -Wmaybe-uninitialized) */
	int i, ng, nh, nrows = 0;

	aggregate(l, g, &ng, h, &nh);
	for (i = 0; i < l->n; i++)
		if (!l->e[i].norow)
			rows[nrows++] = &l->e[i];
	if (log_store_put_rows(db, rows, (size_t)nrows, e) < 0)
		return -1;
	for (i = 0; i < ng; i++)
		if (write_agg(db, &g[i], e) < 0)
			return -1;
	for (i = 0; i < nh; i++)
		if (log_store_add_hour(db, h[i].hour, h[i].program, h[i].count, h[i].errors, e) < 0)
			return -1;
	/* hourly counts feed the dashboard; 31 days are plenty */
	return log_store_trim(db, l->max_rows, l->last_flush_ms / 3600000 - 31 * 24, e);
}

int reqlog_flush(struct reqlog *l, struct db *db, struct nb_err *e)
{
	l->last_flush_ms = clock_now_ms();
	if (l->n == 0 || !db)
		return 0;
	/*
	 * Keyed (0: no device has that id): the log's tables are written by
	 * its writers alone, their counters by single upserts, so a flush
	 * need not wait for every other writer, nor stop them until its
	 * commit is on disk (db_pg.c); flushes of several front ends still
	 * take turns.
	 */
	if (db_begin_keyed(db, 0) < 0) {
		nb_fail(e, NB_UNAVAILABLE, "store busy: %s", db_errmsg(db));
	} else if (write_all(l, db, e) == 0) {
		if (db_commit(db) == 0) {
			l->n = 0;
			return 0;
		}
		nb_fail(e, NB_UNAVAILABLE, "commit failed: %s", db_errmsg(db));
	}
	db_rollback(db);
	return nb_err_prefix(e, "request log not written (%d rows)", l->n);
}

void reqlog_add(struct reqlog *l, struct db *db, const struct reqlog_entry *r)
{
	struct nb_err e;

	if (l->to_stderr)
		fprintf(stderr, "nestbox[%s]: %s %s %d %lld %ldus %s \"%s\"\n", r->program,
			r->method, r->path, r->status, r->bytes, r->dur_us, r->remote, r->ua);
	if (l->n == REQLOG_BUF && reqlog_flush(l, db, &e) < 0) {
		/* bounded: drop rather than grow (a caller that can wait for
		 * the store flushes before, as accesslog_pump does) */
		fprintf(stderr, "nestbox[accesslog]: %s: dropped\n", e.msg);
		l->n = 0;
	}
	if (l->n < REQLOG_BUF)
		l->e[l->n++] = *r;
	/* a failed flush keeps the rows for the next one: said, not fatal */
	if ((l->n >= l->flush_every || reqlog_due(l, clock_now_ms())) &&
	    reqlog_flush(l, db, &e) < 0)
		fprintf(stderr, "nestbox[accesslog]: %s: kept for the next flush\n", e.msg);
}

int reqlog_due(const struct reqlog *l, long long now_ms)
{
	return l->n > 0 && now_ms - l->last_flush_ms >= l->flush_ms;
}
