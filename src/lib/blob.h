/*
 * blob.h - the content-addressed blob store.
 *
 * A blob is named by the sha256 of its bytes and lives at
 * <dir>/<first two hex>/<hex>.  Writers stream into <dir>/tmp/, and only a
 * complete, fsynced, hash-checked file is renamed into place: a crash never
 * leaves a partial blob visible, and a database row written after commit
 * never points at a missing file.  Everything outside this file sees only
 * this interface, so an S3-compatible store can replace it.
 *
 * Below <dir> no symbolic link is followed (fsutil.h's fs_open_beneath): a
 * link in place of tmp/, a fan-out directory or a blob is no blob, and
 * nothing is written, listed or removed through it.
 */
#ifndef NB_BLOB_H
#define NB_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#include "hash.h"

struct blob_store {
	char dir[PATH_MAX - 80];
};

struct blob_writer {
	const struct blob_store *bs;
	int fd, tmpdir;			/* the temp file and <dir>/tmp */
	char tmp[NAME_MAX + 1];		/* the temp file's name in tmpdir */
	struct hash_ctx sha;
	uint64_t size;
};

int blob_store_open(struct blob_store *bs, const char *dir);
int blob_writer_open(const struct blob_store *bs, struct blob_writer *w);
int blob_writer_write(struct blob_writer *w, const void *p, size_t n);
/*
 * Finishes the blob.  When expect is non-NULL the content must hash to it,
 * else the blob is discarded and -1 returned with errno EBADMSG.
 * hex receives the name (HASH_HEX_MAX bytes).
 */
int blob_writer_commit(struct blob_writer *w, const char *expect, char *hex);
void blob_writer_abort(struct blob_writer *w);

/* Path of a blob (whether or not it exists); 0, or -1 for a bad name. */
int blob_path(const struct blob_store *bs, const char *hex, char *out, size_t n);
/* 1 when the blob is a regular file (not a link), else 0. */
int blob_exists(const struct blob_store *bs, const char *hex);
/* Removes a blob; -1 with errno (EINVAL for a bad name, ENOENT, ELOOP). */
int blob_remove(const struct blob_store *bs, const char *hex);
/* Calls fn for every blob (regular files only; returns fn's non-zero value,
 * 0, or -1 when the store cannot be read); stops early when fn returns
 * non-zero. */
int blob_foreach(const struct blob_store *bs,
		 int (*fn)(void *ctx, const char *hex, uint64_t size, long mtime),
		 void *ctx);
/* Removes the regular files in <dir>/tmp (temporaries only) older than
 * max_age seconds; returns how many. */
int blob_clean_tmp(const struct blob_store *bs, long max_age);

#endif
