/* The mip index's pages: packages, cache, upstream status; publish. */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char sql_hosted[] =
	"SELECT name, version, files, size, published, description FROM mip_hosted"
	" ORDER BY name, published DESC LIMIT ? OFFSET ?";
static const char sql_hosted_n[] = "SELECT count(*) FROM mip_hosted";
/* flavour 'raw' rows are a GitHub/GitLab package's files, not packages */
static const char sql_cached[] =
	"SELECT origin, name, flavour, version, fetched, expires, length(json) FROM mip_packages"
	" WHERE origin != 'hosted' AND flavour != 'raw' ORDER BY fetched DESC LIMIT ? OFFSET ?";
static const char sql_cached_n[] =
	"SELECT count(*) FROM mip_packages WHERE origin != 'hosted' AND flavour != 'raw'";
static const char sql_cache[] =
	"SELECT count(*), coalesce(sum(size), 0) FROM mip_files WHERE origin != 'hosted'";
static const char sql_upstream[] =
	"SELECT origin, last_ok, last_error, coalesce(error, '') FROM mip_upstream ORDER BY origin";

static long long scalar(struct app *app, const char *sql)
{
	sqlite3_stmt *st = db_stmt(app->db, sql);
	long long v = 0;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

static cJSON *rows(struct app *app, struct http_req *r, const char *sql, long off, int cached)
{
	sqlite3_stmt *st = db_stmt(app->db, sql);
	cJSON *arr = cJSON_CreateArray();
	time_t now = time(NULL);

	if (!st)
		return arr;
	sqlite3_bind_int64(st, 1, admin_page_size(app));
	sqlite3_bind_int64(st, 2, off);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		if (cached) {
			cJSON_AddStringToObject(o, "origin", (const char *)sqlite3_column_text(st, 0));
			cJSON_AddStringToObject(o, "name", (const char *)sqlite3_column_text(st, 1));
			cJSON_AddStringToObject(o, "flavour", (const char *)sqlite3_column_text(st, 2));
			cJSON_AddStringToObject(o, "version", (const char *)sqlite3_column_text(st, 3));
			cJSON_AddStringToObject(o, "fetched", admin_when(r->a, sqlite3_column_int64(st, 4)));
			cJSON_AddBoolToObject(o, "stale", sqlite3_column_int64(st, 5) <= (long long)now);
			cJSON_AddNumberToObject(o, "bytes", (double)sqlite3_column_int64(st, 6));
		} else {
			cJSON_AddStringToObject(o, "name", (const char *)sqlite3_column_text(st, 0));
			cJSON_AddStringToObject(o, "version", (const char *)sqlite3_column_text(st, 1));
			cJSON_AddNumberToObject(o, "files", sqlite3_column_int(st, 2));
			cJSON_AddNumberToObject(o, "size", (double)sqlite3_column_int64(st, 3));
			cJSON_AddStringToObject(o, "published", admin_when(r->a, sqlite3_column_int64(st, 4)));
			cJSON_AddStringToObject(o, "description", (const char *)sqlite3_column_text(st, 5));
		}
		cJSON_AddItemToArray(arr, o);
	}
	sqlite3_reset(st);
	return arr;
}

static cJSON *upstreams(struct app *app, struct http_req *r)
{
	sqlite3_stmt *st = db_stmt(app->db, sql_upstream);
	cJSON *arr = cJSON_CreateArray();

	while (st && sqlite3_step(st) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		long long ok = sqlite3_column_int64(st, 1), bad = sqlite3_column_int64(st, 2);
		cJSON_AddStringToObject(o, "origin", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(o, "last_ok", admin_when(r->a, ok));
		cJSON_AddStringToObject(o, "last_error", admin_when(r->a, bad));
		cJSON_AddBoolToObject(o, "failing", bad > ok);
		cJSON_AddStringToObject(o, "error", (const char *)sqlite3_column_text(st, 3));
		cJSON_AddItemToArray(arr, o);
	}
	if (st)
		sqlite3_reset(st);
	return arr;
}

void admin_mip(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	cJSON *d = cJSON_CreateObject();
	sqlite3_stmt *st = db_stmt(app->db, sql_cache);
	long hoff = admin_paginate(app, r, d, "hpage", "hosted", (long)scalar(app, sql_hosted_n));
	long coff = admin_paginate(app, r, d, "cpage", "cached", (long)scalar(app, sql_cached_n));

	cJSON_AddItemToObject(d, "hosted", rows(app, r, sql_hosted, hoff, 0));
	cJSON_AddItemToObject(d, "cached", rows(app, r, sql_cached, coff, 1));
	cJSON_AddItemToObject(d, "upstreams", upstreams(app, r));
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		cJSON_AddNumberToObject(d, "cache_files", sqlite3_column_int(st, 0));
		cJSON_AddNumberToObject(d, "cache_bytes", (double)sqlite3_column_int64(st, 1));
	}
	if (st)
		sqlite3_reset(st);
	cJSON_AddNumberToObject(d, "cache_max", (double)ad->mip.cache_max);
	cJSON_AddStringToObject(d, "upstream", ad->mip.upstream);
	cJSON_AddBoolToObject(d, "offline", ad->mip.offline);
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
	char val[3][ADMIN_FIELD_MAX + 1], tmp[PATH_MAX], err[512];
	const char *why;
	int st = admin_upload_receive(app, r, publish_fields, 3, val, tmp, sizeof(tmp), &why), rc;

	if (st) {
		admin_fail(app, r, w, st, why);
		return;
	}
	rc = mip_publish(app, &ad->mip, tmp, val[0], val[1], val[2], err, sizeof(err));
	unlink(tmp);
	if (rc < 0) {
		admin_fail(app, r, w, rc == -2 ? 409 : 400, err);
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

	cJSON_AddItemToObject(o, "hosted", rows(app, r, sql_hosted, 0, 0));
	cJSON_AddItemToObject(o, "cached", rows(app, r, sql_cached, 0, 1));
	admin_json(w, 200, o);
}

/* PUT or POST an archive (or one .py file) body: ?name=&version=[&description=] */
void admin_api_mip_publish(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	const struct query *q = &r->query;
	const char *name = query_get(q, "name"), *version = query_get(q, "version");
	char tmp[PATH_MAX], path[PATH_MAX], err[512];
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
	rc = mip_publish(app, &ad->mip, path, name, version, query_get(q, "description"),
			 err, sizeof(err));
	unlink(path);
	if (strcmp(path, tmp))
		rmdir(arena_printf(r->a, "%s.d", tmp));
	if (rc < 0) {
		admin_fail(app, r, w, rc == -2 ? 409 : 400, err);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "version", version);
	admin_json(w, 201, o);
}
