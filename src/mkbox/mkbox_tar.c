/*
 * Composing and caching the update tar of a build.  The tar is written
 * once into the blob store, so every later /update for the build is a
 * row lookup plus X-Sendfile.
 */
#include "mkbox.h"
#include "../lib/fsutil.h"
#include "../lib/tar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Copies exactly size bytes of fd into the blob, then the tar padding. */
static int copy_member(struct blob_writer *w, int fd, const char *name,
		       const struct stat *st)
{
	char hdr[TAR_HEADER_MAX], buf[65536];
	static const char zeros[TAR_BLOCK];
	size_t hl = tar_header(hdr, name, (uint64_t)st->st_size,
			       (uint64_t)st->st_mtime, 0644);
	off_t left = st->st_size;

	if (hl == 0 || blob_writer_write(w, hdr, hl) < 0)
		return -1;
	while (left > 0) {
		ssize_t n = read(fd, buf, left > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;	/* truncated under us: do not cache a short tar */
		if (blob_writer_write(w, buf, (size_t)n) < 0)
			return -1;
		left -= n;
	}
	return blob_writer_write(w, zeros, tar_member_pad((uint64_t)st->st_size));
}

int mkbox_tar_compose(const struct blob_store *bs, const char *image,
		      const struct mkbox_build *b, char *hex, unsigned long long *size)
{
	struct blob_writer w;
	char name[PATH_MAX], zeros[TAR_RECORD] = { 0 };
	struct stat zst, sha;
	/* opened again, as at find: never through a link placed since */
	int zfd = fs_open_regular_beneath(b->root, b->zst, &zst);
	int sfd = fs_open_regular_beneath(b->root, b->sha, &sha);
	int rc = -1;
	uint64_t end;

	/* the files found are the files read, or the cache key would lie */
	if (zfd < 0 || sfd < 0 || zst.st_ino != b->zst_st.st_ino ||
	    sha.st_ino != b->sha_st.st_ino || blob_writer_open(bs, &w) < 0)
		goto out;
	snprintf(name, sizeof(name), "%s.img.zst", image);
	if (copy_member(&w, zfd, name, &b->zst_st) < 0)
		goto fail;
	snprintf(name, sizeof(name), "%s.img.sha256", image);
	if (copy_member(&w, sfd, name, &b->sha_st) < 0)
		goto fail;
	end = tar_end_pad(w.size);
	while (end > 0) {
		size_t c = end > sizeof(zeros) ? sizeof(zeros) : (size_t)end;
		if (blob_writer_write(&w, zeros, c) < 0)
			goto fail;
		end -= c;
	}
	*size = w.size;
	rc = blob_writer_commit(&w, NULL, hex);
	goto out;
fail:
	blob_writer_abort(&w);
out:
	if (zfd >= 0)
		close(zfd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}

/* nanoseconds: two builds written within one second still differ */
static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static const char sql_get[] =
	"SELECT build_id, zst_size, zst_mtime, sha_size, sha_mtime, blob"
	" FROM mkbox_tar WHERE box=? AND image=?";
static const char sql_put[] =
	"INSERT INTO mkbox_tar(box,image,build_id,zst_size,zst_mtime,"
	"sha_size,sha_mtime,blob,size,created) VALUES(?,?,?,?,?,?,?,?,?,?)"
	" ON CONFLICT(box, image) DO UPDATE SET build_id=excluded.build_id,"
	" zst_size=excluded.zst_size, zst_mtime=excluded.zst_mtime, sha_size=excluded.sha_size,"
	" sha_mtime=excluded.sha_mtime, blob=excluded.blob, size=excluded.size,"
	" created=excluded.created";

/* 1 when the cached row describes exactly this build. */
static int cached(struct app *app, const char *box, const char *image,
		  const struct mkbox_build *b, char *hex)
{
	struct db_stmt *st = db_stmt(app->db, sql_get);
	int hit = 0;

	if (!st)
		return 0;
	db_bind_text(st, 1, box, -1, DB_STATIC);
	db_bind_text(st, 2, image, -1, DB_STATIC);
	if (db_step(st) == DB_ROW) {
		const char *id = (const char *)db_column_text(st, 0);
		const char *blob = (const char *)db_column_text(st, 5);
		hit = id && blob && strcmp(id, b->build_id) == 0 &&
		      db_column_int64(st, 1) == (int64_t)b->zst_st.st_size &&
		      db_column_int64(st, 2) == mtime_ns(&b->zst_st) &&
		      db_column_int64(st, 3) == (int64_t)b->sha_st.st_size &&
		      db_column_int64(st, 4) == mtime_ns(&b->sha_st) &&
		      strlen(blob) == 64;
		if (hit)
			memcpy(hex, blob, 65);
	}
	db_reset(st);
	return hit;
}

static int remember(struct app *app, const char *box, const char *image,
		    const struct mkbox_build *b, const char *hex, unsigned long long size)
{
	struct db_stmt *st = db_stmt(app->db, sql_put);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, box, -1, DB_STATIC);
	db_bind_text(st, 2, image, -1, DB_STATIC);
	db_bind_text(st, 3, b->build_id, -1, DB_STATIC);
	db_bind_int64(st, 4, (int64_t)b->zst_st.st_size);
	db_bind_int64(st, 5, mtime_ns(&b->zst_st));
	db_bind_int64(st, 6, (int64_t)b->sha_st.st_size);
	db_bind_int64(st, 7, mtime_ns(&b->sha_st));
	db_bind_text(st, 8, hex, -1, DB_STATIC);
	db_bind_int64(st, 9, (int64_t)size);
	db_bind_int64(st, 10, (int64_t)time(NULL));
	rc = db_step(st) == DB_DONE ? 0 : -1;
	db_reset(st);
	return rc;
}

int mkbox_tar_get(struct app *app, const char *box, const char *image,
		  const struct mkbox_build *b, char *hex)
{
	unsigned long long size = 0;

	if (cached(app, box, image, b, hex) && blob_exists(&app->blobs, hex))
		return 0;
	if (mkbox_tar_compose(&app->blobs, image, b, hex, &size) < 0) {
		fprintf(stderr, "nestbox[%s]: cannot compose update tar for %s/%s: %s\n",
			app->program, box, image, strerror(errno));
		return -1;
	}
	/* the blob is durable before the row that points at it */
	if (remember(app, box, image, b, hex, size) < 0)
		fprintf(stderr, "nestbox[%s]: update tar for %s/%s not cached: %s\n",
			app->program, box, image, db_errmsg(app->db));
	return 0;
}

static const char sql_all[] = "SELECT box, image, build_id FROM mkbox_tar";
static const char sql_del[] = "DELETE FROM mkbox_tar WHERE box=? AND image=? AND build_id=?";
static const char sql_ref[] = "SELECT 1 FROM mkbox_tar WHERE blob=? LIMIT 1";

int mkbox_tar_prune(struct app *app, const char *images)
{
	struct db_stmt *st = db_stmt(app->db, sql_all), *del;
	struct arena a;
	struct row { const char *box, *image, *id; } *v;
	int n = 0, cap = 64, i, removed = 0;

	if (!st)
		return -1;
	arena_init(&a);
	v = arena_alloc(&a, sizeof(*v) * (size_t)cap);
	while (db_step(st) == DB_ROW) {
		struct mkbox_build b;
		const char *box = (const char *)db_column_text(st, 0);
		const char *image = (const char *)db_column_text(st, 1);
		const char *id = (const char *)db_column_text(st, 2);
		if (mkbox_build_find(images, box, image, &b) == 0 && !strcmp(b.build_id, id))
			continue;
		if (n == cap) {
			struct row *nv = arena_alloc(&a, sizeof(*v) * (size_t)(cap *= 2));
			memcpy(nv, v, sizeof(*v) * (size_t)n);
			v = nv;
		}
		v[n].box = arena_strdup(&a, box);
		v[n].image = arena_strdup(&a, image);
		v[n].id = arena_strdup(&a, id);
		n++;
	}
	db_reset(st);
	for (i = 0; i < n; i++) {
		del = db_stmt(app->db, sql_del);
		if (!del)
			break;
		db_bind_text(del, 1, v[i].box, -1, DB_STATIC);
		db_bind_text(del, 2, v[i].image, -1, DB_STATIC);
		db_bind_text(del, 3, v[i].id, -1, DB_STATIC);
		if (db_step(del) == DB_DONE)
			removed += db_changes(app->db);
		db_reset(del);
	}
	arena_free(&a);
	return removed;
}

int mkbox_tar_refs(struct app *app, const char *hex)
{
	struct db_stmt *st = db_stmt(app->db, sql_ref);
	int rc;

	if (!st)
		return 1;	/* when unsure, keep the blob */
	db_bind_text(st, 1, hex, -1, DB_STATIC);
	rc = db_step(st);
	db_reset(st);
	return rc != DB_DONE;
}

int mkbox_tar_precompute(struct app *app, const char *image_path, const char *box,
			 const char *image)
{
	struct mkbox_build b;
	char hex[HASH_HEX_MAX], path[PATH_MAX];

	if (mkbox_build_find(image_path, box, image, &b) < 0 ||
	    mkbox_tar_get(app, box, image, &b, hex) < 0)
		return -1;
	/* the front end's static tree: the first check is a file too */
	if (mkbox_static_prepare(app->set.var_dir, image_path) == 0 &&
	    blob_path(&app->blobs, hex, path, sizeof(path)) == 0)
		mkbox_static_put(app->set.var_dir, box, image, &b, path);
	mkbox_list_refresh(app->set.var_dir, image_path);
	return 0;
}

int mkbox_tar_sync(struct app *app, const char *image_path)
{
	struct arena a;
	struct mkbox_entry *v;
	size_t n, i;
	int done = 0;

	if (mkbox_static_prepare(app->set.var_dir, image_path) < 0)
		return -1;
	arena_init(&a);
	if (mkbox_catalog(&a, image_path, NULL, &v, &n) < 0) {
		arena_free(&a);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct mkbox_build b;
		char hex[HASH_HEX_MAX], path[PATH_MAX];

		if (!v[i].build_id || mkbox_build_find(image_path, v[i].box, v[i].image, &b) < 0 ||
		    mkbox_tar_get(app, v[i].box, v[i].image, &b, hex) < 0 ||
		    blob_path(&app->blobs, hex, path, sizeof(path)) < 0)
			continue;
		if (mkbox_static_put(app->set.var_dir, v[i].box, v[i].image, &b, path) == 0)
			done++;
	}
	arena_free(&a);
	mkbox_list_refresh(app->set.var_dir, image_path);
	return done;
}
