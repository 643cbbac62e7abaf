/*
 * /pypi/{user}/{index}/{project}: one project on one index, devpi-style:
 * its versions with metadata and links (GET), and deleting the whole
 * project (DELETE, with ?force on a non-volatile index).
 */
#include "pypi.h"

#include <string.h>

#include <cjson/cJSON.h>

static cJSON *version_json(struct arena *a, const struct pypi_file *f)
{
	cJSON *v = cJSON_CreateObject(), *deps;

	cJSON_AddStringToObject(v, "name", f->name);
	cJSON_AddStringToObject(v, "version", f->version);
	cJSON_AddStringToObject(v, "summary", f->summary);
	cJSON_AddStringToObject(v, "requires_python", f->requires_python);
	deps = cJSON_AddArrayToObject(v, "requires_dist");
	if (*f->requires_dist) {
		char *s = arena_strdup(a, f->requires_dist), *tok, *save = NULL;
		for (tok = strtok_r(s, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
			cJSON_AddItemToArray(deps, cJSON_CreateString(tok));
	}
	cJSON_AddArrayToObject(v, "+links");
	return v;
}

static cJSON *link_json(struct arena *a, const struct pypi_index *ix, const struct pypi_file *f)
{
	cJSON *l = cJSON_CreateObject();

	cJSON_AddStringToObject(l, "href", arena_cat(a, PYPI_PREFIX "/", ix->user, "/", ix->name,
			"/+f/", arena_strndup(a, f->sha256, 3), "/",
			arena_strndup(a, f->sha256 + 3, 13), "/", f->filename, NULL));
	cJSON_AddStringToObject(l, "rel", "releasefile");
	cJSON_AddStringToObject(l, "hash_spec", arena_cat(a, "sha256=", f->sha256, NULL));
	cJSON_AddBoolToObject(l, "yanked", f->yanked != NULL);
	return l;
}

/* GET /pypi/{user}/{index}/{project} */
int pypi_project_get_h(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	struct pypi_index *ix = pypi_req_index(app, r, e);
	struct pypi_file *f;
	cJSON *o, *res;
	int n, i;

	if (!ix || (n = pypi_files_of(app, r->a, ix->id,
				      pypi_normalize(r->a, req_str(r, "project")), &f, e)) < 0)
		return -1;
	if (n == 0)
		return nb_fail(e, NB_NOT_FOUND, "no such project on this index");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "projectconfig");
	res = cJSON_AddObjectToObject(o, "result");
	for (i = 0; i < n; i++) {
		cJSON *v = cJSON_GetObjectItem(res, f[i].version);
		if (!v) {
			v = version_json(r->a, &f[i]);
			cJSON_AddItemToObject(res, f[i].version, v);
		}
		cJSON_AddItemToArray(cJSON_GetObjectItem(v, "+links"), link_json(r->a, ix, &f[i]));
	}
	pypi_json_answer(w, 200, o);
	return 0;
}

/* DELETE /pypi/{user}/{index}/{project}[?force] */
int pypi_project_del_h(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	return pypi_release_del_req(app, r, w, NULL, e);
}
