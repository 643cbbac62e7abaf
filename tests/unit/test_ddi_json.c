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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ddi/ddi.h"

/* a string literal and its length, for bodies with odd bytes */
#define LIT(s) s, sizeof(s) - 1

static int fb(struct arena *a, const char *body, struct ddi_fb *out)
{
	struct nb_err err = { NB_OK, "" };
	int rc = ddi_feedback_parse(a, body, strlen(body), out, &err);

	if (rc < 0)
		assert_int_equal(err.kind, NB_INVALID);
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
	/* progress from cnt/of, then from the log line */
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"proceeding\",\"result\":"
			    "{\"finished\":\"none\",\"progress\":{\"cnt\":2,\"of\":5}}}}", &f), 0);
	assert_string_equal(f.finished, "none");
	assert_int_equal(f.progress, 40);
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"proceeding\",\"result\":"
			    "{\"finished\":\"none\"},\"details\":[\"Downloaded 73%\"]}}", &f), 0);
	assert_int_equal(f.progress, 73);
	/* hostile numbers saturate at 100 (no int overflow) */
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"proceeding\",\"result\":{\"progress\":"
			    "{\"cnt\":1e300,\"of\":0.5},\"finished\":\"none\"},\"details\":"
			    "[\"Downloaded 99999999999999999999%\"]}}", &f), 0);
	assert_int_equal(f.progress, 100);
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"proceeding\",\"result\":{\"progress\":"
			    "{\"cnt\":-5,\"of\":1},\"finished\":\"none\"}}}", &f), 0);
	assert_int_equal(f.progress, 0);
	/* refusals */
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"exploded\"}}", &f), -1);
	assert_int_equal(fb(&a, "{\"status\":{\"execution\":\"closed\",\"result\":"
			    "{\"finished\":\"maybe\"}}}", &f), -1);
	assert_int_equal(fb(&a, "{\"status\":{}}", &f), -1);
	assert_int_equal(fb(&a, "{}", &f), -1);
	arena_free(&a);
}

/* A feedback refused, and its message naming what is wrong. */
static void fb_refused(struct arena *a, const char *body, size_t len, const char *want)
{
	struct ddi_fb f;
	struct nb_err err = { NB_OK, "" };

	assert_int_equal(ddi_feedback_parse(a, body, len, &f, &err), -1);
	assert_int_equal(err.kind, NB_INVALID);
	if (!strstr(err.msg, want))
		fail_msg("'%s' lacks '%s'", err.msg, want);
}

/*
 * hawkBit's DdiActionFeedback: status, status.execution, status.result
 * and status.result.finished are required (@NotNull); progress needs cnt;
 * details is a list of strings.  A closed without a result must not close
 * the action as a success (issue 11).
 */
static void test_feedback_required_fields(void **state)
{
	static const char *const bad[][2] = {
		{ "{\"id\":\"3\",\"status\":{\"execution\":\"closed\"}}", "result" },
		{ "{\"id\":\"3\",\"status\":{\"execution\":\"closed\",\"result\":{}}}",
		  "finished" },
		{ "{\"status\":{\"execution\":\"closed\",\"result\":null}}", "result" },
		{ "{\"status\":{\"execution\":\"closed\",\"result\":{\"finished\":1}}}",
		  "finished" },
		{ "{\"status\":{\"execution\":\"proceeding\",\"result\":{\"progress\":"
		  "{\"cnt\":1,\"of\":2}}}}", "finished" },
		{ "{\"status\":{\"result\":{\"finished\":\"success\"}}}", "execution" },
		{ "{\"status\":\"closed\"}", "status" },
		{ "{\"status\":{\"execution\":\"closed\",\"result\":{\"finished\":\"none\","
		  "\"progress\":{\"of\":2}}}}", "progress" },
		{ "{\"status\":{\"execution\":\"closed\",\"result\":{\"finished\":\"none\"},"
		  "\"details\":\"done\"}}", "details" },
		{ "{\"status\":{\"execution\":\"closed\",\"result\":{\"finished\":\"none\"},"
		  "\"details\":[\"a\",7]}}", "details" },
	};
	/* invalid UTF-8 in details (a lone continuation byte, an overlong '/') */
	static const char latin1[] = "{\"status\":{\"execution\":\"proceeding\",\"result\":"
		"{\"finished\":\"none\"},\"details\":[\"caf\xe9\"]}}";
	static const char overlong[] = "{\"status\":{\"execution\":\"proceeding\",\"result\":"
		"{\"finished\":\"none\"},\"details\":[\"\xc0\xaf\"]}}";
	static const char nul[] = "{\"status\":{\"execution\":\"proceeding\",\"result\":"
		"{\"finished\":\"none\"},\"details\":[\"a\\u0000b\"]}}";
	struct arena a;
	size_t i;

	(void)state;
	arena_init(&a);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		fb_refused(&a, bad[i][0], strlen(bad[i][0]), bad[i][1]);
	fb_refused(&a, latin1, sizeof(latin1) - 1, "UTF-8");
	fb_refused(&a, overlong, sizeof(overlong) - 1, "UTF-8");
	fb_refused(&a, nul, sizeof(nul) - 1, "NUL");
	/* found by fuzz_ddi_feedback: cJSON reads a \u without four hex
	 * digits as NUL, so the key "finished\u..." counted as "finished" */
	fb_refused(&a, LIT("{\"status\":{\"execution\":\"proceeding\",\"result\":"
			   "{\"finished\\u\x1d" "2\\u\\u\\u0]}}\":\"none\"}}}"),
		   "four hex digits");
	fb_refused(&a, LIT("{\"status\":{\"execution\":\"proceeding\",\"result\":"
			   "{\"finished\\uzzzz\":\"none\"}}}"), "four hex digits");
	/* a status given twice: which would count? (the first, for cJSON) */
	fb_refused(&a, LIT("{\"status\":{\"execution\":\"proceeding\",\"result\":{\"finished\":"
			   "\"none\"}},\"status\":{\"execution\":\"closed\",\"result\":"
			   "{\"finished\":\"failure\"}}}"), "\"status\" is given twice");
	fb_refused(&a, LIT("[1,2]"), "JSON object");
	fb_refused(&a, LIT("{broken"), "JSON object");
	fb_refused(&a, LIT(""), "JSON object");
	arena_free(&a);
}

/* The DDI values of status.execution and result.finished, as hawkBit's
 * DdiStatus.ExecutionStatus and DdiResult.FinalResult spell them: exact,
 * case-sensitive words, the same tables the feedback parser checks. */
static void test_feedback_words(void **state)
{
	static const char *const exe[] = { "closed", "proceeding", "canceled", "scheduled",
		"rejected", "resumed", "downloaded", "download" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(exe) / sizeof(exe[0]); i++)
		assert_true(ddi_execution_ok(exe[i]));
	assert_false(ddi_execution_ok("Closed"));
	assert_false(ddi_execution_ok("closed "));
	assert_false(ddi_execution_ok(""));
	assert_false(ddi_execution_ok(NULL));
	assert_true(ddi_finished_ok("success") && ddi_finished_ok("failure") &&
		    ddi_finished_ok("none"));
	assert_false(ddi_finished_ok("ok"));
	assert_false(ddi_finished_ok(NULL));
}

static char *merge(const char *body, const char *cur)
{
	struct nb_err err = { NB_OK, "" };
	char *out = NULL;

	if (ddi_config_merge(body, strlen(body), cur, &out, &err) < 0) {
		assert_int_equal(err.kind, NB_INVALID);
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

static void config_refused(const char *body, size_t len, const char *want)
{
	struct nb_err err = { NB_OK, "" };
	char *out = NULL;

	assert_int_equal(ddi_config_merge(body, len, "", &out, &err), -1);
	assert_null(out);
	assert_int_equal(err.kind, NB_INVALID);
	if (!strstr(err.msg, want))
		fail_msg("'%s' lacks '%s'", err.msg, want);
}

/* configData: hawkBit's data is required; bounds are named; bytes are UTF-8 */
static void test_config_refusals(void **state)
{
	static const char latin1[] = "{\"data\":{\"hw_boardname\":\"b\xf6rd\"}}";
	static const char key[] = "{\"data\":{\"\xff\":\"x\"}}";
	char big[1024];

	(void)state;
	config_refused(latin1, sizeof(latin1) - 1, "UTF-8");
	config_refused(key, sizeof(key) - 1, "UTF-8");
	config_refused(LIT("{\"mode\":\"merge\"}"), "data");
	config_refused(LIT("{\"data\":{\"a\":\"x\\u0000y\"}}"), "NUL");
	config_refused(LIT("{\"data\":{\"a\":\"b\",\"a\":\"c\"}}"), "\"a\" is given twice");
	config_refused(LIT("{\"mode\":7,\"data\":{\"a\":\"b\"}}"), "mode");
	snprintf(big, sizeof(big), "{\"data\":{\"a\":\"%0513d\"}}", 0);
	config_refused(big, strlen(big), "512");
	snprintf(big, sizeof(big), "{\"data\":{\"%0129d\":\"v\"}}", 0);
	config_refused(big, strlen(big), "128");
}

static void installed(const char *body, int want, const char *in_err)
{
	struct arena a;
	const char *name = NULL, *version = NULL;
	struct nb_err err = { NB_OK, "" };

	arena_init(&a);
	assert_int_equal(ddi_installed_parse(&a, body, strlen(body), &name, &version, &err), want);
	if (want == 0) {
		assert_string_equal(name, "core-image");
		assert_string_equal(version, "2.1");
	} else if (err.kind != NB_INVALID || !strstr(err.msg, in_err)) {
		fail_msg("'%s' lacks '%s'", err.msg, in_err);
	}
	arena_free(&a);
}

/* PUT installedBase: hawkBit's DdiAssignedVersion needs name and version */
static void test_installed_base(void **state)
{
	char big[200];

	(void)state;
	installed("{\"name\":\"core-image\",\"version\":\"2.1\"}", 0, NULL);
	installed("{\"version\":\"2.1\"}", -1, "name");
	installed("{\"name\":\"core-image\"}", -1, "version");
	installed("{\"name\":\"core-image\",\"version\":\"\"}", -1, "version");
	installed("{\"name\":\"core-image\",\"version\":2}", -1, "version");
	installed("[]", -1, "JSON object");
	snprintf(big, sizeof(big), "{\"name\":\"n\",\"version\":\"%064d\"}", 0);
	installed(big, -1, "63");
	installed("{\"name\":\"n\",\"version\":\"1\xff\"}", -1, "UTF-8");
}

static void test_confirm(void **state)
{
	struct arena a;
	const char *by, *remark;
	struct nb_err err;
	char *details;
	int yes;

	(void)state;
	arena_init(&a);
	assert_int_equal(ddi_confirm_parse(&a, LIT("{\"confirmation\":\"confirmed\",\"code\":200}"),
					   &yes, &details, &err), 0);
	assert_int_equal(yes, 1);
	assert_string_equal(details, "");
	assert_int_equal(ddi_confirm_parse(&a, LIT("{\"confirmation\":\"Denied\",\"details\":[\"no\"]}"),
					   &yes, &details, &err), 0);
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
	/* invalid UTF-8 and non-string values are refused, not stored */
	assert_int_equal(ddi_confirm_parse(&a, LIT("{\"confirmation\":\"denied\",\"details\":"
					   "[\"\xe9\"]}"), &yes, &details, &err), -1);
	assert_non_null(strstr(err.msg, "UTF-8"));
	assert_int_equal(ddi_confirm_parse(&a, LIT("{\"confirmation\":\"denied\",\"details\":\"x\"}"),
					   &yes, &details, &err), -1);
	assert_int_equal(ddi_autoconfirm_parse(&a, LIT("{\"remark\":\"\xe9\"}"), &by, &remark,
					       &err), -1);
	assert_non_null(strstr(err.msg, "UTF-8"));
	assert_int_equal(ddi_autoconfirm_parse(&a, LIT("{\"remark\":5}"), &by, &remark, &err), -1);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feedback),
		cmocka_unit_test(test_feedback_required_fields),
		cmocka_unit_test(test_feedback_words),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_refusals),
		cmocka_unit_test(test_installed_base),
		cmocka_unit_test(test_confirm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
