/*
 * test_json_in.c - a JSON body from outside (src/lib/json_in.h): what
 * json_in_object refuses, each with its message, and what it keeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "../../src/lib/json_in.h"

static void refused(const char *body, size_t len, const char *want)
{
	struct nb_err e = { NB_OK, "" };
	cJSON *j = json_in_object(body, len, &e);

	if (j || e.kind != NB_INVALID || strcmp(e.msg, want))
		fail_msg("%.*s: got %s, want %s", (int)len, body, j ? "(accepted)" : e.msg, want);
}

static void test_refused(void **state)
{
	static const char latin1[] = "{\"a\":\"\xe9\"}";

	(void)state;
	refused("{\"status\":1,\"status\":2}", 23, "the key \"status\" is given twice");
	refused("{\"a\":{\"b\":1,\"b\":1}}", 19, "the key \"b\" is given twice");
	refused("{\"a\":[{\"k\":1,\"k\":2}]}", 21, "the key \"k\" is given twice");
	refused("{\"a\":\"x\\u0000y\"}", 16, "strings may not hold NUL (\\u0000)");
	/* cJSON reads these as NUL: "fin\uzzzz" would be the key "fin" */
	refused("{\"fin\\uzzzz\":1}", 15, "a \\u escape takes four hex digits (RFC 8259)");
	refused("{\"a\":\"x\\u12g4\"}", 15, "a \\u escape takes four hex digits (RFC 8259)");
	refused(latin1, sizeof(latin1) - 1, "the body is not UTF-8 text");
	refused("[1]", 3, "the body must be a JSON object");
	refused("{\"a\":", 5, "the body must be a JSON object");
	refused("", 0, "the body must be a JSON object");
	/* one value, then only blanks */
	refused("{\"a\":1}xyz", 10, "the body holds more than one JSON value "
		"(bytes after the object at offset 7)");
	refused("{\"a\":1} {}", 10, "the body holds more than one JSON value "
		"(bytes after the object at offset 8)");
	refused("{\"a\":1}\n]", 9, "the body holds more than one JSON value "
		"(bytes after the object at offset 8)");
}

static void test_kept(void **state)
{
	struct nb_err e = { NB_OK, "" };
	/* the same key in two objects, and two keys that differ in case */
	const char *body = "{\"a\":{\"a\":1},\"A\":\"\\u00e9\\\\u0000\"}";
	cJSON *j;

	(void)state;
	assert_non_null(j = json_in_object(body, strlen(body), &e));
	assert_int_equal(e.kind, NB_OK);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "A")->valuestring, "\xc3\xa9\\u0000");
	cJSON_Delete(j);
	/* blanks after the object are JSON's own whitespace */
	assert_non_null(j = json_in_object("{\"a\":1} \r\n\t", 11, &e));
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
