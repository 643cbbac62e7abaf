/*
 * /pypi/{user}/{index}: devpi's JSON API for one index (GET its config
 * and projects, PUT creates it, PATCH changes the keys given, DELETE
 * removes it with its files' rows; blobs go by gc).  A GET from pip or
 * uv (User-Agent) or asking for PEP 691 JSON gets the project list, as
 * devpi answers installers.  Changes are for the owner and root.
 */
#include "pypi.h"
#include "pypi_ops.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#define INDEX_BODY_MAX 65536

static cJSON *list_json(struct arena *a, const char *list)
{
	cJSON *arr = cJSON_CreateArray();
	const char *p = list;

	while (p && *p) {
		const char *c = strchr(p, ','), *e = c ? c : p + strlen(p);
		if (e > p)
			cJSON_AddItemToArray(arr, cJSON_CreateString(arena_strndup(a, p,
									(size_t)(e - p))));
		p = c ? c + 1 : NULL;
	}
	return arr;
}

cJSON *pypi_index_json(struct arena *a, const struct pypi_index *ix)
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

/* The keys of devpi's index config that nestbox keeps; any other is refused
 * (a typo such as "volatil" would otherwise leave the default in force). */
static const char *const config_keys[] = {
	"type", "bases", "volatile", "acl_upload", "mirror_whitelist", "mirror_url",
	"mirror_cache_expiry", "title", NULL
};

/* Adds item to the comma-separated list b; 0, or -1 (naming it in *dup)
 * when the list holds it already. */
static int list_add(struct buf *b, const char *item, const char **dup)
{
	if (pypi_list_has(buf_cstr(b), item)) {
		*dup = item;
		return -1;
	}
	buf_printf(b, "%s%s", b->len ? "," : "", item);
	return 0;
}

/* A list from a JSON array of strings or a comma-separated string; NULL when
 * bad, and *dup set too when an item is named twice. */
static const char *list_from(struct arena *a, const cJSON *v, int (*ok)(const char *),
			     const char **dup)
{
	struct buf b;
	const cJSON *it;

	buf_init(&b, a);
	*dup = NULL;
	if (cJSON_IsString(v)) {
		char *s = arena_strdup(a, v->valuestring), *tok, *save = NULL;
		for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			if (!ok(tok) || list_add(&b, tok, dup) < 0)
				return NULL;
		}
		return buf_cstr(&b);
	}
	if (!cJSON_IsArray(v))
		return NULL;
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it) || !ok(it->valuestring) ||
		    list_add(&b, it->valuestring, dup) < 0)
			return NULL;
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

/* A list key of the config into *out (kept when absent); -1 with why. */
static int list_key(struct arena *a, const cJSON *o, const char *key,
		    int (*ok)(const char *), const char **out, const char *why, struct nb_err *e)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	const char *p, *dup;

	if (!v)
		return 0;
	if (!(p = list_from(a, v, ok, &dup)))
		return dup ? nb_fail(e, NB_INVALID, "%s names %s twice", key, dup) :
			     nb_fail(e, NB_INVALID, "%s", why);
	*out = p;
	return 0;
}

static int type_key(struct arena *a, struct pypi_index *ix, const cJSON *o, struct nb_err *e)
{
	const cJSON *v = cJSON_GetObjectItem(o, "type"), *vol = cJSON_GetObjectItem(o, "volatile");

	if (v) {
		if (!cJSON_IsString(v) || (strcmp(v->valuestring, "stage") &&
					   strcmp(v->valuestring, "mirror")))
			return nb_fail(e, NB_INVALID, "type is stage or mirror");
		ix->type = arena_strdup(a, v->valuestring);
	}
	if (!vol)
		return 0;
	/* JSON's own boolean: a string "False" is true to every other reader */
	if (!cJSON_IsBool(vol))
		return nb_fail(e, NB_INVALID, "volatile is a JSON boolean (true or false)");
	ix->volatile_ = cJSON_IsTrue(vol);
	return 0;
}

cJSON *pypi_config_text_value(const char *key, const char *v)
{
	if (!strcmp(key, "volatile") && (!strcasecmp(v, "true") || !strcasecmp(v, "false")))
		return cJSON_CreateBool(!strcasecmp(v, "true"));
	return cJSON_CreateString(v);
}

static int mirror_keys(struct arena *a, struct pypi_index *ix, const cJSON *o, struct nb_err *e)
{
	const cJSON *v;

	if ((v = cJSON_GetObjectItem(o, "mirror_url"))) {
		if (!cJSON_IsString(v) || !url_ok(v->valuestring))
			return nb_fail(e, NB_INVALID, "mirror_url is an http(s) URL");
		ix->mirror_url = arena_strdup(a, v->valuestring);
	}
	if ((v = cJSON_GetObjectItem(o, "mirror_cache_expiry"))) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9)
			return nb_fail(e, NB_INVALID, "mirror_cache_expiry is a number of seconds");
		ix->mirror_cache_expiry = (long long)v->valuedouble;
	}
	if ((v = cJSON_GetObjectItem(o, "title"))) {
		if (!cJSON_IsString(v))
			return nb_fail(e, NB_INVALID, "title is a string");
		if (pypi_text_check("title", v->valuestring, PYPI_TITLE_MAX, e) < 0)
			return -1;
		ix->title = arena_strdup(a, v->valuestring);
	}
	if (!strcmp(ix->type, "mirror") && !*ix->mirror_url)
		return nb_fail(e, NB_INVALID, "a mirror index needs a mirror_url");
	return 0;
}

/* Applies a devpi index config onto ix; 0, or -1 with NB_INVALID. */
static int apply_config(struct arena *a, struct pypi_index *ix, const cJSON *o,
			struct nb_err *e)
{
	const cJSON *k;
	int i;

	cJSON_ArrayForEach(k, o) {
		for (i = 0; config_keys[i] && strcmp(config_keys[i], k->string); i++)
			;
		if (!config_keys[i])
			return nb_fail(e, NB_INVALID, "unknown index config key \"%.64s\" (known: "
				       "type, bases, volatile, acl_upload, mirror_whitelist, "
				       "mirror_url, mirror_cache_expiry, title)", k->string);
	}
	if (type_key(a, ix, o, e) < 0 ||
	    list_key(a, o, "bases", base_ok, &ix->bases, "bases are user/index names", e) < 0 ||
	    list_key(a, o, "acl_upload", acl_ok, &ix->acl_upload,
		     "acl_upload holds user names, :ANONYMOUS: or :AUTHENTICATED:", e) < 0 ||
	    list_key(a, o, "mirror_whitelist", wl_ok, &ix->mirror_whitelist,
		     "mirror_whitelist holds project names or *", e) < 0)
		return -1;
	return mirror_keys(a, ix, o, e);
}

/* Every base must exist and not be the index itself; 0 or -1 (NB_INVALID,
 * or NB_UNAVAILABLE when the store cannot say whether a base exists). */
static int check_bases(struct app *app, struct arena *a, const struct pypi_index *ix,
		       struct nb_err *e)
{
	char *s = arena_strdup(a, ix->bases), *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(tok, '/');
		struct pypi_index b;
		*slash = '\0';
		if (pypi_index_get(app, a, tok, slash + 1, &b, e) < 0)
			return e && e->kind != NB_NOT_FOUND ? -1 :
			       nb_fail(e, NB_INVALID, "base %s/%s does not exist", tok, slash + 1);
		if (!strcmp(tok, ix->user) && !strcmp(slash + 1, ix->name))
			return nb_fail(e, NB_INVALID, "an index cannot be its own base");
	}
	return 0;
}

/* Appends the bases of "user/name" (none when it does not exist) to the
 * queue q of n names; the new count, or -1 with e when the store cannot
 * read them (a walk that skipped them could miss a cycle). */
static int queue_bases(struct app *app, struct arena *a, const char *un, const char **q, int n,
		       int max, struct nb_err *e)
{
	char *u = arena_strdup(a, un), *slash = strchr(u, '/'), *tok, *save = NULL;
	struct pypi_index b;
	struct nb_err why;

	*slash = '\0';
	if (pypi_index_get(app, a, u, slash + 1, &b, &why) < 0) {
		if (why.kind == NB_NOT_FOUND)
			return n;
		if (e)
			*e = why;
		return -1;
	}
	for (tok = strtok_r(arena_strdup(a, b.bases), ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save))
		q[n++] = tok;
	return n;
}

#define CYCLE_WALK_MAX 1024	/* base names visited, repeats included */

/*
 * Walks the bases breadth-first from ix's new ones through those stored:
 * reaching ix again is a cycle, refused with NB_CONFLICT (409) because the
 * config is well-formed by itself and conflicts with the other indexes'
 * stored bases.  A walk that does not end within CYCLE_WALK_MAX names is
 * refused too (the store should not hold a cycle, but may hold a deep chain).
 */
static int check_cycle(struct app *app, struct arena *a, const struct pypi_index *ix,
		       struct nb_err *e)
{
	const char **q = arena_alloc(a, sizeof(*q) * CYCLE_WALK_MAX);
	const char *self = arena_cat(a, ix->user, "/", ix->name, NULL);
	int n = 0, i;
	char *tok, *save = NULL;

	for (tok = strtok_r(arena_strdup(a, ix->bases), ",", &save); tok && n < CYCLE_WALK_MAX;
	     tok = strtok_r(NULL, ",", &save))
		q[n++] = tok;
	for (i = 0; i < n; i++) {
		int j, again = 0;
		if (!strcmp(q[i], self))
			return nb_fail(e, NB_CONFLICT, "the bases would make a cycle: %s "
				       "inherits from itself through %s", self, q[0]);
		for (j = 0; j < i && !again; j++)
			again = !strcmp(q[j], q[i]);
		if (!again && (n = queue_bases(app, a, q[i], q, n, CYCLE_WALK_MAX, e)) < 0)
			return -1;
	}
	if (n == CYCLE_WALK_MAX)
		return nb_fail(e, NB_INVALID, "the bases inherit from too many indexes");
	return 0;
}

int pypi_index_config(struct app *app, struct arena *a, struct pypi_index *ix,
		      const cJSON *o, struct nb_err *e)
{
	if (apply_config(a, ix, o, e) < 0 || check_bases(app, a, ix, e) < 0)
		return -1;
	return check_cycle(app, a, ix, e);
}

void pypi_index_defaults(struct pypi_index *ix, const char *user, const char *name)
{
	memset(ix, 0, sizeof(*ix));
	ix->user = user;
	ix->name = name;
	ix->type = "stage";
	ix->volatile_ = 1;
	ix->bases = ix->mirror_whitelist = ix->mirror_url = ix->title = "";
	ix->acl_upload = user;
	ix->mirror_cache_expiry = 1800;
}

/*
 * The config body applied onto ix and checked; 0 or -1 with e.  Only
 * root (me) may point an index at an upstream, unless pypi.user_mirrors
 * says users may: the server fetches whatever URL mirror_url names, an
 * address inside its own network too (NB_FORBIDDEN).
 */
static int config_body(struct app *app, struct http_req *r, const char *me,
		       struct pypi_index *ix, struct nb_err *e)
{
	struct pypi *p = app->domain;
	const char *was = ix->mirror_url ? ix->mirror_url : "";
	cJSON *o = pypi_json_body(r, INDEX_BODY_MAX, e);
	int rc;

	if (!o)
		return -1;
	rc = pypi_index_config(app, r->a, ix, o, e);
	cJSON_Delete(o);
	if (rc == 0 && strcmp(me, "root") && !p->set.user_mirrors && strcmp(was, ix->mirror_url))
		return nb_fail(e, NB_FORBIDDEN, "only root may set an index's mirror_url"
			       " (pypi.user_mirrors lets users)");
	return rc;
}

/* 1 when the request is pip or uv asking for the index's project list. */
static int installer(struct http_req *r)
{
	const char *ua = http_header(r, "User-Agent"), *acc = http_header(r, "Accept");

	return (ua && (!strncmp(ua, "pip/", 4) || !strncmp(ua, "uv/", 3))) ||
	       (acc && strstr(acc, "application/vnd.pypi.simple"));
}

/* GET /pypi/{user}/{index}[/] */
int pypi_index_get_h(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e)
{
	struct pypi_index *ix = pypi_req_index(app, r, e);
	const char **p;
	cJSON *o, *projects;

	if (!ix)
		return -1;
	http_set_header(w, "Vary", "Accept, User-Agent");
	if (installer(r)) {
		enum pypi_fmt fmt = pypi_accept(http_header(r, "Accept"));
		return pypi_project_list(app, r, w, ix, fmt == PYPI_NONE ? PYPI_HTML : fmt, e);
	}
	if (pypi_projects_of(app, r->a, ix->id, &p, e) < 0)
		return -1;
	o = pypi_index_json(r->a, ix);
	projects = cJSON_AddArrayToObject(o, "projects");
	for (; *p; p++)
		cJSON_AddItemToArray(projects, cJSON_CreateString(*p));
	pypi_json_send(w, 200, "indexconfig", o);
	return 0;
}

/*
 * After ix was written by me: the static pages are built anew (its bases,
 * type or volatile flag may change others' chains), the change is audited
 * as what, and the index is answered with status.
 */
static void index_written(struct app *app, struct http_req *r, struct http_resp *w,
			  const char *me, const struct pypi_index *ix, const char *what,
			  int status)
{
	pypi_static_reset(app);
	pypi_audit(app, me, what, "%s/%s", ix->user, ix->name);
	pypi_json_send(w, status, "indexconfig", pypi_index_json(r->a, ix));
}

static int index_put(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e)
{
	const char *me, *user = req_str(r, "user");
	struct pypi_index ix;
	struct pypi_user u;

	if (pypi_need_owner(app, r, user, &me, e) < 0)
		return -1;
	pypi_index_defaults(&ix, user, req_str(r, "index"));
	if (config_body(app, r, me, &ix, e) < 0 || pypi_user_get(app, r->a, user, &u, e) < 0 ||
	    pypi_index_put(app, &ix, 1, e) < 0)
		return -1;
	index_written(app, r, w, me, &ix, "pypi index create", 201);
	return 0;
}

/* PUT /pypi/{user}/{index}: creates an index from a devpi config. */
int pypi_index_put_h(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e)
{
	return pypi_challenge(app, r, w, index_put(app, r, w, e), e);
}

static int index_patch(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	struct pypi_index *ix = pypi_req_index(app, r, e);
	const char *me;

	if (!ix || pypi_need_owner(app, r, ix->user, &me, e) < 0 ||
	    config_body(app, r, me, ix, e) < 0 || pypi_index_put(app, ix, 0, e) < 0)
		return -1;
	index_written(app, r, w, me, ix, "pypi index modify", 200);
	return 0;
}

/* PATCH /pypi/{user}/{index}: changes the keys given. */
int pypi_index_patch_h(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	return pypi_challenge(app, r, w, index_patch(app, r, w, e), e);
}

static int index_del(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e)
{
	struct pypi_index *ix = pypi_req_index(app, r, e);
	const char *me;

	if (!ix || pypi_need_owner(app, r, ix->user, &me, e) < 0 ||
	    pypi_index_del(app, ix->user, ix->name, e) < 0)
		return -1;
	pypi_static_reset(app);
	pypi_audit(app, me, "pypi index delete", "%s/%s", ix->user, ix->name);
	pypi_json_message(w, 201, "index deleted");
	return 0;
}

/* DELETE /pypi/{user}/{index} (its files' rows go with it; blobs by gc) */
int pypi_index_del_h(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e)
{
	return pypi_challenge(app, r, w, index_del(app, r, w, e), e);
}
