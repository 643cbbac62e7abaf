/*
 * The request log: filtered by program, status, path substring and time,
 * newest first, paged by id (keyset) so a page costs the same at row
 * 100,000 as at row 1.
 */
#include "admin.h"
#include "../log/log_store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>


/* One row as the page and the API show it. */
static cJSON *row_json(const struct log_row *w)
{
	cJSON *o = cJSON_CreateObject();
	time_t t = (time_t)(w->ts_ms / 1000);
	char when[40] = "";
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	cJSON_AddNumberToObject(o, "id", (double)w->id);
	cJSON_AddNumberToObject(o, "ts_ms", (double)w->ts_ms);
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "program", w->program);
	cJSON_AddStringToObject(o, "method", w->method);
	cJSON_AddStringToObject(o, "path", w->path);
	cJSON_AddStringToObject(o, "route", w->route);
	cJSON_AddNumberToObject(o, "status", w->status);
	cJSON_AddBoolToObject(o, "error", w->status >= 400);
	cJSON_AddNumberToObject(o, "bytes", (double)w->bytes);
	cJSON_AddNumberToObject(o, "ms", (double)w->dur_us / 1000.0);
	cJSON_AddStringToObject(o, "remote", w->remote);
	cJSON_AddStringToObject(o, "user_agent", w->user_agent);
	/* the operator who asked (X-Nestbox-User); "" for devices and visitors */
	cJSON_AddStringToObject(o, "user", w->user);
	return o;
}

/*
 * The rows the declared filters select (before, program, q, since, until,
 * status: requests_in of admin.fcgi.c, checked by the router), newest
 * first, at most one page in *rows (*n of them); *next the id to continue
 * before, 0 at the end.  -1 with e NB_UNAVAILABLE when the store cannot
 * answer.
 */
static int request_rows(struct app *app, struct http_req *r, struct log_row **rows,
			size_t *n, long long *next, struct nb_err *e)
{
	long long status = req_int(r, "status", 0);
	struct log_filter f = {
		.program = req_str(r, "program"), .path = req_str(r, "q"),
		.since_ms = req_has(r, "since") ? req_int(r, "since", -1) : -1,
		.until_ms = req_has(r, "until") ? req_int(r, "until", -1) : -1,
		.before = req_int(r, "before", 0),
		.limit = admin_page_size(app) + 1,	/* one more tells whether a next page exists */
	};

	*next = 0;
	if (status > 0 && status < 10)
		f.status_lo = (int)status * 100, f.status_hi = f.status_lo + 99;
	else if (status)
		f.status_lo = f.status_hi = (int)status;
	if (log_store_requests(app->db, r->a, &f, rows, n, e) < 0)
		return -1;
	if (*n == (size_t)f.limit) {
		--*n;
		*next = (*rows)[*n - 1].id;
	}
	return 0;
}

static cJSON *rows_json(const struct log_row *rows, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, row_json(&rows[i]));
	return arr;
}

/* The filter's programs, those that have answered requests:
 * [{"name", "selected"}], by name; NULL with e when the store cannot say
 * (a 503, not a filter that silently offers none). */
static cJSON *program_choices(struct app *app, struct http_req *r, const char *selected,
			      struct nb_err *e)
{
	cJSON *arr;
	const char **names;
	size_t n, i;

	if (log_store_programs(app->db, r->a, &names, &n, e) < 0)
		return NULL;
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", names[i]);
		cJSON_AddBoolToObject(o, "selected", selected && !strcmp(selected, names[i]));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The query string of the next page: every filter given, and before=next. */
static const char *next_query(struct http_req *r, long long next)
{
	static const char *const keys[] = { "program", "status", "q", "since", "until", NULL };
	struct buf b;
	int i;

	buf_init(&b, r->a);
	for (i = 0; keys[i]; i++) {
		if (!req_has(r, keys[i]))
			continue;
		buf_printf(&b, "%s=", keys[i]);
		buf_add_qenc(&b, req_str(r, keys[i]));
		buf_addc(&b, '&');
	}
	buf_printf(&b, "before=%lld", next);
	return buf_cstr(&b);
}

static void echo(struct http_req *r, cJSON *d, const char *k)
{
	cJSON_AddStringToObject(d, k, req_has(r, k) ? req_str(r, k) : "");
}

int admin_requests_run(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	struct log_row *rows;
	size_t n;
	long long next;
	cJSON *d, *programs;

	if (request_rows(app, r, &rows, &n, &next, e) < 0 ||
	    !(programs = program_choices(app, r, req_str(r, "program"), e)))
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "rows", rows_json(rows, n));
	cJSON_AddItemToObject(d, "programs", programs);
	echo(r, d, "status");
	echo(r, d, "q");
	echo(r, d, "since");
	echo(r, d, "until");
	if (next > 0)
		cJSON_AddStringToObject(d, "next", next_query(r, next));
	admin_page(app, r, w, 200, "requests", "Request log", d);
	return 0;
}

int admin_api_requests_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	struct log_row *rows;
	size_t n;
	long long next;
	cJSON *o;

	if (request_rows(app, r, &rows, &n, &next, e) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "rows", rows_json(rows, n));
	if (next > 0)
		cJSON_AddNumberToObject(o, "next_before", (double)next);
	admin_json(w, 200, o);
	return 0;
}
