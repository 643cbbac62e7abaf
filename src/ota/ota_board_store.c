/*
 * The SQL of what the OTA part keeps beyond GitHub's shapes: the board
 * inventory (ota_boards), the staged rollout of each repository's newest
 * release (ota_rollouts), and the listing and revoking of read tokens.
 * Plain rows in and out; the rules are in ota_board.c.  Errors as in
 * ota_store.c: NB_NOT_FOUND, NB_UNAVAILABLE.
 */
#include "ota.h"
#include "ota_store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int unavailable(struct nb_err *e)
{
	return ota_store_unavailable(e);
}

/* The rows of sql (its ?1 the repository's id) read by fn: ota_store_rows. */
static int repo_rows(struct app *app, const char *sql, long long repo_id, struct arena *a,
		     size_t size, db_row_fn *fn, void **v, int *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql);

	if (st)
		db_bind_int64(st, 1, repo_id);
	return ota_store_rows(st, a, size, fn, v, n, e);
}

static void token_item(struct arena *a, struct db_stmt *st, void *row)
{
	struct ota_tokenrow *t = row;

	(void)a;
	t->id = db_column_int64(st, 0);
	db_column_copy(st, 1, t->name, sizeof(t->name));
	t->created = db_column_int64(st, 2);
}

static const char sql_token_list[] =
	"SELECT id, name, created FROM ota_tokens WHERE repo_id = ?1 ORDER BY id";

int ota_token_list(struct app *app, struct arena *a, long long repo_id, struct ota_tokenrow **out,
		   int *n, struct nb_err *e)
{
	void *v;
	int rc = repo_rows(app, sql_token_list, repo_id, a, sizeof(**out), token_item, &v, n, e);

	*out = v;
	return rc;
}

static const char sql_token_revoke[] = "DELETE FROM ota_tokens WHERE id = ?1 AND repo_id = ?2";

int ota_token_revoke(struct app *app, long long repo_id, long long id, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_token_revoke);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, repo_id);
	rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return unavailable(e);
	return db_changes(app->db) ? 0 : nb_fail(e, NB_NOT_FOUND, "token not found");
}

#define BOARD_COLS \
	"id, repo_id, board_key, name, address, agent, first_seen, last_seen, fetch_commit," \
	" fetch_ref, fetch_path, fetch_n, fetch_total, done_commit, done_ref, done_at"

static void board_row(struct db_stmt *st, struct ota_boardrow *b)
{
	b->id = db_column_int64(st, 0);
	b->repo_id = db_column_int64(st, 1);
	db_column_copy(st, 2, b->key, sizeof(b->key));
	db_column_copy(st, 3, b->name, sizeof(b->name));
	db_column_copy(st, 4, b->address, sizeof(b->address));
	db_column_copy(st, 5, b->agent, sizeof(b->agent));
	b->first_seen = db_column_int64(st, 6);
	b->last_seen = db_column_int64(st, 7);
	db_column_copy(st, 8, b->fetch_commit, sizeof(b->fetch_commit));
	db_column_copy(st, 9, b->fetch_ref, sizeof(b->fetch_ref));
	db_column_copy(st, 10, b->fetch_path, sizeof(b->fetch_path));
	b->fetch_n = db_column_int(st, 11);
	b->fetch_total = db_column_int(st, 12);
	db_column_copy(st, 13, b->done_commit, sizeof(b->done_commit));
	db_column_copy(st, 14, b->done_ref, sizeof(b->done_ref));
	b->done_at = db_column_int64(st, 15);
}

static void board_item(struct arena *a, struct db_stmt *st, void *row)
{
	(void)a;
	board_row(st, row);
}

static const char sql_board_get[] =
	"SELECT " BOARD_COLS " FROM ota_boards WHERE repo_id = ?1 AND board_key = ?2";

int ota_board_get(struct app *app, long long repo_id, const char *key, struct ota_boardrow *b,
		  struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_board_get);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	db_bind_text(st, 2, key, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		board_row(st, b);
	db_reset(st);
	return ota_store_one(rc, "board", e);
}

static const char sql_board_put[] =
	"INSERT INTO ota_boards(repo_id, board_key, name, address, agent, first_seen, last_seen,"
	" fetch_commit, fetch_ref, fetch_path, fetch_n, fetch_total, done_commit, done_ref, done_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
	" ON CONFLICT(repo_id, board_key) DO UPDATE SET name = ?3, address = ?4, agent = ?5,"
	" last_seen = ?7, fetch_commit = ?8, fetch_ref = ?9, fetch_path = ?10, fetch_n = ?11,"
	" fetch_total = ?12, done_commit = ?13, done_ref = ?14, done_at = ?15";

int ota_board_put(struct app *app, const struct ota_boardrow *b, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_board_put);
	const char *text[] = { b->key, b->name, b->address, b->agent };
	const char *fetch[] = { b->fetch_commit, b->fetch_ref, b->fetch_path };
	int i, rc;

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, b->repo_id);
	for (i = 0; i < 4; i++)
		db_bind_text(st, 2 + i, text[i], -1, DB_STATIC);
	db_bind_int64(st, 6, b->first_seen);
	db_bind_int64(st, 7, b->last_seen);
	for (i = 0; i < 3; i++)
		db_bind_text(st, 8 + i, fetch[i], -1, DB_STATIC);
	db_bind_int(st, 11, b->fetch_n);
	db_bind_int(st, 12, b->fetch_total);
	db_bind_text(st, 13, b->done_commit, -1, DB_STATIC);
	db_bind_text(st, 14, b->done_ref, -1, DB_STATIC);
	db_bind_int64(st, 15, b->done_at);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : unavailable(e);
}

static const char sql_board_list[] =
	"SELECT " BOARD_COLS " FROM ota_boards WHERE ?1 = 0 OR repo_id = ?1"
	" ORDER BY last_seen DESC, id LIMIT ?2";

int ota_board_list(struct app *app, struct arena *a, long long repo_id, int max,
		   struct ota_boardrow **out, int *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_board_list);
	void *v;
	int rc;

	if (st) {
		db_bind_int64(st, 1, repo_id);
		db_bind_int(st, 2, max);
	}
	rc = ota_store_rows(st, a, sizeof(**out), board_item, &v, n, e);
	*out = v;
	return rc;
}

static const char sql_board_count[] = "SELECT count(*) FROM ota_boards WHERE repo_id = ?1";

int ota_board_count(struct app *app, long long repo_id, long long *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_board_count);

	if (st)
		db_bind_int64(st, 1, repo_id);
	return ota_store_count(st, n, e);
}

static const char sql_board_on[] =
	"SELECT count(*) FROM ota_boards WHERE repo_id = ?1 AND done_commit = ?2";

int ota_board_count_on(struct app *app, long long repo_id, const char *commit, long long *n,
		       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_board_on);

	if (st) {
		db_bind_int64(st, 1, repo_id);
		db_bind_text(st, 2, commit, -1, DB_STATIC);
	}
	return ota_store_count(st, n, e);
}

/* manifest mode: no segment starting with '.'; tree mode: no empty file.
 * "?3 <> 0", not a bare "?3": PostgreSQL's CASE WHEN takes a boolean only. */
static const char sql_file_count[] =
	"SELECT count(*) FROM ota_files f JOIN ota_blobs b ON b.sha1 = f.sha1"
	" WHERE f.repo_id = ?1 AND f.commit_sha = ?2 AND CASE WHEN ?3 <> 0"
	" THEN f.path NOT LIKE '.%' AND f.path NOT LIKE '%/.%' ELSE b.size > 0 END";

int ota_file_count(struct app *app, long long repo_id, const char *commit, int manifest_mode,
		   int *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_count);
	long long count;
	int rc;

	if (st) {
		db_bind_int64(st, 1, repo_id);
		db_bind_text(st, 2, commit, -1, DB_STATIC);
		db_bind_int(st, 3, manifest_mode ? 1 : 0);
	}
	rc = ota_store_count(st, &count, e);
	*n = (int)count;	/* files of one commit: bounded by ota.max_files */
	return rc;
}

static const char sql_rollout_get[] =
	"SELECT repo_id, release_id, prev_id, percent, paused, updated FROM ota_rollouts"
	" WHERE repo_id = ?1";

int ota_rollout_get(struct app *app, long long repo_id, struct ota_rollout *ro,
		    struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_rollout_get);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, repo_id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		ro->repo_id = db_column_int64(st, 0);
		ro->release_id = db_column_int64(st, 1);
		ro->prev_id = db_column_int64(st, 2);
		ro->percent = db_column_int(st, 3);
		ro->paused = db_column_int(st, 4);
		ro->updated = db_column_int64(st, 5);
	}
	db_reset(st);
	return ota_store_one(rc, "rollout", e);
}

static const char sql_rollout_put[] =
	"INSERT INTO ota_rollouts(repo_id, release_id, prev_id, percent, paused, updated)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(repo_id) DO UPDATE SET release_id = ?2,"
	" prev_id = ?3, percent = ?4, paused = ?5, updated = ?6";

int ota_rollout_put(struct app *app, const struct ota_rollout *ro, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_rollout_put);
	int rc;

	if (!st)
		return unavailable(e);
	db_bind_int64(st, 1, ro->repo_id);
	db_bind_int64(st, 2, ro->release_id);
	db_bind_int64(st, 3, ro->prev_id);
	db_bind_int(st, 4, ro->percent);
	db_bind_int(st, 5, ro->paused ? 1 : 0);
	db_bind_int64(st, 6, (int64_t)time(NULL));
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : unavailable(e);
}

static void branch_item(struct arena *a, struct db_stmt *st, void *row)
{
	struct ota_branch *b = row;

	(void)a;
	db_column_copy(st, 0, b->name, sizeof(b->name));
	db_column_copy(st, 1, b->commit, sizeof(b->commit));
	b->updated = db_column_int64(st, 2);
}

static const char sql_branch_list[] =
	"SELECT name, commit_sha, updated FROM ota_branches WHERE repo_id = ?1 ORDER BY name";

int ota_branch_list(struct app *app, struct arena *a, long long repo_id, struct ota_branch **out,
		    int *n, struct nb_err *e)
{
	void *v;
	int rc = repo_rows(app, sql_branch_list, repo_id, a, sizeof(**out), branch_item, &v, n, e);

	*out = v;
	return rc;
}
