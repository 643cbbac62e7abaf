/*
 * The rollouts' SQL (ddi_rollouts, and the actions and devices a rollout
 * moves when it ends): every statement over them the DDI domain runs.
 * What the rules are (bounds, states, how a device is grouped) is
 * ddi_rollout.c's; this file only reads and writes rows.
 */
#include "ddi.h"

#include <string.h>
#include <time.h>

static const char sql_add[] =
	"INSERT INTO ddi_rollouts(name, feed, software_id, percent, max_failures,"
	" max_failure_rate, created, updated) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";

/* -1 with e NB_UNAVAILABLE: the store failed (busy, I/O, PostgreSQL gone). */
static int busy(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
}

long long ddi_rollout_insert(struct app *app, const struct ddi_rollout *r, const char *name,
			     struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_add);
	int rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	db_bind_text(st, 1, name, -1, DB_STATIC);
	db_bind_text(st, 2, r->feed, -1, DB_STATIC);
	db_bind_int64(st, 3, r->software_id);
	db_bind_int(st, 4, r->percent);
	db_bind_int(st, 5, r->max_failures);
	db_bind_int(st, 6, r->max_failure_rate);
	db_bind_int64(st, 7, (int64_t)time(NULL));
	rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	return db_last_insert_id(app->db);
}

/* Steps an UPDATE: 1 when it changed a row, 0 when none matched, or -1 with e. */
static int changed(struct app *app, struct db_stmt *st, struct nb_err *e)
{
	int rc = db_step(st);

	db_reset(st);
	if (rc != DB_DONE)
		return busy(e);
	return db_changes(app->db) ? 1 : 0;
}

static const char sql_state[] =
	"UPDATE ddi_rollouts SET state=?1, updated=?2,"
	" pause_reason=CASE WHEN ?1='paused' THEN 'paused by an operator' ELSE '' END"
	" WHERE id=?3 AND state IN ('running', 'paused')";

int ddi_rollout_put_state(struct app *app, long long id, const char *state, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_state);

	if (!st)
		return busy(e);
	db_bind_text(st, 1, state, -1, DB_STATIC);
	db_bind_int64(st, 2, (int64_t)time(NULL));
	db_bind_int64(st, 3, id);
	return changed(app, st, e);
}

static const char sql_percent[] =
	"UPDATE ddi_rollouts SET percent=?, updated=? WHERE id=?"
	" AND state IN ('running', 'paused')";

int ddi_rollout_put_percent(struct app *app, long long id, int percent, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_percent);

	if (!st)
		return busy(e);
	db_bind_int(st, 1, percent);
	db_bind_int64(st, 2, (int64_t)time(NULL));
	db_bind_int64(st, 3, id);
	return changed(app, st, e);
}

static const char sql_limits[] =
	"UPDATE ddi_rollouts SET max_failures=?, max_failure_rate=?, updated=? WHERE id=?"
	" AND state IN ('running', 'paused')";

int ddi_rollout_put_limits(struct app *app, long long id, int max_failures, int max_failure_rate,
			   struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_limits);

	if (!st)
		return busy(e);
	db_bind_int(st, 1, max_failures);
	db_bind_int(st, 2, max_failure_rate);
	db_bind_int64(st, 3, (int64_t)time(NULL));
	db_bind_int64(st, 4, id);
	return changed(app, st, e);
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

/* Called in the feedback's transaction when an action of the rollout
 * closes; a failed pause check fails it too: a count written without the
 * pause its limits ask for would let the rollout run past them. */
int ddi_rollout_result(struct app *app, long long id, int success, long long min_results,
		       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_count);

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	db_bind_int(st, 2, success != 0);
	db_bind_int(st, 3, success == 0);
	db_bind_int64(st, 4, (int64_t)time(NULL));
	if (changed(app, st, e) < 0)
		return -1;
	if (success)
		return 0;
	st = db_stmt(app->db, sql_auto_pause);
	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, min_results);
	return changed(app, st, e) < 0 ? -1 : 0;
}

static void rollout_row(struct db_stmt *st, struct ddi_rollout *r)
{
	r->id = db_column_int64(st, 0);
	r->software_id = db_column_int64(st, 1);
	r->created = db_column_int64(st, 2);
	db_column_copy(st, 3, r->name, sizeof(r->name));
	db_column_copy(st, 4, r->feed, sizeof(r->feed));
	db_column_copy(st, 5, r->state, sizeof(r->state));
	db_column_copy(st, 6, r->version, sizeof(r->version));
	db_column_copy(st, 7, r->pause_reason, sizeof(r->pause_reason));
	r->percent = db_column_int(st, 8);
	r->max_failures = db_column_int(st, 9);
	r->max_failure_rate = db_column_int(st, 10);
	r->success = db_column_int64(st, 11);
	r->failure = db_column_int64(st, 12);
	r->open = db_column_int64(st, 13);
}

#define SQL_GET \
	"SELECT r.id, r.software_id, r.created, r.name, r.feed, r.state, s.version," \
	" r.pause_reason, r.percent, r.max_failures, r.max_failure_rate, r.success, r.failure," \
	" (SELECT count(*) FROM ddi_actions a WHERE a.rollout_id = r.id" \
	"   AND a.status IN ('waiting', 'running', 'canceling'))" \
	" FROM ddi_rollouts r JOIN ddi_software s ON s.id = r.software_id"

static const char sql_get_one[] = SQL_GET " WHERE r.id = ?";
static const char sql_list[] = SQL_GET " ORDER BY r.id DESC LIMIT ? OFFSET ?";
static const char sql_active[] = SQL_GET " WHERE r.state IN ('running', 'paused')"
	" ORDER BY r.id DESC LIMIT ?";

int ddi_rollout_get(struct app *app, long long id, struct ddi_rollout *r, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_get_one);
	int rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "cannot read rollout %lld", id);
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		rollout_row(st, r);
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return nb_fail(e, NB_NOT_FOUND, "no rollout %lld", id);
	return nb_fail(e, NB_UNAVAILABLE, "cannot read rollout %lld", id);
}

int ddi_rollout_active(struct app *app, struct ddi_rollout *out, int max, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_active);
	int n = 0;

	if (!st)
		return busy(e);
	db_bind_int(st, 1, max);
	while (n < max && db_step(st) == DB_ROW)
		rollout_row(st, &out[n++]);
	return db_reset(st) == DB_OK ? n : busy(e);
}

int ddi_rollout_list(struct app *app, struct ddi_rollout *out, int max, int offset,
		     struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_list);
	int n = 0;

	if (!st)
		return busy(e);
	db_bind_int(st, 1, max);
	db_bind_int(st, 2, offset);
	while (n < max && db_step(st) == DB_ROW)
		rollout_row(st, &out[n++]);
	return db_reset(st) == DB_OK ? n : busy(e);
}

static const char *const sql_end[] = {
	"UPDATE ddi_rollouts SET state=?2, pause_reason='', updated=?3"
	" WHERE id=?1 AND state IN ('running', 'paused')",
	/* canceled: what was offered and not yet taken is withdrawn at once... */
	"UPDATE ddi_devices SET state='registered' WHERE id IN (SELECT device_id"
	" FROM ddi_actions WHERE rollout_id=?1 AND status='waiting') AND ?2='canceled'",
	"UPDATE ddi_actions SET status='canceled', updated=?3"
	" WHERE rollout_id=?1 AND status='waiting' AND ?2='canceled'",
	/* ...and a device installing it is asked to stop (hawkBit's cancelAction) */
	"UPDATE ddi_actions SET status='canceling', updated=?3"
	" WHERE rollout_id=?1 AND status='running' AND ?2='canceled'",
};

static int end_step(struct app *app, int i, long long id, const char *state, int *changes)
{
	struct db_stmt *st = db_stmt(app->db, sql_end[i]);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, state, -1, DB_STATIC);
	db_bind_int64(st, 3, (int64_t)time(NULL));
	rc = db_step(st);
	db_reset(st);
	*changes = db_changes(app->db);
	return rc == DB_DONE ? 0 : -1;
}

int ddi_rollout_close(struct app *app, long long id, const char *state, int *withdrawn,
		      struct nb_err *e)
{
	int i, n = 0, rc = 0;

	*withdrawn = 0;
	if (db_begin(app->db) < 0)
		return busy(e);
	for (i = 0; rc == 0 && i < 4; i++) {
		rc = end_step(app, i, id, state, &n);
		if (i == 0 && rc == 0 && n == 0)
			rc = 1;		/* not running or paused: nothing else moves */
		if (i >= 2)
			*withdrawn += n;
	}
	if (rc != 0 || db_commit(app->db) < 0) {
		db_rollback(app->db);
		*withdrawn = 0;
		return rc > 0 ? 1 : busy(e);
	}
	return 0;
}

/*
 * The devices of the rollout's feed and any other device it has an action
 * on (one moved to another feed), each with its newest action of this
 * rollout and that action's newest status details.
 */
/* COMPATIBLE of ddi_store.c, for the row's device instead of bound values */
#define COMPAT_DEV \
	" (NOT EXISTS (SELECT 1 FROM ddi_software_compat c WHERE c.software_id = s.id)" \
	"  OR EXISTS (SELECT 1 FROM ddi_software_compat c WHERE c.software_id = s.id" \
	"   AND (c.board = '' OR c.board = d.hw_model)" \
	"   AND (c.revision = '' OR c.revision = d.hw_revision)))"

static const char sql_rdevs[] =
	"SELECT d.id, d.tenant, d.controller_id, d.name, d.mode, d.hw_model, d.hw_revision,"
	" d.sw_version, d.attributes != '', coalesce(a.status, ''),"
	" coalesce((SELECT details FROM ddi_action_status x WHERE x.action_id = a.id"
	"  ORDER BY x.id DESC LIMIT 1), ''),"
	" EXISTS (SELECT 1 FROM ddi_software s WHERE s.id = ?2 AND"
	COMPAT_DEV "),"
	" coalesce(a.created, 0),"
	" EXISTS (SELECT 1 FROM ddi_action_status x WHERE x.action_id = a.id)"
	" FROM ddi_devices d LEFT JOIN ddi_actions a ON a.id = (SELECT max(y.id)"
	"  FROM ddi_actions y WHERE y.device_id = d.id AND y.rollout_id = ?1)"
	" WHERE d.id IN (SELECT id FROM ddi_devices WHERE feed = ?3"
	"  UNION SELECT device_id FROM ddi_actions WHERE rollout_id = ?1)"
	" ORDER BY d.id";

static void rdev_row(struct db_stmt *st, struct ddi_rollout_devrow *r)
{
	const char *status = (const char *)db_column_text(st, 9);
	const char *details = (const char *)db_column_text(st, 10);
	struct ddi_rollout_dev *d = &r->d;

	memset(d, 0, sizeof(*d));
	d->id = db_column_int64(st, 0);
	db_column_copy(st, 1, d->tenant, sizeof(d->tenant));
	db_column_copy(st, 2, d->cid, sizeof(d->cid));
	db_column_copy(st, 3, d->name, sizeof(d->name));
	db_column_copy(st, 4, d->mode, sizeof(d->mode));
	db_column_copy(st, 5, d->board, sizeof(d->board));
	db_column_copy(st, 6, d->revision, sizeof(d->revision));
	db_column_copy(st, 7, d->version, sizeof(d->version));
	r->has_attrs = db_column_int(st, 8);
	r->status = status ? status : "";
	r->details = details ? details : "";
	r->compatible = db_column_int(st, 11);
	d->offered = db_column_int64(st, 12);
	d->answered = db_column_int(st, 13);
}

int ddi_rollout_dev_each(struct app *app, const struct ddi_rollout *ro, ddi_rollout_dev_fn *fn,
			 void *ctx, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_rdevs);
	struct ddi_rollout_devrow row;
	int n = 0, rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	db_bind_int64(st, 1, ro->id);
	db_bind_int64(st, 2, ro->software_id);
	db_bind_text(st, 3, ro->feed, -1, DB_STATIC);
	while ((rc = db_step(st)) == DB_ROW) {
		rdev_row(st, &row);
		fn(ctx, &row);
		n++;
	}
	db_reset(st);
	if (rc != DB_DONE)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	return n;
}
