/*
 * The static tree the front end answers mkbox devices from, so that an
 * update check or /list costs a static file instead of a FastCGI round
 * trip (issue 15).  <var_dir>/mkbox-static holds:
 *
 *   images             a link to image_path (the front end reads the
 *                      pipeline's .img.buildID through it)
 *   empty.tar          the no-update answer: 10240 zero bytes
 *   tar/<box>/<image>/<buildID>/<key>.tar
 *                      a link to the build's update tar in the blob store;
 *                      key = "<zst size>-<zst mtime>-<sha size>-<sha mtime>-
 *                      <buildID size>-<buildID mtime>", mtimes in
 *                      microseconds since the epoch
 *   list.key, list-<sha256>.txt
 *                      the /list body and, in list.key, its file name then
 *                      one "<mtime µs> <dir>" line per directory it was read
 *                      under ("." the image directory, then each box)
 *
 * The front end (etc/nestbox_static.lua) reads the buildID text and stats
 * the three files on every request and sends a file only when the entry
 * of exactly that state exists, so the image directory stays the source
 * of truth: a build the pipeline rewrites, replaces or deletes misses the
 * tree and is answered by the program, which adds the new entry.  Entries
 * are caches: none is fsynced but the list (whose key names its body),
 * and a lost one is a miss.
 */
#include "mkbox.h"
#include "../lib/fsutil.h"
#include "../lib/tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define STATIC_DIR "mkbox-static"
/* room for a file name after the tree's directory */
#define DIR_MAX (PATH_MAX - 160)

static long long usec(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000 + t->tv_nsec / 1000;
}

int mkbox_static_id_ok(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > MKBOX_BUILD_ID_MAX || id[0] == '.' || id[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '~'))
			return 0;
	}
	return 1;
}

/* A name the front end also accepts in a URL: mkbox_name_ok without '+'
 * (a '+' may mean a space to one front end and not to the other). */
static int url_name_ok(const char *s)
{
	return mkbox_name_ok(s) && !strchr(s, '+');
}

/* Replaces path with a symbolic link to target (a temporary link renamed
 * over, so a reader sees the old link or the new one). */
static int link_atomic(const char *target, const char *path)
{
	char tmp[PATH_MAX];
	unsigned int r = 0;

	if (getrandom(&r, sizeof(r), 0) < 0)
		r = (unsigned int)getpid();
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%08x", path, (long)getpid(), r) >=
	    sizeof(tmp))
		return -1;
	if (symlink(target, tmp) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* The image directory as an absolute path (the link must not depend on
 * the front end's working directory). */
static int abs_path(const char *p, char *out, size_t n)
{
	char cwd[PATH_MAX];

	if (p[0] == '/')
		return (size_t)snprintf(out, n, "%s", p) < n ? 0 : -1;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	return (size_t)snprintf(out, n, "%s/%s", cwd, p) < n ? 0 : -1;
}

int mkbox_static_prepare(const char *var_dir, const char *image_path)
{
	char dir[DIR_MAX], p[PATH_MAX], target[PATH_MAX], have[PATH_MAX];
	static const char empty[TAR_RECORD];
	struct stat st;
	ssize_t n;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/" STATIC_DIR, var_dir) >= sizeof(dir) ||
	    fs_mkdirs(dir, 0755) < 0 || abs_path(image_path, target, sizeof(target)) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/images", dir);
	n = readlink(p, have, sizeof(have) - 1);
	if (n < 0 || (size_t)n != strlen(target) || memcmp(have, target, (size_t)n))
		if (link_atomic(target, p) < 0)
			return -1;
	snprintf(p, sizeof(p), "%s/empty.tar", dir);
	if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == TAR_RECORD)
		return 0;
	return fs_write_atomic(p, empty, sizeof(empty));
}

/* "<size>-<mtime>" of the three files: what the front end compares. */
static void build_key(const struct mkbox_build *b, char *out, size_t n)
{
	snprintf(out, n, "%lld-%lld-%lld-%lld-%lld-%lld",
		 (long long)b->zst_st.st_size, usec(&b->zst_st.st_mtim),
		 (long long)b->sha_st.st_size, usec(&b->sha_st.st_mtim),
		 (long long)b->bid_st.st_size, usec(&b->bid_st.st_mtim));
}

int mkbox_static_put(const char *var_dir, const char *box, const char *image,
		     const struct mkbox_build *b, const char *blob)
{
	char dir[PATH_MAX], p[PATH_MAX], key[160], target[PATH_MAX];
	struct stat st;

	if (abs_path(blob, target, sizeof(target)) < 0)
		return -1;
	if (!url_name_ok(box) || !url_name_ok(image) || !mkbox_static_id_ok(b->build_id)) {
		errno = EINVAL;
		return -1;
	}
	build_key(b, key, sizeof(key));
	if ((size_t)snprintf(dir, sizeof(dir), "%s/" STATIC_DIR "/tar/%s/%s/%s", var_dir, box,
			     image, b->build_id) >= sizeof(dir) ||
	    (size_t)snprintf(p, sizeof(p), "%s/%s.tar", dir, key) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (stat(p, &st) == 0)
		return 0;	/* already there (stat: a dangling link is redone) */
	if (fs_mkdirs(dir, 0755) < 0)
		return -1;
	return link_atomic(target, p);
}

/* The body's file name: its sha256, so a reader of an older list.key
 * never finds a newer body under the name it read. */
static void body_name(const char *body, size_t len, char *out, size_t n)
{
	struct hash_ctx h;
	char hex[HASH_HEX_MAX];

	hash_init(&h, HASH_SHA256);
	hash_update(&h, body, len);
	hash_final_hex(&h, hex);
	snprintf(out, n, "list-%s.txt", hex);
}

/* The body named by an existing list.key, to remove once replaced. */
static void old_body(const char *dir, char *out, size_t n)
{
	char p[PATH_MAX], line[128];
	FILE *f;

	if (strlen(dir) >= DIR_MAX)
		return;

	out[0] = '\0';
	snprintf(p, sizeof(p), "%s/list.key", dir);
	if (!(f = fopen(p, "re")))
		return;
	if (fgets(line, sizeof(line), f) && strncmp(line, "list-", 5) == 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!strchr(line, '/'))
			snprintf(out, n, "%s", line);
	}
	fclose(f);
}

int mkbox_static_list_put(const char *var_dir, const char *body, size_t len,
			  const struct timespec *top, const struct mkbox_dirstamp *box,
			  size_t nbox)
{
	char dir[DIR_MAX], p[PATH_MAX], name[96], old[128];
	struct arena a;
	struct buf key;
	size_t i;
	int rc;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/" STATIC_DIR, var_dir) >= sizeof(dir))
		return -1;
	/* list.key is one directory a line: a name with a newline stays dynamic */
	for (i = 0; i < nbox; i++)
		if (strpbrk(box[i].name, "\n\r")) {
			errno = EINVAL;
			return -1;
		}
	body_name(body, len, name, sizeof(name));
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (fs_write_atomic(p, body, len) < 0)
		return -1;
	arena_init(&a);
	buf_init(&key, &a);
	buf_printf(&key, "%s\n%lld .\n", name, usec(top));
	for (i = 0; i < nbox; i++)
		buf_printf(&key, "%lld %s\n", usec(&box[i].mtime), box[i].name);
	old_body(dir, old, sizeof(old));
	snprintf(p, sizeof(p), "%s/list.key", dir);
	rc = fs_write_atomic(p, key.p, key.len);
	arena_free(&a);
	if (rc == 0 && old[0] && strcmp(old, name)) {
		snprintf(p, sizeof(p), "%s/%s", dir, old);
		unlink(p);
	}
	return rc;
}

/* Removes the entries of dir (an open <buildID> directory of the tree)
 * but keep (NULL: all); returns how many. */
static int prune_keys(int dfd, const char *keep)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int n = 0;

	if (!d) {
		close(dfd);
		return 0;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && !(keep && strcmp(e->d_name, keep) == 0) &&
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	closedir(d);
	return n;
}

/* Prunes tar/<box>/<image>: every buildID directory but the current
 * build's, and in that one every key but the current. */
static int prune_image(const char *tree, const char *image_path, const char *box,
		       const char *image)
{
	char rel[2 * NAME_MAX + 8], key[160], keep[200];
	struct mkbox_build b;
	struct dirent *e;
	int cur = mkbox_build_find(image_path, box, image, &b) == 0, n = 0, dfd;
	DIR *d;

	if (cur) {
		build_key(&b, key, sizeof(key));
		snprintf(keep, sizeof(keep), "%s.tar", key);
	}
	snprintf(rel, sizeof(rel), "%s/%s", box, image);
	if ((dfd = fs_open_beneath(tree, rel, O_RDONLY | O_DIRECTORY)) < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while ((e = readdir(d))) {
		int sub;
		if (e->d_name[0] == '.' ||
		    (sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0)
			continue;
		n += prune_keys(sub, cur && strcmp(e->d_name, b.build_id) == 0 ? keep : NULL);
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);	/* only when emptied */
	}
	closedir(d);
	return n;
}

/* Calls prune_image for each <box>/<image> of the tree's tar/. */
static int prune_box(const char *tree, const char *image_path, const char *box)
{
	int dfd = fs_open_beneath(tree, box, O_RDONLY | O_DIRECTORY), n = 0;
	struct dirent *e;
	DIR *d;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			n += prune_image(tree, image_path, box, e->d_name);
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
		}
	closedir(d);
	return n;
}

int mkbox_static_prune(const char *var_dir, const char *image_path)
{
	char tree[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if ((size_t)snprintf(tree, sizeof(tree), "%s/" STATIC_DIR "/tar", var_dir) >= sizeof(tree))
		return -1;
	if (!(d = opendir(tree)))
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			n += prune_box(tree, image_path, e->d_name);
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
		}
	closedir(d);
	return n;
}
