/* Logging in and out. */
#include "admin.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

	if (admin_user_get(app->db, user, u, hash, sizeof(hash)) < 0) {
		/* an unknown user costs the same time as a wrong password */
		auth_verify_password(ad->dummy_hash, pw);
		return 0;
	}
	return auth_verify_password(hash, pw);
}

/* The most a login from a busy address waits: slow for guessing, short for people. */
#define ADDRESS_DELAY_MAX 60

/*
 * Failed logins are counted under three keys: "ua:<address> <user>" (the
 * pair: after admin.login_max_failures in the window that user is refused
 * from that address), "ip:<address>" (every user: past
 * admin.login_address_failures each further attempt from the address waits
 * a delay doubling per failure, at most ADDRESS_DELAY_MAX seconds, counted
 * from "last:<address>", the latest failure).  So guessing from one
 * address is slowed, and nobody at that address (a NAT, a proxy) is locked
 * out with the right password.  The address is REMOTE_ADDR (README).
 */
struct login_keys {
	char pair[160], ip[80], last[80];
};

static void login_keys(struct http_req *r, const char *user, struct login_keys *k)
{
	snprintf(k->pair, sizeof(k->pair), "ua:%s %s", r->remote_addr, user);
	snprintf(k->ip, sizeof(k->ip), "ip:%s", r->remote_addr);
	snprintf(k->last, sizeof(k->last), "last:%s", r->remote_addr);
}

/* Seconds this address still waits before its next attempt; 0: none. */
static long address_delay(struct app *app, const struct login_keys *k)
{
	long max = (long)conf_int(app->conf, "admin.login_address_failures");
	long window = (long)conf_int(app->conf, "admin.login_window");
	long count, delay, over;
	long long first, last, now = (long long)time(NULL);

	if (admin_throttle_get(app->db, k->ip, &count, &first) < 0 || first + window <= now ||
	    count < max || admin_throttle_get(app->db, k->last, &over, &last) < 0)
		return 0;
	over = count - max + 1;
	delay = over >= 6 ? ADDRESS_DELAY_MAX : 1L << over;
	if (delay > ADDRESS_DELAY_MAX)
		delay = ADDRESS_DELAY_MAX;
	return last + delay > now ? (long)(last + delay - now) : 0;
}

static void too_many(struct app *app, struct http_req *r, struct http_resp *w, long wait,
		     const char *msg, const char *user, const char *next)
{
	login_form(app, r, w, 429, msg, user, next);
	http_set_header(w, "Retry-After", arena_printf(r->a, "%ld", wait));
}

/* 1 when the request was refused for too many failures (answered). */
static int throttled(struct app *app, struct http_req *r, struct http_resp *w,
		     const struct login_keys *k, const char *user, const char *next)
{
	int max = (int)conf_int(app->conf, "admin.login_max_failures");
	long window = (long)conf_int(app->conf, "admin.login_window");
	long wait = admin_throttle_wait(app->db, k->pair, max, window), min = (wait + 59) / 60;

	if (wait) {
		too_many(app, r, w, wait, arena_printf(r->a, "Too many failed logins. Try again in "
			 "%ld minute%s.", min, min == 1 ? "" : "s"), user, next);
		return 1;
	}
	wait = address_delay(app, k);
	if (wait) {
		too_many(app, r, w, wait, arena_printf(r->a, "Too many failed logins from your "
			 "address. Try again in %ld second%s.", wait, wait == 1 ? "" : "s"),
			 user, next);
		return 1;
	}
	return 0;
}

void admin_login(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	const char *user, *pw, *form_csrf, *cookie_csrf, *next;
	struct login_keys k;
	char token[65];
	long window = (long)conf_int(app->conf, "admin.login_window");
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
	if (!user || !pw || !*user || !*pw || strlen(user) > ADMIN_NAME_MAX) {
		login_form(app, r, w, 400, "Enter a user name and a password.", user, next);
		return;
	}
	login_keys(r, user, &k);
	if (throttled(app, r, w, &k, user, next))
		return;
	if (!check_password(app, user, pw, &ad->user)) {
		admin_throttle_fail(app->db, k.pair, window);
		admin_throttle_fail(app->db, k.ip, window);
		admin_throttle_mark(app->db, k.last);
		login_form(app, r, w, 401, "Wrong user name or password.", user, next);
		return;
	}
	/* the address's count stays: one's own account must not wipe it */
	admin_throttle_clear(app->db, k.pair);
	if (admin_session_create(app->db, ad->user.id,
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
		admin_session_delete(app->db, cookie);
	http_redirect(w, "/admin/login");
	set_cookie(app, r, w, "nb_session", "", 0);
}

void admin_root(struct app *app, struct http_req *r, struct http_resp *w)
{
	(void)app;
	(void)r;
	http_redirect(w, "/admin/");
}
