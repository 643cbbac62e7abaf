/*
 * One project on one index, devpi-style: its versions with metadata and
 * links (GET), deleting a version or the whole project (DELETE, with
 * ?force on a non-volatile index) and yanking (PATCH {"yanked": …}).
 * Changing a project needs the rights to upload to its index.
 */
#include "pypi.h"

#include <string.h>

#include <cjson/cJSON.h>

/* The project's index and name, or NULL after an answer (404, 401, 403). */
static struct pypi_index *writable(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_index *ix = pypi_req_index(app, r, w);
	int bad;
	const char *user;

	if (!ix)
		return NULL;
	user = pypi_auth_user(app, r, &bad);
	if (!user) {
		pypi_challenge(app, w, bad ? "wrong user name or password" : "log in first");
		return NULL;
	}
	if (strcmp(user, ix->user) && !pypi_may_upload(ix, user)) {
		app_error(app, w, 403, "not allowed for this user");
		return NULL;
	}
	return ix;
}

static void json_answer(struct http_resp *w, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	http_bytes(w, status, "application/json", s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
}

static cJSON *version_json(struct arena *a, const struct pypi_file *f)
{
	cJSON *v = cJSON_CreateObject();

	cJSON_AddStringToObject(v, "name", f->name);
	cJSON_AddStringToObject(v, "version", f->version);
	cJSON_AddStringToObject(v, "summary", f->summary);
	cJSON_AddStringToObject(v, "requires_python", f->requires_python);
	cJSON_AddItemToObject(v, "requires_dist", cJSON_CreateArray());
	if (*f->requires_dist) {
		char *s = arena_strdup(a, f->requires_dist), *tok, *save = NULL;
		for (tok = strtok_r(s, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
			cJSON_AddItemToArray(cJSON_GetObjectItem(v, "requires_dist"),
					     cJSON_CreateString(tok));
	}
	cJSON_AddArrayToObject(v, "+links");
	return v;
}

/* GET /pypi/{user}/{index}/{project} */
void pypi_project_get_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_index *ix = pypi_req_index(app, r, w);
	struct pypi_file *f;
	cJSON *o, *res;
	int n, i;

	if (!ix)
		return;
	n = pypi_files_of(app, r->a, ix->id, pypi_normalize(r->a, http_param(r, "project")), &f);
	if (n <= 0) {
		app_error(app, w, 404, "no such project on this index");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "projectconfig");
	res = cJSON_AddObjectToObject(o, "result");
	for (i = 0; i < n; i++) {
		cJSON *v = cJSON_GetObjectItem(res, f[i].version), *l;
		if (!v) {
			v = version_json(r->a, &f[i]);
			cJSON_AddItemToObject(res, f[i].version, v);
		}
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "href", arena_cat(r->a, PYPI_PREFIX "/", ix->user, "/",
				ix->name, "/+f/", arena_strndup(r->a, f[i].sha256, 3), "/",
				arena_strndup(r->a, f[i].sha256 + 3, 13), "/", f[i].filename, NULL));
		cJSON_AddStringToObject(l, "rel", "releasefile");
		cJSON_AddStringToObject(l, "hash_spec", arena_cat(r->a, "sha256=", f[i].sha256, NULL));
		cJSON_AddBoolToObject(l, "yanked", f[i].yanked != NULL);
		cJSON_AddItemToArray(cJSON_GetObjectItem(v, "+links"), l);
	}
	json_answer(w, 200, o);
}

/* DELETE /pypi/{user}/{index}/{project}[/{version}][?force] */
void pypi_version_del_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_index *ix = writable(app, r, w);
	const char *version = http_param(r, "version");
	cJSON *o;
	int n;

	if (!ix)
		return;
	if (!ix->volatile_ && !query_get(&r->query, "force")) {
		app_error(app, w, 403, "the index is not volatile: add ?force to delete");
		return;
	}
	n = pypi_version_del(app, ix->id, pypi_normalize(r->a, http_param(r, "project")), version);
	if (n < 0) {
		app_error(app, w, 503, "cannot delete");
		return;
	}
	if (n == 0) {
		app_error(app, w, 404, "no such project or version on this index");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "deleted", n);
	json_answer(w, 200, o);
}

/* PATCH /pypi/{user}/{index}/{project}/{version} {"yanked": true|false|"reason"} */
void pypi_version_patch_h(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_index *ix = writable(app, r, w);
	const char *reason;
	cJSON *o, *y;
	char *p;
	size_t len;
	int n, st;

	if (!ix)
		return;
	if ((st = http_read_body(r, 4096, &p, &len)) != 0) {
		app_error(app, w, st, "cannot read the request body");
		return;
	}
	o = cJSON_ParseWithLength(p, len);
	y = cJSON_GetObjectItem(o, "yanked");
	if (!cJSON_IsBool(y) && !(cJSON_IsString(y) && strlen(y->valuestring) < 1024)) {
		cJSON_Delete(o);
		app_error(app, w, 400, "send {\"yanked\": true, false or a reason}");
		return;
	}
	reason = cJSON_IsString(y) ? arena_strdup(r->a, y->valuestring) :
		 cJSON_IsTrue(y) ? "" : NULL;
	cJSON_Delete(o);
	n = pypi_version_yank(app, ix->id, pypi_normalize(r->a, http_param(r, "project")),
			      http_param(r, "version"), reason);
	if (n <= 0) {
		app_error(app, w, n < 0 ? 503 : 404, n < 0 ? "cannot yank" : "no such version");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "files", n);
	cJSON_AddBoolToObject(o, "yanked", reason != NULL);
	json_answer(w, 200, o);
}
