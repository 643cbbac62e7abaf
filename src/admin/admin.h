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
#include "../ddi/ddi.h"
#include "../mip/mip.h"
#include "../ota/ota.h"
#include "admin_valid.h"

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

/*
 * The admin's settings, read once at start (admin_settings_read); no
 * handler looks a key up.  etc/nestbox.yaml documents each key.
 */
struct admin_settings {
	char templates[PATH_MAX];	/* admin.templates */
	long session_ttl;		/* admin.session_ttl, seconds */
	int login_max_failures;		/* admin.login_max_failures */
	long login_window;		/* admin.login_window, seconds */
	long login_address_failures;	/* admin.login_address_failures */
	long long max_upload;		/* admin.max_upload, bytes */
	long page_size;			/* admin.page_size, kept within 1..1000 */
	int zstd_level;			/* mkbox.zstd_level, for image uploads */
	int https;			/* server.base_url starts with https: */
	long max_running;		/* ddi.max_concurrent_updates */
	int rollout_max_failures;	/* ddi.rollout_max_failures */
	int rollout_max_failure_rate;	/* ddi.rollout_max_failure_rate */
	long device_overdue;		/* admin.device_overdue, or 3 x ddi.poll_time, s */
	struct ddi_sw_settings software;	/* ddi.max_image, ... (ddi_sw_settings_read) */
	const char *config_file;	/* the settings page: the file read, or "" */
	cJSON *config;			/* [{"name","value"}], secrets masked */
};

/* Fills s from app's configuration (the one place the admin calls conf_*);
 * s->config is allocated: admin_settings_free() lets it go. */
void admin_settings_read(const struct app *app, struct admin_settings *s);
void admin_settings_free(struct admin_settings *s);

struct admin {
	struct admin_settings set;
	struct tmpl_set *tmpl;
	char images[PATH_MAX];
	struct mip mip;		/* the index's settings, for the mip pages */
	struct ota_settings ota;	/* ota.*, for publishing from the OTA pages */
	/* per request, set by admin_before() */
	struct admin_user user;
	int authed, via_token;
	int store_down;		/* who asks could not be read: 503, not a login */
	char csrf[65];
	char upload_name[256];	/* the file part's name, set by admin_upload_receive() */
	/* per request: a refused form drawn again (admin_form.c) */
	const char *form_key, *form_field, *form_msg;
	enum nb_errkind form_kind;	/* the refusal's, answered as its status */
	int audited;		/* the request wrote its audit row (admin_audit.h) */
};

int admin_init(struct app *app, struct nb_err *e);
void admin_fini(struct app *app);
int admin_before(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int admin_is_admin(const struct admin *ad);
/* 1 when r->form (or X-CSRF-Token) carries the session's CSRF token. */
int admin_csrf_ok(struct admin *ad, struct http_req *r);

/*
 * The admin's handlers.  ADMIN_HANDLER(fn) declares fn_run(), the
 * handler proper (0, or -1 with e), and fn(), the table's entry, which
 * runs it through admin_run(): the CSRF token of a state-changing form
 * (read after admin_before(), with the declared form fields) is checked
 * first, and a handler's error is answered as the admin answers -- an
 * error page, or JSON on ADMIN_API routes.  (What the router refuses
 * before a handler runs is app_fail's: text on the pages, JSON under
 * /admin/api/.)
 */
int admin_run(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e,
	      route_run_fn fn);
#define ADMIN_HANDLER(fn) \
	int fn##_run(struct app *app, struct http_req *r, struct http_resp *w, \
		     struct nb_err *e); \
	static inline int fn(struct app *app, struct http_req *r, struct http_resp *w, \
			     struct nb_err *e) \
	{ \
		return admin_run(app, r, w, e, fn##_run); \
	}

/*
 * Refused forms (admin_form.c), drawn again on their page with the input
 * kept and the message beside the field.  admin_form_field: the field the
 * error a handler is about to return is about (NULL: the whole form).
 * admin_form_again: 1 when r's route is a page's form and e an invalid
 * (400) or conflicting (409) input, and the form's page was drawn with
 * it; 0 when the caller answers e itself.  admin_form_precheck: checks a
 * page form's declared fields before its handler (admin_before), 1 when
 * it answered a refusal.  admin_form_data: what admin_page adds to a page
 * drawn again; the kind of the refusal it shows (admin_page answers its
 * status), or NB_OK.
 */
void admin_form_field(struct app *app, const char *field);
int admin_form_again(struct app *app, struct http_req *r, struct http_resp *w,
		     const struct nb_err *e);
int admin_form_precheck(struct app *app, struct http_req *r, struct http_resp *w);
enum nb_errkind admin_form_data(struct app *app, struct http_req *r, cJSON *d);

/* Renders a page inside the layout and frees data. */
void admin_page(struct app *app, struct http_req *r, struct http_resp *w,
		int status, const char *tmpl, const char *title, cJSON *data);
/* Answers e: an error page (or JSON on API routes) with e's message and
 * the status of its kind.  admin_core.c holds the admin's one mapping of
 * kinds to statuses (err.h's); no page chooses a status for an error. */
void admin_fail(struct app *app, struct http_req *r, struct http_resp *w,
		const struct nb_err *e);
/* admin_page answered with why's status: a page drawn with a refused
 * form's message (its 400 or 409). */
void admin_page_err(struct app *app, struct http_req *r, struct http_resp *w,
		    const struct nb_err *why, const char *tmpl, const char *title, cJSON *data);
void admin_json(struct http_resp *w, int status, cJSON *data);

/* the user name rule: letters, digits, . _ - @, 1..64 bytes */
int admin_name_ok(const char *s);

/*
 * -- store (admin_store.c) --
 * A read returns 0, or -1 with e: NB_NOT_FOUND when there is no such row,
 * NB_UNAVAILABLE when the store cannot answer (busy, unreachable, a step
 * that failed), so that no caller takes a store it cannot read for a
 * missing user, session or token.  e may be NULL.
 */
/* The user of name, its argon2id hash into pw_hash (n bytes) when not NULL. */
int admin_user_get(struct db *db, const char *name, struct admin_user *u,
		   char *pw_hash, size_t n, struct nb_err *e);
/* The user of an id (no password hash). */
int admin_user_by_id(struct db *db, long long id, struct admin_user *u, struct nb_err *e);
/* Store writes: 0, or -1 with e: NB_CONFLICT (the name exists),
 * NB_NOT_FOUND (no such row), NB_INVALID (a value the schema refuses),
 * NB_UNAVAILABLE (busy, I/O). */
int admin_user_insert(struct db *db, const char *name, const char *pw_hash, const char *role,
		      struct nb_err *e);
/*
 * Sets a user's password (an argon2id hash) in one transaction that also
 * ends the user's sessions and, unless keep_tokens, revokes the user's
 * API tokens; *revoked is how many were.  0, or -1 with e (NB_NOT_FOUND,
 * NB_UNAVAILABLE).
 */
int admin_user_set_password(struct db *db, long long id, const char *pw_hash,
			  int keep_tokens, int *revoked, struct nb_err *e);
int admin_user_remove(struct db *db, long long id, struct nb_err *e);
/* The users (of role, all when NULL); -1 with e NB_UNAVAILABLE. */
int admin_user_count(struct db *db, const char *role, struct nb_err *e);
/* A user as the users page lists it (no password hash). */
struct admin_user_row {
	long long id, created;		/* created: Unix s */
	const char *name, *role;	/* role: "admin" or "readonly" */
};
/*
 * The users by name, rows offset.. (at most limit), into *out (strings in
 * a).  Their number, or -1 with e NB_UNAVAILABLE.
 */
int admin_user_list(struct db *db, struct arena *a, long offset, long limit,
		    struct admin_user_row **out, struct nb_err *e);
/* A new session of user uid for ttl seconds: its token and CSRF token
 * (65 bytes each) filled.  0, or -1 with e NB_UNAVAILABLE. */
int admin_session_create(struct db *db, long long uid, long ttl, char *token, char *csrf,
			 struct nb_err *e);
/* The live session of token: 0 with *u and csrf (65 bytes) filled; -1
 * with e NB_NOT_FOUND (unknown or expired) or NB_UNAVAILABLE. */
int admin_session_get(struct db *db, const char *token, struct admin_user *u, char *csrf,
		      struct nb_err *e);
/* Ends the session of token (none: nothing to do).  0, or -1 with e
 * NB_UNAVAILABLE: the session still stands. */
int admin_session_delete(struct db *db, const char *token, struct nb_err *e);
int admin_token_create(struct db *db, long long uid, const char *name, char *token,
		       struct nb_err *e);
/* The user of API token: 0 with *u filled (its last use noted); -1 with e
 * NB_NOT_FOUND (unknown or revoked) or NB_UNAVAILABLE. */
int admin_token_get(struct db *db, const char *token, struct admin_user *u, struct nb_err *e);
/* Revokes token id (of user uid; any user's when uid is 0). */
int admin_token_remove(struct db *db, long long id, long long uid, struct nb_err *e);
/* An API token as listed (never the secret: its first 12 characters). */
struct admin_token_row {
	long long id, created;		/* created: Unix s */
	long long last_used;		/* Unix s; -1: never used */
	const char *name, *prefix, *user;	/* user: its owner's name */
	int revoked;			/* 0 or 1 */
};
/*
 * The API tokens of user uid (everyone's when uid is 0), newest first,
 * rows offset.. (at most limit), into *out (strings in a).  Their number,
 * or -1 with e NB_UNAVAILABLE.
 */
int admin_token_list(struct db *db, struct arena *a, long long uid, long offset, long limit,
		     struct admin_token_row **out, struct nb_err *e);
/* The tokens of user uid (everyone's when 0); -1 with e NB_UNAVAILABLE. */
long admin_token_count(struct db *db, long long uid, struct nb_err *e);
/*
 * Login throttling, counted per key in login_failures (admin_login.c says
 * which keys).  _get: the key's failure count and its time (Unix seconds);
 * -1 with e NB_NOT_FOUND when it has none (or NB_UNAVAILABLE).  _wait:
 * seconds left while count >= max within window of its first failure,
 * else 0; -1 with e NB_UNAVAILABLE when the store cannot say.  The writes
 * return 0, or -1 with e NB_UNAVAILABLE (the count not changed): _fail,
 * one more failure, the count restarting when the window has passed;
 * _mark, one more, its time set to now (the time of the latest); _clear,
 * forgets the key.
 */
int admin_throttle_get(struct db *db, const char *key, long *count, long long *first,
		       struct nb_err *e);
long admin_throttle_wait(struct db *db, const char *key, int max, long window,
			 struct nb_err *e);
int admin_throttle_fail(struct db *db, const char *key, long window, struct nb_err *e);
int admin_throttle_mark(struct db *db, const char *key, struct nb_err *e);
int admin_throttle_clear(struct db *db, const char *key, struct nb_err *e);

/* -- handlers (ADMIN_HANDLER: fn_run is in the resource's file) -- */
ADMIN_HANDLER(admin_login_page)		/* admin_login.c */
ADMIN_HANDLER(admin_login)
ADMIN_HANDLER(admin_logout)
ADMIN_HANDLER(admin_api_whoami)		/* admin_whoami.c */
ADMIN_HANDLER(admin_not_found)		/* admin_core.c: the 404 page */
ADMIN_HANDLER(admin_root)		/* admin_dashboard.c: GET /admin */
ADMIN_HANDLER(admin_dashboard)
ADMIN_HANDLER(admin_settings_page)	/* admin_settings.c */
ADMIN_HANDLER(admin_users)		/* admin_users.c */
ADMIN_HANDLER(admin_user_add)
ADMIN_HANDLER(admin_user_delete)
ADMIN_HANDLER(admin_user_password)
ADMIN_HANDLER(admin_api_user_password)
ADMIN_HANDLER(admin_token_add)		/* admin_tokens.c */
ADMIN_HANDLER(admin_token_revoke)
ADMIN_HANDLER(admin_images)		/* admin_images.c */
ADMIN_HANDLER(admin_pypi_mirrors)	/* admin_pypi_mirror.c */
ADMIN_HANDLER(admin_requests)		/* admin_requests.c */
ADMIN_HANDLER(admin_api_requests)

/* The users page (also after a token is made: new_token shown once); 0, or -1 with e. */
int admin_users_page(struct app *app, struct http_req *r, struct http_resp *w,
		     int status, const char *new_token, const char *msg, struct nb_err *e);

/* The role words of a user form (req_v_enum): their index is the role. */
#define ADMIN_ROLE_READONLY 0
#define ADMIN_ROLE_ADMIN 1
extern const char *const admin_roles[];

ADMIN_HANDLER(admin_image_upload)	/* admin_images.c */
ADMIN_HANDLER(admin_image_delete)
ADMIN_HANDLER(admin_api_images)
ADMIN_HANDLER(admin_api_image_upload)
ADMIN_HANDLER(admin_api_image_delete)
ADMIN_HANDLER(admin_mip)		/* admin_mip.c */
ADMIN_HANDLER(admin_mip_publish)
ADMIN_HANDLER(admin_mip_refresh)
ADMIN_HANDLER(admin_mip_evict)
ADMIN_HANDLER(admin_api_mip_packages)
ADMIN_HANDLER(admin_api_mip_publish)

/* admin.page_size, kept within 1..1000. */
long admin_page_size(struct app *app);
/* Adds page, pages, prev and next (under prefix) for n items; returns the offset. */
long admin_paginate(struct app *app, struct http_req *r, cJSON *d, const char *param,
		    const char *prefix, long n);

/* One row of a store's list as template data; ctx: the caller's. */
typedef cJSON *admin_row_fn(struct http_req *r, const void *row, const void *ctx);
/*
 * The n rows at v (each size bytes, as a store's list returned them) as a
 * JSON array of one(r, row, ctx); NULL when n < 0 (the read failed: its
 * error stands).  The pages' one loop over a list.
 */
cJSON *admin_rows(struct http_req *r, const void *v, int n, size_t size, admin_row_fn *one,
		  const void *ctx);
/* [{key: name, "selected": name is sel}] for the names of a NULL-ended
 * list: a select's options. */
cJSON *admin_options(const char *const *names, const char *key, const char *sel);

/* A Unix time as "YYYY-MM-DD HH:MM:SS" (UTC), "" when unset (admin_fleet.c). */
const char *admin_when(struct arena *a, long long t);

#endif
