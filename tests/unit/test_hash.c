/*
 * test_hash.c - digests as lowercase hex: the published vectors of
 * sha256, sha1 and md5 for "abc" and "", the git blob form (as
 * `git hash-object` computes it), streaming equal to one-shot,
 * hash_file_hex across read-buffer boundaries and on errors, and
 * hash_is_hex (each rejected form separately).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../src/lib/hash.h"
#include "unit_util.h"

static void check(enum hash_alg alg, const char *in, const char *want)
{
	char out[HASH_HEX_MAX];

	memset(out, 'X', sizeof(out));
	assert_int_equal(hash_hex(alg, in, strlen(in), out), 0);
	assert_string_equal(out, want);
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	check(HASH_SHA256, "abc",
	      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check(HASH_SHA256, "",
	      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check(HASH_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha1_vectors(void **state)
{
	(void)state;
	check(HASH_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
	check(HASH_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

static void test_md5_vectors(void **state)
{
	(void)state;
	check(HASH_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72");
	check(HASH_MD5, "", "d41d8cd98f00b204e9800998ecf8427e");
}

static void test_git_blob(void **state)
{
	char out[HASH_HEX_MAX];

	(void)state;
	assert_int_equal(hash_git_blob_hex("hello\n", 6, out), 0);
	assert_string_equal(out, "ce013625030ba8dba906f756967f9e9ca394464a");
	assert_int_equal(hash_git_blob_hex("", 0, out), 0);
	assert_string_equal(out, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	/* not the plain sha1 */
	assert_int_equal(hash_hex(HASH_SHA1, "hello\n", 6, out), 0);
	assert_string_equal(out, "f572d396fae9206628714fb2ce00f72e94f2258f");
}

static void test_streaming_equals_one_shot(void **state)
{
	static const char msg[] = "The quick brown fox jumps over the lazy dog";
	enum hash_alg algs[] = { HASH_SHA256, HASH_SHA1, HASH_MD5 };
	char a[HASH_HEX_MAX], b[HASH_HEX_MAX];
	size_t i, j;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct hash_ctx h;
		assert_int_equal(hash_init(&h, algs[i]), 0);
		for (j = 0; j < sizeof(msg) - 1; j += 5)
			hash_update(&h, msg + j, sizeof(msg) - 1 - j < 5 ? sizeof(msg) - 1 - j : 5);
		hash_update(&h, "ignored", 0);
		hash_final_hex(&h, a);
		assert_null(h.md);
		assert_int_equal(hash_hex(algs[i], msg, sizeof(msg) - 1, b), 0);
		assert_string_equal(a, b);
	}
	assert_int_equal(hash_hex(HASH_MD5, msg, sizeof(msg) - 1, a), 0);
	assert_string_equal(a, "9e107d9d372bb6826bd81d3542a419d6");
}

static void test_final_after_free(void **state)
{
	struct hash_ctx h;
	char out[HASH_HEX_MAX] = "junk";

	(void)state;
	assert_int_equal(hash_init(&h, HASH_SHA256), 0);
	hash_free(&h);
	assert_null(h.md);
	hash_update(&h, "abc", 3);	/* ignored, no crash */
	hash_final_hex(&h, out);
	assert_string_equal(out, "");
	hash_free(&h);			/* twice is harmless */
}

static void test_hex_lengths(void **state)
{
	char out[HASH_HEX_MAX];

	(void)state;
	assert_int_equal(hash_hex(HASH_SHA256, "x", 1, out), 0);
	assert_int_equal(strlen(out), 64);
	assert_true(hash_is_hex(out, 64));
	assert_int_equal(hash_hex(HASH_SHA1, "x", 1, out), 0);
	assert_int_equal(strlen(out), 40);
	assert_int_equal(hash_hex(HASH_MD5, "x", 1, out), 0);
	assert_int_equal(strlen(out), 32);
}

static void test_file(void **state)
{
	char *dir = ut_mkdtemp(), path[PATH_MAX], out[HASH_HEX_MAX], want[HASH_HEX_MAX];
	size_t n = 200000, i;	/* crosses the 64 KiB read buffer three times */
	unsigned char *data = malloc(n);
	uint64_t size = 0;

	(void)state;
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i ^ (i >> 7));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(ut_write(path, data, n), 0);
	assert_int_equal(hash_file_hex(HASH_SHA256, path, out, &size), 0);
	assert_int_equal(size, n);
	assert_int_equal(hash_hex(HASH_SHA256, data, n, want), 0);
	assert_string_equal(out, want);
	assert_int_equal(hash_file_hex(HASH_MD5, path, out, NULL), 0);
	assert_int_equal(hash_hex(HASH_MD5, data, n, want), 0);
	assert_string_equal(out, want);

	assert_int_equal(ut_write(path, "abc", 3), 0);
	assert_int_equal(hash_file_hex(HASH_SHA1, path, out, &size), 0);
	assert_int_equal(size, 3);
	assert_string_equal(out, "a9993e364706816aba3e25717850c26c9cd0d89d");

	assert_int_equal(ut_write(path, "", 0), 0);
	size = 99;
	assert_int_equal(hash_file_hex(HASH_SHA256, path, out, &size), 0);
	assert_int_equal(size, 0);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	free(data);
	ut_rmtree(dir);
}

static void test_file_errors(void **state)
{
	char *dir = ut_mkdtemp(), out[HASH_HEX_MAX];
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing", dir);
	errno = 0;
	assert_int_equal(hash_file_hex(HASH_SHA256, path, out, NULL), -1);
	assert_int_equal(errno, ENOENT);
	/* a directory opens but cannot be read */
	errno = 0;
	assert_int_equal(hash_file_hex(HASH_SHA256, dir, out, NULL), -1);
	assert_int_equal(errno, EISDIR);
	ut_rmtree(dir);
}

static void test_is_hex(void **state)
{
	(void)state;
	assert_int_equal(hash_is_hex("0123456789abcdef", 16), 1);
	assert_int_equal(hash_is_hex("ab", 2), 1);
	assert_int_equal(hash_is_hex("", 0), 1);

	assert_int_equal(hash_is_hex("0123456789ABCDEF", 16), 0);
	assert_int_equal(hash_is_hex("aB", 2), 0);
	assert_int_equal(hash_is_hex("ag", 2), 0);
	assert_int_equal(hash_is_hex("a ", 2), 0);
	assert_int_equal(hash_is_hex("a-", 2), 0);
	assert_int_equal(hash_is_hex("a", 2), 0);	/* shorter */
	assert_int_equal(hash_is_hex("abc", 2), 0);	/* longer */
	assert_int_equal(hash_is_hex("", 2), 0);
	assert_int_equal(hash_is_hex("a", 0), 0);
	assert_int_equal(hash_is_hex("0x", 2), 0);
	assert_int_equal(hash_is_hex("a\xc3\xa9", 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha1_vectors),
		cmocka_unit_test(test_md5_vectors),
		cmocka_unit_test(test_git_blob),
		cmocka_unit_test(test_streaming_equals_one_shot),
		cmocka_unit_test(test_final_after_free),
		cmocka_unit_test(test_hex_lengths),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_is_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
