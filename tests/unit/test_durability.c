/*
 * test_durability.c - the order of the system calls that make a write
 * durable, for every temp-file + rename path in src/:
 *   the temp file is fsynced (fsync or fdatasync) before it is renamed,
 *   and the directory of the new name is fsynced after the rename.
 * A kill -9 test cannot see a missing fsync (the page cache outlives a
 * killed process; only a power cut loses it), so this binary is linked with
 * -Wl,--wrap=fsync,--wrap=fdatasync,--wrap=rename,--wrap=renameat,--wrap=write
 * (see the Makefile) and records the calls the library makes.  Covered:
 * fs_write_atomic, blob_writer_commit (every blob: uploads, mip files,
 * update tars), mkbox_image_import (the .img.zst, .img.sha256 and
 * .img.buildID of an image import), mkbox_tar_compose and mip_file_put.
 * A directory made for such files (an import's new box directory, and
 * the image directory when it is new) has its parent fsynced before
 * anything is committed inside: mkdir is not wrapped, so the check is
 * that sync, in order.  A new OTA repository (a directory libgit2 fills)
 * is renamed into place as a file would be.
 *
 * A failed fsync (EIO, injected by the same wrappers) must publish nothing
 * and leak nothing: every writer returns -1, closes every descriptor it
 * opened (counted in /proc/self/fd), removes its temp file and leaves the
 * destination as it was; so do mkbox_live_open and pypi_static_keep when
 * a later step fails.
 *
 * Also a unit-level guard for an import killed half-way (the e2e guard is
 * tests/e2e/test_ctl.py::test_killed_import_leaves_nothing_visible): a
 * forked import dies in the middle of writing its compressed data, and the
 * previous build must still be whole and the only one visible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>

#include "../../src/core/core.h"
#include "../../src/lib/fs.h"
#include "../../src/mip/mip.h"
#include "../../src/mkbox/mkbox.h"
#include "../../src/ota/ota.h"
#include "../../src/pypi/pypi.h"
#include "unit_util.h"
#include "unit_store.h"

/* ------------------------------------------------------------------ */
/* the recorded calls (one test process, one thread: a plain array)   */

enum ev_kind { EV_SYNC, EV_RENAME };

struct ev {
	enum ev_kind kind;
	int symlink;			/* a rename of a symbolic link */
	char path[PATH_MAX];		/* synced file or directory; rename source */
	char to[PATH_MAX];		/* rename target */
};

#define MAX_EV 256
static struct ev trace[MAX_EV];
static int ntrace;
/* kill switch for the half-way import: _exit after this many bytes are
 * written to files of the image directory (0: off); any file there, not
 * only temp files, so that an import writing the build in place dies too */
static long long die_after;
/* fsync and fdatasync fail with EIO on a file whose path holds this (NULL: off) */
static const char *fsync_eio;

int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_rename(const char *from, const char *to);
int __real_renameat(int dfd, const char *from, int tfd, const char *to);
ssize_t __real_write(int fd, const void *p, size_t n);

static void fd_path(int fd, char *out, size_t n)
{
	char link[64];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, out, n - 1);
	out[len < 0 ? 0 : len] = '\0';
}

static void record(enum ev_kind k, const char *path, const char *to)
{
	struct stat st;

	if (ntrace == MAX_EV)
		fail_msg("more than %d recorded calls", MAX_EV);
	trace[ntrace].kind = k;
	trace[ntrace].symlink = k == EV_RENAME && lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
	snprintf(trace[ntrace].path, PATH_MAX, "%s", path);
	snprintf(trace[ntrace].to, PATH_MAX, "%s", to ? to : "");
	ntrace++;
}

/* 1 when the sync of the file at p is to fail (EIO: the disk lost it) */
static int sync_fails(const char *p)
{
	if (!fsync_eio || !strstr(p, fsync_eio))
		return 0;
	errno = EIO;
	return 1;
}

int __wrap_fsync(int fd)
{
	char p[PATH_MAX];

	fd_path(fd, p, sizeof(p));
	if (sync_fails(p))
		return -1;
	record(EV_SYNC, p, NULL);
	return __real_fsync(fd);
}

int __wrap_fdatasync(int fd)
{
	char p[PATH_MAX];

	fd_path(fd, p, sizeof(p));
	if (sync_fails(p))
		return -1;
	record(EV_SYNC, p, NULL);
	return __real_fdatasync(fd);
}

int __wrap_rename(const char *from, const char *to)
{
	record(EV_RENAME, from, to);
	return __real_rename(from, to);
}

/* A name relative to a directory fd (the *at calls the link-safe file
 * helpers use) as the absolute path the rule compares. */
static void at_path(int dfd, const char *name, char *out, size_t n)
{
	char dir[PATH_MAX];

	if (dfd == AT_FDCWD || name[0] == '/') {
		snprintf(out, n, "%s", name);
		return;
	}
	fd_path(dfd, dir, sizeof(dir));
	if (snprintf(out, n, "%s/%s", dir, name) >= (int)n)
		fail_msg("path too long: %s/%s", dir, name);
}

int __wrap_renameat(int dfd, const char *from, int tfd, const char *to)
{
	char f[PATH_MAX], t[PATH_MAX];

	at_path(dfd, from, f, sizeof(f));
	at_path(tfd, to, t, sizeof(t));
	record(EV_RENAME, f, t);
	return __real_renameat(dfd, from, tfd, to);
}

ssize_t __wrap_write(int fd, const void *p, size_t n)
{
	if (die_after > 0) {
		char path[PATH_MAX];
		fd_path(fd, path, sizeof(path));
		if (strstr(path, "/images/")) {
			if ((long long)n >= die_after)
				_exit(9);	/* as SIGKILL would: no cleanup runs */
			die_after -= (long long)n;
		}
	}
	return __real_write(fd, p, n);
}

/* ------------------------------------------------------------------ */
/* the rule                                                            */

static const char *dir_of(const char *path, char *out, size_t n)
{
	const char *slash = strrchr(path, '/');

	snprintf(out, n, "%.*s", slash ? (int)(slash - path) : 0, path);
	return out;
}

/*
 * Every recorded rename: its source synced before it, its target's
 * directory synced after it.  Returns NULL, or what is wrong (in why).
 */
static const char *order_error(char *why, size_t n)
{
	int i, j;

	for (i = 0; i < ntrace; i++) {
		char dir[PATH_MAX];
		int before = 0, after = 0;

		if (trace[i].kind != EV_RENAME)
			continue;
		/*
		 * A symbolic link cannot be fsynced.  The one src/ renames
		 * (mip_store.c's static link to a blob) is a cache: the blob
		 * it names was committed first, and a link lost in a crash
		 * only means the program answers instead of the front end.
		 */
		if (trace[i].symlink)
			continue;
		for (j = 0; j < i; j++)
			before |= trace[j].kind == EV_SYNC && !strcmp(trace[j].path, trace[i].path);
		dir_of(trace[i].to, dir, sizeof(dir));
		for (j = i + 1; j < ntrace; j++)
			after |= trace[j].kind == EV_SYNC && !strcmp(trace[j].path, dir);
		if (!before) {
			snprintf(why, n, "%s renamed to %s without an fsync of it first",
				 trace[i].path, trace[i].to);
			return why;
		}
		if (!after) {
			snprintf(why, n, "%s renamed without an fsync of %s after", trace[i].to, dir);
			return why;
		}
	}
	return NULL;
}

static void check_order(void)
{
	char why[2 * PATH_MAX + 64];

	if (order_error(why, sizeof(why)))
		fail_msg("%s", why);
}

/* 1 when dir was synced after the last recorded rename. */
static int synced_after_rename(const char *dir)
{
	int i, last = -1;

	for (i = 0; i < ntrace; i++)
		if (trace[i].kind == EV_RENAME)
			last = i;
	for (i = last + 1; last >= 0 && i < ntrace; i++)
		if (trace[i].kind == EV_SYNC && !strcmp(trace[i].path, dir))
			return 1;
	return 0;
}

/* The index of the first recorded sync of path, -1 when none. */
static int first_sync(const char *path)
{
	int i;

	for (i = 0; i < ntrace; i++)
		if (trace[i].kind == EV_SYNC && !strcmp(trace[i].path, path))
			return i;
	return -1;
}

/* The index of the first rename to a name ending in suffix, -1 when none. */
static int first_rename_to(const char *suffix)
{
	size_t ls = strlen(suffix);
	int i;

	for (i = 0; i < ntrace; i++) {
		size_t lt = strlen(trace[i].to);
		if (trace[i].kind == EV_RENAME && lt >= ls &&
		    !strcmp(trace[i].to + lt - ls, suffix))
			return i;
	}
	return -1;
}

/* How many renames put a file at a name ending in suffix. */
static int renamed_to(const char *suffix)
{
	size_t ls = strlen(suffix);
	int i, n = 0;

	for (i = 0; i < ntrace; i++) {
		size_t lt = strlen(trace[i].to);
		n += trace[i].kind == EV_RENAME && lt >= ls && !strcmp(trace[i].to + lt - ls, suffix);
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* fixture: a canonical temp dir (fd paths are canonical), a store      */

static int setup(void **state)
{
	struct ut_app *f = calloc(1, sizeof(*f));
	char *t = ut_mkdtemp(), path[PATH_MAX];

	f->dir = realpath(t, NULL);
	free(t);
	if (!f->dir || ut_store_open(f->dir, 1000, &f->app.db) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/blobs", f->dir);
	if (blob_store_open(&f->app.blobs, path) != 0)
		return -1;
	snprintf(f->app.set.var_dir, sizeof(f->app.set.var_dir), "%s", f->dir);
	f->app.program = "test-durability";
	ntrace = 0;
	die_after = 0;
	fsync_eio = NULL;
	*state = f;
	return 0;
}

static void write_raw(const char *path, size_t size, unsigned seed)
{
	char *p = malloc(size);
	size_t i;

	for (i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (i / 65536) % 2 ? 0 : (char)(seed >> 16);
	}
	assert_int_equal(ut_write(path, p, size), 0);
	free(p);
}

/* An image to import, <dir>/disk.img (size bytes of seed's pattern), and
 * where it goes: <dir>/images and its box, <dir>/images/bx. */
static void import_paths(struct ut_app *f, char *raw, char *images, char *box, size_t size,
			 unsigned seed)
{
	snprintf(raw, PATH_MAX, "%s/disk.img", f->dir);
	snprintf(images, PATH_MAX, "%s/images", f->dir);
	snprintf(box, PATH_MAX + 8, "%s/bx", images);
	write_raw(raw, size, seed);
}

static int import(struct ut_app *f, const char *raw, char *image, size_t n)
{
	char images[PATH_MAX];
	struct mkbox_import o = { .image_path = images, .file = raw, .box = "bx",
				  .board = "pc", .level = 1 };
	struct nb_err e;

	snprintf(images, sizeof(images), "%s/images", f->dir);
	/* (the old wrapper answered an HTTP status, never < 0: a failed
	 * import passed unseen here) */
	if (mkbox_image_import(&o, image, n, &e) < 0) {
		fprintf(stderr, "import: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static void test_write_atomic(void **state)
{
	struct ut_app *f = *state;
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/small.json", f->dir);
	assert_int_equal(fs_write_atomic(p, "{}", 2), 0);
	assert_int_equal(fs_write_atomic(p, "{\"a\":1}", 7), 0);	/* over an old one */
	assert_int_equal(renamed_to("/small.json"), 2);
	check_order();
}

static void test_blob_writer(void **state)
{
	struct ut_app *f = *state;
	struct blob_writer w;
	char hex[HASH_HEX_MAX], blobs[PATH_MAX];

	assert_int_equal(blob_writer_open(&f->app.blobs, &w), 0);
	assert_int_equal(blob_writer_write(&w, "hello world", 11), 0);
	assert_int_equal(blob_writer_commit(&w, NULL, hex), 0);
	assert_int_equal(renamed_to("/b9/b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"), 1);
	check_order();
	/* the fan-out directory b9/ was made for it: the store's directory,
	 * which holds b9/, is synced after the rename too */
	snprintf(blobs, sizeof(blobs), "%s/blobs", f->dir);
	assert_true(synced_after_rename(blobs));
}

static void test_mip_file_put(void **state)
{
	struct ut_app *f = *state;
	char hex[HASH_HEX_MAX], link[16];

	assert_int_equal(mip_file_put(&f->app, "print(1)\n", 9, "hosted", NULL, hex, NULL), 0);
	assert_int_equal(renamed_to(hex), 1);
	snprintf(link, sizeof(link), "/%.8s", hex);
	assert_int_equal(renamed_to(link), 1);		/* its static link */
	check_order();
}

/* An image import writes three files; the update tar is composed from them. */
static void test_image_import_and_tar(void **state)
{
	struct ut_app *f = *state;
	char raw[PATH_MAX], images[PATH_MAX], image[256], hex[HASH_HEX_MAX];
	struct mkbox_build b;
	unsigned long long size;

	snprintf(raw, sizeof(raw), "%s/disk.img", f->dir);
	snprintf(images, sizeof(images), "%s/images", f->dir);
	write_raw(raw, 300000, 1);
	assert_int_equal(import(f, raw, image, sizeof(image)), 0);
	assert_string_equal(image, "bx-pc");
	assert_int_equal(renamed_to("/bx/bx-pc.img.zst"), 1);
	assert_int_equal(renamed_to("/bx/bx-pc.img.sha256"), 1);
	assert_int_equal(renamed_to("/bx/bx-pc.img.buildID"), 1);
	assert_int_equal(mkbox_build_find(images, "bx", "bx-pc", &b), 0);
	assert_int_equal(mkbox_tar_compose(&f->app.blobs, "bx-pc", &b, hex, &size), 0);
	assert_int_equal(renamed_to(hex), 1);
	check_order();
}

/* The checker itself: a bare rename, or syncs in the wrong order, are reported. */
static void test_checker_sees_a_bare_rename(void **state)
{
	struct ut_app *f = *state;
	char a[PATH_MAX], b[PATH_MAX], why[2 * PATH_MAX + 64];

	snprintf(a, sizeof(a), "%s/x.tmp", f->dir);
	snprintf(b, sizeof(b), "%s/x", f->dir);
	assert_int_equal(ut_write(a, "x", 1), 0);
	assert_int_equal(rename(a, b), 0);
	assert_int_equal(ntrace, 1);
	assert_string_equal(trace[0].path, a);
	assert_string_equal(trace[0].to, b);
	assert_non_null(order_error(why, sizeof(why)));
	/* the directory synced before the rename, the file after: both wrong */
	ntrace = 0;
	record(EV_SYNC, f->dir, NULL);
	record(EV_RENAME, a, b);
	record(EV_SYNC, a, NULL);
	assert_non_null(order_error(why, sizeof(why)));
	/* the file synced, but not the directory */
	ntrace = 0;
	record(EV_SYNC, a, NULL);
	record(EV_RENAME, a, b);
	assert_non_null(order_error(why, sizeof(why)));
	/* the right order */
	record(EV_SYNC, f->dir, NULL);
	assert_null(order_error(why, sizeof(why)));
}

/* ------------------------------------------------------------------ */
/* an import killed half-way: the old build stays whole and visible    */

static char *slurp(const char *path, size_t *n)
{
	struct arena a;
	char *s, *out;

	arena_init(&a);
	s = fs_read_small(&a, path, 1 << 24, n);
	out = s ? memcpy(malloc(*n + 1), s, *n + 1) : NULL;
	arena_free(&a);
	return out;
}

static void test_import_killed_half_way(void **state)
{
	struct ut_app *f = *state;
	char raw[PATH_MAX], images[PATH_MAX], image[256], zst[PATH_MAX * 2], *old_zst, *old_id;
	char p[PATH_MAX * 2], *now;
	size_t zn, idn, n;
	struct mkbox_build b;
	int status, tmp_files = 0;
	pid_t pid;
	DIR *d;
	struct dirent *e;

	snprintf(raw, sizeof(raw), "%s/disk.img", f->dir);
	snprintf(images, sizeof(images), "%s/images", f->dir);
	write_raw(raw, 200000, 1);
	assert_int_equal(import(f, raw, image, sizeof(image)), 0);
	snprintf(zst, sizeof(zst), "%s/bx/bx-pc.img.zst", images);
	old_zst = slurp(zst, &zn);
	snprintf(p, sizeof(p), "%s/bx/bx-pc.img.buildID", images);
	old_id = slurp(p, &idn);
	assert_non_null(old_zst);
	assert_non_null(old_id);

	/* a new, larger build whose import dies after 64 KiB of output */
	write_raw(raw, 4 << 20, 2);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		die_after = 65536;
		import(f, raw, image, sizeof(image));
		_exit(0);		/* finished: the test below fails */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 9);

	/* the old build, byte for byte, is what a box finds */
	now = slurp(zst, &n);
	assert_non_null(now);
	assert_int_equal(n, zn);
	assert_memory_equal(now, old_zst, zn);
	free(now);
	assert_int_equal(mkbox_build_find(images, "bx", "bx-pc", &b), 0);
	now = slurp(p, &n);
	assert_int_equal(n, idn);
	assert_memory_equal(now, old_id, idn);
	free(now);
	snprintf(p, sizeof(p), "%s/bx", images);
	d = opendir(p);
	assert_non_null(d);
	while ((e = readdir(d)))
		tmp_files += strstr(e->d_name, ".tmp.") != NULL;
	closedir(d);
	assert_int_equal(tmp_files, 1);	/* the dead import's, left for gc */
	free(old_zst);
	free(old_id);
}

/* ------------------------------------------------------------------ */
/* a failed fsync: nothing published, nothing leaked                   */

/* The descriptors open in this process (and the one that reads them). */
static int open_fds(void)
{
	return ut_count_entries("/proc/self/fd");
}

/* Names in dir holding ".tmp." (the writers' temp files). */
static int tmp_files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	closedir(d);
	return n;
}

static void test_fsync_eio_blob(void **state)
{
	struct ut_app *f = *state;
	struct blob_writer w;
	char hex[HASH_HEX_MAX], p[PATH_MAX * 2];
	int fds = open_fds();

	fsync_eio = "/blobs/tmp/";
	assert_int_equal(blob_writer_open(&f->app.blobs, &w), 0);
	assert_int_equal(blob_writer_write(&w, "hello world", 11), 0);
	errno = 0;
	assert_int_equal(blob_writer_commit(&w, NULL, hex), -1);
	assert_int_equal(errno, EIO);		/* the failure's, for the caller's message */
	assert_int_equal(open_fds(), fds);
	snprintf(p, sizeof(p), "%s/blobs/tmp", f->dir);
	assert_int_equal(ut_count_entries(p), 0);
	assert_false(blob_exists(&f->app.blobs, hex));
	assert_int_equal(renamed_to(hex), 0);
	/* and the store works again once the disk does */
	fsync_eio = NULL;
	assert_int_equal(blob_writer_open(&f->app.blobs, &w), 0);
	assert_int_equal(blob_writer_write(&w, "hello world", 11), 0);
	assert_int_equal(blob_writer_commit(&w, NULL, hex), 0);
	assert_true(blob_exists(&f->app.blobs, hex));
	assert_int_equal(open_fds(), fds);
}

static void test_fsync_eio_write_atomic(void **state)
{
	struct ut_app *f = *state;
	char p[PATH_MAX], *now;
	int fds;
	size_t n;

	snprintf(p, sizeof(p), "%s/small.json", f->dir);
	assert_int_equal(fs_write_atomic(p, "old", 3), 0);
	fds = open_fds();
	fsync_eio = "/small.json.tmp.";
	assert_int_equal(fs_write_atomic(p, "new!", 4), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(open_fds(), fds);
	assert_int_equal(tmp_files_in(f->dir), 0);
	now = slurp(p, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(now, "old", 3);
	free(now);
}

static void test_fsync_eio_mip_file(void **state)
{
	struct ut_app *f = *state;
	char hex[HASH_HEX_MAX];
	int fds = open_fds();

	fsync_eio = "/blobs/tmp/";
	assert_int_equal(mip_file_put(&f->app, "print(2)\n", 9, "hosted", NULL, hex, NULL), -1);
	assert_int_equal(open_fds(), fds);
	assert_int_equal(renamed_to(""), 0);	/* nothing renamed into place */
}

static void test_fsync_eio_image_import(void **state)
{
	struct ut_app *f = *state;
	char raw[PATH_MAX], images[PATH_MAX], box[PATH_MAX + 8], image[256];
	struct mkbox_build b;
	int fds;

	import_paths(f, raw, images, box, 100000, 3);
	fds = open_fds();
	fsync_eio = "/images/bx/";
	assert_int_equal(import(f, raw, image, sizeof(image)), -1);
	assert_int_equal(open_fds(), fds);
	assert_int_equal(tmp_files_in(box), 0);
	assert_int_equal(mkbox_build_find(images, "bx", "bx-pc", &b), -1);
	assert_int_equal(renamed_to(".img.zst"), 0);
}

/*
 * An import into a new box (and a new image directory): the parent of each
 * new directory is synced before the first build file is committed in it,
 * or a crash could lose the directory entry and the acknowledged image.
 */
static void test_new_box_dir_synced(void **state)
{
	struct ut_app *f = *state;
	char raw[PATH_MAX], images[PATH_MAX], box[PATH_MAX + 8], image[256];
	int zst;

	import_paths(f, raw, images, box, 100000, 4);
	assert_int_equal(access(images, F_OK), -1);
	assert_int_equal(import(f, raw, image, sizeof(image)), 0);
	zst = first_rename_to("/bx/bx-pc.img.zst");
	assert_true(zst >= 0);
	assert_in_range(first_sync(images), 0, zst - 1);	/* holds bx/ */
	assert_in_range(first_sync(f->dir), 0, zst - 1);	/* holds images/ */
	check_order();
}

/* The sync of the new box directory's parent fails (EIO): the import
 * fails saying so, the directory is removed, nothing is committed; once
 * the disk works, the same import succeeds. */
static void test_fsync_eio_new_box_dir(void **state)
{
	struct ut_app *f = *state;
	char raw[PATH_MAX], images[PATH_MAX], box[PATH_MAX + 8], image[256];
	struct mkbox_import o = { .image_path = images, .file = raw, .box = "bx",
				  .board = "pc", .level = 1 };
	struct mkbox_build b;
	struct nb_err e;
	int fds;

	import_paths(f, raw, images, box, 100000, 5);
	assert_int_equal(mkdir(images, 0755), 0);
	fds = open_fds();
	fsync_eio = "/images";		/* the first sync there: of images/ itself */
	assert_int_equal(mkbox_image_import(&o, image, sizeof(image), &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_string_equal(e.msg, "box bx: Input/output error");
	assert_int_equal(open_fds(), fds);
	assert_int_equal(access(box, F_OK), -1);
	assert_int_equal(renamed_to(""), 0);
	assert_int_equal(mkbox_build_find(images, "bx", "bx-pc", &b), -1);
	fsync_eio = NULL;
	assert_int_equal(import(f, raw, image, sizeof(image)), 0);
	assert_int_equal(mkbox_build_find(images, "bx", "bx-pc", &b), 0);
	assert_true(first_sync(images) >= 0);
}

/*
 * A new OTA repository (the releases committed to it are acknowledged):
 * made under a temporary name, synced, renamed into place and the owner's
 * directory synced after; the directories made above it have their
 * parents synced.
 */
static void test_ota_repo_created(void **state)
{
	struct ut_app *f = *state;
	struct ota_settings s;
	struct ota_git *g;
	struct nb_err e;
	char dir[PATH_MAX + 16];

	memset(&s, 0, sizeof(s));
	snprintf(s.git_dir, sizeof(s.git_dir), "%s/ota/git", f->dir);
	ota_git_global_init();
	assert_non_null(g = ota_git_open(&s, "acme", "app", 1, &e));
	ota_git_close(g);
	assert_int_equal(renamed_to("/ota/git/acme/app.git"), 1);
	check_order();
	snprintf(dir, sizeof(dir), "%s/ota/git", f->dir);
	assert_true(first_sync(dir) >= 0);	/* holds acme/ */
	assert_true(first_sync(f->dir) >= 0);	/* holds ota/ */
}

/* The static tree's link cannot be made (a directory holds its name):
 * the tree made for it is removed and its descriptor closed. */
static void test_live_open_fails_cleanly(void **state)
{
	struct ut_app *f = *state;
	char p[PATH_MAX * 2], top[PATH_MAX];
	struct mkbox_live l;
	int fds;

	snprintf(top, sizeof(top), "%s/mkbox-static", f->dir);
	snprintf(p, sizeof(p), "%s/live/in-the-way", top);
	assert_int_equal(fs_mkdirs(p, 0755), 0);
	fds = open_fds();
	assert_int_equal(mkbox_live_open(&l, f->dir), -1);
	assert_int_equal(l.fd, -1);
	assert_int_equal(open_fds(), fds);
	snprintf(p, sizeof(p), "%s/live.%ld", top, (long)getpid());
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(ut_count_entries(top), 1);	/* the directory in the way alone */
}

static void keep_page(struct ut_app *f, int want)
{
	struct pypi_index ix = { .id = 1, .user = "root", .name = "dev", .type = "stage" };
	struct http_resp w;
	struct arena a;

	arena_init(&a);
	http_resp_init(&w, &a);
	buf_add(&w.body, "<html>page</html>", 17);
	assert_int_equal(pypi_static_keep(&f->app, &a, &ix, "demo", PYPI_HTML, &w), want);
	arena_free(&a);
}

/*
 * pypi_static_keep: 1 when it put the page there (its caller then checks
 * the page is still current; errno read after the link, left EEXIST by
 * fs_mkdirs, said 0); 0 and no page when the fsync fails, nothing leaked.
 */
static void test_static_page_keep(void **state)
{
	struct ut_app *f = *state;
	char dir[PATH_MAX], page[PATH_MAX + 16];
	int fds = open_fds();

	snprintf(dir, sizeof(dir), "%s/pypi-static/root/dev/demo", f->dir);
	snprintf(page, sizeof(page), "%s/index.html", dir);
	fsync_eio = "/index.html.tmp.";
	keep_page(f, 0);
	assert_int_equal(open_fds(), fds);
	assert_int_equal(access(page, F_OK), -1);
	assert_int_equal(tmp_files_in(dir), 0);
	fsync_eio = NULL;
	keep_page(f, 1);
	assert_int_equal(access(page, F_OK), 0);
	assert_int_equal(tmp_files_in(dir), 0);
	keep_page(f, 0);			/* there already: not this call's */
	assert_int_equal(open_fds(), fds);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_app_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_checker_sees_a_bare_rename),
		T(test_write_atomic),
		T(test_blob_writer),
		T(test_mip_file_put),
		T(test_image_import_and_tar),
		T(test_import_killed_half_way),
		T(test_fsync_eio_blob),
		T(test_fsync_eio_write_atomic),
		T(test_fsync_eio_mip_file),
		T(test_fsync_eio_image_import),
		T(test_new_box_dir_synced),
		T(test_fsync_eio_new_box_dir),
		T(test_ota_repo_created),
		T(test_live_open_fails_cleanly),
		T(test_static_page_keep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
