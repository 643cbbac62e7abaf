#include "reqlog.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const double reqlog_bucket_le[REQLOG_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, -1
};

long long reqlog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void reqlog_init(struct reqlog *l, int flush_every, long flush_ms, long long max_rows,
		 int to_stderr)
{
	memset(l, 0, sizeof(*l));
	l->flush_every = flush_every < 1 ? 1 : flush_every > REQLOG_BUF ? REQLOG_BUF : flush_every;
	l->flush_ms = flush_ms;
	l->max_rows = max_rows;
	l->to_stderr = to_stderr;
	l->last_flush_ms = reqlog_now_ms();
}

int reqlog_bucket(long dur_us)
{
	int i;

	for (i = 0; i < REQLOG_NBUCKETS - 1; i++)
		if (dur_us <= (long)(reqlog_bucket_le[i] * 1e6))
			return i;
	return REQLOG_NBUCKETS - 1;
}

static const char sql_ins[] =
	"INSERT INTO request_log(ts_ms,program,method,path,route,status,bytes,dur_us,"
	"remote,user_agent,\"user\") VALUES(?,?,?,?,?,?,?,?,?,?,?)";
static const char sql_req[] =
	"INSERT INTO metrics_requests(program,route,status,count,sum_us) VALUES(?,?,?,?,?)"
	" ON CONFLICT(program,route,status) DO UPDATE SET"
	" count=metrics_requests.count+excluded.count,"
	" sum_us=metrics_requests.sum_us+excluded.sum_us";
static const char sql_lat[] =
	"INSERT INTO metrics_latency(program,route,bucket,count) VALUES(?,?,?,?)"
	" ON CONFLICT(program,route,bucket) DO UPDATE SET"
	" count=metrics_latency.count+excluded.count";
static const char sql_hour[] =
	"INSERT INTO requests_hourly(hour,program,count,errors) VALUES(?,?,?,?)"
	" ON CONFLICT(hour,program) DO UPDATE SET"
	" count=requests_hourly.count+excluded.count,"
	" errors=requests_hourly.errors+excluded.errors";
static const char sql_trim_hours[] = "DELETE FROM requests_hourly WHERE hour < ?";
static const char sql_trim[] =
	"DELETE FROM request_log WHERE id <= (SELECT max(id) FROM request_log) - ?";

/* Counters summed over one flush, so a flush costs a few upserts, not n. */
struct agg {
	const char *program;
	const char *route;
	int status;
	long long count, sum_us, hour, errors;
	long long bucket[REQLOG_NBUCKETS];
};

static int write_row(struct db *db, const struct reqlog_entry *e)
{
	struct db_stmt *st = db_stmt(db, sql_ins);

	if (!st)
		return -1;
	db_bind_int64(st, 1, e->ts_ms);
	db_bind_text(st, 2, e->program, -1, DB_STATIC);
	db_bind_text(st, 3, e->method, -1, DB_STATIC);
	db_bind_text(st, 4, e->path, -1, DB_STATIC);
	db_bind_text(st, 5, e->route, -1, DB_STATIC);
	db_bind_int(st, 6, e->status);
	db_bind_int64(st, 7, e->bytes);
	db_bind_int64(st, 8, e->dur_us);
	db_bind_text(st, 9, e->remote, -1, DB_STATIC);
	db_bind_text(st, 10, e->ua, -1, DB_STATIC);
	db_bind_text(st, 11, e->user, -1, DB_STATIC);
	return db_step(st) == DB_DONE ? 0 : -1;
}

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

static int write_agg(struct db *db, const struct agg *g)
{
	struct db_stmt *st = db_stmt(db, sql_req);
	int b;

	if (!st)
		return -1;
	db_bind_text(st, 1, g->program, -1, DB_STATIC);
	db_bind_text(st, 2, g->route, -1, DB_STATIC);
	db_bind_int(st, 3, g->status);
	db_bind_int64(st, 4, g->count);
	db_bind_int64(st, 5, g->sum_us);
	if (db_step(st) != DB_DONE)
		return -1;
	for (b = 0; b < REQLOG_NBUCKETS; b++) {
		if (!g->bucket[b])
			continue;
		st = db_stmt(db, sql_lat);
		if (!st)
			return -1;
		db_bind_text(st, 1, g->program, -1, DB_STATIC);
		db_bind_text(st, 2, g->route, -1, DB_STATIC);
		db_bind_int(st, 3, b);
		db_bind_int64(st, 4, g->bucket[b]);
		if (db_step(st) != DB_DONE)
			return -1;
	}
	return 0;
}

static int write_hour(struct db *db, const struct agg *h)
{
	struct db_stmt *st = db_stmt(db, sql_hour);

	if (!st)
		return -1;
	db_bind_int64(st, 1, h->hour);
	db_bind_text(st, 2, h->program, -1, DB_STATIC);
	db_bind_int64(st, 3, h->count);
	db_bind_int64(st, 4, h->errors);
	return db_step(st) == DB_DONE ? 0 : -1;
}

static int trim(struct db *db, const struct reqlog *l)
{
	struct db_stmt *st = db_stmt(db, sql_trim);

	if (!st)
		return -1;
	db_bind_int64(st, 1, l->max_rows);
	if (db_step(st) != DB_DONE)
		return -1;
	/* hourly counts feed the dashboard; 31 days are plenty */
	st = db_stmt(db, sql_trim_hours);
	if (!st)
		return -1;
	db_bind_int64(st, 1, l->last_flush_ms / 3600000 - 31 * 24);
	return db_step(st) == DB_DONE ? 0 : -1;
}

int reqlog_flush(struct reqlog *l, struct db *db)
{
	static_assert(REQLOG_BUF <= 256, "aggregation tables are sized for the buffer");
	struct agg g[REQLOG_BUF], h[REQLOG_BUF];
	int i, ng, nh;

	l->last_flush_ms = reqlog_now_ms();
	if (l->n == 0 || !db)
		return 0;
	aggregate(l, g, &ng, h, &nh);
	if (db_begin(db) < 0)
		goto fail;
	for (i = 0; i < l->n; i++)
		if (!l->e[i].norow && write_row(db, &l->e[i]) < 0)
			goto fail;
	for (i = 0; i < ng; i++)
		if (write_agg(db, &g[i]) < 0)
			goto fail;
	for (i = 0; i < nh; i++)
		if (write_hour(db, &h[i]) < 0)
			goto fail;
	if (trim(db, l) < 0 || db_commit(db) < 0)
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
	if (l->n >= l->flush_every || reqlog_due(l, reqlog_now_ms()))
		reqlog_flush(l, db);
}

int reqlog_due(const struct reqlog *l, long long now_ms)
{
	return l->n > 0 && now_ms - l->last_flush_ms >= l->flush_ms;
}
