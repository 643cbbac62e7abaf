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

#include "../../src/lib/err.h"

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
		cmocka_unit_test(test_http_status),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
