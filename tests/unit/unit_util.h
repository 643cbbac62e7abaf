/*
 * unit_util.h - small helpers shared by the cmocka unit tests: temporary
 * directories (mkdtemp, removed recursively), whole-file read and write,
 * directory entry counting, and the fixture of a test of file code (a
 * fresh directory and an arena).  Everything is static inline so a test
 * that uses only part of it still compiles warning-free.
 */
#ifndef NB_UNIT_UTIL_H
#define NB_UNIT_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/lib/arena.h"

/* A fresh directory under $TMPDIR (or /tmp); aborts the test run on failure. */
static inline char *ut_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&p, "%s/nb-unit-XXXXXX", base) < 0 || !mkdtemp(p)) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

static inline int ut_rm_one(const char *p, const struct stat *st, int flag,
			    struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

/* rm -rf path; then frees it. */
static inline void ut_rmtree(char *path)
{
	if (path) {
		nftw(path, ut_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(path);
	}
}

static inline int ut_write(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The whole file, malloc'd and NUL-terminated; NULL when unreadable. */
static inline char *ut_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *np = realloc(p, cap = cap ? cap * 2 : 8192);
			if (!np) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = np;
		}
		r = fread(p + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

/* Entries of a directory other than "." and ".."; -1 when it cannot be read. */
static inline int ut_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static inline int ut_is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static inline int ut_is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The fixture of a test of file code: a fresh directory and an arena. */
struct ut_dir {
	char *dir;		/* removed with all it holds by ut_dir_teardown */
	struct arena a;
};

/* A cmocka setup: *state a new ut_dir. */
static inline int ut_dir_setup(void **state)
{
	struct ut_dir *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return -1;
	f->dir = ut_mkdtemp();
	arena_init(&f->a);
	return 0;
}

/* The cmocka teardown of ut_dir_setup (or of a fixture that starts with
 * a struct ut_dir and was calloc'd whole). */
static inline int ut_dir_teardown(void **state)
{
	struct ut_dir *f = *state;

	ut_rmtree(f->dir);
	arena_free(&f->a);
	free(f);
	return 0;
}

#endif
