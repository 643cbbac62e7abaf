/*
 * The dashboard: GET /admin/ (counts, the last 24 hours, recent requests;
 * GET /admin redirects here) and fleet health: running and paused rollouts, recent failures, devices
 * not seen for longer than expected, the latest operators' actions.
 */
#include "admin_ddi.h"
#include "admin_audit.h"
#include "../log/log_store.h"
#include "../mkbox/mkbox.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* the hours the chart shows */
#define CHART_HOURS 24
#define RECENT_ROWS 12

/*
 * A bar chart of the last 24 hours as inline SVG: numbers only, built
 * here; *total and *errors summed over them.  NULL with e.
 */
static char *hour_chart(struct app *app, struct arena *a, long long *total, long long *errors,
			struct nb_err *e)
{
	long long now_h = (long long)time(NULL) / 3600, count[CHART_HOURS] = { 0 },
		  errs[CHART_HOURS] = { 0 }, max = 1;
	struct log_hour *v;
	struct buf b;
	size_t n, k;
	int i;

	*total = *errors = 0;
	if (log_store_hours(app->db, a, now_h - CHART_HOURS, &v, &n, e) < 0)
		return NULL;
	for (k = 0; k < n; k++) {
		long long h = v[k].hour - (now_h - (CHART_HOURS - 1));
		if (h < 0 || h >= CHART_HOURS)
			continue;
		count[h] = v[k].count;
		errs[h] = v[k].errors;
	}
	for (i = 0; i < CHART_HOURS; i++) {
		*total += count[i];
		*errors += errs[i];
		if (count[i] > max)
			max = count[i];
	}
	buf_init(&b, a);
	buf_adds(&b, "<svg class=\"chart\" viewBox=\"0 0 480 130\" role=\"img\" "
		     "aria-label=\"requests per hour, last 24 hours\">");
	for (i = 0; i < CHART_HOURS; i++) {
		int h = (int)(count[i] * 100 / max), he = (int)(errs[i] * 100 / max);
		buf_printf(&b, "<rect class=\"ok\" x=\"%d\" y=\"%d\" width=\"16\" height=\"%d\">"
			   "<title>%lld requests, %lld errors</title></rect>",
			   i * 20 + 2, 110 - h, h, count[i], errs[i]);
		if (he)
			buf_printf(&b, "<rect class=\"err\" x=\"%d\" y=\"%d\" width=\"16\" height=\"%d\"/>",
				   i * 20 + 2, 110 - he, he);
	}
	buf_printf(&b, "<text x=\"0\" y=\"126\">-24 h</text><text x=\"440\" y=\"126\">now</text>"
		   "<text x=\"0\" y=\"10\">%lld/h</text></svg>", max);
	return (char *)buf_cstr(&b);
}

/* "recent": the newest requests; 0 or -1 with e. */
static int add_recent(struct app *app, struct http_req *r, cJSON *d, struct nb_err *e)
{
	const struct log_filter newest = { .since_ms = -1, .until_ms = -1, .limit = RECENT_ROWS };
	struct log_row *v;
	size_t n, i;
	cJSON *arr;

	if (log_store_requests(app->db, r->a, &newest, &v, &n, e) < 0)
		return -1;
	arr = cJSON_AddArrayToObject(d, "recent");
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "time", admin_when(r->a, v[i].ts_ms / 1000));
		cJSON_AddStringToObject(o, "program", v[i].program);
		cJSON_AddStringToObject(o, "method", v[i].method);
		cJSON_AddStringToObject(o, "path", v[i].path);
		cJSON_AddNumberToObject(o, "status", v[i].status);
		cJSON_AddBoolToObject(o, "error", v[i].status >= 400);
		cJSON_AddItemToArray(arr, o);
	}
	return 0;
}

#define HEALTH_ROWS 10

/* "active_rollouts": the running and paused ones; -1 with e. */
static int add_rollouts(struct app *app, struct http_req *r, cJSON *d, struct nb_err *e)
{
	struct ddi_rollout *v = arena_alloc(r->a, sizeof(*v) * HEALTH_ROWS);
	int n = ddi_rollout_active(app, v, HEALTH_ROWS, e), i;
	cJSON *arr;

	if (n < 0)
		return -1;
	arr = cJSON_AddArrayToObject(d, "active_rollouts");
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)v[i].id);
		cJSON_AddStringToObject(o, "name", v[i].name);
		cJSON_AddStringToObject(o, "feed", v[i].feed);
		cJSON_AddStringToObject(o, "state", v[i].state);
		cJSON_AddStringToObject(o, "version", v[i].version);
		cJSON_AddNumberToObject(o, "percent", v[i].percent);
		cJSON_AddNumberToObject(o, "success", (double)v[i].success);
		cJSON_AddNumberToObject(o, "failure", (double)v[i].failure);
		cJSON_AddNumberToObject(o, "open", (double)v[i].open);
		cJSON_AddStringToObject(o, "pause_reason", v[i].pause_reason);
		cJSON_AddItemToArray(arr, o);
	}
	return 0;
}

/* The last non-empty line of the details, where a device says what broke. */
static const char *last_line(struct arena *a, const char *s)
{
	const char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	for (start = end; start > s && start[-1] != '\n'; start--)
		;
	return arena_strndup(a, start, (size_t)(end - start));
}

/* "failures": the newest failed actions, each with the device's last line; 0 or -1 with e. */
static int add_failures(struct app *app, struct http_req *r, cJSON *d, struct nb_err *e)
{
	struct ddi_fleet_failure *v;
	int n = ddi_fleet_failures(app, r->a, HEALTH_ROWS, &v, e), i;
	cJSON *arr;

	if (n < 0)
		return -1;
	arr = cJSON_AddArrayToObject(d, "failures");
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "action_id", (double)v[i].action_id);
		cJSON_AddStringToObject(o, "time", admin_when(r->a, v[i].updated));
		cJSON_AddNumberToObject(o, "device_id", (double)v[i].device_id);
		cJSON_AddStringToObject(o, "controller_id", v[i].cid);
		cJSON_AddStringToObject(o, "version", v[i].version);
		cJSON_AddNumberToObject(o, "rollout_id", (double)v[i].rollout_id);
		cJSON_AddStringToObject(o, "line", last_line(r->a, v[i].details));
		cJSON_AddItemToArray(arr, o);
	}
	return 0;
}

/* "stale" and "stale_count": devices not seen for longer than admin.device_overdue. */
static int add_stale(struct app *app, struct http_req *r, cJSON *d, struct nb_err *e)
{
	const struct admin *ad = app->domain;
	struct ddi_fleet_stale *v;
	long long count;
	int n = ddi_fleet_stale(app, r->a, (long long)time(NULL) - ad->set.device_overdue,
				HEALTH_ROWS, &v, &count, e), i;
	cJSON *arr;

	if (n < 0)
		return -1;
	arr = cJSON_AddArrayToObject(d, "stale");
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)v[i].id);
		cJSON_AddStringToObject(o, "controller_id", v[i].cid);
		cJSON_AddStringToObject(o, "name", v[i].name);
		cJSON_AddStringToObject(o, "last_seen", admin_when(r->a, v[i].last_seen));
		cJSON_AddStringToObject(o, "last_addr", v[i].last_addr);
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddNumberToObject(d, "stale_count", (double)count);
	return 0;
}

static int add_health(struct app *app, struct http_req *r, cJSON *d, struct nb_err *e)
{
	const struct admin *ad = app->domain;
	struct audit_row *v = arena_alloc(r->a, sizeof(*v) * HEALTH_ROWS);
	int n;

	if (add_rollouts(app, r, d, e) < 0 || add_failures(app, r, d, e) < 0 ||
	    add_stale(app, r, d, e) < 0)
		return -1;
	cJSON_AddStringToObject(d, "overdue", ad->set.device_overdue < 7200
		? arena_printf(r->a, "%ld min", ad->set.device_overdue / 60)
		: arena_printf(r->a, "%ld h", ad->set.device_overdue / 3600));
	if ((n = audit_list(app->db, NULL, 0, v, HEALTH_ROWS, e)) < 0)
		return -1;
	cJSON_AddItemToObject(d, "audit", admin_audit_json(r->a, v, n));
	return 0;
}

int admin_dashboard_run(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e)
{
	struct admin *ad = app->domain;
	cJSON *d;
	struct mkbox_entry *v;
	size_t n = 0, i, boxes = 0;
	long long total, errors;
	char *chart = hour_chart(app, r->a, &total, &errors, e);
	int users = chart ? admin_user_count(app->db, NULL, e) : -1;

	if (!chart || users < 0)
		return -1;
	if (mkbox_catalog(r->a, ad->images, NULL, &v, &n) == 0)
		for (i = 0; i < n; i++)
			if (i == 0 || strcmp(v[i].box, v[i - 1].box))
				boxes++;
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "images", (double)n);
	cJSON_AddNumberToObject(d, "boxes", (double)boxes);
	cJSON_AddNumberToObject(d, "requests_24h", (double)total);
	cJSON_AddNumberToObject(d, "errors_24h", (double)errors);
	cJSON_AddNumberToObject(d, "users", users);
	cJSON_AddStringToObject(d, "chart", chart);
	if (admin_ddi_dashboard(app, r, d, e) < 0 || add_health(app, r, d, e) < 0 ||
	    add_recent(app, r, d, e) < 0) {
		cJSON_Delete(d);
		return -1;
	}
	admin_page(app, r, w, 200, "dashboard", "Dashboard", d);
	return 0;
}

/* GET /admin: the dashboard is /admin/ (the pages' cookie path, the
 * links' base). */
int admin_root_run(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	(void)app, (void)r, (void)e;
	http_redirect(w, "/admin/");
	return 0;
}
