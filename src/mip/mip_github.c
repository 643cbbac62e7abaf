/*
 * /mip/github/<org>/<repo>[@ref][/<path>][/package.json] (and /mip/gitlab/):
 * the repository's package.json and its files, read from the raw-file
 * host, stored, compiled, and served as one package from here.  File
 * entries become relative URLs ("files/<sha256>"), which mip resolves
 * against the package JSON's own URL, so a board needs no other host.
 */
#include "mip.h"
#include "../lib/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

struct repo {
	const char *host;	/* "github" or "gitlab" */
	const char *org, *name, *path, *ref;
};

/* The URL of a file of the repository at the ref. */
static char *raw_url(struct mip *m, struct arena *a, const char *host, const char *org,
		     const char *repo, const char *ref, const char *path)
{
	if (!strcmp(host, "gitlab"))
		return arena_printf(a, "%s/%s/%s/-/raw/%s/%s", m->gitlab_raw, org, repo, ref, path);
	return arena_printf(a, "%s/%s/%s/%s/%s", m->github_raw, org, repo, ref, path);
}

/* Where a package.json's source entry lives; NULL when not allowed. */
static char *source_url(struct mip *m, struct arena *a, const struct repo *rp,
			const char *src)
{
	char org[128], repo[128];
	const char *rest;
	int host_len;

	if (!strncmp(src, "github:", 7) || !strncmp(src, "gitlab:", 7)) {
		if (sscanf(src + 7, "%127[^/]/%127[^/]/%n", org, repo, &host_len) != 2 ||
		    !host_len)
			return NULL;
		rest = src + 7 + host_len;
		if (!mip_name_ok(org) || !mip_name_ok(repo) || !mip_dest_ok(rest))
			return NULL;
		return raw_url(m, a, !strncmp(src, "gitlab:", 7) ? "gitlab" : "github", org, repo,
			       rp->ref, rest);
	}
	if (!strncmp(src, "http://", 7) || !strncmp(src, "https://", 8)) {
		/* only below the configured raw hosts: nestbox is no open proxy
		 * ("https://raw.githubusercontent.com@elsewhere/" is not below) */
		size_t gh = strlen(m->github_raw), gl = strlen(m->gitlab_raw);
		if ((!strncmp(src, m->github_raw, gh) && src[gh] == '/' && mip_dest_ok(src + gh + 1)) ||
		    (!strncmp(src, m->gitlab_raw, gl) && src[gl] == '/' && mip_dest_ok(src + gl + 1)))
			return arena_strdup(a, src);
		return NULL;
	}
	if (!mip_dest_ok(src))
		return NULL;
	return raw_url(m, a, rp->host, rp->org, rp->name, rp->ref,
		       *rp->path ? arena_printf(a, "%s/%s", rp->path, src) : src);
}

/* The external base of this server, for absolute dependency URLs. */
static const char *base_url(struct app *app, struct http_req *r)
{
	const char *b = conf_str(app->conf, "server.base_url");
	const char *host = http_header(r, "Host"), *port = http_env(r, "SERVER_PORT");
	const char *https = http_env(r, "HTTPS");
	int tls = https && !strcmp(https, "on");

	if (*b)
		return b;
	if (!host || !*host)
		host = http_env(r, "SERVER_NAME");
	/* mip sends Host without the port: add the one we answered on */
	if (host && !strchr(host, ':') && port && strcmp(port, tls ? "443" : "80"))
		return arena_printf(r->a, "%s://%s:%s", tls ? "https" : "http", host, port);
	return arena_printf(r->a, "%s://%s", tls ? "https" : "http", host ? host : "localhost");
}

static cJSON *rewrite_deps(struct app *app, struct http_req *r, const struct mip_pkgjson *pj)
{
	cJSON *d = cJSON_CreateArray();
	int i;

	for (i = 0; i < pj->ndeps; i++) {
		const char *n = pj->deps[i].a, *v = pj->deps[i].b;
		cJSON *pair = cJSON_CreateArray();
		if (!strncmp(n, "github:", 7) || !strncmp(n, "gitlab:", 7))
			n = arena_printf(r->a, "%s/mip/%.6s/%s%s%s", base_url(app, r), n, n + 7,
					 *v ? "@" : "", v);
		cJSON_AddItemToArray(pair, cJSON_CreateString(n));
		if (*v)
			cJSON_AddItemToArray(pair, cJSON_CreateString(v));
		cJSON_AddItemToArray(d, pair);
	}
	return d;
}

/* Fetches, stores and (maybe) compiles each file; builds the package JSON. */
static int build(struct app *app, struct http_req *r, const struct repo *rp,
		 const struct mip_pkgjson *pj, int compile, const char **json,
		 char *err, size_t errlen)
{
	struct mip *m = app->domain;
	cJSON *o = cJSON_CreateObject(), *urls = cJSON_AddArrayToObject(o, "urls");
	char *s;
	int i;

	cJSON_AddNumberToObject(o, "v", 1);
	for (i = 0; i < pj->nurls; i++) {
		const char *dest = pj->urls[i].a;
		char *url = source_url(m, r->a, rp, pj->urls[i].b);
		char hex[HASH_HEX_MAX], mpy[HASH_HEX_MAX];
		struct fetch_result f;
		cJSON *pair;

		if (!url) {
			snprintf(err, errlen, "%s: sources must be in the repository, github: or gitlab:",
				 pj->urls[i].b);
			goto fail;
		}
		if (fetch_get(url, NULL, NULL, (size_t)m->max_file, m->timeout, &f) < 0 ||
		    f.status != 200) {
			snprintf(err, errlen, "%s: %s", url, f.status ? "not found" : f.error);
			fetch_result_free(&f);
			goto fail;
		}
		if (mip_file_put(app, f.body, f.len, rp->host, NULL, hex) < 0) {
			fetch_result_free(&f);
			snprintf(err, errlen, "cannot store %s", dest);
			goto fail;
		}
		fetch_result_free(&f);
		if (compile && mip_compilable(dest)) {
			if (mip_compile(app, &m->cc, hex, dest, mpy, err, errlen) < 0)
				goto fail;
			dest = arena_printf(r->a, "%.*s.mpy", (int)strlen(dest) - 3, dest);
			memcpy(hex, mpy, sizeof(hex));
		}
		pair = cJSON_CreateArray();
		cJSON_AddItemToArray(pair, cJSON_CreateString(dest));
		cJSON_AddItemToArray(pair, cJSON_CreateString(arena_printf(r->a, "files/%s", hex)));
		cJSON_AddItemToArray(urls, pair);
	}
	if (pj->ndeps)
		cJSON_AddItemToObject(o, "deps", rewrite_deps(app, r, pj));
	if (*pj->version)
		cJSON_AddStringToObject(o, "version", pj->version);
	s = cJSON_PrintUnformatted(o);
	*json = arena_strdup(r->a, s);
	cJSON_free(s);
	cJSON_Delete(o);
	return 0;
fail:
	cJSON_Delete(o);
	return -1;
}

int mip_repo_package(struct app *app, struct http_req *r, const char *host,
		     const char *spec, const char *ref, const char *flavour,
		     const char **json, int *status, char *err, size_t errlen)
{
	struct mip *m = app->domain;
	struct repo rp = { host, NULL, NULL, "", ref };
	char *dup = arena_strdup(r->a, spec), *slash, *key;
	struct mip_pkgrow row;
	struct mip_pkgjson pj;
	struct fetch_result f;
	const char *why;
	int have;

	rp.org = dup;
	slash = strchr(dup, '/');
	if (!slash) {
		*status = 404;
		snprintf(err, errlen, "a repository is <org>/<repo>");
		return -1;
	}
	*slash = '\0';
	rp.name = slash + 1;
	if ((slash = strchr((char *)rp.name, '/'))) {
		*slash = '\0';
		rp.path = slash + 1;
	}
	/* what goes into the raw-host URL is checked piece by piece */
	if (!mip_name_ok(rp.org) || !mip_name_ok(rp.name) || (*rp.path && !mip_dest_ok(rp.path))) {
		*status = 400;
		snprintf(err, errlen, "a repository is <org>/<repo>[/<path>] of plain names");
		return -1;
	}
	key = arena_printf(r->a, "%s/%s%s%s@%s", rp.org, rp.name, *rp.path ? "/" : "", rp.path, ref);
	have = mip_pkg_get(app, host, key, flavour, "-", r->a, &row) == 0;
	if (have && (row.expires > (long long)time(NULL) || m->offline)) {
		*json = row.json;
		return 0;
	}
	if (m->offline) {
		*status = 404;
		snprintf(err, errlen, "not cached, and mip.offline is set");
		return -1;
	}
	if (fetch_get(raw_url(m, r->a, host, rp.org, rp.name, ref,
			      *rp.path ? arena_printf(r->a, "%s/package.json", rp.path) : "package.json"),
		      have ? row.etag : NULL, have ? row.last_modified : NULL, MIP_JSON_MAX,
		      m->timeout, &f) < 0 || f.status >= 500) {
		mip_upstream_note(app, host, arena_printf(r->a, "%s: %s", key,
				  f.status ? "server error" : f.error));
		fetch_result_free(&f);
		if (have) {
			*json = row.json;
			return 0;
		}
		*status = 502;
		snprintf(err, errlen, "%s unreachable", host);
		return -1;
	}
	mip_upstream_note(app, host, NULL);
	if (f.status == 304 && have) {
		mip_pkg_extend(app, host, key, flavour, "-", m->ttl);
		*json = row.json;
		return 0;
	}
	if (f.status != 200 || mip_pkgjson_parse(r->a, f.body, f.len, &pj, &why) < 0) {
		*status = f.status == 200 ? 502 : 404;
		snprintf(err, errlen, "%s", f.status == 200 ? why : "no package.json there");
		fetch_result_free(&f);
		return -1;
	}
	if (build(app, r, &rp, &pj, strcmp(flavour, "py") != 0, json, err, errlen) < 0) {
		*status = 502;
		fetch_result_free(&f);
		return -1;
	}
	mip_pkg_put(app, host, key, flavour, "-", *json, f.etag, f.last_modified, m->ttl);
	mip_evict(app, m->cache_max, *json);
	fetch_result_free(&f);
	return 0;
}

/* Serves files/<sha256> below a repository path. */
static int repo_file(struct app *app, struct http_req *r, struct http_resp *w, const char *rest)
{
	const char *f = strstr(rest, "/files/");
	char hex[HASH_HEX_MAX], path[PATH_MAX];

	while (f && strstr(f + 1, "/files/"))
		f = strstr(f + 1, "/files/");
	if (!f || strlen(f + 7) != 64 || !hash_is_hex(f + 7, 64))
		return 0;
	if (mip_file_find(app, f + 7, hex) != MIP_FOUND) {
		app_error(app, w, 404, "file not found");
		return 1;
	}
	blob_path(&app->blobs, hex, path, sizeof(path));
	if (http_file(r, w, path, "application/octet-stream",
		      conf_bool(app->conf, "server.xsendfile")) != 0)
		app_error(app, w, 404, "file not found");
	return 1;
}

void mip_repo(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct mip *m = app->domain;
	const char *host = r->path.seg[1];	/* "github" or "gitlab" */
	char *rest = arena_strdup(r->a, http_param(r, "rest")), *at, err[512];
	const char *ref = query_get(&r->query, "version"), *json;
	size_t l = strlen(rest);
	int status = 502;

	if (repo_file(app, r, w, rest))
		return;
	if (l >= 13 && !strcmp(rest + l - 13, "/package.json"))
		rest[l - 13] = '\0';
	/* org/repo@ref/path: the ref rides on the repository segment */
	at = strchr(rest, '@');
	if (at) {
		char *end = strchr(at, '/');
		ref = arena_strndup(r->a, at + 1, end ? (size_t)(end - at - 1) : strlen(at + 1));
		memmove(at, end ? end : at + strlen(at), strlen(end ? end : at + strlen(at)) + 1);
	}
	if (!ref || !*ref)
		ref = "HEAD";
	if (!mip_version_ok(ref) && strcmp(ref, "HEAD")) {
		app_error(app, w, 400, "bad ref");
		return;
	}
	if (mip_repo_package(app, r, host, rest, ref, m->cc.ok ? "mpy" : "py", &json, &status,
			     err, sizeof(err)) < 0) {
		app_error(app, w, status, err);
		return;
	}
	http_bytes(w, 200, "application/json", json, strlen(json));
}
