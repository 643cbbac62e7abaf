/*
 * /mip/github/<org>/<repo>[@ref][/py][/tree/<ref>][/<path>][/package.json]
 * (and /mip/gitlab/): the repository's package.json and its files, read
 * from the raw-file host, stored, compiled, and served as one package from
 * here.  The package JSON is cached with "files/<sha256>" entries and the
 * package.json's own dependencies; each answer makes them absolute URLs
 * of this server (mip_repo_render), so a board needs no other host and no
 * client has to resolve a relative URL.  Every raw file is revalidated
 * after mip.cache_ttl on its own validators: a branch that moves is seen
 * even when its package.json did not change.
 */
#include "mip.h"
#include "../lib/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

/* The URL of a file of the repository at the ref. */
static char *raw_url(struct mip *m, struct arena *a, const char *host, const char *org,
		     const char *repo, const char *ref, const char *path)
{
	if (!strcmp(host, "gitlab"))
		return arena_printf(a, "%s/%s/%s/-/raw/%s/%s", m->gitlab_raw, org, repo, ref, path);
	return arena_printf(a, "%s/%s/%s/%s/%s", m->github_raw, org, repo, ref, path);
}

/* Cuts a trailing "/package.json" (mip appends it) and trailing slashes. */
static void trim_rest(char *rest)
{
	size_t l = strlen(rest);

	if (l >= 12 && !strcmp(rest + l - 12, "package.json") && (l == 12 || rest[l - 13] == '/'))
		rest[l -= 12] = '\0';
	while (l && rest[l - 1] == '/')
		rest[--l] = '\0';
}

static int spec_fail(int *status, const char **err, int st, const char *why)
{
	*status = st;
	*err = why;
	return -1;
}

/*
 * The ref rides on "tree/<ref>" (GitHub's own page URLs have that shape)
 * or on "@ref"; only the first survives `micropython -m mip install` and
 * `mpremote mip install`, which split their argument at '@' and drop the
 * version of a URL package (micropython-lib mip-cmdline/mip/__main__.py,
 * micropython tools/mpremote/mpremote/mip.py).  "py" asks for sources:
 * mip.install(url, mpy=False) sends nothing that says so.
 */
int mip_repo_spec_parse(struct arena *a, const char *rest, struct mip_repo_spec *sp,
			int *status, const char **err)
{
	char *s = arena_strdup(a, rest), *seg[PATH_MAX_SEGS + 2], *at;
	int n = 0, i = 2;

	memset(sp, 0, sizeof(*sp));
	sp->path = "";
	trim_rest(s);
	for (char *p = s; n < PATH_MAX_SEGS + 2; n++) {
		seg[n] = p;
		if (!(p = strchr(p, '/')))
			break;
		*p++ = '\0';
	}
	if (++n < 2 || n > PATH_MAX_SEGS + 1)
		return spec_fail(status, err, 404, "a repository is <org>/<repo>");
	sp->org = seg[0];
	sp->name = seg[1];
	if ((at = strchr(seg[1], '@'))) {
		*at = '\0';
		sp->ref = at + 1;
	}
	if (i < n && !strcmp(seg[i], "py")) {
		sp->py = 1;
		i++;
	}
	if (i < n && !strcmp(seg[i], "tree")) {
		if (sp->ref)
			return spec_fail(status, err, 400, "give the ref once: @ref or tree/<ref>");
		if (i + 1 >= n)
			return spec_fail(status, err, 400, "tree/<ref> names a branch, tag or commit");
		sp->ref = seg[i + 1];
		i += 2;
	}
	if (i < n) {
		for (int j = i + 1; j < n; j++)
			seg[j][-1] = '/';	/* the path is the rest, joined again */
		sp->path = seg[i];
	}
	if (!sp->ref)
		sp->ref = "HEAD";
	/* what goes into the raw-host URL is checked piece by piece */
	if (!mip_name_ok(sp->org) || !mip_name_ok(sp->name) || (*sp->path && !mip_dest_ok(sp->path)))
		return spec_fail(status, err, 400, "a repository is <org>/<repo>[/<path>] of plain names");
	if (!mip_version_ok(sp->ref))
		return spec_fail(status, err, 400, "bad ref");
	return 0;
}

/*
 * Where a package.json's source entry lives; NULL when not allowed.  The
 * package's ref applies to its own repository only: a github:/gitlab: file
 * of another repository comes from that repository's default branch (a
 * tag of this package means nothing there).
 */
static char *source_url(struct mip *m, struct arena *a, const char *host,
			const struct mip_repo_spec *sp, const char *src)
{
	char org[128], repo[128];
	const char *rest;
	int host_len = 0;

	if (!strncmp(src, "github:", 7) || !strncmp(src, "gitlab:", 7)) {
		const char *h = !strncmp(src, "gitlab:", 7) ? "gitlab" : "github";
		int own;
		if (sscanf(src + 7, "%127[^/]/%127[^/]/%n", org, repo, &host_len) != 2 ||
		    !host_len)
			return NULL;
		rest = src + 7 + host_len;
		if (!mip_name_ok(org) || !mip_name_ok(repo) || !mip_dest_ok(rest))
			return NULL;
		/* GitHub and GitLab names are case-insensitive */
		own = !strcmp(h, host) && !strcasecmp(org, sp->org) && !strcasecmp(repo, sp->name);
		return raw_url(m, a, h, org, repo, own ? sp->ref : "HEAD", rest);
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
	return raw_url(m, a, host, sp->org, sp->name, sp->ref,
		       *sp->path ? arena_printf(a, "%s/%s", sp->path, src) : src);
}

/*
 * A file of a raw host, kept like a package JSON: a "raw" row under its URL
 * holds its sha256 and validators, so after mip.cache_ttl an unchanged file
 * costs a 304 and a changed one (a branch moved on) is fetched again.
 * 0 and hex; -1 with *status (404 missing, 502 unstorable) and err; -2
 * (502) when the host is unreachable and no copy is at hand (with one, the
 * copy is used: stale beats nothing).
 */
static int raw_fetch(struct app *app, struct http_req *r, const char *origin, const char *url,
		     size_t max, char *hex, int *status, char *err, size_t errlen)
{
	struct mip *m = app->domain;
	struct mip_pkgrow row;
	struct fetch_result f;
	int have = mip_pkg_get(app, origin, url, "raw", "-", r->a, &row) == 0 &&
		   strlen(row.json) == 64 && mip_file_find(app, row.json, hex) == MIP_FOUND;

	if (have && (row.expires > (long long)time(NULL) || m->offline))
		return 0;
	*status = m->offline ? 404 : 502;
	if (m->offline) {
		snprintf(err, errlen, "not cached, and mip.offline is set");
		return -1;
	}
	if (fetch_get(url, have ? row.etag : NULL, have ? row.last_modified : NULL, max,
		      m->timeout, &f) < 0 || f.status >= 500) {
		mip_upstream_note(app, origin, arena_printf(r->a, "%s: %s", url,
				  f.status ? "server error" : f.error));
		snprintf(err, errlen, "%s unreachable: %s", url, f.status ? "server error" : f.error);
		fetch_result_free(&f);
		return have ? 0 : -2;
	}
	mip_upstream_note(app, origin, NULL);
	if (f.status == 304 && have) {
		fetch_result_free(&f);
		mip_pkg_extend(app, origin, url, "raw", "-", m->ttl);
		return 0;
	}
	if (f.status != 200 || mip_file_put(app, f.body, f.len, origin, NULL, hex) < 0) {
		*status = f.status == 200 ? 502 : 404;
		snprintf(err, errlen, "%s: %s", url, f.status == 200 ? "cannot store it" : "not found");
		fetch_result_free(&f);
		return -1;
	}
	mip_pkg_put(app, origin, url, "raw", "-", hex, f.etag, f.last_modified, m->ttl);
	fetch_result_free(&f);
	return 0;
}

/* Fetches, stores and (maybe) compiles each file; builds the package JSON.
 * 0; -1, or -2 for an unreachable host (raw_fetch), with *status and err. */
static int build(struct app *app, struct http_req *r, const char *host,
		 const struct mip_repo_spec *sp, const struct mip_pkgjson *pj, int compile,
		 const char **json, int *status, char *err, size_t errlen)
{
	struct mip *m = app->domain;
	cJSON *o = cJSON_CreateObject(), *urls = cJSON_AddArrayToObject(o, "urls");
	char *s;
	int i, rc = -1;

	cJSON_AddNumberToObject(o, "v", 1);
	for (i = 0; i < pj->nurls; i++) {
		const char *dest = pj->urls[i].a;
		char *url = source_url(m, r->a, host, sp, pj->urls[i].b);
		char hex[HASH_HEX_MAX], mpy[HASH_HEX_MAX];
		cJSON *pair;

		*status = 502;
		if (!url) {
			snprintf(err, errlen, "%s: sources must be in the repository, github: or gitlab:",
				 pj->urls[i].b);
			goto fail;
		}
		if ((rc = raw_fetch(app, r, host, url, (size_t)m->max_file, hex, status, err,
				    errlen)) < 0) {
			*status = 502;	/* the package is there; one of its files is not */
			goto fail;
		}
		if (compile && mip_compilable(dest)) {
			if ((rc = mip_compile(app, &m->cc, hex, dest, mpy, err, errlen)) < 0)
				goto fail;
			dest = arena_printf(r->a, "%.*s.mpy", (int)strlen(dest) - 3, dest);
			memcpy(hex, mpy, sizeof(hex));
		}
		pair = cJSON_CreateArray();
		cJSON_AddItemToArray(pair, cJSON_CreateString(dest));
		cJSON_AddItemToArray(pair, cJSON_CreateString(arena_printf(r->a, "files/%s", hex)));
		cJSON_AddItemToArray(urls, pair);
	}
	/* kept as package.json wrote them: mip_repo_render makes them URLs */
	if (pj->ndeps) {
		cJSON *d = cJSON_AddArrayToObject(o, "deps");
		for (i = 0; i < pj->ndeps; i++) {
			cJSON *pair = cJSON_CreateArray();
			cJSON_AddItemToArray(pair, cJSON_CreateString(pj->deps[i].a));
			if (*pj->deps[i].b)
				cJSON_AddItemToArray(pair, cJSON_CreateString(pj->deps[i].b));
			cJSON_AddItemToArray(d, pair);
		}
	}
	if (*pj->version)
		cJSON_AddStringToObject(o, "version", pj->version);
	s = cJSON_PrintUnformatted(o);
	*json = arena_strdup(r->a, s);
	cJSON_free(s);
	cJSON_Delete(o);
	return 0;
fail:
	cJSON_Delete(o);
	return rc < 0 ? rc : -1;
}

/* Reads package.json through raw_fetch and builds the package from it;
 * returns as build() does. */
static int rebuild(struct app *app, struct http_req *r, const char *host,
		   const struct mip_repo_spec *sp, const char *key, const char *flavour,
		   const char **json, int *status, char *err, size_t errlen)
{
	struct mip *m = app->domain;
	const char *pjpath = *sp->path ? arena_printf(r->a, "%s/package.json", sp->path)
				       : "package.json";
	char pjhex[HASH_HEX_MAX];
	struct mip_pkgjson pj;
	const char *why;
	size_t n = 0;
	char *text;
	int rc;

	if ((rc = raw_fetch(app, r, host, raw_url(m, r->a, host, sp->org, sp->name, sp->ref, pjpath),
			    MIP_JSON_MAX, pjhex, status, err, errlen)) < 0) {
		if (*status == 404)
			snprintf(err, errlen, "no package.json there");
		return rc;
	}
	text = mip_file_read(app, r->a, pjhex, &n);
	if (!text || mip_pkgjson_parse(r->a, text, n, &pj, &why) < 0) {
		*status = 502;
		snprintf(err, errlen, "%s", text ? why : "cannot read the stored package.json");
		return -1;
	}
	if ((rc = build(app, r, host, sp, &pj, strcmp(flavour, "py") != 0, json, status, err,
			errlen)) < 0)
		return rc;
	mip_pkg_put(app, host, key, flavour, "-", *json, NULL, NULL, m->ttl);
	/* what this answer names stays: its files and its package.json */
	mip_evict(app, m->cache_max, arena_printf(r->a, "%s %s", *json, pjhex));
	return 0;
}

int mip_repo_package(struct app *app, struct http_req *r, const char *host,
		     const struct mip_repo_spec *sp, const char *flavour,
		     const char **json, int *status, char *err, size_t errlen)
{
	struct mip *m = app->domain;
	const char *key = arena_printf(r->a, "%s/%s%s%s@%s", sp->org, sp->name,
				       *sp->path ? "/" : "", sp->path, sp->ref);
	struct mip_pkgrow row;
	int have = mip_pkg_get(app, host, key, flavour, "-", r->a, &row) == 0, rc;

	if (have && (row.expires > (long long)time(NULL) || m->offline)) {
		*json = row.json;
		return 0;
	}
	if (m->offline) {
		*status = 404;
		snprintf(err, errlen, "not cached, and mip.offline is set");
		return -1;
	}
	rc = rebuild(app, r, host, sp, key, flavour, json, status, err, errlen);
	if (rc == -2 && have) {
		*json = row.json;	/* stale beats nothing */
		return 0;
	}
	return rc < 0 ? -1 : 0;
}

/* The external base of this server, for absolute URLs: server.base_url, or
 * the scheme, Host and port this request came in on. */
static const char *base_url(struct app *app, struct http_req *r)
{
	const char *b = conf_str(app->conf, "server.base_url");
	const char *host = http_header(r, "Host"), *port = http_env(r, "SERVER_PORT");
	const char *https = http_env(r, "HTTPS");
	int tls = https && !strcmp(https, "on");
	size_t bl = b ? strlen(b) : 0;

	if (bl) {
		while (bl > 1 && b[bl - 1] == '/')
			bl--;
		return arena_strndup(r->a, b, bl);
	}
	if (!host || !*host)
		host = http_env(r, "SERVER_NAME");
	/* mip sends Host without the port: add the one we answered on */
	if (host && !strchr(host, ':') && port && strcmp(port, tls ? "443" : "80"))
		return arena_printf(r->a, "%s://%s:%s", tls ? "https" : "http", host, port);
	return arena_printf(r->a, "%s://%s", tls ? "https" : "http", host ? host : "localhost");
}

/*
 * A github:/gitlab: dependency as a package of this server, in the flavour
 * of the package naming it; anything else as written.  A single-file
 * dependency (.py/.mpy) and one nestbox cannot spell as a URL are left to
 * the client.
 */
static const char *dep_url(struct arena *a, const char *base, const char *n, const char *v,
			   int py)
{
	char org[128], repo[128];
	const char *path;
	size_t l = strlen(n);
	int off = 0;

	if ((strncmp(n, "github:", 7) && strncmp(n, "gitlab:", 7)) ||
	    (l > 3 && !strcmp(n + l - 3, ".py")) || (l > 4 && !strcmp(n + l - 4, ".mpy")) ||
	    sscanf(n + 7, "%127[^/]/%127[^/]%n", org, repo, &off) != 2)
		return n;
	path = n + 7 + off;
	if (*path == '/')
		path++;
	if (!mip_name_ok(org) || !mip_name_ok(repo) || (*path && !mip_dest_ok(path)) ||
	    (*v && !mip_version_ok(v)))
		return n;
	/* with a path, "tree/<ref>" keeps it from reading as "py" or "tree" */
	if (!*v && *path)
		v = "HEAD";
	return arena_printf(a, "%s/mip/%.6s/%s/%s%s%s%s%s%s", base, n, org, repo, py ? "/py" : "",
			    *v ? "/tree/" : "", v, *path ? "/" : "", path);
}

/*
 * The cached package JSON as this board gets it: "files/<sha256>" become
 * <base>/mip/file/<hh>/<sha256> and github:/gitlab: dependencies URLs of
 * this server.  Absolute, because mip before micropython-lib PR 975 and
 * mpremote open a "urls" entry as it stands; made per answer, so the base
 * is the one this board used, not the first board's.
 */
const char *mip_repo_render(struct app *app, struct http_req *r, const char *json, int py)
{
	cJSON *o = cJSON_Parse(json), *it;
	const char *base = base_url(app, r);
	const char *out = json;
	char *s;

	if (!o)
		return json;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "urls")) {
		cJSON *src = cJSON_GetArrayItem(it, 1);
		if (cJSON_IsString(src) && !strncmp(src->valuestring, "files/", 6))
			cJSON_SetValuestring(src, arena_printf(r->a, "%s/mip/file/%.2s/%s", base,
							       src->valuestring + 6,
							       src->valuestring + 6));
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "deps")) {
		cJSON *n = cJSON_GetArrayItem(it, 0), *v = cJSON_GetArrayItem(it, 1);
		if (cJSON_IsString(n))
			cJSON_SetValuestring(n, dep_url(r->a, base, n->valuestring,
							cJSON_IsString(v) ? v->valuestring : "", py));
	}
	if ((s = cJSON_PrintUnformatted(o))) {
		out = arena_strdup(r->a, s);
		cJSON_free(s);
	}
	cJSON_Delete(o);
	return out;
}

/* Serves files/<sha256> below a repository path (package JSON cached
 * before its URLs were absolute named files so). */
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
	const char *rest = http_param(r, "rest"), *json, *why;
	struct mip_repo_spec sp;
	int status = 502;
	char err[512];

	if (repo_file(app, r, w, rest))
		return;
	if (mip_repo_spec_parse(r->a, rest, &sp, &status, &why) < 0) {
		app_error(app, w, status, why);
		return;
	}
	if (mip_repo_package(app, r, host, &sp, sp.py || !m->cc.ok ? "py" : "mpy", &json,
			     &status, err, sizeof(err)) < 0) {
		app_error(app, w, status, err);
		return;
	}
	json = mip_repo_render(app, r, json, sp.py);
	http_bytes(w, 200, "application/json", json, strlen(json));
}
