/*
 * test_bytes.c - the bounded heap block an upload is kept in: bytes are
 * appended and NUL-terminated, the block grows past its first 64 KiB,
 * exactly max bytes fit and one more is refused (NB_TOO_LARGE, with the
 * caller's message, the block unchanged), and a length near SIZE_MAX
 * cannot wrap the bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/bytes.h"
#include "../../src/lib/err.h"

struct blk {
	char *p;
	size_t len, cap;
};

static int add(struct blk *b, size_t max, const void *src, size_t n, struct nb_err *e)
{
	return bytes_add(&b->p, &b->len, &b->cap, max, src, n, "too big here", e);
}

static void test_appends_and_terminates(void **state)
{
	struct blk b = { NULL, 0, 0 };
	struct nb_err e = { NB_OK, "" };

	(void)state;
	assert_int_equal(add(&b, 100, "", 0, &e), 0);
	assert_non_null(b.p);
	assert_string_equal(b.p, "");	/* empty is a string too */
	assert_int_equal(add(&b, 100, "x = ", 4, &e), 0);
	assert_int_equal(add(&b, 100, "1\n", 2, &e), 0);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.p, "x = 1\n");
	assert_int_equal(e.kind, NB_OK);
	free(b.p);
}

static void test_grows_past_first_block(void **state)
{
	size_t max = 300000, i;
	struct blk b = { NULL, 0, 0 };
	char chunk[1000];

	(void)state;
	for (i = 0; i < max / sizeof(chunk); i++) {
		memset(chunk, 'a' + (int)(i % 26), sizeof(chunk));
		assert_int_equal(add(&b, max, chunk, sizeof(chunk), NULL), 0);
	}
	assert_int_equal(b.len, max);
	assert_true(b.cap > max);	/* room for the NUL */
	assert_int_equal(b.p[max], '\0');
	for (i = 0; i < max / sizeof(chunk); i++)
		assert_int_equal(b.p[i * sizeof(chunk) + 999], 'a' + (int)(i % 26));
	free(b.p);
}

static void test_bound_exact_and_one_over(void **state)
{
	struct blk b = { NULL, 0, 0 };
	struct nb_err e = { NB_OK, "" };
	char ten[10] = "0123456789";

	(void)state;
	assert_int_equal(add(&b, 10, ten, 4, &e), 0);
	assert_int_equal(add(&b, 10, ten + 4, 6, &e), 0);	/* exactly max */
	assert_int_equal(add(&b, 10, "x", 1, &e), -1);		/* one over */
	assert_int_equal(e.kind, NB_TOO_LARGE);
	assert_string_equal(e.msg, "too big here");
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.p, "0123456789", 11);
	free(b.p);
}

static void test_length_cannot_wrap(void **state)
{
	struct blk b = { NULL, 0, 0 };
	struct nb_err e = { NB_OK, "" };

	(void)state;
	assert_int_equal(add(&b, 1000, "abc", 3, &e), 0);
	/* refused on the length alone: no byte of src is read */
	assert_int_equal(add(&b, 1000, "", SIZE_MAX, &e), -1);
	assert_int_equal(e.kind, NB_TOO_LARGE);
	assert_int_equal(add(&b, 1000, "", SIZE_MAX - 2, &e), -1);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.p, "abc");
	free(b.p);
}

/* bytes_count: the bound exact and one over, and sums that would wrap. */
static void test_count(void **state)
{
	unsigned long long t = 0;

	(void)state;
	assert_int_equal(bytes_count(&t, 10, 10), 0);
	assert_int_equal(t, 10);
	assert_int_equal(bytes_count(&t, 1, 10), -1);
	assert_int_equal(t, 10);
	t = ULLONG_MAX - 4;
	assert_int_equal(bytes_count(&t, 16, ULLONG_MAX), -1);	/* would wrap to 11 */
	assert_int_equal(t, ULLONG_MAX - 4);
	assert_int_equal(bytes_count(&t, 4, ULLONG_MAX), 0);
	assert_int_equal(t, ULLONG_MAX);
	t = 20;					/* already past a smaller bound */
	assert_int_equal(bytes_count(&t, 0, 10), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends_and_terminates),
		cmocka_unit_test(test_grows_past_first_block),
		cmocka_unit_test(test_bound_exact_and_one_over),
		cmocka_unit_test(test_length_cannot_wrap),
		cmocka_unit_test(test_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
