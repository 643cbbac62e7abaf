/*
 * The Python index's tables (schema step 8): every SQL statement of the
 * domain lives here, and callers get plain structs with strings in their
 * arena.  Writes are single statements or short transactions.
 *
 * Errors (err.h): a row that is not there is NB_NOT_FOUND, a UNIQUE
 * constraint NB_CONFLICT, a busy or failing store NB_UNAVAILABLE; the
 * message names the thing, never SQL.
 */
#include "pypi.h"

#include <string.h>
#include <time.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A failed statement as an error value: a constraint is a conflict
 * ("<what> exists"), anything else the store being busy or broken. */
static int store_fail(struct app *app, struct nb_err *e, const char *what)
{
	if (db_constraint_violation(app->db))
		return nb_fail(e, NB_CONFLICT, "%s exists", what);
	return nb_fail(e, NB_UNAVAILABLE, "the store is busy or unavailable");
}

/* A statement that could not be prepared. */
static int no_stmt(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the store is unavailable");
}

/* Steps a statement with no rows wanted; 0, or -1 (e from store_fail). */
static int done(struct app *app, struct db_stmt *st, const char *what, struct nb_err *e)
{
	int rc = db_step(st);

	if (rc != DB_DONE)
		store_fail(app, e, what);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * Steps a statement that answers at most one row: 0 with the row ready
 * for the caller to read (who then resets st), or -1 with st reset and e
 * set: NB_NOT_FOUND missing when there is no row, else store_fail(what).
 */
static int one_row(struct app *app, struct db_stmt *st, const char *missing, const char *what,
		   struct nb_err *e)
{
	int rc = db_step(st);

	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		nb_fail(e, NB_NOT_FOUND, "%s", missing);
	else
		store_fail(app, e, what);
	db_reset(st);
	return -1;
}

/* v (n elements of size bytes each, cap allocated) with room for at least
 * need elements: v itself, or a larger copy from a with *cap updated. */
static void *grow(struct arena *a, void *v, size_t n, size_t need, size_t *cap, size_t size)
{
	void *nv;

	if (need <= *cap)
		return v;
	*cap = need * 2 + 8;
	nv = arena_alloc(a, size * *cap);
	if (n)
		memcpy(nv, v, size * n);
	return nv;
}

/* Column 0 of every row st answers into *out, a NULL-terminated array
 * from a (never NULL); resets st.  The count, or -1 with e NB_UNAVAILABLE
 * when st is NULL or a step failed (checked by db_reset, as the list reads
 * do): never a shorter list. */
static int names_of(struct arena *a, struct db_stmt *st, const char ***out, struct nb_err *e)
{
	const char **v = NULL;
	size_t n = 0, cap = 0;

	*out = arena_zalloc(a, sizeof(**out));
	if (!st)
		return no_stmt(e);
	while (db_step(st) == DB_ROW) {
		v = grow(a, v, n, n + 2, &cap, sizeof(*v));
		v[n++] = db_column_dup(a, st, 0);
	}
	if (db_reset(st) != DB_OK)
		return no_stmt(e);
	if (v) {
		v[n] = NULL;
		*out = v;
	}
	return (int)n;
}

/* The rows a statement done() changed. */
static int changes(struct app *app)
{
	return db_changes(app->db);
}

static void bind_text(struct db_stmt *st, int i, const char *s)
{
	db_bind_text(st, i, s ? s : "", -1, DB_TRANSIENT);
}

/* -- users -- */

static const char sql_user_get[] =
	"SELECT name, email, pw_hash FROM pypi_users WHERE name = ?1";

int pypi_user_get(struct app *app, struct arena *a, const char *name, struct pypi_user *out,
		  struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_user_get);

	if (!st)
		return no_stmt(e);
	bind_text(st, 1, name);
	if (one_row(app, st, "no such user", "user", e) < 0)
		return -1;
	out->name = db_column_dup(a, st, 0);
	out->email = db_column_dup(a, st, 1);
	out->pw_hash = db_column_dup(a, st, 2);
	db_reset(st);
	return 0;
}

static const char sql_user_add[] =
	"INSERT INTO pypi_users(name, pw_hash, email, created) VALUES(?1, ?2, ?3, ?4)"
	" ON CONFLICT(name) DO NOTHING";

int pypi_user_add(struct app *app, const char *name, const char *pw_hash, const char *email,
		  struct nb_err *e)
{
	struct db_stmt *st;

	if (pypi_text_check("email", email, PYPI_EMAIL_MAX, e) < 0)
		return -1;
	if (!(st = db_stmt(app->db, sql_user_add)))
		return no_stmt(e);
	bind_text(st, 1, name);
	bind_text(st, 2, pw_hash);
	bind_text(st, 3, email);
	db_bind_int64(st, 4, now_ms());
	if (done(app, st, "user", e) < 0)
		return -1;
	return changes(app) ? 0 : nb_fail(e, NB_CONFLICT, "user %s exists", name);
}

static const char sql_user_tokens_del[] = "DELETE FROM pypi_tokens WHERE \"user\" = ?1";

/* Steps st (bound; no rows wanted) and wants it to change a row:
 * NB_NOT_FOUND missing when it changed none; 0 or -1 with e. */
static int done_one(struct app *app, struct db_stmt *st, const char *what, const char *missing,
		    struct nb_err *e)
{
	if (done(app, st, what, e) < 0)
		return -1;
	return changes(app) ? 0 : nb_fail(e, NB_NOT_FOUND, "%s", missing);
}

/* A step of in_tx: st bound, on the rows of user (and index). */
typedef int tx_step(struct app *app, struct db_stmt *st, const char *user, const char *index,
		    const char *missing, struct nb_err *e);

/* Runs step in one write transaction, committed when it returns 0 and
 * rolled back otherwise (st reset either way); 0, or -1 with e. */
static int in_tx(struct app *app, tx_step *step, struct db_stmt *st, const char *user,
		 const char *index, const char *missing, struct nb_err *e)
{
	if (db_begin(app->db) < 0) {
		db_reset(st);
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy");
	}
	if (step(app, st, user, index, missing, e) < 0) {
		db_reset(st);
		db_rollback(app->db);
		return -1;
	}
	if (db_commit(app->db) < 0) {
		db_rollback(app->db);
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy");
	}
	return 0;
}

/* The password change st, then the user's tokens deleted (in_tx). */
static int set_then_untoken(struct app *app, struct db_stmt *st, const char *user,
			    const char *index, const char *missing, struct nb_err *e)
{
	(void)index;
	if (done_one(app, st, "user", missing, e) < 0)
		return -1;
	if (!(st = db_stmt(app->db, sql_user_tokens_del)))
		return no_stmt(e);
	bind_text(st, 1, user);
	return done(app, st, "token", e);
}

static const char sql_user_set[] =
	"UPDATE pypi_users SET pw_hash = coalesce(?2, pw_hash), email = coalesce(?3, email)"
	" WHERE name = ?1";

int pypi_user_set(struct app *app, const char *name, const char *pw_hash, const char *email,
		  struct nb_err *e)
{
	struct db_stmt *st;

	if (email && pypi_text_check("email", email, PYPI_EMAIL_MAX, e) < 0)
		return -1;
	if (!(st = db_stmt(app->db, sql_user_set)))
		return no_stmt(e);
	bind_text(st, 1, name);
	if (pw_hash)
		bind_text(st, 2, pw_hash);
	if (email)
		bind_text(st, 3, email);
	if (!pw_hash)
		return done_one(app, st, "user", "no such user", e);
	/* a new password ends the +login tokens the old one gave (devpi's
	 * tokens carry the password hash, so they die with it too) */
	return in_tx(app, set_then_untoken, st, name, NULL, "no such user", e);
}

static const char sql_bases_all[] =
	"SELECT \"user\", name, bases FROM pypi_indexes WHERE bases <> '' ORDER BY \"user\", name";

/*
 * An index other than user's own (user/index set: other than that one
 * index) whose bases name user/index (index NULL: any index of user):
 * NB_CONFLICT naming it, as deleting would leave its base dangling and a
 * later user or index of the same name would be inherited unasked.  0
 * when none, -1 with e.
 */
static int base_of_other(struct app *app, const char *user, const char *index,
			 struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_bases_all);
	size_t ul = strlen(user);
	int rc, found = 0;

	if (!st)
		return no_stmt(e);
	while (!found && (rc = db_step(st)) == DB_ROW) {
		const char *u = (const char *)db_column_text(st, 0);
		const char *n = (const char *)db_column_text(st, 1);
		const char *p = (const char *)db_column_text(st, 2);
		if (!index && !strcmp(u, user))
			continue;	/* goes with the user */
		while (p && *p && !found) {
			const char *c = strchr(p, ','), *end = c ? c : p + strlen(p);
			while (*p == ' ')
				p++;
			found = (size_t)(end - p) > ul + 1 && !strncmp(p, user, ul) && p[ul] == '/' &&
				(!index || ((size_t)(end - p - ul - 1) == strlen(index) &&
					    !strncmp(p + ul + 1, index, strlen(index))));
			if (found)
				nb_fail(e, NB_CONFLICT, "the index %s/%s uses %.*s as a base: change "
					"its bases first", u, n, (int)(end - p), p);
			p = c ? c + 1 : NULL;
		}
	}
	if (!found && rc != DB_DONE)
		store_fail(app, e, "index");
	db_reset(st);
	return found || rc != DB_DONE ? -1 : 0;
}

/* The delete st (bound) once base_of_other(user, index) said no index
 * depends on what it deletes (in_tx); NB_NOT_FOUND missing when st
 * deleted nothing. */
static int del_unused(struct app *app, struct db_stmt *st, const char *user, const char *index,
		      const char *missing, struct nb_err *e)
{
	if (base_of_other(app, user, index, e) < 0)
		return -1;
	return done_one(app, st, index ? "index" : "user", missing, e);
}

static const char sql_user_del[] = "DELETE FROM pypi_users WHERE name = ?1";

int pypi_user_del(struct app *app, const char *name, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_user_del);

	if (!st)
		return no_stmt(e);
	bind_text(st, 1, name);
	return in_tx(app, del_unused, st, name, NULL, "no such user", e);
}

static const char sql_user_list[] = "SELECT name FROM pypi_users ORDER BY name";

int pypi_user_list(struct app *app, struct arena *a, const char ***out, struct nb_err *e)
{
	return names_of(a, db_stmt(app->db, sql_user_list), out, e);
}

/* -- indexes -- */

#define INDEX_COLS "id, \"user\", name, type, volatile, bases, acl_upload, mirror_whitelist," \
	" mirror_url, title, mirror_cache_expiry"

static void index_row(struct arena *a, struct db_stmt *st, struct pypi_index *ix)
{
	ix->id = db_column_int64(st, 0);
	ix->user = db_column_dup(a, st, 1);
	ix->name = db_column_dup(a, st, 2);
	ix->type = db_column_dup(a, st, 3);
	ix->volatile_ = db_column_int(st, 4);
	ix->bases = db_column_dup(a, st, 5);
	ix->acl_upload = db_column_dup(a, st, 6);
	ix->mirror_whitelist = db_column_dup(a, st, 7);
	ix->mirror_url = db_column_dup(a, st, 8);
	ix->title = db_column_dup(a, st, 9);
	ix->mirror_cache_expiry = db_column_int64(st, 10);
}

static const char sql_index_get[] =
	"SELECT " INDEX_COLS " FROM pypi_indexes WHERE \"user\" = ?1 AND name = ?2";

int pypi_index_get(struct app *app, struct arena *a, const char *user, const char *name,
		   struct pypi_index *out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_index_get);

	if (!st)
		return no_stmt(e);
	bind_text(st, 1, user);
	bind_text(st, 2, name);
	if (one_row(app, st, "no such index", "index", e) < 0)
		return -1;
	index_row(a, st, out);
	db_reset(st);
	return 0;
}

static const char sql_index_list[] =
	"SELECT " INDEX_COLS " FROM pypi_indexes WHERE ?1 IS NULL OR \"user\" = ?1"
	" ORDER BY \"user\", name";

int pypi_index_list(struct app *app, struct arena *a, const char *user,
		    struct pypi_index **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_index_list);
	struct pypi_index *v = NULL;
	size_t n = 0, cap = 0;

	if (!st)
		return no_stmt(e);
	if (user)
		bind_text(st, 1, user);
	while (db_step(st) == DB_ROW) {
		v = grow(a, v, n, n + 1, &cap, sizeof(*v));
		index_row(a, st, &v[n++]);
	}
	*out = v;
	return db_reset(st) == DB_OK ? (int)n : no_stmt(e);
}

static const char sql_index_add[] =
	"INSERT INTO pypi_indexes(\"user\", name, type, volatile, bases, acl_upload,"
	" mirror_whitelist, mirror_url, title, mirror_cache_expiry, created)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char sql_index_set[] =
	"UPDATE pypi_indexes SET type = ?3, volatile = ?4, bases = ?5, acl_upload = ?6,"
	" mirror_whitelist = ?7, mirror_url = ?8, title = ?9, mirror_cache_expiry = ?10"
	" WHERE \"user\" = ?1 AND name = ?2";

int pypi_index_put(struct app *app, const struct pypi_index *ix, int create,
		   struct nb_err *e)
{
	struct db_stmt *st;

	if (pypi_text_check("title", ix->title, PYPI_TITLE_MAX, e) < 0)
		return -1;
	if (!(st = db_stmt(app->db, create ? sql_index_add : sql_index_set)))
		return no_stmt(e);
	bind_text(st, 1, ix->user);
	bind_text(st, 2, ix->name);
	bind_text(st, 3, ix->type);
	db_bind_int(st, 4, ix->volatile_);
	bind_text(st, 5, ix->bases);
	bind_text(st, 6, ix->acl_upload);
	bind_text(st, 7, ix->mirror_whitelist);
	bind_text(st, 8, ix->mirror_url);
	bind_text(st, 9, ix->title);
	db_bind_int64(st, 10, ix->mirror_cache_expiry);
	if (create)
		db_bind_int64(st, 11, now_ms());
	if (done(app, st, "the index", e) < 0)
		return -1;
	return changes(app) ? 0 : nb_fail(e, NB_NOT_FOUND, "no such index");
}

static const char sql_index_del[] = "DELETE FROM pypi_indexes WHERE \"user\" = ?1 AND name = ?2";

int pypi_index_del(struct app *app, const char *user, const char *name, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_index_del);

	if (!st)
		return no_stmt(e);
	bind_text(st, 1, user);
	bind_text(st, 2, name);
	return in_tx(app, del_unused, st, user, name, "no such index", e);
}

/* -- files -- */

#define FILE_COLS "f.id, f.index_id, f.size, f.uploaded, f.project, f.name, f.version," \
	" f.filename, f.sha256, f.md5, f.requires_python, f.summary, f.requires_dist," \
	" f.metadata_sha256, f.yanked, i.\"user\", i.name"

static void file_row(struct arena *a, struct db_stmt *st, struct pypi_file *f)
{
	f->id = db_column_int64(st, 0);
	f->index_id = db_column_int64(st, 1);
	f->size = db_column_int64(st, 2);
	f->uploaded_ms = db_column_int64(st, 3);
	f->project = db_column_dup(a, st, 4);
	f->name = db_column_dup(a, st, 5);
	f->version = db_column_dup(a, st, 6);
	f->filename = db_column_dup(a, st, 7);
	f->sha256 = db_column_dup(a, st, 8);
	f->md5 = db_column_dup(a, st, 9);
	f->requires_python = db_column_dup(a, st, 10);
	f->summary = db_column_dup(a, st, 11);
	f->requires_dist = db_column_dup(a, st, 12);
	f->metadata_sha256 = db_column_dup(a, st, 13);
	f->yanked = db_column_type(st, 14) == DB_NULL ? NULL : db_column_dup(a, st, 14);
	f->user = db_column_dup(a, st, 15);
	f->index = db_column_dup(a, st, 16);
}

static const char sql_files_of[] =
	"SELECT " FILE_COLS " FROM pypi_files f JOIN pypi_indexes i ON i.id = f.index_id"
	" WHERE f.index_id = ?1 AND f.project = ?2 ORDER BY f.uploaded, f.id";

int pypi_files_of(struct app *app, struct arena *a, long long index_id, const char *project,
		  struct pypi_file **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_files_of);
	struct pypi_file *v = NULL;
	size_t n = 0, cap = 0;

	if (!st)
		return no_stmt(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	while (db_step(st) == DB_ROW) {
		v = grow(a, v, n, n + 1, &cap, sizeof(*v));
		file_row(a, st, &v[n++]);
	}
	*out = v;
	return db_reset(st) == DB_OK ? (int)n : no_stmt(e);
}

static const char sql_projects_of[] =
	"SELECT DISTINCT project FROM pypi_files WHERE index_id = ?1 ORDER BY project";

int pypi_projects_of(struct app *app, struct arena *a, long long index_id,
		     const char ***out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_projects_of);

	if (!st)
		return no_stmt(e);
	db_bind_int64(st, 1, index_id);
	return names_of(a, st, out, e);
}

static const char sql_file_by_name[] =
	"SELECT " FILE_COLS " FROM pypi_files f JOIN pypi_indexes i ON i.id = f.index_id"
	" WHERE f.index_id = ?1 AND f.filename = ?2";

int pypi_file_by_name(struct app *app, struct arena *a, long long index_id,
		      const char *filename, struct pypi_file *out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_by_name);

	if (!st)
		return no_stmt(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, filename);
	if (one_row(app, st, "no such file on this index", "file", e) < 0)
		return -1;
	file_row(a, st, out);
	db_reset(st);
	return 0;
}

static const char sql_file_add[] =
	"INSERT INTO pypi_files(index_id, project, name, version, filename, sha256, md5, size,"
	" requires_python, summary, requires_dist, metadata_sha256, uploaded)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char sql_file_replace[] =
	"INSERT INTO pypi_files(index_id, project, name, version, filename, sha256, md5, size,"
	" requires_python, summary, requires_dist, metadata_sha256, uploaded)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
	" ON CONFLICT(index_id, filename) DO UPDATE SET project = excluded.project,"
	" name = excluded.name, version = excluded.version, sha256 = excluded.sha256,"
	" md5 = excluded.md5, size = excluded.size, requires_python = excluded.requires_python,"
	" summary = excluded.summary, requires_dist = excluded.requires_dist,"
	" metadata_sha256 = excluded.metadata_sha256, uploaded = excluded.uploaded, yanked = NULL";

int pypi_file_put(struct app *app, const struct pypi_file *f, int replace, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, replace ? sql_file_replace : sql_file_add);

	if (!st)
		return no_stmt(e);
	db_bind_int64(st, 1, f->index_id);
	bind_text(st, 2, f->project);
	bind_text(st, 3, f->name);
	bind_text(st, 4, f->version);
	bind_text(st, 5, f->filename);
	bind_text(st, 6, f->sha256);
	bind_text(st, 7, f->md5);
	db_bind_int64(st, 8, f->size);
	bind_text(st, 9, f->requires_python);
	bind_text(st, 10, f->summary);
	bind_text(st, 11, f->requires_dist);
	bind_text(st, 12, f->metadata_sha256);
	db_bind_int64(st, 13, f->uploaded_ms ? f->uploaded_ms : now_ms());
	return done(app, st, "a file of this name", e);
}

static const char sql_version_yank[] =
	"UPDATE pypi_files SET yanked = ?4 WHERE index_id = ?1 AND project = ?2 AND version = ?3";

int pypi_version_yank(struct app *app, long long index_id, const char *project,
		      const char *version, const char *reason, struct nb_err *e)
{
	struct db_stmt *st;

	if (reason && pypi_text_check("the yank reason", reason, PYPI_REASON_MAX, e) < 0)
		return -1;
	if (!(st = db_stmt(app->db, sql_version_yank)))
		return no_stmt(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	bind_text(st, 3, version);
	if (reason)
		bind_text(st, 4, reason);
	if (done(app, st, "version", e) < 0)
		return -1;
	return changes(app);
}

static const char sql_version_del[] =
	"DELETE FROM pypi_files WHERE index_id = ?1 AND project = ?2"
	" AND (?3 IS NULL OR version = ?3)";

int pypi_version_del(struct app *app, long long index_id, const char *project,
		     const char *version, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_version_del);

	if (!st)
		return no_stmt(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	if (version)
		bind_text(st, 3, version);
	if (done(app, st, "version", e) < 0)
		return -1;
	return changes(app);
}

static const char sql_blob_used[] =
	"SELECT EXISTS(SELECT 1 FROM pypi_files WHERE sha256 = ?1)"
	" OR EXISTS(SELECT 1 FROM pypi_files WHERE metadata_sha256 = ?1)"
	" OR EXISTS(SELECT 1 FROM pypi_mirror_files WHERE sha256 = ?1)";

int pypi_blob_used(struct app *app, const char *hex, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_blob_used);
	int rc, used = 0;

	if (!st)
		return no_stmt(e);
	bind_text(st, 1, hex);
	if ((rc = db_step(st)) == DB_ROW)
		used = db_column_int(st, 0) != 0;
	db_reset(st);
	return rc == DB_ROW ? used : no_stmt(e);
}

/* -- login tokens -- */

static const char sql_token_add[] =
	"INSERT INTO pypi_tokens(token_hash, \"user\", expires) VALUES(?1, ?2, ?3)";
static const char sql_token_gc[] = "DELETE FROM pypi_tokens WHERE expires < ?1";

int pypi_token_add(struct app *app, const char *user, const char *token_hash, long long expires,
		   struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_token_gc);
	long long now = now_ms();

	if (!st)
		return no_stmt(e);
	db_bind_int64(st, 1, now);
	if (done(app, st, "token", e) < 0)	/* expired tokens go as new ones come */
		return -1;
	if (!(st = db_stmt(app->db, sql_token_add)))
		return no_stmt(e);
	bind_text(st, 1, token_hash);
	bind_text(st, 2, user);
	db_bind_int64(st, 3, now + expires * 1000);
	return done(app, st, "token", e);
}

static const char sql_token_user[] =
	"SELECT \"user\" FROM pypi_tokens WHERE token_hash = ?1 AND expires >= ?2";

int pypi_token_user(struct app *app, struct arena *a, const char *token_hash, const char **user,
		    struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_token_user);
	int rc;

	*user = NULL;
	if (!st)
		return no_stmt(e);
	bind_text(st, 1, token_hash);
	db_bind_int64(st, 2, now_ms());
	if ((rc = db_step(st)) == DB_ROW)
		*user = db_column_dup(a, st, 0);
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return no_stmt(e);
	return rc == DB_ROW;
}
