/* Users and API tokens. */
#include "admin.h"
#include "admin_ddi.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void users_page(struct app *app, struct http_req *r, struct http_resp *w,
		       int status, const char *new_token, const char *msg)
{
	struct admin *ad = app->domain;
	cJSON *d = cJSON_CreateObject();
	const char *done = query_get(&r->query, "done");

	long per = admin_page_size(app);
	long long owner = admin_is_admin(ad) ? 0 : ad->user.id;
	long uoff = admin_paginate(app, r, d, "upage", "users", admin_user_count(app->db, NULL));
	long toff = admin_paginate(app, r, d, "tpage", "tokens", admin_token_count(app->db, owner));

	cJSON_AddItemToObject(d, "users", admin_user_list(app->db, uoff, per));
	cJSON_AddItemToObject(d, "tokens", admin_token_list(app->db, owner, toff, per));
	if (new_token)
		cJSON_AddStringToObject(d, "new_token", new_token);
	if (msg || done)
		cJSON_AddStringToObject(d, "flash", msg ? msg : done);
	admin_page(app, r, w, status, "users", "Users and tokens", d);
}

void admin_users(struct app *app, struct http_req *r, struct http_resp *w)
{
	users_page(app, r, w, 200, NULL, NULL);
}

static long long id_param(struct http_req *r)
{
	const char *s = http_param(r, "id");
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;

	return s && *end == '\0' && v > 0 ? v : 0;
}

void admin_user_add(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *name = query_get(&r->form, "name"), *pw = query_get(&r->form, "password");
	const char *role = query_get(&r->form, "role");
	char hash[AUTH_HASH_MAX];

	if (!role || !*role)
		role = "readonly";
	if (!name || !admin_name_ok(name)) {
		admin_fail(app, r, w, 400, "a user name is 1 to 64 letters, digits or . _ - @");
		return;
	}
	if (strcmp(role, "admin") && strcmp(role, "readonly")) {
		admin_fail(app, r, w, 400, "the role is admin or readonly");
		return;
	}
	if (!pw || strlen(pw) < ADMIN_PASSWORD_MIN || strlen(pw) > ADMIN_PASSWORD_MAX) {
		admin_fail(app, r, w, 400, "a password has 8 to 255 characters");
		return;
	}
	if (auth_hash_password(pw, hash, sizeof(hash)) < 0 ||
	    admin_user_insert(app->db, name, hash, role) < 0) {
		admin_fail(app, r, w, 409, "a user of that name exists already");
		return;
	}
	http_redirect(w, arena_printf(r->a, "/admin/users?done=added+%s", name));
}

void admin_user_delete(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	long long id = id_param(r);

	if (id == ad->user.id) {
		admin_fail(app, r, w, 409, "you cannot delete yourself");
		return;
	}
	if (!id || admin_user_remove(app->db, id) < 0) {
		admin_fail(app, r, w, 404, "no such user");
		return;
	}
	http_redirect(w, "/admin/users?done=deleted");
}

/*
 * Who may set whose password: anyone their own, an admin anyone's.  Hashes
 * and stores it; 0, or an HTTP status with *why.
 */
static int set_password(struct app *app, long long id, const char *pw, int keep_tokens,
			int *revoked, const char **why)
{
	struct admin *ad = app->domain;
	char hash[AUTH_HASH_MAX];

	if (id != ad->user.id && !admin_is_admin(ad)) {
		*why = "only an admin changes another user's password";
		return 403;
	}
	if (!pw || strlen(pw) < ADMIN_PASSWORD_MIN || strlen(pw) > ADMIN_PASSWORD_MAX) {
		*why = "a password has 8 to 255 characters";
		return 400;
	}
	if (!id || auth_hash_password(pw, hash, sizeof(hash)) < 0 ||
	    admin_user_set_password(app->db, id, hash, keep_tokens, revoked) < 0) {
		*why = "no such user";
		return 404;
	}
	return 0;
}

/* POST /admin/users/:id/password: password, keep_tokens (checkbox, default off). */
void admin_user_password(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	long long id = id_param(r);
	const char *keep = query_get(&r->form, "keep_tokens"), *why;
	int revoked, st = set_password(app, id, query_get(&r->form, "password"),
				       keep && *keep, &revoked, &why);

	if (st) {
		admin_fail(app, r, w, st, why);
		return;
	}
	/* one's own sessions end with the old password: log in again */
	if (id == ad->user.id)
		http_redirect(w, "/admin/login");
	else
		http_redirect(w, arena_printf(r->a, "/admin/users?done=password+changed,+sessions"
					      "+ended,+%d+API+token%s+revoked", revoked,
					      revoked == 1 ? "" : "s"));
}

/* POST /admin/api/users/:id/password {"password", "keep_tokens"}. */
void admin_api_user_password(struct app *app, struct http_req *r, struct http_resp *w)
{
	long long id = id_param(r);
	const char *pw, *why;
	char *body;
	size_t len;
	int keep, revoked, st = http_read_body(r, 65536, &body, &len);
	struct admin_user u;
	cJSON *o;

	if (st) {
		admin_fail(app, r, w, st, st == 413 ? "body too large" : "bad body");
		return;
	}
	if (admin_password_parse(r->a, body, len, &pw, &keep, &why) < 0) {
		admin_fail(app, r, w, 400, why);
		return;
	}
	st = set_password(app, id, pw, keep, &revoked, &why);
	if (st) {
		admin_fail(app, r, w, st, why);
		return;
	}
	o = cJSON_CreateObject();
	if (admin_user_by_id(app->db, id, &u) == 0)
		cJSON_AddStringToObject(o, "user", u.name);
	cJSON_AddBoolToObject(o, "sessions_ended", 1);
	cJSON_AddNumberToObject(o, "tokens_revoked", revoked);
	admin_json(w, 200, o);
}

static int token_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

void admin_token_add(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	const char *name = query_get(&r->form, "name");
	char token[80];

	if (!token_name_ok(name)) {
		admin_fail(app, r, w, 400, "a token's name is 1 to 64 bytes without control "
			   "characters");
		return;
	}
	if (admin_token_create(app->db, ad->user.id, name, token) < 0) {
		admin_fail(app, r, w, 503, "cannot store the token: database busy, try again");
		return;
	}
	/* shown this once; only its hash is kept */
	users_page(app, r, w, 201, token, "token created: copy it now, it is not shown again");
}

void admin_token_revoke(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	long long id = id_param(r);

	if (!id || admin_token_remove(app->db, id, admin_is_admin(ad) ? 0 : ad->user.id) < 0) {
		admin_fail(app, r, w, 404, "no such token");
		return;
	}
	http_redirect(w, "/admin/users?done=token+revoked");
}

void admin_api_whoami(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	cJSON *o = cJSON_CreateObject();

	(void)r;
	cJSON_AddStringToObject(o, "user", ad->user.name);
	cJSON_AddStringToObject(o, "role", ad->user.role);
	cJSON_AddStringToObject(o, "auth", ad->via_token ? "token" : "session");
	admin_json(w, 200, o);
}
