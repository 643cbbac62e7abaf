/* The SQL of the mkbox domain's one table, mkbox_tar: the update tar
 * cached per (box, image) (mkbox.h, "The store").  Errors: a statement
 * that cannot be prepared or a step that fails is NB_UNAVAILABLE. */
#include "mkbox.h"

#include <string.h>

static const char sql_get[] =
	"SELECT build_id, zst_size, zst_mtime, sha_size, sha_mtime, blob, size, created"
	" FROM mkbox_tar WHERE box=? AND image=?";
static const char sql_put[] =
	"INSERT INTO mkbox_tar(box,image,build_id,zst_size,zst_mtime,"
	"sha_size,sha_mtime,blob,size,created) VALUES(?,?,?,?,?,?,?,?,?,?)"
	" ON CONFLICT(box, image) DO UPDATE SET build_id=excluded.build_id,"
	" zst_size=excluded.zst_size, zst_mtime=excluded.zst_mtime, sha_size=excluded.sha_size,"
	" sha_mtime=excluded.sha_mtime, blob=excluded.blob, size=excluded.size,"
	" created=excluded.created";
static const char sql_keys[] = "SELECT box, image, build_id FROM mkbox_tar";
static const char sql_del[] = "DELETE FROM mkbox_tar WHERE box=? AND image=? AND build_id=?";
static const char sql_ref[] = "SELECT 1 FROM mkbox_tar WHERE blob=? LIMIT 1";

/* A statement that could not be prepared or a step that failed: the
 * store's fault, for the client to retry (never "no row"). */
static int unavailable(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
}

/* Copies a text column into out[n] only when it fits whole: "" otherwise,
 * so a cut value never compares equal to anything. */
static void copy_exact(char *out, size_t n, struct db_stmt *st, int col)
{
	const char *s = (const char *)db_column_text(st, col);

	if (!s || strlen(s) >= n)
		s = "";
	memcpy(out, s, strlen(s) + 1);
}

int mkbox_store_tar_get(struct db *db, const char *box, const char *image,
			struct mkbox_tar_row *out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_get);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_text(st, 1, box, -1, DB_STATIC);
	db_bind_text(st, 2, image, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW) {
		copy_exact(out->build_id, sizeof(out->build_id), st, 0);
		out->zst_size = db_column_int64(st, 1);
		out->zst_mtime_ns = db_column_int64(st, 2);
		out->sha_size = db_column_int64(st, 3);
		out->sha_mtime_ns = db_column_int64(st, 4);
		copy_exact(out->blob, sizeof(out->blob), st, 5);
		if (strlen(out->blob) != 64)
			out->blob[0] = '\0';
		out->size = db_column_int64(st, 6);
		out->created = db_column_int64(st, 7);
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : unavailable(e);
}

int mkbox_store_tar_put(struct db *db, const char *box, const char *image,
			const struct mkbox_tar_row *row, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_put);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_text(st, 1, box, -1, DB_STATIC);
	db_bind_text(st, 2, image, -1, DB_STATIC);
	db_bind_text(st, 3, row->build_id, -1, DB_STATIC);
	db_bind_int64(st, 4, row->zst_size);
	db_bind_int64(st, 5, row->zst_mtime_ns);
	db_bind_int64(st, 6, row->sha_size);
	db_bind_int64(st, 7, row->sha_mtime_ns);
	db_bind_text(st, 8, row->blob, -1, DB_STATIC);
	db_bind_int64(st, 9, row->size);
	db_bind_int64(st, 10, row->created);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : unavailable(e);
}

int mkbox_store_tar_keys(struct db *db, struct arena *a, struct mkbox_tar_key **out,
			 size_t *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_keys);
	struct mkbox_tar_key *v = NULL;
	int k = 0, cap = 0, rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return unavailable(e);
	while ((rc = db_step(st)) == DB_ROW) {
		v = arena_grow(a, v, k, &cap, sizeof(*v));
		v[k].box = db_column_dup(a, st, 0);
		v[k].image = db_column_dup(a, st, 1);
		v[k++].build_id = db_column_dup(a, st, 2);
	}
	if (db_reset(st) != DB_OK)
		rc = DB_ERROR;
	*out = v;
	*n = (size_t)k;
	return rc == DB_DONE ? 0 : unavailable(e);
}

int mkbox_store_tar_delete(struct db *db, const struct mkbox_tar_key *k, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_del);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_text(st, 1, k->box, -1, DB_STATIC);
	db_bind_text(st, 2, k->image, -1, DB_STATIC);
	db_bind_text(st, 3, k->build_id, -1, DB_STATIC);
	rc = db_step(st) == DB_DONE ? db_changes(db) : -1;
	db_reset(st);
	return rc < 0 ? unavailable(e) : rc;
}

int mkbox_store_tar_refs(struct db *db, const char *hex, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_ref);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_text(st, 1, hex, -1, DB_STATIC);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : unavailable(e);
}
