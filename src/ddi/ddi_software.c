/* The software repository: .swu images and RAUC bundles ingested into the blob store. */
#include "ddi.h"
#include "raucb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Copies the file into a blob, hashing it three ways on the way. */
static int ingest(struct app *app, const char *path, char *sha1, char *md5, char *sha256,
		  long long *size, char *err, size_t errlen)
{
	struct hash_ctx h1, h5;
	struct blob_writer w;
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (blob_writer_open(&app->blobs, &w) < 0) {
		close(fd);
		snprintf(err, errlen, "cannot write to the blob store");
		return -1;
	}
	hash_init(&h1, HASH_SHA1);
	hash_init(&h5, HASH_MD5);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && blob_writer_write(&w, buf, (size_t)n) < 0)) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			blob_writer_abort(&w);
			hash_free(&h1);
			hash_free(&h5);
			return -1;
		}
		if (n == 0)
			break;
		hash_update(&h1, buf, (size_t)n);
		hash_update(&h5, buf, (size_t)n);
	}
	close(fd);
	*size = (long long)w.size;
	hash_final_hex(&h1, sha1);
	hash_final_hex(&h5, md5);
	if (blob_writer_commit(&w, NULL, sha256) < 0) {
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
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
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
		for (i = 0; !hit && i < info->ncompat; i++)
			hit = !strcmp(b, info->compat[i].board) && !strcmp(r, info->compat[i].revision);
	}
	sqlite3_reset(st);
	return hit;
}

static const char sql_add[] =
	"INSERT INTO ddi_software(name, version, kind, filename, size, sha1, md5, sha256,"
	" description, created) VALUES(?,?,?,?,?,?,?,?,?,?)";
static const char sql_compat[] =
	"INSERT OR IGNORE INTO ddi_software_compat(software_id, board, revision) VALUES(?,?,?)";

static long long record(struct app *app, const struct swu_info *info, const char *kind,
			const char *name, const char *filename, long long size, const char *sha1,
			const char *md5, const char *sha256)
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
	sqlite3_bind_int64(st, 5, size);
	sqlite3_bind_text(st, 6, sha1, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, md5, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, info->description, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	id = sqlite3_last_insert_rowid(db_handle(app->db));
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

long long ddi_software_add(struct app *app, const char *path, const char *name,
			   char *err, size_t errlen)
{
	struct swu_info *info = calloc(1, sizeof(*info));
	char sha1[HASH_HEX_MAX], md5[HASH_HEX_MAX], sha256[HASH_HEX_MAX];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path, *kind = "swu";
	long long size, id = -1;

	if (!info) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* a broken or truncated image is refused before anything is stored */
	if (read_image(app, path, info, &kind, err, errlen) < 0)
		goto out;
	if (overlaps(app, info)) {
		snprintf(err, errlen, "version %s with overlapping hardware compatibility exists",
			 info->version);
		id = -2;
		goto out;
	}
	if (ingest(app, path, sha1, md5, sha256, &size, err, errlen) < 0)
		goto out;
	/* the blob is durable before the row that names it */
	if (db_begin(app->db) < 0) {
		snprintf(err, errlen, "database busy");
		goto out;
	}
	id = record(app, info, kind, name && *name ? name : base, base, size, sha1, md5, sha256);
	if (id < 0 || db_commit(app->db) < 0) {
		db_rollback(app->db);
		snprintf(err, errlen, "cannot record the software: %s", db_errmsg(app->db));
		id = -1;
	}
out:
	free(info);
	return id;
}

static const char sql_del[] = "DELETE FROM ddi_software WHERE id=?";

int ddi_software_delete(struct app *app, long long id)
{
	sqlite3_stmt *st = db_stmt(app->db, sql_del);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db_handle(app->db)) ? 0 : -1;
	sqlite3_reset(st);
	return rc;
}
