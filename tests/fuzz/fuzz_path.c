/*
 * fuzz_path - path_split() on the input as a raw request path, then
 * route_match() against the tables of src/cgi/list.c and src/cgi/update.c.
 *
 * Invariants (abort() when broken):
 *  - every decoded segment passes path_segment_ok(), except an empty last
 *    segment (the trailing slash); none is ".", "..", holds '/' or NUL;
 *  - a matched :box / :image parameter passes mkbox_name_ok(), and every
 *    parameter is one of the path's segments;
 *  - HEAD routes like GET, and POST finds a route exactly when GET does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/path.h"
#include "../../src/lib/route.h"
#include "../../src/mkbox/mkbox.h"

static const struct route_param_spec names[] = {
	{ "box", mkbox_name_ok },
	{ "image", mkbox_name_ok },
	{ NULL, NULL }
};

/* list.fcgi and update.fcgi, as one table */
static const struct route routes[] = {
	{ "GET", "/list", mkbox_list, "/list", NULL, 0 },
	{ "GET", "/list/", mkbox_list, "/list", NULL, 0 },
	{ "GET", "/list/:search", mkbox_list, "/list/:search", NULL, 0 },
	{ "GET", "/update", mkbox_update_query, "/update?", NULL, 0 },
	{ "GET", "/update/:box/:image", mkbox_update, "/update/:box/:image", names, 0 },
	{ "GET", "/update/:box/:image/:build", mkbox_update,
	  "/update/:box/:image/:build", names, 0 },
};
#define NROUTES ((int)(sizeof(routes) / sizeof(routes[0])))

static void check_segments(const struct path *p)
{
	int i;

	if (p->n < 0 || p->n > PATH_MAX_SEGS)
		abort();
	for (i = 0; i < p->n; i++) {
		const char *s = p->seg[i];
		size_t n = strlen(s);

		if (n == 0 && i == p->n - 1)
			continue;	/* trailing slash */
		if (!path_segment_ok(s, n))
			abort();
		if (!strcmp(s, ".") || !strcmp(s, "..") || strchr(s, '/'))
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

static enum route_result route(struct arena *a, const char *method,
			       const struct path *p)
{
	const struct route *hit = NULL;
	struct route_params rp = { .n = 0 };
	const char *bad = NULL;
	enum route_result res;
	int i;

	res = route_match(a, routes, NROUTES, method, p, &hit, &rp, &bad);
	switch (res) {
	case ROUTE_OK:
		if (!hit || rp.n < 0 || rp.n > ROUTE_MAX_PARAMS)
			abort();
		for (i = 0; i < rp.n; i++) {
			if (!rp.val[i] || !*rp.val[i] || !is_segment(p, rp.val[i]))
				abort();
			if ((!strcmp(rp.name[i], "box") || !strcmp(rp.name[i], "image")) &&
			    !mkbox_name_ok(rp.val[i]))
				abort();
		}
		break;
	case ROUTE_INVALID:
		if (!hit || !bad || (strcmp(bad, "box") && strcmp(bad, "image")))
			abort();
		break;
	case ROUTE_NOT_FOUND:
	case ROUTE_BAD_METHOD:
		if (hit)
			abort();
		break;
	default:
		abort();
	}
	return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct path p;
	const char *err = NULL;
	enum route_result get, head, post;

	arena_init(&a);
	if (path_split(&a, (const char *)data, size, &p, &err) < 0) {
		if (!err)
			abort();
		arena_free(&a);
		return 0;
	}
	check_segments(&p);
	get = route(&a, "GET", &p);
	head = route(&a, "HEAD", &p);
	post = route(&a, "POST", &p);
	if (head != get)
		abort();
	if ((get == ROUTE_NOT_FOUND) != (post == ROUTE_NOT_FOUND) ||
	    (post != ROUTE_NOT_FOUND && post != ROUTE_BAD_METHOD))
		abort();
	arena_free(&a);
	return 0;
}
