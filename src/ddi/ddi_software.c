/* The software repository: .swu images and RAUC bundles ingested into the blob store. */
#include "ddi.h"
#include "../lib/fetch.h"
#include "../lib/fsutil.h"
#include "../lib/path.h"
#include "../lib/utf8.h"
#include "raucb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct digests {
	char sha1[HASH_HEX_MAX], md5[HASH_HEX_MAX], sha256[HASH_HEX_MAX];
	long long size;
};

/*
 * Hashes the file three ways in one pass; with keep, copies it into a blob
 * on the way (the blob's own hash is the sha256).
 */
static int ingest(struct app *app, const char *path, int keep, struct digests *dg,
		  char *err, size_t errlen)
{
	struct hash_ctx h1, h5, h256;
	struct blob_writer w;
	char buf[65536];
	long long size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), bad = 0;

	if (fd < 0) {
		snprintf(err, errlen, "cannot read the image: %s", strerror(errno));
		return -1;
	}
	if (keep && blob_writer_open(&app->blobs, &w) < 0) {
		close(fd);
		snprintf(err, errlen, "cannot write to the blob store");
		return -1;
	}
	hash_init(&h1, HASH_SHA1);
	hash_init(&h5, HASH_MD5);
	hash_init(&h256, HASH_SHA256);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && keep && blob_writer_write(&w, buf, (size_t)n) < 0)) {
			snprintf(err, errlen, "cannot read the image: %s", strerror(errno));
			bad = 1;
			break;
		}
		if (n == 0)
			break;
		hash_update(&h1, buf, (size_t)n);
		hash_update(&h5, buf, (size_t)n);
		hash_update(&h256, buf, (size_t)n);
		size += n;
	}
	close(fd);
	hash_final_hex(&h1, dg->sha1);
	hash_final_hex(&h5, dg->md5);
	hash_final_hex(&h256, dg->sha256);
	dg->size = size;
	if (bad) {
		if (keep)
			blob_writer_abort(&w);
		return -1;
	}
	if (keep && blob_writer_commit(&w, NULL, dg->sha256) < 0) {
		snprintf(err, errlen, "cannot store the image: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Reads the catalogue of either kind of image, chosen by its first bytes
 * (squashfs "hsqs" or cpio "0707"), and names the kind.
 */
static int read_image(struct app *app, const char *path, struct swu_info *info,
		      const char **kind, char *err, size_t errlen)
{
	char magic[4] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0 || (n = pread(fd, magic, sizeof(magic), 0)) < 0) {
		snprintf(err, errlen, "cannot read the image: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (n < (ssize_t)sizeof(magic)) {
		snprintf(err, errlen, "truncated: too short for a .swu or .raucb image");
		return -1;
	}
	if (!memcmp(magic, "hsqs", 4)) {
		*kind = "raucb";
		return raucb_read_file(path, conf_str(app->conf, "ddi.rauc_revision_separator"),
				       info, err, errlen);
	}
	if (!memcmp(magic, "0707", 4))
		return swu_read_file(path, info, err, errlen);
	snprintf(err, errlen, "not a .swu or .raucb image");
	return -1;
}

static const char sql_same_version[] =
	"SELECT s.id, c.board, c.revision FROM ddi_software s"
	" LEFT JOIN ddi_software_compat c ON c.software_id = s.id WHERE s.version = ?";

/* 1 when software of this version already covers one of these boards. */
static int overlaps(struct app *app, const struct swu_info *info)
{
	sqlite3_stmt *st = db_stmt(app->db, sql_same_version);
	int hit = 0, i;

	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, info->version, -1, SQLITE_STATIC);
	while (!hit && sqlite3_step(st) == SQLITE_ROW) {
		const char *b = (const char *)sqlite3_column_text(st, 1);
		const char *r = (const char *)sqlite3_column_text(st, 2);
		/* no compatibility list means every board */
		if (!b || info->ncompat == 0)
			hit = 1;
		/* an empty board or revision matches any, as in the poll's predicate */
		for (i = 0; !hit && i < info->ncompat; i++)
			hit = (!*b || !*info->compat[i].board || !strcmp(b, info->compat[i].board)) &&
			      (!*r || !*info->compat[i].revision ||
			       !strcmp(r, info->compat[i].revision));
	}
	sqlite3_reset(st);
	return hit;
}

static const char sql_add[] =
	"INSERT INTO ddi_software(name, version, kind, filename, size, sha1, md5, sha256,"
	" description, created) VALUES(?,?,?,?,?,?,?,?,?,?)";
static const char sql_compat[] =
	"INSERT OR IGNORE INTO ddi_software_compat(software_id, board, revision) VALUES(?,?,?)";

static const char sql_url[] = "UPDATE ddi_software SET url=? WHERE id=?";

static long long record(struct app *app, const struct swu_info *info, const char *kind,
			const char *name, const char *filename, const struct digests *dg,
			const char *url)
{
	sqlite3_stmt *st = db_stmt(app->db, sql_add);
	long long id;
	int i;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, info->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, filename, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, dg->size);
	sqlite3_bind_text(st, 6, dg->sha1, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, dg->md5, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, dg->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, info->description, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	id = sqlite3_last_insert_rowid(db_handle(app->db));
	if (url) {
		st = db_stmt(app->db, sql_url);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return -1;
		}
		sqlite3_reset(st);
	}
	for (i = 0; i < info->ncompat; i++) {
		st = db_stmt(app->db, sql_compat);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, info->compat[i].board, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, info->compat[i].revision, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return -1;
		}
		sqlite3_reset(st);
	}
	return id;
}

/* Name and file name fit their columns whole, as text; 0, or -1 with err. */
static int names_ok(const char *name, const char *filename, char *err, size_t errlen)
{
	if (strlen(name) > DDI_NAME_MAX) {
		snprintf(err, errlen, "the software name is %zu bytes, at most %d", strlen(name),
			 DDI_NAME_MAX);
		return -1;
	}
	if (strlen(filename) > DDI_NAME_MAX) {
		snprintf(err, errlen, "the file name is %zu bytes, at most %d", strlen(filename),
			 DDI_NAME_MAX);
		return -1;
	}
	if (!utf8_valid(name, strlen(name)) || !utf8_valid(filename, strlen(filename))) {
		snprintf(err, errlen, "the software name and file name must be UTF-8 text");
		return -1;
	}
	return 0;
}

/* Reads, checks, hashes (and with url NULL, stores) path, then records it. */
static long long add(struct app *app, const char *path, const char *name, const char *filename,
		     const char *url, char *err, size_t errlen)
{
	struct swu_info *info = calloc(1, sizeof(*info));
	struct digests dg;
	const char *kind = "swu";
	long long id = -1;

	if (!info) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!name || !*name)
		name = filename;
	/* a broken or truncated image is refused before anything is stored */
	if (names_ok(name, filename, err, errlen) < 0 ||
	    read_image(app, path, info, &kind, err, errlen) < 0)
		goto out;
	if (overlaps(app, info)) {
		snprintf(err, errlen, "version %s with overlapping hardware compatibility exists",
			 info->version);
		id = -2;
		goto out;
	}
	if (ingest(app, path, url == NULL, &dg, err, errlen) < 0)
		goto out;
	/* the blob is durable before the row that names it */
	if (db_begin(app->db) < 0) {
		snprintf(err, errlen, "database busy");
		goto out;
	}
	id = record(app, info, kind, name, filename, &dg, url);
	if (id < 0 || ddi_software_rerank(app) < 0 || db_commit(app->db) < 0) {
		db_rollback(app->db);
		snprintf(err, errlen, "cannot record the software: %s", db_errmsg(app->db));
		id = -1;
	}
out:
	free(info);
	return id;
}

long long ddi_software_add(struct app *app, const char *path, const char *name,
			   char *err, size_t errlen)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	return add(app, path, name, base, NULL, err, errlen);
}

/* The URL's last path segment names the artifact, as the device will see
 * it; out has n bytes.  0, or -1 with err naming the limit that failed. */
static int url_filename(const char *url, char *out, size_t n, char *err, size_t errlen)
{
	const char *end = url + strcspn(url, "?#"), *p = end;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		goto bad;
	if (strlen(url) > 1000) {
		snprintf(err, errlen, "the URL is %zu bytes, at most 1000", strlen(url));
		return -1;
	}
	while (p > url && p[-1] != '/')
		p--;
	if ((size_t)(end - p) >= n) {
		snprintf(err, errlen, "the URL's file name is %zu bytes, at most %zu",
			 (size_t)(end - p), n - 1);
		return -1;
	}
	if (p == end)
		goto bad;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	if (path_segment_ok(out, strlen(out)))
		return 0;
bad:
	snprintf(err, errlen, "an http(s) URL ending in the image's file name is required");
	return -1;
}

/*
 * The download goes to a temporary in <blobs>/tmp opened through
 * fs_open_beneath and fs_tmp_openat: a link planted in place of tmp/ is
 * refused (ELOOP), never written through.  The image is then read back
 * through its own descriptor (/dev/fd/N reopens that very file).
 */
long long ddi_software_add_url(struct app *app, const char *url, const char *name,
			       char *err, size_t errlen)
{
	char tmp[NAME_MAX + 1], self[32], file[DDI_NAME_MAX + 1];
	long long id = -1;
	int dfd, fd;

	if (url_filename(url, file, sizeof(file), err, errlen) < 0)
		return -1;
	if ((dfd = fs_open_beneath(app->blobs.dir, "tmp", O_RDONLY | O_DIRECTORY)) < 0 ||
	    (fd = fs_tmp_openat(dfd, "fetch", tmp, sizeof(tmp))) < 0) {
		snprintf(err, errlen, "cannot create a temporary file: %s", strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	snprintf(self, sizeof(self), "/dev/fd/%d", fd);
	if (fetch_to_fd(url, fd, (unsigned long long)conf_int(app->conf, "ddi.max_image"),
			(long)conf_int(app->conf, "ddi.fetch_timeout"), err, errlen) == 0)
		id = add(app, self, name, file, url, err, errlen);
	close(fd);
	unlinkat(dfd, tmp, 0);
	close(dfd);
	return id;
}

static const char sql_used[] =
	"SELECT EXISTS (SELECT 1 FROM ddi_actions WHERE software_id=?1)"
	" OR EXISTS (SELECT 1 FROM ddi_rollouts WHERE software_id=?1)"
	" OR EXISTS (SELECT 1 FROM ddi_devices WHERE assigned=?1)";
static const char sql_del[] = "DELETE FROM ddi_software WHERE id=?";

/* Only unused software goes: an action's history keeps naming what it installed. */
int ddi_software_delete(struct app *app, long long id)
{
	sqlite3_stmt *st;
	int rc = -1, used = 1;

	/* the check and the delete in one transaction: no assignment slips between */
	if (db_begin(app->db) < 0)
		return -1;
	st = db_stmt(app->db, sql_used);
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			used = sqlite3_column_int(st, 0);
		sqlite3_reset(st);
	}
	st = used ? NULL : db_stmt(app->db, sql_del);
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db_handle(app->db)) ? 0 : -1;
		sqlite3_reset(st);
	}
	if (db_commit(app->db) < 0)
		return -1;
	return used ? -2 : rc;
}
