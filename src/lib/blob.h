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
 * Two backends, chosen in the configuration (blob.backend):
 *  - fs (the default): the blobs are files below <dir>, as above;
 *  - s3: the blobs are objects <prefix>/<hex> in an S3-compatible bucket
 *    (s3.h), so a CDN can front them by name.  <dir>/tmp stays the local
 *    spool a writer streams into: the bytes are hash-checked there and
 *    only then uploaded to their final key, and commit returns 0 only
 *    after the store acknowledged them.  A crash before that leaves a
 *    temporary file that blob_clean_tmp removes, never a wrong object.
 * Downloads go through blob_send: X-Sendfile or a streamed file (fs), a
 * presigned redirect or a streamed proxy with Range (s3).
 *
 * Below <dir> no symbolic link is followed (fs.h's fs_open_beneath): a
 * link in place of tmp/, a fan-out directory or a blob is no blob, and
 * nothing is written, listed or removed through it.
 */
#ifndef NB_BLOB_H
#define NB_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#include "arena.h"
#include "err.h"
#include "hash.h"
#include "http.h"
#include "s3.h"

enum blob_backend { BLOB_FS, BLOB_S3 };

struct blob_store {
	char dir[PATH_MAX - 80];	/* fs: the blobs; s3: the spool tmp/ only */
	enum blob_backend backend;
	struct s3_conf s3;		/* s3: where the objects are */
	char prefix[256];		/* s3: key prefix, "" or without a trailing '/' */
	int presign;			/* s3: blob_send may redirect (see there) */
	long presign_ttl;		/* seconds a presigned URL is valid */
};

struct blob_writer {
	const struct blob_store *bs;
	int fd, tmpdir;			/* the temp file and <dir>/tmp */
	char tmp[NAME_MAX + 1];		/* the temp file's name in tmpdir */
	struct hash_ctx sha;
	uint64_t size;
};

/* The filesystem store below dir (created with its tmp/); 0 or -1. */
int blob_store_open(struct blob_store *bs, const char *dir);
/*
 * Switches an opened store to the S3 backend: objects <prefix>/<hex> in
 * c's bucket (prefix "" puts them at the bucket's top), <dir>/tmp stays
 * the spool.  presign_ttl 0 turns presigned redirects off.  0, or -1 with
 * errno EINVAL when a setting is missing or too long.
 */
int blob_store_use_s3(struct blob_store *bs, const struct s3_conf *c, const char *prefix,
		      long presign_ttl);
/*
 * The blob.* settings past blob.dir, as app_settings_read (app_settings.c)
 * fills them once at start: what blob_store_configure applies to an
 * opened store and nestboxctl blobs migrate reaches a bucket with.
 */
struct blob_settings {
	char backend[16];		/* blob.backend: "fs" or "s3" */
	struct s3_conf s3;		/* blob.s3_endpoint, _bucket, _region,
					 * _access_key, _secret_key, _part_size,
					 * _timeout */
	char prefix[256];		/* blob.s3_prefix, as given */
	int presign;			/* blob.s3_presign */
	long presign_ttl;		/* blob.s3_presign_ttl, seconds */
	const char *too_long;		/* the first key whose value did not fit
					 * its field (never cut), or NULL */
};
/*
 * Applies s to an opened store: backend "fs" leaves it, "s3" checks the
 * s3 settings and switches it (blob_store_use_s3; presign_ttl only when
 * presign).  0, or -1 with e NB_INVALID naming the bad key and its rule.
 */
struct nb_err;
int blob_store_configure(struct blob_store *bs, const struct blob_settings *s,
			 struct nb_err *e);
/* The object key of a blob: "<prefix>/<hex>" (or "<hex>"); 0, or -1 for a
 * bad name or a short out. */
int blob_key(const struct blob_store *bs, const char *hex, char *out, size_t n);
int blob_writer_open(const struct blob_store *bs, struct blob_writer *w);
int blob_writer_write(struct blob_writer *w, const void *p, size_t n);
/*
 * Finishes the blob.  When expect is non-NULL the content must hash to it,
 * else the blob is discarded and -1 returned with errno EBADMSG.
 * hex receives the name (HASH_HEX_MAX bytes).
 */
int blob_writer_commit(struct blob_writer *w, const char *expect, char *hex);
void blob_writer_abort(struct blob_writer *w);

/* Path of a blob (whether or not it exists); 0, or -1 for a bad name and
 * for a store that has no local files (s3): use blob_send / blob_read. */
int blob_path(const struct blob_store *bs, const char *hex, char *out, size_t n);
/* 1 when the blob is a regular file (not a link) or an object, else 0. */
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

/*
 * Answers r with the blob (ctype its Content-Type).  Returns 0, or -1
 * with e (w untouched): NB_NOT_FOUND saying not_found when there is no
 * such blob, NB_UNAVAILABLE when the store cannot say (a device retries).
 * fs: http_file, so
 * X-Sendfile when xsendfile, else streamed with Range.  s3: when the store
 * presigns and redirect_ok (only for clients that follow a redirect:
 * SWUpdate, RAUC, pip), 302 to a presigned URL; otherwise the bytes are
 * proxied from the store as they come (a HEAD for the size, one ranged
 * GET), with Range and HEAD answered as http_file does.
 */
int blob_send(const struct blob_store *bs, struct http_req *r, struct http_resp *w,
	      const char *hex, const char *ctype, int xsendfile, int redirect_ok,
	      const char *not_found, struct nb_err *e);
/* A whole small blob (at most max bytes) in a, NUL-terminated; NULL when
 * missing, larger, or unreadable.  *n its length. */
char *blob_read(const struct blob_store *bs, struct arena *a, const char *hex, size_t max,
		size_t *n);
/*
 * Copies a blob from the fs store `from` into the s3 store `to`, checking
 * its sha256 on the way: 0, 1 when `to` already held it with the same size
 * (nothing sent), -1 with errno (EBADMSG: the file does not hash to its
 * name; ENOENT; EIO: the store refused).  For `nestboxctl blobs migrate`.
 */
int blob_copy(const struct blob_store *from, const struct blob_store *to, const char *hex);
/* Reads the whole blob back and hashes it: 0 when it matches its name,
 * 1 when not, -1 when it cannot be read. */
int blob_verify(const struct blob_store *bs, const char *hex);

#endif
