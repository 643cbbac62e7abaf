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
static int write_agg(struct db *db, const struct agg *g)
{
	int b;

	if (log_store_add_requests(db, g->program, g->route, g->status, g->count, g->sum_us) < 0)
		return -1;
	for (b = 0; b < REQLOG_NBUCKETS; b++)
		if (g->bucket[b] &&
		    log_store_add_latency(db, g->program, g->route, b, g->bucket[b]) < 0)
			return -1;
	return 0;
}

int reqlog_flush(struct reqlog *l, struct db *db)
{
	static_assert(REQLOG_BUF <= 256, "aggregation tables are sized for the buffer");
	struct agg g[REQLOG_BUF], h[REQLOG_BUF];
	int i, ng, nh;

	l->last_flush_ms = clock_now_ms();
	if (l->n == 0 || !db)
		return 0;
	aggregate(l, g, &ng, h, &nh);
	/*
	 * Keyed (0: no device has that id): the log's tables are written by
	 * its writers alone, their counters by single upserts, so a flush
	 * need not wait for every other writer, nor stop them until its
	 * commit is on disk (db_pg.c); flushes of several front ends still
	 * take turns.
	 */
	if (db_begin_keyed(db, 0) < 0)
		goto fail;
	for (i = 0; i < l->n; i++)
		if (!l->e[i].norow && log_store_put_row(db, &l->e[i]) < 0)
			goto fail;
	for (i = 0; i < ng; i++)
		if (write_agg(db, &g[i]) < 0)
			goto fail;
	for (i = 0; i < nh; i++)
		if (log_store_add_hour(db, h[i].hour, h[i].program, h[i].count, h[i].errors) < 0)
			goto fail;
	/* hourly counts feed the dashboard; 31 days are plenty */
	if (log_store_trim(db, l->max_rows, l->last_flush_ms / 3600000 - 31 * 24) < 0 ||
	    db_commit(db) < 0)
		goto fail;
	l->n = 0;
	return 0;
fail:
	fprintf(stderr, "nestbox[accesslog]: request log not written: %s\n", db_errmsg(db));
	db_rollback(db);
	return -1;
}

void reqlog_add(struct reqlog *l, struct db *db, const struct reqlog_entry *e)
{
	if (l->to_stderr)
		fprintf(stderr, "nestbox[%s]: %s %s %d %lld %ldus %s \"%s\"\n", e->program,
			e->method, e->path, e->status, e->bytes, e->dur_us, e->remote, e->ua);
	if (l->n == REQLOG_BUF && reqlog_flush(l, db) < 0) {
		/* bounded: drop rather than grow (a caller that can wait for
		 * the store flushes before, as accesslog_pump does) */
		fprintf(stderr, "nestbox[accesslog]: %d request log rows dropped\n", l->n);
		l->n = 0;
	}
	if (l->n < REQLOG_BUF)
		l->e[l->n++] = *e;
	if (l->n >= l->flush_every || reqlog_due(l, clock_now_ms()))
		reqlog_flush(l, db);
}

int reqlog_due(const struct reqlog *l, long long now_ms)
{
	return l->n > 0 && now_ms - l->last_flush_ms >= l->flush_ms;
}
