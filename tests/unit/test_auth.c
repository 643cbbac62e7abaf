/*
 * test_auth.c - the security primitives: argon2id hashes in the expected
 * encoded form with a fresh salt each time, verification accepting only
 * the right password against a well-formed argon2id hash (never another
 * algorithm, a truncated or garbled hash, or an empty string), random hex
 * of the asked length that differs between calls and refuses more than 64
 * bytes, the stored form of a token (its sha256, checked against known
 * vectors), and the constant-time comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "../../src/lib/auth.h"

#define PREFIX "$argon2id$v=19$m=7168,t=5,p=1$"

static int all_in(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return 1;
}

static int is_lower_hex(const char *s, size_t n)
{
	return strlen(s) == n && all_in(s, n, "0123456789abcdef");
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* -- auth_hash_password -- */

static void test_hash_format(void **state)
{
	char h[AUTH_HASH_MAX];
	const char *salt, *dollar, *tag;

	(void)state;
	memset(h, 'x', sizeof(h));
	assert_int_equal(auth_hash_password("correct horse", h, sizeof(h)), 0);
	assert_true(memchr(h, '\0', sizeof(h)) != NULL);
	assert_true(strncmp(h, PREFIX, strlen(PREFIX)) == 0);
	/* salt: 16 bytes as unpadded base64 (22 chars); tag: 32 bytes (43 chars) */
	salt = h + strlen(PREFIX);
	dollar = strchr(salt, '$');
	assert_non_null(dollar);
	assert_int_equal(dollar - salt, 22);
	assert_true(all_in(salt, 22, b64));
	tag = dollar + 1;
	assert_int_equal(strlen(tag), 43);
	assert_true(all_in(tag, 43, b64));
	assert_int_equal(strlen(h), strlen(PREFIX) + 22 + 1 + 43);
}

static void test_hash_salted(void **state)
{
	char a[AUTH_HASH_MAX], b[AUTH_HASH_MAX];

	(void)state;
	assert_int_equal(auth_hash_password("same password", a, sizeof(a)), 0);
	assert_int_equal(auth_hash_password("same password", b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	/* the salts differ, not only the tags */
	assert_memory_not_equal(a + strlen(PREFIX), b + strlen(PREFIX), 22);
	/* and both verify */
	assert_int_equal(auth_verify_password(a, "same password"), 1);
	assert_int_equal(auth_verify_password(b, "same password"), 1);
}

static void test_hash_buffer_too_small(void **state)
{
	char h[40];

	(void)state;
	assert_int_equal(auth_hash_password("pw", h, sizeof(h)), -1);
}

/* -- auth_verify_password -- */

static void test_verify(void **state)
{
	char h[AUTH_HASH_MAX], g[AUTH_HASH_MAX], ei[AUTH_HASH_MAX];
	unsigned char salt[16] = "0123456789abcdef";
	size_t n;

	(void)state;
	assert_int_equal(auth_hash_password("s3cret-pw", h, sizeof(h)), 0);
	assert_int_equal(auth_verify_password(h, "s3cret-pw"), 1);

	/* wrong passwords */
	assert_int_equal(auth_verify_password(h, "s3cret-pX"), 0);
	assert_int_equal(auth_verify_password(h, "s3cret-p"), 0);
	assert_int_equal(auth_verify_password(h, "s3cret-pww"), 0);
	assert_int_equal(auth_verify_password(h, "S3CRET-PW"), 0);
	assert_int_equal(auth_verify_password(h, ""), 0);

	/* another algorithm: a genuine argon2i hash of the same password */
	assert_int_equal(argon2i_hash_encoded(5, 7168, 1, "s3cret-pw", 9, salt, sizeof(salt),
					      32, ei, sizeof(ei)), ARGON2_OK);
	assert_true(strncmp(ei, "$argon2i$", 9) == 0);
	assert_int_equal(argon2i_verify(ei, "s3cret-pw", 9), ARGON2_OK);	/* it is valid */
	assert_int_equal(auth_verify_password(ei, "s3cret-pw"), 0);
	/* the argon2id hash relabelled as argon2i / argon2d */
	snprintf(g, sizeof(g), "$argon2i$%s", h + strlen("$argon2id$"));
	assert_int_equal(auth_verify_password(g, "s3cret-pw"), 0);
	snprintf(g, sizeof(g), "$argon2d$%s", h + strlen("$argon2id$"));
	assert_int_equal(auth_verify_password(g, "s3cret-pw"), 0);

	/* truncated: one character less, half, only the parameters, only the tag */
	n = strlen(h);
	snprintf(g, sizeof(g), "%.*s", (int)(n - 1), h);
	assert_int_equal(auth_verify_password(g, "s3cret-pw"), 0);
	snprintf(g, sizeof(g), "%.*s", (int)(n / 2), h);
	assert_int_equal(auth_verify_password(g, "s3cret-pw"), 0);
	assert_int_equal(auth_verify_password(PREFIX, "s3cret-pw"), 0);
	assert_int_equal(auth_verify_password("$argon2id$", "s3cret-pw"), 0);
	assert_int_equal(auth_verify_password("$argon2id", "s3cret-pw"), 0);

	/* garbled: a tag character, a salt character, a parameter */
	snprintf(g, sizeof(g), "%s", h);
	g[n - 5] = g[n - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_verify_password(g, "s3cret-pw"), 0);
	snprintf(g, sizeof(g), "%s", h);
	g[strlen(PREFIX) + 3] = g[strlen(PREFIX) + 3] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_verify_password(g, "s3cret-pw"), 0);
	snprintf(g, sizeof(g), "$argon2id$v=19$m=7169,t=5,p=1$%s", h + strlen(PREFIX));
	assert_int_equal(auth_verify_password(g, "s3cret-pw"), 0);
	snprintf(g, sizeof(g), "$argon2id$v=19$m=7168,t=4,p=1$%s", h + strlen(PREFIX));
	assert_int_equal(auth_verify_password(g, "s3cret-pw"), 0);
	snprintf(g, sizeof(g), "%s", h);
	g[strlen(PREFIX) + 10] = '!';	/* not base64 */
	assert_int_equal(auth_verify_password(g, "s3cret-pw"), 0);
	assert_int_equal(auth_verify_password("$argon2id$garbage", "s3cret-pw"), 0);

	/* an empty or non-hash encoded string */
	assert_int_equal(auth_verify_password("", "s3cret-pw"), 0);
	assert_int_equal(auth_verify_password("", ""), 0);
	assert_int_equal(auth_verify_password("s3cret-pw", "s3cret-pw"), 0);

	/* the original still verifies: nothing above was a false negative by accident */
	assert_int_equal(auth_verify_password(h, "s3cret-pw"), 1);
}

static void test_verify_empty_password_hash(void **state)
{
	char h[AUTH_HASH_MAX];

	(void)state;
	/* an empty password hashes; only the empty password matches it */
	assert_int_equal(auth_hash_password("", h, sizeof(h)), 0);
	assert_int_equal(auth_verify_password(h, ""), 1);
	assert_int_equal(auth_verify_password(h, " "), 0);
}

/* the unknown user's hash costs what a user's does: the same parameters as
 * a fresh hash, and well-formed (it verifies its own password) */
static void test_dummy_hash_costs_what_a_hash_costs(void **state)
{
	char fresh[AUTH_HASH_MAX];
	const char *f, *d;

	(void)state;
	assert_int_equal(auth_hash_password("x", fresh, sizeof(fresh)), 0);
	f = strrchr(fresh, '$');
	f = memrchr(fresh, '$', (size_t)(f - fresh));	/* before the salt */
	d = strrchr(auth_dummy_hash, '$');
	d = memrchr(auth_dummy_hash, '$', (size_t)(d - auth_dummy_hash));
	assert_int_equal(f - fresh, d - auth_dummy_hash);
	assert_memory_equal(fresh, auth_dummy_hash, (size_t)(f - fresh));
	assert_int_equal(auth_verify_password(auth_dummy_hash, "no such user"), 1);
}

/* -- auth_random_hex -- */

static void test_random_hex(void **state)
{
	char a[2 * 64 + 1], b[2 * 64 + 1];
	size_t sizes[] = { 0, 1, 16, 32, 64 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(a, 'X', sizeof(a));
		assert_int_equal(auth_random_hex(a, sizes[i]), 0);
		if (!is_lower_hex(a, 2 * sizes[i]))
			fail_msg("auth_random_hex(%zu) = \"%s\"", sizes[i], a);
	}
	assert_int_equal(auth_random_hex(a, AUTH_TOKEN_BYTES), 0);
	assert_int_equal(auth_random_hex(b, AUTH_TOKEN_BYTES), 0);
	assert_true(is_lower_hex(a, 64));
	assert_true(is_lower_hex(b, 64));
	assert_string_not_equal(a, b);
}

static void test_random_hex_refuses_more_than_64(void **state)
{
	char out[2 * 200 + 1];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(auth_random_hex(out, 65), -1);
	assert_int_equal(auth_random_hex(out, 200), -1);
	assert_int_equal(auth_random_hex(out, (size_t)-1), -1);
	/* nothing was written */
	assert_int_equal(out[0], 'X');
	assert_int_equal(out[130], 'X');
}

/* -- auth_token_hash -- */

static void test_token_hash(void **state)
{
	char out[65], out2[65];

	(void)state;
	memset(out, 'X', sizeof(out));
	auth_token_hash("abc", out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	auth_token_hash("", out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	auth_token_hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", out);
	assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* deterministic, and sensitive to one character */
	auth_token_hash("nbx_0123", out);
	auth_token_hash("nbx_0123", out2);
	assert_string_equal(out, out2);
	auth_token_hash("nbx_0124", out2);
	assert_string_not_equal(out, out2);
	assert_true(is_lower_hex(out2, 64));
}

/* -- auth_equal -- */

static void test_equal(void **state)
{
	char a[8] = "secret", b[8] = "secret";

	(void)state;
	assert_int_equal(auth_equal(a, b), 1);		/* equal content, distinct buffers */
	assert_int_equal(auth_equal("abc", "abc"), 1);
	assert_int_equal(auth_equal("abc", "abd"), 0);	/* same length, last differs */
	assert_int_equal(auth_equal("xbc", "abc"), 0);	/* same length, first differs */
	assert_int_equal(auth_equal("abc", "abcd"), 0);	/* prefix */
	assert_int_equal(auth_equal("abcd", "abc"), 0);
	assert_int_equal(auth_equal("abc", "xyzw"), 0);
	assert_int_equal(auth_equal("", ""), 1);
	assert_int_equal(auth_equal("", "a"), 0);
	assert_int_equal(auth_equal("a", ""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_format),
		cmocka_unit_test(test_hash_salted),
		cmocka_unit_test(test_hash_buffer_too_small),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_verify_empty_password_hash),
		cmocka_unit_test(test_dummy_hash_costs_what_a_hash_costs),
		cmocka_unit_test(test_random_hex),
		cmocka_unit_test(test_random_hex_refuses_more_than_64),
		cmocka_unit_test(test_token_hash),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
