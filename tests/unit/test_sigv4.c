/*
 * test_sigv4.c - AWS Signature Version 4 against AWS's published vectors:
 * the SigV4 test suite's get-vanilla, get-vanilla-query-order-key-case
 * and post-vanilla (credentials AKIDEXAMPLE, 20150830T123600Z, us-east-1,
 * service "service"), the S3 API reference's header-signed GET Object
 * example (Range bytes=0-9) and its presigned URL example (examplebucket,
 * test.txt, 20130524T000000Z, 86400 s); plus the URI encoding rules and
 * the presign argument limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../src/lib/sigv4.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const struct sigv4_cred suite = {
	"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"
};
static const struct sigv4_cred s3doc = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"
};

static void check(const struct sigv4_cred *c, const char *date, const struct sigv4_req *q,
		  const char *want)
{
	char sig[SIGV4_HEX];

	assert_int_equal(sigv4_sign(c, date, q, sig), 0);
	assert_string_equal(sig, want);
}

static void test_get_vanilla(void **state)
{
	struct sigv4_req q = { "GET", "/", "",
			       "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
			       "host;x-amz-date", EMPTY_SHA };
	(void)state;
	check(&suite, "20150830T123600Z", &q,
	      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	q.query = "Param1=value1&Param2=value2";
	check(&suite, "20150830T123600Z", &q,
	      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

static void test_post_vanilla(void **state)
{
	struct sigv4_req q = { "POST", "/", "",
			       "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
			       "host;x-amz-date", EMPTY_SHA };
	(void)state;
	check(&suite, "20150830T123600Z", &q,
	      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

static void test_s3_get_object(void **state)
{
	struct sigv4_req q = { "GET", "/test.txt", "",
			       "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
			       "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n",
			       "host;range;x-amz-content-sha256;x-amz-date", EMPTY_SHA };
	(void)state;
	check(&s3doc, "20130524T000000Z", &q,
	      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void test_s3_presigned_url(void **state)
{
	char url[1024];

	(void)state;
	/* 1369353600 is 2013-05-24T00:00:00Z */
	assert_int_equal(sigv4_presign(&s3doc, "https://examplebucket.s3.amazonaws.com",
				       "examplebucket.s3.amazonaws.com", "/test.txt", 1369353600LL,
				       86400, url, sizeof(url)), 0);
	assert_string_equal(url,
		"https://examplebucket.s3.amazonaws.com/test.txt"
		"?X-Amz-Algorithm=AWS4-HMAC-SHA256"
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

static void test_presign_limits(void **state)
{
	char url[1024], small[64];

	(void)state;
	assert_int_equal(sigv4_presign(&s3doc, "http://h", "h", "/k", 0, 0, url, sizeof(url)), -1);
	assert_int_equal(sigv4_presign(&s3doc, "http://h", "h", "/k", 0, 604801, url, sizeof(url)),
			 -1);
	assert_int_equal(sigv4_presign(&s3doc, "http://h", "h", "/k", 0, 604800, url, sizeof(url)),
			 0);
	assert_int_equal(sigv4_presign(&s3doc, "http://h", "h", "/k", 0, 60, small, sizeof(small)),
			 -1);
}

static void test_date_and_encoding(void **state)
{
	char d[SIGV4_DATE], out[64];

	(void)state;
	sigv4_date(1440938160LL, d);
	assert_string_equal(d, "20150830T123600Z");
	assert_int_equal(sigv4_uri_encode("a/b c~-._+=&%", 1, out, sizeof(out)), 23);
	assert_string_equal(out, "a/b%20c~-._%2B%3D%26%25");
	assert_int_equal(sigv4_uri_encode("a/b", 0, out, sizeof(out)), 5);
	assert_string_equal(out, "a%2Fb");
	assert_int_equal(sigv4_uri_encode("\xc3\xa9", 1, out, sizeof(out)), 6);
	assert_string_equal(out, "%C3%A9");
	assert_int_equal(sigv4_uri_encode("abc", 1, out, 3), -1);
	assert_int_equal(sigv4_uri_encode("ab/", 0, out, 5), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_vanilla),
		cmocka_unit_test(test_post_vanilla),
		cmocka_unit_test(test_s3_get_object),
		cmocka_unit_test(test_s3_presigned_url),
		cmocka_unit_test(test_presign_limits),
		cmocka_unit_test(test_date_and_encoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
