/*
 * test_blob_s3.c - the S3 side of the blob store that needs no server:
 * key naming (<prefix>/<sha256 hex>, whatever slashes the prefix came
 * with), the settings blob_store_configure accepts and refuses, no local
 * path for an S3 blob, and the parsing of the store's XML answers
 * (ListObjectsV2 pages, tokens, entities, every malformed form refused).
 * The requests themselves are tested against an S3 stand-in in
 * tests/e2e/test_s3.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/lib/app.h"
#include "../../src/lib/blob.h"
#include "../../src/lib/err.h"
#include "../../src/lib/conf.h"
#include "unit_util.h"

#define HEX "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"

static const struct s3_conf base = { "http://127.0.0.1:9000", "bucket", "us-east-1", "ak", "sk",
				     S3_PART_MIN, 30 };

static void s3_store(struct blob_store *bs, const char *prefix, char **dir)
{
	*dir = ut_mkdtemp();
	assert_int_equal(blob_store_open(bs, *dir), 0);
	assert_int_equal(blob_store_use_s3(bs, &base, prefix, 0), 0);
}

static void test_key_naming(void **state)
{
	static const char *prefixes[] = { "blobs", "blobs/", "/blobs/", "blobs//" };
	struct blob_store bs;
	char key[200], path[PATH_MAX], *dir;

	(void)state;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		s3_store(&bs, prefixes[i], &dir);
		assert_int_equal(blob_key(&bs, HEX, key, sizeof(key)), 0);
		assert_string_equal(key, "blobs/" HEX);
		ut_rmtree(dir);
	}
	s3_store(&bs, "", &dir);
	assert_int_equal(blob_key(&bs, HEX, key, sizeof(key)), 0);
	assert_string_equal(key, HEX);
	assert_int_equal(blob_key(&bs, HEX, key, 64), -1);		/* no room for the NUL */
	assert_int_equal(blob_key(&bs, "B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9",
				  key, sizeof(key)), -1);
	assert_int_equal(blob_key(&bs, "../etc/passwd", key, sizeof(key)), -1);
	/* an S3 blob has no local path: callers send or read it instead */
	assert_int_equal(blob_path(&bs, HEX, path, sizeof(path)), -1);
	assert_int_equal(blob_path(&bs, HEX, path, sizeof(path)), -1);
	ut_rmtree(dir);
}

static void test_use_s3_refuses_missing_settings(void **state)
{
	struct blob_store bs;
	struct s3_conf c = base;
	char *dir = ut_mkdtemp();

	(void)state;
	assert_int_equal(blob_store_open(&bs, dir), 0);
	c.bucket[0] = '\0';
	errno = 0;
	assert_int_equal(blob_store_use_s3(&bs, &c, "blobs", 0), -1);
	assert_int_equal(errno, EINVAL);
	c = base;
	c.endpoint[0] = '\0';
	assert_int_equal(blob_store_use_s3(&bs, &c, "blobs", 0), -1);
	c = base;
	c.region[0] = '\0';
	assert_int_equal(blob_store_use_s3(&bs, &c, "blobs", 0), -1);
	assert_int_equal(blob_store_use_s3(&bs, &base, "blobs", 604801), -1);
	assert_int_equal(bs.backend, BLOB_FS);	/* a refused switch changes nothing */
	assert_int_equal(blob_store_use_s3(&bs, &base, "blobs", 300), 0);
	assert_int_equal(bs.backend, BLOB_S3);
	assert_true(bs.presign);
	ut_rmtree(dir);
}

#define LONG130 "0123456789012345678901234567890123456789012345678901234567890123" \
	"012345678901234567890123456789012345678901234567890123456789012345"

/* blob_store_configure over a YAML text with the real key table, read as
 * the programs read it (app_settings_read's blob settings). */
static int configure(const char *yaml, char *err, size_t errlen, struct blob_store *bs)
{
	static struct app_settings set;
	struct conf *c;
	struct nb_err e;
	char *dir = ut_mkdtemp();
	int rc;

	if (conf_parse(core_conf_keys, yaml, strlen(yaml), "t.yaml", &c, &e) != 0)
		fail_msg("conf_parse: %s", e.msg);
	app_settings_read(c, &set);
	assert_int_equal(blob_store_open(bs, dir), 0);
	rc = blob_store_configure(bs, &set.blob, &e);
	snprintf(err, errlen, "%s", e.msg);
	conf_free(c);
	ut_rmtree(dir);
	return rc;
}

static void test_configure(void **state)
{
	static const struct { const char *yaml, *err; } bad[] = {
		{ "blob:\n  backend: nfs\n", "neither fs nor s3" },
		{ "blob:\n  backend: s3\n  s3_endpoint: http://h:1\n", "s3_bucket" },
		{ "blob:\n  backend: s3\n  s3_bucket: b\n", "endpoint" },
		{ "blob:\n  backend: s3\n  s3_bucket: b\n  s3_endpoint: http://h:1/path\n", "endpoint" },
		{ "blob:\n  backend: s3\n  s3_bucket: b\n  s3_endpoint: ftp://h\n", "endpoint" },
		{ "blob:\n  backend: s3\n  s3_bucket: b\n  s3_endpoint: http://h\n"
		  "  s3_part_size: 1048576\n", "s3_part_size" },
		{ "blob:\n  backend: s3\n  s3_bucket: b\n  s3_endpoint: http://h\n"
		  "  s3_presign: true\n  s3_presign_ttl: 0\n", "presign_ttl" },
		/* a value too long for its field is named, never cut */
		{ "blob:\n  backend: s3\n  s3_endpoint: http://h\n  s3_bucket: " LONG130 "\n",
		  "blob.s3_bucket: the value is too long" },
		{ "blob:\n  backend: s3\n  s3_endpoint: http://h\n  s3_bucket: b\n"
		  "  s3_prefix: " LONG130 LONG130 "\n", "blob.s3_prefix: the value is too long" },
	};
	struct blob_store bs;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		if (configure(bad[i].yaml, err, sizeof(err), &bs) != -1)
			fail_msg("accepted: %s", bad[i].yaml);
		if (!strstr(err, bad[i].err))
			fail_msg("%s: \"%s\" does not name %s", bad[i].yaml, err, bad[i].err);
	}
	assert_int_equal(configure("blob:\n  backend: fs\n", err, sizeof(err), &bs), 0);
	assert_int_equal(bs.backend, BLOB_FS);
	assert_int_equal(configure("blob:\n  backend: s3\n  s3_bucket: b\n  s3_endpoint: https://h:9\n"
				   "  s3_prefix: p/q/\n  s3_presign: true\n", err, sizeof(err), &bs), 0);
	assert_int_equal(bs.backend, BLOB_S3);
	assert_string_equal(bs.prefix, "p/q");
	assert_string_equal(bs.s3.region, "us-east-1");
	assert_int_equal(bs.s3.part_size, 16u << 20);
	assert_int_equal(bs.presign_ttl, 300);
}

struct seen {
	char keys[4][80];
	uint64_t sizes[4];
	long times[4];
	int n, stop_at;
};

static int collect(void *ctx, const char *key, uint64_t size, long mtime)
{
	struct seen *s = ctx;

	if (s->n == s->stop_at)
		return 1;
	snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
	s->sizes[s->n] = size;
	s->times[s->n++] = mtime;
	return 0;
}

#define ITEM(k, t, z) "<Contents><Key>" k "</Key><LastModified>" t "</LastModified>" \
		      "<ETag>&quot;x&quot;</ETag><Size>" z "</Size></Contents>"
#define LIST(trunc, tok, items) "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"x\">" tok \
	"<IsTruncated>" trunc "</IsTruncated>" items "</ListBucketResult>"

static int truncated;

static int parse(const char *xml, struct seen *s, char *next, size_t nlen)
{
	memset(s, 0, sizeof(*s));
	s->stop_at = -1;
	truncated = -1;
	return s3_list_parse(xml, strlen(xml), collect, s, &truncated, next, nlen);
}

static void test_list_parse(void **state)
{
	struct seen s;
	char next[64];
	const char *two = LIST("true", "<NextContinuationToken>a+b/c=</NextContinuationToken>",
			       ITEM("blobs/a&amp;b", "2026-11-30T19:14:39.000Z", "6")
			       ITEM("blobs/&#x41;&#66;", "1970-01-01T00:00:01Z", "18446744073709551615"));

	(void)state;
	assert_int_equal(parse(two, &s, next, sizeof(next)), 0);
	assert_int_equal(truncated, 1);
	assert_string_equal(next, "a+b/c=");
	assert_int_equal(s.n, 2);
	assert_string_equal(s.keys[0], "blobs/a&b");
	assert_int_equal(s.sizes[0], 6);
	assert_int_equal(s.times[0], 1796066079L);
	assert_string_equal(s.keys[1], "blobs/AB");
	assert_true(s.sizes[1] == UINT64_MAX);
	assert_int_equal(s.times[1], 1);
	assert_int_equal(parse(LIST("false", "", ""), &s, next, sizeof(next)), 0);
	assert_int_equal(truncated, 0);
	assert_string_equal(next, "");
	assert_int_equal(s.n, 0);
	/* a callback's non-zero value (even 1) stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(s3_list_parse(two, strlen(two), collect, &s, &truncated, next,
				       sizeof(next)), 1);
	assert_int_equal(s.n, 1);
	/* the parser reads only the n bytes it is given: the second entry is cut */
	s.n = 0;
	s.stop_at = -1;
	assert_int_equal(s3_list_parse(two, strlen(two) - 40, collect, &s, &truncated, next,
				       sizeof(next)), 0);
	assert_int_equal(s.n, 1);
}

static void test_list_parse_refusals(void **state)
{
	static const char *bad[] = {
		"<Error><Code>AccessDenied</Code></Error>",
		LIST("maybe", "", ""),
		"<ListBucketResult></ListBucketResult>",
		LIST("false", "", ITEM("k", "2026-11-30T19:14:39Z", "-1")),
		LIST("false", "", ITEM("k", "2026-11-30T19:14:39Z", "")),
		LIST("false", "", ITEM("k", "2026-11-30T19:14:39Z", "12x")),
		LIST("false", "", ITEM("k", "2026-11-30T19:14:39Z", "99999999999999999999")),
		LIST("false", "", ITEM("k", "yesterday", "1")),
		LIST("false", "", ITEM("k", "2026-13-30T19:14:39Z", "1")),
		LIST("false", "", ITEM("a&b", "2026-11-30T19:14:39Z", "1")),
		LIST("false", "", ITEM("a&nbsp;b", "2026-11-30T19:14:39Z", "1")),
		LIST("false", "", ITEM("a&#233;b", "2026-11-30T19:14:39Z", "1")),
		LIST("false", "", ITEM("a&#0;b", "2026-11-30T19:14:39Z", "1")),
		LIST("false", "", ITEM("a&#x;b", "2026-11-30T19:14:39Z", "1")),
		LIST("false", "", "<Contents><Key>k</Key><Size>1</Size></Contents>"),
		LIST("true", "<NextContinuationToken>" "0123456789012345678901234567890123456789"
		     "0123456789012345678901234567890123456789</NextContinuationToken>", ""),
	};
	struct seen s;
	char next[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (parse(bad[i], &s, next, sizeof(next)) != -1)
			fail_msg("accepted: %s", bad[i]);
}

static void test_xml_text(void **state)
{
	const char *x = "<R><UploadId>a&lt;b&gt;&quot;&apos;</UploadId><Code>X</Code></R>";
	char out[16];

	(void)state;
	assert_int_equal(s3_xml_text(x, strlen(x), "UploadId", out, sizeof(out)), 0);
	assert_string_equal(out, "a<b>\"'");
	assert_int_equal(s3_xml_text(x, strlen(x), "Code", out, sizeof(out)), 0);
	assert_string_equal(out, "X");
	assert_int_equal(s3_xml_text(x, strlen(x), "Message", out, sizeof(out)), -1);
	assert_int_equal(s3_xml_text(x, strlen(x), "UploadId", out, 6), -1);	/* too long */
	assert_int_equal(s3_xml_text(x, 20, "UploadId", out, sizeof(out)), -1);	/* cut */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_naming),
		cmocka_unit_test(test_use_s3_refuses_missing_settings),
		cmocka_unit_test(test_configure),
		cmocka_unit_test(test_list_parse),
		cmocka_unit_test(test_list_parse_refusals),
		cmocka_unit_test(test_xml_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
