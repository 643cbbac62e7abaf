/*
 * fuzz_mip_routes - path_split() on the input as a raw request path, then
 * route_match() and req_check() against the very route table that serves
 * requests (src/cgi/mip-index.fcgi.c, included), then the checks the mip
 * handlers rely on for what the route hands them.
 *
 * Invariants (abort() when broken):
 *  - every decoded segment passes path_segment_ok(), except an empty last
 *    segment (the trailing slash); none is ".", "..", holds '/' or NUL;
 *  - every ':' parameter is one of the path's segments; *repo is the
 *    remaining segments joined with '/';
 *  - req_check refuses only with NB_INVALID naming a declared field, or
 *    (the package file) "invalid version" or NB_NOT_FOUND for a path not
 *    ending in .json;
 *  - what it accepts holds the domain predicates: flavour mip_flavour_ok,
 *    name mip_name_ok, the version (the file name minus ".json")
 *    mip_version_ok, hh two hex digits, hash mip_hash_prefix_ok; all safe
 *    in an upstream URL and in the prefix range query: no '/', '?', '#',
 *    '%', '\\', space, control or non-ASCII byte, hashes lowercase hex only;
 *  - a path of the right shape always finds its route, the one with that
 *    route's handler (no false 404, no other route);
 *  - what follows /mip/github/ is the route's "repo", parsed by its
 *    validator (mip_repo_valid, through mip_repo_spec_parse): refused with
 *    "invalid repo: ..." or a 404 without <org>/<repo>; accepted, a file
 *    by hash (no spec) or a spec of plain names, a ref passing
 *    mip_version_ok, a path passing mip_dest_ok: all safe in a raw-host URL;
 *  - HEAD routes like GET, and POST finds a route exactly when GET does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NB_NO_MAIN
#include "../../src/cgi/mip-index.fcgi.c"
#include "fuzz_routes.h"

#define routes mip_routes
#define NROUTES mip_nroutes
/* The routes told apart by their handler, whatever the table's order. */
enum { R_NONE = -1, R_INDEX, R_PACKAGE, R_FILE, R_GITHUB, R_GITLAB };

static int which_route(const struct route *hit)
{
	route_run_fn run = route_typed(hit)->run;

	return run == mip_index ? R_INDEX : run == mip_package ? R_PACKAGE :
	       run == mip_file ? R_FILE : run == mip_repo_github ? R_GITHUB :
	       run == mip_repo_gitlab ? R_GITLAB : R_NONE;
}

static const char *param(const struct http_req *r, const char *name)
{
	const char *v = req_str(r, name);

	if (!v)
		abort();
	return v;
}

#define UPSTREAM "https://micropython.org/pi/v2"

/* mip_package: GET /mip/package/{flavour}/{name}/{version}.json, as accepted */
static void package_checks(struct arena *a, const struct http_req *r)
{
	const char *flavour = param(r, "flavour"), *name = param(r, "name");
	const char *file = param(r, "file");
	size_t fl = strlen(file);
	struct mip_proxy_key k;
	char *version, *url;
	int slashes = 0;

	if (!mip_flavour_ok(flavour) || !mip_name_ok(name))
		abort();
	fz_url_piece_ok(flavour);
	fz_url_piece_ok(name);
	if (fl <= 5 || strcmp(file + fl - 5, ".json"))
		abort();
	version = arena_strndup(a, file, fl - 5);
	if (!mip_version_ok(version) || strlen(version) == 0 || strlen(version) > 63)
		abort();
	fz_url_piece_ok(version);
	/* the upstream URL (the proxy's own builder) has exactly the segments
	 * it was built from below the index */
	k.flavour = flavour;
	k.name = name;
	k.version = version;
	url = mip_proxy_url(a, UPSTREAM, &k);
	if (strncmp(url, UPSTREAM "/package/", sizeof(UPSTREAM "/package/") - 1))
		abort();
	for (url += sizeof(UPSTREAM) - 1; *url; url++)
		slashes += *url == '/';
	if (slashes != 4)
		abort();
}

/* mip_file: GET /mip/file/{hh}/{hash prefix} */
static void file_checks(const struct http_req *r)
{
	const char *hh = param(r, "hh"), *hash = param(r, "hash");
	size_t i, n;

	if (!mip_hash_prefix_ok(hash) || strlen(hh) != 2)
		abort();
	if (strncmp(hh, hash, 2))
		return;		/* mip_file answers 400 "invalid hash" */
	n = strlen(hash);
	if (n < 4 || n > 64)
		abort();
	for (i = 0; i < n; i++)
		if (!((hash[i] >= '0' && hash[i] <= '9') || (hash[i] >= 'a' && hash[i] <= 'f')))
			abort();
	/* the prefix range [hash, hash || 'g') holds exactly the hashes it begins */
	if (memcmp(hh, hash, 2) || strchr(hash, 'g'))
		abort();
}

/* mip_repo: GET /mip/github|gitlab/<org>/<repo>[@ref][/py][/tree/<ref>][/<path>],
 * as the route's validator (mip_repo_valid, the production parser) left it */
static void repo_checks(struct arena *a, const struct path *p, const struct http_req *r,
			int which)
{
	const char *rest = param(r, "repo");
	const struct mip_repo_spec *sp = req_ptr(r, "repo");
	int i;

	/* repo is the path from the third segment on */
	{
		struct buf b;
		buf_init(&b, a);
		for (i = 2; i < p->n; i++) {
			if (i > 2)
				buf_addc(&b, '/');
			buf_adds(&b, p->seg[i]);
		}
		if (strcmp(buf_cstr(&b), rest))
			abort();
	}
	if (strcmp(p->seg[1], which == R_GITHUB ? "github" : "gitlab"))
		abort();
	if (!sp) {	/* only a file by hash comes without a spec */
		if (!mip_repo_file_of(rest))
			abort();
		return;
	}
	/* every piece is safe where it goes: raw-host URL segments, a cache key */
	if (!mip_name_ok(sp->org) || !mip_name_ok(sp->name) || !mip_version_ok(sp->ref) ||
	    (*sp->path && !mip_dest_ok(sp->path)) || (sp->py != 0 && sp->py != 1))
		abort();
	fz_url_piece_ok(sp->org);
	fz_url_piece_ok(sp->name);
	fz_url_piece_ok(sp->ref);
	if (strchr(sp->ref, '@') || strchr(sp->org, '@') || strchr(sp->name, '@'))
		abort();
	/* the path is a part of rest, never longer than it */
	if (*sp->path && !strstr(rest, sp->path))
		abort();
}

/* req_check on the matched route, then the checks of what it accepted. */
static void check_input(struct arena *a, const struct path *p, const struct route *hit,
			const struct route_params *rp, int which)
{
	static struct app app;	/* zero: the mip validators read no settings */
	struct http_req r;
	struct nb_err e;

	if (fz_req_check(a, &app, "GET", p, NULL, hit, rp, &r, &e) < 0) {
		/* mip_pkgfile_valid's own answers name the version, not "file" */
		int pkgfile = which == R_PACKAGE &&
			      ((e.kind == NB_NOT_FOUND &&
				!strcmp(e.msg, "package JSON paths end in .json")) ||
			       (e.kind == NB_INVALID && !strcmp(e.msg, "invalid version")));
		/* mip_repo_valid: no <org>/<repo> is a 404, as any unknown path */
		int norepo = (which == R_GITHUB || which == R_GITLAB) && e.kind == NB_NOT_FOUND &&
			     !strcmp(e.msg, "a repository is <org>/<repo>");
		if (!pkgfile && !norepo && !(e.kind == NB_INVALID && fz_names_declared_field(hit, e.msg)))
			abort();
		return;
	}
	if (which == R_PACKAGE)
		package_checks(a, &r);
	else if (which == R_FILE)
		file_checks(&r);
	else if (which == R_GITHUB || which == R_GITLAB)
		repo_checks(a, p, &r, which);
}

static enum route_result route(struct arena *a, const char *method, const struct path *p)
{
	const struct route *hit;
	struct route_params rp;
	enum route_result res;
	int which;

	res = fz_route_match(a, routes, NROUTES, method, p, &hit, &rp);
	if (res != ROUTE_OK)
		return res;
	if ((which = which_route(hit)) == R_NONE)
		abort();
	if (rp.n != (which == R_INDEX ? 0 : which == R_PACKAGE ? 3 : which == R_FILE ? 2 : 1))
		abort();
	check_input(a, p, hit, &rp, which);
	return res;
}

/* The route a path of this shape must find under GET, or -1. */
static int expected(const struct path *p)
{
	if (p->n < 2 || strcmp(p->seg[0], "mip"))
		return R_NONE;
	if (!strcmp(p->seg[1], "github"))
		return R_GITHUB;
	if (!strcmp(p->seg[1], "gitlab"))
		return R_GITLAB;
	if (p->n == 2 && !strcmp(p->seg[1], "index.json"))
		return R_INDEX;
	if (p->n == 5 && !strcmp(p->seg[1], "package") && *p->seg[2] && *p->seg[3] && *p->seg[4])
		return R_PACKAGE;
	if (p->n == 4 && !strcmp(p->seg[1], "file") && *p->seg[2] && *p->seg[3])
		return R_FILE;
	return R_NONE;
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct path p;
	struct nb_err err;
	enum route_result get, head, post;
	int want;

	arena_init(&a);
	if (path_split(&a, (const char *)data, size, &p, &err) < 0) {
		if (err.kind != NB_INVALID || !err.msg[0])
			abort();
		arena_free(&a);
		return 0;
	}
	fz_check_segments(&p);
	get = route(&a, "GET", &p);
	head = route(&a, "HEAD", &p);
	post = route(&a, "POST", &p);
	if (head != get)
		abort();
	if ((get == ROUTE_NOT_FOUND) != (post == ROUTE_NOT_FOUND) ||
	    (post != ROUTE_NOT_FOUND && post != ROUTE_BAD_METHOD))
		abort();
	want = expected(&p);
	if ((want != R_NONE) != (get == ROUTE_OK))
		abort();
	if (want != R_NONE) {	/* and it is that route, by its handler */
		const struct route *hit;
		struct route_params rp;

		fz_route_match(&a, routes, NROUTES, "GET", &p, &hit, &rp);
		if (which_route(hit) != want)
			abort();
	}
	arena_free(&a);
	return 0;
}
