/*
 * The software repository's rows written and listed (ddi_software and its
 * compatibility list): adding, deleting and the full catalogue.  What an
 * image is and whether it may be added is ddi_software.c's; the lookups
 * the poll and the decision make are in ddi_store.c with theirs.
 */
#include "ddi.h"

#include <string.h>
#include <time.h>

static const char sql_same_version[] =
	"SELECT s.id, c.board, c.revision FROM ddi_software s"
	" LEFT JOIN ddi_software_compat c ON c.software_id = s.id WHERE s.version = ?";

/* -1 with e NB_UNAVAILABLE: the store failed (busy, I/O, PostgreSQL gone). */
static int busy(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the software repository is busy, try again");
}

int ddi_software_version_each(struct app *app, const char *version, ddi_compat_fn *fn,
			      void *ctx, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_same_version);
	int hit = 0, rc = DB_DONE;

	if (!st)
		return busy(e);
	db_bind_text(st, 1, version, -1, DB_STATIC);
	while (!hit && (rc = db_step(st)) == DB_ROW)
		hit = fn(ctx, (const char *)db_column_text(st, 1),
			 (const char *)db_column_text(st, 2));
	/* a walk stopped by fn leaves the statement mid-way: its reset is not a failure */
	if (db_reset(st) != DB_OK && !hit)
		return busy(e);
	return hit || rc == DB_DONE ? hit : busy(e);
}

static const char sql_add[] =
	"INSERT INTO ddi_software(name, version, kind, filename, size, sha1, md5, sha256,"
	" description, created) VALUES(?,?,?,?,?,?,?,?,?,?)";
static const char sql_compat[] =
	"INSERT INTO ddi_software_compat(software_id, board, revision) VALUES(?,?,?)"
	" ON CONFLICT DO NOTHING";
static const char sql_url[] = "UPDATE ddi_software SET url=? WHERE id=?";

/* Steps a write: 0 done, or -1 with e NB_UNAVAILABLE. */
static int done(struct db_stmt *st, struct nb_err *e)
{
	int rc = db_step(st);

	db_reset(st);
	return rc == DB_DONE ? 0 : busy(e);
}

static int insert_row(struct app *app, const struct ddi_software *s, const char *kind,
		      const char *description, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_add);

	if (!st)
		return busy(e);
	db_bind_text(st, 1, s->name, -1, DB_STATIC);
	db_bind_text(st, 2, s->version, -1, DB_STATIC);
	db_bind_text(st, 3, kind, -1, DB_STATIC);
	db_bind_text(st, 4, s->filename, -1, DB_STATIC);
	db_bind_int64(st, 5, s->size);
	db_bind_text(st, 6, s->sha1, -1, DB_STATIC);
	db_bind_text(st, 7, s->md5, -1, DB_STATIC);
	db_bind_text(st, 8, s->sha256, -1, DB_STATIC);
	db_bind_text(st, 9, description, -1, DB_STATIC);
	db_bind_int64(st, 10, (int64_t)time(NULL));
	return done(st, e);
}

long long ddi_software_insert(struct app *app, const struct ddi_software *s, const char *kind,
			      const char *description, const struct swu_compat *compat, int n,
			      struct nb_err *e)
{
	struct db_stmt *st;
	long long id;
	int i;

	if (insert_row(app, s, kind, description, e) < 0)
		return -1;
	id = db_last_insert_id(app->db);
	if (*s->url) {
		if (!(st = db_stmt(app->db, sql_url)))
			return busy(e);
		db_bind_text(st, 1, s->url, -1, DB_STATIC);
		db_bind_int64(st, 2, id);
		if (done(st, e) < 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		if (!(st = db_stmt(app->db, sql_compat)))
			return busy(e);
		db_bind_int64(st, 1, id);
		db_bind_text(st, 2, compat[i].board, -1, DB_STATIC);
		db_bind_text(st, 3, compat[i].revision, -1, DB_STATIC);
		if (done(st, e) < 0)
			return -1;
	}
	return id;
}

static const char sql_used[] =
	"SELECT EXISTS (SELECT 1 FROM ddi_actions WHERE software_id=?1)"
	" OR EXISTS (SELECT 1 FROM ddi_rollouts WHERE software_id=?1)"
	" OR EXISTS (SELECT 1 FROM ddi_devices WHERE assigned=?1)";
static const char sql_del[] = "DELETE FROM ddi_software WHERE id=?";

/* Whether software id is used: 1 or 0, or -1 with e (the use not known). */
static int software_used(struct app *app, long long id, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_used);
	int rc, used = 0;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, id);
	if ((rc = db_step(st)) == DB_ROW)
		used = db_column_int(st, 0);
	db_reset(st);
	return rc == DB_ROW ? used : busy(e);
}

/* Only unused software goes: an action's history keeps naming what it installed. */
int ddi_software_delete(struct app *app, long long id, struct nb_err *e)
{
	struct db_stmt *st;
	int used, rc;

	/* the check and the delete in one transaction: no assignment slips between */
	if (db_begin(app->db) < 0)
		return busy(e);
	if ((used = software_used(app, id, e)) != 0) {
		db_rollback(app->db);
		return used < 0 ? -1 : nb_fail(e, NB_CONFLICT, "software %lld is in use (by an"
					       " action, a rollout or a device assigned to it)", id);
	}
	if ((st = db_stmt(app->db, sql_del)))
		db_bind_int64(st, 1, id);
	if (!st || done(st, e) < 0) {
		db_rollback(app->db);
		return st ? -1 : busy(e);
	}
	rc = db_changes(app->db);
	if (db_commit(app->db) < 0) {
		db_rollback(app->db);
		return busy(e);
	}
	return rc ? 0 : nb_fail(e, NB_NOT_FOUND, "no such software");
}

static const char sql_catalogue[] =
	"SELECT id, size, name, version, filename, sha1, md5, sha256, url, kind"
	" FROM ddi_software ORDER BY id";
static const char sql_catalogue_compat[] =
	"SELECT software_id, board, revision FROM ddi_software_compat"
	" ORDER BY software_id, board, revision";

static void catalogue_row(struct arena *a, struct db_stmt *st, void *p)
{
	struct ddi_software_entry *r = p;
	struct ddi_software *s = &r->s;

	(void)a;
	memset(r, 0, sizeof(*r));
	ddi_software_read(st, s);
	db_column_copy(st, 9, r->kind, sizeof(r->kind));
}

/* Every compatibility entry onto its software among the n of v (both by
 * id: one merging pass); 0, or -1 when the store failed. */
static int catalogue_compat(struct app *app, struct arena *a, struct ddi_software_entry *v,
			    int n)
{
	struct db_stmt *st = db_stmt(app->db, sql_catalogue_compat);
	struct ddi_software_entry *r;
	struct swu_compat *c;
	int i = 0, cap = 0, rc;

	if (!st)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		long long id = db_column_int64(st, 0);
		while (i < n && v[i].s.id < id) {
			i++;
			cap = 0;
		}
		if (i == n || v[i].s.id != id)
			continue;	/* added after the software was read */
		r = &v[i];
		r->compat = c = arena_grow(a, (void *)r->compat, r->ncompat, &cap, sizeof(*c));
		db_column_copy(st, 1, c[r->ncompat].board, sizeof(c->board));
		db_column_copy(st, 2, c[r->ncompat].revision, sizeof(c->revision));
		r->ncompat++;
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int ddi_software_catalogue(struct app *app, struct arena *a, struct ddi_software_entry **out,
			   struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_catalogue);
	void *v = NULL;
	int n;

	*out = NULL;
	if (!st || (n = db_rows(st, a, sizeof(**out), catalogue_row, &v)) < 0 ||
	    catalogue_compat(app, a, v, n) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the software repository cannot be read");
	*out = v;
	return n;
}
