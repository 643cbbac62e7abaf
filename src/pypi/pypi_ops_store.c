/*
 * The SQL of the operators' doors to the Python index (pypi_ops.h) that
 * pypi_store.c does not hold: per-index sizes, per-file yank and delete,
 * and the emptiness check and clearing import needs.  Same tables and
 * error conventions as pypi_store.c.
 */
#include "pypi_ops.h"

#include <string.h>
#include <time.h>

static int no_stmt(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the store is unavailable");
}

/* Steps a write; the rows it changed, or -1 with e. */
static int write_step(struct app *app, struct db_stmt *st, struct nb_err *e)
{
	int rc = db_step(st);

	db_reset(st);
	if (rc != DB_DONE)
		return nb_fail(e, db_constraint_violation(app->db) ? NB_CONFLICT : NB_UNAVAILABLE,
			       db_constraint_violation(app->db) ? "it exists already" :
			       "the store is busy or unavailable");
	return db_changes(app->db);
}

static const char sql_stats[] =
	"SELECT count(DISTINCT project), count(*), coalesce(sum(size), 0)"
	" FROM pypi_files WHERE index_id = ?1";

int pypi_ops_index_stats(struct app *app, long long index_id, struct pypi_index_stats *out,
			 struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_stats);
	int rc;

	if (!st)
		return no_stmt(e);
	db_bind_int64(st, 1, index_id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		out->projects = db_column_int64(st, 0);
		out->files = db_column_int64(st, 1);
		out->bytes = db_column_int64(st, 2);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : nb_fail(e, NB_UNAVAILABLE, "the store is busy or unavailable");
}

static const char sql_file_yank[] =
	"UPDATE pypi_files SET yanked = ?3 WHERE index_id = ?1 AND filename = ?2";

int pypi_ops_file_yank(struct app *app, long long index_id, const char *filename,
		       const char *reason, struct nb_err *e)
{
	struct db_stmt *st;

	if (reason && pypi_text_check("the yank reason", reason, PYPI_REASON_MAX, e) < 0)
		return -1;
	if (!(st = db_stmt(app->db, sql_file_yank)))
		return no_stmt(e);
	db_bind_int64(st, 1, index_id);
	db_bind_text(st, 2, filename, -1, DB_TRANSIENT);
	if (reason)
		db_bind_text(st, 3, reason, -1, DB_TRANSIENT);
	else
		db_bind_null(st, 3);
	return write_step(app, st, e);
}

static const char sql_file_del[] =
	"DELETE FROM pypi_files WHERE index_id = ?1 AND filename = ?2";

int pypi_ops_file_del(struct app *app, long long index_id, const char *filename,
		      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_del);

	if (!st)
		return no_stmt(e);
	db_bind_int64(st, 1, index_id);
	db_bind_text(st, 2, filename, -1, DB_TRANSIENT);
	return write_step(app, st, e);
}

/* "user" quoted: bare, PostgreSQL reads it as current_user */
static const char sql_used[] =
	"SELECT EXISTS(SELECT 1 FROM pypi_users WHERE name <> 'root')"
	" OR EXISTS(SELECT 1 FROM pypi_indexes WHERE NOT (\"user\" = 'root' AND name = 'pypi'))"
	" OR EXISTS(SELECT 1 FROM pypi_files)";

int pypi_ops_store_used(struct app *app, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_used);
	int rc, used = 0;

	if (!st)
		return no_stmt(e);
	rc = db_step(st);
	if (rc == DB_ROW)
		used = db_column_int(st, 0);
	db_reset(st);
	return rc == DB_ROW ? used : nb_fail(e, NB_UNAVAILABLE, "the store is busy or unavailable");
}

static const char sql_indexes_clear[] = "DELETE FROM pypi_indexes";

int pypi_ops_indexes_clear(struct app *app, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_indexes_clear);

	if (!st)
		return no_stmt(e);
	return write_step(app, st, e);
}

/* root is made by pypi.fcgi's first start: the exported root replaces it
 * (the table's name on "name": PostgreSQL finds it ambiguous with excluded's) */
static const char sql_user_import[] =
	"INSERT INTO pypi_users(name, pw_hash, email, created) VALUES(?1, ?2, ?3, ?4)"
	" ON CONFLICT(name) DO UPDATE SET pw_hash = excluded.pw_hash, email = excluded.email"
	" WHERE pypi_users.name = 'root'";

int pypi_ops_user_import(struct app *app, const struct pypi_user *u, struct nb_err *e)
{
	struct db_stmt *st;
	struct timespec ts;
	int n;

	if (u->email && pypi_text_check("email", u->email, PYPI_EMAIL_MAX, e) < 0)
		return -1;
	if (!(st = db_stmt(app->db, sql_user_import)))
		return no_stmt(e);
	clock_gettime(CLOCK_REALTIME, &ts);
	db_bind_text(st, 1, u->name, -1, DB_TRANSIENT);
	db_bind_text(st, 2, u->pw_hash, -1, DB_TRANSIENT);
	db_bind_text(st, 3, u->email ? u->email : "", -1, DB_TRANSIENT);
	db_bind_int64(st, 4, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	if ((n = write_step(app, st, e)) < 0)
		return -1;
	return n ? 0 : nb_fail(e, NB_CONFLICT, "user %s exists", u->name);
}
