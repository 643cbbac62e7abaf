/*
 * fuzz_ota_routes - the request target of ota.fcgi ("<path>[?<query>]"):
 * path_split() and query_parse() read it as the program does, then
 * route_match() and req_check() run against ota.fcgi's own route table
 * (src/cgi/ota.fcgi.c, included without its main) with its validators,
 * linked from the instrumented archive scripts/fuzz.sh builds.  The
 * handlers are never called here.
 *
 * Invariants (abort() when broken):
 *  - input req_check accepts: :owner/:repo pass ota_repo_ok, :tag/:branch/
 *    :ref ota_ref_ok, :sha ota_sha_ok (40 lowercase hex), :id is a number
 *    1..10^18-1 written as it came, :file is "manifest.json"; none holds
 *    '/', '?', '%', '\\', a space or a control byte (they end up in links
 *    the program hands out);
 *  - input it refuses: NB_INVALID with "invalid <field>" or "missing
 *    <field>" naming a declared field;
 *  - every ':' parameter is one of the path's segments; *path of a
 *    raw-file route is the remaining segments joined by '/', and what
 *    ota_path_ok() accepts has no "", "." or ".." segment;
 *  - HEAD routes like GET; a POST finds only the catch-all for any
 *    method (all other routes are GET).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB_NO_MAIN
#include "../../src/cgi/ota.fcgi.c"
#include "fuzz_routes.h"

static int valid_value(const struct http_req *r, const char *name, const char *v)
{
	char num[32];

	if (!strcmp(name, "owner"))
		return ota_owner_ok(v);
	if (!strcmp(name, "repo"))
		return ota_repo_name_ok(v);
	if (!strcmp(name, "tag") || !strcmp(name, "branch") || !strcmp(name, "ref"))
		return ota_ref_ok(v);
	/* git/trees takes a ref for the id too, as GitHub does */
	if (!strcmp(name, "sha"))
		return ota_sha_ok(v) || (r->route->t.input == tree_in && ota_ref_ok(v));
	if (!strcmp(name, "id")) {
		snprintf(num, sizeof(num), "%lld", req_int(r, "id", 0));
		return req_int(r, "id", 0) > 0 && !strcmp(num, v);
	}
	if (!strcmp(name, "file"))
		return ota_asset_name_ok(v);
	abort();
}

static void raw_path(struct arena *a, const struct path *p, const char *v)
{
	struct buf b;
	int i;

	buf_init(&b, a);
	for (i = 5; i < p->n; i++) {
		if (i > 5)
			buf_addc(&b, '/');
		buf_adds(&b, p->seg[i]);
	}
	if (strcmp(buf_cstr(&b), v))
		abort();
	if (ota_path_ok(v) && (strstr(v, "//") || !strcmp(v, "..") || !strncmp(v, "../", 3) ||
			       strstr(v, "/../") || strstr(v, "/./") || v[0] == '/'))
		abort();
}

static void check_input(struct arena *a, const struct path *p, const struct query *q,
			const struct route *hit, const struct route_params *rp)
{
	static struct app app;	/* zero: the ota validators read no settings */
	struct http_req r;
	int i;

	if (!fz_req_accepted(a, &app, "GET", p, q, hit, rp, &r))
		return;
	for (i = 0; i < rp->n; i++) {
		if (!strcmp(rp->name[i], "path")) {
			raw_path(a, p, rp->val[i]);
			continue;
		}
		/* the catch-all's tail (GitHub's 404 for any other path): any
		 * bytes, answered without reading them */
		if (!strcmp(rp->name[i], "rest"))
			continue;
		if (!fz_is_segment(p, rp->val[i]) || !valid_value(&r, rp->name[i], req_str(&r, rp->name[i])))
			abort();
		fz_url_piece_ok(rp->val[i]);
	}
}

static enum route_result route(struct arena *a, const char *method, const struct path *p,
			       const struct query *q)
{
	const struct route *hit;
	struct route_params rp;
	enum route_result res = fz_route_match(a, ota_routes, ota_nroutes, method, p, &hit, &rp);

	if (res == ROUTE_OK) {
		if (!route_typed(hit))
			abort();
		check_input(a, p, q, hit, &rp);
	}
	return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query q;
	struct arena a;
	struct path p;
	enum route_result get;

	arena_init(&a);
	/* a refused query string routes as none: the path is still judged */
	if (fz_split_target(&a, data, size, &p, &q) != FZ_BAD_PATH) {
		get = route(&a, "GET", &p, &q);
		if (route(&a, "HEAD", &p, &q) != get)
			abort();
		/* the API is read-only: a POST reaches only the catch-all for
		 * any method (GitHub's 404/405 shape) */
		{
			const struct route *hit;
			struct route_params rp;

			if (fz_route_match(&a, ota_routes, ota_nroutes, "POST", &p, &hit, &rp) ==
			    ROUTE_OK && strcmp(hit->method, "*"))
				abort();
		}
	}
	arena_free(&a);
	return 0;
}
