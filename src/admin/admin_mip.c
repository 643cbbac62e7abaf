/* The mip index's pages: packages, cache, upstream status; publish. */
#include "admin.h"
#include "admin_upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Each list of the page as JSON, or NULL with e when the store cannot
 * read it (the page is then a 503, never an empty list). */
static cJSON *hosted(struct app *app, struct http_req *r, long limit, long off,
		     struct nb_err *e)
{
	struct mip_hosted_row *h;
	int n = mip_hosted_list(app, r->a, MIP_HOSTED_NEWEST, limit, off, &h, e);
	cJSON *arr;

	if (n < 0)
		return NULL;
	arr = cJSON_CreateArray();

	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", h[i].name);
		cJSON_AddStringToObject(o, "version", h[i].version);
		cJSON_AddNumberToObject(o, "files", h[i].files);
		cJSON_AddNumberToObject(o, "size", (double)h[i].size);
		cJSON_AddStringToObject(o, "published", admin_when(r->a, h[i].published));
		cJSON_AddStringToObject(o, "description", h[i].description);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *cached(struct app *app, struct http_req *r, long limit, long off,
		     struct nb_err *e)
{
	struct mip_cached_row *c;
	int n = mip_cached_list(app, r->a, limit, off, &c, e);
	cJSON *arr;
	time_t now = time(NULL);

	if (n < 0)
		return NULL;
	arr = cJSON_CreateArray();

	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "origin", c[i].origin);
		cJSON_AddStringToObject(o, "name", c[i].name);
		cJSON_AddStringToObject(o, "flavour", c[i].flavour);
		cJSON_AddStringToObject(o, "version", c[i].version);
		cJSON_AddStringToObject(o, "fetched", admin_when(r->a, c[i].fetched));
		cJSON_AddBoolToObject(o, "stale", c[i].expires <= (long long)now);
		cJSON_AddNumberToObject(o, "bytes", (double)c[i].bytes);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *upstreams(struct app *app, struct http_req *r, struct nb_err *e)
{
	struct mip_upstream_row *u;
	int n = mip_upstream_list(app, r->a, &u, e);
	cJSON *arr;

	if (n < 0)
		return NULL;
	arr = cJSON_CreateArray();

	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "origin", u[i].origin);
		cJSON_AddStringToObject(o, "last_ok", admin_when(r->a, u[i].last_ok));
		cJSON_AddStringToObject(o, "last_error", admin_when(r->a, u[i].last_error));
		cJSON_AddBoolToObject(o, "failing", u[i].last_error > u[i].last_ok);
		cJSON_AddStringToObject(o, "error", u[i].error);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

int admin_mip_run(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct admin *ad = app->domain;
	struct mip_counts n;
	cJSON *d, *h, *c = NULL, *u = NULL;
	long hoff, coff;

	/* counts the store could not read are a 503, never a page of zeros */
	if (mip_counts(app, &n, e) < 0)
		return -1;
	d = cJSON_CreateObject();
	hoff = admin_paginate(app, r, d, "hpage", "hosted", (long)n.hosted);
	coff = admin_paginate(app, r, d, "cpage", "cached", (long)n.cached);
	if (!(h = hosted(app, r, admin_page_size(app), hoff, e)) ||
	    !(c = cached(app, r, admin_page_size(app), coff, e)) || !(u = upstreams(app, r, e))) {
		cJSON_Delete(h);
		cJSON_Delete(c);
		cJSON_Delete(d);
		return -1;
	}
	cJSON_AddItemToObject(d, "hosted", h);
	cJSON_AddItemToObject(d, "cached", c);
	cJSON_AddItemToObject(d, "upstreams", u);
	cJSON_AddNumberToObject(d, "cache_files", (double)n.cache_files);
	cJSON_AddNumberToObject(d, "cache_bytes", (double)n.cache_bytes);
	cJSON_AddNumberToObject(d, "cache_max", (double)ad->mip.set.cache_max);
	cJSON_AddStringToObject(d, "upstream", ad->mip.set.upstream);
	cJSON_AddBoolToObject(d, "offline", ad->mip.set.offline);
	if (ad->mip.cc.ok)
		cJSON_AddStringToObject(d, "compiler", ad->mip.cc.version);
	else
		cJSON_AddStringToObject(d, "compiler_missing", ad->mip.cc.why);
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, 200, "mip", "MicroPython packages", d);
	return 0;
}

static const char *const publish_fields[] = { "name", "version", "description" };

/* The field a refused publish is drawn beside (admin_form.c): the name or
 * the version mip_publish judged first (rules and limits of mip.h), the
 * version for one published already, else the package file. */
static void publish_refused_field(struct app *app, const char *name, const char *version,
				  const struct nb_err *e)
{
	if (strlen(name) > MIP_NAME_MAX || !mip_name_ok(name))
		admin_form_field(app, "name");
	else if (e->kind == NB_CONFLICT || strlen(version) > MIP_VERSION_MAX ||
		 !mip_version_ok(version) || !strcmp(version, "latest"))
		admin_form_field(app, "version");
	else
		admin_form_field(app, "file");
}

/* The upload's sink: its bytes into memory as they arrive (mip.h's
 * struct mip_upload), published from there: no staging file. */
static int up_write(void *ctx, const char *p, size_t n, struct nb_err *e)
{
	return mip_upload_add(ctx, p, n, e);
}

/* POST /admin/mip: a multipart form (name, version, description, file). */
int admin_mip_publish_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	struct admin *ad = app->domain;
	char val[3][ADMIN_FIELD_MAX + 1];
	struct mip_upload up = { NULL, 0, 0 };
	struct admin_sink sink = { NULL, up_write, NULL, &up };
	int rc = admin_form_stream(app, r, publish_fields, 3, val, &sink, e);

	if (rc == 0)
		rc = mip_publish_upload(app, &ad->mip, &up, NULL, val[0], val[1], val[2], e);
	mip_upload_free(&up);
	if (rc < 0) {
		publish_refused_field(app, val[0], val[1], e);
		return -1;
	}
	http_redirect(w, arena_printf(r->a, "/admin/mip?done=published+%s+%s", val[0], val[1]));
	return 0;
}

int admin_mip_refresh_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	(void)r;
	if (mip_expire_all(app, e) < 0)
		return -1;
	http_redirect(w, "/admin/mip?done=cached+packages+will+be+fetched+again");
	return 0;
}

int admin_mip_evict_run(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e)
{
	long long freed = mip_evict(app, 0, NULL, e);

	if (freed < 0 || mip_expire_all(app, e) < 0)
		return -1;
	http_redirect(w, arena_printf(r->a, "/admin/mip?done=evicted+%lld+bytes", freed));
	return 0;
}

int admin_api_mip_packages_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	cJSON *o, *h, *c = NULL;

	if (!(h = hosted(app, r, admin_page_size(app), 0, e)) ||
	    !(c = cached(app, r, admin_page_size(app), 0, e))) {
		cJSON_Delete(h);
		return -1;
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "hosted", h);
	cJSON_AddItemToObject(o, "cached", c);
	admin_json(w, 200, o);
	return 0;
}


/* PUT or POST an archive (or one .py file), raw or as a form's "file" part:
 * ?name=&version=[&description=][&file=] */
int admin_api_mip_publish_run(struct app *app, struct http_req *r, struct http_resp *w,
			      struct nb_err *e)
{
	struct admin *ad = app->domain;
	const char *name = req_str(r, "name"), *version = req_str(r, "version");
	struct mip_upload up = { NULL, 0, 0 };
	struct admin_sink sink = { NULL, up_write, NULL, &up };
	int rc = admin_api_stream(app, r, &sink, e);
	cJSON *o;

	/* a single source file's name travels as an argument (?file=) */
	if (rc == 0)
		rc = mip_publish_upload(app, &ad->mip, &up, req_str(r, "file"), name, version,
					req_str(r, "description"), e);
	mip_upload_free(&up);
	if (rc < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "version", version);
	admin_json(w, 201, o);
	return 0;
}
