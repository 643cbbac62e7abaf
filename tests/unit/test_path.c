/*
 * test_path.c - request path handling: path_split (segments, trailing
 * slash, percent-decoding, every rejected form with its reason, limits),
 * path_url_decode (with and without '+', malformed escapes) and
 * path_segment_ok (each forbidden segment on its own).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../src/lib/err.h"
#include "../../src/lib/path.h"
#include "unit_arena.h"

/* path_split on a C string; returns its result, err set to NB_INVALID and the reason on failure. */
static int split(const char *raw, struct path *p, struct nb_err *err)
{
	nb_err_clear(err);
	return path_split(&A, raw, strlen(raw), p, err);
}

/* Asserts raw is rejected with exactly the reason want. */
#define assert_rejected(raw, want) do {					\
	struct path p_;							\
	struct nb_err e_;						\
	assert_int_equal(split((raw), &p_, &e_), -1);			\
	assert_int_equal(e_.kind, NB_INVALID);				\
	assert_string_equal(e_.msg, (want));				\
} while (0)

static void test_root_has_no_segments(void **state)
{
	struct path p;
	struct nb_err err;

	(void)state;
	assert_int_equal(split("/", &p, &err), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(err.kind, NB_OK);
}

static void test_plain_segments(void **state)
{
	struct path p;
	struct nb_err err;

	(void)state;
	assert_int_equal(split("/update/box1/image-2", &p, &err), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.seg[0], "update");
	assert_string_equal(p.seg[1], "box1");
	assert_string_equal(p.seg[2], "image-2");
}

static void test_trailing_slash_is_empty_last_segment(void **state)
{
	struct path p;
	struct nb_err err;

	(void)state;
	assert_int_equal(split("/list/", &p, &err), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.seg[0], "list");
	assert_string_equal(p.seg[1], "");
	assert_int_equal(split("/a/b/", &p, &err), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.seg[2], "");
}

static void test_percent_decoding(void **state)
{
	struct path p;
	struct nb_err err;

	(void)state;
	assert_int_equal(split("/a%20b/%41%62/caf%C3%A9/x+y/%2e%2e%2e", &p, &err), 0);
	assert_int_equal(p.n, 5);
	assert_string_equal(p.seg[0], "a b");
	assert_string_equal(p.seg[1], "Ab");
	assert_string_equal(p.seg[2], "caf\xc3\xa9");
	assert_string_equal(p.seg[3], "x+y");	/* '+' is literal in a path */
	assert_string_equal(p.seg[4], "...");
}

static void test_length_is_honoured(void **state)
{
	struct path p;
	struct nb_err err;

	(void)state;
	/* the query part is not passed: only len bytes count */
	assert_int_equal(path_split(&A, "/a/b?x=/..", 4, &p, &err), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.seg[1], "b");
}

static void test_rejects_bad_start(void **state)
{
	struct path p;
	struct nb_err err;

	(void)state;
	assert_int_equal(path_split(&A, "", 0, &p, &err), -1);
	assert_int_equal(err.kind, NB_INVALID);
	assert_string_equal(err.msg, "path must start with /");
	assert_rejected("a/b", "path must start with /");
	assert_rejected("%2Fa", "path must start with /");
}

static void test_rejects_bad_segments(void **state)
{
	(void)state;
	assert_rejected("//a", "bad path segment");
	assert_rejected("/a//b", "bad path segment");
	assert_rejected("/.", "bad path segment");
	assert_rejected("/..", "bad path segment");
	assert_rejected("/a/./b", "bad path segment");
	assert_rejected("/a/../b", "bad path segment");
	assert_rejected("/a/..", "bad path segment");
	assert_rejected("/%2e", "bad path segment");
	assert_rejected("/%2e%2e", "bad path segment");
	assert_rejected("/%2E%2E/etc", "bad path segment");
	assert_rejected("/.%2e", "bad path segment");
	assert_rejected("/a%2Fb", "bad path segment");
	assert_rejected("/a%2fb", "bad path segment");
	assert_rejected("/a%5Cb", "bad path segment");
	assert_rejected("/a\\b", "bad path segment");
	assert_rejected("/a%00b", "bad path segment");
	assert_rejected("/a%0ab", "bad path segment");
	assert_rejected("/a%0Db", "bad path segment");
	assert_rejected("/a%1fb", "bad path segment");
	assert_rejected("/a%7Fb", "bad path segment");
	assert_rejected("/a\tb", "bad path segment");
	assert_rejected("/%00", "bad path segment");
}

static void test_rejects_bad_escapes(void **state)
{
	(void)state;
	assert_rejected("/a%", "bad percent-escape in path");
	assert_rejected("/a%4", "bad percent-escape in path");
	assert_rejected("/a%4/b", "bad percent-escape in path");
	assert_rejected("/a%zz", "bad percent-escape in path");
	assert_rejected("/a%g0", "bad percent-escape in path");
	assert_rejected("/a%0g", "bad percent-escape in path");
	assert_rejected("/a%%41", "bad percent-escape in path");
	assert_rejected("/%-1", "bad percent-escape in path");
}

static void test_segment_length_limit(void **state)
{
	char raw[PATH_SEG_MAX + 3], esc[3 * PATH_SEG_MAX + 2];
	struct path p;
	struct nb_err err;
	int i;

	(void)state;
	raw[0] = '/';
	memset(raw + 1, 'a', PATH_SEG_MAX);
	raw[PATH_SEG_MAX + 1] = '\0';
	assert_int_equal(split(raw, &p, &err), 0);
	assert_int_equal(strlen(p.seg[0]), PATH_SEG_MAX);
	raw[PATH_SEG_MAX + 1] = 'a';
	raw[PATH_SEG_MAX + 2] = '\0';
	assert_rejected(raw, "bad path segment");
	/* the limit is on the decoded length: PATH_SEG_MAX escapes are fine */
	esc[0] = '/';
	for (i = 0; i < PATH_SEG_MAX; i++)
		memcpy(esc + 1 + 3 * i, "%41", 3);
	esc[1 + 3 * PATH_SEG_MAX] = '\0';
	assert_int_equal(split(esc, &p, &err), 0);
	assert_int_equal(strlen(p.seg[0]), PATH_SEG_MAX);
}

static void test_segment_count_limit(void **state)
{
	char raw[3 * PATH_MAX_SEGS + 8];
	struct path p;
	struct nb_err err;
	int i;

	(void)state;
	raw[0] = '\0';
	for (i = 0; i < PATH_MAX_SEGS; i++)
		strcat(raw, "/s");
	assert_int_equal(split(raw, &p, &err), 0);
	assert_int_equal(p.n, PATH_MAX_SEGS);
	assert_string_equal(p.seg[PATH_MAX_SEGS - 1], "s");
	strcat(raw, "/s");
	assert_rejected(raw, "too many path segments");
	/* a trailing slash after 32 segments is a 33rd (empty) one */
	raw[2 * PATH_MAX_SEGS] = '\0';
	strcat(raw, "/");
	assert_rejected(raw, "too many path segments");
}

static void test_raw_length_limit(void **state)
{
	static char raw[PATH_RAW_MAX + 2];
	struct path p;
	struct nb_err err;
	int i;

	(void)state;
	/* 4096 bytes: "/" then segments of 127 'a' separated by '/' */
	for (i = 0; i < PATH_RAW_MAX; i++)
		raw[i] = i % 128 == 0 ? '/' : 'a';
	raw[PATH_RAW_MAX] = '\0';
	assert_int_equal(split(raw, &p, &err), 0);
	assert_int_equal(p.n, 32);
	raw[PATH_RAW_MAX] = 'a';
	raw[PATH_RAW_MAX + 1] = '\0';
	assert_rejected(raw, "path too long");
}

static void test_url_decode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(path_url_decode(out, "abc", 3, 0), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(path_url_decode(out, "%41%62%7a%7A", 12, 0), 4);
	assert_string_equal(out, "Abzz");
	assert_int_equal(path_url_decode(out, "a+b", 3, 0), 3);
	assert_string_equal(out, "a+b");
	assert_int_equal(path_url_decode(out, "a+b", 3, 1), 3);
	assert_string_equal(out, "a b");
	assert_int_equal(path_url_decode(out, "%2B", 3, 1), 1);
	assert_string_equal(out, "+");
	assert_int_equal(path_url_decode(out, "", 0, 0), 0);
	assert_string_equal(out, "");
	/* an escaped NUL is decoded and counted */
	assert_int_equal(path_url_decode(out, "a%00b", 5, 0), 3);
	assert_memory_equal(out, "a\0b", 4);
	/* only n bytes are read */
	assert_int_equal(path_url_decode(out, "%41%42", 3, 0), 1);
	assert_string_equal(out, "A");
}

static void test_url_decode_rejects(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(path_url_decode(out, "%", 1, 0), -1);
	assert_int_equal(path_url_decode(out, "%4", 2, 0), -1);
	assert_int_equal(path_url_decode(out, "ab%4", 4, 0), -1);
	assert_int_equal(path_url_decode(out, "%G1", 3, 0), -1);
	assert_int_equal(path_url_decode(out, "%1G", 3, 0), -1);
	assert_int_equal(path_url_decode(out, "% 1", 3, 0), -1);
	assert_int_equal(path_url_decode(out, "%+1", 3, 1), -1);
	/* the escape must fit in n even if the string goes on */
	assert_int_equal(path_url_decode(out, "%41", 2, 0), -1);
}

static void test_path_segment_ok(void **state)
{
	char seg[PATH_SEG_MAX + 1];

	(void)state;
	assert_int_equal(path_segment_ok("a", 1), 1);
	assert_int_equal(path_segment_ok("...", 3), 1);
	assert_int_equal(path_segment_ok(".a", 2), 1);
	assert_int_equal(path_segment_ok("a..b", 4), 1);
	assert_int_equal(path_segment_ok("a b+c~", 6), 1);
	assert_int_equal(path_segment_ok("\xc3\xa9", 2), 1);
	memset(seg, 'x', sizeof(seg));
	assert_int_equal(path_segment_ok(seg, PATH_SEG_MAX), 1);

	assert_int_equal(path_segment_ok(seg, PATH_SEG_MAX + 1), 0);
	assert_int_equal(path_segment_ok("", 0), 0);
	assert_int_equal(path_segment_ok(".", 1), 0);
	assert_int_equal(path_segment_ok("..", 2), 0);
	assert_int_equal(path_segment_ok("a/b", 3), 0);
	assert_int_equal(path_segment_ok("/", 1), 0);
	assert_int_equal(path_segment_ok("a\\b", 3), 0);
	assert_int_equal(path_segment_ok("a\0b", 3), 0);
	assert_int_equal(path_segment_ok("a\nb", 3), 0);
	assert_int_equal(path_segment_ok("a\rb", 3), 0);
	assert_int_equal(path_segment_ok("\x01", 1), 0);
	assert_int_equal(path_segment_ok("\x1f", 1), 0);
	assert_int_equal(path_segment_ok("\x7f", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_has_no_segments),
		cmocka_unit_test(test_plain_segments),
		cmocka_unit_test(test_trailing_slash_is_empty_last_segment),
		cmocka_unit_test(test_percent_decoding),
		cmocka_unit_test(test_length_is_honoured),
		cmocka_unit_test(test_rejects_bad_start),
		cmocka_unit_test(test_rejects_bad_segments),
		cmocka_unit_test(test_rejects_bad_escapes),
		cmocka_unit_test(test_segment_length_limit),
		cmocka_unit_test(test_segment_count_limit),
		cmocka_unit_test(test_raw_length_limit),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_url_decode_rejects),
		cmocka_unit_test(test_path_segment_ok),
	};

	return cmocka_run_group_tests(tests, ut_arena_setup, ut_arena_teardown);
}
