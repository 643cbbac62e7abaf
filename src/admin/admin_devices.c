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

/* The query string without the keys in skip (and a flash), re-encoded: links keep the rest. */
static const char *query_without(struct http_req *r, const char *const *skip)
{
	const struct query *q = &r->query;
	struct buf b;
	int i, k, drop;

	buf_init(&b, r->a);
	for (i = 0; i < q->n; i++) {
		for (k = 0, drop = !strcmp(q->v[i].key, "done") || !*q->v[i].val; skip[k]; k++)
			drop |= !strcmp(q->v[i].key, skip[k]);
		if (drop)
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

/* A search asked for: the list filters (admin_dev_filter_parse) and q, sort, dir, page. */
struct dev_query {
	struct admin_dev_filter f;
	struct ddi_search s;
	long page;			/* 1-based */
};

static int word_index(const char *const *words, const char *w)
{
	int i;

	for (i = 0; words[i]; i++)
		if (!strcmp(words[i], w))
			return i;
	return -1;
}

/* 0, or -1 with *err for the 400. */
static int dev_query_parse(struct app *app, struct http_req *r, struct dev_query *dq,
			   const char **err)
{
	const char *q = query_get(&r->query, "q"), *sort = query_get(&r->query, "sort");
	const char *dir = query_get(&r->query, "dir"), *page = query_get(&r->query, "page");
	long per = admin_page_size(app);
	int k = 0;

	memset(dq, 0, sizeof(*dq));
	if (admin_dev_filter_parse(&r->query, (long long)time(NULL), &dq->f, err) < 0)
		return -1;
	if (q && *q && !admin_label_ok(q, 255))
		return *err = "q is at most 255 bytes without control characters", -1;
	if (sort && *sort && (k = word_index(ddi_sort_words, sort)) < 0)
		return *err = "sort must be id, cid, name, state, version, model, feed, mode or seen", -1;
	if (dir && *dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
		return *err = "dir must be asc or desc", -1;
	dq->page = 1;
	if (page && *page && admin_int(page, 1, 1000000L, &dq->page) < 0)
		return *err = "page must be a number from 1", -1;
	dq->s = (struct ddi_search){ q && *q ? q : NULL, dq->f.state, dq->f.feed, dq->f.model,
		dq->f.version, dq->f.seen_lo, dq->f.seen_hi, dq->f.after, (enum ddi_sort)k,
		dir && !strcmp(dir, "desc"), (dq->page - 1) * per, per + 1 };
	return 0;
}

static cJSON *row_json(struct http_req *r, const struct ddi_device_row *d)
{
	cJSON *o = cJSON_CreateObject(), *tags = cJSON_CreateArray();
	const char *t = d->tags;

	cJSON_AddNumberToObject(o, "id", (double)d->id);
	cJSON_AddStringToObject(o, "tenant", d->tenant);
	cJSON_AddStringToObject(o, "controller_id", d->cid);
	cJSON_AddStringToObject(o, "name", d->name);
	while (*t) {			/* tags are stored comma-separated */
		size_t n = strcspn(t, ",");
		if (n)
			cJSON_AddItemToArray(tags, cJSON_CreateString(arena_strndup(r->a, t, n)));
		t += n + (t[n] == ',');
	}
	cJSON_AddItemToObject(o, "tags", tags);
	cJSON_AddStringToObject(o, "hw_model", d->hw_model);
	cJSON_AddStringToObject(o, "hw_revision", d->hw_revision);
	cJSON_AddStringToObject(o, "sw_version", d->sw_version);
	cJSON_AddStringToObject(o, "feed", d->feed);
	cJSON_AddStringToObject(o, "mode", d->mode);
	cJSON_AddStringToObject(o, "state", d->state);
	cJSON_AddBoolToObject(o, "error", !strcmp(d->state, "error"));
	cJSON_AddNumberToObject(o, "last_seen", (double)d->last_seen);
	cJSON_AddStringToObject(o, "last_seen_text",
				d->last_seen ? admin_when(r->a, d->last_seen) : "never");
	cJSON_AddStringToObject(o, "last_addr", d->last_addr);
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

void admin_devices(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct dev_query dq;
	struct nb_err e;
	const char *err;
	long long total, last;
	cJSON *d, *counts;
	int more;

	if (dev_query_parse(app, r, &dq, &err) < 0) {
		admin_fail(app, r, w, 400, err);
		return;
	}
	d = cJSON_CreateObject();
	if (dev_rows(app, r, &dq, d, &more, &last, &e) < 0) {
		cJSON_Delete(d);
		admin_fail(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	pager(r, &dq, d, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "devices")), more);
	counts = admin_dev_state_counts(app, &total);
	cJSON_AddItemToObject(d, "state_opts", state_options(counts, dq.f.state));
	cJSON_AddItemToObject(d, "states", counts);
	cJSON_AddNumberToObject(d, "total", (double)total);
	cJSON_AddItemToObject(d, "seen_opts", seen_options(dq.f.seen));
	cJSON_AddItemToObject(d, "sort", sort_links(r, &dq));
	cJSON_AddItemToObject(d, "software", admin_sw_choices(app, 0));
	cJSON_AddStringToObject(d, "back", arena_printf(r->a, "/admin/devices?%s",
			query_without(r, (const char *const[]){ NULL })));
	echo(d, "q", dq.s.q);
	echo(d, "feed", dq.f.feed);
	echo(d, "model", dq.f.model);
	echo(d, "version", dq.f.version);
	if (query_get(&r->query, "done"))
		cJSON_AddStringToObject(d, "flash", query_get(&r->query, "done"));
	admin_page(app, r, w, 200, "devices", "Devices", d);
}

/*
 * The same search as the page: "devices", "total_matching", "page";
 * "next_after" (the last id) when sorted by id and more follow, for keyset
 * paging with ?after=; ?counts=1 adds the counts by state.
 */
void admin_api_devices(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct dev_query dq;
	struct nb_err e;
	const char *err;
	long long total, last;
	cJSON *o;
	int more;

	if (dev_query_parse(app, r, &dq, &err) < 0) {
		admin_fail(app, r, w, 400, err);
		return;
	}
	o = cJSON_CreateObject();
	if (dev_rows(app, r, &dq, o, &more, &last, &e) < 0) {
		cJSON_Delete(o);
		admin_fail(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	cJSON_AddNumberToObject(o, "page", (double)dq.page);
	if (more && dq.s.sort == DDI_SORT_ID && !dq.s.desc)
		cJSON_AddNumberToObject(o, "next_after", (double)last);
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
