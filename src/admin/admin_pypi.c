/*
 * The Python index's indexes (admin_pypi.h): the list, one index with its
 * projects, and its devpi config saved from a form through the same rules
 * as devpi's PATCH (pypi_index_config).
 */
#include "admin_pypi.h"
#include "admin_audit.h"
#include "admin_upload.h"
#include "../pypi/pypi_ops.h"

#include <stdio.h>
#include <string.h>

const char *admin_pypi_size(struct arena *a, long long v)
{
	if (v >= 1 << 30)
		return arena_printf(a, "%.1f GiB", (double)v / (1 << 30));
	if (v >= 1 << 20)
		return arena_printf(a, "%.1f MiB", (double)v / (1 << 20));
	if (v >= 1 << 10)
		return arena_printf(a, "%.1f KiB", (double)v / (1 << 10));
	return arena_printf(a, "%lld B", v);
}

/* "a,b" as "a, b" for reading (and editing: the config takes either). */
static const char *list_text(struct arena *a, const char *list)
{
	struct buf b;
	const char *p;

	buf_init(&b, a);
	for (p = list; *p; p++)
		buf_printf(&b, *p == ',' ? ", " : "%c", *p);
	return buf_cstr(&b);
}

/* One index as the pages show it: config, and its counts when stats. */
static cJSON *index_json(struct app *app, struct arena *a, const struct pypi_index *ix,
			 int stats)
{
	cJSON *o = cJSON_CreateObject();
	struct pypi_index_stats s = { 0, 0, 0 };
	struct nb_err e;

	cJSON_AddStringToObject(o, "owner", ix->user);
	cJSON_AddStringToObject(o, "name", ix->name);
	cJSON_AddStringToObject(o, "type", ix->type);
	cJSON_AddBoolToObject(o, "mirror", !strcmp(ix->type, "mirror"));
	cJSON_AddBoolToObject(o, "volatile", ix->volatile_);
	cJSON_AddStringToObject(o, "bases", list_text(a, ix->bases));
	cJSON_AddStringToObject(o, "acl_upload", list_text(a, ix->acl_upload));
	cJSON_AddStringToObject(o, "mirror_whitelist", list_text(a, ix->mirror_whitelist));
	cJSON_AddStringToObject(o, "mirror_url", ix->mirror_url);
	cJSON_AddNumberToObject(o, "mirror_cache_expiry", (double)ix->mirror_cache_expiry);
	cJSON_AddStringToObject(o, "title", ix->title);
	if (stats && pypi_ops_index_stats(app, ix->id, &s, &e) == 0) {
		cJSON_AddNumberToObject(o, "projects", (double)s.projects);
		cJSON_AddNumberToObject(o, "files", (double)s.files);
		cJSON_AddStringToObject(o, "size", admin_pypi_size(a, s.bytes));
	}
	return o;
}

int admin_pypi_indexes_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	struct pypi_index *v;
	cJSON *d, *arr;
	int n, i;

	if ((n = pypi_index_list(app, r->a, NULL, &v, e)) < 0)
		return -1;
	d = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(d, "indexes");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, index_json(app, r->a, &v[i], 1));
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, 200, "admin_pypi", "Python index", d);
	return 0;
}

/* A project row of the index page: its newest version, files and size. */
static cJSON *project_json(struct app *app, struct arena *a, const struct pypi_index *ix,
			   const char *project)
{
	cJSON *o = cJSON_CreateObject();
	struct pypi_file *f;
	struct nb_err e;
	long long bytes = 0;
	int n, i;

	n = pypi_files_of(app, a, ix->id, project, &f, &e);
	cJSON_AddStringToObject(o, "name", project);
	cJSON_AddStringToObject(o, "href", arena_printf(a, "/admin/pypi/%s/%s/%s", ix->user,
							ix->name, project));
	for (i = 0; i < n; i++)
		bytes += f[i].size;
	cJSON_AddNumberToObject(o, "files", n > 0 ? n : 0);
	cJSON_AddStringToObject(o, "latest", n > 0 ? f[n - 1].version : "");
	cJSON_AddStringToObject(o, "size", admin_pypi_size(a, bytes));
	return o;
}

/* The config form's fields, as devpi names them (the form's input names). */
static const char *const config_fields[] = { "type", "volatile", "bases", "acl_upload",
					     "mirror_whitelist", "mirror_url",
					     "mirror_cache_expiry", "title", NULL };

/*
 * The config form's values: ix's, its two selects as typed when the form
 * is drawn again after a refusal (the POST's fields; a GET has none).
 * The text inputs' typed values come with the refusal (admin_form.c's
 * f_pypi_config.v): the template prefers them.  "placed": the refusal
 * is drawn beside one of the fields.
 */
static cJSON *form_json(struct app *app, struct http_req *r, const struct pypi_index *ix)
{
	cJSON *o = index_json(app, r->a, ix, 0);
	int i, placed = 0;

	for (i = 0; config_fields[i]; i++)
		placed |= admin_form_field_is(app, config_fields[i]);
	/* a refusal about no one field is drawn above the form */
	cJSON_AddBoolToObject(o, "placed", placed);
	if (req_has(r, "type"))
		cJSON_ReplaceItemInObjectCaseSensitive(
			o, "mirror", cJSON_CreateBool(!strcmp(req_str(r, "type"), "mirror")));
	if (req_has(r, "volatile"))
		cJSON_ReplaceItemInObjectCaseSensitive(
			o, "volatile", cJSON_CreateBool(!strcmp(req_str(r, "volatile"), "true")));
	return o;
}

static int index_page(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e)
{
	const char *user = req_str(r, "user"), *name = req_str(r, "index");
	struct pypi_index ix;
	const char **p;
	cJSON *d, *arr;

	if (pypi_index_get(app, r->a, user, name, &ix, e) < 0 ||
	    pypi_projects_of(app, r->a, ix.id, &p, e) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "index", index_json(app, r->a, &ix, 1));
	cJSON_AddItemToObject(d, "form", form_json(app, r, &ix));
	arr = cJSON_AddArrayToObject(d, "projects");
	for (; *p; p++)
		cJSON_AddItemToArray(arr, project_json(app, r->a, &ix, *p));
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, 200, "admin_pypi_index",
		   arena_printf(r->a, "Index %s/%s", user, name), d);
	return 0;
}

int admin_pypi_index_run(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	return index_page(app, r, w, e);
}

/* The form's fields as devpi's config object (an empty mirror_url of a
 * stage is no key: the rule wants a URL when one is given). */
static cJSON *form_config(struct http_req *r)
{
	cJSON *o = cJSON_CreateObject();
	int i;

	for (i = 0; config_fields[i]; i++) {
		const char *k = config_fields[i];
		/* the text keys; mirror_url and mirror_cache_expiry are below */
		if (strcmp(k, "mirror_url") && strcmp(k, "mirror_cache_expiry") && req_has(r, k))
			cJSON_AddItemToObject(o, k, pypi_config_text_value(k, req_str(r, k)));
	}
	if (req_has(r, "mirror_url") && *req_str(r, "mirror_url"))
		cJSON_AddStringToObject(o, "mirror_url", req_str(r, "mirror_url"));
	if (req_has(r, "mirror_cache_expiry"))
		cJSON_AddNumberToObject(o, "mirror_cache_expiry",
					(double)req_int(r, "mirror_cache_expiry", 1800));
	return o;
}

/*
 * The form field a refusal of pypi_index_config is about: the first
 * config key its message names (its contract: "NB_INVALID naming the
 * key"), "base" counting as bases; NULL when it names none.
 */
static const char *config_field(const char *msg)
{
	const char *p = msg;
	size_t n;
	int i;

	for (; *p; p += n ? n : 1) {
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
		if (n == 4 && !strncmp(p, "base", 4))
			return "bases";
		for (i = 0; n && config_fields[i]; i++)
			if (strlen(config_fields[i]) == n && !strncmp(p, config_fields[i], n))
				return config_fields[i];
	}
	return NULL;
}

int admin_pypi_index_save_run(struct app *app, struct http_req *r, struct http_resp *w,
			      struct nb_err *e)
{
	const char *user = req_str(r, "user"), *name = req_str(r, "index");
	struct pypi_index ix;
	cJSON *o;
	int rc;

	if (pypi_index_get(app, r->a, user, name, &ix, e) < 0)
		return -1;
	o = form_config(r);
	rc = pypi_index_config(app, r->a, &ix, o, e);
	cJSON_Delete(o);
	if (rc < 0) {
		/* drawn again by admin_run (admin_form.c), the message beside its field */
		admin_form_field(app, config_field(e->msg));
		return -1;
	}
	if (pypi_index_put(app, &ix, 0, e) < 0)
		return -1;
	pypi_static_reset(app);		/* its bases or type may have changed */
	admin_audit(app, "pypi index modify", "%s/%s: type %s, bases %s, volatile %s, "
		    "acl_upload %s", user, name, ix.type, *ix.bases ? ix.bases : "none",
		    ix.volatile_ ? "yes" : "no", *ix.acl_upload ? ix.acl_upload : "none");
	http_redirect(w, arena_printf(r->a, "/admin/pypi/%s/%s?done=config+saved", user, name));
	return 0;
}
