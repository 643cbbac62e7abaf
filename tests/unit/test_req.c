/*
 * test_req.c - declared, typed request input (req.h) over the real route
 * tables of list.fcgi and update.fcgi (src/cgi, included without main):
 * checked values through req_str/req_int, 400 "invalid <name>" and
 * "missing <name>", a validator's own kind, empty versus absent, max,
 * the generic validators, a declared field given twice in a query or a
 * form refused unless the route declares it repeatable, the values of a
 * repeatable field (req_each), what was typed as sent (req_typed), and
 * route_table_check refusing a typed route whose pattern and
 * declarations disagree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#define NB_NO_MAIN
#include "../../src/cgi/list.fcgi.c"
#include "../../src/cgi/update.fcgi.c"
#include "unit_routes.h"

/* Routes uri ("/path?query") in table t as a GET: req_check's result. */
static int run(const struct route *t, int n, const char *uri, struct http_req *r,
	       struct nb_err *e)
{
	return ut_route_check(&A, &APP, t, n, "GET", uri, r, e);
}

#define UPD(uri) run(update_routes, update_nroutes, (uri), &r, &e)

static void test_update_path_values(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(UPD("/update/box1/box1-rpi4-master-1.0/abc"), 0);
	assert_string_equal(req_str(&r, "box"), "box1");
	assert_string_equal(req_str(&r, "image"), "box1-rpi4-master-1.0");
	assert_string_equal(req_str(&r, "build"), "abc");
	assert_int_equal(req_has(&r, "build"), 1);
}

static void test_update_path_refused_names_the_field(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(UPD("/update/box1/box1-rpi4-*"), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_string_equal(e.msg, "invalid image");
	assert_int_equal(UPD("/update/.hidden/x"), -1);
	assert_string_equal(e.msg, "invalid box");
}

static void test_update_query_checked(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(UPD("/update?name=box1&board=rpi4&version=1.0&build_id=x1"), 0);
	assert_string_equal(req_str(&r, "name"), "box1");
	assert_string_equal(req_str(&r, "board"), "rpi4");
	assert_null(req_str(&r, "branch"));
	assert_string_equal(req_str(&r, "build_id"), "x1");
	/* a hostile name never reaches the handler */
	assert_int_equal(UPD("/update?name=..&board=secret&version=s"), -1);
	assert_string_equal(e.msg, "invalid name");
	assert_int_equal(UPD("/update?name=box1&board=rpi4/../..&version=1.0"), -1);
	assert_string_equal(e.msg, "invalid board");
	assert_int_equal(UPD("/update?name=box1&board=x&build_id=a%01b"), -1);
	assert_string_equal(e.msg, "invalid build_id");
}

static void test_empty_is_absent(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	/* "build_id=" and "version=" are what box scripts send when unset */
	assert_int_equal(UPD("/update?name=box1&board=rpi4&version=&build_id="), 0);
	assert_null(req_str(&r, "version"));
	assert_null(req_str(&r, "build_id"));
	assert_int_equal(req_has(&r, "build_id"), 0);
	/* missing fields are the handler's to judge (an unknown image) */
	assert_int_equal(UPD("/update"), 0);
	assert_null(req_str(&r, "name"));
}

static void test_list_search_any_text(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(run(list_routes, list_nroutes, "/list/box*", &r, &e), 0);
	assert_string_equal(req_str(&r, "search"), "box*");
	assert_int_equal(run(list_routes, list_nroutes, "/list", &r, &e), 0);
}

/* A tenant-like validator with its own answer. */
static int only_default(const struct app *app, const struct req_field *f, const char *raw,
			struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out;
	return strcmp(raw, "DEFAULT") ? nb_fail(e, NB_NOT_FOUND, "not found") : 0;
}

static const char *const states[] = { "running", "paused", NULL };
static const struct req_field own_in[] = {
	REQ_PATH_FIELD("tenant", only_default),
	REQ_PATH_FIELD("id", req_v_id),
	REQ_QUERY_FIELD("q", req_v_text, REQ_REQUIRED),
	{ "state", REQ_QUERY, req_v_enum, 0, 0, states },
	{ "note", REQ_QUERY, NULL, REQ_EMPTY, 5, NULL },
	REQ_QUERY_FIELD("all", req_v_bool, 0),
	REQ_END
};
static int no_run(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	(void)app, (void)r, (void)w, (void)e;
	return 0;
}
static const struct route own[] = {
	ROUTE_IN("GET", "/t/:tenant/items/:id", no_run, NULL, own_in, 0),
};

#define OWN(uri) run(own, 1, (uri), &r, &e)

static void test_own_kinds_required_empty_max(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(OWN("/t/DEFAULT/items/42?q=x&state=paused&note=&all=on"), 0);
	assert_int_equal(req_int(&r, "id", 0), 42);
	assert_int_equal(req_int(&r, "state", -1), 1);
	assert_int_equal(req_int(&r, "all", 0), 1);
	assert_string_equal(req_str(&r, "note"), "");
	assert_int_equal(req_has(&r, "note"), 1);
	assert_int_equal(OWN("/t/DEFAULT/items/42?q=x"), 0);
	assert_int_equal(req_int(&r, "state", -1), -1);
	assert_int_equal(OWN("/t/OTHER/items/42?q=x"), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(OWN("/t/DEFAULT/items/042?q=x"), -1);
	assert_string_equal(e.msg, "invalid id");
	assert_int_equal(OWN("/t/DEFAULT/items/1?q="), -1);
	assert_string_equal(e.msg, "missing q");
	assert_int_equal(OWN("/t/DEFAULT/items/1"), -1);
	assert_string_equal(e.msg, "missing q");
	assert_int_equal(OWN("/t/DEFAULT/items/1?q=x&state=gone"), -1);
	assert_string_equal(e.msg, "invalid state");
	assert_int_equal(OWN("/t/DEFAULT/items/1?q=x&note=123456"), -1);
	assert_string_equal(e.msg, "invalid note: at most 5 bytes");
}

static void test_generic_validators(void **state)
{
	static const struct req_field f = { "x", REQ_QUERY, NULL, 0, 0, states };
	struct req_value v;
	struct nb_err e;

	(void)state;
	assert_int_equal(req_v_id(NULL, &f, "1", &v, &e), 0);
	assert_int_equal(v.i, 1);
	assert_int_equal(req_v_id(NULL, &f, "999999999999999999", &v, &e), 0);
	assert_int_equal(req_v_id(NULL, &f, "1000000000000000000", &v, &e), -1);
	assert_int_equal(req_v_id(NULL, &f, "0", &v, &e), -1);
	assert_int_equal(req_v_id(NULL, &f, "-1", &v, &e), -1);
	assert_int_equal(req_v_id(NULL, &f, "+1", &v, &e), -1);
	assert_int_equal(req_v_id(NULL, &f, "1e3", &v, &e), -1);
	assert_int_equal(req_v_id(NULL, &f, " 1", &v, &e), -1);
	assert_int_equal(req_v_uint(NULL, &f, "0", &v, &e), 0);
	assert_int_equal(req_v_uint(NULL, &f, "00", &v, &e), -1);
	assert_int_equal(req_v_bool(NULL, &f, "FALSE", &v, &e), 0);
	assert_int_equal(v.i, 0);
	assert_int_equal(req_v_bool(NULL, &f, "2", &v, &e), -1);
	assert_int_equal(req_v_enum(NULL, &f, "running", &v, &e), 0);
	assert_int_equal(v.i, 0);
	assert_int_equal(req_v_enum(NULL, &f, "Running", &v, &e), -1);
	assert_int_equal(req_v_hex(NULL, &f, "deadBEEF09", &v, &e), 0);
	assert_int_equal(req_v_hex(NULL, &f, "xyz", &v, &e), -1);
	assert_int_equal(req_v_text(NULL, &f, "caf\xc3\xa9 ok", &v, &e), 0);
	assert_int_equal(req_v_text(NULL, &f, "a\nb", &v, &e), -1);
	assert_int_equal(req_v_text(NULL, &f, "a\x7f", &v, &e), -1);
}

/* ?name=a&name=b: which one the handler would read is a guess (the first,
 * say, while a front end or a cache keyed on the last sees the other), so
 * the router refuses the request and names the field. */
static void test_query_field_twice_refused(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(UPD("/update?name=box1&board=rpi4&name=box2&version=1.0"), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_string_equal(e.msg, "invalid name: given more than once");
	/* twice the same value is refused as well: the rule is about the shape */
	assert_int_equal(UPD("/update?name=box1&board=rpi4&board=rpi4"), -1);
	assert_string_equal(e.msg, "invalid board: given more than once");
	/* empty counts: "build_id=&build_id=x" still says two things */
	assert_int_equal(UPD("/update?name=box1&build_id=&build_id=x"), -1);
	assert_string_equal(e.msg, "invalid build_id: given more than once");
	/* an undeclared field is not read by anyone: repeating it is harmless */
	assert_int_equal(UPD("/update?name=box1&board=rpi4&x=1&x=2"), 0);
	assert_string_equal(req_str(&r, "name"), "box1");
}

static const struct req_field form_in[] = {
	REQ_FORM_FIELD("csrf", req_v_hex, 0),
	{ "id", REQ_FORM, req_v_id, REQ_REPEAT, 0, NULL },
	REQ_FORM_FIELD("name", req_v_text, 0),
	REQ_END
};
static const struct route form_route[] = {
	ROUTE_IN("POST", "/f", no_run, NULL, form_in, 0),
};

/* Checks body as the urlencoded form of a POST /f (read already, as
 * http_read_form leaves it). */
static int form(const char *body, struct http_req *r, struct nb_err *e)
{
	struct nb_err err;

	http_req_init(r, &A, NULL);
	r->method = "POST";
	nb_err_clear(e);
	if (path_split(&A, "/f", 2, &r->path, &err) < 0 ||
	    query_parse(&A, body, strlen(body), &r->form, &err) < 0)
		fail_msg("parse %s: %s", body, err.msg);
	r->form_read = 1;	/* read, without error */
	assert_int_equal(route_match(&A, form_route, 1, "POST", &r->path, &r->route, &r->params),
			 ROUTE_OK);
	return req_check(&APP, r, REQ_FORM, e);
}

static void test_form_field_twice_refused_unless_repeatable(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(form("csrf=ab&name=x&name=y", &r, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_string_equal(e.msg, "invalid name: given more than once");
	assert_int_equal(form("csrf=ab&csrf=cd&name=x", &r, &e), -1);
	assert_string_equal(e.msg, "invalid csrf: given more than once");
	/* checkboxes of one name: a list the route declared as one */
	assert_int_equal(form("csrf=ab&id=1&id=2&id=3&name=x", &r, &e), 0);
	assert_int_equal(req_int(&r, "id", 0), 1);
	assert_string_equal(req_str(&r, "name"), "x");
	/* each value of a repeatable field still obeys its validator */
	assert_int_equal(form("csrf=ab&id=1&id=02", &r, &e), -1);
	assert_string_equal(e.msg, "invalid id");
	assert_int_equal(form("csrf=ab&id=1&id=", &r, &e), 0);
}

/* The values of a REQ_REPEAT field, one after the other, typed by its
 * validator: "" skipped as absent; an undeclared name none. */
static void test_repeat_values_each(void **state)
{
	struct http_req r;
	struct nb_err e;
	struct req_value v;
	int pos = 0;

	(void)state;
	assert_int_equal(form("csrf=ab&id=7&name=x&id=&id=12&id=7", &r, &e), 0);
	assert_int_equal(req_each(&APP, &r, "id", &pos, &v), 1);
	assert_int_equal(v.i, 7);
	assert_string_equal(v.s, "7");
	assert_int_equal(req_each(&APP, &r, "id", &pos, &v), 1);
	assert_int_equal(v.i, 12);
	assert_int_equal(req_each(&APP, &r, "id", &pos, &v), 1);
	assert_int_equal(v.i, 7);
	assert_int_equal(req_each(&APP, &r, "id", &pos, &v), 0);
	assert_int_equal(req_each(&APP, &r, "id", &pos, &v), 0);	/* stays at the end */
	/* a field given once is a list of one; none given, an empty list */
	pos = 0;
	assert_int_equal(req_each(&APP, &r, "name", &pos, &v), 1);
	assert_string_equal(v.s, "x");
	assert_int_equal(req_each(&APP, &r, "name", &pos, &v), 0);
	assert_int_equal(form("csrf=ab", &r, &e), 0);
	pos = 0;
	assert_int_equal(req_each(&APP, &r, "id", &pos, &v), 0);
	/* a name the route does not declare gives nothing (and says so) */
	pos = 0;
	assert_int_equal(req_each(&APP, &r, "other", &pos, &v), 0);
	/* a form the router refused (drawn again with what was typed): the
	 * values that pass the rule, the others left out */
	assert_int_equal(form("csrf=ab&id=3&id=x&id=4", &r, &e), -1);
	pos = 0;
	assert_int_equal(req_each(&APP, &r, "id", &pos, &v), 1);
	assert_int_equal(v.i, 3);
	assert_int_equal(req_each(&APP, &r, "id", &pos, &v), 1);
	assert_int_equal(v.i, 4);
	assert_int_equal(req_each(&APP, &r, "id", &pos, &v), 0);
}

/* What was typed in a declared field, as sent (a refused form drawn again). */
static void test_typed_as_sent(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(form("csrf=ab&id=x&name=n", &r, &e), -1);
	assert_string_equal(e.msg, "invalid id");
	assert_null(req_str(&r, "name"));	/* not checked: the id was refused first */
	assert_string_equal(req_typed(&r, "id"), "x");
	assert_string_equal(req_typed(&r, "name"), "n");
	assert_null(req_typed(&r, "other"));
	assert_int_equal(form("csrf=ab", &r, &e), 0);
	assert_null(req_typed(&r, "id"));
}

static const struct req_field id_only[] = { REQ_PATH_FIELD("id", req_v_id), REQ_END };
static const struct route undeclared[] = {
	ROUTE_IN("GET", "/a/:id/:name", no_run, NULL, id_only, 0),
};
static const struct route stray[] = {
	ROUTE_IN("GET", "/a", no_run, NULL, id_only, 0),
};
static const struct route no_handler[] = { ROUTE_IN("GET", "/a", NULL, NULL, NULL, 0) };

static void test_table_check(void **state)
{
	struct nb_err e;

	(void)state;
	assert_int_equal(route_table_check(list_routes, list_nroutes, &e), 0);
	assert_int_equal(route_table_check(update_routes, update_nroutes, &e), 0);
	assert_int_equal(route_table_check(own, 1, &e), 0);
	assert_int_equal(route_table_check(no_handler, 1, &e), -1);
	assert_string_equal(e.msg, "GET /a: no handler");
	assert_int_equal(route_table_check(undeclared, 1, &e), -1);
	assert_int_equal(e.kind, NB_INTERNAL);
	assert_string_equal(e.msg, "GET /a/:id/:name: :name is not declared");
	assert_int_equal(route_table_check(stray, 1, &e), -1);
	assert_string_equal(e.msg, "GET /a: path field id is not in the pattern");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ut_routes_test(test_update_path_values),
		ut_routes_test(test_update_path_refused_names_the_field),
		ut_routes_test(test_update_query_checked),
		ut_routes_test(test_empty_is_absent),
		ut_routes_test(test_list_search_any_text),
		ut_routes_test(test_own_kinds_required_empty_max),
		ut_routes_test(test_generic_validators),
		ut_routes_test(test_query_field_twice_refused),
		ut_routes_test(test_form_field_twice_refused_unless_repeatable),
		ut_routes_test(test_repeat_values_each),
		ut_routes_test(test_typed_as_sent),
		ut_routes_test(test_table_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
