/*
 * test_err.c - the error value: nb_fail fills kind and message and
 * returns -1, cuts a long message, survives a NULL e; nb_err_prefix adds
 * context; the one mapping of each kind to an HTTP status and to a
 * nestboxctl exit status (409 <-> exit 3, the README's rule), and the
 * kinds' names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "../../src/lib/err.h"
#include "../../src/lib/utf8.h"

static void test_fail_fills_and_returns_minus_one(void **state)
{
	struct nb_err e;

	(void)state;
	nb_err_clear(&e);
	assert_int_equal(e.kind, NB_OK);
	assert_int_equal(nb_fail(&e, NB_CONFLICT, "version %s exists", "1.2"), -1);
	assert_int_equal(e.kind, NB_CONFLICT);
	assert_string_equal(e.msg, "version 1.2 exists");
	assert_int_equal(nb_fail(NULL, NB_INVALID, "x"), -1);
	/* NB_OK is no failure: a caller that passes it gets an internal error */
	nb_fail(&e, NB_OK, "oops");
	assert_int_equal(e.kind, NB_INTERNAL);
}

static void test_long_message_is_cut(void **state)
{
	struct nb_err e;
	char big[2 * NB_ERR_MSG_MAX];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nb_fail(&e, NB_INVALID, "%s", big);
	assert_int_equal(strlen(e.msg), NB_ERR_MSG_MAX - 1);
	nb_err_prefix(&e, "software %s", "x");
	assert_int_equal(strlen(e.msg), NB_ERR_MSG_MAX - 1);
	assert_memory_equal(e.msg, "software x: aaa", 15);
}

static void test_prefix(void **state)
{
	struct nb_err e;

	(void)state;
	nb_fail(&e, NB_NOT_FOUND, "no such image");
	assert_int_equal(nb_err_prefix(&e, "box %s", "b1"), -1);
	assert_string_equal(e.msg, "box b1: no such image");
	assert_int_equal(e.kind, NB_NOT_FOUND);
	nb_err_clear(&e);
	nb_err_prefix(&e, "ignored");
	assert_string_equal(e.msg, "");
}

/*
 * A message quotes outside bytes (a file name, a field): what is kept is
 * well-formed UTF-8, each ill-formed part one U+FFFD, so that no JSON or
 * HTML writer ever meets a raw 0xff.
 */
static void test_message_is_utf8(void **state)
{
	char big[NB_ERR_MSG_MAX + 8];
	struct nb_err e;
	cJSON *j;
	char *out;

	(void)state;
	nb_fail(&e, NB_INVALID, "file %s refused", "a\xff\xfe.py");
	assert_string_equal(e.msg, "file a\xef\xbf\xbd\xef\xbf\xbd.py refused");
	assert_true(utf8_valid(e.msg, strlen(e.msg)));
	/* kept as they are: text that is UTF-8 already */
	nb_fail(&e, NB_INVALID, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6");
	assert_string_equal(e.msg, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6");
	/* a sequence cut short, an overlong '/', a surrogate, a lead byte too high */
	nb_fail(&e, NB_INVALID, "[\xe2\x82][\xc0\xaf][\xed\xa0\x80][\xf5\x80]");
	assert_true(utf8_valid(e.msg, strlen(e.msg)));
	assert_string_equal(e.msg, "[\xef\xbf\xbd][\xef\xbf\xbd\xef\xbf\xbd]"
			    "[\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd][\xef\xbf\xbd\xef\xbf\xbd]");
	/* the prefix a caller adds is repaired too */
	nb_fail(&e, NB_NOT_FOUND, "no such file");
	nb_err_prefix(&e, "box %s", "b\x80");
	assert_string_equal(e.msg, "box b\xef\xbf\xbd: no such file");
	/* a message cut in the middle of a character ends at a boundary */
	memset(big, 'a', sizeof(big));
	memcpy(big + NB_ERR_MSG_MAX - 3, "\xe2\x82\xac\xe2\x82\xac", 6);
	big[NB_ERR_MSG_MAX + 3] = '\0';
	nb_fail(&e, NB_INVALID, "%s", big);
	assert_true(utf8_valid(e.msg, strlen(e.msg)));
	assert_int_equal(strlen(e.msg), NB_ERR_MSG_MAX - 3);
	/* into JSON: valid UTF-8, control bytes escaped by the writer */
	nb_fail(&e, NB_INVALID, "name \"%s\"", "x\xff\n\x01\x1f");
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "error", e.msg);
	out = cJSON_PrintUnformatted(j);
	assert_string_equal(out, "{\"error\":\"name \\\"x\xef\xbf\xbd\\n\\u0001\\u001f\\\"\"}");
	free(out);
	cJSON_Delete(j);
}

/* utf8_repair on its own: the bound of out, a NUL within n. */
static void test_repair_bounds(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(utf8_repair(out, sizeof(out), "abc\xff", 4), 6);
	assert_string_equal(out, "abc\xef\xbf\xbd");
	assert_int_equal(utf8_repair(out, sizeof(out), "abcde\xff", 6), 5);	/* no room */
	assert_string_equal(out, "abcde");
	assert_int_equal(utf8_repair(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
	assert_int_equal(utf8_repair(out, sizeof(out), "a\0b", 3), 1);
	assert_int_equal(utf8_repair(out, sizeof(out), "\xf0\x9f\x90", 3), 3);	/* cut short */
	assert_string_equal(out, "\xef\xbf\xbd");
}

static void test_http_status(void **state)
{
	(void)state;
	assert_int_equal(nb_err_status(NB_OK), 200);
	assert_int_equal(nb_err_status(NB_INVALID), 400);
	assert_int_equal(nb_err_status(NB_UNAUTHORIZED), 401);
	assert_int_equal(nb_err_status(NB_FORBIDDEN), 403);
	assert_int_equal(nb_err_status(NB_NOT_FOUND), 404);
	assert_int_equal(nb_err_status(NB_TIMEOUT), 408);
	assert_int_equal(nb_err_status(NB_CONFLICT), 409);
	assert_int_equal(nb_err_status(NB_LENGTH_REQUIRED), 411);
	assert_int_equal(nb_err_status(NB_TOO_LARGE), 413);
	assert_int_equal(nb_err_status(NB_RANGE), 416);
	assert_int_equal(nb_err_status(NB_INTERNAL), 500);
	assert_int_equal(nb_err_status(NB_UNAVAILABLE), 503);
	assert_int_equal(nb_err_status(NB_METHOD), 405);
	assert_int_equal(nb_err_status(NB_NOT_ACCEPTABLE), 406);
	assert_int_equal(nb_err_status(NB_GONE), 410);
	assert_int_equal(nb_err_status(NB_BAD_GATEWAY), 502);
	assert_int_equal(nb_err_status(NB_TOO_MANY), 429);
	assert_int_equal(nb_err_status((enum nb_errkind)999), 500);
}

static void test_exit_status(void **state)
{
	int k;

	(void)state;
	assert_int_equal(nb_err_exit(NB_OK), 0);
	assert_int_equal(nb_err_exit(NB_CONFLICT), 3);
	for (k = NB_INVALID; k < NB_NKINDS; k++)
		if (k != NB_CONFLICT)
			assert_int_equal(nb_err_exit((enum nb_errkind)k), 1);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(nb_errkind_name(NB_CONFLICT), "conflict");
	assert_string_equal(nb_errkind_name(NB_TOO_MANY), "too many");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_fills_and_returns_minus_one),
		cmocka_unit_test(test_long_message_is_cut),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_message_is_utf8),
		cmocka_unit_test(test_repair_bounds),
		cmocka_unit_test(test_http_status),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
