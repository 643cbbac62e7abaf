/*
 * The software repository: .swu images and RAUC bundles ingested into the
 * blob store.  Its rows are written and listed by ddi_software_store.c.
 */
#include "ddi.h"
#include "../lib/fetch.h"
#include "../lib/fs.h"
#include "../lib/path.h"
#include "../lib/utf8.h"
#include "raucb.h"

#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct digests {
	char sha1[HASH_HEX_MAX], md5[HASH_HEX_MAX], sha256[HASH_HEX_MAX];
	long long size;
};

int ddi_upload_open(struct app *app, struct ddi_upload *u, struct nb_err *e)
{
	memset(u, 0, sizeof(*u));
	if (blob_writer_open(&app->blobs, &u->w) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot write to the blob store");
	hash_init(&u->sha1, HASH_SHA1);
	hash_init(&u->md5, HASH_MD5);
	u->open = 1;
	return 0;
}

int ddi_upload_write(struct ddi_upload *u, const void *p, size_t n, struct nb_err *e)
{
	if (blob_writer_write(&u->w, p, n) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot store the upload (disk full?)");
	hash_update(&u->sha1, p, n);
	hash_update(&u->md5, p, n);
	u->size += (long long)n;
	return 0;
}

void ddi_upload_abort(struct ddi_upload *u)
{
	if (!u->open)
		return;
	blob_writer_abort(&u->w);
	hash_free(&u->sha1);
	hash_free(&u->md5);
	u->open = 0;
}

/* The upload's bytes for reading: its blob's temporary file, opened again
 * (the writer's descriptor is write-only) beneath the store's tmp/. */
static int upload_reopen(const struct ddi_upload *u, struct nb_err *e)
{
	int fd = openat(u->w.tmpdir, u->w.tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot read the upload: %s", strerror(errno));
	return fd;
}

/* Makes the blob durable and fills dg; closes u.  0, or -1 with e. */
static int upload_commit(struct ddi_upload *u, struct digests *dg, struct nb_err *e)
{
	int rc;

	hash_final_hex(&u->sha1, dg->sha1);
	hash_final_hex(&u->md5, dg->md5);
	dg->size = u->size;
	rc = blob_writer_commit(&u->w, NULL, dg->sha256);
	u->open = 0;
	if (rc < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot store the image: %s", strerror(errno));
	return 0;
}

/* Hashes the file at fd three ways in one pass (software kept at a URL:
 * no blob). */
static int digest_fd(int fd, struct digests *dg, struct nb_err *e)
{
	struct hash_ctx h1, h5, h256;
	char buf[65536];
	ssize_t n;

	hash_init(&h1, HASH_SHA1);
	hash_init(&h5, HASH_MD5);
	hash_init(&h256, HASH_SHA256);
	dg->size = 0;
	while ((n = pread(fd, buf, sizeof(buf), (off_t)dg->size)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		hash_update(&h1, buf, (size_t)n);
		hash_update(&h5, buf, (size_t)n);
		hash_update(&h256, buf, (size_t)n);
		dg->size += n;
	}
	hash_final_hex(&h1, dg->sha1);
	hash_final_hex(&h5, dg->md5);
	hash_final_hex(&h256, dg->sha256);
	if (n < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot read the image: %s", strerror(errno));
	return 0;
}

/*
 * Reads the catalogue of either kind of image from fd (size bytes), chosen
 * by its first bytes (squashfs "hsqs" or cpio "0707"), and names the kind.
 * Only the headers and the description are read, never the images.
 */
static int read_image(const struct ddi_sw_settings *set, int fd, off_t size,
		      struct swu_info *info, const char **kind, struct nb_err *e)
{
	struct swu_src src = { swu_fd_pread, &fd, size };
	char magic[4] = "";

	if (size < (off_t)sizeof(magic))
		return nb_fail(e, NB_INVALID, "truncated: too short for a .swu or .raucb image");
	if (swu_get(&src, magic, sizeof(magic), 0) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot read the image: %s", strerror(errno));
	if (!memcmp(magic, "hsqs", 4)) {
		*kind = "raucb";
		return raucb_read(&src, set->rauc_sep, info, e);
	}
	if (!memcmp(magic, "0707", 4))
		return swu_read(&src, info, e);
	return nb_fail(e, NB_INVALID, "not a .swu or .raucb image");
}

/* 1 when an existing software's entry (board, revision; NULL board: it
 * has no compatibility list) overlaps one of info's: ddi_compat_fn. */
static int overlap_one(void *ctx, const char *b, const char *r)
{
	const struct swu_info *info = ctx;
	int i;

	/* no compatibility list means every board */
	if (!b || info->ncompat == 0)
		return 1;
	/* an empty board or revision matches any, as in the poll's predicate */
	for (i = 0; i < info->ncompat; i++)
		if ((!*b || !*info->compat[i].board || !strcmp(b, info->compat[i].board)) &&
		    (!*r || !*info->compat[i].revision || !strcmp(r, info->compat[i].revision)))
			return 1;
	return 0;
}

/* 0 when no software of this version covers one of these boards; else -1
 * with e NB_CONFLICT, or NB_UNAVAILABLE when the store could not say. */
static int overlaps(struct app *app, const struct swu_info *info, struct nb_err *e)
{
	int hit = ddi_software_version_each(app, info->version, overlap_one, (void *)info, e);

	if (hit < 0)
		return -1;
	if (hit)
		return nb_fail(e, NB_CONFLICT,
			       "version %s with overlapping hardware compatibility exists",
			       info->version);
	return 0;
}

/* The row to store: names, version, digests and the URL (NULL: a blob). */
static long long record(struct app *app, const struct swu_info *info, const char *kind,
			const char *name, const char *filename, const struct digests *dg,
			const char *url, struct nb_err *e)
{
	struct ddi_software s = { 0 };

	/* each fits: names_ok, the catalogue's bounds, url_filename */
	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.version, sizeof(s.version), "%s", info->version);
	snprintf(s.filename, sizeof(s.filename), "%s", filename);
	snprintf(s.sha1, sizeof(s.sha1), "%.40s", dg->sha1);	/* hex: 40, 32, 64 digits */
	snprintf(s.md5, sizeof(s.md5), "%.32s", dg->md5);
	snprintf(s.sha256, sizeof(s.sha256), "%s", dg->sha256);
	snprintf(s.url, sizeof(s.url), "%s", url ? url : "");
	s.size = dg->size;
	return ddi_software_insert(app, &s, kind, info->description, info->compat, info->ncompat,
				   e);
}

/* Name and file name fit their columns whole, as text; 0, or -1 with e. */
static int names_ok(const char *name, const char *filename, struct nb_err *e)
{
	if (strlen(name) > DDI_NAME_MAX)
		return nb_fail(e, NB_INVALID, "the software name is %zu bytes, at most %d",
			       strlen(name), DDI_NAME_MAX);
	if (strlen(filename) > DDI_NAME_MAX)
		return nb_fail(e, NB_INVALID, "the file name is %zu bytes, at most %d",
			       strlen(filename), DDI_NAME_MAX);
	if (!utf8_valid(name, strlen(name)) || !utf8_valid(filename, strlen(filename)))
		return nb_fail(e, NB_INVALID, "the software name and file name must be UTF-8 text");
	return 0;
}

/* Where the image's bytes are: an upload (stored as a blob on success) or
 * the fetched file of software kept at a URL (only hashed). */
struct source {
	struct ddi_upload *u;
	int fd;				/* with u NULL */
	const char *url;
	const struct ddi_sw_settings *set;
};

/* The catalogue, read from the source's stored bytes; 0, or -1 with e. */
static int source_catalogue(const struct source *src, struct swu_info *info,
			    const char **kind, struct nb_err *e)
{
	int fd = src->u ? upload_reopen(src->u, e) : src->fd, rc;
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		rc = nb_fail(e, NB_UNAVAILABLE, "cannot read the image: %s", strerror(errno));
	else
		rc = read_image(src->set, fd, st.st_size, info, kind, e);
	if (src->u)
		close(fd);
	return rc;
}

/* Checks the catalogue, makes the bytes durable (or hashes them), then
 * records the row.  -1 with e. */
static long long add(struct app *app, const struct source *src, const char *name,
		     const char *filename, struct swu_info *info, struct nb_err *e)
{
	struct digests dg;
	const char *kind = "swu";
	long long id;

	if (!name || !*name)
		name = filename;
	/* a broken or truncated image is refused before anything is stored */
	if (names_ok(name, filename, e) < 0 || source_catalogue(src, info, &kind, e) < 0)
		return -1;
	if (overlaps(app, info, e) < 0)
		return -1;
	/* the blob is durable before the row that names it */
	if (src->u ? upload_commit(src->u, &dg, e) < 0 : digest_fd(src->fd, &dg, e) < 0)
		return -1;
	if (db_begin(app->db) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "database busy");
	id = record(app, info, kind, name, filename, &dg, src->url, e);
	if (id < 0 || ddi_software_rerank(app, e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	if (db_commit(app->db) < 0) {
		db_rollback(app->db);
		return nb_fail(e, NB_UNAVAILABLE, "the software repository is busy, try again");
	}
	return id;
}

/* add() with the catalogue on the heap (a swu_info is ~100 KiB). */
static long long add_source(struct app *app, const struct source *src, const char *name,
			    const char *filename, struct nb_err *e)
{
	struct swu_info *info = calloc(1, sizeof(*info));
	long long id = -1;

	if (!info)
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
	else
		id = add(app, src, name, filename, info, e);
	free(info);
	return id;
}

long long ddi_software_add(struct app *app, const struct ddi_sw_settings *set,
			   struct ddi_upload *u, const char *filename, const char *name,
			   struct nb_err *e)
{
	struct source src = { u, -1, NULL, set };
	long long id = add_source(app, &src, name, filename, e);

	ddi_upload_abort(u);
	return id;
}

long long ddi_software_add_file(struct app *app, const struct ddi_sw_settings *set,
				const char *path, const char *name, struct nb_err *e)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct ddi_upload u;
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return nb_fail(e, NB_INVALID, "cannot read the image: %s", strerror(errno));
	if (ddi_upload_open(app, &u, e) < 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || ddi_upload_write(&u, buf, (size_t)n, e) < 0)
			break;
	}
	close(fd);
	if (n != 0) {
		if (n < 0)
			nb_fail(e, NB_UNAVAILABLE, "cannot read the image: %s", strerror(errno));
		ddi_upload_abort(&u);
		return -1;
	}
	return ddi_software_add(app, set, &u, base, name, e);
}

/* The URL's last path segment names the artifact, as the device will see
 * it; out has n bytes.  0, or -1 with e naming the limit that failed. */
static int url_filename(const char *url, char *out, size_t n, struct nb_err *e)
{
	const char *end = url + strcspn(url, "?#"), *p = end;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		goto bad;
	if (strlen(url) > 1000)
		return nb_fail(e, NB_INVALID, "the URL is %zu bytes, at most 1000", strlen(url));
	while (p > url && p[-1] != '/')
		p--;
	if ((size_t)(end - p) >= n)
		return nb_fail(e, NB_INVALID, "the URL's file name is %zu bytes, at most %zu",
			       (size_t)(end - p), n - 1);
	if (p == end)
		goto bad;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	if (path_segment_ok(out, strlen(out)))
		return 0;
bad:
	return nb_fail(e, NB_INVALID, "an http(s) URL ending in the image's file name is required");
}

/*
 * The download goes to a temporary in <blobs>/tmp opened through
 * fs_open_beneath and fs_tmp_openat: a link planted in place of tmp/ is
 * refused (ELOOP), never written through.  The image is then read back
 * through its own descriptor (/dev/fd/N reopens that very file).
 */
long long ddi_software_add_url(struct app *app, const struct ddi_sw_settings *set,
			       const char *url, const char *name, struct nb_err *e)
{
	char tmp[NAME_MAX + 1], self[32], file[DDI_NAME_MAX + 1];
	struct source src = { NULL, -1, url, set };
	long long id = -1;
	int dfd, fd;

	if (url_filename(url, file, sizeof(file), e) < 0)
		return -1;
	if ((dfd = fs_open_beneath(app->blobs.dir, "tmp", O_RDONLY | O_DIRECTORY)) < 0 ||
	    (fd = fs_tmp_openat(dfd, "fetch", tmp, sizeof(tmp))) < 0) {
		nb_fail(e, NB_UNAVAILABLE, "cannot create a temporary file: %s", strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	snprintf(self, sizeof(self), "/dev/fd/%d", fd);
	src.fd = open(self, O_RDONLY | O_CLOEXEC);
	if (src.fd < 0)
		nb_fail(e, NB_UNAVAILABLE, "cannot read the download: %s", strerror(errno));
	else if (fetch_to_fd(url, fd, set->max_image, set->fetch_timeout, e) == 0)
		id = add_source(app, &src, name, file, e);
	if (src.fd >= 0)
		close(src.fd);
	close(fd);
	unlinkat(dfd, tmp, 0);
	close(dfd);
	return id;
}
