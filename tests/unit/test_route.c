/*
 * test_route.c - route_match over a small table: literals, the root,
 * patterns with and without a trailing slash, ":name" parameters (their
 * shape only: what they may hold is req_check's to say), a final "*rest",
 * GET admitting HEAD, the "*" method, 405 (ROUTE_BAD_METHOD) versus 404
 * (ROUTE_NOT_FOUND), a 405's Allow (route_allow), and first-match-wins
 * order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../src/lib/err.h"
#include "../../src/lib/route.h"
#include "unit_arena.h"

/* A route of the test tables: matching reads only method and pattern. */
#define R(m, p, label) { (m), (p), (label), { NULL, NULL }, 0 }

enum { R_ROOT, R_LIST, R_LIST_SLASH, R_UPLOAD, R_UPDATE, R_FILES, R_ANY,
       R_ITEM_DEL, R_ITEM_GET, R_FREE, NROUTES };

static const struct route table[] = {
	[R_ROOT] = R("GET", "/", "root"),
	[R_LIST] = R("GET", "/list", NULL),
	[R_LIST_SLASH] = R("GET", "/list/", NULL),
	[R_UPLOAD] = R("POST", "/upload/:box", NULL),
	[R_UPDATE] = R("GET", "/update/:box/:image", NULL),
	[R_FILES] = R("GET", "/files/*rest", NULL),
	[R_ANY] = R("*", "/any", NULL),
	[R_ITEM_DEL] = R("DELETE", "/item/:id", NULL),
	[R_ITEM_GET] = R("GET", "/item/:id", NULL),
	[R_FREE] = R("GET", "/free/:anything", NULL),
};

struct hit {
	enum route_result res;
	const struct route *r;
	struct route_params p;
};

static struct hit match_in(const struct route *t, int n, const char *method,
			   const char *raw)
{
	struct hit h;
	struct path p;
	struct nb_err err;

	memset(&h, 0, sizeof(h));
	if (path_split(&A, raw, strlen(raw), &p, &err) < 0)
		fail_msg("path_split(%s): %s", raw, err.msg);
	h.res = route_match(&A, t, n, method, &p, &h.r, &h.p);
	return h;
}

static struct hit match(const char *method, const char *raw)
{
	return match_in(table, NROUTES, method, raw);
}

#define assert_route(h, idx) do {					\
	assert_int_equal((h).res, ROUTE_OK);				\
	assert_ptr_equal((h).r, &table[(idx)]);				\
} while (0)

static void test_root(void **state)
{
	struct hit h = match("GET", "/");

	(void)state;
	assert_route(h, R_ROOT);
	assert_int_equal(h.p.n, 0);
}

static void test_literal(void **state)
{
	struct hit h = match("GET", "/list");

	(void)state;
	assert_route(h, R_LIST);
	assert_int_equal(h.p.n, 0);
}

static void test_trailing_slash_pattern(void **state)
{
	static const struct route only_slash[] = { R("GET", "/dir/", NULL) };
	static const struct route no_slash[] = { R("GET", "/dir", NULL) };
	struct hit h;

	(void)state;
	h = match("GET", "/list/");
	assert_route(h, R_LIST_SLASH);
	h = match_in(only_slash, 1, "GET", "/dir/");
	assert_int_equal(h.res, ROUTE_OK);
	assert_ptr_equal(h.r, &only_slash[0]);
	h = match_in(only_slash, 1, "GET", "/dir");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	assert_null(h.r);
	h = match_in(no_slash, 1, "GET", "/dir/");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	assert_null(h.r);
}

/* The raw value the router matched for name (req.c reads it so), or NULL. */
static const char *param(const struct route_params *rp, const char *name)
{
	for (int i = 0; i < rp->n; i++)
		if (!strcmp(rp->name[i], name))
			return rp->val[i];
	return NULL;
}

static void test_params(void **state)
{
	struct hit h = match("GET", "/update/box1/img2");

	(void)state;
	assert_route(h, R_UPDATE);
	assert_int_equal(h.p.n, 2);
	assert_string_equal(h.p.name[0], "box");
	assert_string_equal(h.p.val[0], "box1");
	assert_string_equal(param(&h.p, "box"), "box1");
	assert_string_equal(param(&h.p, "image"), "img2");
	assert_null(param(&h.p, "rest"));
	assert_null(param(&h.p, "bo"));
}

static void test_param_without_validator(void **state)
{
	struct hit h = match("GET", "/free/ANY%20thing");

	(void)state;
	assert_route(h, R_FREE);
	assert_string_equal(param(&h.p, "anything"), "ANY thing");
}

static void test_param_needs_nonempty_segment(void **state)
{
	struct hit h;

	(void)state;
	h = match("GET", "/update/box1/");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	assert_null(h.r);
	h = match("GET", "/free/");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
}

static void test_segment_count_must_match(void **state)
{
	struct hit h;

	(void)state;
	h = match("GET", "/update/box1");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	h = match("GET", "/update/box1/img/extra");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	h = match("GET", "/list/x");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	h = match("GET", "/lis");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	h = match("GET", "/listx");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
}

/* A parameter's shape is all a pattern asks: its field's validator judges
 * the value later (req_check), so "Box1" still finds the route. */
static void test_param_value_is_not_judged_here(void **state)
{
	struct hit h;

	(void)state;
	h = match("GET", "/update/Box1/img");
	assert_route(h, R_UPDATE);
	assert_string_equal(param(&h.p, "box"), "Box1");
	h = match("GET", "/item/12a");
	assert_route(h, R_ITEM_GET);
	h = match("PUT", "/update/Box1/img");
	assert_int_equal(h.res, ROUTE_BAD_METHOD);
	assert_null(h.r);
}

static void test_rest(void **state)
{
	struct hit h;

	(void)state;
	h = match("GET", "/files/a/b/c.txt");
	assert_route(h, R_FILES);
	assert_int_equal(h.p.n, 1);
	assert_string_equal(h.p.name[0], "rest");
	assert_string_equal(param(&h.p, "rest"), "a/b/c.txt");
	h = match("GET", "/files/one");
	assert_route(h, R_FILES);
	assert_string_equal(param(&h.p, "rest"), "one");
	/* zero remaining segments */
	h = match("GET", "/files");
	assert_route(h, R_FILES);
	assert_string_equal(param(&h.p, "rest"), "");
	/* a trailing slash stays visible in the rest */
	h = match("GET", "/files/dir/");
	assert_route(h, R_FILES);
	assert_string_equal(param(&h.p, "rest"), "dir/");
	h = match("GET", "/file/a");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
}

static void test_get_admits_head(void **state)
{
	struct hit h;

	(void)state;
	h = match("HEAD", "/list");
	assert_route(h, R_LIST);
	h = match("HEAD", "/update/a/b");
	assert_route(h, R_UPDATE);
	/* but POST does not */
	h = match("HEAD", "/upload/a");
	assert_int_equal(h.res, ROUTE_BAD_METHOD);
	assert_null(h.r);
}

static void test_star_method(void **state)
{
	struct hit h;

	(void)state;
	h = match("PATCH", "/any");
	assert_route(h, R_ANY);
	h = match("GET", "/any");
	assert_route(h, R_ANY);
	h = match("HEAD", "/any");
	assert_route(h, R_ANY);
}

static void test_405_versus_404(void **state)
{
	struct hit h;

	(void)state;
	h = match("POST", "/list");
	assert_int_equal(h.res, ROUTE_BAD_METHOD);
	assert_null(h.r);
	h = match("GET", "/upload/a");
	assert_int_equal(h.res, ROUTE_BAD_METHOD);
	h = match("PUT", "/item/5");
	assert_int_equal(h.res, ROUTE_BAD_METHOD);
	h = match("GET", "/nowhere");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	assert_null(h.r);
	h = match("POST", "/nowhere");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	/* method names are case-sensitive */
	h = match("get", "/list");
	assert_int_equal(h.res, ROUTE_BAD_METHOD);
}

static const char *allow_of(const char *raw)
{
	struct path p;
	struct nb_err err;

	if (path_split(&A, raw, strlen(raw), &p, &err) < 0)
		fail_msg("path_split(%s): %s", raw, err.msg);
	return route_allow(&A, table, NROUTES, &p);
}

/* A 405's Allow (RFC 9110 15.5.6): every method of the routes of the
 * path, once each, HEAD with GET; none for an unknown path or a "*"
 * route's (it never answers 405). */
static void test_allow(void **state)
{
	(void)state;
	assert_string_equal(allow_of("/list"), "GET, HEAD");
	assert_string_equal(allow_of("/upload/a"), "POST");
	assert_string_equal(allow_of("/item/5"), "DELETE, GET, HEAD");
	assert_string_equal(allow_of("/files/a/b"), "GET, HEAD");
	assert_null(allow_of("/nowhere"));
	assert_null(allow_of("/any"));
}

/* A catch-all "*" route takes every method the routes before it leave:
 * the Allow its handler's 405 carries names those routes' methods only,
 * never a route after it that route_match never reaches. */
static void test_allow_stops_at_a_catch_all(void **state)
{
	static const struct route t[] = {
		R("GET", "/api/x", NULL),
		R("POST", "/api/*rest", NULL),
		R("*", "/api/*rest", NULL),
		R("GET", "/api/*rest", NULL),
		R("PUT", "/api/x", NULL),
	};
	struct path p;
	struct nb_err err;

	(void)state;
	assert_int_equal(path_split(&A, "/api/x", 6, &p, &err), 0);
	assert_string_equal(route_allow(&A, t, 5, &p), "GET, HEAD, POST");
	assert_int_equal(path_split(&A, "/api/y/z", 8, &p, &err), 0);
	assert_string_equal(route_allow(&A, t, 5, &p), "POST");
	assert_null(route_allow(&A, t + 2, 3, &p));
}

static void test_later_route_with_right_method_wins_over_405(void **state)
{
	struct hit h;

	(void)state;
	h = match("GET", "/item/5");
	assert_route(h, R_ITEM_GET);
	assert_string_equal(param(&h.p, "id"), "5");
	h = match("DELETE", "/item/5");
	assert_route(h, R_ITEM_DEL);
}

static void test_first_match_wins(void **state)
{
	static const struct route t[] = {
		R("GET", "/a/:x", "first"),
		R("GET", "/a/b", "second"),
	};
	struct hit h;

	(void)state;
	h = match_in(t, 2, "GET", "/a/b");
	assert_int_equal(h.res, ROUTE_OK);
	assert_ptr_equal(h.r, &t[0]);
	assert_string_equal(param(&h.p, "x"), "b");
}

static void test_empty_table(void **state)
{
	struct hit h = match_in(table, 0, "GET", "/");

	(void)state;
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
	assert_null(h.r);
}

static void test_param_does_not_hide_non_matching_pattern(void **state)
{
	static const struct route t[] = {
		R("GET", "/u/:box/info", NULL),
		R("GET", "/u/*rest", NULL),
	};
	struct hit h;

	(void)state;
	/* sanity: a valid box still reaches the first route */
	h = match_in(t, 2, "GET", "/u/box/info");
	assert_int_equal(h.res, ROUTE_OK);
	assert_ptr_equal(h.r, &t[0]);
	/* a path the first pattern does not match at all ("/u/BOX/other",
	 * "/u/BOX") falls through to the rest route (or 404) */
	h = match_in(t, 2, "GET", "/u/BOX/other");
	assert_int_equal(h.res, ROUTE_OK);
	assert_ptr_equal(h.r, &t[1]);
	h = match_in(t, 2, "GET", "/u/BOX");
	assert_int_equal(h.res, ROUTE_OK);
	assert_ptr_equal(h.r, &t[1]);
	h = match_in(t, 1, "GET", "/u/BOX/other");
	assert_int_equal(h.res, ROUTE_NOT_FOUND);
}

static void test_param_limit_with_rest(void **state)
{
	static const struct route t[] = {
		R("GET", "/:a/:b/:c/:d/:e/:f/:g/:h/*rest", NULL),
	};
	struct hit h;

	(void)state;
	h = match_in(t, 1, "GET", "/1/2/3/4/5/6/7/8/9");
	/* Regression (was a bug): 8 ":name" parameters fill route_params (ROUTE_MAX_PARAMS = 8);
	 * the final "*rest" is then stored at name[8]/val[8] without the
	 * bound check the ':' branch has, writing past the arrays (val[8]
	 * lands on .n).  Expected: no match (or at most 8 parameters). */
	if (h.res == ROUTE_OK)
		assert_in_range(h.p.n, 0, ROUTE_MAX_PARAMS);
	else
		assert_int_equal(h.res, ROUTE_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_trailing_slash_pattern),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_param_without_validator),
		cmocka_unit_test(test_param_needs_nonempty_segment),
		cmocka_unit_test(test_segment_count_must_match),
		cmocka_unit_test(test_param_value_is_not_judged_here),
		cmocka_unit_test(test_rest),
		cmocka_unit_test(test_get_admits_head),
		cmocka_unit_test(test_star_method),
		cmocka_unit_test(test_405_versus_404),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_allow_stops_at_a_catch_all),
		cmocka_unit_test(test_later_route_with_right_method_wins_over_405),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_param_does_not_hide_non_matching_pattern),
		cmocka_unit_test(test_param_limit_with_rest),
	};

	return cmocka_run_group_tests(tests, ut_arena_setup, ut_arena_teardown);
}
