/*
 * The DDI device list: counts by state, filters, keyset pages; as a page,
 * as JSON, and as the dashboard's counts.
 */
#include "admin_ddi.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* the states ddi_api.c gives devices, in their life's order */
static const char *const states[] = {
	"registered", "waiting", "running", "finished", "error", NULL
};
static const char *const seen_opts[][2] = {
	{ "hour", "in the last hour" }, { "day", "in the last day" },
	{ "old", "not for a day" }, { "never", "never" },
};

/* The query string without skip (and a flash), re-encoded: paging keeps the filters. */
static const char *query_without(struct http_req *r, const char *skip)
{
	const struct query *q = &r->query;
	struct buf b;
	int i;

	buf_init(&b, r->a);
	for (i = 0; i < q->n; i++) {
		if (!strcmp(q->v[i].key, skip) || !strcmp(q->v[i].key, "done") || !*q->v[i].val)
			continue;
		buf_printf(&b, "%s=", q->v[i].key);
		buf_add_qenc(&b, q->v[i].val);
		buf_addc(&b, '&');
	}
	return buf_cstr(&b);
}

static cJSON *state_options(cJSON *counts, const char *sel)
{
	cJSON *arr = cJSON_CreateArray(), *c;
	int i;

	for (i = 0; states[i]; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", states[i]);
		cJSON_AddBoolToObject(o, "selected", sel && !strcmp(sel, states[i]));
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_ArrayForEach(c, counts)
		cJSON_AddBoolToObject(c, "on", sel && !strcmp(sel, cJSON_GetStringValue(
					      cJSON_GetObjectItemCaseSensitive(c, "state"))));
	return arr;
}

static cJSON *seen_options(const char *sel)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < sizeof(seen_opts) / sizeof(seen_opts[0]); i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "value", seen_opts[i][0]);
		cJSON_AddStringToObject(o, "label", seen_opts[i][1]);
		cJSON_AddBoolToObject(o, "selected", sel && !strcmp(sel, seen_opts[i][0]));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static void echo(cJSON *d, const char *k, const char *v)
{
	cJSON_AddStringToObject(d, k, v ? v : "");
}

void admin_devices(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin_dev_filter f;
	const char *err, *base;
	long long next, total;
	cJSON *d, *counts;

	if (admin_dev_filter_parse(&r->query, (long long)time(NULL), &f, &err) < 0) {
		admin_fail(app, r, w, 400, err);
		return;
	}
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "devices", admin_dev_list(app, r, &f, &next));
	counts = admin_dev_state_counts(app, &total);
	cJSON_AddItemToObject(d, "state_opts", state_options(counts, f.state));
	cJSON_AddItemToObject(d, "states", counts);
	cJSON_AddNumberToObject(d, "total", (double)total);
	cJSON_AddItemToObject(d, "seen_opts", seen_options(f.seen));
	echo(d, "feed", f.feed);
	echo(d, "model", f.model);
	echo(d, "version", f.version);
	base = query_without(r, "after");
	if (next > 0)
		cJSON_AddStringToObject(d, "next", arena_printf(r->a, "%safter=%lld", base, next));
	if (f.after > 0)
		cJSON_AddStringToObject(d, "first", arena_printf(r->a, "%safter=0", base));
	if (query_get(&r->query, "done"))
		cJSON_AddStringToObject(d, "flash", query_get(&r->query, "done"));
	admin_page(app, r, w, 200, "devices", "Devices", d);
}

/* The same filters as the page; ?counts=1 adds the counts by state. */
void admin_api_devices(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin_dev_filter f;
	const char *err;
	long long next, total;
	cJSON *o;

	if (admin_dev_filter_parse(&r->query, (long long)time(NULL), &f, &err) < 0) {
		admin_fail(app, r, w, 400, err);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "devices", admin_dev_list(app, r, &f, &next));
	if (next > 0)
		cJSON_AddNumberToObject(o, "next_after", (double)next);
	if (query_get(&r->query, "counts")) {
		cJSON_AddItemToObject(o, "states", admin_dev_state_counts(app, &total));
		cJSON_AddNumberToObject(o, "total", (double)total);
	}
	admin_json(w, 200, o);
}

void admin_ddi_dashboard(struct app *app, cJSON *d)
{
	long long total;

	cJSON_AddItemToObject(d, "device_states", admin_dev_state_counts(app, &total));
	cJSON_AddNumberToObject(d, "devices", (double)total);
}
