/*
 * fuzz_ota_routes - the request target of ota.fcgi ("<path>[?<query>]"):
 * path_split() and query_parse() read it as the program does, then
 * route_match() and req_check() run against ota.fcgi's own route table
 * (src/cgi/ota.fcgi.c, included without its main) with its validators,
 * linked from the instrumented archive scripts/fuzz.sh builds.  The
 * handlers are never called here.
 *
 * Invariants (abort() when broken):
 *  - input req_check accepts: :owner/:repo pass ota_name_ok, :tag/:branch/
 *    :ref ota_ref_ok, :sha ota_sha_ok (40 lowercase hex), :id is a number
 *    1..10^18-1 written as it came, :file is "manifest.json"; none holds
 *    '/', '?', '%', '\\', a space or a control byte (they end up in links
 *    the program hands out);
 *  - input it refuses: NB_INVALID with "invalid <field>" or "missing
 *    <field>" naming a declared field;
 *  - every ':' parameter is one of the path's segments; *path of a
 *    raw-file route is the remaining segments joined by '/', and what
 *    ota_path_ok() accepts has no "", "." or ".." segment;
 *  - typed tables never answer ROUTE_INVALID; HEAD routes like GET; POST
 *    never finds a route (all are GET).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB_NO_MAIN
#include "../../src/cgi/ota.fcgi.c"

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

static int valid_value(const struct http_req *r, const char *name, const char *v)
{
	char num[32];

	if (!strcmp(name, "owner") || !strcmp(name, "repo"))
		return ota_name_ok(v);
	if (!strcmp(name, "tag") || !strcmp(name, "branch") || !strcmp(name, "ref"))
		return ota_ref_ok(v);
	if (!strcmp(name, "sha"))
		return ota_sha_ok(v);
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

/* The declared field msg names ("invalid X", "invalid X: ...", "missing X"). */
static int names_declared_field(const struct route *hit, const char *msg)
{
	const struct req_field *f = route_typed(hit)->input;
	size_t n;

	if (strncmp(msg, "invalid ", 8) && strncmp(msg, "missing ", 8))
		return 0;
	msg += 8;
	n = strcspn(msg, ":");
	for (; f && f->name; f++)
		if (strlen(f->name) == n && !memcmp(f->name, msg, n))
			return 1;
	return 0;
}

static void check_input(struct arena *a, const struct path *p, const struct query *q,
			const struct route *hit, const struct route_params *rp)
{
	static struct app app;	/* zero: the ota validators read no settings */
	struct http_req r;
	struct nb_err e;
	int i;

	http_req_init(&r, a, NULL);
	r.method = "GET";
	r.path = *p;
	r.query = *q;
	r.route = hit;
	r.params = *rp;
	if (req_check(&app, &r, REQ_PATH | REQ_QUERY, &e) < 0) {
		if (e.kind != NB_INVALID || !names_declared_field(hit, e.msg))
			abort();
		return;
	}
	for (i = 0; i < rp->n; i++) {
		if (!strcmp(rp->name[i], "path")) {
			raw_path(a, p, rp->val[i]);
			continue;
		}
		if (!is_segment(p, rp->val[i]) || !valid_value(&r, rp->name[i], req_str(&r, rp->name[i])))
			abort();
		plain(rp->val[i]);
	}
}

static enum route_result route(struct arena *a, const char *method, const struct path *p,
			       const struct query *q)
{
	const struct route *hit = NULL;
	struct route_params rp = { .n = 0 };
	const char *bad = NULL;
	enum route_result res = route_match(a, ota_routes, ota_nroutes, method, p, &hit, &rp, &bad);

	if (res == ROUTE_INVALID)
		abort();	/* typed tables never say it: req_check judges */
	if (res == ROUTE_OK) {
		if (!hit || !route_typed(hit) || rp.n < 0 || rp.n > ROUTE_MAX_PARAMS)
			abort();
		check_input(a, p, q, hit, &rp);
	}
	return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *qm = memchr(data, '?', size), *err = NULL;
	size_t plen = qm ? (size_t)(qm - s) : size;
	struct query q = { 0 };
	struct arena a;
	struct path p;
	enum route_result get;

	arena_init(&a);
	if (qm && query_parse(&a, qm + 1, size - plen - 1, &q, &err) < 0)
		memset(&q, 0, sizeof(q));
	if (path_split(&a, s, plen, &p, &err) == 0) {
		get = route(&a, "GET", &p, &q);
		if (route(&a, "HEAD", &p, &q) != get)
			abort();
		if (route(&a, "POST", &p, &q) == ROUTE_OK)
			abort();
	} else if (!err) {
		abort();
	}
	arena_free(&a);
	return 0;
}
