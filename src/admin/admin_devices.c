/*
 * The DDI device list: counts by state, filters, keyset pages; as a page,
 * as JSON, and as the dashboard's counts.
 */
#include "admin_ddi.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* the states ddi_state.c gives devices, in their life's order (the list's
 * ?state= is one of them: admin.fcgi.c declares it) */
const char *const admin_dev_states[] = {
	"registered", "waiting", "running", "finished", "error", NULL
};
static const char *const seen_opts[][2] = {
	{ "hour", "in the last hour" }, { "day", "in the last day" },
	{ "old", "not for a day" }, { "never", "never" },
};

const char *const admin_seen_words[] = { "hour", "day", "old", "never", NULL };
const char *const admin_dir_words[] = { "asc", "desc", NULL };

/* The search's checked query fields without the keys in skip (and a
 * flash), re-encoded in their declared order: links keep the rest. */
static const char *query_without(struct http_req *r, const char *const *skip)
{
	const struct req_field *f = route_typed(r->route)->input;
	struct buf b;
	int k, drop;

	buf_init(&b, r->a);
	for (; f->name; f++) {
		const char *v = req_has(r, f->name) ? req_str(r, f->name) : NULL;
		for (k = 0, drop = !v || !*v || !strcmp(f->name, "done"); skip[k]; k++)
			drop |= !strcmp(f->name, skip[k]);
		if (drop || f->src != REQ_QUERY)
			continue;
		buf_printf(&b, "%s=", f->name);
		buf_add_qenc(&b, v);
		buf_addc(&b, '&');
	}
	return buf_cstr(&b);
}

static cJSON *state_options(cJSON *counts, const char *sel)
{
	cJSON *arr = admin_options(admin_dev_states, "name", sel), *c;

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

static cJSON *count_json(struct http_req *r, const void *row, const void *ctx)
{
	const struct ddi_fleet_count *c = row;
	cJSON *o = cJSON_CreateObject();

	(void)r, (void)ctx;
	cJSON_AddStringToObject(o, "state", c->state);
	cJSON_AddNumberToObject(o, "count", (double)c->n);
	return o;
}

/* [{"state", "count"}] over every device, by state's name; *total their sum.  NULL with e. */
static cJSON *state_counts(struct app *app, struct http_req *r, long long *total,
			   struct nb_err *e)
{
	struct ddi_fleet_count *v;
	int n = ddi_fleet_state_counts(app, r->a, &v, total, e);

	return admin_rows(r, v, n, sizeof(*v), count_json, NULL);
}

/* A search asked for: the list filters and q, sort, dir, page. */
struct dev_query {
	struct admin_dev_filter f;
	struct ddi_search s;
	long page;			/* 1-based */
};

/* The checked text of a list filter, NULL when absent. */
static const char *filter(struct http_req *r, const char *name)
{
	return req_has(r, name) ? req_str(r, name) : NULL;
}

/* The search from the route's checked fields (DEVICE_SEARCH of
 * admin.fcgi.c: seen is one of admin_seen_words, after a count). */
static void dev_query_read(struct app *app, struct http_req *r, struct dev_query *dq)
{
	long per = admin_page_size(app);
	struct admin_dev_filter *f = &dq->f;

	memset(dq, 0, sizeof(*dq));
	f->state = filter(r, "state");
	f->feed = filter(r, "feed");
	f->model = filter(r, "model");
	f->version = filter(r, "version");
	f->seen = filter(r, "seen");
	admin_dev_seen_range(f->seen, (long long)time(NULL), &f->seen_lo, &f->seen_hi);
	f->after = req_int(r, "after", 0);
	dq->page = (long)req_int(r, "page", 1);
	dq->s = (struct ddi_search){ filter(r, "q"), f->state, f->feed, f->model, f->version,
		f->seen_lo, f->seen_hi, f->after, (enum ddi_sort)req_int(r, "sort", 0),
		req_int(r, "dir", 0) == 1, (dq->page - 1) * per, per + 1 };
}

/* A row of the search: the device page's columns (admin_dev_fields) and its tags. */
static cJSON *row_json(struct http_req *r, const struct ddi_device_row *d)
{
	const struct ddi_fleet_device v = {
		.id = d->id, .tenant = d->tenant, .cid = d->cid, .name = d->name,
		.hw_model = d->hw_model, .hw_revision = d->hw_revision,
		.sw_version = d->sw_version, .feed = d->feed, .mode = d->mode,
		.state = d->state, .last_addr = d->last_addr, .last_seen = d->last_seen,
	};
	cJSON *o = admin_dev_fields(r, &v), *tags = cJSON_CreateArray();
	const char *t = d->tags;

	while (*t) {			/* tags are stored comma-separated */
		size_t n = strcspn(t, ",");
		if (n)
			cJSON_AddItemToArray(tags, cJSON_CreateString(arena_strndup(r->a, t, n)));
		t += n + (t[n] == ',');
	}
	cJSON_AddItemToObject(o, "tags", tags);
	return o;
}

/*
 * One page of the search as "devices"; "total" matching, and whether
 * another page follows (*more); the rows' id of the last one in *last.
 */
static int dev_rows(struct app *app, struct http_req *r, const struct dev_query *dq, cJSON *o,
		    int *more, long long *last, struct nb_err *e)
{
	long per = admin_page_size(app);
	struct ddi_device_row *rows = arena_alloc(r->a, sizeof(*rows) * (size_t)(per + 1));
	long long total = 0;
	cJSON *arr = cJSON_CreateArray();
	int n, i;

	cJSON_AddItemToObject(o, "devices", arr);
	*more = 0;
	*last = 0;
	if (!rows)
		return nb_fail(e, NB_UNAVAILABLE, "out of memory");
	n = ddi_device_search(app, &dq->s, rows, (int)per + 1, &total, e);
	if (n < 0)
		return -1;
	*more = n > per;
	for (i = 0; i < n && i < per; i++) {
		cJSON_AddItemToArray(arr, row_json(r, &rows[i]));
		*last = rows[i].id;
	}
	cJSON_AddNumberToObject(o, "total_matching", (double)total);
	return 0;
}

/* The sortable columns' header links: each flips direction when it is the current sort. */
static cJSON *sort_links(struct http_req *r, const struct dev_query *dq)
{
	static const char *const skip[] = { "sort", "dir", "page", "after", NULL };
	const char *base = query_without(r, skip);
	cJSON *o = cJSON_CreateObject();
	int k;

	for (k = 1; ddi_sort_words[k]; k++) {
		int cur = (int)dq->s.sort == k, desc = cur && !dq->s.desc;
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "href", arena_printf(r->a, "%ssort=%s&dir=%s", base,
								 ddi_sort_words[k], desc ? "desc" : "asc"));
		cJSON_AddStringToObject(c, "mark", !cur ? "" : dq->s.desc ? " ▼" : " ▲");
		cJSON_AddStringToObject(c, "aria", !cur ? "none" : dq->s.desc ? "descending"
								   : "ascending");
		cJSON_AddItemToObject(o, ddi_sort_words[k], c);
	}
	return o;
}

/* "Showing 6–10 of 63", previous and next links that keep the search. */
static void pager(struct http_req *r, const struct dev_query *dq, cJSON *d, long shown,
		  int more)
{
	static const char *const skip[] = { "page", "after", NULL };
	const char *base = query_without(r, skip);

	cJSON_AddNumberToObject(d, "from", shown ? (double)(dq->s.offset + 1) : 0);
	cJSON_AddNumberToObject(d, "to", (double)(dq->s.offset + shown));
	cJSON_AddNumberToObject(d, "page", (double)dq->page);
	if (dq->page > 1)
		cJSON_AddStringToObject(d, "prev", arena_printf(r->a, "%spage=%ld", base,
								dq->page - 1));
	if (more)
		cJSON_AddStringToObject(d, "next", arena_printf(r->a, "%spage=%ld", base,
								dq->page + 1));
}

/*
 * The page's rows into d: a page past the end shows the last one, as the
 * other paged lists do (admin_paginate), not "Showing 0–50 of 30".  The
 * API keeps an empty page past the end: scripts page until it is empty.
 */
static int page_rows(struct app *app, struct http_req *r, struct dev_query *dq, cJSON **d,
		     int *more, long long *last, struct nb_err *e)
{
	long per = admin_page_size(app);
	long long total;

	*d = cJSON_CreateObject();
	if (dev_rows(app, r, dq, *d, more, last, e) < 0)
		return -1;
	total = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(*d,
											"total_matching"));
	if (dq->page == 1 || dq->s.offset < total || total == 0 || dq->f.after)
		return 0;
	dq->page = (long)((total + per - 1) / per);
	dq->s.offset = (dq->page - 1) * per;
	cJSON_Delete(*d);
	*d = cJSON_CreateObject();
	return dev_rows(app, r, dq, *d, more, last, e);
}

int admin_devices_run(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e)
{
	struct dev_query dq;
	long long total, last;
	cJSON *d = NULL, *counts = NULL, *software = NULL;
	int more;

	dev_query_read(app, r, &dq);
	if (page_rows(app, r, &dq, &d, &more, &last, e) < 0 ||
	    !(counts = state_counts(app, r, &total, e)) ||
	    !(software = admin_sw_choices(app, r, 0, e))) {
		cJSON_Delete(counts);
		cJSON_Delete(d);
		return -1;
	}
	pager(r, &dq, d, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "devices")), more);
	cJSON_AddItemToObject(d, "state_opts", state_options(counts, dq.f.state));
	cJSON_AddItemToObject(d, "states", counts);
	cJSON_AddNumberToObject(d, "total", (double)total);
	cJSON_AddItemToObject(d, "seen_opts", seen_options(dq.f.seen));
	cJSON_AddItemToObject(d, "sort", sort_links(r, &dq));
	cJSON_AddItemToObject(d, "software", software);
	cJSON_AddStringToObject(d, "back", arena_printf(r->a, "/admin/devices?%s",
			query_without(r, (const char *const[]){ NULL })));
	echo(d, "q", dq.s.q);
	echo(d, "feed", dq.f.feed);
	echo(d, "model", dq.f.model);
	echo(d, "version", dq.f.version);
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, 200, "devices", "Devices", d);
	return 0;
}

/*
 * The same search as the page: "devices", "total_matching", "page";
 * "next_after" (the last id) when sorted by id and more follow, for keyset
 * paging with ?after=; ?counts=1 adds the counts by state.
 */
int admin_api_devices_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	struct dev_query dq;
	long long total, last;
	cJSON *o, *counts = NULL;
	int more;

	dev_query_read(app, r, &dq);
	o = cJSON_CreateObject();
	if (dev_rows(app, r, &dq, o, &more, &last, e) < 0 ||
	    (req_has(r, "counts") && !(counts = state_counts(app, r, &total, e)))) {
		cJSON_Delete(o);
		return -1;
	}
	cJSON_AddNumberToObject(o, "page", (double)dq.page);
	if (more && dq.s.sort == DDI_SORT_ID && !dq.s.desc)
		cJSON_AddNumberToObject(o, "next_after", (double)last);
	if (counts) {
		cJSON_AddItemToObject(o, "states", counts);
		cJSON_AddNumberToObject(o, "total", (double)total);
	}
	admin_json(w, 200, o);
	return 0;
}


int admin_ddi_dashboard(struct app *app, struct http_req *r, cJSON *d, struct nb_err *e)
{
	long long total;
	cJSON *counts = state_counts(app, r, &total, e);

	if (!counts)
		return -1;
	cJSON_AddItemToObject(d, "device_states", counts);
	cJSON_AddNumberToObject(d, "devices", (double)total);
	return 0;
}
