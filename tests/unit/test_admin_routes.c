/*
 * test_admin_routes.c - the declared input of admin.fcgi's typed routes,
 * over the real table (src/cgi/admin.fcgi.c included without main): the
 * table passes route_table_check (or the program would not start), ids,
 * pages and the login's next are checked and typed, and the admin's own
 * validators (user name, password, token name, role) say their rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#define NB_NO_MAIN
#include "../../src/cgi/admin.fcgi.c"
#include "unit_routes.h"

/* Routes method uri in the admin table: req_check's result. */
static int run(const char *method, const char *uri, struct http_req *r, struct nb_err *e)
{
	return ut_route_check(&A, &APP, admin_routes, admin_nroutes, method, uri, r, e);
}

static void test_table_is_consistent(void **state)
{
	struct nb_err e;

	(void)state;
	nb_err_clear(&e);
	assert_int_equal(route_table_check(admin_routes, admin_nroutes, &e), 0);
}

static void test_ids_are_typed(void **state)
{
	static const char *const bad[] = { "abc", "0", "007", "-1", "1e3", "12345678901234567890" };
	struct http_req r;
	struct nb_err e;
	size_t i;

	(void)state;
	assert_int_equal(run("POST", "/admin/users/42/delete", &r, &e), 0);
	assert_int_equal(req_int(&r, "id", 0), 42);
	assert_int_equal(run("POST", "/admin/tokens/7/revoke", &r, &e), 0);
	assert_int_equal(req_int(&r, "id", 0), 7);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char uri[96];
		snprintf(uri, sizeof(uri), "/admin/users/%s/password", bad[i]);
		assert_int_equal(run("POST", uri, &r, &e), -1);
		assert_int_equal(e.kind, NB_INVALID);
		assert_string_equal(e.msg, "invalid id");
	}
}

/* A device's page: :id and ?action= are ids, ?done= is text (a control
 * character, which lighttpd refuses before, is refused here too). */
static void test_device_page_input(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(run("GET", "/admin/devices/5?action=12&done=mode+set", &r, &e), 0);
	assert_int_equal(req_int(&r, "id", 0), 5);
	assert_int_equal(req_int(&r, "action", 0), 12);
	assert_string_equal(req_str(&r, "done"), "mode set");
	assert_int_equal(run("GET", "/admin/devices/5?action=x", &r, &e), -1);
	assert_string_equal(e.msg, "invalid action");
	assert_int_equal(run("GET", "/admin/devices/5?done=a%01b", &r, &e), -1);
	assert_string_equal(e.msg, "invalid done");
	assert_int_equal(run("POST", "/admin/devices/x5/force", &r, &e), -1);
	assert_string_equal(e.msg, "invalid id");
	assert_int_equal(run("GET", "/admin/api/devices/unit-01?tenant=lab", &r, &e), 0);
	assert_string_equal(req_str(&r, "cid"), "unit-01");
	assert_string_equal(req_str(&r, "tenant"), "lab");
}

static void test_pages_and_flash(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(run("GET", "/admin/users?upage=3&done=user+added", &r, &e), 0);
	assert_int_equal(req_int(&r, "upage", 1), 3);
	assert_int_equal(req_int(&r, "tpage", 1), 1);	/* absent: the default */
	assert_string_equal(req_str(&r, "done"), "user added");
	assert_int_equal(run("GET", "/admin/users?tpage=x", &r, &e), -1);
	assert_string_equal(e.msg, "invalid tpage");
	assert_int_equal(run("GET", "/admin/users?done=a%0Ab", &r, &e), -1);
	assert_string_equal(e.msg, "invalid done");
	assert_int_equal(run("GET", "/admin/login?next=/admin/devices", &r, &e), 0);
	assert_string_equal(req_str(&r, "next"), "/admin/devices");
	assert_int_equal(run("GET", "/admin/login?next=%0D%0ALocation:x", &r, &e), -1);
	assert_string_equal(e.msg, "invalid next");
}

static void test_admin_validators(void **state)
{
	static const struct req_field role = { "role", REQ_FORM, req_v_enum, 0, 0, admin_roles };
	struct req_value v;
	struct nb_err e;
	char long_pw[300];

	(void)state;
	nb_err_clear(&e);
	assert_int_equal(admin_name_valid(&APP, NULL, "alice.b@x", &v, &e), 0);
	assert_int_equal(admin_name_valid(&APP, NULL, "a b", &v, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_non_null(strstr(e.msg, "user name"));
	assert_int_equal(admin_password_valid(&APP, NULL, "1234567", &v, &e), -1);
	assert_int_equal(admin_password_valid(&APP, NULL, "12345678", &v, &e), 0);
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_int_equal(admin_password_valid(&APP, NULL, long_pw, &v, &e), -1);
	long_pw[ADMIN_PASSWORD_MAX] = '\0';
	assert_int_equal(admin_password_valid(&APP, NULL, long_pw, &v, &e), 0);
	assert_int_equal(admin_token_name_valid(&APP, NULL, "ci deploy", &v, &e), 0);
	assert_int_equal(admin_token_name_valid(&APP, NULL, "tab\there", &v, &e), -1);
	assert_non_null(strstr(e.msg, "token's name"));
	long_pw[65] = '\0';
	assert_int_equal(admin_token_name_valid(&APP, NULL, long_pw, &v, &e), -1);
	assert_int_equal(req_v_enum(&APP, &role, "admin", &v, &e), 0);
	assert_int_equal(v.i, ADMIN_ROLE_ADMIN);
	assert_int_equal(req_v_enum(&APP, &role, "readonly", &v, &e), 0);
	assert_int_equal(v.i, ADMIN_ROLE_READONLY);
	assert_int_equal(req_v_enum(&APP, &role, "root", &v, &e), -1);
}

/* The routes typed last (images, mip, devices, software, rollouts): the
 * input each declares is checked and typed; a control character, which
 * lighttpd refuses before the program sees it, is refused here too. */
static void test_catalogue_routes_input(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(run("GET", "/admin/api/images?q=pc", &r, &e), 0);
	assert_string_equal(req_str(&r, "q"), "pc");
	assert_int_equal(run("GET", "/admin/api/images?q=a%01b", &r, &e), -1);
	assert_string_equal(e.msg, "invalid q");
	assert_int_equal(run("PUT", "/admin/api/images?box=ab&board=pc&version=3", &r, &e), 0);
	assert_null(req_str(&r, "branch"));
	assert_int_equal(run("PUT", "/admin/api/images?box=ab", &r, &e), -1);
	assert_string_equal(e.msg, "missing board");
	assert_int_equal(run("DELETE", "/admin/api/images/ab/ab-pc-3", &r, &e), 0);
	assert_string_equal(req_str(&r, "image"), "ab-pc-3");
	assert_int_equal(run("DELETE", "/admin/api/software/12", &r, &e), 0);
	assert_int_equal(req_int(&r, "id", 0), 12);
	assert_int_equal(run("PUT", "/admin/api/software?filename=a.swu&name=n", &r, &e), 0);
	assert_int_equal(run("PUT", "/admin/api/software?filename=a/b.swu", &r, &e), -1);
	assert_int_equal(run("PUT", "/admin/api/mip/packages?name=p&version=1&file=m.py", &r, &e),
			 0);
	assert_int_equal(run("PUT", "/admin/api/mip/packages?name=p&version=1&file=m.mpy", &r,
			     &e), -1);
	assert_string_equal(e.msg, "invalid file: one .py file's name");
	assert_int_equal(run("GET", "/admin/mip?hpage=2&cpage=3", &r, &e), 0);
	assert_int_equal(req_int(&r, "cpage", 1), 3);
	assert_int_equal(run("GET", "/admin/devices?sort=seen&dir=desc&seen=old&page=4", &r, &e),
			 0);
	assert_int_equal(req_int(&r, "sort", 0), DDI_SORT_SEEN);
	assert_int_equal(req_int(&r, "dir", 0), 1);
	assert_int_equal(req_int(&r, "page", 1), 4);
	assert_int_equal(run("GET", "/admin/devices?page=01", &r, &e), -1);
	assert_string_equal(e.msg, "invalid page: 1 to 1000000");
	assert_int_equal(run("GET", "/admin/api/devices?counts=", &r, &e), 0);
	assert_true(req_has(&r, "counts"));
}

/* admin_range_valid says its bounds; no sign, no leading zero. */
static void test_range_validator(void **state)
{
	static const struct req_field pct = { "percent", REQ_FORM, admin_range_valid, 0, 0,
					      &admin_percent };
	static const char *const bad[] = { "0", "101", "+5", "-1", "05", "5x", " 5", "1e2" };
	struct req_value v;
	struct nb_err e;
	size_t i;

	(void)state;
	nb_err_clear(&e);
	assert_int_equal(admin_range_valid(&APP, &pct, "100", &v, &e), 0);
	assert_int_equal(v.i, 100);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nb_err_clear(&e);
		assert_int_equal(admin_range_valid(&APP, &pct, bad[i], &v, &e), -1);
		assert_string_equal(e.msg, "invalid percent: 1 to 100");
	}
}

/* The validators of admin_valid.c without a test above: the request
 * log's time and status, the devices API's controller id and tenant, an
 * artifact's and a mip source file's name; each refusal says its rule. */
static void test_log_and_device_validators(void **state)
{
	static const struct req_field since = { "since", REQ_QUERY, admin_time_valid, 0, 32,
						NULL };
	static const struct req_field status = { "status", REQ_QUERY, admin_status_valid, 0, 0,
						 NULL };
	static const struct req_field cid = { "cid", REQ_PATH, admin_cid_valid, 0, 0, NULL };
	static const struct req_field tenant = { "tenant", REQ_QUERY, admin_tenant_valid, 0, 0,
						 NULL };
	static const struct req_field file = { "file", REQ_QUERY, admin_mip_file_valid, 0, 0,
					       NULL };
	static const struct req_field fname = { "filename", REQ_QUERY, admin_file_name_valid, 0,
						0, NULL };
	static const char *const bad_times[] = { "2026-02-30T10:00", "2026-11-23 13:05",
						 "2026-11-23T13:05:60", "2026-11-23T13:05:00.",
						 "1969-12-31T23:59", "2026-11-23T13" };
	struct req_value v;
	struct nb_err e;
	size_t i;

	(void)state;
	nb_err_clear(&e);
	assert_int_equal(admin_time_valid(&APP, &since, "1970-01-01T00:01", &v, &e), 0);
	assert_int_equal(v.i, 60000);
	assert_int_equal(admin_time_valid(&APP, &since, "2026-11-23T13:05:07.123", &v, &e), 0);
	for (i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
		nb_err_clear(&e);
		assert_int_equal(admin_time_valid(&APP, &since, bad_times[i], &v, &e), -1);
		assert_string_equal(e.msg, "invalid since: a time like 2026-11-23T13:05 (UTC)");
	}
	assert_int_equal(admin_status_valid(&APP, &status, "404", &v, &e), 0);
	assert_int_equal(v.i, 404);
	assert_int_equal(admin_status_valid(&APP, &status, "5xx", &v, &e), 0);
	assert_int_equal(v.i, 5);
	assert_int_equal(admin_status_valid(&APP, &status, "600", &v, &e), -1);
	assert_int_equal(admin_status_valid(&APP, &status, "6xx", &v, &e), -1);
	assert_int_equal(admin_status_valid(&APP, &status, "40", &v, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_int_equal(admin_cid_valid(&APP, &cid, "unit-01", &v, &e), 0);
	assert_int_equal(admin_cid_valid(&APP, &cid, "a b", &v, &e), -1);
	assert_int_equal(admin_cid_valid(&APP, &cid, "a/b", &v, &e), -1);
	assert_non_null(strstr(e.msg, "invalid cid: a controller id"));
	assert_int_equal(admin_tenant_valid(&APP, &tenant, "lab", &v, &e), 0);
	assert_int_equal(admin_tenant_valid(&APP, &tenant, "l\x01b", &v, &e), -1);
	assert_non_null(strstr(e.msg, "invalid tenant"));
	assert_int_equal(admin_mip_file_valid(&APP, &file, "main.py", &v, &e), 0);
	assert_int_equal(admin_mip_file_valid(&APP, &file, ".py", &v, &e), -1);
	assert_int_equal(admin_mip_file_valid(&APP, &file, "lib/main.py", &v, &e), -1);
	assert_int_equal(admin_file_name_valid(&APP, &fname, "app-1.2+b~3.swu", &v, &e), 0);
	assert_int_equal(admin_file_name_valid(&APP, &fname, ".hidden", &v, &e), -1);
	assert_int_equal(admin_file_name_valid(&APP, &fname, "a b.swu", &v, &e), -1);
	assert_non_null(strstr(e.msg, "invalid filename"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ut_routes_test(test_table_is_consistent),
		ut_routes_test(test_log_and_device_validators),
		ut_routes_test(test_ids_are_typed),
		ut_routes_test(test_device_page_input),
		ut_routes_test(test_pages_and_flash),
		ut_routes_test(test_admin_validators),
		ut_routes_test(test_catalogue_routes_input),
		ut_routes_test(test_range_validator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
