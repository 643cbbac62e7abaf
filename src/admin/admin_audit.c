/*
 * The audit feed as the admin shows it: admin_audit() for the handlers
 * that change something, GET /admin/audit (the page) and GET
 * /admin/api/audit (JSON), both newest first, a user filter and an
 * older-than cursor.
 */
#include "admin_audit.h"
#include "admin.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define AUDIT_PAGE 50

void admin_audit(struct app *app, const char *action, const char *target_fmt, ...)
{
	const struct admin *ad = app->domain;
	char target[AUDIT_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, target_fmt);
	vsnprintf(target, sizeof(target), target_fmt, ap);
	va_end(ap);
	audit_write(app->db, ad->user.name, ad->via_token ? "api" : "page", action, NULL,
			  "%s", target);
	((struct admin *)app->domain)->audited = 1;
}

void admin_audit_skip(struct app *app)
{
	((struct admin *)app->domain)->audited = 1;
}

/* "software delete" from POST /admin/software/:id/delete: the pattern's
 * words after /admin/ (and api/), "add" after a collection posted to,
 * "delete" for the DELETE method. */
static const char *action_of(struct http_req *r)
{
	const char *p = r->route->pattern + strlen("/admin/");
	struct buf b;
	int words = 0, last_literal = 0;

	buf_init(&b, r->a);
	if (!strncmp(p, "api/", 4))
		p += 4;
	while (*p) {
		size_t n = strcspn(p, "/");
		last_literal = *p != ':' && *p != '*';
		if (last_literal && n) {
			if (b.len)
				buf_addc(&b, ' ');
			buf_add(&b, p, n);
			words++;
		}
		p += n + (p[n] == '/');
	}
	if (!strcmp(r->method, "DELETE"))
		buf_adds(&b, " delete");
	else if (last_literal && (words == 1 || !strcmp(r->method, "PUT")))
		buf_adds(&b, " add");
	return buf_cstr(&b);
}

/* The page's own words for what it did: the ?done= message of the page it
 * redirects to ("added software 3"), or NULL. */
static const char *done_of(struct http_req *r, const struct http_resp *w)
{
	const char *h = memmem(w->headers.p, w->headers.len, "Location: ", 10), *q, *end;
	struct query qs;

	if (!h)
		return NULL;
	h += 10;
	end = memchr(h, '\r', w->headers.len - (size_t)(h - w->headers.p));
	q = end ? memchr(h, '?', (size_t)(end - h)) : NULL;
	if (!q || query_parse(r->a, q + 1, (size_t)(end - q - 1), &qs, NULL) < 0)
		return NULL;
	return query_get(&qs, "done");
}

/* What the change was on: "id=3 box=a name=x file=y.img: done" (no secrets). */
static const char *target_of(struct app *app, struct http_req *r, const struct http_resp *w)
{
	const char *done = done_of(r, w);
	const struct admin *ad = app->domain;
	struct buf b;
	int i;

	buf_init(&b, r->a);
	for (i = 0; i < r->params.n; i++)
		buf_printf(&b, "%s%s=%s", b.len ? " " : "", r->params.name[i], r->params.val[i]);
	for (i = 0; i < r->form.n; i++) {
		const char *k = r->form.v[i].key;
		if (strstr(k, "password") || !strcmp(k, "csrf") || !strcmp(k, "confirm"))
			continue;
		buf_printf(&b, "%s%s=%s", b.len ? " " : "", k, r->form.v[i].val);
	}
	if (ad->upload_name[0])
		buf_printf(&b, "%sfile=%s", b.len ? " " : "", ad->upload_name);
	if (done)
		buf_printf(&b, "%s%s", b.len ? ": " : "", done);
	return b.len ? buf_cstr(&b) : "-";
}

void admin_audit_after(struct app *app, struct http_req *r, const struct http_resp *w)
{
	const struct admin *ad = app->domain;
	int api = r->route && (r->route->flags & ADMIN_API);
	int changed = api ? w->status >= 200 && w->status < 300 :
			    w->status == 201 || w->status == 303;

	if (ad->audited || !ad->authed || !changed || !strcmp(r->method, "GET") ||
	    !strcmp(r->method, "HEAD"))
		return;
	admin_audit(app, action_of(r), "%s", target_of(app, r, w));
}

cJSON *admin_audit_json(struct arena *a, const struct audit_row *rows, int n)
{
	cJSON *arr = cJSON_CreateArray();
	int i;

	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)rows[i].id);
		cJSON_AddNumberToObject(o, "ts", (double)rows[i].ts);
		cJSON_AddStringToObject(o, "time", admin_when(a, rows[i].ts));
		cJSON_AddStringToObject(o, "user", rows[i].user);
		cJSON_AddStringToObject(o, "via", rows[i].via);
		cJSON_AddStringToObject(o, "action", rows[i].action);
		cJSON_AddStringToObject(o, "target", rows[i].target);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* One page of rows for the declared ?user= and ?before=; *older: the cursor on, or 0. */
static int audit_rows(struct app *app, struct http_req *r, cJSON **rows, long long *older,
		      struct nb_err *e)
{
	struct audit_row *v = arena_alloc(r->a, sizeof(*v) * AUDIT_PAGE);
	int n = audit_list(app->db, req_str(r, "user"), req_int(r, "before", 0), v,
				 AUDIT_PAGE, e);

	if (n < 0)
		return -1;
	*older = n == AUDIT_PAGE ? v[n - 1].id : 0;
	*rows = admin_audit_json(r->a, v, n);
	return 0;
}

int admin_audit_page_run(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	cJSON *d, *rows;
	long long older;

	if (audit_rows(app, r, &rows, &older, e) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "rows", rows);
	cJSON_AddStringToObject(d, "filter_user", req_str(r, "user") ? req_str(r, "user") : "");
	if (older)
		cJSON_AddNumberToObject(d, "older", (double)older);
	admin_page(app, r, w, 200, "audit", "Audit", d);
	return 0;
}

int admin_api_audit_run(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e)
{
	cJSON *rows;
	long long older;

	if (audit_rows(app, r, &rows, &older, e) < 0)
		return -1;
	admin_json(w, 200, rows);
	return 0;
}
