/*
 * test_fs.c - the file-system helpers in a temporary directory:
 * fs_mkdirs (nested, existing, trailing slash, failures), fs_write_atomic
 * (content, overwrite, no temp file left, missing directory),
 * fs_tmp_open + fs_commit, fs_read_small (content, NUL, the max limit,
 * missing file, directory) and fs_dirname; opening beneath a directory
 * without following links (fs_open_beneath, fs_open_regular_*,
 * fs_regular_at), the *at() writers, and fs_clean_tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <string.h>

#include "../../src/lib/fs.h"
#include "unit_util.h"

static const char *at(struct ut_dir *f, const char *rel)
{
	return arena_printf(&f->a, "%s/%s", f->dir, rel);
}

/* Entries whose name contains ".tmp." (leftover temporaries). */
static int count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

static void test_mkdirs_nested(void **state)
{
	struct ut_dir *f = *state;

	assert_int_equal(fs_mkdirs(at(f, "a/b/c"), 0755), 0);
	assert_true(ut_is_dir(at(f, "a")));
	assert_true(ut_is_dir(at(f, "a/b")));
	assert_true(ut_is_dir(at(f, "a/b/c")));
	/* again: already there */
	assert_int_equal(fs_mkdirs(at(f, "a/b/c"), 0755), 0);
	assert_int_equal(fs_mkdirs(at(f, "x/y/"), 0755), 0);
	assert_true(ut_is_dir(at(f, "x/y")));
	assert_int_equal(fs_mkdirs(f->dir, 0755), 0);
}

static void test_mkdirs_failures(void **state)
{
	struct ut_dir *f = *state;
	char longp[PATH_MAX + 10];

	assert_int_equal(fs_mkdirs("", 0755), -1);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	errno = 0;
	assert_int_equal(fs_mkdirs(longp, 0755), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	/* a regular file in the way of a parent */
	assert_int_equal(ut_write(at(f, "file"), "x", 1), 0);
	errno = 0;
	assert_int_equal(fs_mkdirs(at(f, "file/sub"), 0755), -1);
	assert_int_equal(errno, ENOTDIR);
}

static void test_mkdirs_existing_file_is_not_a_dir(void **state)
{
	struct ut_dir *f = *state;

	assert_int_equal(ut_write(at(f, "file"), "x", 1), 0);
	/* Regression (was a bug): fs_mkdirs treats EEXIST from mkdir() as success without
	 * checking that the existing path is a directory, so it reports
	 * success for a regular file (blob_store_open, app_open and
	 * blob_writer_commit then fail later with a less clear error). */
	assert_int_equal(fs_mkdirs(at(f, "file"), 0755), -1);
}

static void test_write_atomic(void **state)
{
	struct ut_dir *f = *state;
	const char *p = at(f, "out.txt");
	size_t len;
	char *got;

	assert_int_equal(fs_write_atomic(p, "first version\n", 14), 0);
	got = ut_read(p, &len);
	assert_non_null(got);
	assert_int_equal(len, 14);
	assert_string_equal(got, "first version\n");
	free(got);
	/* overwrite with shorter content: nothing of the old is left */
	assert_int_equal(fs_write_atomic(p, "v2", 2), 0);
	got = ut_read(p, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(got, "v2", 2);
	free(got);
	/* empty */
	assert_int_equal(fs_write_atomic(p, "", 0), 0);
	got = ut_read(p, &len);
	assert_int_equal(len, 0);
	free(got);
	assert_int_equal(count_tmp(f->dir), 0);
	assert_int_equal(ut_count_entries(f->dir), 1);
}

static void test_write_atomic_binary_large(void **state)
{
	struct ut_dir *f = *state;
	size_t n = 1 << 20, i, len;
	unsigned char *data = malloc(n);
	char *got;

	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7);
	assert_int_equal(fs_write_atomic(at(f, "big"), data, n), 0);
	got = ut_read(at(f, "big"), &len);
	assert_int_equal(len, n);
	assert_memory_equal(got, data, n);
	free(got);
	free(data);
}

static void test_write_atomic_missing_dir(void **state)
{
	struct ut_dir *f = *state;

	errno = 0;
	assert_int_equal(fs_write_atomic(at(f, "nope/out.txt"), "x", 1), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ut_count_entries(f->dir), 0);
}

static void test_write_atomic_onto_directory_fails_cleanly(void **state)
{
	struct ut_dir *f = *state;

	assert_int_equal(mkdir(at(f, "d"), 0755), 0);
	assert_int_equal(fs_write_atomic(at(f, "d"), "x", 1), -1);
	assert_true(ut_is_dir(at(f, "d")));
	assert_int_equal(count_tmp(f->dir), 0);
}

/* A commit whose fsync fails (a pipe cannot be synced: EINVAL) closes the
 * descriptor all the same, as callers count on (a long-lived program
 * would leak one per failed write), removes the temporary file and says
 * fsync's errno; the same for the directory-relative commit. */
static void test_commit_sync_failure_closes(void **state)
{
	struct ut_dir *f = *state;
	int p[2], dfd;

	assert_int_equal(ut_write(at(f, "t.tmp"), "x", 1), 0);
	assert_int_equal(pipe(p), 0);
	errno = 0;
	assert_int_equal(fs_commit(p[1], at(f, "t.tmp"), at(f, "t")), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fcntl(p[1], F_GETFD), -1);	/* closed */
	assert_false(ut_is_file(at(f, "t.tmp")));
	assert_false(ut_is_file(at(f, "t")));
	close(p[0]);

	dfd = open(f->dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(ut_write(at(f, "u.tmp"), "x", 1), 0);
	assert_int_equal(pipe(p), 0);
	errno = 0;
	assert_int_equal(fs_commitat(p[1], dfd, "u.tmp", "u"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fcntl(p[1], F_GETFD), -1);
	assert_false(ut_is_file(at(f, "u.tmp")));
	close(p[0]);
	close(dfd);
}

static void test_tmp_open_and_commit(void **state)
{
	struct ut_dir *f = *state;
	char tmp[PATH_MAX], want_prefix[PATH_MAX + 16];
	const char *p = at(f, "target");
	int fd;
	char *got;

	fd = fs_tmp_open(p, tmp, sizeof(tmp));
	assert_true(fd >= 0);
	snprintf(want_prefix, sizeof(want_prefix), "%s.tmp.%d.", p, (int)getpid());
	assert_int_equal(strncmp(tmp, want_prefix, strlen(want_prefix)), 0);
	assert_true(ut_is_file(tmp));
	assert_int_equal(fs_write_all(fd, "payload", 7), 0);
	assert_false(ut_is_file(p));
	assert_int_equal(fs_commit(fd, tmp, p), 0);
	assert_false(ut_is_file(tmp));
	got = ut_read(p, NULL);
	assert_string_equal(got, "payload");
	free(got);
	/* a name too long for the buffer */
	errno = 0;
	assert_int_equal(fs_tmp_open(p, tmp, 10), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

/* Writes the n bytes at p as name and reads them back with
 * fs_read_small(max): the same bytes, n of them, NUL-terminated. */
static void read_back(struct ut_dir *f, const char *name, const char *p, size_t n,
		      size_t max)
{
	size_t len = 99;
	char *got;

	assert_int_equal(ut_write(at(f, name), p, n), 0);
	got = fs_read_small(&f->a, at(f, name), max, &len);
	assert_non_null(got);
	assert_int_equal(len, n);
	assert_memory_equal(got, p, n);
	assert_int_equal(got[n], '\0');
}

static void test_read_small(void **state)
{
	struct ut_dir *f = *state;
	size_t len = 0;

	read_back(f, "f", "hello\0world", 11, 100);
	/* exactly max is fine, one over is not */
	read_back(f, "f", "hello\0world", 11, 11);
	assert_null(fs_read_small(&f->a, at(f, "f"), 10, &len));
	assert_null(fs_read_small(&f->a, at(f, "f"), 0, &len));
	/* len is optional */
	assert_non_null(fs_read_small(&f->a, at(f, "f"), 11, NULL));
}

static void test_read_small_empty_missing_dir(void **state)
{
	struct ut_dir *f = *state;
	size_t len = 99;

	read_back(f, "empty", "", 0, 0);
	assert_null(fs_read_small(&f->a, at(f, "missing"), 100, &len));
	assert_null(fs_read_small(&f->a, f->dir, 1 << 20, &len));
}

static void test_dirname(void **state)
{
	struct ut_dir *f = *state;

	assert_string_equal(fs_dirname(&f->a, "a/b/c"), "a/b");
	assert_string_equal(fs_dirname(&f->a, "/etc/nestbox.yaml"), "/etc");
	assert_string_equal(fs_dirname(&f->a, "/a"), "/");
	assert_string_equal(fs_dirname(&f->a, "/"), "/");
	assert_string_equal(fs_dirname(&f->a, "file"), ".");
	assert_string_equal(fs_dirname(&f->a, ""), ".");
}

static void test_open_beneath(void **state)
{
	struct ut_dir *f = *state;
	struct stat st;
	int fd;

	assert_int_equal(fs_mkdirs(at(f, "a/b"), 0755), 0);
	assert_int_equal(ut_write(at(f, "a/b/file"), "12345", 5), 0);
	assert_int_equal(symlink(at(f, "a"), at(f, "link")), 0);
	assert_int_equal(symlink(at(f, "a/b/file"), at(f, "a/b/flink")), 0);
	fd = fs_open_beneath(f->dir, "a/b/file", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 5);
	close(fd);
	fd = fs_open_beneath(f->dir, "", O_RDONLY);	/* root itself */
	assert_true(fd >= 0);
	close(fd);
	/* a link anywhere below root is not followed */
	assert_int_equal(fs_open_beneath(f->dir, "link/b/file", O_RDONLY), -1);
	assert_int_equal(fs_open_beneath(f->dir, "link", O_RDONLY | O_DIRECTORY), -1);
	assert_int_equal(fs_open_beneath(f->dir, "a/b/flink", O_RDONLY), -1);
	assert_int_equal(errno, ELOOP);
	/* the root may be a link: the operator configured it */
	fd = fs_open_beneath(at(f, "link"), "b/file", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	/* no way up or sideways */
	assert_int_equal(fs_open_beneath(f->dir, "a/../a/b/file", O_RDONLY), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fs_open_beneath(f->dir, "a//b", O_RDONLY), -1);
	assert_int_equal(fs_open_beneath(f->dir, "./a", O_RDONLY), -1);
	assert_int_equal(fs_open_beneath(f->dir, "/etc/passwd", O_RDONLY), -1);
	assert_int_equal(fs_open_beneath(at(f, "missing"), "a", O_RDONLY), -1);
}

static void test_open_regular(void **state)
{
	struct ut_dir *f = *state;
	struct stat st;
	int dfd, fd;

	assert_int_equal(ut_write(at(f, "file"), "abc", 3), 0);
	assert_int_equal(symlink(at(f, "file"), at(f, "link")), 0);
	assert_int_equal(mkfifo(at(f, "fifo"), 0644), 0);
	assert_int_equal(fs_mkdirs(at(f, "dir"), 0755), 0);
	dfd = open(f->dir, O_RDONLY | O_DIRECTORY);
	fd = fs_open_regular_at(dfd, "file", &st);
	assert_true(fd >= 0);
	assert_int_equal(st.st_size, 3);
	close(fd);
	assert_int_equal(fs_open_regular_at(dfd, "link", &st), -1);
	assert_int_equal(fs_open_regular_at(dfd, "fifo", &st), -1);	/* and no hang */
	assert_int_equal(fs_open_regular_at(dfd, "dir", &st), -1);
	assert_int_equal(fs_open_regular_at(dfd, "missing", &st), -1);
	assert_int_equal(fs_regular_at(dfd, "file", NULL), 1);
	assert_int_equal(fs_regular_at(dfd, "link", &st), 0);
	assert_int_equal(fs_regular_at(dfd, "fifo", NULL), 0);
	close(dfd);
	fd = fs_open_regular_beneath(f->dir, "file", &st);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fs_open_regular_beneath(f->dir, "link", &st), -1);
	assert_int_equal(fs_open_regular_beneath(f->dir, "fifo", &st), -1);
}

static void test_write_atomicat_replaces_a_link_not_its_target(void **state)
{
	struct ut_dir *f = *state;
	char tmp[NAME_MAX + 1], *got;
	size_t n;
	int dfd, fd;

	assert_int_equal(ut_write(at(f, "target"), "keep", 4), 0);
	assert_int_equal(fs_mkdirs(at(f, "d"), 0755), 0);
	assert_int_equal(symlink(at(f, "target"), at(f, "d/name")), 0);
	dfd = fs_open_beneath(f->dir, "d", O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(fs_write_atomicat(dfd, "name", "new", 3), 0);
	got = fs_read_small(&f->a, at(f, "target"), 100, &n);
	assert_string_equal(got, "keep");
	assert_true(ut_is_file(at(f, "d/name")));
	got = fs_read_small(&f->a, at(f, "d/name"), 100, &n);
	assert_string_equal(got, "new");
	/* tmp + commit by hand, and an abandoned temporary's name */
	fd = fs_tmp_openat(dfd, "other", tmp, sizeof(tmp));
	assert_true(fd >= 0);
	assert_non_null(strstr(tmp, "other.tmp."));
	assert_int_equal(fs_write_all(fd, "xy", 2), 0);
	assert_int_equal(fs_commitat(fd, dfd, tmp, "other"), 0);
	assert_int_equal(count_tmp(at(f, "d")), 0);
	close(dfd);
}

/* A file with an mtime age seconds ago. */
static void old_file(struct ut_dir *f, const char *rel, long age)
{
	time_t t = time(NULL) - age;
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	assert_int_equal(ut_write(at(f, rel), "x", 1), 0);
	assert_int_equal(utimensat(AT_FDCWD, at(f, rel), ts, 0), 0);
}

static void test_clean_tmp(void **state)
{
	struct ut_dir *f = *state;

	assert_int_equal(fs_mkdirs(at(f, "var/tmp/upload.tmp.9.dir"), 0755), 0);
	assert_int_equal(fs_mkdirs(at(f, "out"), 0755), 0);
	old_file(f, "var/tmp/upload.tmp.1.aa", 7200);		/* a killed upload */
	old_file(f, "var/tmp/upload.tmp.2.bb", 0);		/* one in progress */
	old_file(f, "var/tmp/notes.txt", 7200);			/* not ours */
	old_file(f, "var/tmp/fetch.tmp.3.cc", 7200);		/* another prefix */
	old_file(f, "out/upload.tmp.4.dd", 7200);
	assert_int_equal(symlink(at(f, "out/upload.tmp.4.dd"), at(f, "var/tmp/upload.tmp.5.ee")), 0);
	assert_int_equal(fs_clean_tmp(at(f, "var"), "tmp", "upload.tmp.", 3600), 1);
	assert_false(ut_is_file(at(f, "var/tmp/upload.tmp.1.aa")));
	assert_true(ut_is_file(at(f, "var/tmp/upload.tmp.2.bb")));
	assert_true(ut_is_file(at(f, "var/tmp/notes.txt")));
	assert_true(ut_is_file(at(f, "var/tmp/fetch.tmp.3.cc")));
	assert_true(ut_is_dir(at(f, "var/tmp/upload.tmp.9.dir")));
	assert_true(ut_is_file(at(f, "out/upload.tmp.4.dd")));
	assert_int_equal(fs_clean_tmp(at(f, "var"), "tmp", "upload.tmp.", 3600), 0);
	/* no prefix: every old regular file (a directory of temporaries only) */
	assert_int_equal(fs_clean_tmp(at(f, "var"), "tmp", NULL, 3600), 2);
	/* a linked directory is not followed; a missing one is nothing to do */
	assert_int_equal(symlink(at(f, "out"), at(f, "var/ltmp")), 0);
	assert_int_equal(fs_clean_tmp(at(f, "var"), "ltmp", "upload.tmp.", 0), 0);
	assert_true(ut_is_file(at(f, "out/upload.tmp.4.dd")));
	assert_int_equal(fs_clean_tmp(at(f, "var"), "nothing", "upload.tmp.", 0), 0);
	assert_int_equal(fs_clean_tmp(at(f, "var"), "../out", "upload.tmp.", 0), 0);
	assert_true(ut_is_file(at(f, "out/upload.tmp.4.dd")));
}

static const char *nth(const void *v, int i)
{
	return ((const char *const *)v)[i];
}

/* fs_common_top: the "dir/" every path starts with, else 0. */
static void test_common_top(void **state)
{
	static const char *const one_dir[] = { "pkg-1.0/a.py", "pkg-1.0/sub/b.py", "pkg-1.0/" };
	static const char *const two_dirs[] = { "pkg-1.0/a.py", "pkg-2.0/b.py" };
	static const char *const top_file[] = { "pkg-1.0/a.py", "README" };
	static const char *const prefix_only[] = { "pkg/a.py", "pkg-x/b.py" };
	static const char *const lone[] = { "app/main.py" };
	static const char *const flat[] = { "main.py" };

	(void)state;
	assert_int_equal(fs_common_top(3, nth, one_dir), 8);
	assert_int_equal(fs_common_top(2, nth, two_dirs), 0);
	assert_int_equal(fs_common_top(2, nth, top_file), 0);
	assert_int_equal(fs_common_top(2, nth, prefix_only), 0);
	assert_int_equal(fs_common_top(1, nth, lone), 4);
	assert_int_equal(fs_common_top(1, nth, flat), 0);
	assert_int_equal(fs_common_top(0, nth, NULL), 0);
}

/* fs_each_dir2's step: counts the visit, names it in ctx, closes dir. */
static int visit(void *ctx, int parent, const char *name, int dir)
{
	char *seen = ctx;

	assert_true(parent >= 0);
	strcat(seen, name);
	strcat(seen, " ");
	close(dir);
	return 1;
}

static void test_each_dir2(void **state)
{
	struct ut_dir *f = *state;
	char seen[256] = "";

	assert_int_equal(fs_each_dir2(at(f, "none"), NULL, visit, seen), 0);
	assert_int_equal(fs_mkdirs(at(f, "r/a/x"), 0755), 0);
	assert_int_equal(fs_mkdirs(at(f, "r/a/.hidden"), 0755), 0);
	assert_int_equal(fs_mkdirs(at(f, "r/.b/y"), 0755), 0);
	assert_int_equal(fs_mkdirs(at(f, "elsewhere/z"), 0755), 0);
	assert_int_equal(fs_mkdirs(at(f, "r/c"), 0755), 0);
	assert_int_equal(fs_write_atomic(at(f, "r/c/file"), "x", 1), 0);
	/* links are never followed, at either level */
	assert_int_equal(symlink(at(f, "elsewhere"), at(f, "r/l")), 0);
	assert_int_equal(symlink(at(f, "elsewhere/z"), at(f, "r/a/lz")), 0);
	assert_int_equal(fs_each_dir2(at(f, "r"), NULL, visit, seen), 1);
	assert_string_equal(seen, "x ");
	seen[0] = '\0';
	assert_int_equal(fs_mkdirs(at(f, "r/c/x"), 0755), 0);
	assert_int_equal(fs_mkdirs(at(f, "r/c/w"), 0755), 0);
	assert_int_equal(fs_each_dir2(at(f, "r"), "x", visit, seen), 2);
	assert_string_equal(seen, "x x ");
}

/* fs_each2's step: removes the entry, whatever it is but a directory. */
static int unlink_step(void *ctx, int parent, const char *name)
{
	(void)ctx;
	return unlinkat(parent, name, 0) == 0;
}

/* fs_each2 hands over every entry two levels down without opening it
 * (files and links too), but never one behind a link of the first level
 * nor one whose name starts with '.'. */
static void test_each2(void **state)
{
	struct ut_dir *f = *state;

	assert_int_equal(fs_each2(at(f, "none"), unlink_step, NULL), 0);
	assert_int_equal(fs_mkdirs(at(f, "r/a"), 0755), 0);
	assert_int_equal(fs_mkdirs(at(f, "r/.b"), 0755), 0);
	assert_int_equal(fs_mkdirs(at(f, "elsewhere"), 0755), 0);
	assert_int_equal(ut_write(at(f, "r/a/file"), "x", 1), 0);
	assert_int_equal(ut_write(at(f, "r/a/.keep"), "x", 1), 0);
	assert_int_equal(ut_write(at(f, "r/.b/file"), "x", 1), 0);
	assert_int_equal(ut_write(at(f, "elsewhere/file"), "x", 1), 0);
	assert_int_equal(symlink(at(f, "elsewhere/file"), at(f, "r/a/link")), 0);
	assert_int_equal(symlink(at(f, "elsewhere"), at(f, "r/l")), 0);
	assert_int_equal(fs_each2(at(f, "r"), unlink_step, NULL), 2);
	assert_false(ut_is_file(at(f, "r/a/file")));
	assert_int_equal(access(at(f, "r/a/link"), F_OK), -1);
	assert_true(ut_is_file(at(f, "elsewhere/file")));	/* the link's target */
	assert_true(ut_is_file(at(f, "r/a/.keep")));
	assert_true(ut_is_file(at(f, "r/.b/file")));
}

static void test_symlink_atomic(void **state)
{
	struct ut_dir *f = *state;
	char got[64];
	ssize_t n;

	assert_int_equal(fs_symlink_atomic("one", at(f, "l")), 0);
	assert_int_equal(fs_symlink_atomic("two", at(f, "l")), 0);	/* replaced */
	n = readlink(at(f, "l"), got, sizeof(got) - 1);
	assert_int_equal(n, 3);
	got[n] = '\0';
	assert_string_equal(got, "two");
	assert_int_equal(count_tmp(f->dir), 0);
	assert_int_equal(fs_symlink_atomic("x", at(f, "missing/l")), -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_dir_setup, ut_dir_teardown)
	const struct CMUnitTest tests[] = {
		T(test_common_top),
		T(test_open_beneath),
		T(test_open_regular),
		T(test_write_atomicat_replaces_a_link_not_its_target),
		T(test_clean_tmp),
		T(test_mkdirs_nested),
		T(test_mkdirs_failures),
		T(test_mkdirs_existing_file_is_not_a_dir),
		T(test_write_atomic),
		T(test_write_atomic_binary_large),
		T(test_write_atomic_missing_dir),
		T(test_write_atomic_onto_directory_fails_cleanly),
		T(test_tmp_open_and_commit),
		T(test_commit_sync_failure_closes),
		T(test_read_small),
		T(test_read_small_empty_missing_dir),
		T(test_dirname),
		T(test_each2),
		T(test_each_dir2),
		T(test_symlink_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
