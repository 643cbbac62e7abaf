/*
 * unit_routes.h - routes a request target through a program's real route
 * table and checks its declared input the way app.c does, for the unit
 * tests of typed routes (req.h).  Include after <cmocka.h> and after the
 * program's src/cgi/<name>.fcgi.c (compiled with NB_NO_MAIN), which brings
 * the http, path, query, route and req declarations.  The fixture is the
 * arena A (unit_arena.h) and an app, APP, with no domain and 1024 bytes
 * of body allowed: ut_routes_setup and ut_routes_teardown.
 */
#ifndef NB_UNIT_ROUTES_H
#define NB_UNIT_ROUTES_H

#include <string.h>

#include "unit_arena.h"

static struct app APP;

static inline int ut_routes_setup(void **state)
{
	memset(&APP, 0, sizeof(APP));
	APP.set.max_body = 1024;
	return ut_arena_setup(state);
}

static inline int ut_routes_teardown(void **state)
{
	return ut_arena_teardown(state);
}

/* A test of the tests[] array, run in a fresh fixture. */
#define ut_routes_test(t) cmocka_unit_test_setup_teardown(t, ut_routes_setup, ut_routes_teardown)

/*
 * Splits uri ("/path" or "/path?query") into r (allocated from a), routes
 * method in table t of n routes -- failing the test when path_split,
 * query_parse or route_match refuses, since the callers test what
 * req_check says -- and returns req_check(app, r, REQ_PATH | REQ_QUERY, e):
 * 0, or -1 with e set.  r keeps the checked values for req_str/req_int.
 */
static inline int ut_route_check(struct arena *a, const struct app *app,
				 const struct route *t, int n, const char *method,
				 const char *uri, struct http_req *r, struct nb_err *e)
{
	const char *q = strchr(uri, '?');
	struct nb_err err;
	size_t plen = q ? (size_t)(q - uri) : strlen(uri);

	http_req_init(r, a, NULL);
	r->method = method;
	nb_err_clear(e);
	if (path_split(a, uri, plen, &r->path, &err) < 0)
		fail_msg("path_split(%s): %s", uri, err.msg);
	if (q && query_parse(a, q + 1, strlen(q + 1), &r->query, &err) < 0)
		fail_msg("query_parse(%s): %s", uri, err.msg);
	assert_int_equal(route_match(a, t, n, method, &r->path, &r->route, &r->params),
			 ROUTE_OK);
	return req_check(app, r, REQ_PATH | REQ_QUERY, e);
}

#endif
