/*
 * The DDI tables: devices, software lookups, actions and their history.
 * Rollouts' rows are in ddi_rollout_store.c, the repository's writes and
 * list in ddi_software_store.c.
 */
#include "ddi.h"
#include "../lib/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* -1 with e NB_UNAVAILABLE: the store failed (busy, I/O, PostgreSQL gone). */
static int busy(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
}

/* Steps a write: 0 done, or -1 with e NB_UNAVAILABLE. */
static int done(struct db_stmt *st, struct nb_err *e)
{
	int rc = db_step(st);

	db_reset(st);
	return rc == DB_DONE ? 0 : busy(e);
}

/*
 * A write whose answer the caller does not wait for (db_step_later): 0,
 * or -1 with e NB_UNAVAILABLE; on PostgreSQL its failure is the COMMIT's.
 */
static int later(struct db_stmt *st, struct nb_err *e)
{
	return db_step_later(st) == DB_DONE ? 0 : busy(e);
}

/*
 * The device and its newest action in one statement: a poll needs both.
 * On SQLite the device's columns come from the covering index
 * ddi_devices_poll alone (schema step 17: one B-tree leaf a poll where
 * the table took a second); its planner would take the unique
 * (tenant, controller_id) index, which reads the table too, so the SQL
 * names it.  PostgreSQL's has no such index ([db_is_pg]), and there the
 * newest action is a LATERAL subquery: the device's last entry of
 * ddi_actions_device, one index descent whatever the statistics say.
 * Joined on "a.id = (SELECT max …)" its planner chose by the table's
 * estimated size, and statistics taken before a fleet's actions were
 * added (2 rows for 1,000) made it hash every action of the store on
 * each poll: 170 of a poll's 260 µs in the server (test_store.py).
 */
#define SQL_DEV_GET(devices, newest)							\
	"SELECT d.id, d.tenant, d.controller_id, d.token_hash, d.hw_model, d.hw_revision,"	\
	" d.sw_version, d.feed, d.mode, coalesce(d.assigned, 0), d.force, d.state,"		\
	" d.has_attrs, d.last_seen, d.auto_confirm,"						\
	" coalesce(a.id, 0), coalesce(a.software_id, 0), coalesce(a.status, ''),"		\
	" coalesce(a.progress, 0), coalesce(a.rollout_id, 0), d.held"				\
	" FROM " devices " LEFT JOIN " newest " WHERE d.tenant=? AND d.controller_id=?"
static const char *const sql_dev_get[2] = {
	SQL_DEV_GET("ddi_devices d INDEXED BY ddi_devices_poll", "ddi_actions a"
		    " ON a.id = (SELECT max(x.id) FROM ddi_actions x WHERE x.device_id = d.id)"),
	SQL_DEV_GET("ddi_devices d", "LATERAL (SELECT x.id, x.software_id, x.status,"
		    " x.progress, x.rollout_id FROM ddi_actions x WHERE x.device_id = d.id"
		    " ORDER BY x.id DESC LIMIT 1) a ON true"),
};

int ddi_device_get(struct app *app, const char *tenant, const char *cid, struct ddi_device *d,
		   struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_dev_get[db_is_pg(app->db)]);
	int found = 0, rc;

	if (!st)
		return busy(e);
	db_bind_text(st, 1, tenant, -1, DB_STATIC);
	db_bind_text(st, 2, cid, -1, DB_STATIC);
	rc = db_step(st);
	if (rc == DB_ROW) {
		d->id = db_column_int64(st, 0);
		db_column_copy(st, 1, d->tenant, sizeof(d->tenant));
		db_column_copy(st, 2, d->cid, sizeof(d->cid));
		db_column_copy(st, 3, d->token_hash, sizeof(d->token_hash));
		db_column_copy(st, 4, d->hw_model, sizeof(d->hw_model));
		db_column_copy(st, 5, d->hw_revision, sizeof(d->hw_revision));
		db_column_copy(st, 6, d->sw_version, sizeof(d->sw_version));
		db_column_copy(st, 7, d->feed, sizeof(d->feed));
		db_column_copy(st, 8, d->mode, sizeof(d->mode));
		d->assigned = db_column_int64(st, 9);
		d->force = db_column_int(st, 10);
		db_column_copy(st, 11, d->state, sizeof(d->state));
		d->has_attrs = db_column_int(st, 12);
		d->last_seen = db_column_int64(st, 13);
		d->auto_confirm = db_column_int(st, 14);
		d->last.id = db_column_int64(st, 15);
		d->last.software_id = db_column_int64(st, 16);
		db_column_copy(st, 17, d->last.status, sizeof(d->last.status));
		d->last.progress = db_column_int(st, 18);
		d->last.rollout_id = db_column_int64(st, 19);
		d->held = db_column_int64(st, 20);
		found = 1;
	}
	db_reset(st);
	return found ? 1 : rc == DB_DONE ? 0 : busy(e);
}

/* "" or a sha256 in hex, as auth_token_hash() writes it */
static int token_hash_ok(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f') ||
		      (h[i] >= 'A' && h[i] <= 'F')))
			return 0;
	return n == 64;
}

/* A write's step: a UNIQUE row that exists is a conflict, anything else busy. */
static int done_e(struct db_stmt *st, struct nb_err *e, const char *what)
{
	int rc = db_step(st);

	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	if (rc == DB_CONSTRAINT)
		return nb_fail(e, NB_CONFLICT, "%s exists already", what);
	return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
}

/* What every way into the registry checks before anything is stored. */
static int device_key_ok(const char *tenant, const char *cid, const char *token_hash,
			 struct nb_err *e)
{
	if (!tenant || !*tenant || strlen(tenant) > DDI_FEED_MAX)
		return nb_fail(e, NB_INVALID, "a tenant is 1 to %d bytes", DDI_FEED_MAX);
	if (!cid || !ddi_controller_id_ok(cid))
		return nb_fail(e, NB_INVALID, "a controller id is 1 to %d bytes of UTF-8 without"
			       " whitespace, control characters or '/'", DDI_CID_MAX);
	if (!token_hash_ok(token_hash ? token_hash : ""))
		return nb_fail(e, NB_INVALID, "a token hash is 64 hex digits");
	return 0;
}

static int mode_ok(const char *mode, long long assigned, struct nb_err *e)
{
	if (!mode || !*mode || !strcmp(mode, "rollout") || !strcmp(mode, "latest") ||
	    !strcmp(mode, "pinned") || (!strcmp(mode, "assigned") && assigned > 0))
		return 0;
	return nb_fail(e, NB_INVALID, "mode is rollout, latest, pinned, or assigned with a"
		       " software id");
}

static const char sql_dev_add[] =
	"INSERT INTO ddi_devices(tenant, controller_id, token_hash, feed, mode, assigned, created)"
	" SELECT ?1, ?2, ?3, ?4, ?5, CAST(?6 AS BIGINT), ?7"
	" WHERE CAST(?6 AS BIGINT) IS NULL"
	" OR EXISTS (SELECT 1 FROM ddi_software WHERE id = CAST(?6 AS BIGINT))";

int ddi_device_add(struct app *app, const char *tenant, const char *cid, const char *token_hash,
		   const char *feed, const char *mode, long long assigned, struct nb_err *e)
{
	struct db_stmt *st;

	if (device_key_ok(tenant, cid, token_hash, e) < 0 || mode_ok(mode, assigned, e) < 0)
		return -1;
	if (feed && strlen(feed) > DDI_FEED_MAX)
		return nb_fail(e, NB_INVALID, "a feed is at most %d bytes", DDI_FEED_MAX);
	st = db_stmt(app->db, sql_dev_add);
	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	db_bind_text(st, 1, tenant, -1, DB_STATIC);
	db_bind_text(st, 2, cid, -1, DB_STATIC);
	db_bind_text(st, 3, token_hash ? token_hash : "", -1, DB_STATIC);
	db_bind_text(st, 4, feed && *feed ? feed : "default", -1, DB_STATIC);
	db_bind_text(st, 5, mode && *mode ? mode : "rollout", -1, DB_STATIC);
	if (assigned > 0)
		db_bind_int64(st, 6, assigned);
	db_bind_int64(st, 7, (int64_t)time(NULL));
	if (done_e(st, e, "the device") < 0)
		return nb_err_prefix(e, "device %s", cid);
	if (!db_changes(app->db))
		return nb_fail(e, NB_NOT_FOUND, "no software %lld to assign", assigned);
	return 0;
}

/*
 * One statement, so two processes registering at once cannot both pass a
 * limit: the row goes in only while the self-registered devices number
 * fewer than ?6 and those of the last hour fewer than ?7 (0: no limit).
 */
static const char sql_dev_register[] =
	"INSERT INTO ddi_devices(tenant, controller_id, token_hash, origin, created)"
	" SELECT ?1, ?2, ?3, ?4, ?5"
	" WHERE ?4 != 'self'"
	"  OR ((?6 <= 0 OR (SELECT count(*) FROM ddi_devices WHERE origin='self') < ?6)"
	"  AND (?7 <= 0 OR (SELECT count(*) FROM ddi_devices"
	"   WHERE origin='self' AND created > ?5 - 3600) < ?7))";

/* Which limit refused a self-registration, said to the device. */
static int self_refused(struct app *app, long long now, const struct ddi_self_limits *lim,
			struct nb_err *e)
{
	long long total = 0, hour = 0;

	if (ddi_self_registered(app, now - 3600, &total, &hour, e) < 0)
		return -1;
	if (lim && lim->max > 0 && total >= lim->max)
		return nb_fail(e, NB_FORBIDDEN, "self-registration is closed: ddi.self_register_max"
			       " devices registered themselves");
	return nb_fail(e, NB_TOO_MANY, "too many devices registered themselves this hour");
}

int ddi_device_register(struct app *app, const char *tenant, const char *cid,
			const char *token_hash, enum ddi_origin origin,
			const struct ddi_self_limits *lim, struct nb_err *e)
{
	struct db_stmt *st;
	long long now = (long long)time(NULL);

	if (device_key_ok(tenant, cid, token_hash, e) < 0)
		return -1;
	if (!(st = db_stmt(app->db, sql_dev_register)))
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	db_bind_text(st, 1, tenant, -1, DB_STATIC);
	db_bind_text(st, 2, cid, -1, DB_STATIC);
	db_bind_text(st, 3, token_hash ? token_hash : "", -1, DB_STATIC);
	db_bind_text(st, 4, origin == DDI_BY_SELF ? "self" : "gateway", -1, DB_STATIC);
	db_bind_int64(st, 5, now);
	db_bind_int64(st, 6, lim ? lim->max : 0);
	db_bind_int64(st, 7, lim ? lim->per_hour : 0);
	if (done_e(st, e, "the device") < 0)
		return -1;
	return db_changes(app->db) ? 0 : self_refused(app, now, lim, e);
}

int ddi_self_registered(struct app *app, long long since, long long *total, long long *recent,
			struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "SELECT count(*),"
				   " coalesce(sum(CASE WHEN created > ? THEN 1 ELSE 0 END), 0)"
				   " FROM ddi_devices WHERE origin='self'");
	int rc;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, since);
	if ((rc = db_step(st)) == DB_ROW) {
		*total = db_column_int64(st, 0);
		*recent = db_column_int64(st, 1);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : busy(e);
}

/*
 * Polls do not write: a device's last_seen (coarse, a minute) is queued
 * in the process and written for many devices in one transaction, when
 * the queue is full or a second old, like the request log.
 */
void ddi_seen_queue(struct app *app, struct ddi_seen *q, const struct ddi_device *d,
		    const char *addr)
{
	long long now = (long long)time(NULL);
	int i;

	if (now - d->last_seen < 60)
		return;
	for (i = 0; i < q->n; i++)
		if (q->e[i].id == d->id)
			return;
	if (q->n >= DDI_SEEN_MAX)
		ddi_seen_flush(app, q);
	if (q->n >= DDI_SEEN_MAX)
		return;		/* the store is busy: last_seen is coarse, drop this one */
	if (q->n == 0)
		q->first = now;
	q->e[q->n].id = d->id;
	q->e[q->n].ts = now;
	snprintf(q->e[q->n].addr, sizeof(q->e[q->n].addr), "%s", addr);
	q->n++;
}

void ddi_seen_flush(struct app *app, struct ddi_seen *q)
{
	struct db_stmt *st;
	int i;

	if (q->n == 0 || db_begin(app->db) < 0)
		return;		/* busy: kept for the next try */
	st = db_stmt(app->db, "UPDATE ddi_devices SET last_seen=?, last_addr=? WHERE id=?");
	for (i = 0; st && i < q->n; i++) {
		db_bind_int64(st, 1, q->e[i].ts);
		db_bind_text(st, 2, q->e[i].addr, -1, DB_STATIC);
		db_bind_int64(st, 3, q->e[i].id);
		done(st, NULL);
	}
	if (db_commit(app->db) < 0) {
		db_rollback(app->db);
		return;
	}
	q->n = 0;
}

void ddi_seen_tick(struct app *app, struct ddi_seen *q)
{
	if (q->n && ((long long)time(NULL) - q->first >= 1 || q->n >= DDI_SEEN_MAX))
		ddi_seen_flush(app, q);
}

int ddi_device_attributes(struct app *app, const struct ddi_device *d, const char *json,
			  const char *hw_model, const char *hw_revision, const char *sw_version,
			  struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db,
		"UPDATE ddi_devices SET attributes=?, hw_model=coalesce(?, hw_model),"
		" hw_revision=coalesce(?, hw_revision),"
		/* the device's own report, only until an action has set it */
		" sw_version=CASE WHEN sw_version='' THEN coalesce(?, '') ELSE sw_version END"
		" WHERE id=?");

	if (!st)
		return busy(e);
	db_bind_text(st, 1, json, -1, DB_STATIC);
	if (hw_model)
		db_bind_text(st, 2, hw_model, -1, DB_STATIC);
	if (hw_revision)
		db_bind_text(st, 3, hw_revision, -1, DB_STATIC);
	if (sw_version)
		db_bind_text(st, 4, sw_version, -1, DB_STATIC);
	db_bind_int64(st, 5, d->id);
	return done(st, e);
}

int ddi_device_set_version(struct app *app, long long id, const char *version, const char *state,
			   struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db,
		"UPDATE ddi_devices SET sw_version=coalesce(?, sw_version), state=?,"
		" force=CASE WHEN ? IS NULL THEN force ELSE 0 END WHERE id=?");

	if (!st)
		return busy(e);
	if (version) {
		db_bind_text(st, 1, version, -1, DB_STATIC);
		db_bind_text(st, 3, version, -1, DB_STATIC);
	}
	db_bind_text(st, 2, state, -1, DB_STATIC);
	db_bind_int64(st, 4, id);
	return done(st, e);
}

void ddi_software_read(struct db_stmt *st, struct ddi_software *s)
{
	s->id = db_column_int64(st, 0);
	s->size = db_column_int64(st, 1);
	db_column_copy(st, 2, s->name, sizeof(s->name));
	db_column_copy(st, 3, s->version, sizeof(s->version));
	db_column_copy(st, 4, s->filename, sizeof(s->filename));
	db_column_copy(st, 5, s->sha1, sizeof(s->sha1));
	db_column_copy(st, 6, s->md5, sizeof(s->md5));
	db_column_copy(st, 7, s->sha256, sizeof(s->sha256));
	db_column_copy(st, 8, s->url, sizeof(s->url));
}

int ddi_software_get(struct app *app, long long id, struct ddi_software *s, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "SELECT id, size, name, version, filename, sha1, md5,"
				   " sha256, url FROM ddi_software WHERE id=?");
	int rc;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	if ((rc = db_step(st)) == DB_ROW)
		ddi_software_read(st, s);
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? nb_fail(e, NB_NOT_FOUND, "no software %lld", id) : busy(e);
}

/*
 * Software with no compatibility list fits every board; an empty board or
 * revision in an entry matches any (?2 board, ?3 revision).  The "|| ''"
 * keeps SQLite from turning each OR into an IN list, which costs a
 * temporary b-tree per poll; the software's few entries are scanned instead
 * (SQLite's unary + did the same, but PostgreSQL has no unary + on text).
 */
#define COMPATIBLE \
	" (NOT EXISTS (SELECT 1 FROM ddi_software_compat c WHERE c.software_id = s.id)" \
	"  OR EXISTS (SELECT 1 FROM ddi_software_compat c WHERE c.software_id = s.id" \
	"   AND (c.board || '' = '' OR c.board || '' = ?2)" \
	"   AND (c.revision || '' = '' OR c.revision || '' = ?3)))"

/* the candidate's version when it fits the device */
static const char sql_compatible[] =
	"SELECT s.version FROM ddi_software s WHERE s.id = ?1 AND" COMPATIBLE;
static const char sql_latest[] =
	"SELECT s.id FROM ddi_software s WHERE" COMPATIBLE
	" ORDER BY s.vrank DESC, s.id DESC LIMIT 1";

int ddi_software_owned(struct app *app, const struct ddi_device *d, long long id,
		       struct nb_err *e)
{
	struct db_stmt *st;
	int rc;

	if (id <= 0)
		return 0;
	if (d->assigned == id)
		return 1;
	st = db_stmt(app->db, "SELECT 1 FROM ddi_actions WHERE device_id=? AND software_id=?"
		     " LIMIT 1");
	if (!st)
		return busy(e);
	db_bind_int64(st, 1, d->id);
	db_bind_int64(st, 2, id);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : busy(e);
}

/* vrank holds version_cmp's order (ddi_software_rerank), so this walks an index. */
long long ddi_software_latest(struct app *app, const char *board, const char *revision,
			      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_latest);
	long long id = 0;
	int rc;

	if (!st)
		return busy(e);
	db_bind_text(st, 2, board, -1, DB_STATIC);
	db_bind_text(st, 3, revision, -1, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW)
		id = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? id : busy(e);
}

struct ranked {
	long long id;
	char version[64];
};

static int by_version(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = version_cmp(x->version, y->version);

	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/*
 * Numbers every software row in version order.  Called in the transaction
 * that adds software: O(n log n) there, so that no poll ever sorts.
 */
int ddi_software_rerank(struct app *app, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "SELECT id, version FROM ddi_software");
	struct ranked *v = NULL, *nv;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (!st)
		return busy(e);
	while (db_step(st) == DB_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = nb_fail(e, NB_UNAVAILABLE, "out of memory");
				break;
			}
			v = nv;
		}
		v[n].id = db_column_int64(st, 0);
		db_column_copy(st, 1, v[n].version, sizeof(v[n].version));
		n++;
	}
	if (db_reset(st) != DB_OK && rc == 0)
		rc = busy(e);
	if (rc == 0 && n)
		qsort(v, n, sizeof(*v), by_version);
	st = rc == 0 ? db_stmt(app->db, "UPDATE ddi_software SET vrank=? WHERE id=? AND vrank != ?1")
		     : NULL;
	if (rc == 0 && !st)
		rc = busy(e);
	for (i = 0; rc == 0 && i < n; i++) {
		db_bind_int64(st, 1, (int64_t)i + 1);
		db_bind_int64(st, 2, v[i].id);
		rc = done(st, e);
	}
	free(v);
	return rc;
}

/* The action of st's row (id, software_id, status, progress, rollout_id):
 * 1, 0 when there is none, or -1 with e NB_UNAVAILABLE. */
static int action_row(struct db_stmt *st, struct ddi_action *a, struct nb_err *e)
{
	int rc = db_step(st);

	if (rc == DB_ROW) {
		a->id = db_column_int64(st, 0);
		a->software_id = db_column_int64(st, 1);
		db_column_copy(st, 2, a->status, sizeof(a->status));
		a->progress = db_column_int(st, 3);
		a->rollout_id = db_column_int64(st, 4);
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : busy(e);
}

int ddi_action_open(struct app *app, long long device_id, struct ddi_action *a, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "SELECT id, software_id, status, progress,"
				   " coalesce(rollout_id, 0) FROM ddi_actions WHERE device_id=?"
				   " AND status IN ('waiting', 'running', 'canceling')"
				   " ORDER BY id DESC LIMIT 1");

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, device_id);
	return action_row(st, a, e);
}

int ddi_action_get(struct app *app, long long device_id, long long id, struct ddi_action *a,
		   struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "SELECT id, software_id, status, progress,"
				   " coalesce(rollout_id, 0) FROM ddi_actions WHERE device_id=? AND id=?");
	int rc;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, device_id);
	db_bind_int64(st, 2, id);
	if ((rc = action_row(st, a, e)) == 0)
		return nb_fail(e, NB_NOT_FOUND, "no such action");
	return rc < 0 ? -1 : 0;
}

long long ddi_action_create(struct app *app, long long device_id, long long software_id,
			    long long rollout_id, const char *status, struct nb_err *e)
{
	long long id;
	struct db_stmt *st = db_stmt(app->db, "INSERT INTO ddi_actions(device_id, software_id,"
				   " rollout_id, status, created, updated) VALUES(?1, ?2, ?3, ?4, ?5, ?5)");

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, device_id);
	db_bind_int64(st, 2, software_id);
	if (rollout_id > 0)
		db_bind_int64(st, 3, rollout_id);
	db_bind_text(st, 4, status, -1, DB_STATIC);
	db_bind_int64(st, 5, (int64_t)time(NULL));
	if (done(st, e) < 0)
		return -1;
	id = db_last_insert_id(app->db);
	/* a new action (an operator assigned again or forced) ends a held cancel */
	st = db_stmt(app->db, "UPDATE ddi_devices SET held=0 WHERE id=? AND held != 0");
	if (!st)
		return busy(e);
	db_bind_int64(st, 1, device_id);
	return done(st, e) < 0 ? -1 : id;
}

int ddi_action_update(struct app *app, long long id, const char *status, int progress,
		      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "UPDATE ddi_actions SET status=?, updated=?,"
				   " progress=CASE WHEN ? < 0 THEN progress ELSE ? END WHERE id=?");

	if (!st)
		return busy(e);
	db_bind_text(st, 1, status, -1, DB_STATIC);
	db_bind_int64(st, 2, (int64_t)time(NULL));
	db_bind_int(st, 3, progress);
	db_bind_int(st, 4, progress);
	db_bind_int64(st, 5, id);
	return done(st, e);
}

/*
 * ddi_action_update without the status, for a feedback that keeps it
 * (proceeding): an UPDATE that sets status rewrites that row's entries in
 * the indexes on status (ddi_actions_status, ddi_actions_rollout) even
 * when the value is the same, two more pages in every such commit.
 */
int ddi_action_progress(struct app *app, long long id, int progress, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "UPDATE ddi_actions SET updated=?,"
				   " progress=CASE WHEN ? < 0 THEN progress ELSE ? END WHERE id=?");

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, (int64_t)time(NULL));
	db_bind_int(st, 2, progress);
	db_bind_int(st, 3, progress);
	db_bind_int64(st, 4, id);
	return later(st, e);
}

#define DDI_LOG_KEEP 1000	/* entries kept per action, at most */
#define DDI_LOG_SLACK 100	/* trimmed below that many, to trim seldom */

/*
 * hawkBit keeps at most 1000 entries per action: past that, the action's
 * entries are trimmed to the newest 900, so that a device sending
 * feedback after feedback meets the trim once per 100 of them.
 */
static int trim_log(struct app *app, long long id, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "DELETE FROM ddi_action_status WHERE action_id=?1"
				     " AND id <= (SELECT id FROM ddi_action_status WHERE action_id=?1"
				     "  ORDER BY id DESC LIMIT 1 OFFSET ?2)");

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, DDI_LOG_KEEP - DDI_LOG_SLACK);
	return done(st, e);
}

/*
 * The entry, and whether its action holds DDI_LOG_KEEP entries now, in
 * one statement: on PostgreSQL every statement of a feedback is a round
 * trip its program waits for, and a DELETE that finds nothing still
 * costs one (and its trigger's write).  Counting walks the action's
 * index, so it runs only when the ids from the action's oldest entry to
 * the new one span DDI_LOG_KEEP (ids only grow: fewer cannot be that many
 * entries); a fleet's feedbacks interleave, so the span alone is past it
 * for most actions, and the walk stops at DDI_LOG_KEEP.  The subqueries
 * may or may not see the new row (PostgreSQL's do not): the trim starts
 * at DDI_LOG_KEEP + 1 entries or at DDI_LOG_KEEP, in the same transaction,
 * so no more than DDI_LOG_KEEP are ever committed.
 */
/*
 * The entry's statement per backend ([db_is_pg]).  On PostgreSQL the trim
 * is part of it (a WITH clause, whose DELETE sees the entries before the
 * new one: it keeps the newest DDI_LOG_KEEP - DDI_LOG_SLACK - 1 of them
 * once they number DDI_LOG_KEEP - 1), so that it needs no answer and goes
 * with the COMMIT (db_step_later; a progress feedback is ddi_action_take).  Its
 * gates are one-time filters: the span of the action's ids (two index
 * probes) before the walk that counts, as SQLite's RETURNING does.
 */
/*
 * PostgreSQL's trim of action A's entries (keep K, trim to T; only if
 * the condition IF holds), for a WITH clause.  Each lookup names the
 * action's entries as a range of (action_id, id) and its order as
 * ORDER BY action_id, id: only ddi_action_status_action gives both, so
 * the plan is an index walk whatever the statistics say.  With
 * "action_id = A" a statement's plan, made once per connection (a
 * prepared statement's generic plan), followed them: planned while the
 * table was small or held one action's entries, it scanned the whole
 * table, or walked the primary key from its end, on every feedback
 * (bench/NOTES.md, 2026-12-02).
 */
#define SQL_PG_OF(A)	"(x.action_id, x.id) >= (" A ", 0)"			\
			" AND (x.action_id, x.id) <= (" A ", 9223372036854775807)"
#define SQL_PG_CUT(A, K, T, IF)								\
	"cut AS (DELETE FROM ddi_action_status WHERE (action_id, id) >= (" A ", 0) AND " IF \
	" AND (SELECT x.id FROM ddi_action_status x WHERE " SQL_PG_OF(A)			\
	"  ORDER BY x.action_id DESC, x.id DESC LIMIT 1) - (SELECT x.id"			\
	"  FROM ddi_action_status x WHERE " SQL_PG_OF(A) " ORDER BY x.action_id, x.id LIMIT 1)" \
	" >= " K " - 2"									\
	" AND (SELECT count(*) FROM (SELECT 1 FROM ddi_action_status x WHERE " SQL_PG_OF(A) \
	"  ORDER BY x.action_id, x.id LIMIT " K " - 1) c) >= " K " - 1"			\
	" AND (action_id, id) <= (" A ", (SELECT x.id FROM ddi_action_status x WHERE "	\
	SQL_PG_OF(A) "  ORDER BY x.action_id DESC, x.id DESC LIMIT 1 OFFSET " T " - 1)))"
static const char *const sql_log[2] = {
	"INSERT INTO ddi_action_status(action_id, ts, execution, finished, details)"
	" VALUES(?1,?2,?3,?4,?5)"
	" RETURNING CASE WHEN id - coalesce((SELECT min(x.id)"
	"  FROM ddi_action_status x WHERE x.action_id=?1), id) < ?6 THEN 0"
	" ELSE (SELECT count(*) FROM (SELECT 1 FROM ddi_action_status x"
	"  WHERE x.action_id=?1 LIMIT ?6) c) END",
	"WITH " SQL_PG_CUT("?1", "?6", "?7", "true")
	" INSERT INTO ddi_action_status(action_id, ts, execution, finished, details)"
	" VALUES(?1,?2,?3,?4,?5)",
};

int ddi_action_log(struct app *app, long long id, const char *execution, const char *finished,
		   const char *details, struct nb_err *e)
{
	int pg = db_is_pg(app->db);
	struct db_stmt *st = db_stmt(app->db, sql_log[pg]);
	long long n;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, (int64_t)time(NULL));
	db_bind_text(st, 3, execution, -1, DB_STATIC);
	db_bind_text(st, 4, finished, -1, DB_STATIC);
	db_bind_text(st, 5, details, -1, DB_STATIC);
	db_bind_int64(st, 6, DDI_LOG_KEEP);
	if (pg) {
		db_bind_int64(st, 7, DDI_LOG_KEEP - DDI_LOG_SLACK);
		return later(st, e);
	}
	if (db_step(st) != DB_ROW) {
		db_reset(st);
		return busy(e);
	}
	n = db_column_int64(st, 0);
	if (db_step(st) != DB_DONE) {
		db_reset(st);
		return busy(e);
	}
	db_reset(st);
	return n >= DDI_LOG_KEEP ? trim_log(app, id, e) : 0;
}

/*
 * PostgreSQL's ddi_action_take: the action read and, when it is open,
 * its entry (with the trim, SQL_PG_CUT) and its progress written, in one
 * statement whose writes are guarded by the status read (the snapshot
 * the statement reads is the one its writes see: taken after the
 * device's lock, which its other writers hold; db_begin's writers wait
 * for the shared writer lock held).  The row is the action as it was.
 */
static const char sql_take_pg[] =
	"WITH a AS (SELECT id, software_id, status, progress, coalesce(rollout_id, 0) AS rollout"
	"  FROM ddi_actions WHERE device_id=?1 AND id=?2),"
	" o AS (SELECT id FROM a WHERE status IN ('running', 'canceling')),"
	" " SQL_PG_CUT("?2", "?8", "?9", "EXISTS (SELECT 1 FROM o)") ","
	" ins AS (INSERT INTO ddi_action_status(action_id, ts, execution, finished, details)"
	"  SELECT id, ?3, ?4, ?5, ?6 FROM o),"
	" upd AS (UPDATE ddi_actions SET updated=?3,"
	"  progress=CASE WHEN ?7 < 0 THEN progress ELSE ?7 END WHERE id=(SELECT id FROM o))"
	" SELECT id, software_id, status, progress, rollout FROM a";

int ddi_action_take(struct app *app, long long device_id, long long id, const struct ddi_fb *fb,
		    struct ddi_action *a, struct nb_err *e)
{
	struct db_stmt *st;
	int rc;

	if (!db_is_pg(app->db)) {
		if (ddi_action_get(app, device_id, id, a, e) < 0)
			return -1;
		if (strcmp(a->status, "running") && strcmp(a->status, "canceling"))
			return 0;
		return ddi_action_log(app, a->id, fb->execution, fb->finished, fb->details, e) < 0 ||
		       ddi_action_progress(app, a->id, fb->progress, e) < 0 ? -1 : 0;
	}
	if (!(st = db_stmt(app->db, sql_take_pg)))
		return busy(e);
	db_bind_int64(st, 1, device_id);
	db_bind_int64(st, 2, id);
	db_bind_int64(st, 3, (int64_t)time(NULL));
	db_bind_text(st, 4, fb->execution, -1, DB_STATIC);
	db_bind_text(st, 5, fb->finished, -1, DB_STATIC);
	db_bind_text(st, 6, fb->details, -1, DB_STATIC);
	db_bind_int(st, 7, fb->progress);
	db_bind_int64(st, 8, DDI_LOG_KEEP);
	db_bind_int64(st, 9, DDI_LOG_KEEP - DDI_LOG_SLACK);
	db_commit_with_next(app->db);
	if ((rc = action_row(st, a, e)) == 0)
		return nb_fail(e, NB_NOT_FOUND, "no such action");
	return rc < 0 ? -1 : 0;
}

/* The lines of one details text into out (room for room more), skipping
 * the server's own, each copied into a; the count added. */
static int add_lines(struct arena *a, const char *text, int room, const char **out)
{
	const char *p = text, *nl;
	int n = 0;
	size_t pl = strlen(DDI_SERVER_MSG);

	for (; *p && n < room; p = *nl ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (!strncmp(p, DDI_SERVER_MSG, pl) && (size_t)(nl - p) >= pl)
			continue;
		out[n++] = arena_strndup(a, p, (size_t)(nl - p));
	}
	return n;
}

int ddi_action_messages(struct app *app, struct arena *a, long long action_id, int max,
			const char **out, struct nb_err *e)
{
	struct db_stmt *st;
	int n = 0;

	if (max == 0)
		return 0;
	if (max < 0 || max > DDI_HISTORY_MAX)
		max = DDI_HISTORY_MAX;
	st = db_stmt(app->db, "SELECT details FROM ddi_action_status WHERE action_id=?"
		     " AND details != '' ORDER BY id DESC");
	if (!st)
		return busy(e);
	db_bind_int64(st, 1, action_id);
	while (n < max && db_step(st) == DB_ROW)
		n += add_lines(a, (const char *)db_column_text(st, 0), max - n, out + n);
	return db_reset(st) == DB_OK ? n : busy(e);
}

int ddi_action_canceled(struct app *app, long long device_id, long long action_id,
			long long software_id, int progress, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "UPDATE ddi_devices SET held=? WHERE id=?");

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, software_id);
	db_bind_int64(st, 2, device_id);
	if (done(st, e) < 0 || ddi_action_update(app, action_id, "canceled", progress, e) < 0)
		return -1;
	return ddi_device_set_version(app, device_id, NULL, "registered", e);
}

int ddi_running_count(struct app *app, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "SELECT count(*) FROM ddi_actions"
				   " WHERE status IN ('waiting', 'running', 'canceling')");
	int n = 0, rc;

	if (!st)
		return busy(e);
	if ((rc = db_step(st)) == DB_ROW)
		n = db_column_int(st, 0);
	db_reset(st);
	return rc == DB_ROW ? n : busy(e);
}

static const char sql_rollout_for[] =
	"SELECT r.id, r.software_id, r.percent, s.version FROM ddi_rollouts r"
	" JOIN ddi_software s ON s.id = r.software_id"
	" WHERE r.feed = ?1 AND r.state = 'running' AND" COMPATIBLE
	" ORDER BY r.id DESC LIMIT 1";

/* rollout mode: the newest running rollout of the feed that fits the board;
 * 1, 0 none, or -1 with e */
static int rollout_candidate(struct app *app, const struct ddi_device *dev,
			     struct ddi_candidate *c, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_rollout_for);
	int rc;

	if (!st)
		return busy(e);
	db_bind_text(st, 1, dev->feed, -1, DB_STATIC);
	db_bind_text(st, 2, dev->hw_model, -1, DB_STATIC);
	db_bind_text(st, 3, dev->hw_revision, -1, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW) {
		c->rollout_id = db_column_int64(st, 0);
		c->software_id = db_column_int64(st, 1);
		c->percent = db_column_int(st, 2);
		db_column_copy(st, 3, c->version, sizeof(c->version));
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : busy(e);
}

int ddi_failed_before(struct app *app, long long device_id, long long software_id,
		      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "SELECT status = 'error' FROM ddi_actions"
				   " WHERE device_id=? AND software_id=? ORDER BY id DESC LIMIT 1");
	int failed = 0, rc;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, device_id);
	db_bind_int64(st, 2, software_id);
	if ((rc = db_step(st)) == DB_ROW)
		failed = db_column_int(st, 0) != 0;
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? failed : busy(e);
}

/* Software id's version into version when it fits dev: 1, 0 when it does
 * not (or is gone), -1 with e. */
static int compatible_version(struct app *app, long long id, const struct ddi_device *dev,
			      char *version, size_t n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_compatible);
	int rc;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, dev->hw_model, -1, DB_STATIC);
	db_bind_text(st, 3, dev->hw_revision, -1, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW)
		db_column_copy(st, 0, version, n);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : busy(e);
}

int ddi_candidate_lookup(struct app *app, const struct ddi_device *dev, struct ddi_candidate *c,
			 struct nb_err *e)
{
	long long id = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	c->percent = 100;
	if (!strcmp(dev->mode, "rollout"))
		return rollout_candidate(app, dev, c, e);
	if (!strcmp(dev->mode, "latest"))
		id = ddi_software_latest(app, dev->hw_model, dev->hw_revision, e);
	else if (!strcmp(dev->mode, "assigned"))
		id = dev->assigned;
	if (id <= 0)
		return id < 0 ? -1 : 0;
	/* one query: compatible, and its version */
	if ((rc = compatible_version(app, id, dev, c->version, sizeof(c->version), e)) == 1)
		c->software_id = id;
	return rc;
}

int ddi_candidate_find(struct app *app, const struct ddi_device *dev, struct ddi_candidate *c,
		       struct nb_err *e)
{
	int rc = ddi_candidate_lookup(app, dev, c, e);

	if (rc <= 0)
		return rc;
	/* only looked up when it matters: a device already on it never asks */
	if (strcmp(c->version, dev->sw_version) &&
	    (c->failed_before = ddi_failed_before(app, dev->id, c->software_id, e)) < 0)
		return -1;
	c->canceled = dev->held > 0 && dev->held == c->software_id;
	return 1;
}

/* -- why nothing is offered: read only to explain a decision to a person -- */

/* the feed's newest rollout that could move: a running one before a paused one */
static const char sql_feed_rollout[] =
	"SELECT r.id, r.name, r.state, r.pause_reason, s.version FROM ddi_rollouts r"
	" JOIN ddi_software s ON s.id = r.software_id"
	" WHERE r.feed = ? AND r.state IN ('running', 'paused')"
	" ORDER BY r.state = 'running' DESC, r.id DESC LIMIT 1";
static const char sql_assigned_facts[] =
	"SELECT id, name, version FROM ddi_software WHERE id = ?";
static const char sql_assigned_compat[] =
	"SELECT board, revision FROM ddi_software_compat WHERE software_id = ?"
	" ORDER BY board, revision";
static const char sql_attributes[] = "SELECT attributes FROM ddi_devices WHERE id = ?";

/* Runs st (bound), reading its row with fill; 0 (a row or none) or -1. */
static int facts_row(struct db_stmt *st, void (*fill)(struct db_stmt *, struct ddi_nocand *),
		     struct ddi_nocand *f)
{
	int rc = db_step(st);

	if (rc == DB_ROW)
		fill(st, f);
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : -1;
}

static void fill_rollout(struct db_stmt *st, struct ddi_nocand *f)
{
	f->rollout_id = db_column_int64(st, 0);
	db_column_copy(st, 1, f->rollout_name, sizeof(f->rollout_name));
	db_column_copy(st, 2, f->rollout_state, sizeof(f->rollout_state));
	db_column_copy(st, 3, f->pause_reason, sizeof(f->pause_reason));
	db_column_copy(st, 4, f->rollout_version, sizeof(f->rollout_version));
}

static void fill_assigned(struct db_stmt *st, struct ddi_nocand *f)
{
	f->assigned_id = db_column_int64(st, 0);
	db_column_copy(st, 1, f->assigned_name, sizeof(f->assigned_name));
	db_column_copy(st, 2, f->assigned_version, sizeof(f->assigned_version));
}

/* The assigned software's compatibility rows into f->compat (in a); 0 or -1. */
static int facts_compat(struct app *app, struct arena *a, long long id, struct ddi_nocand *f)
{
	struct db_stmt *st = db_stmt(app->db, sql_assigned_compat);
	struct swu_compat *c = NULL;
	int cap = 0, rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW) {
		c = arena_grow(a, c, f->ncompat, &cap, sizeof(*c));
		db_column_copy(st, 0, c[f->ncompat].board, sizeof(c->board));
		db_column_copy(st, 1, c[f->ncompat].revision, sizeof(c->revision));
		f->ncompat++;
	}
	db_reset(st);
	f->compat = c;
	return rc == DB_DONE ? 0 : -1;
}

/* The device's attributes JSON text into f->attributes (in a); 0 or -1. */
static int facts_attributes(struct app *app, struct arena *a, long long id, struct ddi_nocand *f)
{
	struct db_stmt *st = db_stmt(app->db, sql_attributes);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	f->attributes = rc == DB_ROW ? db_column_dup(a, st, 0) : "";
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : -1;
}

int ddi_nocand_facts(struct app *app, struct arena *a, const struct ddi_device *dev,
		     struct ddi_nocand *f, struct nb_err *e)
{
	struct db_stmt *st;

	memset(f, 0, sizeof(*f));
	f->attributes = "";
	if (!strcmp(dev->mode, "rollout")) {
		if (!(st = db_stmt(app->db, sql_feed_rollout)))
			return busy(e);
		db_bind_text(st, 1, dev->feed, -1, DB_STATIC);
		if (facts_row(st, fill_rollout, f) < 0)
			return busy(e);
	}
	if (!strcmp(dev->mode, "assigned") && dev->assigned > 0) {
		if (!(st = db_stmt(app->db, sql_assigned_facts)))
			return busy(e);
		db_bind_int64(st, 1, dev->assigned);
		if (facts_row(st, fill_assigned, f) < 0 ||
		    (f->assigned_id > 0 && facts_compat(app, a, f->assigned_id, f) < 0))
			return busy(e);
	}
	return facts_attributes(app, a, dev->id, f) < 0 ? busy(e) : 0;
}

/* -- what operators change (admin pages, nestboxctl, the admin API) -- */

/* Steps an UPDATE or DELETE of device id: 0 when it changed the row, else
 * -1 with e (NB_NOT_FOUND: no such device; NB_UNAVAILABLE). */
static int device_changed(struct app *app, struct db_stmt *st, long long id, struct nb_err *e)
{
	if (done(st, e) < 0)
		return -1;
	return db_changes(app->db) ? 0 : nb_fail(e, NB_NOT_FOUND, "no device %lld", id);
}

int ddi_device_set_mode(struct app *app, long long id, const char *mode, long long assigned,
			struct nb_err *e)
{
	struct db_stmt *st;
	int assign = !strcmp(mode, "assigned");

	if (strcmp(mode, "rollout") && strcmp(mode, "latest") && !assign && strcmp(mode, "pinned"))
		return nb_fail(e, NB_INVALID, "mode is rollout, latest, pinned or assigned");
	if (assign && assigned <= 0)
		return nb_fail(e, NB_INVALID, "assigned mode needs a software");
	/* one statement: the software must exist when it is assigned (no FK here) */
	/* an operator's new choice also ends a held cancel */
	st = db_stmt(app->db, "UPDATE ddi_devices SET mode=?1, assigned=?2, held=0 WHERE id=?3"
		     " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM ddi_software WHERE id=?2))");
	if (!st)
		return busy(e);
	db_bind_text(st, 1, mode, -1, DB_STATIC);
	if (assign)
		db_bind_int64(st, 2, assigned);
	db_bind_int64(st, 3, id);
	if (device_changed(app, st, id, e) == 0)
		return 0;
	if (assign && e && e->kind == NB_NOT_FOUND)
		return nb_fail(e, NB_NOT_FOUND, "no device %lld or no software %lld", id, assigned);
	return -1;
}

int ddi_device_set_field(struct app *app, long long id, const char *field, const char *value,
			 struct nb_err *e)
{
	static const char *const sql[] = {
		"UPDATE ddi_devices SET feed=? WHERE id=?",
		"UPDATE ddi_devices SET name=? WHERE id=?",
		/* forcing ends a held cancel too */
		("UPDATE ddi_devices SET force=CASE WHEN ?1='1' THEN 1 ELSE 0 END,"
		 " held=CASE WHEN ?1='1' THEN 0 ELSE held END WHERE id=?2"),
		"UPDATE ddi_devices SET tags=? WHERE id=?",
	};
	int i = !strcmp(field, "feed") ? 0 : !strcmp(field, "name") ? 1 :
		!strcmp(field, "force") ? 2 : !strcmp(field, "tags") ? 3 : -1;
	struct db_stmt *st;

	if (i < 0)
		return nb_fail(e, NB_INVALID, "a device has no field %s to set", field);
	if ((i == 0 && !*value) || strlen(value) > (i == 3 ? 255 : 63))
		return nb_fail(e, NB_INVALID, "a device's %s is %s %d bytes", field,
			       i == 0 ? "1 to" : "at most", i == 3 ? 255 : 63);
	st = db_stmt(app->db, sql[i]);
	if (!st)
		return busy(e);
	db_bind_text(st, 1, value, -1, DB_STATIC);
	db_bind_int64(st, 2, id);
	return device_changed(app, st, id, e);
}

int ddi_device_delete(struct app *app, long long id, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "DELETE FROM ddi_devices WHERE id=?");

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	return device_changed(app, st, id, e);
}

/* A waiting action canceled at once: its software is held as after an acknowledged cancel. */
static int hold_canceled(struct app *app, long long device_id, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "UPDATE ddi_devices SET held=coalesce((SELECT software_id"
				   " FROM ddi_actions WHERE device_id=?1 AND status='canceled'"
				   " ORDER BY id DESC LIMIT 1), 0) WHERE id=?1");

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, device_id);
	return done(st, e);
}

/*
 * Cancels a device's open action: one that is running becomes canceling
 * (the device is told on its next poll and acknowledges); one still
 * waiting for confirmation never started and is canceled at once.
 */
/* The cancel's statements, inside the caller's transaction; *n how many
 * actions it changed.  0, or -1 with e NB_UNAVAILABLE. */
static int cancel_open(struct app *app, long long device_id, int *n, struct nb_err *e)
{
	static const char *const sql[] = {
		"UPDATE ddi_actions SET status='canceled', updated=?2"
		" WHERE device_id=?1 AND status='waiting'",
		"UPDATE ddi_actions SET status='canceling', updated=?2"
		" WHERE device_id=?1 AND status='running'",
	};
	int i, waiting = 0;

	*n = 0;
	for (i = 0; i < 2; i++) {
		struct db_stmt *st = db_stmt(app->db, sql[i]);
		if (!st)
			return busy(e);
		db_bind_int64(st, 1, device_id);
		db_bind_int64(st, 2, (int64_t)time(NULL));
		if (done(st, e) < 0)
			return -1;
		*n += db_changes(app->db);
		if (i == 0)
			waiting = *n;
	}
	if (waiting && (ddi_device_set_version(app, device_id, NULL, "registered", e) < 0 ||
			hold_canceled(app, device_id, e) < 0))
		return -1;
	return 0;
}

int ddi_action_cancel(struct app *app, long long device_id, struct nb_err *e)
{
	int n = 0;

	if (db_begin(app->db) < 0)
		return busy(e);
	if (cancel_open(app, device_id, &n, e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	if (db_commit(app->db) < 0) {
		db_rollback(app->db);
		return busy(e);
	}
	return n ? 0 : nb_fail(e, NB_CONFLICT, "no open action to cancel");
}

int ddi_device_auto_confirm(struct app *app, long long id, int on, const char *by,
			    const char *remark, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "UPDATE ddi_devices SET auto_confirm=?,"
				   " auto_confirm_by=?, auto_confirm_remark=?, auto_confirm_at=?"
				   " WHERE id=?");

	if (!st)
		return busy(e);
	db_bind_int(st, 1, on);
	db_bind_text(st, 2, on && by ? by : "", -1, DB_STATIC);
	db_bind_text(st, 3, on && remark ? remark : "", -1, DB_STATIC);
	db_bind_int64(st, 4, on ? (int64_t)time(NULL) * 1000 : 0);
	db_bind_int64(st, 5, id);
	return device_changed(app, st, id, e);
}

/* -- what the device API and nestboxctl read back -- */

static const char sql_attrs[] = "SELECT attributes FROM ddi_devices WHERE id=?";

int ddi_device_attrs_text(struct app *app, struct arena *a, long long id, const char **out,
			  struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_attrs);
	int rc;

	*out = "";
	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	if ((rc = db_step(st)) == DB_ROW && db_column_text(st, 0))
		*out = arena_strdup(a, (const char *)db_column_text(st, 0));
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : busy(e);
}

static const char sql_autoconfirm[] =
	"SELECT auto_confirm_by, auto_confirm_remark, auto_confirm_at FROM ddi_devices WHERE id=?";

int ddi_device_autoconfirm_get(struct app *app, struct arena *a, long long id,
			       struct ddi_autoconfirm *out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_autoconfirm);
	int rc;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	if ((rc = db_step(st)) == DB_ROW) {
		out->by = db_column_dup(a, st, 0);
		out->remark = db_column_dup(a, st, 1);
		out->at = db_column_int64(st, 2);
	}
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? nb_fail(e, NB_NOT_FOUND, "no device %lld", id) : busy(e);
}

static const char sql_first_tenant[] =
	"SELECT tenant FROM ddi_devices WHERE controller_id=? ORDER BY id LIMIT 1";

int ddi_device_first_tenant(struct app *app, const char *cid, char *tenant, size_t n,
			    struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_first_tenant);
	int rc;

	*tenant = '\0';
	if (!st)
		return busy(e);
	db_bind_text(st, 1, cid, -1, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW)
		db_column_copy(st, 0, tenant, n);
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? nb_fail(e, NB_NOT_FOUND, "no device %s", cid) : busy(e);
}

static db_row_fn search_row;

static const char sql_roster[] =
	"SELECT id, tenant, controller_id, name, tags, hw_model, hw_revision, sw_version, feed,"
	" mode, state, last_seen, last_addr FROM ddi_devices ORDER BY controller_id";

int ddi_device_roster(struct app *app, struct arena *a, struct ddi_device_row **out,
		      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_roster);
	void *v = NULL;
	int n;

	*out = NULL;
	if (!st || (n = db_rows(st, a, sizeof(**out), search_row, &v)) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the device registry cannot be read, try again");
	*out = v;
	return n;
}

static const char sql_history[] =
	"SELECT a.id, a.software_id, coalesce(a.rollout_id, 0), a.status, a.progress, s.version"
	" FROM ddi_actions a JOIN ddi_software s ON s.id = a.software_id"
	" WHERE a.device_id=? ORDER BY a.id DESC";

int ddi_action_history(struct app *app, struct arena *a, long long device_id,
		       struct ddi_action_entry **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_history);
	struct ddi_action_entry *v = NULL, *r;
	int n = 0, cap = 0, rc;

	*out = NULL;
	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the actions cannot be read, try again");
	db_bind_int64(st, 1, device_id);
	while ((rc = db_step(st)) == DB_ROW) {
		v = arena_grow(a, v, n, &cap, sizeof(*v));
		r = &v[n++];
		r->a.id = db_column_int64(st, 0);
		r->a.software_id = db_column_int64(st, 1);
		r->a.rollout_id = db_column_int64(st, 2);
		db_column_copy(st, 3, r->a.status, sizeof(r->a.status));
		r->a.progress = db_column_int(st, 4);
		db_column_copy(st, 5, r->version, sizeof(r->version));
	}
	db_reset(st);
	if (rc != DB_DONE)
		return nb_fail(e, NB_UNAVAILABLE, "the actions cannot be read, try again");
	*out = v;
	return n;
}

/* -- finding devices -- */

const char *const ddi_sort_words[] = {
	"id", "cid", "name", "state", "version", "model", "feed", "mode", "seen", NULL
};

#define SEARCH_COLS \
	"SELECT id, tenant, controller_id, name, tags, hw_model, hw_revision, sw_version, feed," \
	" mode, state, last_seen, last_addr FROM ddi_devices"
/*
 * Case folded by Unicode, not ASCII only ("ÄPFEL" finds "äpfel", issue
 * 14): SQLite's nb_lower (src/lib/db.c), PostgreSQL's lower() under the
 * ICU root collation (the database's own may be C, which folds ASCII).
 */
#define FOLD_LITE(x) "nb_lower(" x ")"
#define FOLD_PG(x) "lower(CAST(" x " AS text) COLLATE \"und-x-icu\")"
#define HAS(F, col, p) "instr(" F(col) ", " F(p) ") > 0"
/* every filter a substring but state; NULL binds mean "any" */
#define SEARCH_WHERE(F) \
	" WHERE (?1 IS NULL OR " HAS(F, "controller_id", "?1") \
	"  OR " HAS(F, "name", "?1") " OR " HAS(F, "tags", "?1") \
	"  OR " HAS(F, "attributes", "?1") ")" \
	" AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR " HAS(F, "feed", "?3") ")" \
	" AND (?4 IS NULL OR " HAS(F, "hw_model", "?4") ")" \
	" AND (?5 IS NULL OR " HAS(F, "sw_version", "?5") ")" \
	" AND (?6 IS NULL OR last_seen BETWEEN ?6 AND ?7) AND id > ?8"
#define SEARCH_DIR(F, col) \
	{ SEARCH_COLS SEARCH_WHERE(F) " ORDER BY " col ", id LIMIT ?9 OFFSET ?10", \
	  SEARCH_COLS SEARCH_WHERE(F) " ORDER BY " col " DESC, id DESC LIMIT ?9 OFFSET ?10" }
#define SEARCH(col) { SEARCH_DIR(FOLD_LITE, col), SEARCH_DIR(FOLD_PG, col) }

/* ORDER BY cannot be bound: one statement per column and direction (db_stmt
 * keeps them), per backend ([sort][db_is_pg][desc]) */
static const char *const sql_search[DDI_SORT_COUNT][2][2] = {
	SEARCH("id"), SEARCH("controller_id"), SEARCH("name"), SEARCH("state"),
	SEARCH("sw_version"), SEARCH("hw_model"), SEARCH("feed"), SEARCH("mode"),
	SEARCH("last_seen"),
};
static const char *const sql_search_count[2] = {
	"SELECT count(*) FROM ddi_devices" SEARCH_WHERE(FOLD_LITE),
	"SELECT count(*) FROM ddi_devices" SEARCH_WHERE(FOLD_PG),
};

static void bind_search(struct db_stmt *st, const struct ddi_search *s)
{
	const char *v[5] = { s->q, s->state, s->feed, s->model, s->version };
	int i;

	for (i = 0; i < 5; i++)
		if (v[i] && *v[i])
			db_bind_text(st, i + 1, v[i], -1, DB_STATIC);
	if (s->seen_lo >= 0) {
		db_bind_int64(st, 6, s->seen_lo);
		db_bind_int64(st, 7, s->seen_hi);
	}
	db_bind_int64(st, 8, s->after);
}

/* A device row of the search and the roster (struct ddi_device_row: fixed buffers, a unused). */
static void search_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct ddi_device_row *d = p;

	(void)a;
	d->id = db_column_int64(st, 0);
	db_column_copy(st, 1, d->tenant, sizeof(d->tenant));
	db_column_copy(st, 2, d->cid, sizeof(d->cid));
	db_column_copy(st, 3, d->name, sizeof(d->name));
	db_column_copy(st, 4, d->tags, sizeof(d->tags));
	db_column_copy(st, 5, d->hw_model, sizeof(d->hw_model));
	db_column_copy(st, 6, d->hw_revision, sizeof(d->hw_revision));
	db_column_copy(st, 7, d->sw_version, sizeof(d->sw_version));
	db_column_copy(st, 8, d->feed, sizeof(d->feed));
	db_column_copy(st, 9, d->mode, sizeof(d->mode));
	db_column_copy(st, 10, d->state, sizeof(d->state));
	d->last_seen = db_column_int64(st, 11);
	db_column_copy(st, 12, d->last_addr, sizeof(d->last_addr));
}

static int search_count(struct app *app, const struct ddi_search *s, long long *total)
{
	struct db_stmt *st = db_stmt(app->db, sql_search_count[db_is_pg(app->db)]);
	int rc;

	if (!st)
		return -1;
	bind_search(st, s);
	rc = db_step(st);
	*total = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc == DB_ROW ? 0 : -1;
}

int ddi_device_search(struct app *app, const struct ddi_search *s, struct ddi_device_row *out,
		      int max, long long *total, struct nb_err *e)
{
	struct db_stmt *st;
	int n = 0, rc;

	if ((unsigned)s->sort >= DDI_SORT_COUNT || s->limit < 0 || s->limit > max)
		return nb_fail(e, NB_INTERNAL, "device search: a sort or page out of range");
	st = db_stmt(app->db, sql_search[s->sort][db_is_pg(app->db)][s->desc ? 1 : 0]);
	if (!st || search_count(app, s, total) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the device registry cannot be read, try again");
	bind_search(st, s);
	db_bind_int64(st, 9, s->limit);
	db_bind_int64(st, 10, s->offset);
	while ((rc = db_step(st)) == DB_ROW)
		search_row(NULL, st, &out[n++]);
	db_reset(st);
	if (rc != DB_DONE)
		return nb_fail(e, NB_UNAVAILABLE, "the device registry cannot be read, try again");
	return n;
}

/* One device's part of a bulk action; 1 changed, 0 not (cancel: nothing open), or -1 with e. */
static int bulk_one(struct app *app, enum ddi_bulk_op op, long long id, const char *arg,
		    long long assigned, struct nb_err *e)
{
	int n = 0;

	switch (op) {
	case DDI_BULK_ASSIGN:
		return ddi_device_set_mode(app, id, "assigned", assigned, e) < 0 ? -1 : 1;
	case DDI_BULK_MODE: return ddi_device_set_mode(app, id, arg, 0, e) < 0 ? -1 : 1;
	case DDI_BULK_FEED: return ddi_device_set_field(app, id, "feed", arg, e) < 0 ? -1 : 1;
	case DDI_BULK_DELETE: return ddi_device_delete(app, id, e) < 0 ? -1 : 1;
	case DDI_BULK_CANCEL: return cancel_open(app, id, &n, e) < 0 ? -1 : n > 0;
	}
	return nb_fail(e, NB_INTERNAL, "no bulk action %d", (int)op);
}

static int bulk_args_ok(enum ddi_bulk_op op, const char *arg, long long assigned,
			struct nb_err *e)
{
	if (op == DDI_BULK_ASSIGN && assigned <= 0)
		return nb_fail(e, NB_INVALID, "assign needs a software");
	if (op == DDI_BULK_FEED && (!arg || !*arg || strlen(arg) > DDI_FEED_MAX))
		return nb_fail(e, NB_INVALID, "a feed is 1 to %d bytes", DDI_FEED_MAX);
	if (op == DDI_BULK_MODE && (!arg || (strcmp(arg, "rollout") && strcmp(arg, "latest") &&
					     strcmp(arg, "pinned"))))
		return nb_fail(e, NB_INVALID, "mode must be rollout, latest or pinned "
			       "(assign a software for assigned)");
	return 0;
}

long ddi_device_bulk(struct app *app, enum ddi_bulk_op op, const long long *ids, int n,
		     const char *arg, long long assigned, struct nb_err *e)
{
	long changed = 0;
	int i, one = 0;

	if (bulk_args_ok(op, arg, assigned, e) < 0)
		return -1;
	if (op == DDI_BULK_ASSIGN && ddi_software_get(app, assigned, &(struct ddi_software){0}, e) < 0)
		return -1;
	if (db_begin(app->db) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the device registry is busy, try again");
	for (i = 0; i < n && one >= 0; i++)
		if ((one = bulk_one(app, op, ids[i], arg, assigned, e)) > 0)
			changed++;
	if (one < 0) {
		db_rollback(app->db);
		return -1;	/* e says which device and why; nothing changed */
	}
	if (db_commit(app->db) < 0) {
		db_rollback(app->db);
		return nb_fail(e, NB_UNAVAILABLE, "the device registry is busy, try again");
	}
	return changed;
}

int ddi_device_tags(struct app *app, long long id, char *out, size_t n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, "SELECT tags FROM ddi_devices WHERE id = ?");
	int rc;

	if (n)
		*out = '\0';
	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		db_column_copy(st, 0, out, n);
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? nb_fail(e, NB_NOT_FOUND, "no device %lld", id) : busy(e);
}

static const char sql_software_blob[] = "SELECT 1 FROM ddi_software WHERE sha256=?";

int ddi_software_blob_known(struct app *app, const char *sha256, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_software_blob);
	int rc;

	if (!st)
		return busy(e);
	db_bind_text(st, 1, sha256, -1, DB_STATIC);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : busy(e);
}
