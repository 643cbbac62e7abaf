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
	char base[PATH_MAX];

	memset(w, 0, sizeof(*w));
	w->bs = bs;
	w->fd = -1;
	snprintf(base, sizeof(base), "%s/tmp/blob", bs->dir);
	w->fd = fs_tmp_open(base, w->tmp, sizeof(w->tmp));
	if (w->fd < 0)
		return -1;
	if (hash_init(&w->sha, HASH_SHA256) < 0) {
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
		unlink(w->tmp);
	}
	w->fd = -1;
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

int blob_writer_commit(struct blob_writer *w, const char *expect, char *hex)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int fd = w->fd;

	hash_final_hex(&w->sha, hex);
	if (expect && strcmp(expect, hex) != 0) {
		blob_writer_abort(w);
		errno = EBADMSG;
		return -1;
	}
	blob_path(w->bs, hex, path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s/%.2s", w->bs->dir, hex);
	if (fs_mkdirs(dir, 0755) < 0) {
		blob_writer_abort(w);
		return -1;
	}
	w->fd = -1;
	/* same content, same name: replacing an existing blob is harmless */
	if (fs_commit(fd, w->tmp, path) < 0)
		return -1;
	return 0;
}

int blob_exists(const struct blob_store *bs, const char *hex)
{
	char path[PATH_MAX];
	struct stat st;

	return blob_path(bs, hex, path, sizeof(path)) == 0 && stat(path, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

int blob_remove(const struct blob_store *bs, const char *hex)
{
	char path[PATH_MAX];

	if (blob_path(bs, hex, path, sizeof(path)) < 0) {
		errno = EINVAL;
		return -1;
	}
	return unlink(path);
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
	while (rc == 0 && (d = readdir(top))) {
		char sub[PATH_MAX];
		DIR *sd;
		struct dirent *e;

		if (strlen(d->d_name) != 2 || !hash_is_hex(d->d_name, 2))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", bs->dir, d->d_name);
		sd = opendir(sub);
		if (!sd)
			continue;
		while (rc == 0 && (e = readdir(sd))) {
			char p[PATH_MAX];
			struct stat st;
			if (!hash_is_hex(e->d_name, 64))
				continue;
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", sub, e->d_name) < sizeof(p) &&
			    stat(p, &st) == 0)
				rc = fn(ctx, e->d_name, (uint64_t)st.st_size, (long)st.st_mtime);
		}
		closedir(sd);
	}
	closedir(top);
	return rc;
}

int blob_clean_tmp(const struct blob_store *bs, long max_age)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *e;
	time_t now = time(NULL);
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/tmp", bs->dir);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) < sizeof(p) &&
		    stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime >= max_age && unlink(p) == 0)
			n++;
	}
	closedir(d);
	return n;
}
