/*
 * The request log: filtered by program, status, path substring and time,
 * newest first, paged by id (keyset) so a page costs the same at row
 * 100,000 as at row 1.
 */
#include "admin_ddi.h"	/* admin_id_ok */
#include "../log/log_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "2026-11-23T13:05" (an HTML datetime-local value, UTC) -> ms, or -1. */
static long long parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	if (!s || !*s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end || (*end && *end != ':'))
		return -1;
	return (long long)timegm(&tm) * 1000;
}

/* "404", "4xx" or "" -> a status range. */
static int parse_status(const char *s, int *lo, int *hi)
{
	if (!s || !*s)
		return 0;
	if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && !strcmp(s + 1, "xx")) {
		*lo = (s[0] - '0') * 100;
		*hi = *lo + 99;
		return 1;
	}
	if (strlen(s) != 3 || strspn(s, "0123456789") != 3)
		return -1;
	*lo = *hi = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	return *lo >= 100 && *lo <= 599 ? 1 : -1;
}

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
 * status), newest first, at most one page in *rows (*n of them); *next
 * the id to continue before, 0 at the end.  -1 with e (NB_INVALID naming
 * the field) when status or before is malformed: they are checked here,
 * not by a validator, so the API answers them in JSON (admin_run) like its
 * other errors; NB_UNAVAILABLE when the store cannot answer.
 */
static int request_rows(struct app *app, struct http_req *r, struct log_row **rows,
			size_t *n, long long *next, struct nb_err *e)
{
	const char *before = req_str(r, "before");
	struct log_filter f = {
		.program = req_str(r, "program"), .path = req_str(r, "q"),
		.since_ms = parse_time(req_str(r, "since")),
		.until_ms = parse_time(req_str(r, "until")),
		.limit = admin_page_size(app) + 1,	/* one more tells whether a next page exists */
	};

	*next = 0;
	if (parse_status(req_str(r, "status"), &f.status_lo, &f.status_hi) < 0)
		return nb_fail(e, NB_INVALID, "invalid status: a code like 404 or a class like "
			       "5xx");
	if (before && (!admin_id_ok(before) || *before == '0'))
		return nb_fail(e, NB_INVALID, "invalid before: a request id");
	f.before = before ? strtoll(before, NULL, 10) : 0;
	if (log_store_requests(app->db, r->a, &f, rows, n) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the request log is not available");
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
 * [{"name", "selected"}], by name (none when the store is busy). */
static cJSON *program_choices(struct app *app, struct http_req *r, const char *selected)
{
	cJSON *arr = cJSON_CreateArray();
	const char **names;
	size_t n, i;

	if (log_store_programs(app->db, r->a, &names, &n) < 0)
		n = 0;
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
	cJSON *d;

	if (request_rows(app, r, &rows, &n, &next, e) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "rows", rows_json(rows, n));
	cJSON_AddItemToObject(d, "programs", program_choices(app, r, req_str(r, "program")));
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
