/*
 * All SQL of the ota_ tables, through prepared statements; rows come back
 * as plain structs.  Reads a board makes (latest release, a ref, a file)
 * are single index lookups and never write.  Errors: a row that is not
 * there is NB_NOT_FOUND, a busy or failing store NB_UNAVAILABLE, a
 * release tag that exists NB_CONFLICT (err.h).
 */
#include "ota.h"
#include "ota_store.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int ota_store_unavailable(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
}

/* Short, for the many statements below that could not be prepared. */
static int unavailable(struct nb_err *e)
{
	return ota_store_unavailable(e);
}

/* Steps a statement that returns no rows; 0, or -1 with e (a UNIQUE
 * constraint is NB_CONFLICT naming what). */
static int done(struct db_stmt *st, const char *what, struct nb_err *e)
{
	int rc = db_step(st);

	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	if ((rc & 0xff) == DB_CONSTRAINT)	/* also the extended codes */
		return nb_fail(e, NB_CONFLICT, "%s exists", what);
	return unavailable(e);
}

int ota_store_one(int rc, const char *what, struct nb_err *e)
{
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? nb_fail(e, NB_NOT_FOUND, "%s not found", what) : unavailable(e);
}

int ota_store_rows(struct db_stmt *st, struct arena *a, size_t size, db_row_fn *fn, void **v,
		   int *n, struct nb_err *e)
{
	*v = NULL;
	*n = st ? db_rows(st, a, size, fn, v) : -1;
	if (*n >= 0)
		return 0;
	*n = 0;
	return unavailable(e);
}

int ota_store_count(struct db_stmt *st, long long *n, struct nb_err *e)
{
	int rc = st ? db_step(st) : DB_ERROR;

	*n = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	if (st)
		db_reset(st);
	return rc == DB_ROW ? 0 : unavailable(e);
}

static void repo_row(struct db_stmt *st, struct ota_repo *r)
{
	r->id = db_column_int64(st, 0);
	db_column_copy(st, 1, r->owner, sizeof(r->owner));
	db_column_copy(st, 2, r->name, sizeof(r->name));
	r->private = db_column_int(st, 3);
	db_column_copy(st, 4, r->sign_key, sizeof(r->sign_key));
	r->created = db_column_int64(st, 5);
}

static void repo_item(struct arena *a, struct db_stmt *st, void *row)
{
	(void)a;
	repo_row(st, row);
}

static const char sql_repo_get[] =
	"SELECT id, owner, name, private, sign_key, created FROM ota_repos"
	" WHERE owner = ?1 AND name = ?2";

int ota_repo_get(struct app *app, const char *owner, const char *name, struct ota_repo *r,
		 struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_repo_get);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_text(st, 1, owner, -1, DB_STATIC);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		repo_row(st, r);
	db_reset(st);
	return ota_store_one(rc, "repository", e);
}

static const char sql_repo_add[] =
	"INSERT INTO ota_repos(owner, name, created) VALUES(?1, ?2, ?3)"
	" ON CONFLICT(owner, name) DO NOTHING";

int ota_repo_ensure(struct app *app, const char *owner, const char *name, struct ota_repo *r,
		    struct nb_err *e)
{
	struct db_stmt *st;

	if (ota_repo_get(app, owner, name, r, e) == 0)
		return 0;
	if (e && e->kind != NB_NOT_FOUND)
		return -1;
	st = db_stmt(app->db, sql_repo_add);
	if (!st)
		return unavailable(e);
	db_bind_text(st, 1, owner, -1, DB_STATIC);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	db_bind_int64(st, 3, (int64_t)time(NULL));
	if (done(st, "repository", e) < 0)
		return -1;
	return ota_repo_get(app, owner, name, r, e);
}

static const char sql_repo_private[] = "UPDATE ota_repos SET private = ?2 WHERE id = ?1";

int ota_repo_store_private(struct app *app, long long id, int private, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_repo_private);

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, id);
	db_bind_int(st, 2, private ? 1 : 0);
	return done(st, "repository", e);
}

static const char sql_repo_key[] = "UPDATE ota_repos SET sign_key = ?2 WHERE id = ?1";

int ota_repo_set_key(struct app *app, long long id, const char *key, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_repo_key);

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, key, -1, DB_STATIC);
	return done(st, "key", e);
}

static const char sql_repo_list[] =
	"SELECT id, owner, name, private, sign_key, created FROM ota_repos ORDER BY owner, name";

int ota_repo_list(struct app *app, struct arena *a, struct ota_repo **out, int *n,
		  struct nb_err *e)
{
	void *v;
	int rc = ota_store_rows(db_stmt(app->db, sql_repo_list), a, sizeof(**out), repo_item, &v,
				n, e);

	*out = v;
	return rc;
}

static const char sql_token_check[] =
	"SELECT name FROM ota_tokens WHERE token_hash = ?1 AND repo_id = ?2";

int ota_token_check(struct app *app, long long repo_id, const char *token, char *name, size_t n,
		    struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_token_check);
	char h[HASH_HEX_MAX];
	int rc;

	if (!st)
		return unavailable(e);
	/* looked up by its hash: the clear token is never stored or compared */
	auth_token_hash(token, h);
	db_bind_text(st, 1, h, -1, DB_TRANSIENT);
	db_bind_int64(st, 2, repo_id);
	rc = db_step(st);
	if (rc == DB_ROW)
		db_column_copy(st, 0, name, n);
	db_reset(st);
	return ota_store_one(rc, "token", e);
}

static const char sql_token_add[] =
	"INSERT INTO ota_tokens(repo_id, name, token_hash, created) VALUES(?1, ?2, ?3, ?4)";

int ota_token_add(struct app *app, long long repo_id, const char *name, const char *token,
		  struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_token_add);
	char h[HASH_HEX_MAX];

	if (!st)
		return unavailable(e);
	auth_token_hash(token, h);
	db_bind_int64(st, 1, repo_id);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	db_bind_text(st, 3, h, -1, DB_TRANSIENT);
	db_bind_int64(st, 4, (int64_t)time(NULL));
	return done(st, "token", e);
}

#define REL_COLS "id, repo_id, tag, commit_sha, tag_sha, manifest, manifest_size, published, version"

static void release_row(struct db_stmt *st, struct ota_release *r)
{
	r->id = db_column_int64(st, 0);
	r->repo_id = db_column_int64(st, 1);
	db_column_copy(st, 2, r->tag, sizeof(r->tag));
	db_column_copy(st, 3, r->commit, sizeof(r->commit));
	db_column_copy(st, 4, r->tag_sha, sizeof(r->tag_sha));
	db_column_copy(st, 5, r->manifest, sizeof(r->manifest));
	r->manifest_size = db_column_int64(st, 6);
	r->published = db_column_int64(st, 7);
	db_column_copy(st, 8, r->version, sizeof(r->version));
}

static int release_one(struct db_stmt *st, struct ota_release *rel, struct nb_err *e)
{
	int rc = db_step(st);

	if (rc == DB_ROW)
		release_row(st, rel);
	db_reset(st);
	return ota_store_one(rc, "release", e);
}

static const char sql_rel_latest[] =
	"SELECT " REL_COLS " FROM ota_releases WHERE repo_id = ?1 ORDER BY id DESC LIMIT 1";

int ota_release_latest(struct app *app, long long repo_id, struct ota_release *rel,
		       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_rel_latest);

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	return release_one(st, rel, e);
}

static const char sql_rel_tag[] =
	"SELECT " REL_COLS " FROM ota_releases WHERE repo_id = ?1 AND tag = ?2";

int ota_release_by_tag(struct app *app, long long repo_id, const char *tag,
		       struct ota_release *rel, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_rel_tag);

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	db_bind_text(st, 2, tag, -1, DB_STATIC);
	return release_one(st, rel, e);
}

static const char sql_rel_id[] =
	"SELECT " REL_COLS " FROM ota_releases WHERE repo_id = ?1 AND id = ?2";

int ota_release_by_id(struct app *app, long long repo_id, long long id, struct ota_release *rel,
		      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_rel_id);

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	db_bind_int64(st, 2, id);
	return release_one(st, rel, e);
}

static const char sql_rel_list[] =
	"SELECT " REL_COLS " FROM ota_releases WHERE repo_id = ?1 ORDER BY id DESC"
	" LIMIT ?2 OFFSET ?3";

int ota_release_list(struct app *app, struct arena *a, long long repo_id, long long skip,
		     int max, struct ota_release **out, int *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_rel_list);
	struct ota_release *v = arena_alloc(a, sizeof(*v) * (size_t)(max > 0 ? max : 1));
	int rc;

	*n = 0;
	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	db_bind_int(st, 2, max);
	db_bind_int64(st, 3, skip);
	while (*n < max && db_step(st) == DB_ROW)
		release_row(st, &v[(*n)++]);
	rc = db_reset(st);
	*out = v;
	return rc == DB_OK ? 0 : unavailable(e);
}

static const char sql_rel_put[] =
	"INSERT INTO ota_releases(repo_id, tag, commit_sha, tag_sha, version, manifest,"
	" manifest_size, published) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

int ota_release_put(struct app *app, struct ota_release *rel, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_rel_put);

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, rel->repo_id);
	db_bind_text(st, 2, rel->tag, -1, DB_STATIC);
	db_bind_text(st, 3, rel->commit, -1, DB_STATIC);
	db_bind_text(st, 4, rel->tag_sha, -1, DB_STATIC);
	db_bind_text(st, 5, rel->version, -1, DB_STATIC);
	db_bind_text(st, 6, rel->manifest, -1, DB_STATIC);
	db_bind_int64(st, 7, rel->manifest_size);
	db_bind_int64(st, 8, rel->published);
	if (done(st, "release", e) < 0)
		return nb_err_prefix(e, "%s", rel->tag);
	rel->id = db_last_insert_id(app->db);
	return 0;
}

static const char sql_branch_get[] =
	"SELECT name, commit_sha, updated FROM ota_branches WHERE repo_id = ?1 AND name = ?2";

int ota_branch_get(struct app *app, long long repo_id, const char *name, struct ota_branch *b,
		   struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_branch_get);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW) {
		db_column_copy(st, 0, b->name, sizeof(b->name));
		db_column_copy(st, 1, b->commit, sizeof(b->commit));
		b->updated = db_column_int64(st, 2);
	}
	db_reset(st);
	return ota_store_one(rc, "branch", e);
}

static const char sql_branch_put[] =
	"INSERT INTO ota_branches(repo_id, name, commit_sha, updated) VALUES(?1, ?2, ?3, ?4)"
	" ON CONFLICT(repo_id, name) DO UPDATE SET commit_sha = ?3, updated = ?4";

int ota_branch_put(struct app *app, long long repo_id, const char *name, const char *commit,
		   struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_branch_put);

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	db_bind_text(st, 3, commit, -1, DB_STATIC);
	db_bind_int64(st, 4, (int64_t)time(NULL));
	return done(st, "branch", e);
}

static void blob_row(struct db_stmt *st, int i, struct ota_blobrow *b)
{
	db_column_copy(st, i, b->sha1, sizeof(b->sha1));
	db_column_copy(st, i + 1, b->sha256, sizeof(b->sha256));
	b->size = (uint64_t)db_column_int64(st, i + 2);
	b->crc32 = (uint32_t)db_column_int64(st, i + 3);
}

static const char sql_blob_get[] =
	"SELECT sha1, sha256, size, crc32 FROM ota_blobs WHERE sha1 = ?1";

int ota_blob_get(struct app *app, const char *sha1, struct ota_blobrow *row, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_blob_get);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_text(st, 1, sha1, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		blob_row(st, 0, row);
	db_reset(st);
	return ota_store_one(rc, "blob", e);
}

static const char sql_blob_put[] =
	"INSERT INTO ota_blobs(sha1, sha256, size, crc32) VALUES(?1, ?2, ?3, ?4)"
	" ON CONFLICT(sha1) DO NOTHING";

int ota_blob_put(struct app *app, const struct ota_blobrow *row, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_blob_put);

	if (!st)
		return unavailable(e);
	db_bind_text(st, 1, row->sha1, -1, DB_STATIC);
	db_bind_text(st, 2, row->sha256, -1, DB_STATIC);
	db_bind_int64(st, 3, (int64_t)row->size);
	db_bind_int64(st, 4, (int64_t)row->crc32);
	return done(st, "blob", e);
}

static const char sql_blob_known[] =
	"SELECT 1 FROM ota_blobs WHERE sha256 = ?1"
	" UNION ALL SELECT 1 FROM ota_releases WHERE manifest = ?1 LIMIT 1";

int ota_blob_known(struct app *app, const char *sha256, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_blob_known);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_text(st, 1, sha256, -1, DB_STATIC);
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return unavailable(e);
}

static const char sql_file_get[] =
	"SELECT b.sha1, b.sha256, b.size, b.crc32 FROM ota_files f JOIN ota_blobs b"
	" ON b.sha1 = f.sha1 WHERE f.repo_id = ?1 AND f.commit_sha = ?2 AND f.path = ?3";

int ota_file_get(struct app *app, long long repo_id, const char *commit, const char *path,
		 struct ota_blobrow *row, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_get);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	db_bind_text(st, 2, commit, -1, DB_STATIC);
	db_bind_text(st, 3, path, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		blob_row(st, 0, row);
	db_reset(st);
	return ota_store_one(rc, "file", e);
}

static void file_item(struct arena *a, struct db_stmt *st, void *row)
{
	struct ota_filerow *f = row;

	f->path = db_column_dup(a, st, 0);
	blob_row(st, 1, &f->b);
}

static const char sql_file_list[] =
	"SELECT f.path, b.sha1, b.sha256, b.size, b.crc32 FROM ota_files f JOIN ota_blobs b"
	" ON b.sha1 = f.sha1 WHERE f.repo_id = ?1 AND f.commit_sha = ?2 ORDER BY f.path";

int ota_file_list(struct app *app, struct arena *a, long long repo_id, const char *commit,
		  struct ota_filerow **out, int *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_list);
	void *v;
	int rc;

	if (st) {
		db_bind_int64(st, 1, repo_id);
		db_bind_text(st, 2, commit, -1, DB_STATIC);
	}
	rc = ota_store_rows(st, a, sizeof(**out), file_item, &v, n, e);
	*out = v;
	return rc;
}

static const char sql_file_put[] =
	"INSERT INTO ota_files(repo_id, commit_sha, path, sha1) VALUES(?1, ?2, ?3, ?4)"
	" ON CONFLICT(repo_id, commit_sha, path) DO NOTHING";

int ota_file_put(struct app *app, long long repo_id, const char *commit, const char *path,
		 const char *sha1, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_put);

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	db_bind_text(st, 2, commit, -1, DB_STATIC);
	db_bind_text(st, 3, path, -1, DB_STATIC);
	db_bind_text(st, 4, sha1, -1, DB_STATIC);
	return done(st, "file", e);
}
