/*
 * test_ddi_json.c - what devices send (src/ddi/ddi_json.c): action
 * feedback (executions, finished values, progress from cnt/of and from
 * SWUpdate's "Downloaded N%", details), configData merge / replace /
 * remove, and the consent-flow bodies, with broken and hostile inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/ddi/ddi.h"

static int fb(struct arena *a, const char *body, struct ddi_fb *out)
{
	const char *err = NULL;
	int rc = ddi_feedback_parse(a, body, strlen(body), out, &err);

	if (rc < 0)
		assert_non_null(err);
	return rc;
}

static void test_feedback(void **state)
{
	struct arena a;
	struct ddi_fb f;

	(void)state;
	arena_init(&a);
	assert_int_equal(fb(&a, "{\"id\":\"3\",\"time\":\"x\",\"status\":{\"execution\":\"closed\","
			    "\"result\":{\"finished\":\"success\"},\"details\":[\"a\",\"b\"]}}", &f), 0);
	assert_string_equal(f.execution, "closed");
	assert_string_equal(f.finished, "success");
	assert_string_equal(f.details, "a\nb\n");
	assert_int_equal(f.progress, -1);
	/* finished defaults to none; progress from cnt/of, then from the log line */
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"proceeding\",\"result\":"
			    "{\"progress\":{\"cnt\":2,\"of\":5}}}}", &f), 0);
	assert_string_equal(f.finished, "none");
	assert_int_equal(f.progress, 40);
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"proceeding\",\"result\":{},"
			    "\"details\":[\"Downloaded 73%\"]}}", &f), 0);
	assert_int_equal(f.progress, 73);
	/* hostile numbers saturate at 100 (no int overflow) */
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"proceeding\",\"result\":{\"progress\":"
			    "{\"cnt\":1e300,\"of\":0.5}},\"details\":"
			    "[\"Downloaded 99999999999999999999%\"]}}", &f), 0);
	assert_int_equal(f.progress, 100);
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"proceeding\",\"result\":{\"progress\":"
			    "{\"cnt\":-5,\"of\":1}}}}", &f), 0);
	assert_int_equal(f.progress, 0);
	/* refusals */
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"exploded\"}}", &f), -1);
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"closed\",\"result\":"
			    "{\"finished\":\"maybe\"}}}", &f), -1);
	assert_int_equal(fb(&a, "{\"status\":{}}", &f), -1);
	assert_int_equal(fb(&a, "[1,2]", &f), -1);
	assert_int_equal(fb(&a, "{broken", &f), -1);
	assert_int_equal(fb(&a, "", &f), -1);
	arena_free(&a);
}

static char *merge(const char *body, const char *cur)
{
	const char *err = NULL;
	char *out = NULL;

	if (ddi_config_merge(body, strlen(body), cur, &out, &err) < 0) {
		assert_non_null(err);
		return NULL;
	}
	return out;
}

static void test_config(void **state)
{
	char *m;

	(void)state;
	m = merge("{\"data\":{\"b\":\"2\"}}", "{\"a\":\"1\"}");
	assert_string_equal(m, "{\"a\":\"1\",\"b\":\"2\"}");
	free(m);
	m = merge("{\"mode\":\"replace\",\"data\":{\"c\":\"3\"}}", "{\"a\":\"1\"}");
	assert_string_equal(m, "{\"c\":\"3\"}");
	free(m);
	m = merge("{\"mode\":\"remove\",\"data\":{\"a\":\"\"}}", "{\"a\":\"1\",\"b\":\"2\"}");
	assert_string_equal(m, "{\"b\":\"2\"}");
	free(m);
	/* a broken stored value is replaced, never trusted */
	m = merge("{\"data\":{\"a\":\"1\"}}", "not json");
	assert_string_equal(m, "{\"a\":\"1\"}");
	free(m);
	assert_null(merge("{\"data\":{}}", ""));
	assert_null(merge("{\"mode\":\"sideways\",\"data\":{\"a\":\"b\"}}", ""));
	assert_null(merge("{\"data\":{\"a\":1}}", ""));
	assert_null(merge("{\"data\":[\"a\"]}", ""));
	assert_null(merge("\"x\"", ""));
}

static void test_confirm(void **state)
{
	struct arena a;
	const char *err, *by, *remark;
	char *details;
	int yes;

	(void)state;
	arena_init(&a);
	assert_int_equal(ddi_confirm_parse(&a, "{\"confirmation\":\"confirmed\",\"code\":200}", 40,
					   &yes, &details, &err), 0);
	assert_int_equal(yes, 1);
	assert_string_equal(details, "");
	assert_int_equal(ddi_confirm_parse(&a, "{\"confirmation\":\"Denied\",\"details\":[\"no\"]}",
					   43, &yes, &details, &err), 0);
	assert_int_equal(yes, 0);
	assert_string_equal(details, "no\n");
	assert_int_equal(ddi_confirm_parse(&a, "{\"confirmation\":true}", 21, &yes, &details, &err),
			 -1);
	assert_int_equal(ddi_confirm_parse(&a, "{}", 2, &yes, &details, &err), -1);
	assert_int_equal(ddi_autoconfirm_parse(&a, "", 0, &by, &remark, &err), 0);
	assert_string_equal(by, "");
	assert_int_equal(ddi_autoconfirm_parse(&a, "{\"initiator\":\"ops\"}", 19, &by, &remark,
					       &err), 0);
	assert_string_equal(by, "ops");
	assert_string_equal(remark, "");
	assert_int_equal(ddi_autoconfirm_parse(&a, "[]", 2, &by, &remark, &err), -1);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feedback),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_confirm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
