/*
 * /pypi/{user}: devpi's JSON API for one index user (GET shows it with
 * its indexes, PUT creates it -- root only, devpi's
 * --restrict-modify=root --, PATCH changes password or email, DELETE
 * removes it with its indexes; root itself stays).
 */
#include "pypi.h"
#include "pypi_ops.h"
#include "../lib/auth.h"

#include <string.h>

#include <cjson/cJSON.h>

#define USER_BODY_MAX 65536

/* GET /pypi/{user} */
int pypi_user_get_h(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct pypi_user u;
	struct pypi_index *v;
	cJSON *o, *ixs;
	int n, i;

	if (pypi_user_get(app, r->a, req_str(r, "user"), &u, e) < 0 ||
	    (n = pypi_index_list(app, r->a, u.name, &v, e)) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "username", u.name);
	cJSON_AddStringToObject(o, "email", u.email);
	ixs = cJSON_AddObjectToObject(o, "indexes");
	for (i = 0; i < n; i++)
		cJSON_AddItemToObject(ixs, v[i].name, pypi_index_json(r->a, &v[i]));
	pypi_json_send(w, 200, "userconfig", o);
	return 0;
}

/* The password (hashed into hash, NULL when absent) and email of a user
 * body; -1 with e. */
static int user_fields(struct http_req *r, char *hash, const char **pw, const char **email,
		       struct nb_err *e)
{
	cJSON *o = pypi_json_body(r, USER_BODY_MAX, e);
	const cJSON *p, *m;
	int rc = 0;

	if (!o)
		return -1;
	p = cJSON_GetObjectItem(o, "password");
	m = cJSON_GetObjectItem(o, "email");
	*pw = *email = NULL;
	if ((p && (!cJSON_IsString(p) || !*p->valuestring || strlen(p->valuestring) > 1024)) ||
	    (m && !cJSON_IsString(m)))
		rc = nb_fail(e, NB_INVALID, "password is a non-empty string, email a string");
	else if (m && pypi_text_check("email", m->valuestring, PYPI_EMAIL_MAX, e) < 0)
		rc = -1;
	else if (p && auth_hash_password(p->valuestring, hash, AUTH_HASH_MAX) < 0)
		rc = nb_fail(e, NB_INTERNAL, "cannot hash the password");
	if (rc == 0) {
		*pw = p ? hash : NULL;
		*email = m ? arena_strdup(r->a, m->valuestring) : NULL;
	}
	cJSON_Delete(o);
	return rc;
}

static int user_put(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *me, *pw, *email, *name = req_str(r, "user");
	char hash[AUTH_HASH_MAX];
	cJSON *o;

	if (pypi_need_owner(app, r, NULL, &me, e) < 0 ||
	    user_fields(r, hash, &pw, &email, e) < 0)
		return -1;
	if (!pw)
		return nb_fail(e, NB_INVALID, "a new user needs a password");
	if (pypi_user_add(app, name, pw, email ? email : "", e) < 0)
		return -1;
	pypi_audit(app, me, "pypi user add", "%s", name);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "username", name);
	pypi_json_send(w, 201, "userconfig", o);
	return 0;
}

/* PUT /pypi/{user} {"password", "email"}: root creates users */
int pypi_user_put_h(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return pypi_challenge(app, r, w, user_put(app, r, w, e), e);
}

static int user_patch(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e)
{
	const char *me, *pw, *email, *name = req_str(r, "user");
	char hash[AUTH_HASH_MAX];
	struct pypi_user u;

	if (pypi_user_get(app, r->a, name, &u, e) < 0 ||
	    pypi_need_owner(app, r, name, &me, e) < 0 ||
	    user_fields(r, hash, &pw, &email, e) < 0 ||
	    pypi_user_set(app, name, pw, email, e) < 0)
		return -1;
	pypi_audit(app, me, "pypi user modify", "%s", name);
	pypi_json_message(w, 200, "user updated");
	return 0;
}

/* PATCH /pypi/{user}: the user or root changes password or email */
int pypi_user_patch_h(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e)
{
	return pypi_challenge(app, r, w, user_patch(app, r, w, e), e);
}

/*
 * A user that does not exist is 404 before any question of rights, as
 * PATCH and the index's DELETE answer: GET /pypi/{user} tells anyone
 * whether it exists, so the order leaks nothing (devpi answers root so;
 * its ACL answers other callers 403, which hides nothing either).
 */
static int user_del(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *me, *name = req_str(r, "user");
	struct pypi_user u;

	if (pypi_user_get(app, r->a, name, &u, e) < 0 ||
	    pypi_need_owner(app, r, name, &me, e) < 0)
		return -1;
	if (!strcmp(name, "root"))
		return nb_fail(e, NB_FORBIDDEN, "root cannot be deleted");
	if (pypi_user_del(app, name, e) < 0)
		return -1;
	pypi_static_reset(app);		/* its indexes are gone */
	pypi_audit(app, me, "pypi user delete", "%s", name);
	pypi_json_message(w, 200, "user deleted");
	return 0;
}

/* DELETE /pypi/{user}: with its indexes */
int pypi_user_del_h(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return pypi_challenge(app, r, w, user_del(app, r, w, e), e);
}
