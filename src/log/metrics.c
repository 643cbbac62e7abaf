/* GET /metrics: Prometheus text exposition over every program's counters. */
#include "log.h"

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

static const char sql_counts[] =
	"SELECT program, route, status, count FROM metrics_requests ORDER BY 1,2,3";
static const char sql_hist[] =
	"SELECT l.program, l.route, l.bucket, l.count, "
	" (SELECT sum(sum_us) FROM metrics_requests m WHERE m.program=l.program AND m.route=l.route)"
	" FROM metrics_latency l ORDER BY 1,2,3";
static const char sql_rows[] = "SELECT count(*) FROM request_log";

static int render_counts(struct db *db, struct buf *b)
{
	struct db_stmt *st = db_stmt(db, sql_counts);
	int rc;

	if (!st)
		return -1;
	buf_adds(b, "# HELP nestbox_requests_total Requests answered, by program, route and status.\n"
		    "# TYPE nestbox_requests_total counter\n");
	while ((rc = db_step(st)) == DB_ROW) {
		series(b, "nestbox_requests_total", (const char *)db_column_text(st, 0),
		       (const char *)db_column_text(st, 1));
		buf_printf(b, ",status=\"%d\"} %lld\n", db_column_int(st, 2),
			   (long long)db_column_int64(st, 3));
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
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

static int render_hist(struct db *db, struct buf *b)
{
	struct db_stmt *st = db_stmt(db, sql_hist);
	char prog[64] = "", route[128] = "";
	long long cnt[REQLOG_NBUCKETS] = { 0 }, sum = 0;
	int rc, any = 0;

	if (!st)
		return -1;
	buf_adds(b, "# HELP nestbox_request_duration_seconds Time from request to answer.\n"
		    "# TYPE nestbox_request_duration_seconds histogram\n");
	while ((rc = db_step(st)) == DB_ROW) {
		const char *p = (const char *)db_column_text(st, 0);
		const char *r = (const char *)db_column_text(st, 1);
		int bk = db_column_int(st, 2);
		if (any && (strcmp(p, prog) || strcmp(r, route))) {
			flush_hist(b, prog, route, cnt, sum);
			memset(cnt, 0, sizeof(cnt));
		}
		snprintf(prog, sizeof(prog), "%s", p);
		snprintf(route, sizeof(route), "%s", r);
		if (bk >= 0 && bk < REQLOG_NBUCKETS)
			cnt[bk] = db_column_int64(st, 3);
		sum = db_column_int64(st, 4);
		any = 1;
	}
	db_reset(st);
	if (any)
		flush_hist(b, prog, route, cnt, sum);
	return rc == DB_DONE ? 0 : -1;
}

int log_metrics_render(struct db *db, struct buf *b)
{
	struct db_stmt *st;

	if (render_counts(db, b) < 0 || render_hist(db, b) < 0)
		return -1;
	st = db_stmt(db, sql_rows);
	if (!st || db_step(st) != DB_ROW)
		return -1;
	buf_printf(b, "# HELP nestbox_request_log_rows Rows kept in the request log.\n"
		   "# TYPE nestbox_request_log_rows gauge\nnestbox_request_log_rows %lld\n",
		   (long long)db_column_int64(st, 0));
	db_reset(st);
	return 0;
}

/* DDI self-registration against its limits (ddi.self_register_max and
 * ddi.self_register_per_hour): an operator sees how close setup/lax mode
 * is to refusing new devices. */
static int render_self_registered(struct app *app, struct buf *b)
{
	const struct log_settings *set = app->domain;
	long long total, recent;

	if (ddi_self_registered(app, (long long)time(NULL) - 3600, &total, &recent) < 0)
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
