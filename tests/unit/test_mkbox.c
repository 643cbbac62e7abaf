/*
 * test_mkbox.c - the mkbox image directory and update tar: mkbox_name_ok
 * (accepted names and each rejected form), mkbox_build_id_parse,
 * mkbox_build_find, mkbox_query_image (branch given, master-then-main
 * fallback, versions, incomplete and invalid input) on a temporary image
 * directory, and mkbox_tar_compose into a temporary blob store, checked
 * by parsing the tar headers and with GNU tar; symbolic links below the
 * image directory (never a build, never listed, deleted through or
 * written through) and import errors that name no server path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../src/mkbox/mkbox.h"
#include "../../src/lib/tar.h"
#include "unit_util.h"
#include "unit_store.h"

struct fx {
	struct ut_dir d;	/* first: ut_dir_teardown removes and frees the whole */
	char images[PATH_MAX];	/* <dir>/images */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return -1;
	f->d.dir = ut_mkdtemp();
	arena_init(&f->d.a);
	snprintf(f->images, sizeof(f->images), "%s/images", f->d.dir);
	return mkdir(f->images, 0755);
}

/* <images>/<rel>, in the arena. */
static const char *at_images(struct fx *f, const char *rel)
{
	return arena_printf(&f->d.a, "%s/%s", f->images, rel);
}

/* Writes <images>/<box>/<file> with content. */
static void put(struct fx *f, const char *box, const char *file, const char *content,
		size_t n)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", f->images, box);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/%s", f->images, box, file);
	assert_int_equal(ut_write(p, content, n), 0);
}

/* A complete build: .img.zst, .img.sha256 and .img.buildID. */
static void put_build(struct fx *f, const char *box, const char *image,
		      const char *zst, size_t zn, const char *build_id)
{
	char name[512];

	snprintf(name, sizeof(name), "%s.img.zst", image);
	put(f, box, name, zst, zn);
	snprintf(name, sizeof(name), "%s.img.sha256", image);
	put(f, box, name, "0123abcd  raw\n4567ef01  zst\n", 28);
	snprintf(name, sizeof(name), "%s.img.buildID", image);
	put(f, box, name, build_id, strlen(build_id));
}

static void test_name_ok_accepts(void **state)
{
	char name[MKBOX_NAME_MAX + 1];

	(void)state;
	assert_int_equal(mkbox_name_ok("a"), 1);
	assert_int_equal(mkbox_name_ok("box1"), 1);
	assert_int_equal(mkbox_name_ok("Box-2_x.y+z~w"), 1);
	assert_int_equal(mkbox_name_ok("box1-esp32-master-1.2.3"), 1);
	assert_int_equal(mkbox_name_ok("a..b"), 1);
	assert_int_equal(mkbox_name_ok("a-"), 1);
	memset(name, 'n', MKBOX_NAME_MAX);
	name[MKBOX_NAME_MAX] = '\0';
	assert_int_equal(mkbox_name_ok(name), 1);
}

static void test_name_ok_rejects(void **state)
{
	char name[MKBOX_NAME_MAX + 2];

	(void)state;
	assert_int_equal(mkbox_name_ok(""), 0);
	assert_int_equal(mkbox_name_ok("."), 0);
	assert_int_equal(mkbox_name_ok(".."), 0);
	assert_int_equal(mkbox_name_ok(".x"), 0);
	assert_int_equal(mkbox_name_ok("-x"), 0);
	assert_int_equal(mkbox_name_ok("a/b"), 0);
	assert_int_equal(mkbox_name_ok("a\\b"), 0);
	assert_int_equal(mkbox_name_ok("a*b"), 0);
	assert_int_equal(mkbox_name_ok("a?b"), 0);
	assert_int_equal(mkbox_name_ok("a[b"), 0);
	assert_int_equal(mkbox_name_ok("a]b"), 0);
	assert_int_equal(mkbox_name_ok("a b"), 0);
	assert_int_equal(mkbox_name_ok("a\nb"), 0);
	assert_int_equal(mkbox_name_ok("a%2e"), 0);
	assert_int_equal(mkbox_name_ok("a:b"), 0);
	assert_int_equal(mkbox_name_ok("a\"b"), 0);
	assert_int_equal(mkbox_name_ok("caf\xc3\xa9"), 0);
	memset(name, 'n', MKBOX_NAME_MAX + 1);
	name[MKBOX_NAME_MAX + 1] = '\0';
	assert_int_equal(mkbox_name_ok(name), 0);	/* 201 chars */
}

static void test_build_id_parse(void **state)
{
	char out[MKBOX_BUILD_ID_MAX + 1];

	(void)state;
	assert_int_equal(mkbox_build_id_parse("abc123\n", 7, out, sizeof(out)), 0);
	assert_string_equal(out, "abc123");
	assert_int_equal(mkbox_build_id_parse("abc def\n", 8, out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(mkbox_build_id_parse("abc\tdef", 7, out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(mkbox_build_id_parse("abc\r\n", 5, out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(mkbox_build_id_parse("xyz", 3, out, sizeof(out)), 0);
	assert_string_equal(out, "xyz");
	/* only len bytes count */
	assert_int_equal(mkbox_build_id_parse("abcdef", 3, out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	/* exactly fits: 3 chars + NUL in 4 */
	assert_int_equal(mkbox_build_id_parse("abc", 3, out, 4), 0);
	assert_string_equal(out, "abc");
}

static void test_build_id_parse_rejects(void **state)
{
	char out[MKBOX_BUILD_ID_MAX + 1];

	(void)state;
	assert_int_equal(mkbox_build_id_parse("", 0, out, sizeof(out)), -1);
	assert_int_equal(mkbox_build_id_parse("\n", 1, out, sizeof(out)), -1);
	assert_int_equal(mkbox_build_id_parse(" abc", 4, out, sizeof(out)), -1);
	assert_int_equal(mkbox_build_id_parse("ab\x01c", 4, out, sizeof(out)), -1);
	assert_int_equal(mkbox_build_id_parse("ab\x7f", 3, out, sizeof(out)), -1);
	assert_int_equal(mkbox_build_id_parse("ab\0c", 4, out, sizeof(out)), -1);
	assert_int_equal(mkbox_build_id_parse("abcd", 4, out, 4), -1);	/* no room */
}

static void test_build_find(void **state)
{
	struct fx *f = *state;
	struct mkbox_build b;

	put_build(f, "box1", "box1-esp32-master", "ZSTDATA", 7, "id-42 2024-01-01\n");
	assert_int_equal(mkbox_build_find(f->images, "box1", "box1-esp32-master", &b), 0);
	assert_string_equal(b.build_id, "id-42");
	/* relative to the image directory, opened beneath it */
	assert_string_equal(b.root, f->images);
	assert_string_equal(b.zst, "box1/box1-esp32-master.img.zst");
	assert_string_equal(b.sha, "box1/box1-esp32-master.img.sha256");
	assert_int_equal(b.zst_st.st_size, 7);
	assert_int_equal(b.sha_st.st_size, 28);
}

static void test_build_find_failures(void **state)
{
	struct fx *f = *state;
	struct mkbox_build b;

	/* no such build */
	assert_int_equal(mkbox_build_find(f->images, "box1", "nothing", &b), -1);
	/* invalid names never touch the disk */
	put_build(f, "box1", "img", "Z", 1, "id1\n");
	assert_int_equal(mkbox_build_find(f->images, "box1", "img", &b), 0);
	assert_int_equal(mkbox_build_find(f->images, "..", "img", &b), -1);
	assert_int_equal(mkbox_build_find(f->images, "box1", "../box1/img", &b), -1);
	assert_int_equal(mkbox_build_find(f->images, "", "img", &b), -1);
	/* buildID empty or missing pieces */
	put_build(f, "box2", "empty-id", "Z", 1, "");
	assert_int_equal(mkbox_build_find(f->images, "box2", "empty-id", &b), -1);
	put(f, "box3", "nosha.img.zst", "Z", 1);
	put(f, "box3", "nosha.img.buildID", "id\n", 3);
	assert_int_equal(mkbox_build_find(f->images, "box3", "nosha", &b), -1);
	put(f, "box3", "nozst.img.sha256", "s", 1);
	put(f, "box3", "nozst.img.buildID", "id\n", 3);
	assert_int_equal(mkbox_build_find(f->images, "box3", "nozst", &b), -1);
}

static void test_query_image_branch(void **state)
{
	struct fx *f = *state;
	const char *img;

	img = mkbox_query_image(&f->d.a, f->images, "box1", "esp32", "dev", NULL);
	assert_non_null(img);
	assert_string_equal(img, "box1-esp32-dev");
	img = mkbox_query_image(&f->d.a, f->images, "box1", "esp32", "dev", "1.2");
	assert_string_equal(img, "box1-esp32-dev-1.2");
	img = mkbox_query_image(&f->d.a, f->images, "box1", "esp32", "dev", "");
	assert_string_equal(img, "box1-esp32-dev");
}

static void test_query_image_master_then_main(void **state)
{
	struct fx *f = *state;
	const char *img;

	/* nothing on disk: main */
	img = mkbox_query_image(&f->d.a, f->images, "box1", "esp32", NULL, NULL);
	assert_non_null(img);
	assert_string_equal(img, "box1-esp32-main");
	/* a master image exists: master */
	put(f, "box1", "box1-esp32-master.img.zst", "Z", 1);
	img = mkbox_query_image(&f->d.a, f->images, "box1", "esp32", NULL, NULL);
	assert_string_equal(img, "box1-esp32-master");
	img = mkbox_query_image(&f->d.a, f->images, "box1", "esp32", "", "");
	assert_string_equal(img, "box1-esp32-master");
	/* with a version: only a versioned master counts */
	img = mkbox_query_image(&f->d.a, f->images, "box1", "esp32", NULL, "2.0");
	assert_string_equal(img, "box1-esp32-main-2.0");
	put(f, "box1", "box1-esp32-master-2.0.img.zst", "Z", 1);
	img = mkbox_query_image(&f->d.a, f->images, "box1", "esp32", NULL, "2.0");
	assert_string_equal(img, "box1-esp32-master-2.0");
	/* another board of the same box is unaffected */
	img = mkbox_query_image(&f->d.a, f->images, "box1", "rp2040", NULL, NULL);
	assert_string_equal(img, "box1-rp2040-main");
	/* the master file must be in the box's own directory */
	put(f, "box2", "box1-esp32-master.img.zst", "Z", 1);
	img = mkbox_query_image(&f->d.a, f->images, "box2", "esp32", NULL, NULL);
	assert_string_equal(img, "box2-esp32-main");
}

static void test_query_image_incomplete_or_invalid(void **state)
{
	struct fx *f = *state;

	assert_null(mkbox_query_image(&f->d.a, f->images, NULL, "esp32", NULL, NULL));
	assert_null(mkbox_query_image(&f->d.a, f->images, "", "esp32", NULL, NULL));
	assert_null(mkbox_query_image(&f->d.a, f->images, "box1", NULL, NULL, NULL));
	assert_null(mkbox_query_image(&f->d.a, f->images, "box1", "", NULL, NULL));
	assert_null(mkbox_query_image(&f->d.a, f->images, "../x", "esp32", NULL, NULL));
	assert_null(mkbox_query_image(&f->d.a, f->images, "box1", "a/b", NULL, NULL));
	assert_null(mkbox_query_image(&f->d.a, f->images, "box1", "esp32", "a*b", NULL));
	assert_null(mkbox_query_image(&f->d.a, f->images, "box1", "esp32", ".dev", NULL));
	assert_null(mkbox_query_image(&f->d.a, f->images, "box1", "esp32", NULL, ".."));
	assert_null(mkbox_query_image(&f->d.a, f->images, "box1", "esp32", "dev", "1?"));
}

/* -- the update tar ----------------------------------------------------- */

static uint64_t octal_field(const char *p, size_t w)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < w && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

/* Reads one member at *off: returns its name (via pax path when present). */
static void next_member(const char *t, size_t tlen, size_t *off, char *name,
			uint64_t *size, const char **data)
{
	const char *h = t + *off;

	assert_true(*off + TAR_BLOCK <= tlen);
	name[0] = '\0';
	if (h[156] == 'x') {
		uint64_t rl = octal_field(h + 124, 12);
		const char *rec = h + TAR_BLOCK, *eq = memchr(rec, '=', rl);
		assert_non_null(eq);
		assert_memory_equal(eq - 4, "path", 4);
		snprintf(name, 256, "%.*s", (int)(rec + rl - 1 - eq - 1), eq + 1);
		*off += TAR_BLOCK + (rl + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
		h = t + *off;
	}
	assert_memory_equal(h + 257, "ustar\0", 6);
	assert_int_equal(h[156], '0');
	if (!name[0])
		snprintf(name, 256, "%.100s", h);
	*size = octal_field(h + 124, 12);
	*data = h + TAR_BLOCK;
	*off += TAR_BLOCK + (*size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
}

static void compose_and_check(struct fx *f, const char *image)
{
	struct blob_store bs;
	struct mkbox_build b;
	char store[PATH_MAX + 16], path[PATH_MAX], hex[HASH_HEX_MAX], want[HASH_HEX_MAX];
	char name[256], cmd[PATH_MAX * 3], zname[300], sname[300];
	unsigned long long size = 0;
	size_t tlen = 0, off = 0, i;
	uint64_t msize;
	const char *data;
	char *t, *list;
	static char zst[70000];

	for (i = 0; i < sizeof(zst); i++)
		zst[i] = (char)(i * 13 + 1);
	put_build(f, "box1", image, zst, sizeof(zst), "build-7\n");
	assert_int_equal(mkbox_build_find(f->images, "box1", image, &b), 0);
	snprintf(store, sizeof(store), "%s/blobs", f->d.dir);
	assert_int_equal(blob_store_open(&bs, store), 0);

	assert_int_equal(mkbox_tar_compose(&bs, image, &b, hex, &size), 0);
	assert_true(hash_is_hex(hex, 64));
	assert_int_equal(blob_path(&bs, hex, path, sizeof(path)), 0);
	t = ut_read(path, &tlen);
	assert_non_null(t);
	assert_int_equal(tlen, size);
	assert_int_equal(size % TAR_RECORD, 0);
	assert_int_equal(hash_file_hex(HASH_SHA256, path, want, NULL), 0);
	assert_string_equal(hex, want);

	/* member 1: the compressed image, byte for byte */
	snprintf(zname, sizeof(zname), "%s.img.zst", image);
	snprintf(sname, sizeof(sname), "%s.img.sha256", image);
	next_member(t, tlen, &off, name, &msize, &data);
	assert_string_equal(name, zname);
	assert_int_equal(msize, sizeof(zst));
	assert_memory_equal(data, zst, sizeof(zst));
	/* member 2: the sums */
	next_member(t, tlen, &off, name, &msize, &data);
	assert_string_equal(name, sname);
	assert_int_equal(msize, 28);
	assert_memory_equal(data, "0123abcd  raw\n4567ef01  zst\n", 28);
	/* then only zeros, at least two blocks */
	assert_true(tlen - off >= 2 * TAR_BLOCK);
	for (i = off; i < tlen; i++)
		if (t[i])
			fail_msg("non-zero byte %zu after the members", i);
	free(t);

	/* GNU tar agrees */
	snprintf(cmd, sizeof(cmd), "tar -tvf '%s' > '%s/list' 2>&1", path, f->d.dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/list", f->d.dir);
	list = ut_read(cmd, NULL);
	assert_non_null(list);
	snprintf(cmd, sizeof(cmd), " 70000 ");
	assert_non_null(strstr(list, cmd));
	snprintf(cmd, sizeof(cmd), " %s\n", zname);
	assert_non_null(strstr(list, cmd));
	snprintf(cmd, sizeof(cmd), " %s\n", sname);
	assert_non_null(strstr(list, cmd));
	free(list);
	snprintf(cmd, sizeof(cmd), "mkdir '%s/x' && tar -xf '%s' -C '%s/x' && cmp '%s/x/%s' '%s/box1/%s'",
		 f->d.dir, path, f->d.dir, f->d.dir, zname, f->images, zname);
	assert_int_equal(system(cmd), 0);
	/* nothing left behind in the store's tmp/ */
	snprintf(cmd, sizeof(cmd), "%s/tmp", store);
	assert_int_equal(ut_count_entries(cmd), 0);
}

static void test_tar_compose(void **state)
{
	compose_and_check(*state, "box1-esp32-master");
}

static void test_tar_compose_long_name(void **state)
{
	char image[151];

	memset(image, 'i', 150);
	image[150] = '\0';
	compose_and_check(*state, image);
}

static void test_tar_compose_missing_file(void **state)
{
	struct fx *f = *state;
	struct blob_store bs;
	struct mkbox_build b;
	char store[PATH_MAX + 16], hex[HASH_HEX_MAX];
	unsigned long long size = 0;

	put_build(f, "box1", "img", "Z", 1, "id\n");
	assert_int_equal(mkbox_build_find(f->images, "box1", "img", &b), 0);
	snprintf(store, sizeof(store), "%s/blobs", f->d.dir);
	assert_int_equal(blob_store_open(&bs, store), 0);
	assert_int_equal(unlink(at_images(f, b.sha)), 0);
	assert_int_equal(mkbox_tar_compose(&bs, "img", &b, hex, &size), -1);
	/* the image shrank after the stat: a short tar is not stored */
	put_build(f, "box1", "img", "ZZZZ", 4, "id\n");
	assert_int_equal(mkbox_build_find(f->images, "box1", "img", &b), 0);
	put(f, "box1", "img.img.zst", "Z", 1);
	assert_int_equal(mkbox_tar_compose(&bs, "img", &b, hex, &size), -1);
	assert_int_equal(ut_count_entries(store), 1);	/* only tmp/ */
	snprintf(store + strlen(store), sizeof(store) - strlen(store), "/tmp");
	assert_int_equal(ut_count_entries(store), 0);
}

/* A complete build "lnk-pc" in <dir>/outside; returns that directory. */
static const char *outside_build(struct fx *f)
{
	const char *dir = arena_printf(&f->d.a, "%s/outside", f->d.dir);
	static const char *const ext[] = { ".img.zst", ".img.sha256", ".img.buildID" };
	int i;

	mkdir(dir, 0755);
	for (i = 0; i < 3; i++)
		assert_int_equal(ut_write(arena_printf(&f->d.a, "%s/lnk-pc%s", dir, ext[i]),
					  "id-out\n", 7), 0);
	return dir;
}

static void test_linked_box_is_no_box(void **state)
{
	struct fx *f = *state;
	const char *out = outside_build(f);
	struct mkbox_entry *v;
	struct mkbox_build b;
	size_t n;

	assert_int_equal(symlink(out, at_images(f, "lnk")), 0);
	put_build(f, "box1", "img", "Z", 1, "id\n");
	assert_int_equal(mkbox_build_find(f->images, "lnk", "lnk-pc", &b), -1);
	assert_int_equal(mkbox_catalog(&f->d.a, f->images, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].box, "box1");
	{
		struct nb_err e = { 0 };

		assert_int_equal(mkbox_image_delete(f->d.dir, f->images, "lnk", "lnk-pc", &e), -1);
		assert_int_equal(e.kind, NB_NOT_FOUND);
	}
	assert_int_equal(ut_count_entries(out), 3);
}

static void test_linked_build_file_is_no_build(void **state)
{
	struct fx *f = *state;
	const char *out = outside_build(f);
	static const char *const ext[] = { ".img.zst", ".img.sha256", ".img.buildID" };
	struct mkbox_entry *v;
	struct mkbox_build b;
	size_t n;
	char *t;
	int i;

	for (i = 0; i < 3; i++) {
		const char *name = at_images(f, arena_printf(&f->d.a, "box1/ev%s", ext[i]));
		put_build(f, "box1", "ev", "Z", 1, "id\n");
		assert_int_equal(unlink(name), 0);
		assert_int_equal(symlink(arena_printf(&f->d.a, "%s/lnk-pc%s", out, ext[i]), name), 0);
		assert_int_equal(mkbox_build_find(f->images, "box1", "ev", &b), -1);
		assert_int_equal(unlink(name), 0);
	}
	put_build(f, "box1", "ev", "Z", 1, "id\n");
	unlink(at_images(f, "box1/ev.img.zst"));
	assert_int_equal(symlink(arena_printf(&f->d.a, "%s/lnk-pc.img.zst", out),
				 at_images(f, "box1/ev.img.zst")), 0);
	/* a linked .img.zst is not listed */
	assert_int_equal(mkbox_catalog(&f->d.a, f->images, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	/* delete removes the regular files, leaves the link and its target */
	assert_int_equal(mkbox_image_delete(f->d.dir, f->images, "box1", "ev", NULL), 0);
	assert_int_equal(ut_count_entries(at_images(f, "box1")), 1);
	assert_int_equal(mkbox_image_delete(f->d.dir, f->images, "box1", "ev", NULL), -1);
	assert_int_equal(ut_count_entries(out), 3);
	t = ut_read(arena_printf(&f->d.a, "%s/lnk-pc.img.zst", out), &n);
	assert_string_equal(t, "id-out\n");
	free(t);
}

static void test_query_image_ignores_a_linked_master(void **state)
{
	struct fx *f = *state;
	const char *out = outside_build(f);

	put_build(f, "q", "q-x-main", "Z", 1, "id\n");
	assert_int_equal(symlink(arena_printf(&f->d.a, "%s/lnk-pc.img.zst", out),
				 at_images(f, "q/q-x-master.img.zst")), 0);
	assert_string_equal(mkbox_query_image(&f->d.a, f->images, "q", "x", "", ""), "q-x-main");
}

static void test_fifo_build_id_does_not_hang(void **state)
{
	struct fx *f = *state;
	struct mkbox_build b;

	put_build(f, "box1", "ff", "Z", 1, "id\n");
	unlink(at_images(f, "box1/ff.img.buildID"));
	assert_int_equal(mkfifo(at_images(f, "box1/ff.img.buildID"), 0644), 0);
	assert_int_equal(mkbox_build_find(f->images, "box1", "ff", &b), -1);
}

static void test_clean_tmp_never_through_links(void **state)
{
	struct fx *f = *state;
	const char *out = outside_build(f);
	const char *victim = arena_printf(&f->d.a, "%s/data.tmp.1.aa", out);
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };

	assert_int_equal(ut_write(victim, "x", 1), 0);
	assert_int_equal(utimensat(AT_FDCWD, victim, ts, 0), 0);
	assert_int_equal(symlink(out, at_images(f, "lnk")), 0);
	put(f, "box1", "img.img.zst.tmp.2.bb", "x", 1);
	assert_int_equal(utimensat(AT_FDCWD, at_images(f, "box1/img.img.zst.tmp.2.bb"), ts, 0), 0);
	assert_int_equal(symlink(victim, at_images(f, "box1/img.img.sha256.tmp.3.cc")), 0);
	assert_int_equal(mkbox_clean_tmp(f->images, 0), 1);
	assert_true(ut_is_file(victim));
	assert_int_equal(ut_count_entries(out), 4);
	assert_int_equal(ut_count_entries(at_images(f, "box1")), 1);	/* the link */
}

/* Imports raw bytes into box "<box>", board pc; returns the status. */
static int import(struct fx *f, const char *box, const char *file, const char *label,
		  char *err, size_t errlen)
{
	struct mkbox_import o = { .image_path = f->images, .file = file, .label = label,
				  .box = box, .board = "pc", .level = 1 };
	char image[512];
	struct nb_err e;

	err[0] = '\0';
	if (mkbox_image_import(&o, image, sizeof(image), &e) == 0)
		return 0;
	snprintf(err, errlen, "%s", e.msg);
	return nb_err_status(e.kind);
}

static void test_import_refuses_links_and_names_no_path(void **state)
{
	struct fx *f = *state;
	const char *out = outside_build(f);
	const char *raw = arena_printf(&f->d.a, "%s/raw.img", f->d.dir);
	char err[512];

	assert_int_equal(ut_write(raw, "raw image bytes", 15), 0);
	assert_int_equal(import(f, "ok", raw, NULL, err, sizeof(err)), 0);
	assert_int_equal(symlink(out, at_images(f, "lnk")), 0);
	assert_int_equal(import(f, "lnk", raw, NULL, err, sizeof(err)), 409);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(ut_count_entries(out), 3);
	assert_int_equal(ut_write(at_images(f, "fb"), "x", 1), 0);
	assert_int_equal(import(f, "fb", raw, NULL, err, sizeof(err)), 409);
	assert_string_equal(err, "box fb in the image directory is not a directory");
	assert_int_equal(mkdir(at_images(f, "fd"), 0755), 0);
	assert_int_equal(mkdir(at_images(f, "fd/fd-pc.img.sha256"), 0755), 0);
	assert_int_equal(import(f, "fd", raw, NULL, err, sizeof(err)), 409);
	assert_string_equal(err, "fd/fd-pc.img.sha256: Is a directory");
	/* the upload's temporary path is named by its label */
	assert_int_equal(import(f, "ok", arena_printf(&f->d.a, "%s/gone", f->d.dir), "the upload",
				err, sizeof(err)), 400);
	assert_string_equal(err, "the upload: No such file or directory");
	assert_int_equal(import(f, "../x", raw, NULL, err, sizeof(err)), 400);
}

/* The streaming import: bytes pushed in pieces are the build a file
 * import makes (its .img.zst decompresses to them, its sums name them);
 * an import abandoned half-way leaves the box as it was. */
static void test_import_stream(void **state)
{
	struct fx *f = *state;
	struct mkbox_import o = { .image_path = f->images, .box = "st", .board = "pc",
				  .version = "1", .level = 1 };
	struct mkbox_importer *im;
	struct nb_err e;
	char image[512], want[HASH_HEX_MAX], line[256], *sums;
	static char raw[300000];
	size_t i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (char)(i % 4096 < 2048 ? 0 : i * 7);
	im = mkbox_import_begin(&o, image, sizeof(image), &e);
	assert_non_null(im);
	assert_string_equal(image, "st-pc-1");
	for (i = 0; i < sizeof(raw); i += 65536)
		assert_int_equal(mkbox_import_write(im, raw + i, sizeof(raw) - i < 65536 ?
						    sizeof(raw) - i : 65536, &e), 0);
	assert_int_equal(mkbox_import_end(im, 1, &e), 0);
	assert_int_equal(ut_count_entries(at_images(f, "st")), 3);
	assert_int_equal(hash_hex(HASH_SHA256, raw, sizeof(raw), want), 0);
	snprintf(line, sizeof(line), "%s  st-pc-1.img\n", want);
	sums = ut_read(at_images(f, "st/st-pc-1.img.sha256"), NULL);
	assert_non_null(sums);
	assert_memory_equal(sums, line, strlen(line));
	free(sums);
	/* abandoned: the temporary goes, the build stays */
	o.version = "2";
	im = mkbox_import_begin(&o, image, sizeof(image), &e);
	assert_non_null(im);
	assert_int_equal(ut_count_entries(at_images(f, "st")), 4);
	assert_int_equal(mkbox_import_write(im, raw, 1000, &e), 0);
	assert_int_equal(mkbox_import_end(im, 0, &e), -1);
	assert_int_equal(ut_count_entries(at_images(f, "st")), 3);
	/* names are checked before anything is made */
	o.board = "p/c";
	assert_null(mkbox_import_begin(&o, image, sizeof(image), &e));
	assert_int_equal(e.kind, NB_INVALID);
}

#define TAR_HEX "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static const char *const tar_rows[] = {
	"INSERT INTO mkbox_tar(box, image, build_id, zst_size, zst_mtime, sha_size, sha_mtime,"
	" blob, size, created) VALUES('kb', 'kb-pc-main-1', 'b1', 1, 1, 1, 1, '" TAR_HEX "',"
	" 1, 0)",
};

static int tar_setup(void **state)
{
	return ut_app_setup(state, tar_rows, sizeof(tar_rows) / sizeof(tar_rows[0]));
}

/* The cached tars' rows: found (1), none (0: found or not stays a
 * yes/no), and a store that fails, NB_UNAVAILABLE: gc never takes "cannot
 * say" for "no row points at the blob". */
static void test_store_kinds(void **state)
{
	struct ut_app *f = *state;
	struct mkbox_tar_row row;
	struct mkbox_tar_key *keys;
	struct nb_err e;
	size_t n;

	assert_int_equal(mkbox_store_tar_get(f->app.db, "kb", "kb-pc-main-1", &row, &e), 1);
	assert_string_equal(row.blob, TAR_HEX);
	assert_int_equal(mkbox_store_tar_get(f->app.db, "kb", "nope", &row, &e), 0);
	assert_int_equal(mkbox_tar_refs(&f->app, TAR_HEX, &e), 1);
	assert_int_equal(mkbox_tar_refs(&f->app, TAR_HEX "0", &e), 0);
	assert_int_equal(mkbox_store_tar_keys(f->app.db, &f->a, &keys, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE mkbox_tar RENAME TO t_away"), 0);
	e.kind = NB_OK;
	assert_int_equal(mkbox_tar_refs(&f->app, TAR_HEX "0", &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	e.kind = NB_OK;
	assert_int_equal(mkbox_store_tar_get(f->app.db, "kb", "nope", &row, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	e.kind = NB_OK;
	assert_int_equal(mkbox_tar_prune(&f->app, "/nonexistent", &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
}

/* Writes <dir>/<rel> with the text s (the directories exist). */
static void put_at(const char *dir, const char *rel, const char *s)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_int_equal(ut_write(p, s, strlen(s)), 0);
}

/* A build replaced while its tar was composed (the watcher composing
 * during an import, which renames the files one by one) leaves no row
 * naming it, which would stand over the import's newer row; a build that
 * stayed is remembered. */
static void test_tar_get_replaced_build_not_remembered(void **state)
{
	struct ut_app *f = *state;
	struct mkbox_build old, now;
	struct mkbox_tar_row row;
	char images[PATH_MAX], p[PATH_MAX + 16], hex[HASH_HEX_MAX];

	f->app.program = "test";
	snprintf(images, sizeof(images), "%s/images", f->dir);
	snprintf(p, sizeof(p), "%s/rb", images);
	assert_int_equal(mkdir(images, 0755) | mkdir(p, 0755), 0);
	put_at(images, "rb/rb-pc-main.img.zst", "OLD");
	put_at(images, "rb/rb-pc-main.img.sha256", "0123abcd  raw\n4567ef01  zst\n");
	put_at(images, "rb/rb-pc-main.img.buildID", "old-1\n");
	snprintf(p, sizeof(p), "%s/blobs", f->dir);
	assert_int_equal(blob_store_open(&f->app.blobs, p), 0);
	assert_int_equal(mkbox_build_find(images, "rb", "rb-pc-main", &old), 0);

	/* the next build lands after the find, before the row is written */
	put_at(images, "rb/rb-pc-main.img.zst", "NEWER");
	put_at(images, "rb/rb-pc-main.img.buildID", "new-2\n");
	assert_int_equal(mkbox_tar_get(&f->app, "rb", "rb-pc-main", &old, hex, NULL), 0);
	assert_int_equal(mkbox_store_tar_get(f->app.db, "rb", "rb-pc-main", &row, NULL), 0);

	assert_int_equal(mkbox_build_find(images, "rb", "rb-pc-main", &now), 0);
	assert_false(mkbox_build_same(&old, &now));
	assert_int_equal(mkbox_tar_get(&f->app, "rb", "rb-pc-main", &now, hex, NULL), 0);
	assert_int_equal(mkbox_store_tar_get(f->app.db, "rb", "rb-pc-main", &row, NULL), 1);
	assert_string_equal(row.build_id, "new-2");
	assert_string_equal(row.blob, hex);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_dir_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_ok_accepts),
		cmocka_unit_test(test_name_ok_rejects),
		cmocka_unit_test(test_build_id_parse),
		cmocka_unit_test(test_build_id_parse_rejects),
		T(test_build_find),
		T(test_build_find_failures),
		T(test_query_image_branch),
		T(test_query_image_master_then_main),
		T(test_query_image_incomplete_or_invalid),
		T(test_tar_compose),
		T(test_tar_compose_long_name),
		T(test_tar_compose_missing_file),
		T(test_linked_box_is_no_box),
		T(test_linked_build_file_is_no_build),
		T(test_query_image_ignores_a_linked_master),
		T(test_fifo_build_id_does_not_hang),
		T(test_clean_tmp_never_through_links),
		T(test_import_refuses_links_and_names_no_path),
		T(test_import_stream),
		cmocka_unit_test_setup_teardown(test_store_kinds, tar_setup, ut_app_teardown),
		cmocka_unit_test_setup_teardown(test_tar_get_replaced_build_not_remembered,
						 tar_setup, ut_app_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
