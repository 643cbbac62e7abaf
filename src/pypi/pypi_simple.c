/*
 * The simple API pip reads (PEP 503 HTML, PEP 691 JSON with the PEP 700
 * fields, PEP 658/714 core metadata) and the files under +f/.  A page
 * merges the index with its bases (pypi_resolve); a project held by a
 * stage hides the mirrors' files of the same name unless whitelisted
 * (dependency confusion).
 */
#include "pypi.h"
#include "../lib/tmpl.h"
#include "../lib/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#define JSON_TYPE "application/vnd.pypi.simple.v1+json"
#define HTML_TYPE "text/html; charset=utf-8"

/* "/pypi/{user}/{index}/+f/{h[:3]}/{h[3:16]}/{filename}" */
static char *file_url(struct arena *a, const struct pypi_file *f)
{
	char h3[4], h13[14];

	snprintf(h3, sizeof(h3), "%.3s", f->sha256);
	snprintf(h13, sizeof(h13), "%.13s", f->sha256 + 3);
	return arena_cat(a, PYPI_PREFIX "/", f->user, "/", f->index, "/+f/", h3, "/", h13, "/",
			 f->filename, NULL);
}

static int whitelisted(const struct pypi_index *ix, const char *project)
{
	return pypi_list_has(ix->mirror_whitelist, "*") ||
	       pypi_list_has(ix->mirror_whitelist, project);
}

static int has_file(const struct pypi_file *v, int n, const char *filename)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].filename, filename))
			return 1;
	return 0;
}

/*
 * The files of a project as the index ix shows them: its own, then its
 * bases' (the first index holding a file name wins).  Mirrors come last
 * and are skipped once a stage holds the project and neither that stage
 * nor ix whitelists it.  Returns the count (0: no such project).
 */
static int collect(struct app *app, struct arena *a, const struct pypi_index *ix,
		   const char *project, struct pypi_file **out)
{
	struct pypi_index *order;
	struct pypi_file *all = NULL;
	int n = pypi_resolve(app, a, ix, &order), i, k = 0, cap = 0, blocked = 0;

	for (i = 0; i < n; i++) {
		struct pypi_file *v;
		int m, j;
		if (strcmp(order[i].type, "stage")) {
			if (blocked)
				continue;
			/* mirrors: not served by this version (see README) */
			continue;
		}
		m = pypi_files_of(app, a, order[i].id, project, &v);
		if (m > 0 && !whitelisted(&order[i], project) && !whitelisted(ix, project))
			blocked = 1;
		for (j = 0; j < m; j++) {
			if (has_file(all, k, v[j].filename))
				continue;
			if (k == cap) {
				struct pypi_file *nv = arena_alloc(a, sizeof(*nv) * (size_t)(cap = cap * 2 + 16));
				if (k)
					memcpy(nv, all, sizeof(*nv) * (size_t)k);
				all = nv;
			}
			all[k++] = v[j];
		}
	}
	*out = all;
	return k;
}

static char *iso_time(struct arena *a, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[40];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	return arena_printf(a, "%s.%03lldZ", s, ms % 1000);
}

static void add_yanked(cJSON *o, const struct pypi_file *f)
{
	if (!f->yanked)
		cJSON_AddFalseToObject(o, "yanked");
	else if (!*f->yanked)
		cJSON_AddTrueToObject(o, "yanked");
	else
		cJSON_AddStringToObject(o, "yanked", f->yanked);
}

static cJSON *file_json(struct arena *a, const struct pypi_file *f)
{
	cJSON *o = cJSON_CreateObject(), *h;

	cJSON_AddStringToObject(o, "filename", f->filename);
	cJSON_AddStringToObject(o, "url", file_url(a, f));
	h = cJSON_AddObjectToObject(o, "hashes");
	cJSON_AddStringToObject(h, "sha256", f->sha256);
	if (*f->requires_python)
		cJSON_AddStringToObject(o, "requires-python", f->requires_python);
	add_yanked(o, f);
	if (*f->metadata_sha256) {
		h = cJSON_AddObjectToObject(o, "core-metadata");
		cJSON_AddStringToObject(h, "sha256", f->metadata_sha256);
	} else {
		cJSON_AddFalseToObject(o, "core-metadata");
	}
	cJSON_AddNumberToObject(o, "size", (double)f->size);
	cJSON_AddStringToObject(o, "upload-time", iso_time(a, f->uploaded_ms));
	return o;
}

static int vcmp(const void *x, const void *y)
{
	return version_cmp(*(const char *const *)x, *(const char *const *)y);
}

static int scmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* PEP 700 "versions": every version with a file, in version order. */
static cJSON *versions_json(const struct pypi_file *v, int n, struct arena *a)
{
	const char **s = arena_alloc(a, sizeof(*s) * (size_t)(n + 1));
	cJSON *arr = cJSON_CreateArray();
	int i, k = 0;

	for (i = 0; i < n; i++) {
		int j, dup = 0;
		for (j = 0; j < k && !dup; j++)
			dup = !strcmp(s[j], v[i].version);
		if (!dup)
			s[k++] = v[i].version;
	}
	qsort(s, (size_t)k, sizeof(*s), vcmp);
	for (i = 0; i < k; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(s[i]));
	return arr;
}

static void send_json(struct http_resp *w, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	http_bytes(w, 200, JSON_TYPE, s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
}

static void send_html(struct app *app, struct http_resp *w, const char *tmpl, cJSON *data)
{
	struct pypi *p = app->domain;
	char err[256];

	w->status = 200;
	if (tmpl_render(p->tmpl, tmpl, data, &w->body, err, sizeof(err)) < 0) {
		cJSON_Delete(data);
		fprintf(stderr, "nestbox[pypi]: template %s: %s\n", tmpl, err);
		app_error(app, w, 500, "page template broken");
		return;
	}
	cJSON_Delete(data);
	http_set_header(w, "Content-Type", HTML_TYPE);
	w->has_type = 1;
}

/* The format by Accept (with Vary), or NONE after a 406. */
static enum pypi_fmt negotiate(struct app *app, struct http_req *r, struct http_resp *w)
{
	enum pypi_fmt f = pypi_accept(http_header(r, "Accept"));

	http_set_header(w, "Vary", "Accept");
	if (f == PYPI_NONE)
		app_error(app, w, 406, "this index serves " JSON_TYPE " and text/html");
	return f;
}

static void project_page(struct app *app, struct http_req *r, struct http_resp *w,
			 enum pypi_fmt fmt, const char *project, struct pypi_file *v, int n)
{
	cJSON *o = cJSON_CreateObject(), *files;
	int i;

	if (fmt == PYPI_JSON) {
		cJSON *meta = cJSON_AddObjectToObject(o, "meta");
		cJSON_AddStringToObject(meta, "api-version", "1.1");
	}
	cJSON_AddStringToObject(o, "name", project);
	files = cJSON_AddArrayToObject(o, "files");
	for (i = 0; i < n; i++) {
		cJSON *f = file_json(r->a, &v[i]);
		if (fmt == PYPI_HTML) {
			/* the template's names: no '-' in a mustache tag */
			cJSON_AddBoolToObject(f, "is_yanked", v[i].yanked != NULL);
			cJSON_AddStringToObject(f, "yanked_reason", v[i].yanked ? v[i].yanked : "");
			cJSON_AddStringToObject(f, "sha256", v[i].sha256);
			cJSON_AddStringToObject(f, "requires_python", v[i].requires_python);
			cJSON_AddStringToObject(f, "core_metadata", v[i].metadata_sha256);
		}
		cJSON_AddItemToArray(files, f);
	}
	if (fmt == PYPI_JSON) {
		cJSON_AddItemToObject(o, "versions", versions_json(v, n, r->a));
		send_json(w, o);
	} else {
		send_html(app, w, "pypi-project", o);
	}
}

/* GET /pypi/{user}/{index}/+simple/{project}/ */
void pypi_simple_project(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *name = http_param(r, "project");
	struct pypi_index *ix;
	struct pypi_file *v;
	enum pypi_fmt fmt;
	int n;

	if (!pypi_is_normal(name)) {
		/* pip follows the redirect; the page has one URL per project */
		w->status = 301;
		http_set_header(w, "Location", arena_cat(r->a, PYPI_PREFIX "/", http_param(r, "user"),
				"/", http_param(r, "index"), "/+simple/",
				pypi_normalize(r->a, name), "/", NULL));
		return;
	}
	if (!(ix = pypi_req_index(app, r, w)) || (fmt = negotiate(app, r, w)) == PYPI_NONE)
		return;
	db_read_begin(app->db);
	n = collect(app, r->a, ix, name, &v);
	if (n <= 0) {
		app_error(app, w, 404, "no such project on this index or its bases");
		return;
	}
	project_page(app, r, w, fmt, name, v, n);
}

/* The sorted, distinct project names of ix and its stage bases. */
static cJSON *project_names(struct app *app, struct arena *a, const struct pypi_index *ix)
{
	struct pypi_index *order;
	int n = pypi_resolve(app, a, ix, &order), i;
	cJSON *arr = cJSON_CreateArray();
	const char **all = NULL;
	size_t k = 0, cap = 0, j;

	for (i = 0; i < n; i++) {
		const char **p;
		if (strcmp(order[i].type, "stage"))
			continue;
		for (p = pypi_projects_of(app, a, order[i].id); *p; p++) {
			if (k == cap) {
				const char **nv = arena_alloc(a, sizeof(*nv) * (cap = cap * 2 + 32));
				if (k)
					memcpy(nv, all, sizeof(*nv) * k);
				all = nv;
			}
			all[k++] = *p;
		}
	}
	if (k)
		qsort(all, k, sizeof(*all), scmp);
	for (j = 0; j < k; j++)
		if (j == 0 || strcmp(all[j], all[j - 1]))
			cJSON_AddItemToArray(arr, cJSON_CreateString(all[j]));
	return arr;
}

void pypi_project_list(struct app *app, struct http_req *r, struct http_resp *w,
		       const struct pypi_index *ix, enum pypi_fmt fmt)
{
	cJSON *o = cJSON_CreateObject(), *names;

	db_read_begin(app->db);
	names = project_names(app, r->a, ix);
	if (fmt == PYPI_JSON) {
		cJSON *meta = cJSON_AddObjectToObject(o, "meta"), *projects, *it;
		cJSON_AddStringToObject(meta, "api-version", "1.1");
		projects = cJSON_AddArrayToObject(o, "projects");
		cJSON_ArrayForEach(it, names) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "name", it->valuestring);
			cJSON_AddItemToArray(projects, p);
		}
		cJSON_Delete(names);
		send_json(w, o);
		return;
	}
	cJSON_AddStringToObject(o, "index", arena_cat(r->a, ix->user, "/", ix->name, NULL));
	cJSON_AddItemToObject(o, "projects", names);
	send_html(app, w, "pypi-projects", o);
}

/* GET /pypi/{user}/{index}/+simple/ */
void pypi_simple_root(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_index *ix;
	enum pypi_fmt fmt;

	if (!(ix = pypi_req_index(app, r, w)) || (fmt = negotiate(app, r, w)) == PYPI_NONE)
		return;
	pypi_project_list(app, r, w, ix, fmt);
}

/* /+simple and /+simple/{project} without their slash: pip asks with one. */
void pypi_simple_redirect(struct app *app, struct http_req *r, struct http_resp *w)
{
	(void)app;
	w->status = 301;
	http_set_header(w, "Location", arena_cat(r->a, r->raw_path, "/", NULL));
}

/* The file (or, for "<file>.metadata", its core metadata) a +f/ URL names. */
static int find_file(struct app *app, struct http_req *r, long long index_id,
		     struct pypi_file *f, int *metadata)
{
	const char *name = http_param(r, "filename");
	size_t n = strlen(name);

	*metadata = 0;
	if (pypi_file_by_name(app, r->a, index_id, name, f) == 0)
		return 0;
	if (n > 9 && !strcmp(name + n - 9, ".metadata") &&
	    pypi_file_by_name(app, r->a, index_id, arena_strndup(r->a, name, n - 9), f) == 0 &&
	    *f->metadata_sha256) {
		*metadata = 1;
		return 0;
	}
	return -1;
}

/* GET /pypi/{user}/{index}/+f/{h[:3]}/{h[3:16]}/{filename}[.metadata] */
void pypi_file_get(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi *p = app->domain;
	struct pypi_index *ix;
	struct pypi_file f;
	char path[PATH_MAX];
	int metadata;

	if (!(ix = pypi_req_index(app, r, w)))
		return;
	if (find_file(app, r, ix->id, &f, &metadata) < 0 ||
	    strncmp(f.sha256, http_param(r, "h3"), 3) ||
	    strncmp(f.sha256 + 3, http_param(r, "h13"), 13)) {
		app_error(app, w, 404, "no such file on this index");
		return;
	}
	blob_path(&app->blobs, metadata ? f.metadata_sha256 : f.sha256, path, sizeof(path));
	/* the URL names the content: it never changes */
	http_set_header(w, "Cache-Control", "max-age=365000000, immutable, public");
	if (http_file(r, w, path, metadata ? "text/plain; charset=utf-8" :
		      "application/octet-stream", p->xsendfile) != 0)
		app_error(app, w, 404, "the file is missing from the blob store");
}
