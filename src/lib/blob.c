#include "blob.h"
#include "err.h"
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int blob_store_open(struct blob_store *bs, const char *dir)
{
	char tmp[PATH_MAX];

	memset(bs, 0, sizeof(*bs));
	bs->backend = BLOB_FS;
	if ((size_t)snprintf(bs->dir, sizeof(bs->dir), "%s", dir) >= sizeof(bs->dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp", bs->dir);
	return fs_mkdirs(tmp, 0755);
}

#define COPY(dst, src) ((size_t)snprintf((dst), sizeof(dst), "%s", (src)) < sizeof(dst))

int blob_store_use_s3(struct blob_store *bs, const struct s3_conf *c, const char *prefix,
		      long presign_ttl)
{
	size_t n;

	if (!*c->endpoint || !*c->bucket || !*c->region || !COPY(bs->prefix, prefix) ||
	    presign_ttl < 0 || presign_ttl > 604800) {
		errno = EINVAL;
		return -1;
	}
	/* "blobs/", "/blobs" and "blobs" name the same keys */
	while ((n = strlen(bs->prefix)) > 0 && bs->prefix[n - 1] == '/')
		bs->prefix[n - 1] = '\0';
	if (bs->prefix[0] == '/')
		memmove(bs->prefix, bs->prefix + 1, strlen(bs->prefix));
	bs->s3 = *c;
	bs->backend = BLOB_S3;
	bs->presign = presign_ttl > 0;
	bs->presign_ttl = presign_ttl;
	return 0;
}

int blob_store_configure(struct blob_store *bs, const struct blob_settings *s,
			 struct nb_err *e)
{
	const struct s3_conf *c = &s->s3;
	long ttl = s->presign ? s->presign_ttl : 0;

	if (!strcmp(s->backend, "fs"))
		return 0;
	if (strcmp(s->backend, "s3"))
		return nb_fail(e, NB_INVALID, "blob.backend: \"%s\" is neither fs nor s3", s->backend);
	if (s->too_long)
		return nb_fail(e, NB_INVALID, "%s: the value is too long", s->too_long);
	if (c->part_size < S3_PART_MIN || c->timeout < 1 ||
	    (s->presign && (ttl < 1 || ttl > 604800)) ||
	    strncmp(c->endpoint, "http", 4) || !strstr(c->endpoint, "://") ||
	    strchr(strstr(c->endpoint, "://") + 3, '/')) {
		return nb_fail(e, NB_INVALID, "blob.s3_*: the endpoint must be http(s)://host[:port] without a"
			 " path, s3_part_size at least %llu, s3_timeout at least 1, s3_presign_ttl"
			 " 1..604800", (unsigned long long)S3_PART_MIN);
	}
	if (blob_store_use_s3(bs, c, s->prefix, ttl) < 0) {
		return nb_fail(e, NB_INVALID, "blob.backend s3 needs blob.s3_endpoint, blob.s3_bucket and"
			 " blob.s3_region");
	}
	return 0;
}

int blob_key(const struct blob_store *bs, const char *hex, char *out, size_t n)
{
	if (!hash_is_hex(hex, 64))
		return -1;
	if ((size_t)snprintf(out, n, "%s%s%s", bs->prefix, *bs->prefix ? "/" : "", hex) >= n)
		return -1;
	return 0;
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
	if (bs->backend != BLOB_FS || !hash_is_hex(hex, 64))
		return -1;
	if ((size_t)snprintf(out, n, "%s/%.2s/%s", bs->dir, hex, hex) >= n)
		return -1;
	return 0;
}

/* Moves the finished temp file to <dir>/<2 hex>/<hex>, creating the
 * fan-out directory, never through a link.  A fan-out directory made here
 * is itself an entry of <dir>: <dir> is fsynced too, or a crash could
 * lose the directory and the blob in it. */
static int publish(struct blob_writer *w, const char *hex)
{
	char dir[PATH_MAX], sub[3] = { hex[0], hex[1], '\0' };
	int fd = w->fd, dfd = -1, rc = -1, e, made;

	snprintf(dir, sizeof(dir), "%s/%s", w->bs->dir, sub);
	w->fd = -1;
	made = mkdir(dir, 0755) == 0;
	if ((!made && errno != EEXIST) ||
	    (dfd = fs_open_beneath(w->bs->dir, sub, O_RDONLY | O_DIRECTORY)) < 0) {
		e = errno;
		close(fd);
		unlinkat(w->tmpdir, w->tmp, 0);
		errno = e;
		return -1;
	}
	/*
	 * The descriptor is closed whatever fsync says (a failed fsync must
	 * not leave it open in a long-lived program), and nothing is renamed
	 * into place unless its bytes are on disk.  Same content, same name:
	 * replacing an existing blob is harmless.
	 */
	if (fs_commit_into(fd, w->tmpdir, w->tmp, dfd, hex) == 0 &&
	    (!made || fs_fsync_dir(w->bs->dir) == 0))
		rc = 0;
	e = errno;
	close(dfd);
	errno = e;
	return rc;
}

/*
 * Uploads the finished temp file to its key, then removes it.  Spooled
 * first, not streamed part by part as it arrives: the key is the sha256,
 * known only at the end, and an object cannot be renamed (a copy costs as
 * much as the upload), so the bytes go up once, to their final name, after
 * the hash check; a client that stops mid-upload costs the store nothing.
 * An object already there with the same size is the same content.
 */
static int publish_s3(struct blob_writer *w, const char *hex)
{
	char key[512];
	struct s3_err e = { 0, "bad name" };
	uint64_t have = 0;
	int rc = -1, found, rfd;

	/* the writer's descriptor is write-only: the upload reads its own */
	rfd = openat(w->tmpdir, w->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd >= 0 && blob_key(w->bs, hex, key, sizeof(key)) == 0) {
		found = s3_head(&w->bs->s3, key, &have, &e);
		if (found == 1 && have == w->size)
			rc = 0;
		else if (found >= 0)
			rc = s3_put_fd(&w->bs->s3, key, rfd, w->size, hex, &e);
	}
	if (rfd >= 0)
		close(rfd);
	if (rc < 0)
		fprintf(stderr, "nestbox: blob %s not stored: %s\n", hex, e.msg);
	close(w->fd);
	w->fd = -1;
	unlinkat(w->tmpdir, w->tmp, 0);
	errno = rc < 0 ? EIO : errno;
	return rc;
}

int blob_writer_commit(struct blob_writer *w, const char *expect, char *hex)
{
	int rc, e;

	hash_final_hex(&w->sha, hex);
	if (expect && strcmp(expect, hex) != 0) {
		blob_writer_abort(w);
		errno = EBADMSG;
		return -1;
	}
	rc = w->bs->backend == BLOB_S3 ? publish_s3(w, hex) : publish(w, hex);
	e = errno;		/* the failure's, which callers report */
	blob_writer_abort(w);	/* closes tmpdir; the temp file is gone already */
	errno = e;
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

/* HEAD of a blob's object: 1 there (*size), 0 not, -1 bad name or error. */
static int s3_blob_head(const struct blob_store *bs, const char *hex, uint64_t *size)
{
	char key[512];
	struct s3_err e;
	int rc;

	if (blob_key(bs, hex, key, sizeof(key)) < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((rc = s3_head(&bs->s3, key, size, &e)) < 0) {
		fprintf(stderr, "nestbox: blob %s: %s\n", hex, e.msg);
		errno = EIO;
	}
	return rc;
}

int blob_exists(const struct blob_store *bs, const char *hex)
{
	int dfd, rc;
	uint64_t size;

	if (bs->backend == BLOB_S3)
		return s3_blob_head(bs, hex, &size) == 1;
	dfd = sub_open(bs, hex);
	if (dfd < 0)
		return 0;
	rc = fs_regular_at(dfd, hex, NULL);
	close(dfd);
	return rc;
}

static int s3_blob_remove(const struct blob_store *bs, const char *hex)
{
	char key[512];
	struct s3_err e;
	uint64_t size;
	int rc = s3_blob_head(bs, hex, &size);

	if (rc <= 0) {
		errno = rc == 0 ? ENOENT : errno;
		return -1;
	}
	blob_key(bs, hex, key, sizeof(key));
	if (s3_delete(&bs->s3, key, &e) < 0) {
		fprintf(stderr, "nestbox: blob %s not removed: %s\n", hex, e.msg);
		errno = EIO;
		return -1;
	}
	return 0;
}

int blob_remove(const struct blob_store *bs, const char *hex)
{
	int dfd, rc, e;

	if (bs->backend == BLOB_S3)
		return s3_blob_remove(bs, hex);
	if ((dfd = sub_open(bs, hex)) < 0)
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

struct s3_each {
	int (*fn)(void *ctx, const char *hex, uint64_t size, long mtime);
	void *ctx;
	size_t skip;		/* the prefix and its '/' */
};

/* One listed object: a blob when the rest of its key is 64 hex digits. */
static int s3_each_key(void *ctx, const char *key, uint64_t size, long mtime)
{
	struct s3_each *x = ctx;
	const char *hex = key + x->skip;

	if (strlen(key) != x->skip + 64 || !hash_is_hex(hex, 64))
		return 0;	/* not ours: something else shares the bucket */
	return x->fn(x->ctx, hex, size, mtime);
}

static int s3_foreach(const struct blob_store *bs,
		      int (*fn)(void *ctx, const char *hex, uint64_t size, long mtime), void *ctx)
{
	char prefix[sizeof(bs->prefix) + 1];
	struct s3_each x = { fn, ctx, 0 };
	struct s3_err e;
	int rc;

	snprintf(prefix, sizeof(prefix), "%s%s", bs->prefix, *bs->prefix ? "/" : "");
	x.skip = strlen(prefix);
	if ((rc = s3_list(&bs->s3, prefix, s3_each_key, &x, &e)) < 0)
		fprintf(stderr, "nestbox: listing the blobs: %s\n", e.msg);
	return rc;
}

int blob_foreach(const struct blob_store *bs,
		 int (*fn)(void *ctx, const char *hex, uint64_t size, long mtime),
		 void *ctx)
{
	DIR *top;
	struct dirent *d;
	int rc = 0;

	if (bs->backend == BLOB_S3)
		return s3_foreach(bs, fn, ctx);
	if (!(top = opendir(bs->dir)))
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

/* -- reading: downloads, small reads, copies, checks ------------------------ */

/* A proxied download: the ranged GET's bytes go straight to the client. */
struct pump {
	const struct blob_store *bs;
	char key[512];
	uint64_t off, len, sent;
	struct http_req *r;
	struct http_resp *w;
};

static int pump_sink(void *ctx, const void *p, size_t n)
{
	struct pump *x = ctx;

	if (n > x->len - x->sent || http_write(x->r, p, n) < 0)
		return -1;	/* more than asked for, or the client left */
	x->sent += n;
	x->w->bytes_sent += (long long)n;
	return 0;
}

static int pump_run(void *ctx, struct http_req *r, struct http_resp *w)
{
	struct pump *x = ctx;
	struct s3_err e;

	x->r = r;
	x->w = w;
	if (x->len && s3_get(&x->bs->s3, x->key, x->off, x->len, pump_sink, x, &e) < 0) {
		fprintf(stderr, "nestbox: sending %s: %s\n", x->key, e.msg);
		return -1;	/* the client sees a short body, never wrong bytes */
	}
	return x->sent == x->len ? 0 : -1;
}

/* The store could not say whether the blob is there: the client retries. */
static int store_down(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the blob store is unavailable, try again");
}

/* 302 to a presigned URL, valid presign_ttl seconds; the redirect itself
 * is not to be cached past it. */
static int send_presigned(const struct blob_store *bs, struct http_resp *w, const char *key,
			  struct nb_err *e)
{
	char url[4096];

	/* the settings cannot sign this: not the client's fault */
	if (s3_presign(&bs->s3, key, (long long)time(NULL), bs->presign_ttl, url, sizeof(url)) < 0)
		return store_down(e);
	http_set_header(w, "Location", url);
	http_set_header(w, "Cache-Control", "no-store");
	w->status = 302;
	return 0;
}

static int send_s3(const struct blob_store *bs, struct http_req *r, struct http_resp *w,
		   const char *hex, const char *ctype, int redirect_ok, const char *not_found,
		   struct nb_err *e)
{
	struct pump *x = arena_alloc(r->a, sizeof(*x));
	off_t start = 0, len;
	uint64_t size;
	int rc;

	if (!x || blob_key(bs, hex, x->key, sizeof(x->key)) < 0)
		return nb_fail(e, NB_NOT_FOUND, "%s", not_found);
	if (bs->presign && redirect_ok)
		return send_presigned(bs, w, x->key, e);
	if ((rc = s3_blob_head(bs, hex, &size)) != 1)
		return rc == 0 ? nb_fail(e, NB_NOT_FOUND, "%s", not_found) : store_down(e);
	len = (off_t)size;
	if (!w->has_type)
		http_set_header(w, "Content-Type", ctype);
	http_set_header(w, "Accept-Ranges", "bytes");
	rc = http_range_parse(http_header(r, "Range"), (off_t)size, &start, &len);
	if (rc < 0) {
		w->status = 416;
		http_set_header(w, "Content-Range", arena_printf(r->a, "bytes */%llu",
								 (unsigned long long)size));
		return 0;
	}
	w->status = rc > 0 ? 206 : 200;
	if (rc > 0)
		http_set_header(w, "Content-Range",
				arena_printf(r->a, "bytes %lld-%lld/%llu", (long long)start,
					     (long long)(start + len - 1), (unsigned long long)size));
	x->bs = bs;
	x->off = (uint64_t)start;
	x->len = (uint64_t)len;
	x->sent = 0;
	w->file_off = start;
	w->file_len = len;
	w->pump = pump_run;
	w->pump_ctx = x;
	return 0;
}

int blob_send(const struct blob_store *bs, struct http_req *r, struct http_resp *w,
	      const char *hex, const char *ctype, int xsendfile, int redirect_ok,
	      const char *not_found, struct nb_err *e)
{
	char path[PATH_MAX];

	if (bs->backend == BLOB_S3)
		return send_s3(bs, r, w, hex, ctype, redirect_ok, not_found, e);
	if (blob_path(bs, hex, path, sizeof(path)) < 0)
		return nb_fail(e, NB_NOT_FOUND, "%s", not_found);
	return http_file(r, w, path, ctype, xsendfile, not_found, e);
}

/* A blob's file, opened without following a link; -1 when none. */
static int fs_blob_open(const struct blob_store *bs, const char *hex, struct stat *st)
{
	char rel[HASH_HEX_MAX + 4];

	if (!hash_is_hex(hex, 64)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(rel, sizeof(rel), "%.2s/%s", hex, hex);
	return fs_open_regular_beneath(bs->dir, rel, st);
}

/* Reads n bytes at the start of fd into p; 0 or -1. */
static int read_full(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t got = read(fd, p, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

struct into_mem {
	char *p;
	size_t len, max;
};

static int mem_sink(void *ctx, const void *p, size_t n)
{
	struct into_mem *m = ctx;

	if (n > m->max - m->len)
		return -1;
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return 0;
}

char *blob_read(const struct blob_store *bs, struct arena *a, const char *hex, size_t max,
		size_t *n)
{
	struct into_mem m = { NULL, 0, 0 };
	char key[512];
	struct stat st;
	uint64_t size;
	struct s3_err e;
	int fd, ok;

	if (bs->backend == BLOB_S3) {
		if (s3_blob_head(bs, hex, &size) != 1 || size > max ||
		    !(m.p = arena_alloc(a, (size_t)size + 1)))
			return NULL;
		m.max = (size_t)size;
		blob_key(bs, hex, key, sizeof(key));	/* hex checked by the HEAD */
		ok = size == 0 || (s3_get(&bs->s3, key, 0, 0, mem_sink, &m, &e) == 0 && m.len == size);
	} else {
		if ((fd = fs_blob_open(bs, hex, &st)) < 0)
			return NULL;
		ok = (uint64_t)st.st_size <= max && (m.p = arena_alloc(a, (size_t)st.st_size + 1)) &&
		     read_full(fd, m.p, (size_t)st.st_size) == 0;
		m.len = (size_t)st.st_size;
		close(fd);
	}
	if (!ok)
		return NULL;
	m.p[m.len] = '\0';
	if (n)
		*n = m.len;
	return m.p;
}

static int hash_sink(void *ctx, const void *p, size_t n)
{
	hash_update(ctx, p, n);
	return 0;
}

/* sha256 of fd from its start, as hex; 0 or -1. */
static int fd_sha256(int fd, char *hex)
{
	char buf[65536];
	struct hash_ctx h;
	ssize_t n;
	off_t off = 0;

	if (hash_init(&h, HASH_SHA256) < 0)
		return -1;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0) {
			hash_update(&h, buf, (size_t)n);
			off += n;
		}
	hash_final_hex(&h, hex);
	return n < 0 ? -1 : 0;
}

int blob_verify(const struct blob_store *bs, const char *hex)
{
	char got[HASH_HEX_MAX], key[512];
	struct hash_ctx h;
	struct stat st;
	struct s3_err e;
	int fd, rc;

	if (bs->backend == BLOB_FS) {
		if ((fd = fs_blob_open(bs, hex, &st)) < 0)
			return -1;
		rc = fd_sha256(fd, got);
		close(fd);
	} else {
		if (blob_key(bs, hex, key, sizeof(key)) < 0 || hash_init(&h, HASH_SHA256) < 0)
			return -1;
		rc = s3_get(&bs->s3, key, 0, 0, hash_sink, &h, &e);
		hash_final_hex(&h, got);
		if (rc < 0)
			fprintf(stderr, "nestbox: reading %s: %s\n", key, e.msg);
	}
	return rc < 0 ? -1 : strcmp(got, hex) != 0;
}

int blob_copy(const struct blob_store *from, const struct blob_store *to, const char *hex)
{
	char got[HASH_HEX_MAX], key[512];
	struct stat st;
	struct s3_err e;
	uint64_t have;
	int fd, found, rc = -1, err = EIO;

	if (from->backend != BLOB_FS || to->backend != BLOB_S3 ||
	    blob_key(to, hex, key, sizeof(key)) < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = fs_blob_open(from, hex, &st)) < 0)
		return -1;
	if (fd_sha256(fd, got) < 0 || strcmp(got, hex)) {
		err = EBADMSG;	/* a damaged file is not copied */
	} else if ((found = s3_head(&to->s3, key, &have, &e)) == 1 && have == (uint64_t)st.st_size) {
		rc = 1;
	} else if (found >= 0 && s3_put_fd(&to->s3, key, fd, (uint64_t)st.st_size, hex, &e) == 0 &&
		   s3_head(&to->s3, key, &have, &e) == 1 && have == (uint64_t)st.st_size) {
		rc = 0;	/* acknowledged, and the store holds that many bytes */
	} else {
		fprintf(stderr, "nestbox: copying %s: %s\n", hex, e.msg);
	}
	close(fd);
	errno = rc < 0 ? err : errno;
	return rc;
}
