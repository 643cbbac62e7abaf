/*
 * test_ddi_routes.c - ddi.fcgi's declared input over its real route table
 * (src/cgi/ddi.fcgi.c, included without main): the table passes
 * route_table_check, the tenant is looked up in the settings parsed once
 * (404 "unknown tenant" before anything else), the controller id follows
 * hawkBit's rule, ids are positive numbers and ?actionHistory an integer;
 * a refusal names hawkBit's field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#define NB_NO_MAIN
#include "../../src/cgi/ddi.fcgi.c"
#include "unit_routes.h"

static struct ddi DOM;

/* The routes' fixture, with the tenants DEFAULT and lab. */
static int setup(void **state)
{
	struct nb_err e;

	memset(&DOM, 0, sizeof(DOM));
	if (ddi_tenants_parse("DEFAULT,lab", &DOM.set, &e) < 0)
		return -1;
	ut_routes_setup(state);
	APP.domain = &DOM;
	return 0;
}

/* Routes method and uri in the DDI table: req_check's result. */
static int run(const char *method, const char *uri, struct http_req *r, struct nb_err *e)
{
	return ut_route_check(&A, &APP, ddi_routes, ddi_nroutes, method, uri, r, e);
}

static void refused(const char *method, const char *uri, enum nb_errkind kind, const char *msg)
{
	struct http_req r;
	struct nb_err e;

	assert_int_equal(run(method, uri, &r, &e), -1);
	assert_int_equal(e.kind, kind);
	assert_string_equal(e.msg, msg);
}

static void test_table_checks(void **state)
{
	struct nb_err e;

	(void)state;
	assert_int_equal(route_table_check(ddi_routes, ddi_nroutes, &e), 0);
}

static void test_values(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(run("GET", "/lab/controller/v1/dev-1/deploymentBase/42?actionHistory=-5",
			     &r, &e), 0);
	assert_string_equal(req_str(&r, "tenant"), "lab");
	assert_string_equal(req_str(&r, "controllerId"), "dev-1");
	assert_int_equal(req_int(&r, "actionId", 0), 42);
	assert_int_equal(req_int(&r, "actionHistory", 0), -1);
	assert_int_equal(run("GET", "/DEFAULT/controller/v1/d/installedBase/7?actionHistory=1000",
			     &r, &e), 0);
	assert_int_equal(req_int(&r, "actionHistory", 0), DDI_HISTORY_MAX);
	assert_int_equal(run("GET", "/DEFAULT/controller/v1/d/deploymentBase/7?c=7-3", &r, &e), 0);
	assert_int_equal(req_int(&r, "actionHistory", 0), 0);
	assert_int_equal(run("GET", "/DEFAULT/controller/v1/d/softwaremodules/3/artifacts/a.swu",
			     &r, &e), 0);
	assert_int_equal(req_int(&r, "softwareModuleId", 0), 3);
	assert_string_equal(req_str(&r, "fileName"), "a.swu");
}

/* the tenant is judged first: an unknown one is a 404 whatever follows */
static void test_tenant(void **state)
{
	(void)state;
	refused("GET", "/OTHER/controller/v1/dev-1", NB_NOT_FOUND, "unknown tenant");
	refused("GET", "/default/controller/v1/dev-1", NB_NOT_FOUND, "unknown tenant");
	refused("GET", "/OTHER/controller/v1/bad%20id", NB_NOT_FOUND, "unknown tenant");
	refused("GET", "/lab,DEFAULT/controller/v1/d", NB_NOT_FOUND, "unknown tenant");
	DOM.set.ntenants = 0;	/* ddi.tenants empty: every device request */
	refused("GET", "/DEFAULT/controller/v1/d", NB_NOT_FOUND, "unknown tenant");
}

static void test_refusals_name_the_field(void **state)
{
	(void)state;
	refused("GET", "/DEFAULT/controller/v1/bad%20id", NB_INVALID, "invalid controllerId");
	refused("GET", "/DEFAULT/controller/v1/bad%FFid", NB_INVALID, "invalid controllerId");
	refused("GET", "/DEFAULT/controller/v1/d/deploymentBase/abc", NB_INVALID,
		"invalid actionId");
	refused("GET", "/DEFAULT/controller/v1/d/deploymentBase/0", NB_INVALID, "invalid actionId");
	refused("POST", "/DEFAULT/controller/v1/d/cancelAction/-1/feedback", NB_INVALID,
		"invalid actionId");
	refused("GET", "/DEFAULT/controller/v1/d/deploymentBase/1?actionHistory=three",
		NB_INVALID, "invalid actionHistory");
	refused("GET", "/DEFAULT/controller/v1/d/deploymentBase/1?actionHistory=99999999999",
		NB_INVALID, "invalid actionHistory");
	refused("GET", "/DEFAULT/controller/v1/d/softwaremodules/x/artifacts", NB_INVALID,
		"invalid softwareModuleId");
}

/* what path_split refuses before routing, the validator refuses too */
/* ddi.tenants as ddi_settings_read parses it: comma-separated names of 1
 * to DDI_FEED_MAX bytes, at most DDI_TENANTS_MAX, "" serves none; any
 * other list is refused naming the key (the program does not start). */
static void test_tenants_parse(void **state)
{
	static const char *const bad[] = { ",", "a,", ",a", "a,,b", "DEFAULT,lab,",
		"0123456789012345678901234567890123456789012345678901234567890123" };
	struct ddi_settings s;
	char many[DDI_TENANTS_MAX * 3 + 8] = "";
	struct nb_err e;
	size_t i;

	(void)state;
	assert_int_equal(ddi_tenants_parse("", &s, &e), 0);
	assert_int_equal(s.ntenants, 0);
	assert_int_equal(ddi_tenants_parse("DEFAULT,lab,a b", &s, &e), 0);
	assert_int_equal(s.ntenants, 3);
	assert_string_equal(s.tenant[1], "lab");
	assert_string_equal(s.tenant[2], "a b");
	assert_true(ddi_tenant_served(&s, "DEFAULT") && !ddi_tenant_served(&s, "default"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.kind = NB_OK;
		if (ddi_tenants_parse(bad[i], &s, &e) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(e.kind, NB_INVALID);
		assert_non_null(strstr(e.msg, "ddi.tenants: each tenant is 1 to 63 bytes"));
	}
	for (i = 0; i < DDI_TENANTS_MAX; i++)
		sprintf(many + strlen(many), "%s%zu", i ? "," : "", i);
	assert_int_equal(ddi_tenants_parse(many, &s, &e), 0);
	assert_int_equal(s.ntenants, DDI_TENANTS_MAX);
	strcat(many, ",x");
	assert_int_equal(ddi_tenants_parse(many, &s, &e), -1);
	assert_non_null(strstr(e.msg, "at most 64 tenants"));
}

static void test_cid_validator(void **state)
{
	struct req_value v;
	struct nb_err e;
	char id[DDI_CID_MAX + 2];

	(void)state;
	nb_err_clear(&e);
	memset(id, 'x', DDI_CID_MAX + 1);
	id[DDI_CID_MAX + 1] = '\0';
	assert_int_equal(ddi_cid_valid(&APP, NULL, id, &v, &e), -1);
	id[DDI_CID_MAX] = '\0';
	assert_int_equal(ddi_cid_valid(&APP, NULL, id, &v, &e), 0);
	assert_int_equal(ddi_cid_valid(&APP, NULL, "tab\tid", &v, &e), -1);
	assert_int_equal(ddi_cid_valid(&APP, NULL, "a/b", &v, &e), -1);
	assert_int_equal(ddi_cid_valid(&APP, NULL, "new\nline", &v, &e), -1);
	assert_int_equal(e.kind, NB_OK);	/* the program's "invalid controllerId" */
	assert_int_equal(ddi_cid_valid(&APP, NULL, "g\xc3\xa9r\xc3\xa4t-1", &v, &e), 0);
}

/* ddi_history_valid on its own: a sign only with digits, nothing after */
static void test_history_validator(void **state)
{
	static const char *const bad[] = { "-", "+1", "1x", " 1", "--1", "0x10" };
	struct req_value v;
	struct nb_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ddi_history_valid(&APP, NULL, bad[i], &v, &e) == 0)
			fail_msg("actionHistory '%s' taken", bad[i]);
	assert_int_equal(ddi_history_valid(&APP, NULL, "-0", &v, &e), 0);
	assert_int_equal(v.i, 0);
	assert_int_equal(ddi_history_valid(&APP, NULL, "3", &v, &e), 0);
	assert_int_equal(v.i, 3);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_routes_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_table_checks),
		T(test_values),
		T(test_tenant),
		T(test_refusals_name_the_field),
		T(test_tenants_parse),
		T(test_cid_validator),
		T(test_history_validator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
