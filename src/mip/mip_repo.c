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
		return arena_printf(a, "%s/%s/%s/-/raw/%s/%s", m->set.gitlab_raw, org, repo, ref, path);
	return arena_printf(a, "%s/%s/%s/%s/%s", m->set.github_raw, org, repo, ref, path);
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

/*
 * The ref rides on "tree/<ref>" (GitHub's own page URLs have that shape)
 * or on "@ref"; only the first survives `micropython -m mip install` and
 * `mpremote mip install`, which split their argument at '@' and drop the
 * version of a URL package (micropython-lib mip-cmdline/mip/__main__.py,
 * micropython tools/mpremote/mpremote/mip.py).  "py" asks for sources:
 * mip.install(url, mpy=False) sends nothing that says so.
 */
int mip_repo_spec_parse(struct arena *a, const char *rest, struct mip_repo_spec *sp,
			struct nb_err *e)
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
		return nb_fail(e, NB_NOT_FOUND, "a repository is <org>/<repo>");
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
			return nb_fail(e, NB_INVALID, "give the ref once: @ref or tree/<ref>");
		if (i + 1 >= n)
			return nb_fail(e, NB_INVALID, "tree/<ref> names a branch, tag or commit");
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
		return nb_fail(e, NB_INVALID, "a repository is <org>/<repo>[/<path>] of plain names");
	if (!mip_version_ok(sp->ref))
		return nb_fail(e, NB_INVALID, "bad ref");
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
		size_t gh = strlen(m->set.github_raw), gl = strlen(m->set.gitlab_raw);
		if ((!strncmp(src, m->set.github_raw, gh) && src[gh] == '/' && mip_dest_ok(src + gh + 1)) ||
		    (!strncmp(src, m->set.gitlab_raw, gl) && src[gl] == '/' && mip_dest_ok(src + gl + 1)))
			return arena_strdup(a, src);
		return NULL;
	}
	if (!mip_dest_ok(src))
		return NULL;
	return raw_url(m, a, host, sp->org, sp->name, sp->ref,
		       *sp->path ? arena_printf(a, "%s/%s", sp->path, src) : src);
}

/* One repository request: who asks, which host, which package. */
struct repo_ctx {
	struct app *app;
	struct http_req *r;
	const char *host;		/* "github" or "gitlab" */
	const struct mip_repo_spec *sp;
	int down;			/* a raw host was unreachable, no copy at hand */
};

/*
 * A file of a raw host, kept like a package JSON: a "raw" row under its URL
 * holds its sha256 and validators, so after mip.cache_ttl an unchanged file
 * costs a 304 and a changed one (a branch moved on) is fetched again.
 * 0 and hex; -1 with e NB_NOT_FOUND (missing), NB_UNAVAILABLE (the store
 * failed, or the file is unstorable) or NB_BAD_GATEWAY (the host
 * unreachable and no copy at hand: x->down; with a copy, the copy is
 * used: stale beats nothing); NB_UNAVAILABLE too when the gate kept the
 * host from being asked (mip_gate_enter) and no copy is at hand.
 */
static int raw_fetch(struct repo_ctx *x, const char *url, size_t max, char *hex, struct nb_err *e)
{
	struct app *app = x->app;
	struct mip *m = app->domain;
	struct mip_pkgrow row;
	struct fetch_result f;
	struct upstream_gate g;
	int failed, have = mip_pkg_get(app, x->host, url, "raw", "-", x->r->a, &row, e);

	if (have < 0)
		return -1;
	/* a copy the store cannot look up is no answer, not "no copy" */
	if (have && strlen(row.json) == 64 && (have = mip_file_find(app, row.json, hex, e)) < 0)
		return -1;
	have = have && strlen(row.json) == 64 && have == MIP_FOUND;
	if (have && (row.expires > (long long)time(NULL) || m->set.offline))
		return 0;
	if (m->set.offline)
		return nb_fail(e, NB_NOT_FOUND, "not cached, and mip.offline is set");
	if (mip_gate_enter(app, url, &g, e) < 0) {
		x->down |= !have;
		return have ? 0 : -1;	/* NB_UNAVAILABLE: a 503, asked again later */
	}
	failed = fetch_get(url, have ? row.etag : NULL, have ? row.last_modified : NULL, max,
			   m->set.timeout, &f) < 0 || f.status >= 500;
	upstream_gate_leave(&g, failed);
	if (failed) {
		const char *why = f.status ? "server error" : f.error;
		/* the URL and curl's words for the operator only (log, /admin) */
		mip_upstream_note(app, x->host, arena_printf(x->r->a, "%s: %s", url, why));
		nb_fail(e, NB_BAD_GATEWAY, "upstream unavailable");
		fetch_result_free(&f);
		x->down |= !have;
		return have ? 0 : -1;
	}
	mip_upstream_note(app, x->host, NULL);
	if (f.status == 304 && have) {
		fetch_result_free(&f);
		mip_pkg_extend(app, x->host, url, "raw", "-", m->set.ttl);
		return 0;
	}
	if (f.status != 200 || mip_file_put(app, f.body, f.len, x->host, NULL, hex, NULL) < 0) {
		int found = f.status == 200;
		fetch_result_free(&f);
		return found ? nb_fail(e, NB_UNAVAILABLE, "%s: cannot store it", url)
			     : nb_fail(e, NB_NOT_FOUND, "%s: not found", url);
	}
	/* a row that could not be written is fetched again next time */
	mip_pkg_put(app, x->host, url, "raw", "-", hex, f.etag, f.last_modified, m->set.ttl, NULL);
	fetch_result_free(&f);
	return 0;
}

/* One "urls" entry: fetched, stored and (maybe) compiled; its pair of the
 * package JSON, or NULL with e NB_BAD_GATEWAY (the package is there, one
 * of its files is not usable) or NB_UNAVAILABLE (the store failed). */
static cJSON *build_file(struct repo_ctx *x, const struct mip_pair *u, int compile,
			 struct nb_err *e)
{
	struct mip *m = x->app->domain;
	const char *dest = u->a;
	char *url = source_url(m, x->r->a, x->host, x->sp, u->b);
	char hex[HASH_HEX_MAX], mpy[HASH_HEX_MAX];
	int cc = compile && mip_compilable(dest);
	cJSON *pair;

	if (!url) {
		nb_fail(e, NB_BAD_GATEWAY, "%s: sources must be in the repository, github: or gitlab:",
			u->b);
		return NULL;
	}
	if (raw_fetch(x, url, (size_t)m->set.max_file, hex, e) < 0 ||
	    (cc && mip_compile(x->app, &m->cc, hex, dest, mpy, e) < 0)) {
		/* a 404 of one file, a file that does not compile: the
		 * package's failure; the store's stays a 503 */
		if (e->kind == NB_NOT_FOUND || e->kind == NB_INVALID)
			e->kind = NB_BAD_GATEWAY;
		return NULL;
	}
	if (cc) {
		dest = arena_printf(x->r->a, "%.*s.mpy", (int)strlen(dest) - 3, dest);
		memcpy(hex, mpy, sizeof(hex));
	}
	pair = cJSON_CreateArray();
	cJSON_AddItemToArray(pair, cJSON_CreateString(dest));
	cJSON_AddItemToArray(pair, cJSON_CreateString(arena_printf(x->r->a, "files/%s", hex)));
	return pair;
}

/* Fetches, stores and (maybe) compiles each file; builds the package JSON.
 * 0, or -1 with e (build_file). */
static int build(struct repo_ctx *x, const struct mip_pkgjson *pj, int compile,
		 const char **json, struct nb_err *e)
{
	cJSON *o = cJSON_CreateObject(), *urls = cJSON_AddArrayToObject(o, "urls"), *pair;
	char *s;
	int i;

	cJSON_AddNumberToObject(o, "v", 1);
	for (i = 0; i < pj->nurls; i++) {
		if (!(pair = build_file(x, &pj->urls[i], compile, e))) {
			cJSON_Delete(o);
			return -1;
		}
		cJSON_AddItemToArray(urls, pair);
	}
	/* kept as package.json wrote them: mip_repo_render makes them URLs */
	if (pj->ndeps) {
		cJSON *d = cJSON_AddArrayToObject(o, "deps");
		for (i = 0; i < pj->ndeps; i++) {
			pair = cJSON_CreateArray();
			cJSON_AddItemToArray(pair, cJSON_CreateString(pj->deps[i].a));
			if (*pj->deps[i].b)
				cJSON_AddItemToArray(pair, cJSON_CreateString(pj->deps[i].b));
			cJSON_AddItemToArray(d, pair);
		}
	}
	if (*pj->version)
		cJSON_AddStringToObject(o, "version", pj->version);
	s = cJSON_PrintUnformatted(o);
	*json = arena_strdup(x->r->a, s);
	cJSON_free(s);
	cJSON_Delete(o);
	return 0;
}

/* Reads package.json through raw_fetch and builds the package from it;
 * returns as build() does. */
static int rebuild(struct repo_ctx *x, const char *key, const char *flavour, const char **json,
		   struct nb_err *e)
{
	const struct mip_repo_spec *sp = x->sp;
	struct mip *m = x->app->domain;
	struct arena *a = x->r->a;
	const char *pjpath = *sp->path ? arena_printf(a, "%s/package.json", sp->path)
				       : "package.json";
	char pjhex[HASH_HEX_MAX];
	struct mip_pkgjson pj;
	size_t n = 0;
	char *text;

	if (raw_fetch(x, raw_url(m, a, x->host, sp->org, sp->name, sp->ref, pjpath), MIP_JSON_MAX,
		      pjhex, e) < 0)
		return e->kind == NB_NOT_FOUND ? nb_fail(e, NB_NOT_FOUND, "no package.json there")
					       : -1;
	text = mip_file_read(x->app, a, pjhex, &n);
	if (!text)
		return nb_fail(e, NB_UNAVAILABLE, "cannot read the stored package.json");
	if (mip_pkgjson_parse(a, text, n, &pj, e) < 0) {
		e->kind = NB_BAD_GATEWAY;	/* the repository's file is bad, not the request */
		return -1;
	}
	if (build(x, &pj, strcmp(flavour, "py") != 0, json, e) < 0)
		return -1;
	mip_pkg_put(x->app, x->host, key, flavour, "-", *json, NULL, NULL, m->set.ttl, NULL);
	/* what this answer names stays: its files and its package.json */
	mip_evict(x->app, m->set.cache_max, arena_printf(a, "%s %s", *json, pjhex), NULL);
	return 0;
}

int mip_repo_package(struct app *app, struct http_req *r, const char *host,
		     const struct mip_repo_spec *sp, const char *flavour,
		     const char **json, struct nb_err *e)
{
	struct mip *m = app->domain;
	struct repo_ctx x = { app, r, host, sp, 0 };
	const char *key = arena_printf(r->a, "%s/%s%s%s@%s", sp->org, sp->name,
				       *sp->path ? "/" : "", sp->path, sp->ref);
	struct mip_pkgrow row;
	int have = mip_pkg_get(app, host, key, flavour, "-", r->a, &row, e);

	if (have < 0)
		return -1;
	if (have && (row.expires > (long long)time(NULL) || m->set.offline)) {
		*json = row.json;
		return 0;
	}
	if (m->set.offline)
		return nb_fail(e, NB_NOT_FOUND, "not cached, and mip.offline is set");
	if (rebuild(&x, key, flavour, json, e) == 0)
		return 0;
	if (x.down && have) {
		*json = row.json;	/* stale beats nothing */
		return 0;
	}
	return -1;
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
	const char *base = http_base_url(r, app->set.base_url);
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
 * before its URLs were absolute named files so): 1 and answered (0 in
 * *rc, or -1 with e), or 0 for any other path. */
static int repo_file(struct app *app, struct http_req *r, struct http_resp *w, const char *rest,
		     int *rc, struct nb_err *e)
{
	const char *f = mip_repo_file_of(rest);
	char hex[HASH_HEX_MAX];

	if (!f)
		return 0;
	switch (mip_file_find(app, f, hex, e)) {
	case MIP_FOUND:
		*rc = mip_file_send(app, r, w, hex, e);
		break;
	case -1:
		*rc = -1;
		break;
	default:
		*rc = nb_fail(e, NB_NOT_FOUND, "file not found");
	}
	return 1;
}

/* GET /mip/<host>/<org>/<repo>[@ref][/py][/tree/<ref>][/<path>] */
static int repo(struct app *app, struct http_req *r, struct http_resp *w, const char *host,
		struct nb_err *e)
{
	struct mip *m = app->domain;
	const struct mip_repo_spec *sp = req_ptr(r, "repo");	/* mip_repo_valid's */
	const char *json;
	int rc;

	if (repo_file(app, r, w, req_str(r, "repo"), &rc, e))
		return rc;
	if (mip_repo_package(app, r, host, sp, sp->py || !m->cc.ok ? "py" : "mpy", &json, e) < 0)
		return -1;
	json = mip_repo_render(app, r, json, sp->py);
	http_bytes(w, 200, "application/json", json, strlen(json));
	return 0;
}

int mip_repo_github(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return repo(app, r, w, "github", e);
}

int mip_repo_gitlab(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return repo(app, r, w, "gitlab", e);
}
