/* GET /metrics: Prometheus text exposition over every program's counters. */
#include "log.h"
#include "log_store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../ddi/ddi.h"

static void label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addc(b, '\\');
		if (*v == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *v);
	}
}

static void series(struct buf *b, const char *metric, const char *prog, const char *route)
{
	buf_printf(b, "%s{program=\"", metric);
	label(b, prog);
	buf_adds(b, "\",route=\"");
	label(b, route);
	buf_addc(b, '"');
}

static int render_counts(struct db *db, struct buf *b)
{
	struct log_count *v;
	size_t n, i;

	if (log_store_counts(db, b->a, &v, &n, NULL) < 0)
		return -1;
	buf_adds(b, "# HELP nestbox_requests_total Requests answered, by program, route and status.\n"
		    "# TYPE nestbox_requests_total counter\n");
	for (i = 0; i < n; i++) {
		series(b, "nestbox_requests_total", v[i].program, v[i].route);
		buf_printf(b, ",status=\"%d\"} %lld\n", v[i].status, v[i].count);
	}
	return 0;
}

/* Buckets are stored per bucket; Prometheus wants them cumulative. */
static void flush_hist(struct buf *b, const char *prog, const char *route,
		       const long long *cnt, long long sum_us)
{
	long long cum = 0;
	int i;

	for (i = 0; i < REQLOG_NBUCKETS; i++) {
		cum += cnt[i];
		series(b, "nestbox_request_duration_seconds_bucket", prog, route);
		if (reqlog_bucket_le[i] < 0)
			buf_printf(b, ",le=\"+Inf\"} %lld\n", cum);
		else
			buf_printf(b, ",le=\"%g\"} %lld\n", reqlog_bucket_le[i], cum);
	}
	series(b, "nestbox_request_duration_seconds_sum", prog, route);
	buf_printf(b, "} %.6f\n", (double)sum_us / 1e6);
	series(b, "nestbox_request_duration_seconds_count", prog, route);
	buf_printf(b, "} %lld\n", cum);
}

/* The buckets of one (program, route) are adjacent (ordered by the store). */
static int render_hist(struct db *db, struct buf *b)
{
	struct log_latency *v;
	size_t n, i, j;

	if (log_store_latency(db, b->a, &v, &n, NULL) < 0)
		return -1;
	buf_adds(b, "# HELP nestbox_request_duration_seconds Time from request to answer.\n"
		    "# TYPE nestbox_request_duration_seconds histogram\n");
	for (i = 0; i < n; i = j) {
		long long cnt[REQLOG_NBUCKETS] = { 0 };
		for (j = i; j < n && !strcmp(v[j].program, v[i].program) &&
			    !strcmp(v[j].route, v[i].route); j++)
			if (v[j].bucket >= 0 && v[j].bucket < REQLOG_NBUCKETS)
				cnt[v[j].bucket] = v[j].count;
		flush_hist(b, v[i].program, v[i].route, cnt, v[j - 1].sum_us);
	}
	return 0;
}

int log_metrics_render(struct db *db, struct buf *b)
{
	long long rows;

	if (render_counts(db, b) < 0 || render_hist(db, b) < 0 ||
	    log_store_row_count(db, &rows, NULL) < 0)
		return -1;
	buf_printf(b, "# HELP nestbox_request_log_rows Rows kept in the request log.\n"
		   "# TYPE nestbox_request_log_rows gauge\nnestbox_request_log_rows %lld\n", rows);
	return 0;
}

/* DDI self-registration against its limits (ddi.self_register_max and
 * ddi.self_register_per_hour): an operator sees how close setup/lax mode
 * is to refusing new devices. */
static int render_self_registered(struct app *app, struct buf *b)
{
	const struct log_settings *set = app->domain;
	long long total, recent;

	if (ddi_self_registered(app, (long long)time(NULL) - 3600, &total, &recent, NULL) < 0)
		return -1;
	buf_printf(b, "# HELP nestbox_ddi_self_registered_devices Devices that registered"
		   " themselves (setup/lax mode), and the cap (0: none).\n"
		   "# TYPE nestbox_ddi_self_registered_devices gauge\n"
		   "nestbox_ddi_self_registered_devices %lld\n"
		   "nestbox_ddi_self_register_max %lld\n"
		   "# HELP nestbox_ddi_self_registered_last_hour Devices that registered"
		   " themselves in the last hour, and the hourly limit (0: none).\n"
		   "# TYPE nestbox_ddi_self_registered_last_hour gauge\n"
		   "nestbox_ddi_self_registered_last_hour %lld\n"
		   "nestbox_ddi_self_register_per_hour %lld\n", total,
		   set->self_register_max, recent, set->self_register_per_hour);
	return 0;
}

int log_metrics(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	(void)r;
	if (log_metrics_render(app->db, &w->body) < 0 ||
	    render_self_registered(app, &w->body) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "metrics unavailable: database busy");
	w->status = 200;
	http_set_header(w, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	return 0;
}
