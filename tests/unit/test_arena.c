/*
 * test_arena.c - the per-request bump allocator (arena_*) and the growable
 * byte string built on it (buf_*): alignment and accounting, zeroing,
 * string helpers, big blocks, reset keeping the first chunk, and buf
 * growth across many chunks with binary content.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/lib/arena.h"

#define ALIGN sizeof(max_align_t)
#define ROUND(n) (((n) + ALIGN - 1) / ALIGN * ALIGN)

static void test_alloc_alignment_and_used(void **state)
{
	struct arena a;
	size_t sizes[] = { 1, 3, 7, 16, 17, 100, 1000 }, i, used = 0;

	(void)state;
	arena_init(&a);
	assert_null(a.head);
	assert_int_equal(a.used, 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *p = arena_alloc(&a, sizes[i]);
		assert_non_null(p);
		/* what malloc promises: _Alignof, not sizeof (32 on x86-64,
		 * which a chunk from malloc is only by chance) */
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
		memset(p, 0x5a, sizes[i]);	/* must be writable in full */
		used += ROUND(sizes[i]);
		assert_int_equal(a.used, used);
	}
	arena_free(&a);
	assert_null(a.head);
	assert_int_equal(a.used, 0);
}

static void test_alloc_zero_bytes(void **state)
{
	struct arena a;
	void *p, *q;

	(void)state;
	arena_init(&a);
	p = arena_alloc(&a, 0);
	q = arena_alloc(&a, 0);
	assert_non_null(p);
	assert_non_null(q);
	assert_ptr_not_equal(p, q);
	assert_int_equal(a.used, 2 * ALIGN);
	arena_free(&a);
}

static void test_allocations_do_not_overlap(void **state)
{
	struct arena a;
	unsigned char *p[200];
	int i, j;

	(void)state;
	arena_init(&a);
	/* 200 x 100 bytes spans two 16 KiB chunks */
	for (i = 0; i < 200; i++) {
		p[i] = arena_alloc(&a, 100);
		memset(p[i], i, 100);
	}
	for (i = 0; i < 200; i++)
		for (j = 0; j < 100; j++)
			assert_int_equal(p[i][j], (unsigned char)i);
	arena_free(&a);
}

static void test_zalloc_zeroes_reused_memory(void **state)
{
	struct arena a;
	unsigned char *p;
	size_t i;

	(void)state;
	arena_init(&a);
	p = arena_alloc(&a, 512);
	memset(p, 0xaa, 512);
	arena_reset(&a);
	/* the kept chunk hands out the same (dirty) memory again */
	p = arena_zalloc(&a, 512);
	for (i = 0; i < 512; i++)
		assert_int_equal(p[i], 0);
	arena_free(&a);
}

static void test_strdup_strndup(void **state)
{
	struct arena a;
	const char *src = "hello, world";
	char *s, *t, *u;

	(void)state;
	arena_init(&a);
	s = arena_strdup(&a, src);
	assert_string_equal(s, src);
	assert_ptr_not_equal(s, src);
	t = arena_strndup(&a, src, 5);
	assert_string_equal(t, "hello");
	assert_int_equal(strlen(t), 5);
	u = arena_strdup(&a, "");
	assert_string_equal(u, "");
	/* strndup copies exactly n bytes even across a NUL */
	t = arena_strndup(&a, "ab\0cd", 5);
	assert_memory_equal(t, "ab\0cd", 6);
	arena_free(&a);
}

/* arena_grow keeps the rows already written and gives room for the next. */
static void test_grow_keeps_rows(void **state)
{
	struct arena a;
	long long *v = NULL, *first;
	int n, cap = 0;

	(void)state;
	arena_init(&a);
	v = arena_grow(&a, v, 0, &cap, sizeof(*v));
	assert_non_null(v);
	assert_int_equal(cap, 16);
	first = v;
	for (n = 0; n < 100; n++) {
		v = arena_grow(&a, v, n, &cap, sizeof(*v));
		assert_true(n < cap);
		v[n] = n * 7;
	}
	assert_int_equal(cap, 128);
	assert_ptr_not_equal(v, first);
	for (n = 0; n < 100; n++)
		assert_int_equal(v[n], n * 7);
	/* room left: the same array back */
	assert_ptr_equal(arena_grow(&a, v, 100, &cap, sizeof(*v)), v);
	arena_free(&a);
}

static void test_printf(void **state)
{
	struct arena a;
	char *s, big[20001];

	(void)state;
	arena_init(&a);
	s = arena_printf(&a, "%s-%d-%05.1f", "ab", 42, 3.5);
	assert_string_equal(s, "ab-42-003.5");
	s = arena_printf(&a, "%s", "");
	assert_string_equal(s, "");
	/* longer than a chunk */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = arena_printf(&a, "<%s>", big);
	assert_int_equal(strlen(s), 20002);
	assert_int_equal(s[0], '<');
	assert_int_equal(s[20001], '>');
	assert_memory_equal(s + 1, big, 20000);
	arena_free(&a);
}

static void test_big_block_keeps_small_ones_intact(void **state)
{
	struct arena a;
	char *small1, *big, *small2;
	size_t i;

	(void)state;
	arena_init(&a);
	small1 = arena_strdup(&a, "before");
	big = arena_alloc(&a, 100000);
	memset(big, 'B', 100000);
	small2 = arena_strdup(&a, "after");
	assert_string_equal(small1, "before");
	assert_string_equal(small2, "after");
	for (i = 0; i < 100000; i++)
		if (big[i] != 'B')
			fail_msg("big block byte %zu overwritten", i);
	/* small allocations after the big one come from the small chunk */
	assert_true(small2 > small1 && small2 - small1 < 16384);
	assert_int_equal(a.used, ROUND(7) + ROUND(100000) + ROUND(6));
	arena_free(&a);
}

static void test_big_block_first(void **state)
{
	struct arena a;
	char *big, *s;

	(void)state;
	arena_init(&a);
	big = arena_alloc(&a, 9000);
	memset(big, 1, 9000);
	s = arena_strdup(&a, "x");
	assert_string_equal(s, "x");
	assert_int_equal(big[8999], 1);
	arena_free(&a);
}

static void test_reset_keeps_first_chunk(void **state)
{
	struct arena a;
	void *p1, *p2;
	int i;

	(void)state;
	arena_init(&a);
	p1 = arena_alloc(&a, 64);
	for (i = 0; i < 1000; i++)	/* grow to several chunks */
		arena_alloc(&a, 100);
	arena_reset(&a);
	assert_int_equal(a.used, 0);
	assert_non_null(a.head);
	p2 = arena_alloc(&a, 64);
	assert_ptr_equal(p1, p2);
	arena_free(&a);
}

static void test_reset_after_big_block_keeps_first_chunk(void **state)
{
	struct arena a;
	void *p1, *p2;

	(void)state;
	arena_init(&a);
	p1 = arena_alloc(&a, 64);
	arena_alloc(&a, 10000);		/* a big block while chunk 1 is the head */
	arena_reset(&a);
	/* Regression (was a bug): arena_reset only keeps the *last* chunk of the list, but a big
	 * block is linked behind the head, so here the first chunk is freed
	 * (head == NULL) contrary to arena.h ("the first ... is kept"). */
	assert_non_null(a.head);
	p2 = arena_alloc(&a, 64);
	assert_ptr_equal(p1, p2);
	arena_free(&a);
}

static void test_reset_empty_arena(void **state)
{
	struct arena a;

	(void)state;
	arena_init(&a);
	arena_reset(&a);
	assert_null(a.head);
	assert_int_equal(a.used, 0);
	assert_non_null(arena_alloc(&a, 1));
	arena_free(&a);
}

static void test_alloc_size_overflow_aborts(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct arena a;
		char *p;

		arena_init(&a);
		p = arena_alloc(&a, SIZE_MAX);
		/* reaching here means a "SIZE_MAX byte" block was handed out */
		_exit(p ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Regression (was a bug): arena_alloc rounds n up with (n + align - 1) & ~(align - 1),
	 * which wraps to 0 for n > SIZE_MAX - 15 and then returns a 16-byte
	 * block instead of failing (abort, like any other impossible size). */
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_buf_basic(void **state)
{
	struct arena a;
	struct buf b;

	(void)state;
	arena_init(&a);
	buf_init(&b, &a);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_adds(&b, "abc");
	buf_addc(&b, '-');
	buf_add(&b, "xyz123", 3);
	buf_printf(&b, "[%d:%s]", 7, "q");
	assert_int_equal(b.len, 12);
	assert_string_equal(buf_cstr(&b), "abc-xyz[7:q]");
	/* buf_cstr does not count the NUL */
	assert_int_equal(b.len, 12);
	arena_free(&a);
}

static void test_buf_binary_and_empty_printf(void **state)
{
	struct arena a;
	struct buf b;

	(void)state;
	arena_init(&a);
	buf_init(&b, &a);
	buf_add(&b, "a\0b", 3);
	buf_printf(&b, "%s", "");
	buf_add(&b, "", 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(buf_cstr(&b), "a\0b", 4);
	arena_free(&a);
}

static void test_buf_growth(void **state)
{
	struct arena a;
	struct buf b;
	const char *s;
	int i;

	(void)state;
	arena_init(&a);
	buf_init(&b, &a);
	for (i = 0; i < 10000; i++)
		buf_addc(&b, (char)('a' + i % 26));
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%04d", i);
	assert_int_equal(b.len, 14000);
	assert_true(b.cap > b.len);
	s = buf_cstr(&b);
	for (i = 0; i < 10000; i++)
		if (s[i] != 'a' + i % 26)
			fail_msg("byte %d is %c", i, s[i]);
	assert_memory_equal(s + 10000, "000000010002", 12);
	assert_memory_equal(s + 13996, "0999", 5);
	arena_free(&a);
}

static void test_buf_printf_longer_than_initial_cap(void **state)
{
	struct arena a;
	struct buf b;
	char big[1000];

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	arena_init(&a);
	buf_init(&b, &a);
	buf_adds(&b, "x");
	buf_printf(&b, "%s!", big);
	assert_int_equal(b.len, 1 + 999 + 1);
	assert_int_equal(buf_cstr(&b)[0], 'x');
	assert_int_equal(buf_cstr(&b)[1000], '!');
	assert_int_equal(buf_cstr(&b)[1001], '\0');
	arena_free(&a);
}

/* buf_add_jstr: a valid JSON string for any bytes; buf_add_qenc: a query value. */
static void test_buf_json_and_query_text(void **state)
{
	struct arena a;
	struct buf b;

	(void)state;
	arena_init(&a);
	buf_init(&b, &a);
	buf_add_jstr(&b, "a\"b\\c\n\x01\x7f/\xc3\xa9");
	assert_string_equal(buf_cstr(&b), "\"a\\\"b\\\\c\\u000a\\u0001\x7f/\xc3\xa9\"");
	buf_init(&b, &a);
	buf_add_jstr(&b, "");
	assert_string_equal(buf_cstr(&b), "\"\"");
	buf_init(&b, &a);
	buf_add_qenc(&b, "a b&c=d/é~_.-");
	assert_string_equal(buf_cstr(&b), "a%20b%26c%3Dd%2F%C3%A9~_.-");
	arena_free(&a);
}

static void test_cat_and_lld(void **state)
{
	struct arena a;

	(void)state;
	arena_init(&a);
	assert_string_equal(arena_cat(&a, "x", "", "/y/", "z", NULL), "x/y/z");
	assert_string_equal(arena_cat(&a, NULL), "");
	assert_string_equal(arena_lld(&a, 0), "0");
	assert_string_equal(arena_lld(&a, 1234567890123LL), "1234567890123");
	assert_string_equal(arena_lld(&a, -42), "-42");
	assert_string_equal(arena_lld(&a, -9223372036854775807LL - 1), "-9223372036854775808");
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_alignment_and_used),
		cmocka_unit_test(test_alloc_zero_bytes),
		cmocka_unit_test(test_allocations_do_not_overlap),
		cmocka_unit_test(test_zalloc_zeroes_reused_memory),
		cmocka_unit_test(test_strdup_strndup),
		cmocka_unit_test(test_grow_keeps_rows),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_big_block_keeps_small_ones_intact),
		cmocka_unit_test(test_big_block_first),
		cmocka_unit_test(test_reset_keeps_first_chunk),
		cmocka_unit_test(test_reset_after_big_block_keeps_first_chunk),
		cmocka_unit_test(test_reset_empty_arena),
		cmocka_unit_test(test_alloc_size_overflow_aborts),
		cmocka_unit_test(test_buf_basic),
		cmocka_unit_test(test_buf_binary_and_empty_printf),
		cmocka_unit_test(test_buf_json_and_query_text),
		cmocka_unit_test(test_cat_and_lld),
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_buf_printf_longer_than_initial_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
