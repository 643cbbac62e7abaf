/* Logging in and out: /admin/login, /admin/logout. */
#include "admin.h"
#include "admin_audit.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int served_over_https(struct app *app, struct http_req *r)
{
	const struct admin *ad = app->domain;
	const char *h = http_env(r, "HTTPS");	/* the front end's, not input */

	return (h && !strcasecmp(h, "on")) || ad->set.https;
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

/* The login page: the form, or with why (not NULL) the refusal's message
 * and its kind's status (admin_page_err); 0, or -1 with e. */
static int login_form(struct app *app, struct http_req *r, struct http_resp *w,
		      const struct nb_err *why, const char *user, const char *next,
		      struct nb_err *e)
{
	cJSON *d;
	char csrf[65];

	/* double-submit token: before a login there is no session to keep it in */
	if (auth_random_hex(csrf, 32) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "no randomness");
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "login_csrf", csrf);
	cJSON_AddStringToObject(d, "next", safe_next(next));
	if (why)
		cJSON_AddStringToObject(d, "error", why->msg);
	if (user)
		cJSON_AddStringToObject(d, "username", user);
	if (why)
		admin_page_err(app, r, w, why, "login", "Log in", d);
	else
		admin_page(app, r, w, 200, "login", "Log in", d);
	set_cookie(app, r, w, "nb_login", csrf, 3600);
	return 0;
}

/* The login page refused with kind and msg (a 4xx of err.h's table). */
static int login_refused(struct app *app, struct http_req *r, struct http_resp *w,
			 enum nb_errkind kind, const char *msg, struct nb_err *e)
{
	struct nb_err why;

	nb_fail(&why, kind, "%s", msg);
	return login_form(app, r, w, &why, req_str(r, "username"), req_str(r, "next"), e);
}

int admin_login_page_run(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	struct admin *ad = app->domain;

	if (ad->authed) {
		http_redirect(w, "/admin/");
		return 0;
	}
	return login_form(app, r, w, NULL, NULL, req_str(r, "next"), e);
}

/* 1 when pw is user's password (*u filled), 0 when not (or no such
 * user), -1 with e NB_UNAVAILABLE when the store cannot say: "try again",
 * never a wrong password counted against the address. */
static int check_password(struct app *app, const char *user, const char *pw,
			  struct admin_user *u, struct nb_err *e)
{
	char hash[AUTH_HASH_MAX];

	if (admin_user_get(app->db, user, u, hash, sizeof(hash), e) < 0) {
		if (e->kind != NB_NOT_FOUND)
			return -1;
		nb_err_clear(e);
		/* an unknown user costs the same time as a wrong password */
		auth_verify_dummy(pw);
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

/* Seconds this address still waits before its next attempt, 0 none; -1
 * with e NB_UNAVAILABLE when the store cannot say (no attempt goes on
 * unthrottled because its count could not be read). */
static long address_delay(struct app *app, const struct login_keys *k, struct nb_err *e)
{
	const struct admin *ad = app->domain;
	long max = ad->set.login_address_failures, window = ad->set.login_window;
	long count, delay, over;
	long long first, last, now = (long long)time(NULL);

	if (admin_throttle_get(app->db, k->ip, &count, &first, e) < 0 ||
	    (first + window > now && count >= max &&
	     admin_throttle_get(app->db, k->last, &over, &last, e) < 0)) {
		if (e->kind != NB_NOT_FOUND)
			return -1;
		nb_err_clear(e);
		return 0;
	}
	if (first + window <= now || count < max)
		return 0;
	over = count - max + 1;
	delay = over >= 6 ? ADDRESS_DELAY_MAX : 1L << over;
	if (delay > ADDRESS_DELAY_MAX)
		delay = ADDRESS_DELAY_MAX;
	return last + delay > now ? (long)(last + delay - now) : 0;
}

/* The login page again, 429 with Retry-After: wait seconds. */
static int too_many(struct app *app, struct http_req *r, struct http_resp *w, long wait,
		    const char *msg, struct nb_err *e)
{
	if (login_refused(app, r, w, NB_TOO_MANY, msg, e) < 0)
		return -1;
	http_set_header(w, "Retry-After", arena_printf(r->a, "%ld", wait));
	return 0;
}

/* 1 when the request was refused for too many failures (answered), 0
 * when it may go on, -1 with e (the store cannot say: no guess unthrottled). */
static int throttled(struct app *app, struct http_req *r, struct http_resp *w,
		     const struct login_keys *k, struct nb_err *e)
{
	const struct admin *ad = app->domain;
	long wait = admin_throttle_wait(app->db, k->pair, ad->set.login_max_failures,
					ad->set.login_window, e), min = (wait + 59) / 60;

	if (wait < 0)
		return -1;
	if (wait)
		return too_many(app, r, w, wait, arena_printf(r->a, "Too many failed logins. "
				"Try again in %ld minute%s.", min, min == 1 ? "" : "s"), e) < 0 ? -1 : 1;
	if ((wait = address_delay(app, k, e)) < 0)
		return -1;
	if (wait)
		return too_many(app, r, w, wait, arena_printf(r->a, "Too many failed logins from "
				"your address. Try again in %ld second%s.", wait,
				wait == 1 ? "" : "s"), e) < 0 ? -1 : 1;
	return 0;
}

/*
 * A wrong password counted under the three keys: 0, or -1 with e
 * NB_UNAVAILABLE when a count could not be written.  Then the attempt is
 * answered 503, not 401: a guess the throttle did not count is no failed
 * login the client may take as counted, and the operator sees the store
 * fail instead of a throttle that silently never closes.
 */
static int count_failure(struct app *app, const struct login_keys *k, struct nb_err *e)
{
	const struct admin *ad = app->domain;

	return admin_throttle_fail(app->db, k->pair, ad->set.login_window, e) < 0 ||
	       admin_throttle_fail(app->db, k->ip, ad->set.login_window, e) < 0 ||
	       admin_throttle_mark(app->db, k->last, e) < 0 ? -1 : 0;
}

/* POST /admin/login: username, password, next, csrf (= the nb_login cookie). */
int admin_login_run(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct admin *ad = app->domain;
	const char *user = req_str(r, "username"), *pw = req_str(r, "password");
	const char *next = req_str(r, "next"), *form_csrf = req_str(r, "csrf");
	const char *cookie_csrf = http_cookie(r, "nb_login");
	struct login_keys k;
	char token[65];
	int rc;

	if (!form_csrf || !cookie_csrf || !auth_equal(form_csrf, cookie_csrf))
		return login_refused(app, r, w, NB_FORBIDDEN,
				     "The login form expired; please try again.", e);
	if (!user || !pw || strlen(user) > ADMIN_NAME_MAX)
		return login_refused(app, r, w, NB_INVALID, "Enter a user name and a password.", e);
	login_keys(r, user, &k);
	if ((rc = throttled(app, r, w, &k, e)) != 0)
		return rc < 0 ? -1 : 0;
	if ((rc = check_password(app, user, pw, &ad->user, e)) < 0)
		return -1;
	if (!rc)
		return count_failure(app, &k, e) < 0 ? -1 :
		       login_refused(app, r, w, NB_UNAUTHORIZED, "Wrong user name or password.", e);
	/* the address's count stays: one's own account must not wipe it; a
	 * pair count that cannot be cleared refuses the login (503) as any
	 * other write of it that fails: no login half-recorded */
	if (admin_throttle_clear(app->db, k.pair, e) < 0)
		return -1;
	if (admin_session_create(app->db, ad->user.id, ad->set.session_ttl, token, ad->csrf,
				 e) < 0)
		return nb_err_prefix(e, "cannot store the session");
	http_redirect(w, safe_next(next));
	set_cookie(app, r, w, "nb_session", token, ad->set.session_ttl);
	set_cookie(app, r, w, "nb_login", "", 0);
	return 0;
}

/* POST /admin/logout: a session the store could not end is said (503,
 * the cookie kept so the operator can try again), never a logout claimed
 * while the session still opens the pages. */
int admin_logout_run(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e)
{
	const char *cookie = http_cookie(r, "nb_session");

	admin_audit_skip(app);	/* a session ends: nothing of the fleet changed */
	if (cookie && admin_session_delete(app->db, cookie, e) < 0)
		return -1;
	http_redirect(w, "/admin/login");
	set_cookie(app, r, w, "nb_session", "", 0);
	return 0;
}
