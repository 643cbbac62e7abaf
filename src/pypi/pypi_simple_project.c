/*
 * /pypi/{user}/{index}/+simple/{project}/: one project's page (PEP 503
 * HTML, PEP 691 JSON with the PEP 700 fields, PEP 658/714 core
 * metadata).  The page merges the index with its bases (pypi_resolve),
 * mirrors last (pypi_mirror.c fetches their pages); a project held by a
 * stage hides the mirrors' files of the same name unless whitelisted
 * (dependency confusion).  X-Nestbox-Mirror says how fresh the mirrors'
 * part is.  A name not in PEP 503
 * normal form redirects to the normal one.
 */
#include "pypi.h"
#include "../lib/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

/* "/pypi/{user}/{index}/+f/{h[:3]}/{h[3:16]}/{filename}" */
static char *file_url(struct arena *a, const struct pypi_file *f)
{
	char h3[4], h13[14];

	snprintf(h3, sizeof(h3), "%.3s", f->sha256);
	snprintf(h13, sizeof(h13), "%.13s", f->sha256 + 3);
	return arena_cat(a, PYPI_PREFIX "/", f->user, "/", f->index, "/+f/", h3, "/", h13, "/",
			 f->filename, NULL);
}

static int has_file(const struct pypi_file *v, int n, const char *filename)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].filename, filename))
			return 1;
	return 0;
}

/* Appends the files of v not yet in *all (by file name); the new count. */
static int merge(struct arena *a, struct pypi_file **all, int k, int *cap,
		 const struct pypi_file *v, int m)
{
	int j;

	for (j = 0; j < m; j++) {
		if (has_file(*all, k, v[j].filename))
			continue;
		if (k == *cap) {
			struct pypi_file *nv = arena_alloc(a, sizeof(*nv) *
							   (size_t)(*cap = *cap * 2 + 16));
			if (k)
				memcpy(nv, *all, sizeof(*nv) * (size_t)k);
			*all = nv;
		}
		(*all)[k++] = v[j];
	}
	return k;
}

/* 1 when a stage holding the project lets mirrors add to it: its
 * mirror_whitelist (or the asked index's) names it or "*". */
static int whitelisted(const struct pypi_index *ix, const struct pypi_index *stage,
		       const char *project)
{
	return pypi_list_has(ix->mirror_whitelist, project) ||
	       pypi_list_has(ix->mirror_whitelist, "*") ||
	       pypi_list_has(stage->mirror_whitelist, project) ||
	       pypi_list_has(stage->mirror_whitelist, "*");
}

/* The state of several mirrors in one header: the least fresh wins. */
static const char *worse(const char *have, const char *now)
{
	static const char *const order[] = { "fresh", "revalidated", "cached", "offline",
					     "stale" };
	int i, h = -1, n = -1;

	for (i = 0; i < 5; i++) {
		if (have && !strcmp(have, order[i]))
			h = i;
		if (!strcmp(now, order[i]))
			n = i;
	}
	return n > h ? now : have;
}

/*
 * The mirrors' files of a project on top of the stages' k files: none
 * when a stage holds the project and no holding stage whitelists it
 * (dependency confusion: a public name never shadows or joins a private
 * one).  A failing mirror fails the page only when no stage holds it.
 */
static int add_mirrors(struct app *app, struct arena *a, const struct pypi_index *ix,
		       const struct pypi_index *order, int n, const struct pypi_index *holder,
		       const char *project, struct pypi_file **all, int k, int *cap,
		       const char **state, struct nb_err *e)
{
	int i;

	if (holder && !whitelisted(ix, holder, project))
		return k;
	for (i = 0; i < n; i++) {
		struct pypi_file *v;
		const char *st = NULL;
		int m;
		if (strcmp(order[i].type, "mirror"))
			continue;
		if ((m = pypi_mirror_project(app, a, &order[i], project, &v, &st, e)) < 0) {
			if (k > 0)
				continue;	/* the stages' files still serve */
			return -1;
		}
		*state = worse(*state, st);
		k = merge(a, all, k, cap, v, m);
	}
	return k;
}

/*
 * The files of a project as the index ix shows them: its own, its stage
 * bases', then its mirrors' (the first index holding a file name wins).
 * *state is the mirrors' freshness (NULL: none asked).  The count (0:
 * no such project) or -1.
 */
static int collect(struct app *app, struct arena *a, const struct pypi_index *ix,
		   const char *project, struct pypi_file **out, const char **state,
		   struct nb_err *e)
{
	struct pypi_index *order;
	const struct pypi_index *holder = NULL;
	struct pypi_file *all = NULL;
	int n = pypi_resolve(app, a, ix, &order, e), i, k = 0, cap = 0;

	*state = NULL;
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct pypi_file *v;
		int m;
		if (strcmp(order[i].type, "stage"))
			continue;
		if ((m = pypi_files_of(app, a, order[i].id, project, &v, e)) < 0)
			return -1;
		if (m && (!holder || whitelisted(ix, &order[i], project)))
			holder = &order[i];
		k = merge(a, &all, k, &cap, v, m);
	}
	k = add_mirrors(app, a, ix, order, n, holder, project, &all, k, &cap, state, e);
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
	if (f->size >= 0)	/* a mirrored file not fetched yet may not say */
		cJSON_AddNumberToObject(o, "size", (double)f->size);
	if (f->uploaded_ms)
		cJSON_AddStringToObject(o, "upload-time", iso_time(a, f->uploaded_ms));
	return o;
}

static int vcmp(const void *x, const void *y)
{
	return version_cmp(*(const char *const *)x, *(const char *const *)y);
}

/* PEP 700 "versions": every version with a file, in version order. */
static cJSON *versions_json(const struct pypi_file *v, int n, struct arena *a)
{
	const char **s = arena_alloc(a, sizeof(*s) * (size_t)(n + 1));
	cJSON *arr = cJSON_CreateArray();
	int i, k = 0;

	for (i = 0; i < n; i++) {
		int j, dup = 0;
		for (j = 0, dup = !*v[i].version; j < k && !dup; j++)
			dup = !strcmp(s[j], v[i].version);
		if (!dup)
			s[k++] = v[i].version;
	}
	qsort(s, (size_t)k, sizeof(*s), vcmp);
	for (i = 0; i < k; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(s[i]));
	return arr;
}

/* The template's names: no '-' in a mustache tag. */
static void html_names(cJSON *f, const struct pypi_file *v)
{
	cJSON_AddBoolToObject(f, "is_yanked", v->yanked != NULL);
	cJSON_AddStringToObject(f, "yanked_reason", v->yanked ? v->yanked : "");
	cJSON_AddStringToObject(f, "sha256", v->sha256);
	cJSON_AddStringToObject(f, "requires_python", v->requires_python);
	cJSON_AddStringToObject(f, "core_metadata", v->metadata_sha256);
}

static int project_page(struct tmpl_set *set, struct arena *a, struct http_resp *w,
			enum pypi_fmt fmt, const char *project, struct pypi_file *v, int n,
			struct nb_err *e)
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
		cJSON *f = file_json(a, &v[i]);
		if (fmt == PYPI_HTML)
			html_names(f, &v[i]);
		cJSON_AddItemToArray(files, f);
	}
	if (fmt == PYPI_HTML)
		return pypi_render_html(set, w, "pypi-project", o, e);
	cJSON_AddItemToObject(o, "versions", versions_json(v, n, a));
	pypi_send_simple_json(w, o);
	return 0;
}

/* 1 when ix or one of its bases is a mirror (or the store cannot say:
 * then no copy is kept for the front end). */
static int has_mirror(struct app *app, struct arena *a, const struct pypi_index *ix)
{
	struct pypi_index *order;
	int n = pypi_resolve(app, a, ix, &order, NULL), i;

	if (n < 0)
		return 1;
	for (i = 0; i < n; i++)
		if (strcmp(order[i].type, "stage"))
			return 1;
	return 0;
}

int pypi_project_render(struct app *app, struct tmpl_set *set, struct arena *a,
			const struct pypi_index *ix, const char *project, enum pypi_fmt fmt,
			struct http_resp *w, int *dynamic, struct nb_err *e)
{
	struct pypi_file *v;
	const char *state;
	int n;

	*dynamic = has_mirror(app, a, ix);
	if ((n = collect(app, a, ix, project, &v, &state, e)) <= 0)
		return n;
	if (state)	/* how fresh the mirrors' part of the page is */
		http_set_header(w, "X-Nestbox-Mirror", state);
	return project_page(set, a, w, fmt, project, v, n, e) < 0 ? -1 : n;
}

/* The page's one URL: the normalized name, with its slash. */
static void redirect(struct http_req *r, struct http_resp *w)
{
	w->status = 301;
	http_set_header(w, "Location", arena_cat(r->a, PYPI_PREFIX "/", req_str(r, "user"), "/",
						 req_str(r, "index"), "/+simple/",
						 pypi_normalize(r->a, req_str(r, "project")),
						 "/", NULL));
}

/*
 * Whether the page kept from this miss's read is still what the store says
 * now.  A change that committed after that read, and removed or rewrote
 * the page before the miss linked its copy, would otherwise leave the
 * older page in place until the next change: read again after the link
 * (a new snapshot sees every change that removed the page first).
 */
static int still_current(struct app *app, struct http_req *r, const char *name,
			 enum pypi_fmt fmt, const struct http_resp *w)
{
	struct pypi *p = app->domain;
	struct pypi_index *fresh;
	struct http_resp now;
	struct nb_err e;
	int dynamic;

	http_resp_init(&now, r->a);
	db_read_end(app->db);
	db_read_begin(app->db);
	/* the index read again: its bases may have changed too */
	if (!(fresh = pypi_req_index(app, r, &e)) ||
	    pypi_project_render(app, p->tmpl, r->a, fresh, name, fmt, &now, &dynamic, &e) <= 0)
		return 0;
	return !dynamic && now.body.len == w->body.len &&
	       memcmp(now.body.p, w->body.p, w->body.len) == 0;
}

/* GET /pypi/{user}/{index}/+simple/{project}/ */
int pypi_simple_project(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e)
{
	const char *name = req_str(r, "project");
	struct pypi *p = app->domain;
	struct pypi_index *ix;
	enum pypi_fmt fmt;
	int n, dynamic;

	if (!pypi_is_normal(name)) {
		redirect(r, w);		/* pip follows it */
		return 0;
	}
	if (!(ix = pypi_req_index(app, r, e)))
		return -1;
	if ((fmt = pypi_negotiate(app, r, w)) == PYPI_NONE)
		return 0;
	db_read_begin(app->db);
	if ((n = pypi_project_render(app, p->tmpl, r->a, ix, name, fmt, w, &dynamic, e)) < 0)
		return -1;
	if (n == 0)
		return nb_fail(e, NB_NOT_FOUND, "no such project on this index or its bases");
	if (!dynamic && pypi_static_keep(app, r->a, ix, name, fmt, w) &&
	    !still_current(app, r, name, fmt, w))
		pypi_static_forget(app, r->a, ix, name, fmt);
	return 0;
}

/* GET /pypi/{user}/{index}/+simple/{project}: pip asks with the slash. */
int pypi_simple_project_redirect(struct app *app, struct http_req *r, struct http_resp *w,
				 struct nb_err *e)
{
	(void)app, (void)e;
	redirect(r, w);
	return 0;
}
