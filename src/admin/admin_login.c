/* Logging in and out. */
#include "admin.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int served_over_https(struct app *app, struct http_req *r)
{
	const char *h = http_env(r, "HTTPS");

	return (h && !strcasecmp(h, "on")) ||
	       !strncmp(conf_str(app->conf, "server.base_url"), "https:", 6);
}

static void set_cookie(struct app *app, struct http_req *r, struct http_resp *w,
		       const char *name, const char *value, long max_age)
{
	http_set_header(w, "Set-Cookie",
			arena_printf(r->a, "%s=%s; Path=/admin; Max-Age=%ld; HttpOnly; "
				     "SameSite=Strict%s", name, value, max_age,
				     served_over_https(app, r) ? "; Secure" : ""));
}

/* Only a path inside the admin pages: never an open redirect. */
static const char *safe_next(const char *next)
{
	if (!next || strncmp(next, "/admin/", 7) || strstr(next, "//") || strchr(next, '\\') ||
	    strpbrk(next, "\r\n"))
		return "/admin/";
	return next;
}

static void login_form(struct app *app, struct http_req *r, struct http_resp *w,
		       int status, const char *msg, const char *user, const char *next)
{
	cJSON *d = cJSON_CreateObject();
	char csrf[65];

	/* double-submit token: before a login there is no session to keep it in */
	if (auth_random_hex(csrf, 32) < 0) {
		app_error(app, w, 503, "no randomness");
		cJSON_Delete(d);
		return;
	}
	cJSON_AddStringToObject(d, "login_csrf", csrf);
	cJSON_AddStringToObject(d, "next", safe_next(next));
	if (msg)
		cJSON_AddStringToObject(d, "error", msg);
	if (user)
		cJSON_AddStringToObject(d, "username", user);
	admin_page(app, r, w, status, "login", "Log in", d);
	set_cookie(app, r, w, "nb_login", csrf, 3600);
}

void admin_login_page(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;

	if (ad->authed) {
		http_redirect(w, "/admin/");
		return;
	}
	login_form(app, r, w, 200, NULL, NULL, query_get(&r->query, "next"));
}

static int check_password(struct app *app, const char *user, const char *pw,
			  struct admin_user *u)
{
	struct admin *ad = app->domain;
	char hash[AUTH_HASH_MAX];

	if (adm_user_get(app->db, user, u, hash, sizeof(hash)) < 0) {
		/* an unknown user costs the same time as a wrong password */
		auth_verify_password(ad->dummy_hash, pw);
		return 0;
	}
	return auth_verify_password(hash, pw);
}

void admin_login(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	const char *user, *pw, *form_csrf, *cookie_csrf, *next;
	char ukey[128], ikey[128], token[65];
	int max = (int)conf_int(app->conf, "admin.login_max_failures");
	long window = (long)conf_int(app->conf, "admin.login_window"), wait;
	int st = http_read_form(r, (size_t)conf_int(app->conf, "server.max_body"));

	if (st) {
		admin_fail(app, r, w, st, "bad form");
		return;
	}
	user = query_get(&r->form, "username");
	pw = query_get(&r->form, "password");
	next = query_get(&r->form, "next");
	form_csrf = query_get(&r->form, "csrf");
	cookie_csrf = http_cookie(r, "nb_login");
	if (!form_csrf || !cookie_csrf || !auth_equal(form_csrf, cookie_csrf)) {
		login_form(app, r, w, 403, "The login form expired; please try again.", user, next);
		return;
	}
	if (!user || !pw || !*user || !*pw || strlen(user) > ADM_NAME_MAX) {
		login_form(app, r, w, 400, "Enter a user name and a password.", user, next);
		return;
	}
	snprintf(ukey, sizeof(ukey), "u:%s", user);
	snprintf(ikey, sizeof(ikey), "ip:%s", r->remote_addr);
	wait = adm_throttle_wait(app->db, ukey, max, window);
	if (!wait)
		wait = adm_throttle_wait(app->db, ikey, max, window);
	if (wait) {
		login_form(app, r, w, 429, arena_printf(r->a, "Too many failed logins. "
				"Try again in %ld minute%s.", (wait + 59) / 60,
				(wait + 59) / 60 == 1 ? "" : "s"), user, next);
		http_set_header(w, "Retry-After", arena_printf(r->a, "%ld", wait));
		return;
	}
	if (!check_password(app, user, pw, &ad->user)) {
		adm_throttle_fail(app->db, ukey, window);
		adm_throttle_fail(app->db, ikey, window);
		login_form(app, r, w, 401, "Wrong user name or password.", user, next);
		return;
	}
	adm_throttle_clear(app->db, ukey);
	adm_throttle_clear(app->db, ikey);
	if (adm_session_create(app->db, ad->user.id,
			       (long)conf_int(app->conf, "admin.session_ttl"), token, ad->csrf) < 0) {
		admin_fail(app, r, w, 503, "cannot store the session: database busy, try again");
		return;
	}
	http_redirect(w, safe_next(next));
	set_cookie(app, r, w, "nb_session", token, (long)conf_int(app->conf, "admin.session_ttl"));
	set_cookie(app, r, w, "nb_login", "", 0);
}

void admin_logout(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *cookie = http_cookie(r, "nb_session");

	if (cookie)
		adm_session_delete(app->db, cookie);
	http_redirect(w, "/admin/login");
	set_cookie(app, r, w, "nb_session", "", 0);
}

void admin_root(struct app *app, struct http_req *r, struct http_resp *w)
{
	(void)app;
	(void)r;
	http_redirect(w, "/admin/");
}
