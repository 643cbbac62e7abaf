/*
 * The fleet's read-only queries (ddi_fleet.h): what the admin pages and
 * nestboxctl show of devices, actions and software.  Rows are copied into
 * the caller's arena as they are stepped, so no statement stays open
 * while the caller formats them.
 */
#include "ddi_fleet.h"

#include <string.h>

/* The end of a read: -1 with e unless the statement ran to its end. */
static int read_end(struct db_stmt *st, int rc, struct nb_err *e)
{
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return nb_fail(e, NB_UNAVAILABLE, "the device store cannot be read");
	return 0;
}

/* The device store could not be read (prepared, or stepped). */
static int unreadable(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the device store cannot be read");
}

/* db_rows for a list of the device store: the count, or -1 with e. */
static int read_list(struct db_stmt *st, struct arena *a, size_t size, db_row_fn *fn,
		     void **out, struct nb_err *e)
{
	int n = db_rows(st, a, size, fn, out);

	return n < 0 ? unreadable(e) : n;
}

/* the trigger-kept counts (schema step 7): a few rows, whatever the fleet */
static const char sql_state_counts[] =
	"SELECT state, sum(n) FROM ddi_device_counts GROUP BY state HAVING sum(n) > 0"
	" ORDER BY state";

static void count_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct ddi_fleet_count *c = p;

	c->state = db_column_dup(a, st, 0);
	c->n = db_column_int64(st, 1);
}

int ddi_fleet_state_counts(struct app *app, struct arena *a, struct ddi_fleet_count **out,
			   long long *total, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_state_counts);
	void *v = NULL;
	int n, i;

	*out = NULL;
	*total = 0;
	if (!st)
		return unreadable(e);
	n = read_list(st, a, sizeof(**out), count_row, &v, e);
	*out = v;
	for (i = 0; i < n; i++)
		*total += (*out)[i].n;
	return n;
}

/* by id when ?1 > 0, else by tenant and controller id (the unique key) */
static const char sql_device[] =
	"SELECT id, tenant, controller_id, name, hw_model, hw_revision, sw_version, feed, mode,"
	" state, last_seen, last_addr, coalesce(assigned, 0), force, attributes, created,"
	" auto_confirm FROM ddi_devices"
	" WHERE (?1 > 0 AND id = ?1) OR (?1 = 0 AND tenant = ?2 AND controller_id = ?3)";

static void device_row(struct arena *a, struct db_stmt *st, struct ddi_fleet_device *d)
{
	d->id = db_column_int64(st, 0);
	d->tenant = db_column_dup(a, st, 1);
	d->cid = db_column_dup(a, st, 2);
	d->name = db_column_dup(a, st, 3);
	d->hw_model = db_column_dup(a, st, 4);
	d->hw_revision = db_column_dup(a, st, 5);
	d->sw_version = db_column_dup(a, st, 6);
	d->feed = db_column_dup(a, st, 7);
	d->mode = db_column_dup(a, st, 8);
	d->state = db_column_dup(a, st, 9);
	d->last_seen = db_column_int64(st, 10);
	d->last_addr = db_column_dup(a, st, 11);
	d->assigned = db_column_int64(st, 12);
	d->force = db_column_int(st, 13) != 0;
	d->attributes = db_column_dup(a, st, 14);
	d->created = db_column_int64(st, 15);
	d->auto_confirm = db_column_int(st, 16) != 0;
}

int ddi_fleet_device(struct app *app, struct arena *a, long long id, const char *tenant,
		     const char *cid, struct ddi_fleet_device *d, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_device);
	int rc;

	memset(d, 0, sizeof(*d));
	if (!st)
		return unreadable(e);
	db_bind_int64(st, 1, id > 0 ? id : 0);
	if (tenant)
		db_bind_text(st, 2, tenant, -1, DB_STATIC);
	if (cid)
		db_bind_text(st, 3, cid, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		device_row(a, st, d);
	if (read_end(st, rc, e) < 0)
		return -1;
	return rc == DB_ROW;
}

/* with the details of the action's latest feedback (NULL: the device never
 * answered), one index probe each (ddi_action_status_action) */
static const char sql_actions[] =
	"SELECT a.id, a.status, a.progress, a.created, a.updated, coalesce(a.rollout_id, 0),"
	" s.id, s.name, s.version, (SELECT details FROM ddi_action_status t"
	"  WHERE t.action_id = a.id ORDER BY t.id DESC LIMIT 1)"
	" FROM ddi_actions a JOIN ddi_software s ON s.id = a.software_id"
	" WHERE a.device_id = ? ORDER BY a.id DESC LIMIT 100";

static void action_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct ddi_fleet_action *x = p;

	x->id = db_column_int64(st, 0);
	x->status = db_column_dup(a, st, 1);
	x->progress = db_column_int(st, 2);
	x->created = db_column_int64(st, 3);
	x->updated = db_column_int64(st, 4);
	x->rollout_id = db_column_int64(st, 5);
	x->software_id = db_column_int64(st, 6);
	x->software = db_column_dup(a, st, 7);
	x->version = db_column_dup(a, st, 8);
	x->details = db_column_type(st, 9) == DB_NULL ? NULL : db_column_dup(a, st, 9);
}

int ddi_fleet_actions(struct app *app, struct arena *a, long long device_id,
		      struct ddi_fleet_action **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_actions);
	void *v = NULL;
	int n;

	*out = NULL;
	if (!st)
		return unreadable(e);
	db_bind_int64(st, 1, device_id);
	n = read_list(st, a, sizeof(**out), action_row, &v, e);
	*out = v;
	return n;
}

static const char sql_log[] =
	"SELECT ts, execution, finished, details FROM ddi_action_status WHERE action_id = ?"
	" ORDER BY id";

static void status_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct ddi_fleet_status *s = p;

	s->ts = db_column_int64(st, 0);
	s->execution = db_column_dup(a, st, 1);
	s->finished = db_column_dup(a, st, 2);
	s->details = db_column_dup(a, st, 3);
}

int ddi_fleet_action_log(struct app *app, struct arena *a, long long action_id,
			 struct ddi_fleet_status **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_log);
	void *v = NULL;
	int n;

	*out = NULL;
	if (!st)
		return unreadable(e);
	db_bind_int64(st, 1, action_id);
	n = read_list(st, a, sizeof(**out), status_row, &v, e);
	*out = v;
	return n;
}

/*
 * Use counts come from the indexed action and rollout tables only: counting
 * devices assigned to each software would scan every device once per row.
 */
static const char sql_sw_list[] =
	"SELECT s.id, s.name, s.version, s.kind, s.filename, s.size, s.sha256, s.url, s.created,"
	" (SELECT group_concat(CASE WHEN c.board = '' THEN '*' ELSE c.board END || ':' ||"
	"   CASE WHEN c.revision = '' THEN '*' ELSE c.revision END, ', ')"
	"   FROM ddi_software_compat c WHERE c.software_id = s.id),"
	" (SELECT count(*) FROM ddi_actions a WHERE a.software_id = s.id),"
	" (SELECT count(*) FROM ddi_rollouts r WHERE r.software_id = s.id)"
	" FROM ddi_software s ORDER BY s.id DESC LIMIT ? OFFSET ?";

static void software_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct ddi_fleet_software *s = p;

	s->id = db_column_int64(st, 0);
	s->name = db_column_dup(a, st, 1);
	s->version = db_column_dup(a, st, 2);
	s->kind = db_column_dup(a, st, 3);
	s->filename = db_column_dup(a, st, 4);
	s->size = db_column_int64(st, 5);
	s->sha256 = db_column_dup(a, st, 6);
	s->url = db_column_dup(a, st, 7);
	s->created = db_column_int64(st, 8);
	s->compat = db_column_dup(a, st, 9);
	s->actions = db_column_int64(st, 10);
	s->rollouts = db_column_int64(st, 11);
}

int ddi_fleet_software(struct app *app, struct arena *a, long offset, long limit,
		       struct ddi_fleet_software **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_sw_list);
	void *v = NULL;
	int n;

	*out = NULL;
	if (!st)
		return unreadable(e);
	db_bind_int64(st, 1, limit);
	db_bind_int64(st, 2, offset);
	n = read_list(st, a, sizeof(**out), software_row, &v, e);
	*out = v;
	return n;
}

static const char sql_sw_choices[] =
	"SELECT id, name, version FROM ddi_software ORDER BY id DESC LIMIT 500";

static void choice_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct ddi_fleet_choice *c = p;

	c->id = db_column_int64(st, 0);
	c->name = db_column_dup(a, st, 1);
	c->version = db_column_dup(a, st, 2);
}

int ddi_fleet_software_choices(struct app *app, struct arena *a, struct ddi_fleet_choice **out,
			       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_sw_choices);
	void *v = NULL;
	int n;

	*out = NULL;
	if (!st)
		return unreadable(e);
	n = read_list(st, a, sizeof(**out), choice_row, &v, e);
	*out = v;
	return n;
}

/* The one number sql answers (with ?1 bound to arg when given); -1 with e. */
static long long scalar(struct app *app, const char *sql, const char *arg, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql);
	long long v = 0;
	int rc;

	if (!st)
		return unreadable(e);
	if (arg)
		db_bind_text(st, 1, arg, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW)
		v = db_column_int64(st, 0);
	return read_end(st, rc, e) < 0 ? -1 : v;
}

static const char sql_sw_count[] = "SELECT count(*) FROM ddi_software";
static const char sql_rollout_count[] = "SELECT count(*) FROM ddi_rollouts";
static const char sql_feed_rollout[] =
	"SELECT coalesce(sum(n), 0) FROM ddi_device_counts WHERE feed = ? AND mode = 'rollout'";

long long ddi_fleet_software_count(struct app *app, struct nb_err *e)
{
	return scalar(app, sql_sw_count, NULL, e);
}

long long ddi_fleet_rollout_count(struct app *app, struct nb_err *e)
{
	return scalar(app, sql_rollout_count, NULL, e);
}

long long ddi_fleet_feed_rollout_devices(struct app *app, const char *feed, struct nb_err *e)
{
	return scalar(app, sql_feed_rollout, feed, e);
}

static const char sql_failures[] =
	"SELECT a.id, a.updated, d.id, d.controller_id, s.version, coalesce(a.rollout_id, 0),"
	" coalesce((SELECT details FROM ddi_action_status x WHERE x.action_id = a.id"
	"  ORDER BY x.id DESC LIMIT 1), '')"
	" FROM ddi_actions a JOIN ddi_devices d ON d.id = a.device_id"
	" JOIN ddi_software s ON s.id = a.software_id"
	" WHERE a.status = 'error' ORDER BY a.id DESC LIMIT ?";

static void failure_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct ddi_fleet_failure *f = p;

	f->action_id = db_column_int64(st, 0);
	f->updated = db_column_int64(st, 1);
	f->device_id = db_column_int64(st, 2);
	f->cid = db_column_dup(a, st, 3);
	f->version = db_column_dup(a, st, 4);
	f->rollout_id = db_column_int64(st, 5);
	f->details = db_column_dup(a, st, 6);
}

int ddi_fleet_failures(struct app *app, struct arena *a, int max, struct ddi_fleet_failure **out,
		       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_failures);
	void *v = NULL;
	int n;

	*out = NULL;
	if (!st)
		return unreadable(e);
	db_bind_int(st, 1, max);
	n = read_list(st, a, sizeof(**out), failure_row, &v, e);
	*out = v;
	return n;
}

/* Seen once (last_seen > 0) and not since cutoff; a device never seen is "registered". */
static const char sql_stale[] =
	"SELECT id, controller_id, name, last_seen, last_addr FROM ddi_devices"
	" WHERE last_seen BETWEEN 1 AND ? ORDER BY last_seen LIMIT ?";
static const char sql_stale_count[] =
	"SELECT count(*) FROM ddi_devices WHERE last_seen BETWEEN 1 AND ?";

static long long stale_count(struct app *app, long long cutoff, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_stale_count);
	long long v = 0;
	int rc;

	if (!st)
		return unreadable(e);
	db_bind_int64(st, 1, cutoff);
	rc = db_step(st);
	if (rc == DB_ROW)
		v = db_column_int64(st, 0);
	return read_end(st, rc, e) < 0 ? -1 : v;
}

static void stale_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct ddi_fleet_stale *s = p;

	s->id = db_column_int64(st, 0);
	s->cid = db_column_dup(a, st, 1);
	s->name = db_column_dup(a, st, 2);
	s->last_seen = db_column_int64(st, 3);
	s->last_addr = db_column_dup(a, st, 4);
}

int ddi_fleet_stale(struct app *app, struct arena *a, long long cutoff, int max,
		    struct ddi_fleet_stale **out, long long *count, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_stale);
	void *v = NULL;
	int n;

	*out = NULL;
	*count = 0;
	if (!st)
		return unreadable(e);
	db_bind_int64(st, 1, cutoff);
	db_bind_int(st, 2, max);
	n = read_list(st, a, sizeof(**out), stale_row, &v, e);
	*out = v;
	if (n < 0 || (*count = stale_count(app, cutoff, e)) < 0)
		return -1;
	return n;
}
