/*
 * Project pages of the Python index as files the front end sends itself
 * (issue 15, item 3): <var_dir>/pypi-static/{user}/{index}/{project}/
 * holds index.json (PEP 691, sent for pip's Accept) and index.html (PEP
 * 503, sent without Accept, for the any-type range and text/html), the bytes
 * pypi_simple_project answers (pypi_project_render builds both).  The
 * front end (etc/nestbox_static.lua) sends one only when the negotiation
 * is unambiguous and the name is normalized; anything else, and a miss,
 * goes to pypi.fcgi, which answers and keeps the page (pypi_static_keep).
 *
 * Only stage pages whose chain has no mirror: a mirror-backed page changes
 * with the upstream, so it stays dynamic.  A change rewrites the project's
 * page on its index and on every index that inherits from it
 * (pypi_static_project: uploads, yanks, deletes; the admin and nestboxctl,
 * which have no page templates, remove the pages instead); a change of an
 * index's settings, an index or user deleted and an import remove the
 * whole tree (pypi_static_reset), rebuilt on the misses.
 *
 * Only on a store no other host writes (SQLite): the tree is per host, and
 * a change made on another host could not remove this host's files, so
 * with PostgreSQL (db_is_pg) no page is written and any left from a SQLite
 * past is removed at start (pypi_static_unshare), the rule the OTA static
 * answers follow (src/ota/ota_static.c).
 */
#define _XOPEN_SOURCE 700
#include "pypi.h"
#include "../lib/fs.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const FILES[] = { "index.html", "index.json" };	/* by enum pypi_fmt */

/* <var_dir>/pypi-static/{user}/{index}/{project}, or NULL on a shared store. */
static const char *page_dir(struct app *app, struct arena *a, const struct pypi_index *ix,
			    const char *project)
{
	if (db_is_pg(app->db))
		return NULL;
	return arena_cat(a, app->set.var_dir, "/pypi-static/", ix->user, "/", ix->name, "/",
			 project, NULL);
}

static int drop(const char *dir, const char *file)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "pypi: cannot remove the static page %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Writes (set) or removes (no set, no project, a mirror-backed page) one
 * index's pages of project; 0 or -1. */
static int refresh(struct app *app, struct tmpl_set *set, struct arena *a,
		   const struct pypi_index *ix, const char *project)
{
	const char *dir = page_dir(app, a, ix, project);
	int fmt, rc = 0;

	if (!dir)
		return 0;
	for (fmt = PYPI_HTML; fmt <= PYPI_JSON; fmt++) {
		struct http_resp w;
		struct nb_err e;
		int dynamic = 1, n = 0;
		http_resp_init(&w, a);
		if (set && (n = pypi_project_render(app, set, a, ix, project, (enum pypi_fmt)fmt,
						    &w, &dynamic, &e)) < 0)
			fprintf(stderr, "pypi: static page %s: %s\n", dir, e.msg);
		if (n <= 0 || dynamic)
			rc |= drop(dir, FILES[fmt]);
		else if (fs_mkdirs(dir, 0755) < 0 ||
			 fs_write_atomic(arena_cat(a, dir, "/", FILES[fmt], NULL), w.body.p,
					 w.body.len) < 0) {
			drop(dir, FILES[fmt]);	/* never a stale page */
			rc = -1;
		}
	}
	return rc ? -1 : 0;
}

/* 1 when the chain of ix includes the index id (or the store cannot say:
 * the front end's copy is then dropped, and the program answers). */
static int inherits(struct app *app, struct arena *a, const struct pypi_index *ix, long long id)
{
	struct pypi_index *order;
	int n = pypi_resolve(app, a, ix, &order, NULL), i;

	if (n < 0)
		return 1;
	for (i = 0; i < n; i++)
		if (order[i].id == id)
			return 1;
	return 0;
}

int pypi_static_project(struct app *app, struct tmpl_set *set, long long index_id,
			const char *project)
{
	struct pypi_index *v;
	struct nb_err e;
	struct arena a;
	int n, i, rc = 0;

	if (db_is_pg(app->db))
		return 0;
	arena_init(&a);
	if ((n = pypi_index_list(app, &a, NULL, &v, &e)) < 0) {
		fprintf(stderr, "pypi: static pages of %s: %s\n", project, e.msg);
		rc = pypi_static_reset(app);	/* nothing may stay stale */
	}
	for (i = 0; i < n; i++)
		if (inherits(app, &a, &v[i], index_id))
			rc |= refresh(app, set, &a, &v[i], pypi_normalize(&a, project));
	arena_free(&a);
	return rc ? -1 : 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	if (remove(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "pypi: cannot remove %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int drop_tree(struct app *app)
{
	struct arena a;
	int rc;

	arena_init(&a);
	rc = nftw(arena_cat(&a, app->set.var_dir, "/pypi-static", NULL), remove_one, 16,
		  FTW_DEPTH | FTW_PHYS);
	rc = rc == 0 || errno == ENOENT ? 0 : -1;
	arena_free(&a);
	return rc;
}

int pypi_static_reset(struct app *app)
{
	return drop_tree(app);
}

int pypi_static_unshare(struct app *app)
{
	return db_is_pg(app->db) ? drop_tree(app) : 0;
}

int pypi_static_keep(struct app *app, struct arena *a, const struct pypi_index *ix,
		     const char *project, enum pypi_fmt fmt, const struct http_resp *w)
{
	const char *dir = page_dir(app, a, ix, project), *path;
	char tmp[4096];
	int fd, kept = 0, linked = -1;

	if (!dir || fmt == PYPI_NONE)
		return 0;
	path = arena_cat(a, dir, "/", FILES[fmt], NULL);
	if (access(path, F_OK) == 0 || fs_mkdirs(dir, 0755) < 0 ||
	    (fd = fs_tmp_open(path, tmp, sizeof(tmp))) < 0)
		return 0;
	/* link, not rename: a page a change wrote meanwhile is newer than ours */
	/* link's own result and errno, kept before another call changes errno */
	if (fs_write_all(fd, w->body.p, w->body.len) < 0 || fsync(fd) < 0 ||
	    ((linked = link(tmp, path)) < 0 && errno != EEXIST))
		fprintf(stderr, "pypi: cannot keep the static page %s: %s\n", path,
			strerror(errno));
	else
		kept = linked == 0;
	close(fd);
	unlink(tmp);
	return kept;
}

void pypi_static_forget(struct app *app, struct arena *a, const struct pypi_index *ix,
			const char *project, enum pypi_fmt fmt)
{
	const char *dir = page_dir(app, a, ix, project);

	if (dir && fmt != PYPI_NONE)
		drop(dir, FILES[fmt]);
}
