/* /mip/index.json, /mip/package/…, /mip/file/… */
#include "mip.h"
#include "../lib/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

int mip_init(struct app *app, char *err, size_t errlen)
{
	struct mip *m = calloc(1, sizeof(*m));

	(void)err;
	(void)errlen;
	if (!m)
		return -1;
	mip_settings(app, m);
	app->domain = m;
	return 0;
}

void mip_fini(struct app *app)
{
	free(app->domain);
	app->domain = NULL;
}

static void json_answer(struct http_resp *w, const char *json)
{
	http_bytes(w, 200, "application/json", json, strlen(json));
}

/* mip prints "Package not found" for any non-200; the body says why. */
static void not_found(struct app *app, struct http_resp *w, const char *why)
{
	app_error(app, w, 404, why);
}

static const char sql_index[] =
	"SELECT name, version, description FROM mip_hosted ORDER BY name";

void mip_index(struct app *app, struct http_req *r, struct http_resp *w)
{
	sqlite3_stmt *st = db_stmt(app->db, sql_index);
	struct mip *m = app->domain;
	cJSON *o = cJSON_CreateObject(), *pk = NULL, *cur = NULL;
	char *s, prev[128] = "";

	(void)r;
	cJSON_AddNumberToObject(o, "v", 2);
	cJSON_AddNumberToObject(o, "updated", (double)time(NULL));
	pk = cJSON_AddArrayToObject(o, "packages");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *ver = (const char *)sqlite3_column_text(st, 1);
		cJSON *vs, *fl;
		if (strcmp(name, prev)) {
			char key[8];
			cur = cJSON_CreateObject();
			cJSON_AddStringToObject(cur, "name", name);
			cJSON_AddStringToObject(cur, "version", ver);
			cJSON_AddStringToObject(cur, "description",
						(const char *)sqlite3_column_text(st, 2));
			vs = cJSON_AddObjectToObject(cur, "versions");
			cJSON_AddArrayToObject(vs, "py");
			snprintf(key, sizeof(key), "%d", m->cc.ok ? m->cc.major : 6);
			cJSON_AddArrayToObject(vs, key);
			cJSON_AddItemToArray(pk, cur);
			snprintf(prev, sizeof(prev), "%s", name);
		}
		/* versions listed in order; "version" is the highest */
		if (mip_version_cmp(ver, cJSON_GetObjectItem(cur, "version")->valuestring) > 0)
			cJSON_SetValuestring(cJSON_GetObjectItem(cur, "version"), ver);
		cJSON_ArrayForEach(fl, cJSON_GetObjectItem(cur, "versions"))
			cJSON_AddItemToArray(fl, cJSON_CreateString(ver));
	}
	if (st)
		sqlite3_reset(st);
	s = cJSON_PrintUnformatted(o);
	json_answer(w, s);
	cJSON_free(s);
	cJSON_Delete(o);
}

/* Revalidates or fetches an upstream package JSON; 0 and *json, or a status. */
static int upstream_package(struct app *app, struct http_req *r, const char *flavour,
			    const char *name, const char *version, const char **json)
{
	struct mip *m = app->domain;
	struct mip_pkgrow row;
	struct fetch_result f;
	struct mip_pkgjson pj;
	const char *err;
	int have = mip_pkg_get(app, "upstream", name, flavour, version, r->a, &row) == 0;
	char *url;

	if (have && (row.expires > (long long)time(NULL) || m->offline)) {
		*json = row.json;
		return 0;
	}
	if (m->offline)
		return 404;
	url = arena_printf(r->a, "%s/package/%s/%s/%s.json", m->upstream, flavour, name, version);
	if (fetch_get(url, have ? row.etag : NULL, have ? row.last_modified : NULL, MIP_JSON_MAX,
		      m->timeout, &f) < 0 || f.status >= 500) {
		mip_upstream_note(app, "upstream", arena_printf(r->a, "%s: %s", url,
				  f.status ? "server error" : f.error));
		fetch_result_free(&f);
		if (have) {
			*json = row.json;	/* stale beats nothing */
			return 0;
		}
		return 502;
	}
	mip_upstream_note(app, "upstream", NULL);
	if (f.status == 304 && have) {
		mip_pkg_extend(app, "upstream", name, flavour, version, m->ttl);
		*json = row.json;
		return 0;
	}
	if (f.status != 200) {
		fetch_result_free(&f);
		return 404;
	}
	if (mip_pkgjson_parse(r->a, f.body, f.len, &pj, &err) < 0) {
		mip_upstream_note(app, "upstream", arena_printf(r->a, "%s: %s", url, err));
		fetch_result_free(&f);
		return 502;
	}
	mip_pkg_put(app, "upstream", name, flavour, version, f.body, f.etag, f.last_modified, m->ttl);
	*json = arena_strdup(r->a, f.body);
	fetch_result_free(&f);
	return 0;
}

/* GET /mip/package/{6|py|N}/{name}/{version|latest}.json */
void mip_package(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *flavour = http_param(r, "flavour"), *name = http_param(r, "name");
	const char *file = http_param(r, "file"), *json;
	size_t fl = strlen(file);
	char *version;
	struct mip_pkgrow row;
	int st;

	if (fl <= 5 || strcmp(file + fl - 5, ".json")) {
		not_found(app, w, "package JSON paths end in .json");
		return;
	}
	version = arena_strndup(r->a, file, fl - 5);
	if (!mip_version_ok(version)) {
		app_error(app, w, 400, "bad version");
		return;
	}
	if (mip_pkg_get(app, "hosted", name, flavour, version, r->a, &row) == 0) {
		json_answer(w, row.json);
		return;
	}
	/* a hosted name is ours in every version and flavour: a public package
	 * of the same name must never stand in for a missing one */
	if (mip_hosted_has(app, name)) {
		not_found(app, w, arena_printf(r->a, "%s is hosted here and has no version %s "
					       "for flavour %s", name, version, flavour));
		return;
	}
	st = upstream_package(app, r, flavour, name, version, &json);
	if (st) {
		if (st == 404)
			not_found(app, w, "package not found");
		else
			app_error(app, w, st, "upstream unreachable and nothing cached");
		return;
	}
	json_answer(w, json);
}

/* Fetches upstream's file for a prefix, checks it, stores it. */
static int upstream_file(struct app *app, struct http_req *r, const char *hash, char *hex)
{
	struct mip *m = app->domain;
	struct fetch_result f;
	char *url;
	int rc;

	if (m->offline)
		return 404;
	url = arena_printf(r->a, "%s/file/%.2s/%s", m->upstream, hash, hash);
	if (fetch_get(url, NULL, NULL, (size_t)m->max_file, m->timeout, &f) < 0) {
		mip_upstream_note(app, "upstream", arena_printf(r->a, "%s: %s", url, f.error));
		return 502;
	}
	if (f.status != 200) {
		fetch_result_free(&f);
		return f.status == 404 ? 404 : 502;
	}
	rc = mip_file_put(app, f.body, f.len, "upstream", hash, hex);
	fetch_result_free(&f);
	if (rc < 0) {
		/* mip installs whatever it gets: refusing here is the only check */
		mip_upstream_note(app, "upstream", arena_printf(r->a,
				  "%s: content does not match its hash: refused", url));
		return 502;
	}
	mip_evict(app, m->cache_max, hex);
	return 0;
}

/* GET /mip/file/{hh}/{hash prefix} */
void mip_file(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *hh = http_param(r, "hh"), *hash = http_param(r, "hash");
	char hex[HASH_HEX_MAX], path[PATH_MAX];
	int rc;

	if (!mip_hash_prefix_ok(hash) || strncmp(hh, hash, 2) || strlen(hh) != 2) {
		app_error(app, w, 400, "a file is /file/<first two>/<4 to 64 lowercase hex digits>");
		return;
	}
	rc = mip_file_find(app, hash, hex);
	if (rc == MIP_AMBIGUOUS) {
		app_error(app, w, 409, "hash prefix matches several files: give more digits");
		return;
	}
	if (rc == MIP_NONE && (rc = upstream_file(app, r, hash, hex)) != 0) {
		app_error(app, w, rc, rc == 404 ? "file not found" :
			  "upstream unreachable, or its file does not match the hash");
		return;
	}
	mip_file_touch(app, hex);
	blob_path(&app->blobs, hex, path, sizeof(path));
	if (http_file(r, w, path, "application/octet-stream",
		      conf_bool(app->conf, "server.xsendfile")) != 0)
		app_error(app, w, 404, "file not found");
}
