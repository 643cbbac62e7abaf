/*
 * admin.h - the operators' web pages and HTTP API (admin.fcgi).
 *
 * Pages are server-rendered from templates/ and work without JavaScript.
 * Every request is authenticated in admin_before(): a session cookie
 * (pages) or an API token (Authorization: Bearer, API routes only); every
 * state-changing request with a session carries the session's CSRF token.
 * Route flags say what a route needs; the table in src/cgi/admin.fcgi.c is the
 * whole list of what the program answers.
 */
#ifndef NB_ADMIN_H
#define NB_ADMIN_H

#include <limits.h>

#include "../lib/app.h"
#include "../lib/tmpl.h"
#include "../mip/mip.h"

#define ADMIN_PUBLIC 1u	/* no login needed */
#define ADMIN_ONLY 2u	/* the admin role; read-only users are refused */
#define ADMIN_API 4u	/* answers JSON; API tokens accepted */
#define ADMIN_OWN_CSRF 8u	/* the handler checks the CSRF token (multipart bodies) */

#define ADMIN_NAME_MAX 64
#define ADMIN_PASSWORD_MIN 8
#define ADMIN_PASSWORD_MAX 255	/* nestboxctl reads a line of at most this */
#define ADMIN_FIELD_MAX 200

struct admin_user {
	long long id;
	char name[ADMIN_NAME_MAX + 1];
	char role[16];		/* "admin" or "readonly" */
};

struct admin {
	struct tmpl_set *tmpl;
	char images[PATH_MAX];
	char dummy_hash[128];	/* verified for unknown users: equal timing */
	struct mip mip;		/* the index's settings, for the mip pages */
	/* per request, set by admin_before() */
	struct admin_user user;
	int authed, via_token;
	char csrf[65];
	char upload_name[256];	/* the file part's name, set by admin_upload_receive() */
};

int admin_init(struct app *app, char *err, size_t errlen);
void admin_fini(struct app *app);
int admin_before(struct app *app, struct http_req *r, struct http_resp *w);
int admin_is_admin(const struct admin *ad);
/* 1 when r->form (or X-CSRF-Token) carries the session's CSRF token. */
int admin_csrf_ok(struct admin *ad, struct http_req *r);

/* Renders a page inside the layout and frees data. */
void admin_page(struct app *app, struct http_req *r, struct http_resp *w,
		int status, const char *tmpl, const char *title, cJSON *data);
/* An error page (or JSON on API routes). */
void admin_fail(struct app *app, struct http_req *r, struct http_resp *w,
		int status, const char *msg);
void admin_json(struct http_resp *w, int status, cJSON *data);

/*
 * Receives a multipart form: the named text fields into val, the "file"
 * part into a new temporary file tmp (the caller removes it) and its
 * file name into ad->upload_name.  With an API token no CSRF field is
 * needed; with a session it must come before the file.  Returns 0,
 * or an HTTP status with *why (and no temporary file left).
 */
int admin_upload_receive(struct app *app, struct http_req *r, const char *const *names,
			 int n, char (*val)[ADMIN_FIELD_MAX + 1], char *tmp, size_t tmplen,
			 const char **why);
int admin_tmp_open(struct app *app, char *tmp, size_t n);
/* Receives a raw request body into a new temporary file; 0 or an HTTP status. */
int admin_receive_body(struct app *app, struct http_req *r, char *tmp, size_t tmplen,
		       char *err, size_t errlen);

/* the user name rule: letters, digits, . _ - @, 1..64 bytes */
int admin_name_ok(const char *s);

/* -- store (admin_store.c) -- */
int admin_user_get(struct db *db, const char *name, struct admin_user *u,
		 char *pw_hash, size_t n);
/* The user of an id (no password hash); 0 or -1. */
int admin_user_by_id(struct db *db, long long id, struct admin_user *u);
int admin_user_insert(struct db *db, const char *name, const char *pw_hash, const char *role);
/*
 * Sets a user's password (an argon2id hash) in one transaction that also
 * ends the user's sessions and, unless keep_tokens, revokes the user's
 * API tokens; *revoked is how many were.  0, or -1 (no such user, busy).
 */
int admin_user_set_password(struct db *db, long long id, const char *pw_hash,
			  int keep_tokens, int *revoked);
int admin_user_remove(struct db *db, long long id);
int admin_user_count(struct db *db, const char *role);
cJSON *admin_user_list(struct db *db, long offset, long limit);
int admin_session_create(struct db *db, long long uid, long ttl, char *token, char *csrf);
int admin_session_get(struct db *db, const char *token, struct admin_user *u, char *csrf);
void admin_session_delete(struct db *db, const char *token);
int admin_token_create(struct db *db, long long uid, const char *name, char *token);
int admin_token_get(struct db *db, const char *token, struct admin_user *u);
int admin_token_remove(struct db *db, long long id, long long uid);
cJSON *admin_token_list(struct db *db, long long uid, long offset, long limit);
long admin_token_count(struct db *db, long long uid);
/*
 * Login throttling, counted per key in login_failures (admin_login.c says
 * which keys).  _get: the key's failure count and its time (Unix seconds),
 * -1 when it has none.  _wait: seconds left while count >= max within
 * window of its first failure, else 0.  _fail: one more failure, the count
 * restarting when the window has passed.  _mark: one more, its time set to
 * now (the time of the latest).  _clear: forgets the key.
 */
int admin_throttle_get(struct db *db, const char *key, long *count, long long *first);
long admin_throttle_wait(struct db *db, const char *key, int max, long window);
void admin_throttle_fail(struct db *db, const char *key, long window);
void admin_throttle_mark(struct db *db, const char *key);
void admin_throttle_clear(struct db *db, const char *key);

/* -- handlers -- */
void admin_root(struct app *app, struct http_req *r, struct http_resp *w);
void admin_login_page(struct app *app, struct http_req *r, struct http_resp *w);
void admin_login(struct app *app, struct http_req *r, struct http_resp *w);
void admin_logout(struct app *app, struct http_req *r, struct http_resp *w);
void admin_dashboard(struct app *app, struct http_req *r, struct http_resp *w);
void admin_images(struct app *app, struct http_req *r, struct http_resp *w);
void admin_image_upload(struct app *app, struct http_req *r, struct http_resp *w);
void admin_image_delete(struct app *app, struct http_req *r, struct http_resp *w);
void admin_requests(struct app *app, struct http_req *r, struct http_resp *w);
void admin_users(struct app *app, struct http_req *r, struct http_resp *w);
void admin_user_add(struct app *app, struct http_req *r, struct http_resp *w);
void admin_user_delete(struct app *app, struct http_req *r, struct http_resp *w);
void admin_user_password(struct app *app, struct http_req *r, struct http_resp *w);
void admin_api_user_password(struct app *app, struct http_req *r, struct http_resp *w);
void admin_token_add(struct app *app, struct http_req *r, struct http_resp *w);
void admin_token_revoke(struct app *app, struct http_req *r, struct http_resp *w);
void admin_settings(struct app *app, struct http_req *r, struct http_resp *w);
void admin_mip(struct app *app, struct http_req *r, struct http_resp *w);
void admin_mip_publish(struct app *app, struct http_req *r, struct http_resp *w);
void admin_mip_refresh(struct app *app, struct http_req *r, struct http_resp *w);
void admin_mip_evict(struct app *app, struct http_req *r, struct http_resp *w);
void admin_api_mip_packages(struct app *app, struct http_req *r, struct http_resp *w);
void admin_api_mip_publish(struct app *app, struct http_req *r, struct http_resp *w);
void admin_api_whoami(struct app *app, struct http_req *r, struct http_resp *w);
void admin_api_images(struct app *app, struct http_req *r, struct http_resp *w);
void admin_api_image_upload(struct app *app, struct http_req *r, struct http_resp *w);
void admin_api_image_delete(struct app *app, struct http_req *r, struct http_resp *w);
void admin_api_requests(struct app *app, struct http_req *r, struct http_resp *w);

/* admin.page_size, kept within 1..1000. */
long admin_page_size(struct app *app);
/* Adds page, pages, prev and next (under prefix) for n items; returns the offset. */
long admin_paginate(struct app *app, struct http_req *r, cJSON *d, const char *param,
		    const char *prefix, long n);

/* shared by the page and the API: the request-log query */
cJSON *admin_request_rows(struct app *app, struct http_req *r, long long *next);

/* A Unix time as "YYYY-MM-DD HH:MM:SS" (UTC), "" when unset (admin_ddi_store.c). */
const char *admin_when(struct arena *a, long long t);

#endif
