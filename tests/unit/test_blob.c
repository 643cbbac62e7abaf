/*
 * test_blob.c - the content-addressed blob store in a temporary
 * directory: write + commit puts the bytes at <dir>/<2 hex>/<sha256>,
 * an expected-hash mismatch fails with EBADMSG leaving nothing in tmp/
 * or the store, abort leaves nothing, committing twice is harmless,
 * blob_path accepts only 64 lowercase hex digits, blob_exists/remove,
 * blob_foreach (sizes, skipping foreign files, early stop) and
 * blob_clean_tmp (only files older than max_age), and symbolic links
 * below the store: never a blob, never followed to write, list or remove.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../../src/lib/blob.h"
#include "unit_util.h"

/* sha256("hello world") and sha256("") */
#define HELLO_HEX "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
#define EMPTY_HEX "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct fx {
	struct ut_dir d;	/* first: ut_dir_teardown removes and frees the whole */
	char tmp[PATH_MAX];
	struct blob_store bs;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char store[PATH_MAX];

	f->d.dir = ut_mkdtemp();
	snprintf(store, sizeof(store), "%s/blobs", f->d.dir);
	if (blob_store_open(&f->bs, store) != 0)
		return -1;
	snprintf(f->tmp, sizeof(f->tmp), "%s/tmp", f->bs.dir);
	*state = f;
	return 0;
}

/* Writes data as one blob in pieces of `piece` bytes; returns commit's rc. */
static int put(struct fx *f, const void *data, size_t n, size_t piece,
	       const char *expect, char *hex)
{
	struct blob_writer w;
	size_t off;

	assert_int_equal(blob_writer_open(&f->bs, &w), 0);
	for (off = 0; off < n; off += piece)
		assert_int_equal(blob_writer_write(&w, (const char *)data + off,
						   n - off < piece ? n - off : piece), 0);
	assert_int_equal(w.size, n);
	return blob_writer_commit(&w, expect, hex);
}

/* Two-hex-digit subdirectories of the store. */
static int count_fanout_dirs(struct fx *f)
{
	DIR *d = opendir(f->bs.dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strlen(e->d_name) == 2 && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_open_creates_tmp(void **state)
{
	struct fx *f = *state;

	assert_true(ut_is_dir(f->bs.dir));
	assert_true(ut_is_dir(f->tmp));
	assert_int_equal(ut_count_entries(f->tmp), 0);
	/* opening again is fine */
	assert_int_equal(blob_store_open(&f->bs, f->bs.dir), 0);
}

static void test_write_commit(void **state)
{
	struct fx *f = *state;
	char hex[HASH_HEX_MAX], path[PATH_MAX];
	size_t len;
	char *got;

	assert_int_equal(put(f, "hello world", 11, 4, NULL, hex), 0);
	assert_string_equal(hex, HELLO_HEX);
	assert_int_equal(blob_path(&f->bs, hex, path, sizeof(path)), 0);
	got = ut_read(path, &len);
	assert_non_null(got);
	assert_int_equal(len, 11);
	assert_memory_equal(got, "hello world", 11);
	free(got);
	assert_int_equal(blob_exists(&f->bs, hex), 1);
	assert_int_equal(ut_count_entries(f->tmp), 0);
	assert_int_equal(count_fanout_dirs(f), 1);
}

static void test_commit_with_matching_expect(void **state)
{
	struct fx *f = *state;
	char hex[HASH_HEX_MAX];

	assert_int_equal(put(f, "hello world", 11, 11, HELLO_HEX, hex), 0);
	assert_string_equal(hex, HELLO_HEX);
	assert_int_equal(blob_exists(&f->bs, HELLO_HEX), 1);
}

static void test_empty_blob(void **state)
{
	struct fx *f = *state;
	char hex[HASH_HEX_MAX], path[PATH_MAX];
	struct stat st;

	assert_int_equal(put(f, "", 0, 1, NULL, hex), 0);
	assert_string_equal(hex, EMPTY_HEX);
	assert_int_equal(blob_path(&f->bs, hex, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
}

static void test_expect_mismatch(void **state)
{
	struct fx *f = *state;
	char hex[HASH_HEX_MAX];

	errno = 0;
	assert_int_equal(put(f, "hello world", 11, 3, EMPTY_HEX, hex), -1);
	assert_int_equal(errno, EBADMSG);
	/* nothing left in tmp/ nor in the store */
	assert_int_equal(ut_count_entries(f->tmp), 0);
	assert_int_equal(count_fanout_dirs(f), 0);
	assert_int_equal(blob_exists(&f->bs, HELLO_HEX), 0);
	assert_int_equal(blob_exists(&f->bs, EMPTY_HEX), 0);
	/* an uppercase spelling of the right hash is a mismatch too */
	errno = 0;
	assert_int_equal(put(f, "hello world", 11, 11,
			     "B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9", hex), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(ut_count_entries(f->tmp), 0);
	assert_int_equal(count_fanout_dirs(f), 0);
}

static void test_abort_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct blob_writer w;

	assert_int_equal(blob_writer_open(&f->bs, &w), 0);
	assert_int_equal(ut_count_entries(f->tmp), 1);
	assert_int_equal(blob_writer_write(&w, "partial", 7), 0);
	blob_writer_abort(&w);
	assert_int_equal(w.fd, -1);
	assert_int_equal(ut_count_entries(f->tmp), 0);
	assert_int_equal(count_fanout_dirs(f), 0);
	/* aborting twice is harmless */
	blob_writer_abort(&w);
}

static void test_commit_same_content_twice(void **state)
{
	struct fx *f = *state;
	char hex1[HASH_HEX_MAX], hex2[HASH_HEX_MAX], sub[PATH_MAX + 8];

	assert_int_equal(put(f, "hello world", 11, 11, NULL, hex1), 0);
	assert_int_equal(put(f, "hello world", 11, 5, NULL, hex2), 0);
	assert_string_equal(hex1, hex2);
	snprintf(sub, sizeof(sub), "%s/b9", f->bs.dir);
	assert_int_equal(ut_count_entries(sub), 1);
	assert_int_equal(ut_count_entries(f->tmp), 0);
}

static void test_large_blob(void **state)
{
	struct fx *f = *state;
	size_t n = 300000, i;
	unsigned char *data = malloc(n);
	char hex[HASH_HEX_MAX], want[HASH_HEX_MAX], path[PATH_MAX];
	struct stat st;

	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 31 + (i >> 8));
	assert_int_equal(hash_hex(HASH_SHA256, data, n, want), 0);
	assert_int_equal(put(f, data, n, 65536, NULL, hex), 0);
	assert_string_equal(hex, want);
	assert_int_equal(blob_path(&f->bs, hex, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, n);
	free(data);
}

static void test_blob_path(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], want[PATH_MAX + 80], small[16];

	assert_int_equal(blob_path(&f->bs, HELLO_HEX, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/b9/%s", f->bs.dir, HELLO_HEX);
	assert_string_equal(path, want);
	/* rejected names */
	assert_int_equal(blob_path(&f->bs, "", path, sizeof(path)), -1);
	assert_int_equal(blob_path(&f->bs, "b94d", path, sizeof(path)), -1);
	assert_int_equal(blob_path(&f->bs, HELLO_HEX "0", path, sizeof(path)), -1);
	assert_int_equal(blob_path(&f->bs,
		"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde", path, sizeof(path)), -1);
	assert_int_equal(blob_path(&f->bs,
		"B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9", path, sizeof(path)), -1);
	assert_int_equal(blob_path(&f->bs,
		"g94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", path, sizeof(path)), -1);
	assert_int_equal(blob_path(&f->bs,
		"../../../../../../../../../../../../../../../../../../etc/passwd", path, sizeof(path)), -1);
	assert_int_equal(blob_path(&f->bs,
		"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcd/9", path, sizeof(path)), -1);
	assert_int_equal(blob_path(&f->bs,
		"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde ", path, sizeof(path)), -1);
	/* a buffer too small for the path */
	assert_int_equal(blob_path(&f->bs, HELLO_HEX, small, sizeof(small)), -1);
}

static void test_exists_and_remove(void **state)
{
	struct fx *f = *state;
	char hex[HASH_HEX_MAX];

	assert_int_equal(blob_exists(&f->bs, HELLO_HEX), 0);
	assert_int_equal(blob_exists(&f->bs, "not-hex"), 0);
	assert_int_equal(put(f, "hello world", 11, 11, NULL, hex), 0);
	assert_int_equal(blob_exists(&f->bs, hex), 1);
	errno = 0;
	assert_int_equal(blob_remove(&f->bs, "../tmp"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(blob_remove(&f->bs, hex), 0);
	assert_int_equal(blob_exists(&f->bs, hex), 0);
	assert_int_equal(blob_remove(&f->bs, hex), -1);
}

struct seen {
	int n, stop_after;
	char hex[8][HASH_HEX_MAX];
	uint64_t size[8];
};

static int collect(void *ctx, const char *hex, uint64_t size, long mtime)
{
	struct seen *s = ctx;

	assert_true(mtime > 0);
	if (s->n < 8) {
		snprintf(s->hex[s->n], HASH_HEX_MAX, "%s", hex);
		s->size[s->n] = size;
	}
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? 7 : 0;
}

static int find_seen(const struct seen *s, const char *hex)
{
	int i;

	for (i = 0; i < s->n && i < 8; i++)
		if (!strcmp(s->hex[i], hex))
			return i;
	return -1;
}

static void test_foreach(void **state)
{
	struct fx *f = *state;
	char h1[HASH_HEX_MAX], h2[HASH_HEX_MAX], h3[HASH_HEX_MAX], p[PATH_MAX + 80];
	struct seen s = { 0 };
	struct blob_writer w;
	int i;

	assert_int_equal(put(f, "hello world", 11, 11, NULL, h1), 0);
	assert_int_equal(put(f, "", 0, 1, NULL, h2), 0);
	assert_int_equal(put(f, "abc", 3, 1, NULL, h3), 0);
	/* things that are not blobs */
	assert_int_equal(blob_writer_open(&f->bs, &w), 0);	/* a temp file */
	snprintf(p, sizeof(p), "%s/b9/notahash", f->bs.dir);
	assert_int_equal(ut_write(p, "x", 1), 0);
	snprintf(p, sizeof(p), "%s/zz", f->bs.dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/zz/%s", f->bs.dir, HELLO_HEX);
	assert_int_equal(ut_write(p, "x", 1), 0);
	snprintf(p, sizeof(p), "%s/README", f->bs.dir);
	assert_int_equal(ut_write(p, "x", 1), 0);

	assert_int_equal(blob_foreach(&f->bs, collect, &s), 0);
	assert_int_equal(s.n, 3);
	i = find_seen(&s, h1);
	assert_true(i >= 0);
	assert_int_equal(s.size[i], 11);
	i = find_seen(&s, h2);
	assert_true(i >= 0);
	assert_int_equal(s.size[i], 0);
	i = find_seen(&s, h3);
	assert_true(i >= 0);
	assert_int_equal(s.size[i], 3);
	blob_writer_abort(&w);
}

static void test_foreach_stops_early(void **state)
{
	struct fx *f = *state;
	char hex[HASH_HEX_MAX];
	struct seen s = { .stop_after = 1 };

	assert_int_equal(put(f, "one", 3, 3, NULL, hex), 0);
	assert_int_equal(put(f, "two", 3, 3, NULL, hex), 0);
	assert_int_equal(put(f, "three", 5, 5, NULL, hex), 0);
	assert_int_equal(blob_foreach(&f->bs, collect, &s), 7);
	assert_int_equal(s.n, 1);
}

static void test_foreach_missing_store(void **state)
{
	struct blob_store bs;
	struct seen s = { 0 };

	(void)state;
	snprintf(bs.dir, sizeof(bs.dir), "/nonexistent-nb-unit/blobs");
	assert_int_equal(blob_foreach(&bs, collect, &s), -1);
	assert_int_equal(s.n, 0);
	assert_int_equal(blob_clean_tmp(&bs, 0), 0);
}

static void make_tmp_file(struct fx *f, const char *name, time_t mtime)
{
	char p[PATH_MAX + 80];
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

	snprintf(p, sizeof(p), "%s/%s", f->tmp, name);
	assert_int_equal(ut_write(p, "x", 1), 0);
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static void test_clean_tmp(void **state)
{
	struct fx *f = *state;
	time_t now = time(NULL);
	char p[PATH_MAX + 80];

	make_tmp_file(f, "blob.tmp.1.old", now - 7200);
	make_tmp_file(f, "blob.tmp.2.older", now - 86400);
	make_tmp_file(f, "blob.tmp.3.fresh", now);
	make_tmp_file(f, ".hidden", now - 86400);
	snprintf(p, sizeof(p), "%s/olddir", f->tmp);
	assert_int_equal(mkdir(p, 0755), 0);

	assert_int_equal(blob_clean_tmp(&f->bs, 3600), 2);
	snprintf(p, sizeof(p), "%s/blob.tmp.1.old", f->tmp);
	assert_false(ut_is_file(p));
	snprintf(p, sizeof(p), "%s/blob.tmp.2.older", f->tmp);
	assert_false(ut_is_file(p));
	snprintf(p, sizeof(p), "%s/blob.tmp.3.fresh", f->tmp);
	assert_true(ut_is_file(p));
	snprintf(p, sizeof(p), "%s/.hidden", f->tmp);
	assert_true(ut_is_file(p));
	snprintf(p, sizeof(p), "%s/olddir", f->tmp);
	assert_true(ut_is_dir(p));
	/* nothing more is old enough */
	assert_int_equal(blob_clean_tmp(&f->bs, 3600), 0);
}

static void test_clean_tmp_leaves_blobs(void **state)
{
	struct fx *f = *state;
	char hex[HASH_HEX_MAX], path[PATH_MAX];
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };

	assert_int_equal(put(f, "hello world", 11, 11, NULL, hex), 0);
	assert_int_equal(blob_path(&f->bs, hex, path, sizeof(path)), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(blob_clean_tmp(&f->bs, 1), 0);
	assert_int_equal(blob_exists(&f->bs, hex), 1);
}

/* An old file outside the store, and its directory. */
static void outside_file(struct fx *f, const char *name, char *dir, char *file)
{
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };

	snprintf(dir, PATH_MAX, "%s/outside", f->d.dir);
	mkdir(dir, 0755);
	snprintf(file, PATH_MAX + 80, "%s/%s", dir, name);
	assert_int_equal(ut_write(file, "not a blob", 10), 0);
	assert_int_equal(utimensat(AT_FDCWD, file, ts, 0), 0);
}

static void test_linked_fanout_dir_is_no_blob(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX], file[PATH_MAX + 80], link[PATH_MAX + 16];
	struct seen s = { 0 };

	outside_file(f, HELLO_HEX, dir, file);
	snprintf(link, sizeof(link), "%s/b9", f->bs.dir);
	assert_int_equal(symlink(dir, link), 0);
	assert_int_equal(blob_exists(&f->bs, HELLO_HEX), 0);
	assert_int_equal(blob_remove(&f->bs, HELLO_HEX), -1);
	assert_int_equal(blob_foreach(&f->bs, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_true(ut_is_file(file));
}

static void test_linked_blob_is_no_blob(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX], file[PATH_MAX + 80], link[PATH_MAX + 80];
	struct seen s = { 0 };

	outside_file(f, "target", dir, file);
	snprintf(link, sizeof(link), "%s/b9", f->bs.dir);
	assert_int_equal(mkdir(link, 0755), 0);
	snprintf(link, sizeof(link), "%s/b9/%s", f->bs.dir, HELLO_HEX);
	assert_int_equal(symlink(file, link), 0);
	assert_int_equal(blob_exists(&f->bs, HELLO_HEX), 0);
	assert_int_equal(blob_foreach(&f->bs, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(blob_remove(&f->bs, HELLO_HEX), -1);
	assert_true(ut_is_file(file));
}

static void test_linked_tmp_is_never_used(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX], file[PATH_MAX + 80];
	struct blob_writer w;

	outside_file(f, "blob.tmp.1.old", dir, file);
	assert_int_equal(rmdir(f->tmp), 0);
	assert_int_equal(symlink(dir, f->tmp), 0);
	assert_int_equal(blob_clean_tmp(&f->bs, 1), 0);
	assert_true(ut_is_file(file));
	/* nor is a blob written into the link's target */
	assert_int_equal(blob_writer_open(&f->bs, &w), -1);
	assert_int_equal(ut_count_entries(dir), 1);
}

static void test_clean_tmp_leaves_links(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX], file[PATH_MAX + 80], link[PATH_MAX + 80];

	outside_file(f, "target", dir, file);
	snprintf(link, sizeof(link), "%s/blob.tmp.1.link", f->tmp);
	assert_int_equal(symlink(file, link), 0);
	assert_int_equal(blob_clean_tmp(&f->bs, 1), 0);
	assert_true(ut_is_file(file));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_dir_teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_creates_tmp),
		T(test_write_commit),
		T(test_commit_with_matching_expect),
		T(test_empty_blob),
		T(test_expect_mismatch),
		T(test_abort_leaves_nothing),
		T(test_commit_same_content_twice),
		T(test_large_blob),
		T(test_blob_path),
		T(test_exists_and_remove),
		T(test_foreach),
		T(test_foreach_stops_early),
		T(test_foreach_missing_store),
		T(test_clean_tmp),
		T(test_clean_tmp_leaves_blobs),
		T(test_linked_fanout_dir_is_no_blob),
		T(test_linked_blob_is_no_blob),
		T(test_linked_tmp_is_never_used),
		T(test_clean_tmp_leaves_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
