#include "blob.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int blob_store_open(struct blob_store *bs, const char *dir)
{
	char tmp[PATH_MAX];

	if ((size_t)snprintf(bs->dir, sizeof(bs->dir), "%s", dir) >= sizeof(bs->dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp", bs->dir);
	return fs_mkdirs(tmp, 0755);
}

int blob_writer_open(const struct blob_store *bs, struct blob_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->bs = bs;
	w->fd = -1;
	w->tmpdir = fs_open_beneath(bs->dir, "tmp", O_RDONLY | O_DIRECTORY);
	if (w->tmpdir < 0)
		return -1;
	w->fd = fs_tmp_openat(w->tmpdir, "blob", w->tmp, sizeof(w->tmp));
	if (w->fd < 0 || hash_init(&w->sha, HASH_SHA256) < 0) {
		blob_writer_abort(w);
		return -1;
	}
	return 0;
}

int blob_writer_write(struct blob_writer *w, const void *p, size_t n)
{
	if (fs_write_all(w->fd, p, n) < 0)
		return -1;
	hash_update(&w->sha, p, n);
	w->size += n;
	return 0;
}

void blob_writer_abort(struct blob_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		unlinkat(w->tmpdir, w->tmp, 0);
	}
	if (w->tmpdir >= 0)
		close(w->tmpdir);
	w->fd = w->tmpdir = -1;
	hash_free(&w->sha);
}

int blob_path(const struct blob_store *bs, const char *hex, char *out, size_t n)
{
	if (!hash_is_hex(hex, 64))
		return -1;
	if ((size_t)snprintf(out, n, "%s/%.2s/%s", bs->dir, hex, hex) >= n)
		return -1;
	return 0;
}

/* Moves the finished temp file to <dir>/<2 hex>/<hex>, creating the
 * fan-out directory, never through a link. */
static int publish(struct blob_writer *w, const char *hex)
{
	char dir[PATH_MAX], sub[3] = { hex[0], hex[1], '\0' };
	int fd = w->fd, dfd, rc = -1, e;

	snprintf(dir, sizeof(dir), "%s/%s", w->bs->dir, sub);
	w->fd = -1;
	if (fs_mkdirs(dir, 0755) < 0 || (dfd = fs_open_beneath(w->bs->dir, sub, O_RDONLY | O_DIRECTORY)) < 0) {
		e = errno;
		close(fd);
		unlinkat(w->tmpdir, w->tmp, 0);
		errno = e;
		return -1;
	}
	/* same content, same name: replacing an existing blob is harmless */
	if (fsync(fd) == 0 && close(fd) == 0 && renameat(w->tmpdir, w->tmp, dfd, hex) == 0)
		rc = fsync(dfd);
	else {
		e = errno;
		unlinkat(w->tmpdir, w->tmp, 0);
		errno = e;
	}
	close(dfd);
	return rc;
}

int blob_writer_commit(struct blob_writer *w, const char *expect, char *hex)
{
	int rc;

	hash_final_hex(&w->sha, hex);
	if (expect && strcmp(expect, hex) != 0) {
		blob_writer_abort(w);
		errno = EBADMSG;
		return -1;
	}
	rc = publish(w, hex);
	blob_writer_abort(w);	/* closes tmpdir; the temp file is gone already */
	return rc;
}

/* The fan-out directory of a blob, opened without following links. */
static int sub_open(const struct blob_store *bs, const char *hex)
{
	char sub[3];

	if (!hash_is_hex(hex, 64)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sub, hex, 2);
	sub[2] = '\0';
	return fs_open_beneath(bs->dir, sub, O_RDONLY | O_DIRECTORY);
}

int blob_exists(const struct blob_store *bs, const char *hex)
{
	int dfd = sub_open(bs, hex), rc;

	if (dfd < 0)
		return 0;
	rc = fs_regular_at(dfd, hex, NULL);
	close(dfd);
	return rc;
}

int blob_remove(const struct blob_store *bs, const char *hex)
{
	int dfd = sub_open(bs, hex), rc, e;

	if (dfd < 0)
		return -1;
	if (!fs_regular_at(dfd, hex, NULL)) {
		close(dfd);
		errno = ENOENT;
		return -1;
	}
	rc = unlinkat(dfd, hex, 0);
	e = errno;
	close(dfd);
	errno = e;
	return rc;
}

/* Calls fn for every blob in one fan-out directory. */
static int foreach_sub(const struct blob_store *bs, const char *sub,
		       int (*fn)(void *ctx, const char *hex, uint64_t size, long mtime),
		       void *ctx)
{
	int dfd = fs_open_beneath(bs->dir, sub, O_RDONLY | O_DIRECTORY), rc = 0;
	struct dirent *e;
	DIR *d;

	if (dfd < 0)
		return 0;	/* a link or a file in its place: no blobs there */
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return 0;
	}
	while (rc == 0 && (e = readdir(d))) {
		struct stat st;
		if (hash_is_hex(e->d_name, 64) && !strncmp(e->d_name, sub, 2) &&
		    fs_regular_at(dfd, e->d_name, &st))
			rc = fn(ctx, e->d_name, (uint64_t)st.st_size, (long)st.st_mtime);
	}
	closedir(d);
	return rc;
}

int blob_foreach(const struct blob_store *bs,
		 int (*fn)(void *ctx, const char *hex, uint64_t size, long mtime),
		 void *ctx)
{
	DIR *top = opendir(bs->dir);
	struct dirent *d;
	int rc = 0;

	if (!top)
		return -1;
	while (rc == 0 && (d = readdir(top)))
		if (strlen(d->d_name) == 2 && hash_is_hex(d->d_name, 2))
			rc = foreach_sub(bs, d->d_name, fn, ctx);
	closedir(top);
	return rc;
}

int blob_clean_tmp(const struct blob_store *bs, long max_age)
{
	/* tmp/ holds only temporaries: blobs being written, fetches, compiles */
	return fs_clean_tmp(bs->dir, "tmp", NULL, max_age);
}
