/*
 * fuzz_path - a raw request target ("<path>[?<query>]"): path_split() and
 * query_parse(), then route_match() and req_check() against the very
 * tables that serve list.fcgi and update.fcgi (src/cgi/list.fcgi.c and
 * src/cgi/update.fcgi.c, included without their main).
 *
 * Invariants (abort() when broken):
 *  - every decoded segment passes path_segment_ok(), except an empty last
 *    segment (the trailing slash); none is ".", "..", holds '/' or NUL;
 *  - every matched parameter is one of the path's segments, non-empty;
 *  - input that req_check accepts: every box, image, name, board,
 *    branch and version value passes mkbox_name_ok(); input it refuses:
 *    NB_INVALID with "invalid <field>" or "missing <field>" naming a
 *    declared field;
 *  - HEAD routes like GET, and POST finds a route exactly when GET does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NB_NO_MAIN
#include "../../src/cgi/list.fcgi.c"
#include "../../src/cgi/update.fcgi.c"
#include "fuzz_routes.h"

static const char *const names[] = { "box", "image", "name", "board", "branch", "version" };

static void check_input(struct arena *a, const struct path *p, const struct query *q,
			const struct route *hit, const struct route_params *rp)
{
	static struct app app;	/* zero: the mkbox validators read no settings */
	struct http_req r;
	size_t i;

	if (!fz_req_accepted(a, &app, "GET", p, q, hit, rp, &r))
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct req_field *f = route_typed(hit)->input;
		for (; f && f->name; f++)
			if (!strcmp(f->name, names[i]) && req_str(&r, names[i]) &&
			    !mkbox_name_ok(req_str(&r, names[i])))
				abort();
	}
}

static enum route_result route(struct arena *a, const char *method,
			       const struct path *p, const struct query *q)
{
	const struct route *hit;
	struct route_params rp;
	enum route_result res;
	int i;

	res = fz_route_match(a, list_routes, list_nroutes, method, p, &hit, &rp);
	if (res == ROUTE_NOT_FOUND)
		res = fz_route_match(a, update_routes, update_nroutes, method, p, &hit, &rp);
	if (res != ROUTE_OK)
		return res;
	if (!route_typed(hit))
		abort();
	for (i = 0; i < rp.n; i++)	/* no tails here: every parameter is a segment */
		if (!*rp.val[i] || !fz_is_segment(p, rp.val[i]))
			abort();
	check_input(a, p, q, hit, &rp);
	return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct path p;
	struct query q;
	enum route_result get, head, post;

	arena_init(&a);
	if (fz_split_target(&a, data, size, &p, &q) != FZ_TARGET_OK) {
		arena_free(&a);
		return 0;
	}
	fz_check_segments(&p);
	get = route(&a, "GET", &p, &q);
	head = route(&a, "HEAD", &p, &q);
	post = route(&a, "POST", &p, &q);
	if (head != get)
		abort();
	if ((get == ROUTE_NOT_FOUND) != (post == ROUTE_NOT_FOUND) ||
	    (post != ROUTE_NOT_FOUND && post != ROUTE_BAD_METHOD))
		abort();
	arena_free(&a);
	return 0;
}
