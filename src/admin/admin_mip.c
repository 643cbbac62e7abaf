/* The mip index's pages: packages, cache, upstream status; publish. */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static cJSON *hosted(struct app *app, struct http_req *r, long limit, long off)
{
	struct mip_hosted_row *h;
	int n = mip_hosted_list(app, r->a, MIP_HOSTED_NEWEST, limit, off, &h);
	cJSON *arr = cJSON_CreateArray();

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

static cJSON *cached(struct app *app, struct http_req *r, long limit, long off)
{
	struct mip_cached_row *c;
	int n = mip_cached_list(app, r->a, limit, off, &c);
	cJSON *arr = cJSON_CreateArray();
	time_t now = time(NULL);

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

static cJSON *upstreams(struct app *app, struct http_req *r)
{
	struct mip_upstream_row *u;
	int n = mip_upstream_list(app, r->a, &u);
	cJSON *arr = cJSON_CreateArray();

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

void admin_mip(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	cJSON *d = cJSON_CreateObject();
	long hoff = admin_paginate(app, r, d, "hpage", "hosted", (long)mip_hosted_count(app));
	long coff = admin_paginate(app, r, d, "cpage", "cached", (long)mip_cached_count(app));
	struct mip_cache_use use = mip_cache_use(app);

	cJSON_AddItemToObject(d, "hosted", hosted(app, r, admin_page_size(app), hoff));
	cJSON_AddItemToObject(d, "cached", cached(app, r, admin_page_size(app), coff));
	cJSON_AddItemToObject(d, "upstreams", upstreams(app, r));
	cJSON_AddNumberToObject(d, "cache_files", (double)use.files);
	cJSON_AddNumberToObject(d, "cache_bytes", (double)use.bytes);
	cJSON_AddNumberToObject(d, "cache_max", (double)ad->mip.set.cache_max);
	cJSON_AddStringToObject(d, "upstream", ad->mip.set.upstream);
	cJSON_AddBoolToObject(d, "offline", ad->mip.set.offline);
	if (ad->mip.cc.ok)
		cJSON_AddStringToObject(d, "compiler", ad->mip.cc.version);
	else
		cJSON_AddStringToObject(d, "compiler_missing", ad->mip.cc.why);
	if (query_get(&r->query, "done"))
		cJSON_AddStringToObject(d, "flash", query_get(&r->query, "done"));
	admin_page(app, r, w, 200, "mip", "MicroPython packages", d);
}

static const char *const publish_fields[] = { "name", "version", "description" };

void admin_mip_publish(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	char val[3][ADMIN_FIELD_MAX + 1], tmp[PATH_MAX];
	struct nb_err e = { 0 };
	const char *why;
	int st = admin_upload_receive(app, r, publish_fields, 3, val, tmp, sizeof(tmp), &why), rc;

	if (st) {
		admin_fail(app, r, w, st, why);
		return;
	}
	rc = mip_publish(app, &ad->mip, tmp, val[0], val[1], val[2], &e);
	unlink(tmp);
	if (rc < 0) {
		admin_fail(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	http_redirect(w, arena_printf(r->a, "/admin/mip?done=published+%s+%s", val[0], val[1]));
}

void admin_mip_refresh(struct app *app, struct http_req *r, struct http_resp *w)
{
	mip_expire_all(app);
	(void)r;
	http_redirect(w, "/admin/mip?done=cached+packages+will+be+fetched+again");
}

void admin_mip_evict(struct app *app, struct http_req *r, struct http_resp *w)
{
	long long freed = mip_evict(app, 0, NULL);

	mip_expire_all(app);
	http_redirect(w, arena_printf(r->a, "/admin/mip?done=evicted+%lld+bytes", freed));
}

void admin_api_mip_packages(struct app *app, struct http_req *r, struct http_resp *w)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "hosted", hosted(app, r, admin_page_size(app), 0));
	cJSON_AddItemToObject(o, "cached", cached(app, r, admin_page_size(app), 0));
	admin_json(w, 200, o);
}

/* PUT or POST an archive (or one .py file) body: ?name=&version=[&description=] */
void admin_api_mip_publish(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	const struct query *q = &r->query;
	const char *name = query_get(q, "name"), *version = query_get(q, "version");
	char tmp[PATH_MAX], path[PATH_MAX], err[512];
	struct nb_err e = { 0 };
	int rc;
	cJSON *o;

	if (!name || !version) {
		admin_fail(app, r, w, 400, "name and version are required");
		return;
	}
	rc = admin_receive_body(app, r, tmp, sizeof(tmp), err, sizeof(err));
	if (rc) {
		admin_fail(app, r, w, rc, err);
		return;
	}
	/* a single source file keeps its name so it is published as such */
	snprintf(path, sizeof(path), "%s", tmp);
	if (query_get(q, "file") && mip_dest_ok(query_get(q, "file")) &&
	    strlen(query_get(q, "file")) > 3 &&
	    !strcmp(query_get(q, "file") + strlen(query_get(q, "file")) - 3, ".py") &&
	    !strchr(query_get(q, "file"), '/')) {
		if ((size_t)snprintf(path, sizeof(path), "%s.d/%s", tmp, query_get(q, "file")) >=
		    sizeof(path) || mkdir(arena_printf(r->a, "%s.d", tmp), 0700) < 0 || rename(tmp, path) < 0) {
			unlink(tmp);
			admin_fail(app, r, w, 503, "cannot stage the upload");
			return;
		}
	}
	rc = mip_publish(app, &ad->mip, path, name, version, query_get(q, "description"), &e);
	unlink(path);
	if (strcmp(path, tmp))
		rmdir(arena_printf(r->a, "%s.d", tmp));
	if (rc < 0) {
		admin_fail(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "version", version);
	admin_json(w, 201, o);
}
