/*
 * Rollouts: one software offered to the devices of one feed that run in
 * rollout mode.  Each counts its successes and failures as devices report
 * them, can be paused and resumed, pauses itself when failures pass its
 * limits, and can be staged: only a deterministic percentage of the feed
 * (ddi_stage_bucket) is offered the update until the operator raises it.
 */
#include "ddi.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char sql_add[] =
	"INSERT INTO ddi_rollouts(name, feed, software_id, percent, max_failures,"
	" max_failure_rate, created, updated) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";

long long ddi_rollout_create(struct app *app, const struct ddi_rollout *r, struct nb_err *e)
{
	struct ddi_software s;
	sqlite3_stmt *st;
	int rc;

	if (!*r->feed || strlen(r->feed) > 63 || strlen(r->name) > 127)
		return nb_fail(e, NB_INVALID, "a rollout needs a feed (at most 63 bytes)");
	if (r->percent < 1 || r->percent > 100 || r->max_failures < 0 ||
	    r->max_failure_rate < 0 || r->max_failure_rate > 100)
		return nb_fail(e, NB_INVALID, "percent must be 1-100, failure limits 0 or more");
	if (ddi_software_get(app, r->software_id, &s) < 0)
		return nb_fail(e, NB_NOT_FOUND, "no software %lld", r->software_id);
	st = db_stmt(app->db, sql_add);
	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	sqlite3_bind_text(st, 1, *r->name ? r->name : s.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->software_id);
	sqlite3_bind_int(st, 4, r->percent);
	sqlite3_bind_int(st, 5, r->max_failures);
	sqlite3_bind_int(st, 6, r->max_failure_rate);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	return sqlite3_last_insert_rowid(db_handle(app->db));
}

static int changed(struct app *app, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE && sqlite3_changes(db_handle(app->db)) ? 0 : -1;
}

/* "running" or "paused"; resuming clears why it paused. */
int ddi_rollout_set_state(struct app *app, long long id, const char *state)
{
	sqlite3_stmt *st;

	if (strcmp(state, "running") && strcmp(state, "paused"))
		return -1;
	st = db_stmt(app->db, "UPDATE ddi_rollouts SET state=?1, updated=?2,"
		     " pause_reason=CASE WHEN ?1='paused' THEN 'paused by an operator' ELSE '' END"
		     " WHERE id=?3");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 3, id);
	return changed(app, st);
}

/* Devices already offered the update keep it when the stage is lowered. */
int ddi_rollout_stage(struct app *app, long long id, int percent)
{
	sqlite3_stmt *st;

	if (percent < 1 || percent > 100)
		return -1;
	st = db_stmt(app->db, "UPDATE ddi_rollouts SET percent=?, updated=? WHERE id=?");
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, percent);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 3, id);
	return changed(app, st);
}

static const char sql_count[] =
	"UPDATE ddi_rollouts SET success = success + ?2, failure = failure + ?3, updated=?4"
	" WHERE id=?1";

/* Pauses when failures reach max_failures, or their share passes the rate. */
static const char sql_auto_pause[] =
	"UPDATE ddi_rollouts SET state='paused', pause_reason ="
	" CASE WHEN max_failures > 0 AND failure >= max_failures"
	"  THEN 'paused itself: ' || failure || ' failures (limit ' || max_failures || ')'"
	"  ELSE 'paused itself: ' || (failure * 100 / (success + failure)) || '% failed (limit '"
	"   || max_failure_rate || '%)' END"
	" WHERE id=?1 AND state='running' AND ("
	"  (max_failures > 0 AND failure >= max_failures) OR"
	"  (max_failure_rate > 0 AND success + failure >= ?2"
	"   AND failure * 100 > max_failure_rate * (success + failure)))";

/* Called in the feedback's transaction when an action of the rollout closes. */
int ddi_rollout_result(struct app *app, long long id, int success, long long min_results)
{
	sqlite3_stmt *st = db_stmt(app->db, sql_count);

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, success != 0);
	sqlite3_bind_int(st, 3, success == 0);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	if (success)
		return 0;
	st = db_stmt(app->db, sql_auto_pause);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, min_results);
	sqlite3_step(st);
	sqlite3_reset(st);
	return 0;
}

static void rollout_row(sqlite3_stmt *st, struct ddi_rollout *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->software_id = sqlite3_column_int64(st, 1);
	r->created = sqlite3_column_int64(st, 2);
	ddi_col(st, 3, r->name, sizeof(r->name));
	ddi_col(st, 4, r->feed, sizeof(r->feed));
	ddi_col(st, 5, r->state, sizeof(r->state));
	ddi_col(st, 6, r->version, sizeof(r->version));
	ddi_col(st, 7, r->pause_reason, sizeof(r->pause_reason));
	r->percent = sqlite3_column_int(st, 8);
	r->max_failures = sqlite3_column_int(st, 9);
	r->max_failure_rate = sqlite3_column_int(st, 10);
	r->success = sqlite3_column_int64(st, 11);
	r->failure = sqlite3_column_int64(st, 12);
	r->open = sqlite3_column_int64(st, 13);
}

#define SQL_GET \
	"SELECT r.id, r.software_id, r.created, r.name, r.feed, r.state, s.version," \
	" r.pause_reason, r.percent, r.max_failures, r.max_failure_rate, r.success, r.failure," \
	" (SELECT count(*) FROM ddi_actions a WHERE a.rollout_id = r.id" \
	"   AND a.status IN ('waiting', 'running', 'canceling'))" \
	" FROM ddi_rollouts r JOIN ddi_software s ON s.id = r.software_id"

static const char sql_get_one[] = SQL_GET " WHERE r.id = ?";
static const char sql_list[] = SQL_GET " ORDER BY r.id DESC LIMIT ? OFFSET ?";

int ddi_rollout_get(struct app *app, long long id, struct ddi_rollout *r)
{
	sqlite3_stmt *st = db_stmt(app->db, sql_get_one);
	int found = 0;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		rollout_row(st, r);
		found = 1;
	}
	sqlite3_reset(st);
	return found ? 0 : -1;
}

/* Newest first; returns how many were filled. */
int ddi_rollout_list(struct app *app, struct ddi_rollout *out, int max, int offset)
{
	sqlite3_stmt *st = db_stmt(app->db, sql_list);
	int n = 0;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, max);
	sqlite3_bind_int(st, 2, offset);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		rollout_row(st, &out[n++]);
	sqlite3_reset(st);
	return n;
}
