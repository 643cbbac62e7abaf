/*
 * The mirror's tables (schema step 13): the upstream pages cached per
 * mirror index (pypi_mirror_pages, project "" being the project list),
 * the links they held (pypi_mirror_links) and the files fetched through
 * them (pypi_mirror_files, with their last use for eviction).  Every SQL
 * statement of the mirror lives here; the rest of the domain's in
 * pypi_store.c.  Errors as there: NB_NOT_FOUND, NB_UNAVAILABLE.
 */
#include "pypi.h"

#include <string.h>
#include <time.h>

long long pypi_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *col_null(struct arena *a, struct db_stmt *st, int i)
{
	return db_column_type(st, i) == DB_NULL ? NULL : db_column_dup(a, st, i);
}

static void bind_text(struct db_stmt *st, int i, const char *s)
{
	db_bind_text(st, i, s ? s : "", -1, DB_TRANSIENT);
}

static int busy(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the store is busy or unavailable");
}

/* Steps a statement that answers no rows; 0 or -1 (busy). */
static int done(struct db_stmt *st, struct nb_err *e)
{
	int rc = db_step(st);

	db_reset(st);
	return rc == DB_DONE ? 0 : busy(e);
}

/* -- pages -- */

static const char sql_page_get[] =
	"SELECT etag, last_modified, error, body, fetched, failed FROM pypi_mirror_pages"
	" WHERE index_id = ?1 AND project = ?2";

int pypi_mpage_get(struct app *app, struct arena *a, long long index_id, const char *project,
		   struct pypi_mpage *out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_page_get);
	int rc;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	if ((rc = db_step(st)) != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? nb_fail(e, NB_NOT_FOUND, "page not cached") : busy(e);
	}
	out->etag = db_column_dup(a, st, 0);
	out->last_modified = db_column_dup(a, st, 1);
	out->error = db_column_dup(a, st, 2);
	out->body = db_column_dup(a, st, 3);
	out->fetched_ms = db_column_int64(st, 4);
	out->failed_ms = db_column_int64(st, 5);
	db_reset(st);
	return 0;
}

static const char sql_page_put[] =
	"INSERT INTO pypi_mirror_pages(index_id, project, body, etag, last_modified, fetched,"
	" failed, error) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 0, '')"
	" ON CONFLICT(index_id, project) DO UPDATE SET body = excluded.body,"
	" etag = excluded.etag, last_modified = excluded.last_modified,"
	" fetched = excluded.fetched, failed = 0, error = ''";
static const char sql_links_del[] =
	"DELETE FROM pypi_mirror_links WHERE index_id = ?1 AND project = ?2";
/* ?9: the link's place on its page (pos orders the page's links) */
static const char sql_link_add[] =
	"INSERT INTO pypi_mirror_links(index_id, project, filename, url, sha256,"
	" requires_python, yanked, size, pos) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	" ON CONFLICT(index_id, filename) DO UPDATE SET project = excluded.project,"
	" url = excluded.url, sha256 = excluded.sha256,"
	" requires_python = excluded.requires_python, yanked = excluded.yanked,"
	" size = excluded.size, pos = excluded.pos";

/* ?1..?8 of a link row: index, project, filename, url, sha256,
 * requires_python, yanked (NULL: not yanked), size. */
static void bind_link(struct db_stmt *st, long long index_id, const char *project,
		      const struct pypi_link *l)
{
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	bind_text(st, 3, l->filename);
	bind_text(st, 4, l->url);
	bind_text(st, 5, l->sha256);
	bind_text(st, 6, l->requires_python);
	if (l->yanked)
		bind_text(st, 7, l->yanked);
	db_bind_int64(st, 8, l->size);
}

static int link_add(struct app *app, long long index_id, const char *project,
		    const struct pypi_link *l, int pos, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_link_add);

	if (!st)
		return busy(e);
	bind_link(st, index_id, project, l);
	db_bind_int64(st, 9, pos);
	return done(st, e);
}

/* The page's row and its links, replaced in one transaction. */
static int page_write(struct app *app, const struct pypi_mpage *pg, long long index_id,
		      const char *project, const struct pypi_link *v, int n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_page_put);
	int i;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	bind_text(st, 3, pg->body);
	bind_text(st, 4, pg->etag);
	bind_text(st, 5, pg->last_modified);
	db_bind_int64(st, 6, pypi_now_ms());
	if (done(st, e) < 0)
		return -1;
	if (!(st = db_stmt(app->db, sql_links_del)))
		return busy(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	if (done(st, e) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (link_add(app, index_id, project, &v[i], i, e) < 0)
			return -1;
	return 0;
}

int pypi_mpage_put(struct app *app, long long index_id, const char *project,
		   const struct pypi_mpage *pg, const struct pypi_link *v, int n,
		   struct nb_err *e)
{
	if (db_begin(app->db) < 0)
		return busy(e);
	if (page_write(app, pg, index_id, project, v, n, e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	return db_commit(app->db) < 0 ? busy(e) : 0;
}

static const char sql_page_touch[] =
	"UPDATE pypi_mirror_pages SET fetched = ?3, failed = 0, error = ''"
	" WHERE index_id = ?1 AND project = ?2";
/* a page never fetched gets a row too: its failure is shown and not
 * repeated at once (fetched 0: no copy) */
static const char sql_page_fail[] =
	"INSERT INTO pypi_mirror_pages(index_id, project, fetched, failed, error)"
	" VALUES(?1, ?2, 0, ?3, ?4) ON CONFLICT(index_id, project) DO UPDATE"
	" SET failed = excluded.failed, error = excluded.error";
static const char sql_page_del[] =
	"DELETE FROM pypi_mirror_pages WHERE index_id = ?1 AND project = ?2";

int pypi_mpage_mark(struct app *app, long long index_id, const char *project,
		    const char *error, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, error ? sql_page_fail : sql_page_touch);

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	db_bind_int64(st, 3, pypi_now_ms());
	if (error)
		bind_text(st, 4, error);
	return done(st, e);
}

int pypi_mpage_del(struct app *app, long long index_id, const char *project,
		   struct nb_err *e)
{
	struct db_stmt *st;

	if (db_begin(app->db) < 0)
		return busy(e);
	if (!(st = db_stmt(app->db, sql_page_del)))
		goto fail;
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	if (done(st, e) < 0 || !(st = db_stmt(app->db, sql_links_del)))
		goto fail;
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	if (done(st, e) < 0)
		goto fail;
	return db_commit(app->db) < 0 ? busy(e) : 0;
fail:
	db_rollback(app->db);
	return busy(e);
}

/* -- links -- */

#define LINK_COLS "filename, url, sha256, requires_python, yanked, size"

static void link_row(struct arena *a, struct db_stmt *st, struct pypi_link *l)
{
	l->filename = db_column_dup(a, st, 0);
	l->url = db_column_dup(a, st, 1);
	l->sha256 = db_column_dup(a, st, 2);
	l->requires_python = db_column_dup(a, st, 3);
	l->yanked = col_null(a, st, 4);
	l->size = db_column_int64(st, 5);
}

/* Every row st answers as links; the count, or -1 when a step failed. */
static int links(struct arena *a, struct db_stmt *st, struct pypi_link **out)
{
	struct pypi_link *v = NULL;
	int n = 0, cap = 0;

	while (db_step(st) == DB_ROW) {
		if (n == cap) {
			struct pypi_link *nv = arena_alloc(a, sizeof(*nv) *
							   (size_t)(cap = cap * 2 + 16));
			if (n)
				memcpy(nv, v, sizeof(*nv) * (size_t)n);
			v = nv;
		}
		link_row(a, st, &v[n++]);
	}
	*out = v;
	return db_reset(st) == DB_OK ? n : -1;
}

static const char sql_links_of[] =
	"SELECT " LINK_COLS " FROM pypi_mirror_links WHERE index_id = ?1 AND project = ?2"
	" ORDER BY pos, filename";
/* offline: the files fetched before, as the page listed them then */
static const char sql_cached_of[] =
	"SELECT " LINK_COLS " FROM pypi_mirror_files WHERE index_id = ?1 AND project = ?2"
	" ORDER BY fetched, filename";

int pypi_mlinks_of(struct app *app, struct arena *a, long long index_id, const char *project,
		   int cached_only, struct pypi_link **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, cached_only ? sql_cached_of : sql_links_of);
	int n;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, project);
	n = links(a, st, out);
	return n < 0 ? busy(e) : n;
}

static const char sql_link_by_name[] =
	"SELECT " LINK_COLS ", project FROM pypi_mirror_links WHERE index_id = ?1 AND filename = ?2";
static const char sql_file_by_name[] =
	"SELECT " LINK_COLS ", project FROM pypi_mirror_files WHERE index_id = ?1 AND filename = ?2";

int pypi_mlink_get(struct app *app, struct arena *a, long long index_id, const char *filename,
		   int cached, struct pypi_link *out, const char **project, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, cached ? sql_file_by_name : sql_link_by_name);
	int rc;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, filename);
	if ((rc = db_step(st)) != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? nb_fail(e, NB_NOT_FOUND, "no such file on this index") :
			busy(e);
	}
	link_row(a, st, out);
	*project = db_column_dup(a, st, 6);
	db_reset(st);
	return 0;
}

/* -- files fetched -- */

/* A use's mark: the time (?N), but always after every mark before it, so
 * two uses in one millisecond still order (least recently used first).
 * The larger of the two by the aggregate max() over both, as SQLite's
 * two-argument max() and PostgreSQL's GREATEST() are each one store's. */
#define NEXT_USE(N) "(SELECT max(u) FROM (SELECT " N " AS u UNION ALL" \
	" SELECT coalesce(max(used), 0) + 1 FROM pypi_mirror_files) AS t)"

static const char sql_file_projects[] =
	"SELECT DISTINCT project FROM pypi_mirror_files WHERE index_id = ?1 ORDER BY project";
static const char sql_known_projects[] =
	"SELECT project FROM pypi_mirror_files WHERE index_id = ?1 UNION"
	" SELECT project FROM pypi_mirror_pages WHERE index_id = ?1 AND project <> ''"
	" AND fetched > 0 ORDER BY 1";

int pypi_mfile_projects(struct app *app, struct arena *a, long long index_id, int pages_too,
			const char ***out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, pages_too ? sql_known_projects : sql_file_projects);
	const char **v = NULL;
	int n = 0, cap = 0;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, index_id);
	while (db_step(st) == DB_ROW) {
		if (n + 1 >= cap) {
			const char **nv = arena_alloc(a, sizeof(*nv) * (size_t)(cap = cap * 2 + 16));
			if (n)
				memcpy(nv, v, sizeof(*nv) * (size_t)n);
			v = nv;
		}
		v[n++] = db_column_dup(a, st, 0);
	}
	if (db_reset(st) != DB_OK)
		return busy(e);
	if (!v)
		v = arena_zalloc(a, sizeof(*v));
	v[n] = NULL;
	*out = v;
	return n;
}

static const char sql_file_put[] =
	"INSERT INTO pypi_mirror_files(index_id, project, filename, url, sha256,"
	" requires_python, yanked, size, fetched, used) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	" ?9, " NEXT_USE("?9") ") ON CONFLICT(index_id, filename) DO UPDATE SET"
	" sha256 = excluded.sha256, size = excluded.size, used = excluded.used";

int pypi_mfile_put(struct app *app, long long index_id, const char *project,
		   const struct pypi_link *l, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_put);

	if (!st)
		return busy(e);
	bind_link(st, index_id, project, l);
	db_bind_int64(st, 9, pypi_now_ms());
	return done(st, e);
}

static const char sql_file_touch[] =
	"UPDATE pypi_mirror_files"
	" SET used = " NEXT_USE("?3")
	" WHERE index_id = ?1 AND filename = ?2";

void pypi_mfile_touch(struct app *app, long long index_id, const char *filename)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_touch);

	if (!st)
		return;		/* the order of eviction is a hint, not a record */
	db_bind_int64(st, 1, index_id);
	bind_text(st, 2, filename);
	db_bind_int64(st, 3, pypi_now_ms());
	done(st, NULL);
}

static const char sql_files_bytes[] = "SELECT coalesce(sum(size), 0) FROM pypi_mirror_files";

int pypi_mfile_bytes(struct app *app, long long *n, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_files_bytes);
	int rc;

	*n = 0;
	if (!st)
		return busy(e);
	if ((rc = db_step(st)) == DB_ROW)
		*n = db_column_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? 0 : busy(e);
}

static const char sql_file_oldest[] =
	"SELECT index_id, filename, sha256 FROM pypi_mirror_files"
	" WHERE NOT (index_id = ?1 AND filename = ?2) ORDER BY used, fetched LIMIT 1";
static const char sql_file_del[] =
	"DELETE FROM pypi_mirror_files WHERE index_id = ?1 AND filename = ?2";

int pypi_mfile_evict_one(struct app *app, struct arena *a, long long keep_index,
			 const char *keep_filename, const char **sha256, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_oldest);
	long long id;
	const char *fn;
	int rc;

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, keep_index);
	bind_text(st, 2, keep_filename);
	if ((rc = db_step(st)) != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? 0 : busy(e);
	}
	id = db_column_int64(st, 0);
	fn = db_column_dup(a, st, 1);
	*sha256 = db_column_dup(a, st, 2);
	db_reset(st);
	if (!(st = db_stmt(app->db, sql_file_del)))
		return busy(e);
	db_bind_int64(st, 1, id);
	bind_text(st, 2, fn);
	return done(st, e) < 0 ? -1 : 1;
}

/* -- what the mirror shows operators -- */

static const char sql_status[] =
	"SELECT (SELECT count(*) FROM pypi_mirror_files WHERE index_id = ?1),"
	" (SELECT coalesce(sum(size), 0) FROM pypi_mirror_files WHERE index_id = ?1),"
	" (SELECT coalesce(max(fetched), 0) FROM pypi_mirror_pages WHERE index_id = ?1),"
	" (SELECT count(*) FROM pypi_mirror_pages WHERE index_id = ?1 AND failed > 0),"
	" (SELECT error FROM pypi_mirror_pages WHERE index_id = ?1 AND failed > 0"
	"   ORDER BY failed DESC LIMIT 1),"
	" (SELECT coalesce(max(failed), 0) FROM pypi_mirror_pages WHERE index_id = ?1),"
	" (SELECT count(*) FROM pypi_mirror_pages WHERE index_id = ?1 AND fetched > 0)";

int pypi_mirror_status_of(struct app *app, struct arena *a, long long index_id,
			  struct pypi_mirror_status *out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_status);

	if (!st)
		return busy(e);
	db_bind_int64(st, 1, index_id);
	if (db_step(st) != DB_ROW) {
		db_reset(st);
		return busy(e);
	}
	out->files = db_column_int64(st, 0);
	out->bytes = db_column_int64(st, 1);
	out->refreshed_ms = db_column_int64(st, 2);
	out->stale_pages = db_column_int64(st, 3);
	out->last_error = db_column_dup(a, st, 4);
	out->failed_ms = db_column_int64(st, 5);
	out->pages = db_column_int64(st, 6);
	db_reset(st);
	return 0;
}
