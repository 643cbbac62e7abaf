/*
 * test_query.c - application/x-www-form-urlencoded parsing: pairs, empty
 * and missing values, '+' and %XX decoding, first value wins, length
 * bounds, the pair and size limits, and each rejected escape or NUL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/lib/err.h"
#include "../../src/lib/query.h"
#include "unit_arena.h"

static int parse(const char *raw, struct query *q, struct nb_err *err)
{
	nb_err_clear(err);
	return query_parse(&A, raw, strlen(raw), q, err);
}

#define assert_rejected(raw, want) do {					\
	struct query q_;						\
	struct nb_err e_;						\
	assert_int_equal(parse((raw), &q_, &e_), -1);			\
	assert_int_equal(e_.kind, NB_INVALID);				\
	assert_string_equal(e_.msg, (want));				\
} while (0)

static void test_empty(void **state)
{
	struct query q;
	struct nb_err err;

	(void)state;
	assert_int_equal(parse("", &q, &err), 0);
	assert_int_equal(q.n, 0);
	assert_null(query_get(&q, "a"));
	assert_null(query_get(&q, ""));
}

static void test_pairs(void **state)
{
	struct query q;
	struct nb_err err;

	(void)state;
	assert_int_equal(parse("name=box1&board=esp32&version=1.2", &q, &err), 0);
	assert_int_equal(q.n, 3);
	assert_string_equal(q.v[0].key, "name");
	assert_string_equal(q.v[0].val, "box1");
	assert_string_equal(query_get(&q, "board"), "esp32");
	assert_string_equal(query_get(&q, "version"), "1.2");
	assert_null(query_get(&q, "branch"));
	assert_null(query_get(&q, "Name"));	/* keys are case-sensitive */
}

static void test_missing_and_empty_values(void **state)
{
	struct query q;
	struct nb_err err;

	(void)state;
	assert_int_equal(parse("flag&empty=&=v&x=1=2", &q, &err), 0);
	assert_int_equal(q.n, 4);
	assert_string_equal(query_get(&q, "flag"), "");
	assert_string_equal(query_get(&q, "empty"), "");
	assert_string_equal(query_get(&q, ""), "v");
	assert_string_equal(query_get(&q, "x"), "1=2");
}

static void test_empty_pairs_skipped(void **state)
{
	struct query q;
	struct nb_err err;

	(void)state;
	assert_int_equal(parse("&a=1&&b=2&", &q, &err), 0);
	assert_int_equal(q.n, 2);
	assert_string_equal(q.v[0].key, "a");
	assert_string_equal(q.v[1].key, "b");
	assert_string_equal(q.v[1].val, "2");
}

static void test_decoding(void **state)
{
	struct query q;
	struct nb_err err;

	(void)state;
	assert_int_equal(parse("q=a+b%20c&k%2By=%26%3D&u=caf%c3%a9", &q, &err), 0);
	assert_int_equal(q.n, 3);
	assert_string_equal(query_get(&q, "q"), "a b c");
	assert_string_equal(query_get(&q, "k+y"), "&=");
	assert_string_equal(query_get(&q, "u"), "caf\xc3\xa9");
}

static void test_first_value_wins(void **state)
{
	struct query q;
	struct nb_err err;

	(void)state;
	assert_int_equal(parse("a=1&a=2", &q, &err), 0);
	assert_int_equal(q.n, 2);
	assert_string_equal(query_get(&q, "a"), "1");
	assert_string_equal(q.v[1].val, "2");
}

static void test_length_bounds(void **state)
{
	struct query q;
	struct nb_err err;

	(void)state;
	assert_int_equal(query_parse(&A, "a=1&b=2", 3, &q, &err), 0);
	assert_int_equal(q.n, 1);
	assert_string_equal(query_get(&q, "a"), "1");
	assert_null(query_get(&q, "b"));
	/* a cut inside an escape is a malformed escape */
	assert_int_equal(query_parse(&A, "a=%41", 4, &q, &err), -1);
}

static void test_rejects(void **state)
{
	(void)state;
	assert_rejected("a=%", "bad escape in query string");
	assert_rejected("a=%4", "bad escape in query string");
	assert_rejected("a=%zz", "bad escape in query string");
	assert_rejected("a%=1", "bad escape in query string");
	assert_rejected("a%4=1", "bad escape in query string");
	assert_rejected("ok=1&b=%G0", "bad escape in query string");
	assert_rejected("a=%00", "bad escape in query string");
	assert_rejected("a=x%00y", "bad escape in query string");
	assert_rejected("%00=1", "bad escape in query string");
	assert_rejected("k%00", "bad escape in query string");
}

static void test_pair_limit(void **state)
{
	static char raw[QUERY_MAX_PAIRS * 12 + 16];
	struct query q;
	struct nb_err err;
	int i;

	(void)state;
	raw[0] = '\0';
	for (i = 0; i < QUERY_MAX_PAIRS; i++)
		sprintf(raw + strlen(raw), "%sk%d=%d", i ? "&" : "", i, i);
	assert_int_equal(parse(raw, &q, &err), 0);
	assert_int_equal(q.n, QUERY_MAX_PAIRS);
	assert_string_equal(query_get(&q, "k63"), "63");
	strcat(raw, "&one=more");
	assert_rejected(raw, "too many query parameters: at most 1024");
}

static void test_size_limit(void **state)
{
	static char raw[QUERY_RAW_MAX + 2];
	struct query q;
	struct nb_err err;

	(void)state;
	memcpy(raw, "a=", 2);
	memset(raw + 2, 'x', QUERY_RAW_MAX - 2);
	raw[QUERY_RAW_MAX] = '\0';
	assert_int_equal(parse(raw, &q, &err), 0);
	assert_int_equal(strlen(query_get(&q, "a")), QUERY_RAW_MAX - 2);
	raw[QUERY_RAW_MAX] = 'x';
	raw[QUERY_RAW_MAX + 1] = '\0';
	assert_rejected(raw, "query string too long: at most 65536 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_missing_and_empty_values),
		cmocka_unit_test(test_empty_pairs_skipped),
		cmocka_unit_test(test_decoding),
		cmocka_unit_test(test_first_value_wins),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_pair_limit),
		cmocka_unit_test(test_size_limit),
	};

	return cmocka_run_group_tests(tests, ut_arena_setup, ut_arena_teardown);
}
