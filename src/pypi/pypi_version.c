/*
 * /pypi/{user}/{index}/{project}/{version}: deleting a version (DELETE,
 * with ?force on a non-volatile index) and yanking it (PATCH {"yanked":
 * true, false or a reason}).  Changing a release needs the rights to
 * upload to its index.
 */
#include "pypi.h"
#include "pypi_ops.h"

#include <string.h>

#include <cjson/cJSON.h>

#define YANK_BODY_MAX 4096

int pypi_release_del(struct app *app, struct arena *a, const struct pypi_index *ix,
		     const char *project, const char *version, int force, struct nb_err *e)
{
	int n;

	if (!ix->volatile_ && !force)
		return nb_fail(e, NB_FORBIDDEN, "the index is not volatile: add ?force to delete");
	n = pypi_version_del(app, ix->id, pypi_normalize(a, project), version, e);
	if (n == 0)
		return nb_fail(e, NB_NOT_FOUND, "no such project or version on this index");
	if (n > 0)	/* callers outside pypi.fcgi have no templates: removed */
		pypi_static_project(app, NULL, ix->id, pypi_normalize(a, project));
	return n;
}

int pypi_req_force(const struct http_req *r)
{
	const char *v = req_str(r, "force");

	return v && (!*v || req_int(r, "force", 0));
}

int pypi_release_del_req(struct app *app, struct http_req *r, struct http_resp *w,
			 const char *version, struct nb_err *e)
{
	const char *me, *project = req_str(r, "project");
	struct pypi_index *ix = pypi_req_writable_as(app, r, &me, e);
	cJSON *o;
	int n;

	if (!ix || (n = pypi_release_del(app, r->a, ix, project, version,
					 pypi_req_force(r), e)) < 0)
		return pypi_challenge(app, r, w, -1, e);
	pypi_audit(app, me, "pypi delete", "%s/%s %s%s%s", ix->user, ix->name, project,
		   version ? " " : "", version ? version : "");
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "deleted", n);
	pypi_json_answer(w, 200, o);
	return 0;
}

/* DELETE /pypi/{user}/{index}/{project}/{version}[?force] */
int pypi_version_del_h(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	return pypi_release_del_req(app, r, w, req_str(r, "version"), e);
}

/* The body's "yanked": *reason NULL (unyank), "" (yanked) or the reason. */
static int yank_body(struct http_req *r, const char **reason, struct nb_err *e)
{
	cJSON *o = pypi_json_body(r, YANK_BODY_MAX, e), *y;
	int ok;

	if (!o)
		return -1;
	y = cJSON_GetObjectItem(o, "yanked");
	ok = cJSON_IsBool(y) || cJSON_IsString(y);
	if (!ok)
		nb_fail(e, NB_INVALID, "send {\"yanked\": true, false or a reason}");
	else if (cJSON_IsString(y) &&
		 pypi_text_check("the yank reason", y->valuestring, PYPI_REASON_MAX, e) < 0)
		ok = 0;
	if (ok)
		*reason = cJSON_IsString(y) ? arena_strdup(r->a, y->valuestring) :
			  cJSON_IsTrue(y) ? "" : NULL;
	cJSON_Delete(o);
	return ok ? 0 : -1;
}

static int version_patch(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	const char *me, *reason = NULL;
	struct pypi_index *ix = pypi_req_writable_as(app, r, &me, e);
	cJSON *o;
	int n;

	if (!ix || yank_body(r, &reason, e) < 0 ||
	    (n = pypi_version_yank(app, ix->id, pypi_normalize(r->a, req_str(r, "project")),
				   req_str(r, "version"), reason, e)) < 0)
		return -1;
	if (n == 0)
		return nb_fail(e, NB_NOT_FOUND, "no such version");
	pypi_static_project(app, ((struct pypi *)app->domain)->tmpl, ix->id,
			    pypi_normalize(r->a, req_str(r, "project")));
	pypi_audit(app, me, reason ? "pypi yank" : "pypi unyank", "%s/%s %s %s", ix->user,
		   ix->name, req_str(r, "project"), req_str(r, "version"));
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "files", n);
	cJSON_AddBoolToObject(o, "yanked", reason != NULL);
	pypi_json_answer(w, 200, o);
	return 0;
}

/* PATCH /pypi/{user}/{index}/{project}/{version} */
int pypi_version_patch_h(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	return pypi_challenge(app, r, w, version_patch(app, r, w, e), e);
}
