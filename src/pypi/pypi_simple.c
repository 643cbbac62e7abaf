/*
 * /pypi/{user}/{index}/+simple/: the project list pip reads (PEP 503
 * HTML, PEP 691 JSON chosen by Accept), merged over the index and its
 * stage bases, or a mirror index's upstream list (pypi_mirror.c);
 * /+simple without its slash redirects.  Also what every
 * simple page shares: the negotiation and the two ways out.
 */
#include "pypi.h"
#include "../lib/tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define HTML_TYPE "text/html; charset=utf-8"

void pypi_send_simple_json(struct http_resp *w, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	http_bytes(w, 200, PYPI_JSON_TYPE, s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
}

int pypi_send_html(struct app *app, struct http_resp *w, const char *tmpl, cJSON *data,
		   struct nb_err *e)
{
	struct pypi *p = app->domain;

	return pypi_render_html(p->tmpl, w, tmpl, data, e);
}

int pypi_render_html(struct tmpl_set *set, struct http_resp *w, const char *tmpl, cJSON *data,
		     struct nb_err *e)
{
	struct nb_err te;
	int rc;

	w->status = 200;
	rc = tmpl_render(set, tmpl, data, &w->body, &te);
	cJSON_Delete(data);
	if (rc < 0) {
		fprintf(stderr, "nestbox[pypi]: template %s: %s\n", tmpl, te.msg);
		return nb_fail(e, NB_INTERNAL, "page template broken");
	}
	http_set_header(w, "Content-Type", HTML_TYPE);
	w->has_type = 1;
	return 0;
}

enum pypi_fmt pypi_negotiate(struct app *app, struct http_req *r, struct http_resp *w)
{
	enum pypi_fmt f = pypi_accept(http_header(r, "Accept"));
	struct nb_err e;

	if (f == PYPI_NONE) {
		nb_fail(&e, NB_NOT_ACCEPTABLE, "this index serves " PYPI_JSON_TYPE " and text/html");
		pypi_fail_header(app, r, w, &e, "Vary", "Accept");
	} else {
		http_set_header(w, "Vary", "Accept");
	}
	return f;
}

static int scmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Appends the project names of one index to *all (n, cap grown in a). */
static int add_names(struct app *app, struct arena *a, long long id, const char ***all,
		     size_t *n, size_t *cap, struct nb_err *e)
{
	const char **p;

	if (pypi_projects_of(app, a, id, &p, e) < 0)
		return -1;
	for (; *p; p++) {
		if (*n == *cap) {
			const char **nv = arena_alloc(a, sizeof(*nv) * (*cap = *cap * 2 + 32));
			if (*n)
				memcpy(nv, *all, sizeof(*nv) * *n);
			*all = nv;
		}
		(*all)[(*n)++] = *p;
	}
	return 0;
}

/* The sorted, distinct project names of ix and its stage bases. */
static cJSON *project_names(struct app *app, struct arena *a, const struct pypi_index *ix,
			    struct nb_err *e)
{
	struct pypi_index *order;
	int n = pypi_resolve(app, a, ix, &order, e), i;
	const char **all = NULL;
	size_t k = 0, cap = 0, j;
	cJSON *arr;

	if (n < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (!strcmp(order[i].type, "stage") &&
		    add_names(app, a, order[i].id, &all, &k, &cap, e) < 0)
			return NULL;
	if (k)
		qsort(all, k, sizeof(*all), scmp);
	arr = cJSON_CreateArray();
	for (j = 0; j < k; j++)
		if (j == 0 || strcmp(all[j], all[j - 1]))
			cJSON_AddItemToArray(arr, cJSON_CreateString(all[j]));
	return arr;
}

static void names_json(struct http_resp *w, cJSON *names)
{
	cJSON *o = cJSON_CreateObject(), *meta, *projects, *it;

	meta = cJSON_AddObjectToObject(o, "meta");
	cJSON_AddStringToObject(meta, "api-version", "1.1");
	projects = cJSON_AddArrayToObject(o, "projects");
	cJSON_ArrayForEach(it, names) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", it->valuestring);
		cJSON_AddItemToArray(projects, p);
	}
	cJSON_Delete(names);
	pypi_send_simple_json(w, o);
}

int pypi_project_list(struct app *app, struct http_req *r, struct http_resp *w,
		      const struct pypi_index *ix, enum pypi_fmt fmt, struct nb_err *e)
{
	cJSON *o, *names;

	db_read_begin(app->db);
	if (!strcmp(ix->type, "mirror")) {
		const char **v, *state;
		if (pypi_mirror_names(app, r->a, ix, &v, &state, e) < 0)
			return -1;
		http_set_header(w, "X-Nestbox-Mirror", state);
		names = cJSON_CreateArray();
		for (; *v; v++)
			cJSON_AddItemToArray(names, cJSON_CreateString(*v));
	} else if (!(names = project_names(app, r->a, ix, e))) {
		return -1;
	}
	if (fmt == PYPI_JSON) {
		names_json(w, names);
		return 0;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "index", arena_cat(r->a, ix->user, "/", ix->name, NULL));
	cJSON_AddItemToObject(o, "projects", names);
	return pypi_send_html(app, w, "pypi-projects", o, e);
}

/* GET /pypi/{user}/{index}/+simple/ */
int pypi_simple_root(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e)
{
	struct pypi_index *ix = pypi_req_index(app, r, e);
	enum pypi_fmt fmt;

	if (!ix)
		return -1;
	if ((fmt = pypi_negotiate(app, r, w)) == PYPI_NONE)
		return 0;
	return pypi_project_list(app, r, w, ix, fmt, e);
}

/* GET /pypi/{user}/{index}/+simple: pip asks with the slash. */
int pypi_simple_redirect(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	(void)app, (void)e;
	w->status = 301;
	http_set_header(w, "Location", arena_cat(r->a, PYPI_PREFIX "/", req_str(r, "user"), "/",
						 req_str(r, "index"), "/+simple/", NULL));
	return 0;
}
