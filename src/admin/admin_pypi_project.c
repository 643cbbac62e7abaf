/*
 * One project of one Python index (admin_pypi.h): its versions and files,
 * and yank, unyank and delete of a version or of one file.  Each change
 * is asked first (the form comes back with confirm=yes), as installers
 * that pinned a version break when it goes; on a non-volatile index the
 * confirmation is the operator's devpi ?force.
 */
#include "admin_pypi.h"
#include "admin_audit.h"
#include "../pypi/pypi_ops.h"

#include <stdio.h>
#include <string.h>

static cJSON *file_json(struct arena *a, const struct pypi_file *f)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "filename", f->filename);
	cJSON_AddStringToObject(o, "size", admin_pypi_size(a, f->size));
	cJSON_AddStringToObject(o, "sha256", f->sha256);
	cJSON_AddStringToObject(o, "sha256_short", arena_strndup(a, f->sha256, 12));
	cJSON_AddStringToObject(o, "uploaded", admin_when(a, f->uploaded_ms / 1000));
	cJSON_AddBoolToObject(o, "yanked", f->yanked != NULL);
	cJSON_AddStringToObject(o, "reason", f->yanked ? f->yanked : "");
	return o;
}

/* [{"version","yanked","files":[…]}], newest upload first. */
static cJSON *versions_json(struct arena *a, const struct pypi_file *f, int n)
{
	cJSON *arr = cJSON_CreateArray(), *v;
	int i;

	for (i = n - 1; i >= 0; i--) {
		cJSON_ArrayForEach(v, arr)
			if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(v, "version")),
				    f[i].version))
				break;
		if (!v) {
			v = cJSON_CreateObject();
			cJSON_AddStringToObject(v, "version", f[i].version);
			cJSON_AddBoolToObject(v, "yanked", 1);
			cJSON_AddArrayToObject(v, "files");
			cJSON_AddItemToArray(arr, v);
		}
		if (!f[i].yanked)	/* a version is yanked when all its files are */
			cJSON_ReplaceItemInObject(v, "yanked", cJSON_CreateBool(0));
		cJSON_AddItemToArray(cJSON_GetObjectItem(v, "files"), file_json(a, &f[i]));
	}
	return arr;
}

/* The page at status; ask (consumed) is a change to confirm, or NULL. */
static int show(struct app *app, struct http_req *r, struct http_resp *w, int status,
		cJSON *ask, struct nb_err *e)
{
	const char *user = req_str(r, "user"), *index = req_str(r, "index");
	const char *project = pypi_normalize(r->a, req_str(r, "project"));
	struct pypi_index ix;
	struct pypi_file *f;
	long long bytes = 0;
	cJSON *d;
	int n, i;

	if (pypi_index_get(app, r->a, user, index, &ix, e) < 0 ||
	    (n = pypi_files_of(app, r->a, ix.id, project, &f, e)) < 0) {
		cJSON_Delete(ask);
		return -1;
	}
	if (n == 0) {
		cJSON_Delete(ask);
		return nb_fail(e, NB_NOT_FOUND, "no project %s on %s/%s", project, user, index);
	}
	for (i = 0; i < n; i++)
		bytes += f[i].size;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "owner", user);
	cJSON_AddStringToObject(d, "index", index);
	cJSON_AddStringToObject(d, "project", project);
	cJSON_AddBoolToObject(d, "volatile", ix.volatile_);
	cJSON_AddNumberToObject(d, "nfiles", n);
	cJSON_AddStringToObject(d, "size", admin_pypi_size(r->a, bytes));
	cJSON_AddItemToObject(d, "versions", versions_json(r->a, f, n));
	if (ask)
		cJSON_AddItemToObject(d, "ask", ask);
	else if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, status, "admin_pypi_project",
		   arena_printf(r->a, "%s on %s/%s", project, user, index), d);
	return 0;
}

int admin_pypi_project_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	return show(app, r, w, 200, NULL, e);
}

/* What a change form names: a version or one file of this project. */
struct target {
	struct pypi_index ix;
	const char *project, *version, *file, *what;
};

/* The form's version or file, found on this project; 0, or -1 with e. */
static int target_of(struct app *app, struct http_req *r, struct target *t, struct nb_err *e)
{
	struct pypi_file f;

	memset(t, 0, sizeof(*t));
	t->project = pypi_normalize(r->a, req_str(r, "project"));
	t->version = req_has(r, "version") ? req_str(r, "version") : NULL;
	t->file = req_has(r, "file") ? req_str(r, "file") : NULL;
	if (!t->version == !t->file)
		return nb_fail(e, NB_INVALID, "name a version or a file");
	if (pypi_index_get(app, r->a, req_str(r, "user"), req_str(r, "index"), &t->ix, e) < 0)
		return -1;
	if (t->file && (pypi_file_by_name(app, r->a, t->ix.id, t->file, &f, e) < 0 ||
			strcmp(f.project, t->project)))
		return nb_fail(e, NB_NOT_FOUND, "no file %s in project %s", t->file, t->project);
	t->what = arena_printf(r->a, "%s/%s %s %s", t->ix.user, t->ix.name, t->project,
			       t->file ? t->file : t->version);
	return 0;
}

/* The question the page asks before a change (hidden fields to send back). */
static cJSON *ask_json(const struct target *t, const char *action, int yank)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "action", action);
	cJSON_AddStringToObject(o, "route", !strcmp(action, "delete") ? "delete" : "yank");
	cJSON_AddStringToObject(o, "what", t->file ? t->file : t->version);
	cJSON_AddStringToObject(o, "key", t->file ? "file" : "version");
	cJSON_AddStringToObject(o, "value", t->file ? t->file : t->version);
	cJSON_AddStringToObject(o, "yank", yank ? "yes" : "no");
	cJSON_AddBoolToObject(o, "delete", !strcmp(action, "delete"));
	cJSON_AddBoolToObject(o, "pinned_warning", !t->ix.volatile_);
	return o;
}

/* Back to the project after a change, or to its index when it is gone. */
static void after(struct app *app, struct http_req *r, struct http_resp *w,
		  const struct target *t, const char *done)
{
	struct pypi_file *f;
	struct nb_err e;
	int left = pypi_files_of(app, r->a, t->ix.id, t->project, &f, &e);

	http_redirect(w, left > 0 ?
		      arena_printf(r->a, "/admin/pypi/%s/%s/%s?done=%s", t->ix.user, t->ix.name,
				   t->project, done) :
		      arena_printf(r->a, "/admin/pypi/%s/%s?done=%s", t->ix.user, t->ix.name,
				   done));
}

int admin_pypi_yank_run(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e)
{
	int yank = (int)req_int(r, "yank", 1), n;
	struct target t;

	if (target_of(app, r, &t, e) < 0)
		return -1;
	if (!req_int(r, "confirm", 0))
		return show(app, r, w, 200, ask_json(&t, yank ? "yank" : "unyank", yank), e);
	n = t.file ? pypi_ops_file_yank(app, t.ix.id, t.file, yank ? "" : NULL, e) :
	    pypi_version_yank(app, t.ix.id, t.project, t.version, yank ? "" : NULL, e);
	if (n < 0)
		return -1;
	if (n == 0)
		return nb_fail(e, NB_NOT_FOUND, "no version %s in project %s", t.version,
			       t.project);
	/* no page templates here: the pages go, pypi.fcgi rewrites them */
	if (t.file)
		pypi_static_reset(app);
	else
		pypi_static_project(app, NULL, t.ix.id, t.project);
	admin_audit(app, yank ? "pypi yank" : "pypi unyank", "%s (%d files)", t.what, n);
	after(app, r, w, &t, yank ? "yanked" : "unyanked");
	return 0;
}

int admin_pypi_delete_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	struct target t;
	int n;

	if (target_of(app, r, &t, e) < 0)
		return -1;
	if (!req_int(r, "confirm", 0))
		return show(app, r, w, 200, ask_json(&t, "delete", 0), e);
	n = t.file ? pypi_ops_file_del(app, t.ix.id, t.file, e) :
	    pypi_release_del(app, r->a, &t.ix, t.project, t.version, 1, e);
	if (n < 0)
		return -1;
	if (n == 0)
		return nb_fail(e, NB_NOT_FOUND, "nothing of %s to delete", t.what);
	if (t.file)	/* a release's pages went in pypi_release_del */
		pypi_static_reset(app);
	admin_audit(app, "pypi delete", "%s (%d files)", t.what, n);
	after(app, r, w, &t, "deleted");
	return 0;
}
