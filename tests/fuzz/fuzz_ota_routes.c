/*
 * fuzz_ota_routes - the request line of ota.fcgi: the input is split at
 * the first '?' into a raw path and a query; path_split() and
 * query_parse() read them as the program does, then route_match() runs
 * against ota.fcgi's own route table (src/ota/ota_routes.c, compiled in
 * here, not copied) with its validators (src/ota/ota_path.c).
 *
 * Invariants (abort() when broken):
 *  - a matched :owner/:repo passes ota_name_ok, :tag/:branch/:ref
 *    ota_ref_ok, :sha ota_sha_ok (40 lowercase hex), :id ota_id_ok, :file
 *    is "manifest.json"; none holds '/', '?', '%', '\\', a space or a
 *    control byte (they end up in links the program hands out);
 *  - every ':' parameter is one of the path's segments;
 *  - *path of a raw-file route is the remaining segments joined by '/',
 *    and what ota_path_ok() accepts has no "", "." or ".." segment;
 *  - ROUTE_INVALID always names the parameter that failed;
 *  - HEAD routes like GET; POST never finds a route (all are GET);
 *  - a parsed query's "recursive" value, when present, is NUL-free text.
 * The handlers are never called here: the table's entries for them are
 * satisfied by stubs that abort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/path.h"
#include "../../src/lib/query.h"
#include "../../src/lib/route.h"
#include "../../src/ota/ota_path.c"
#include "../../src/ota/ota_routes.c"

#define STUB(fn) \
	void fn(struct app *app, struct http_req *r, struct http_resp *w) \
	{ (void)app; (void)r; (void)w; abort(); }
STUB(ota_latest) STUB(ota_release_tag) STUB(ota_releases) STUB(ota_release_id)
STUB(ota_asset) STUB(ota_download) STUB(ota_ref_tag) STUB(ota_ref_head) STUB(ota_tag)
STUB(ota_tree) STUB(ota_raw)

static void plain(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || strchr("/?#%\\\"<>", c))
			abort();
	}
}

static int is_segment(const struct path *p, const char *v)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->seg[i] == v)
			return 1;
	return 0;
}

static int valid_param(const char *name, const char *v)
{
	if (!strcmp(name, "owner") || !strcmp(name, "repo"))
		return ota_name_ok(v);
	if (!strcmp(name, "tag") || !strcmp(name, "branch") || !strcmp(name, "ref"))
		return ota_ref_ok(v);
	if (!strcmp(name, "sha"))
		return ota_sha_ok(v);
	if (!strcmp(name, "id"))
		return ota_id_ok(v);
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

static void check_ok(struct arena *a, const struct path *p, const struct route_params *rp)
{
	int i;

	for (i = 0; i < rp->n; i++) {
		if (!strcmp(rp->name[i], "path")) {
			raw_path(a, p, rp->val[i]);
			continue;
		}
		if (!is_segment(p, rp->val[i]) || !valid_param(rp->name[i], rp->val[i]))
			abort();
		plain(rp->val[i]);
	}
}

static enum route_result route(struct arena *a, const char *method, const struct path *p)
{
	const struct route *hit = NULL;
	struct route_params rp = { .n = 0 };
	const char *bad = NULL;
	enum route_result res = route_match(a, ota_routes, ota_nroutes, method, p, &hit, &rp, &bad);

	if (res == ROUTE_OK)
		check_ok(a, p, &rp);
	else if (res == ROUTE_INVALID && !bad)
		abort();
	return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *q = memchr(data, '?', size), *err = NULL;
	size_t plen = q ? (size_t)(q - s) : size;
	struct arena a;
	struct path p;
	struct query qu;
	enum route_result get;

	arena_init(&a);
	if (q && query_parse(&a, q + 1, size - plen - 1, &qu, &err) == 0) {
		const char *rec = query_get(&qu, "recursive");
		if (rec && strlen(rec) > size)
			abort();
	}
	if (path_split(&a, s, plen, &p, &err) == 0) {
		get = route(&a, "GET", &p);
		if (route(&a, "HEAD", &p) != get)
			abort();
		if (route(&a, "POST", &p) == ROUTE_OK)
			abort();
	} else if (!err) {
		abort();
	}
	arena_free(&a);
	return 0;
}
