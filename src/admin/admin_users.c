/*
 * Users: GET /admin/users (the page of users and API tokens), POST
 * /admin/users, /admin/users/:id/delete, /admin/users/:id/password and
 * POST /admin/api/users/:id/password.
 */
#include "admin.h"
#include "admin_audit.h"
#include "admin_ddi.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <string.h>

/* A refused form of this page: its password error on its user's row,
 * and the role it asked for. */
static void form_again(struct app *app, struct http_req *r, cJSON *d)
{
	const struct admin *ad = app->domain;
	const char *role = req_typed(r, "role");	/* as chosen: the form was refused */
	cJSON *u;

	if (!ad->form_key)
		return;
	if (!strcmp(ad->form_key, "f_add_user") && role && !strcmp(role, "admin"))
		cJSON_AddBoolToObject(d, "keep_admin", 1);
	if (strcmp(ad->form_key, "f_set_password"))
		return;
	cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(d, "users"))
		if ((long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(u, "id")) ==
		    req_int(r, "id", 0))
			cJSON_AddStringToObject(u, "pw_error", ad->form_msg);
}

static cJSON *user_json(struct http_req *r, const void *row, const void *ctx)
{
	const struct admin_user_row *u = row;
	cJSON *o = cJSON_CreateObject();

	(void)r, (void)ctx;
	cJSON_AddNumberToObject(o, "id", (double)u->id);
	cJSON_AddStringToObject(o, "name", u->name);
	cJSON_AddStringToObject(o, "role", u->role);
	cJSON_AddNumberToObject(o, "created", (double)u->created);
	return o;
}

/* The users of a page as "users": id, name, role, created (Unix s); NULL with e. */
static cJSON *users_json(struct app *app, struct http_req *r, long offset, long limit,
			 struct nb_err *e)
{
	struct admin_user_row *v;
	int n = admin_user_list(app->db, r->a, offset, limit, &v, e);

	return admin_rows(r, v, n, sizeof(*v), user_json, NULL);
}

/* "last_used" only once used. */
static cJSON *token_json(struct http_req *r, const void *row, const void *ctx)
{
	const struct admin_token_row *t = row;
	cJSON *o = cJSON_CreateObject();

	(void)r, (void)ctx;
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddStringToObject(o, "prefix", t->prefix);
	cJSON_AddNumberToObject(o, "created", (double)t->created);
	if (t->last_used >= 0)
		cJSON_AddNumberToObject(o, "last_used", (double)t->last_used);
	cJSON_AddBoolToObject(o, "revoked", t->revoked);
	cJSON_AddStringToObject(o, "user", t->user);
	return o;
}

/* The API tokens of a page (owner 0: everyone's).  NULL with e. */
static cJSON *tokens_json(struct app *app, struct http_req *r, long long owner, long offset,
			  long limit, struct nb_err *e)
{
	struct admin_token_row *v;
	int n = admin_token_list(app->db, r->a, owner, offset, limit, &v, e);

	return admin_rows(r, v, n, sizeof(*v), token_json, NULL);
}

int admin_users_page(struct app *app, struct http_req *r, struct http_resp *w,
		     int status, const char *new_token, const char *msg, struct nb_err *e)
{
	struct admin *ad = app->domain;
	cJSON *d, *users = NULL, *tokens;
	const char *done = req_has(r, "done") ? req_str(r, "done") : NULL;
	long per = ad->set.page_size, uoff, toff;
	long long owner = admin_is_admin(ad) ? 0 : ad->user.id;
	long nu = admin_user_count(app->db, NULL, e), nt = nu < 0 ? -1 :
		admin_token_count(app->db, owner, e);

	if (nu < 0 || nt < 0)
		return -1;
	d = cJSON_CreateObject();
	uoff = admin_paginate(app, r, d, "upage", "users", nu);
	toff = admin_paginate(app, r, d, "tpage", "tokens", nt);
	if (!(users = users_json(app, r, uoff, per, e)) ||
	    !(tokens = tokens_json(app, r, owner, toff, per, e))) {
		cJSON_Delete(users);
		cJSON_Delete(d);
		return -1;
	}
	cJSON_AddItemToObject(d, "users", users);
	cJSON_AddItemToObject(d, "tokens", tokens);
	form_again(app, r, d);
	if (new_token)
		cJSON_AddStringToObject(d, "new_token", new_token);
	if (msg || done)
		cJSON_AddStringToObject(d, "flash", msg ? msg : done);
	admin_page(app, r, w, status, "users", "Users and tokens", d);
	return 0;
}

int admin_users_run(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return admin_users_page(app, r, w, 200, NULL, NULL, e);
}


/* POST /admin/users: name, password, role (admin|readonly, default readonly). */
int admin_user_add_run(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	const char *name = req_str(r, "name"), *pw = req_str(r, "password");
	const char *role = req_int(r, "role", ADMIN_ROLE_READONLY) == ADMIN_ROLE_ADMIN ?
			   "admin" : "readonly";
	char hash[AUTH_HASH_MAX];

	if (auth_hash_password(pw, hash, sizeof(hash)) < 0)
		return nb_fail(e, NB_INTERNAL, "cannot hash the password");
	if (admin_user_insert(app->db, name, hash, role, e) < 0) {
		admin_form_field(app, "name");	/* the name exists */
		return -1;
	}
	admin_audit(app, "user add", "user %s (%s)", name, role);
	http_redirect(w, arena_printf(r->a, "/admin/users?done=added+%s", name));
	return 0;
}

int admin_user_delete_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	struct admin *ad = app->domain;
	long long id = req_int(r, "id", 0);
	struct admin_user u;

	if (id == ad->user.id)
		return nb_fail(e, NB_CONFLICT, "you cannot delete yourself");
	/* its name for the audit; none is a 404, an unreadable store a 503 */
	if (admin_user_by_id(app->db, id, &u, e) < 0)
		return -1;
	if (admin_user_remove(app->db, id, e) < 0)
		return -1;
	admin_audit(app, "user delete", "user %s", u.name);
	http_redirect(w, "/admin/users?done=deleted");
	return 0;
}

/*
 * Who may set whose password: anyone their own, an admin anyone's.  Hashes
 * and stores it; 0, or -1 with e.
 */
static int set_password(struct app *app, long long id, const char *pw, int keep_tokens,
			int *revoked, struct nb_err *e)
{
	struct admin *ad = app->domain;
	char hash[AUTH_HASH_MAX];
	struct admin_user u;

	if (id != ad->user.id && !admin_is_admin(ad))
		return nb_fail(e, NB_FORBIDDEN, "only an admin changes another user's password");
	if (!pw || admin_password_valid(app, NULL, pw, NULL, e) < 0) {
		admin_form_field(app, "password");
		return pw ? -1 : nb_fail(e, NB_INVALID, "missing password");
	}
	if (auth_hash_password(pw, hash, sizeof(hash)) < 0)
		return nb_fail(e, NB_INTERNAL, "cannot hash the password");
	if (admin_user_set_password(app->db, id, hash, keep_tokens, revoked, e) < 0)
		return -1;
	/* the change is made: the name for its audit row is best effort */
	if (admin_user_by_id(app->db, id, &u, NULL) < 0)
		snprintf(u.name, sizeof(u.name), "#%lld", id);
	admin_audit(app, "user password", "user %s: sessions ended, %d API token%s revoked",
		    u.name, *revoked, *revoked == 1 ? "" : "s");
	return 0;
}

/* POST /admin/users/:id/password: password, keep_tokens (checkbox, default off). */
int admin_user_password_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	struct admin *ad = app->domain;
	long long id = req_int(r, "id", 0);
	int revoked;

	if (set_password(app, id, req_str(r, "password"), (int)req_int(r, "keep_tokens", 0),
			 &revoked, e) < 0)
		return -1;
	/* one's own sessions end with the old password: log in again */
	if (id == ad->user.id)
		http_redirect(w, "/admin/login");
	else
		http_redirect(w, arena_printf(r->a, "/admin/users?done=password+changed,+sessions"
					      "+ended,+%d+API+token%s+revoked", revoked,
					      revoked == 1 ? "" : "s"));
	return 0;
}

/* POST /admin/api/users/:id/password {"password", "keep_tokens"}. */
int admin_api_user_password_run(struct app *app, struct http_req *r, struct http_resp *w,
				struct nb_err *e)
{
	long long id = req_int(r, "id", 0);
	const char *pw;
	char *body;
	size_t len;
	int keep, revoked;
	struct admin_user u;
	cJSON *o;

	if (http_read_body(r, 65536, &body, &len, e) < 0)
		return -1;
	if (admin_password_parse(r->a, body, len, &pw, &keep, e) < 0)
		return -1;
	if (set_password(app, id, pw, keep, &revoked, e) < 0)
		return -1;
	o = cJSON_CreateObject();
	if (admin_user_by_id(app->db, id, &u, NULL) == 0)
		cJSON_AddStringToObject(o, "user", u.name);
	cJSON_AddBoolToObject(o, "sessions_ended", 1);
	cJSON_AddNumberToObject(o, "tokens_revoked", revoked);
	admin_json(w, 200, o);
	return 0;
}

const char *const admin_roles[] = { "readonly", "admin", NULL };
