/* admin.fcgi's per-process set-up, request authentication and page layout. */
#include "admin.h"
#include "admin_audit.h"
#include "../lib/auth.h"
#include "../lib/fs.h"
#include "../mkbox/mkbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void admin_refused(struct app *app, struct http_req *r, struct http_resp *w);

int admin_init(struct app *app, struct nb_err *e)
{
	struct admin *ad = calloc(1, sizeof(*ad));

	if (!ad)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	admin_settings_read(app, &ad->set);
	if (tmpl_load_dir(&ad->tmpl, ad->set.templates, e) < 0) {
		admin_settings_free(&ad->set);
		free(ad);
		return -1;
	}
	{
		struct mkbox_settings ms;	/* the image directory, as list.fcgi reads it */
		mkbox_settings_read(app, &ms);
		snprintf(ad->images, sizeof(ad->images), "%s", ms.image_path);
	}
	/* an image upload killed half-way leaves its .img.zst temporary in
	 * the box directory: collected at start like var/tmp's (app_main) */
	mkbox_clean_tmp(ad->images, FS_TMP_GRACE);
	mip_settings(app, &ad->mip);
	/* checked as ota.fcgi checks them: a bad one stops both at start */
	ota_settings_read(app, &ad->ota);
	if (ota_settings_check(&ad->ota, e) < 0) {
		tmpl_free(ad->tmpl);
		admin_settings_free(&ad->set);
		free(ad);
		return -1;
	}
	ota_git_global_init();	/* once per process, as ota.fcgi does */
	app->domain = ad;
	app->refused = admin_refused;
	return 0;
}

void admin_fini(struct app *app)
{
	struct admin *ad = app->domain;

	if (ad) {
		tmpl_free(ad->tmpl);
		admin_settings_free(&ad->set);
	}
	free(ad);
	app->domain = NULL;
}

int admin_is_admin(const struct admin *ad)
{
	return ad->authed && strcmp(ad->user.role, "admin") == 0;
}

int admin_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > ADMIN_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '@'))
			return 0;
	}
	return 1;
}

void admin_json(struct http_resp *w, int status, cJSON *data)
{
	char *s = cJSON_PrintUnformatted(data);

	http_bytes(w, status, "application/json", s, strlen(s));
	buf_addc(&w->body, '\n');
	cJSON_free(s);
	cJSON_Delete(data);
}

/* The operator's name in the answer, for the front end's access log
 * (src/log/accesslog.h): the request log's user column. */
static void note_user(const struct admin *ad, struct http_resp *w)
{
	if (ad->authed)
		http_set_header(w, "X-Nestbox-User", ad->user.name);
}

static int is_api(const struct http_req *r)
{
	return r->route && (r->route->flags & ADMIN_API);
}

/* The admin's one mapping of an error kind to its answer's status
 * (err.h's table; NB_OK, an error without a kind, is a bug: 500). */
static int err_status(enum nb_errkind kind)
{
	return kind == NB_OK ? 500 : nb_err_status(kind);
}

/* Answers status and msg: an error page, or JSON on API routes. */
static void fail_as(struct app *app, struct http_req *r, struct http_resp *w, int status,
		    const char *msg)
{
	cJSON *d;

	if (is_api(r)) {
		w->headers.len = 0;
		w->has_type = 0;
		http_json_error(w, status, msg);
		note_user(app->domain, w);
	} else {
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "message", msg);
		cJSON_AddNumberToObject(d, "status", status);
		admin_page(app, r, w, status, "error", http_reason(status), d);
	}
	/* a store that could not answer: the same request will work again */
	if (status == 503)
		http_set_header(w, "Retry-After", "5");
}

void admin_fail(struct app *app, struct http_req *r, struct http_resp *w,
		const struct nb_err *e)
{
	fail_as(app, r, w, err_status(e->kind), e->kind == NB_OK ? "internal error" : e->msg);
}

void admin_page_err(struct app *app, struct http_req *r, struct http_resp *w,
		    const struct nb_err *why, const char *tmpl, const char *title, cJSON *data)
{
	admin_page(app, r, w, err_status(why->kind), tmpl, title, data);
}

void admin_page(struct app *app, struct http_req *r, struct http_resp *w,
		int status, const char *tmpl, const char *title, cJSON *data)
{
	struct admin *ad = app->domain;
	struct nb_err e;
	cJSON *u;
	enum nb_errkind again = admin_form_data(app, r, data);

	if (again != NB_OK)
		status = err_status(again);
	cJSON_AddStringToObject(data, "title", title);
	cJSON_AddStringToObject(data, "csrf", ad->csrf);
	if (ad->authed) {
		u = cJSON_AddObjectToObject(data, "user");
		cJSON_AddStringToObject(u, "name", ad->user.name);
		cJSON_AddStringToObject(u, "role", ad->user.role);
		cJSON_AddBoolToObject(u, "is_admin", admin_is_admin(ad));
	}
	if (r->route && r->route->name)
		cJSON_AddBoolToObject(data, arena_printf(r->a, "nav%s", r->route->name), 1);
	w->body.len = 0;
	if (tmpl_render(ad->tmpl, tmpl, data, &w->body, &e) < 0) {
		fprintf(stderr, "nestbox[admin]: template %s: %s\n", tmpl, e.msg);
		cJSON_Delete(data);
		/* a broken template is our bug, but the answer stays clean */
		app_fail(app, r, w, &(struct nb_err){ NB_INTERNAL, "page template error" });
		return;
	}
	cJSON_Delete(data);
	w->status = status;
	http_set_header(w, "Content-Type", "text/html; charset=utf-8");
	http_set_header(w, "Cache-Control", "no-store");
	http_set_header(w, "X-Frame-Options", "DENY");
	http_set_header(w, "Content-Security-Policy",
			"default-src 'self'; style-src 'self'; img-src 'self' data:; "
			"script-src 'none'; frame-ancestors 'none'");
	http_set_header(w, "Referrer-Policy", "same-origin");
}

#define CSRF_REFUSED \
	"the form has expired or did not come from this site: reload the page and try again"

/* Who is asking: an API token (API routes) or a session cookie.  A store
 * that cannot be read sets ad->store_down: nobody is known, but the answer
 * is "try again", never "log in". */
static void authenticate(struct app *app, struct http_req *r, struct admin *ad)
{
	const char *h = http_header(r, "Authorization"), *cookie;
	struct nb_err e = { NB_OK, "" };

	if (h && strncmp(h, "Bearer ", 7) == 0) {
		if (is_api(r) && admin_token_get(app->db, h + 7, &ad->user, &e) == 0)
			ad->authed = ad->via_token = 1;
	} else if ((cookie = http_cookie(r, "nb_session"))) {
		if (admin_session_get(app->db, cookie, &ad->user, ad->csrf, &e) == 0)
			ad->authed = 1;
	}
	ad->store_down = e.kind == NB_UNAVAILABLE;
}

static int changes_state(const struct http_req *r)
{
	return strcmp(r->method, "GET") && strcmp(r->method, "HEAD");
}

/* The "csrf" form field of a route that declares it; NULL when there is none. */
static const char *form_csrf(const struct http_req *r)
{
	const struct route_typed *t = route_typed(r->route);
	const struct req_field *f;

	for (f = t ? t->input : NULL; f && f->name; f++)
		if (f->src == REQ_FORM && strcmp(f->name, "csrf") == 0)
			return req_str(r, "csrf");
	return NULL;
}

/* The form's (or header's) CSRF token must be the session's. */
int admin_csrf_ok(struct admin *ad, struct http_req *r)
{
	const char *t = form_csrf(r);

	if (!t)
		t = http_header(r, "X-CSRF-Token");
	return t && ad->csrf[0] && auth_equal(t, ad->csrf);
}

/* Forgets the previous request's user, token and form state (the
 * process answers one request after another). */
static void request_start(struct admin *ad)
{
	memset(&ad->user, 0, sizeof(ad->user));
	ad->authed = ad->via_token = ad->store_down = 0;
	ad->csrf[0] = '\0';
	ad->form_key = ad->form_field = ad->form_msg = NULL;
	ad->audited = 0;
	ad->upload_name[0] = '\0';
}

/* app->refused: the router refused the request (a path, query or form
 * field's 400, a 404 or 405) before admin_before or after it.  Who asked,
 * by session or token, is named for the request log; a page's refusal is
 * drawn again inside the layout with its navigation, as the unknown-path
 * page is (issue 14), while the API's stays the router's JSON. */
static void admin_refused(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	char *msg;

	request_start(ad);
	authenticate(app, r, ad);
	if (!is_api(r) && !app_wants_json(app, r) && w->status >= 400 && w->status < 500) {
		msg = arena_strndup(r->a, w->body.p ? w->body.p : "", w->body.len);
		msg[strcspn(msg, "\n")] = '\0';
		w->headers.len = 0;
		w->has_type = 0;
		fail_as(app, r, w, w->status, msg);	/* the router's status, mapped by app.c */
	}
	note_user(ad, w);
}

/*
 * The program's before hook (app.h): who asks, and may they.  An API
 * request's refusal is returned in e for app.c to answer in JSON (the
 * WWW-Authenticate of a 401 set on w first); a page's is answered here,
 * with the login redirect or the admin's error page.
 */
int admin_before(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct admin *ad = app->domain;
	unsigned flags = r->route->flags;

	request_start(ad);
	authenticate(app, r, ad);
	note_user(ad, w);
	if (flags & ADMIN_PUBLIC)
		return admin_form_precheck(app, r, w);
	if (ad->store_down) {
		nb_fail(e, NB_UNAVAILABLE, "the store cannot be read just now; try again shortly");
		admin_fail(app, r, w, e);
		return 1;
	}
	if (!ad->authed) {
		if (!is_api(r)) {
			http_redirect(w, arena_printf(r->a, "/admin/login?next=%s",
						      r->raw_path));
			return 1;
		}
		http_set_header(w, "WWW-Authenticate", "Bearer");
		return nb_fail(e, NB_UNAUTHORIZED, "authentication required");
	}
	if ((flags & ADMIN_ONLY) && !admin_is_admin(ad)) {
		nb_fail(e, NB_FORBIDDEN, "this needs the admin role; your account is read-only");
		if (is_api(r))
			return -1;
		admin_fail(app, r, w, e);
		return 1;
	}
	return admin_form_precheck(app, r, w);
}

int admin_run(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e,
	      route_run_fn fn)
{
	struct admin *ad = app->domain;

	/* a public form (the login) has its own token: no session yet */
	if (changes_state(r) && !ad->via_token &&
	    !(r->route->flags & (ADMIN_OWN_CSRF | ADMIN_PUBLIC)) && !admin_csrf_ok(ad, r))
		nb_fail(e, NB_FORBIDDEN, CSRF_REFUSED);
	else if (fn(app, r, w, e) == 0) {
		admin_audit_after(app, r, w);
		return 0;
	} else if (admin_form_again(app, r, w, e))
		return 0;
	admin_fail(app, r, w, e);
	return 0;
}

/* GET of an admin path no route answers: a 404 inside the layout, so the
 * navigation leads on (JSON under /admin/api/). */
int admin_not_found_run(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e)
{
	(void)app, (void)w;
	return nb_fail(e, NB_NOT_FOUND, "there is no page at %s", r->raw_path);
}

long admin_page_size(struct app *app)
{
	return ((struct admin *)app->domain)->set.page_size;
}

long admin_paginate(struct app *app, struct http_req *r, cJSON *d, const char *param,
		    const char *prefix, long n)
{
	struct admin *ad = app->domain;
	long per = ad->set.page_size;
	long pages = n > 0 ? (n + per - 1) / per : 1;
	/* a page shown after a failed form (which has no page field) is the first */
	long long page = req_has(r, param) ? req_int(r, param, 1) : 1;
	char key[64];

	if (page < 1)
		page = 1;
	if (page > pages)
		page = pages;
	snprintf(key, sizeof(key), "%s_page", prefix);
	cJSON_AddNumberToObject(d, key, (double)page);
	snprintf(key, sizeof(key), "%s_pages", prefix);
	cJSON_AddNumberToObject(d, key, (double)pages);
	snprintf(key, sizeof(key), "%s_prev", prefix);
	if (page > 1)
		cJSON_AddNumberToObject(d, key, (double)(page - 1));
	snprintf(key, sizeof(key), "%s_next", prefix);
	if (page < pages)
		cJSON_AddNumberToObject(d, key, (double)(page + 1));
	return (long)(page - 1) * per;
}

cJSON *admin_rows(struct http_req *r, const void *v, int n, size_t size, admin_row_fn *one,
		  const void *ctx)
{
	cJSON *arr;
	int i;

	if (n < 0)
		return NULL;
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, one(r, (const char *)v + (size_t)i * size, ctx));
	return arr;
}

cJSON *admin_options(const char *const *names, const char *key, const char *sel)
{
	cJSON *arr = cJSON_CreateArray();
	int i;

	for (i = 0; names[i]; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, key, names[i]);
		cJSON_AddBoolToObject(o, "selected", sel && !strcmp(sel, names[i]));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}
