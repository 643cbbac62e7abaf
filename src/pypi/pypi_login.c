/*
 * POST /pypi/+login {"user", "password"}: devpi's login, answering a
 * token that works as the password of Basic auth or in X-Devpi-Auth
 * (devpi-client sends it there).  Tokens are stored hashed.
 */
#include "pypi.h"
#include "../lib/auth.h"

#include <string.h>

#include <cjson/cJSON.h>

#define LOGIN_BODY_MAX 65536
#define TOKEN_TTL 36000		/* seconds, devpi's login expiration */

/* The user whose name and password the body gives; NULL with e
 * (NB_UNAUTHORIZED, or NB_UNAVAILABLE when the store cannot read the
 * users: a store failure is never a wrong password). */
static const char *login_user(struct app *app, struct http_req *r, struct nb_err *e)
{
	cJSON *o = pypi_json_body(r, LOGIN_BODY_MAX, e);
	const cJSON *u, *p;
	struct pypi_user user;
	struct nb_err why;
	int ok, got = -1;

	if (!o)
		return NULL;
	u = cJSON_GetObjectItem(o, "user");
	p = cJSON_GetObjectItem(o, "password");
	why.kind = NB_NOT_FOUND;
	if (cJSON_IsString(u) && cJSON_IsString(p))
		got = pypi_user_get(app, r->a, u->valuestring, &user, &why);
	ok = 0;
	if (got == 0)
		ok = auth_verify_password(user.pw_hash, p->valuestring);
	else if (cJSON_IsString(p) && why.kind == NB_NOT_FOUND)
		auth_verify_dummy(p->valuestring);	/* an unknown user costs a hash too */
	cJSON_Delete(o);
	if (got < 0 && why.kind != NB_NOT_FOUND) {
		*e = why;
		return NULL;
	}
	if (!ok) {
		nb_fail(e, NB_UNAUTHORIZED, "wrong user name or password");
		return NULL;
	}
	return user.name;
}

int pypi_login_other(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e)
{
	nb_fail(e, NB_METHOD, "+login takes POST only");
	return pypi_fail_header(app, r, w, e, "Allow", "POST");
}

int pypi_login_post(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	char token[AUTH_TOKEN_BYTES * 2 + 1], th[HASH_HEX_MAX];
	const char *user = login_user(app, r, e);
	cJSON *res;

	if (!user)
		return -1;
	if (auth_random_hex(token, AUTH_TOKEN_BYTES) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "no randomness");
	auth_token_hash(token, th);
	if (pypi_token_add(app, user, th, TOKEN_TTL, e) < 0)
		return -1;
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "password", token);
	cJSON_AddNumberToObject(res, "expiration", TOKEN_TTL);
	pypi_json_send(w, 200, "proxyauth", res);
	return 0;
}
