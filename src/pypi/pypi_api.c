/*
 * devpi's JSON API for users, indexes and projects, so scripts written
 * for devpi keep working: GET/PUT/PATCH/DELETE /pypi/{user}[/{index}],
 * POST /pypi/+login, GET /pypi/{user}/{index}/{project}, and deleting or
 * yanking a version.  Answers are devpi's {"type": …, "result": …}.
 * Who may change what: a user's own things, and root everything; only
 * root creates users (devpi's --restrict-modify=root).
 */
#include "pypi.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define API_BODY_MAX 65536
#define TOKEN_TTL 36000		/* seconds, devpi's login expiration */

static void send(struct http_resp *w, int status, const char *type, cJSON *result)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddItemToObject(o, "result", result);
	s = cJSON_PrintUnformatted(o);
	http_bytes(w, status, "application/json", s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
}

static void message(struct http_resp *w, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "message", msg);
	s = cJSON_PrintUnformatted(o);
	http_bytes(w, status, "application/json", s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
}

/* The JSON body (an object), or NULL after a 4xx. */
static cJSON *body_json(struct app *app, struct http_req *r, struct http_resp *w)
{
	char *p;
	size_t n;
	int st = http_read_body(r, API_BODY_MAX, &p, &n);
	cJSON *o;

	if (st) {
		app_error(app, w, st, "cannot read the request body");
		return NULL;
	}
	o = n ? cJSON_ParseWithLength(p, n) : cJSON_CreateObject();
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		app_error(app, w, 400, "the body must be a JSON object");
		return NULL;
	}
	return o;
}

/* The caller when it is root or owner; else NULL after a 401/403. */
static const char *need_owner(struct app *app, struct http_req *r, struct http_resp *w,
			      const char *owner)
{
	int bad;
	const char *user = pypi_auth_user(app, r, &bad);

	if (!user) {
		pypi_challenge(app, w, bad ? "wrong user name or password" : "log in first");
		return NULL;
	}
	if (strcmp(user, "root") && (!owner || strcmp(user, owner))) {
		app_error(app, w, 403, "not allowed for this user");
		return NULL;
	}
	return user;
}

static cJSON *list_json(struct arena *a, const char *list)
{
	cJSON *arr = cJSON_CreateArray();
	const char *p = list;

	while (p && *p) {
		const char *c = strchr(p, ','), *e = c ? c : p + strlen(p);
		if (e > p)
			cJSON_AddItemToArray(arr, cJSON_CreateString(arena_strndup(a, p, (size_t)(e - p))));
		p = c ? c + 1 : NULL;
	}
	return arr;
}

static cJSON *index_json(struct arena *a, const struct pypi_index *ix)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", ix->type);
	cJSON_AddItemToObject(o, "bases", list_json(a, ix->bases));
	cJSON_AddBoolToObject(o, "volatile", ix->volatile_);
	cJSON_AddItemToObject(o, "acl_upload", list_json(a, ix->acl_upload));
	cJSON_AddItemToObject(o, "mirror_whitelist", list_json(a, ix->mirror_whitelist));
	cJSON_AddStringToObject(o, "title", ix->title);
	if (!strcmp(ix->type, "mirror")) {
		cJSON_AddStringToObject(o, "mirror_url", ix->mirror_url);
		cJSON_AddNumberToObject(o, "mirror_cache_expiry", (double)ix->mirror_cache_expiry);
	}
	return o;
}

/* A list from a JSON array of strings or a comma-separated string; NULL when bad. */
static const char *list_from(struct arena *a, const cJSON *v, int (*ok)(const char *))
{
	struct buf b;
	const cJSON *it;

	buf_init(&b, a);
	if (cJSON_IsString(v)) {
		char *s = arena_strdup(a, v->valuestring), *tok, *save = NULL;
		for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			if (!ok(tok))
				return NULL;
			buf_printf(&b, "%s%s", b.len ? "," : "", tok);
		}
		return buf_cstr(&b);
	}
	if (!cJSON_IsArray(v))
		return NULL;
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it) || !ok(it->valuestring))
			return NULL;
		buf_printf(&b, "%s%s", b.len ? "," : "", it->valuestring);
	}
	return buf_cstr(&b);
}

static int base_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	char u[PYPI_NAME_MAX];

	if (!slash || (size_t)(slash - s) >= sizeof(u))
		return 0;
	memcpy(u, s, (size_t)(slash - s));
	u[slash - s] = '\0';
	return pypi_ident_ok(u) && pypi_ident_ok(slash + 1);
}

static int acl_ok(const char *s)
{
	return pypi_ident_ok(s) || !strcmp(s, ":ANONYMOUS:") || !strcmp(s, ":AUTHENTICATED:");
}

static int wl_ok(const char *s)
{
	return !strcmp(s, "*") || pypi_project_ok(s);
}

static int url_ok(const char *s)
{
	return (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) && strlen(s) < 1024 &&
	       !strpbrk(s, " \r\n\t\"<>");
}

/* Applies a devpi index config onto ix; NULL, or what is wrong. */
static const char *apply_config(struct app *app, struct arena *a, struct pypi_index *ix,
				const cJSON *o)
{
	const cJSON *v;
	const char *p;

	if ((v = cJSON_GetObjectItem(o, "type"))) {
		if (!cJSON_IsString(v) || (strcmp(v->valuestring, "stage") &&
					   strcmp(v->valuestring, "mirror")))
			return "type is stage or mirror";
		ix->type = arena_strdup(a, v->valuestring);
	}
	if ((v = cJSON_GetObjectItem(o, "volatile"))) {
		if (cJSON_IsBool(v))
			ix->volatile_ = cJSON_IsTrue(v);
		else if (cJSON_IsString(v) && (!strcasecmp(v->valuestring, "true") ||
					       !strcasecmp(v->valuestring, "false")))
			ix->volatile_ = !strcasecmp(v->valuestring, "true");
		else
			return "volatile is true or false";
	}
	if ((v = cJSON_GetObjectItem(o, "bases"))) {
		if (!(p = list_from(a, v, base_ok)))
			return "bases are user/index names";
		ix->bases = p;
	}
	if ((v = cJSON_GetObjectItem(o, "acl_upload"))) {
		if (!(p = list_from(a, v, acl_ok)))
			return "acl_upload holds user names, :ANONYMOUS: or :AUTHENTICATED:";
		ix->acl_upload = p;
	}
	if ((v = cJSON_GetObjectItem(o, "mirror_whitelist"))) {
		if (!(p = list_from(a, v, wl_ok)))
			return "mirror_whitelist holds project names or *";
		ix->mirror_whitelist = p;
	}
	if ((v = cJSON_GetObjectItem(o, "mirror_url"))) {
		if (!cJSON_IsString(v) || !url_ok(v->valuestring))
			return "mirror_url is an http(s) URL";
		ix->mirror_url = arena_strdup(a, v->valuestring);
	}
	if ((v = cJSON_GetObjectItem(o, "mirror_cache_expiry"))) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9)
			return "mirror_cache_expiry is a number of seconds";
		ix->mirror_cache_expiry = (long long)v->valuedouble;
	}
	if ((v = cJSON_GetObjectItem(o, "title"))) {
		if (!cJSON_IsString(v) || strlen(v->valuestring) > 256)
			return "title is a short string";
		ix->title = arena_strdup(a, v->valuestring);
	}
	if (!strcmp(ix->type, "mirror") && !*ix->mirror_url)
		return "a mirror index needs a mirror_url";
	(void)app;
	return NULL;
}

/* Every base must exist and not be the index itself; NULL or why. */
static const char *check_bases(struct app *app, struct arena *a, const struct pypi_index *ix)
{
	char *s = arena_strdup(a, ix->bases), *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(tok, '/');
		struct pypi_index b;
		*slash = '\0';
		if (pypi_index_get(app, a, tok, slash + 1, &b) < 0)
			return arena_printf(a, "base %s/%s does not exist", tok, slash + 1);
		if (!strcmp(tok, ix->user) && !strcmp(slash + 1, ix->name))
			return "an index cannot be its own base";
	}
	return NULL;
}

/* 1 when the request is pip or uv asking for the index's project list. */
static int installer(struct http_req *r)
{
	const char *ua = http_header(r, "User-Agent"), *acc = http_header(r, "Accept");

	return (ua && (!strncmp(ua, "pip/", 4) || !strncmp(ua, "uv/", 3))) ||
	       (acc && strstr(acc, "application/vnd.pypi.simple"));
}

/* GET /pypi/{user}/{index}[/] */
void pypi_index_get_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_index *ix = pypi_req_index(app, r, w);
	cJSON *o, *projects;
	const char **p;

	if (!ix)
		return;
	if (installer(r)) {
		enum pypi_fmt fmt = pypi_accept(http_header(r, "Accept"));
		http_set_header(w, "Vary", "Accept, User-Agent");
		pypi_project_list(app, r, w, ix, fmt == PYPI_NONE ? PYPI_HTML : fmt);
		return;
	}
	o = index_json(r->a, ix);
	projects = cJSON_AddArrayToObject(o, "projects");
	for (p = pypi_projects_of(app, r->a, ix->id); *p; p++)
		cJSON_AddItemToArray(projects, cJSON_CreateString(*p));
	http_set_header(w, "Vary", "Accept, User-Agent");
	send(w, 200, "indexconfig", o);
}

/* PUT /pypi/{user}/{index}: creates an index from a devpi config. */
void pypi_index_put_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *user = http_param(r, "user"), *why;
	struct pypi_index ix, old;
	struct pypi_user u;
	cJSON *o;

	if (!need_owner(app, r, w, user) || !(o = body_json(app, r, w)))
		return;
	memset(&ix, 0, sizeof(ix));
	ix.user = user;
	ix.name = http_param(r, "index");
	ix.type = "stage";
	ix.volatile_ = 1;
	ix.bases = ix.mirror_whitelist = ix.mirror_url = ix.title = "";
	ix.acl_upload = user;
	ix.mirror_cache_expiry = 1800;
	why = apply_config(app, r->a, &ix, o);
	cJSON_Delete(o);
	if (!why)
		why = check_bases(app, r->a, &ix);
	if (why) {
		app_error(app, w, 400, why);
		return;
	}
	if (pypi_user_get(app, r->a, user, &u) < 0) {
		app_error(app, w, 404, "no such user");
		return;
	}
	if (pypi_index_get(app, r->a, user, ix.name, &old) == 0) {
		app_error(app, w, 409, "the index exists");
		return;
	}
	if (pypi_index_put(app, &ix, 1) < 0) {
		app_error(app, w, 503, "cannot store the index");
		return;
	}
	send(w, 201, "indexconfig", index_json(r->a, &ix));
}

/* PATCH /pypi/{user}/{index}: changes the keys given. */
void pypi_index_patch_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_index *ix;
	const char *why;
	cJSON *o;

	if (!(ix = pypi_req_index(app, r, w)) || !need_owner(app, r, w, ix->user) ||
	    !(o = body_json(app, r, w)))
		return;
	why = apply_config(app, r->a, ix, o);
	cJSON_Delete(o);
	if (!why)
		why = check_bases(app, r->a, ix);
	if (why) {
		app_error(app, w, 400, why);
		return;
	}
	if (pypi_index_put(app, ix, 0) < 0) {
		app_error(app, w, 503, "cannot store the index");
		return;
	}
	send(w, 200, "indexconfig", index_json(r->a, ix));
}

/* DELETE /pypi/{user}/{index} (its files' rows go with it; blobs by gc) */
void pypi_index_del_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_index *ix;

	if (!(ix = pypi_req_index(app, r, w)) || !need_owner(app, r, w, ix->user))
		return;
	if (pypi_index_del(app, ix->user, ix->name) < 0) {
		app_error(app, w, 503, "cannot delete the index");
		return;
	}
	message(w, 201, "index deleted");
}

/* GET /pypi/{user} */
void pypi_user_get_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_user u;
	struct pypi_index *v;
	cJSON *o, *ixs;
	int n, i;

	if (pypi_user_get(app, r->a, http_param(r, "user"), &u) < 0) {
		app_error(app, w, 404, "no such user");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "username", u.name);
	cJSON_AddStringToObject(o, "email", u.email);
	ixs = cJSON_AddObjectToObject(o, "indexes");
	n = pypi_index_list(app, r->a, u.name, &v);
	for (i = 0; i < n; i++)
		cJSON_AddItemToObject(ixs, v[i].name, index_json(r->a, &v[i]));
	send(w, 200, "userconfig", o);
}

/* The password and email of a user body; -1 after a 400. */
static int user_fields(struct app *app, struct http_resp *w, cJSON *o, const char **pw,
		       const char **email)
{
	const cJSON *p = cJSON_GetObjectItem(o, "password"), *e = cJSON_GetObjectItem(o, "email");

	*pw = *email = NULL;
	if ((p && (!cJSON_IsString(p) || !*p->valuestring || strlen(p->valuestring) > 1024)) ||
	    (e && (!cJSON_IsString(e) || strlen(e->valuestring) > 256))) {
		app_error(app, w, 400, "password is a non-empty string, email a string");
		return -1;
	}
	*pw = p ? p->valuestring : NULL;
	*email = e ? e->valuestring : NULL;
	return 0;
}

/* PUT /pypi/{user} {"password", "email"}: root creates users */
void pypi_user_put_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *pw, *email, *name = http_param(r, "user");
	char hash[AUTH_HASH_MAX];
	cJSON *o;
	int rc;

	if (!need_owner(app, r, w, NULL) || !(o = body_json(app, r, w)))
		return;
	if (user_fields(app, w, o, &pw, &email) < 0 || !pw) {
		if (!pw && w->status != 400)
			app_error(app, w, 400, "a new user needs a password");
		cJSON_Delete(o);
		return;
	}
	rc = auth_hash_password(pw, hash, sizeof(hash));
	rc = rc < 0 ? -1 : pypi_user_add(app, name, hash, email ? email : "");
	cJSON_Delete(o);
	if (rc) {
		app_error(app, w, rc > 0 ? 409 : 503, rc > 0 ? "the user exists" : "cannot store the user");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "username", name);
	send(w, 201, "userconfig", o);
}

/* PATCH /pypi/{user}: the user or root changes password or email */
void pypi_user_patch_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *pw, *email, *name = http_param(r, "user");
	char hash[AUTH_HASH_MAX];
	struct pypi_user u;
	cJSON *o;
	int bad;

	if (pypi_user_get(app, r->a, name, &u) < 0) {
		app_error(app, w, 404, "no such user");
		return;
	}
	if (!need_owner(app, r, w, name) || !(o = body_json(app, r, w)))
		return;
	bad = user_fields(app, w, o, &pw, &email);
	if (!bad && pw && auth_hash_password(pw, hash, sizeof(hash)) < 0)
		bad = -2;
	if (!bad && pypi_user_set(app, name, pw ? hash : NULL, email) < 0)
		bad = -2;
	cJSON_Delete(o);
	if (bad == -2)
		app_error(app, w, 503, "cannot store the user");
	if (!bad)
		message(w, 200, "user updated");
}

/* DELETE /pypi/{user}: with its indexes; root itself stays */
void pypi_user_del_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *name = http_param(r, "user");
	int rc;

	if (!need_owner(app, r, w, name))
		return;
	if (!strcmp(name, "root")) {
		app_error(app, w, 403, "root cannot be deleted");
		return;
	}
	rc = pypi_user_del(app, name);
	if (rc)
		app_error(app, w, rc > 0 ? 404 : 503, rc > 0 ? "no such user" : "cannot delete");
	else
		message(w, 200, "user deleted");
}

/* POST /pypi/+login {"user", "password"} -> a token for X-Devpi-Auth or Basic */
void pypi_login_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	cJSON *o = body_json(app, r, w), *res;
	const cJSON *u, *p;
	struct pypi_user user;
	char token[AUTH_TOKEN_BYTES * 2 + 1], th[HASH_HEX_MAX];

	if (!o)
		return;
	u = cJSON_GetObjectItem(o, "user");
	p = cJSON_GetObjectItem(o, "password");
	if (!cJSON_IsString(u) || !cJSON_IsString(p) ||
	    pypi_user_get(app, r->a, u->valuestring, &user) < 0 ||
	    !auth_verify_password(user.pw_hash, p->valuestring)) {
		cJSON_Delete(o);
		app_error(app, w, 401, "wrong user name or password");
		return;
	}
	cJSON_Delete(o);
	if (auth_random_hex(token, AUTH_TOKEN_BYTES) < 0) {
		app_error(app, w, 503, "no randomness");
		return;
	}
	auth_token_hash(token, th);
	if (pypi_token_add(app, user.name, th, TOKEN_TTL) < 0) {
		app_error(app, w, 503, "cannot store the token");
		return;
	}
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "password", token);
	cJSON_AddNumberToObject(res, "expiration", TOKEN_TTL);
	send(w, 200, "proxyauth", res);
}
