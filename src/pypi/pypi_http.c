/*
 * What every handler of pypi.fcgi shares: who is asking (Basic, +login
 * tokens, X-Devpi-Auth), the 401 with its challenge, devpi's acl_upload,
 * the index a URL names, the breadth-first walk through bases, and
 * devpi's JSON answers.
 */
#include "pypi.h"
#include "pypi_ops.h"
#include "../lib/json_in.h"
#include "../lib/auth.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

/* base64 of "user:secret" into user and secret (in a); 0 or -1. */
static int split_b64(struct arena *a, const char *b64, const char **user, const char **secret)
{
	size_t n = strlen(b64), pad = 0;
	unsigned char *out;
	int len;
	char *colon;

	if (n == 0 || n % 4 || n > 4096)
		return -1;
	out = arena_alloc(a, n / 4 * 3 + 1);
	len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (len < 0)
		return -1;
	pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
	len -= (int)pad;
	out[len] = '\0';
	if (memchr(out, '\0', (size_t)len) || !(colon = strchr((char *)out, ':')))
		return -1;
	*colon = '\0';
	*user = (const char *)out;
	*secret = colon + 1;
	return 0;
}

/* 1 when secret is a live +login token of user, 0 when not; -1 with e
 * when the store cannot say (a 503: the client retries, never a 401). */
static int token_ok(struct app *app, struct http_req *r, const char *user, const char *secret,
		    struct nb_err *e)
{
	char th[HASH_HEX_MAX];
	const char *owner;
	int rc;

	auth_token_hash(secret, th);
	rc = pypi_token_user(app, r->a, th, &owner, e);
	return rc <= 0 ? rc : !strcmp(owner, user);
}

/* The user of Basic credentials (password or token) into *user: 1, 0
 * when they are wrong, -1 with e when the store cannot say. */
static int basic_user(struct app *app, struct http_req *r, const char *h, const char **user,
		      struct nb_err *e)
{
	const char *secret;
	struct pypi_user u;
	int rc;

	if (strncasecmp(h, "Basic ", 6) || split_b64(r->a, h + 6, user, &secret) < 0)
		return 0;
	if (pypi_user_get(app, r->a, *user, &u, e) < 0) {
		if (!e || e->kind != NB_NOT_FOUND)
			return -1;
		auth_verify_dummy(secret);	/* an unknown user costs a hash too */
		return 0;
	}
	if ((rc = token_ok(app, r, *user, secret, e)) != 0)
		return rc;
	return auth_verify_password(u.pw_hash, secret) ? 1 : 0;
}

int pypi_auth_user(struct app *app, struct http_req *r, const char **user, struct nb_err *e)
{
	const char *h = http_header(r, "X-Devpi-Auth"), *secret;
	struct nb_err le;
	int rc = 0;

	*user = NULL;
	if (h) {
		if (split_b64(r->a, h, user, &secret) == 0)
			rc = token_ok(app, r, *user, secret, &le);
	} else if ((h = http_header(r, "Authorization"))) {
		rc = basic_user(app, r, h, user, &le);
	} else {
		return 0;	/* anonymous */
	}
	if (rc > 0)
		return 0;
	*user = NULL;
	if (rc < 0) {
		if (e)
			*e = le;
		return -1;
	}
	return nb_fail(e, NB_UNAUTHORIZED, "wrong user name or password");
}

int pypi_need_owner(struct app *app, struct http_req *r, const char *owner, const char **user,
		    struct nb_err *e)
{
	if (pypi_auth_user(app, r, user, e) < 0)
		return -1;
	if (!*user)
		return nb_fail(e, NB_UNAUTHORIZED, "log in first");
	if (strcmp(*user, "root") && (!owner || strcmp(*user, owner)))
		return nb_fail(e, NB_FORBIDDEN, "not allowed for this user");
	return 0;
}

int pypi_fail_header(struct app *app, struct http_req *r, struct http_resp *w,
		     const struct nb_err *e, const char *name, const char *value)
{
	app_fail(app, r, w, e);
	http_set_header(w, name, value);
	return 0;
}

int pypi_challenge(struct app *app, struct http_req *r, struct http_resp *w, int rc,
		   const struct nb_err *e)
{
	if (rc == 0 || e->kind != NB_UNAUTHORIZED)
		return rc;
	return pypi_fail_header(app, r, w, e, "WWW-Authenticate", "Basic realm=\"pypi\"");
}

/* devpi's acl_upload; root, its superuser, always may */
int pypi_may_upload(const struct pypi_index *ix, const char *user)
{
	if (pypi_list_has(ix->acl_upload, ":ANONYMOUS:"))
		return 1;
	return user && (!strcmp(user, "root") || pypi_list_has(ix->acl_upload, user) ||
			pypi_list_has(ix->acl_upload, ":AUTHENTICATED:"));
}

int pypi_list_has(const char *list, const char *item)
{
	size_t il = strlen(item);
	const char *p = list;

	while (p && *p) {
		const char *c = strchr(p, ','), *e = c ? c : p + strlen(p);
		while (*p == ' ')
			p++;
		if ((size_t)(e - p) == il && !strncmp(p, item, il))
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

struct pypi_index *pypi_req_index(struct app *app, struct http_req *r, struct nb_err *e)
{
	struct pypi_index *ix = arena_zalloc(r->a, sizeof(*ix));

	if (pypi_index_get(app, r->a, req_str(r, "user"), req_str(r, "index"), ix, e) < 0)
		return NULL;
	return ix;
}

struct pypi_index *pypi_req_writable(struct app *app, struct http_req *r, struct nb_err *e)
{
	const char *user;

	return pypi_req_writable_as(app, r, &user, e);
}

struct pypi_index *pypi_req_writable_as(struct app *app, struct http_req *r, const char **userp,
					struct nb_err *e)
{
	struct pypi_index *ix = pypi_req_index(app, r, e);
	const char *user;

	if (!ix || pypi_auth_user(app, r, userp, e) < 0)
		return NULL;
	if (!(user = *userp)) {
		nb_fail(e, NB_UNAUTHORIZED, "log in first");
		return NULL;
	}
	if (strcmp(user, ix->user) && !pypi_may_upload(ix, user)) {
		nb_fail(e, NB_FORBIDDEN, "not allowed for this user");
		return NULL;
	}
	return ix;
}

static int seen(struct pypi_index *v, int n, long long id)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return 1;
	return 0;
}

/* Appends the bases of v[at] that are new; returns the new count, or -1
 * with err when the store could not read one (never a shorter chain). */
static int add_bases(struct app *app, struct arena *a, struct pypi_index *v, int n, int at,
		     struct nb_err *err)
{
	const char *p = v[at].bases;

	while (p && *p && n < PYPI_MAX_BASES) {
		const char *c = strchr(p, ','), *e = c ? c : p + strlen(p);
		char *spec = arena_strndup(a, p, (size_t)(e - p)), *slash = strchr(spec, '/');
		struct pypi_index b;
		struct nb_err le;
		if (slash) {
			*slash = '\0';
			/* a base deleted since: skipped, as devpi does */
			if (pypi_index_get(app, a, spec, slash + 1, &b, &le) == 0) {
				if (!seen(v, n, b.id))
					v[n++] = b;
			} else if (le.kind != NB_NOT_FOUND) {
				if (err)
					*err = le;
				return -1;
			}
		}
		p = c ? c + 1 : NULL;
	}
	return n;
}

/*
 * devpi's rule: bases are searched breadth-first, and mirrors come after
 * every stage, so a private project is always found before a public one.
 */
int pypi_resolve(struct app *app, struct arena *a, const struct pypi_index *ix,
		 struct pypi_index **out, struct nb_err *e)
{
	struct pypi_index *bfs = arena_alloc(a, sizeof(*bfs) * PYPI_MAX_BASES);
	struct pypi_index *v = arena_alloc(a, sizeof(*v) * PYPI_MAX_BASES);
	int n = 1, i, k = 0;

	*out = v;
	bfs[0] = *ix;
	for (i = 0; i < n; i++)
		if ((n = add_bases(app, a, bfs, n, i, e)) < 0)
			return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(bfs[i].type, "stage"))
			v[k++] = bfs[i];
	for (i = 0; i < n; i++)
		if (strcmp(bfs[i].type, "stage"))
			v[k++] = bfs[i];
	*out = v;
	return k;
}

void pypi_json_answer(struct http_resp *w, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	http_bytes(w, status, "application/json", s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
}

void pypi_json_send(struct http_resp *w, int status, const char *type, cJSON *result)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddItemToObject(o, "result", result);
	pypi_json_answer(w, status, o);
}

void pypi_json_message(struct http_resp *w, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "message", msg);
	pypi_json_answer(w, status, o);
}

cJSON *pypi_json_body(struct http_req *r, size_t max, struct nb_err *e)
{
	char *p;
	size_t n;

	if (http_read_body(r, max, &p, &n, e) < 0)
		return NULL;
	return n ? json_in_object(p, n, e) : cJSON_CreateObject();
}
