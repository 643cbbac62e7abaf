/*
 * The OTA answers that need no token and depend on no board, as files the
 * front end sends itself (issue 15, item 3): <var_dir>/ota-static mirrors
 * the URL space of a public repository,
 *   ota/api/repos/{o}/{r}/git/ref/tags/{tag}    (and git/refs/tags/{tag})
 *   ota/api/repos/{o}/{r}/releases/tags/{tag}
 *   ota/api/repos/{o}/{r}/git/tags/{tag object id}   (annotated tags)
 *   ota/api/repos/{o}/{r}/git/trees/{commit id}      (the ?recursive answer)
 *   ota/download/{o}/{r}/{tag}/manifest.json  (the asset, fetched on every
 *                                              manifest-mode check)
 * with the bytes ota.fcgi answers (the same JSON builders, ota_http.h;
 * the manifest is a copy of its blob).
 * Each is immutable once written: a release never changes and a commit's
 * tree neither, so no publish or push makes one stale; branch tips,
 * releases/latest (a board's rollout) and raw files (the inventory counts
 * them) stay with ota.fcgi.  A repository made private loses its tree
 * before anyone can read it statically again (ota_repo_set_private).
 * Written only when server.base_url is set: the links inside are absolute,
 * and without it ota.fcgi builds them from each request's Host; and only
 * on a store no other host writes (SQLite): with PostgreSQL another host
 * can make a repository private, and only this host could remove its
 * files (tests/e2e/test_two_hosts.py).
 * The front end maps these paths first, ota.fcgi on a miss
 * (etc/nestbox-lighttpd.conf, apache-example.conf).
 */
#define _XOPEN_SOURCE 700
#include "ota_http.h"
#include "../lib/fs.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A request that carries only the arena: the builders read the base URL
 * from server.base_url (set, or nothing is written) and nothing else. */
static void quiet_req(struct http_req *r, struct arena *a)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
}

/* <var_dir>/ota-static/ota/api/repos/{o}/{r}, or NULL when static answers
 * are off for this repository (private, or no server.base_url) or for
 * every one: on a store other hosts share (PostgreSQL), a repository made
 * private on another host could not take this host's files back. */
static const char *repo_dir(struct app *app, struct arena *a, const struct ota_repo *repo)
{
	if (!app->set.base_url[0] || repo->private || db_is_pg(app->db))
		return NULL;
	return arena_cat(a, app->set.var_dir, "/ota-static/ota/api/repos/", repo->owner, "/",
			 repo->name, NULL);
}

/* o (consumed) as the file dir/rel, written atomically; 0 or -1. */
static int put(struct arena *a, const char *dir, const char *rel, cJSON *o)
{
	const char *path = arena_cat(a, dir, "/", rel, NULL);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	int rc = -1;

	cJSON_Delete(o);
	if (s && fs_mkdirs(fs_dirname(a, path), 0755) == 0)
		rc = fs_write_atomic(path, s, strlen(s));
	if (rc < 0)
		fprintf(stderr, "ota: cannot write the static answer %s: %s\n", path,
			strerror(errno));
	free(s);
	return rc;
}

/* A copy of the release's manifest.json at its browser_download_url. */
static int put_manifest(struct app *app, struct arena *a, const struct ota_repo *repo,
			const struct ota_release *rel)
{
	const char *path = arena_cat(a, app->set.var_dir, "/ota-static/ota/download/", repo->owner,
				     "/", repo->name, "/", rel->tag, "/manifest.json", NULL);
	char blob[4096];
	size_t n = 0;
	const char *body = NULL;

	if (blob_path(&app->blobs, rel->manifest, blob, sizeof(blob)) == 0)
		body = fs_read_small(a, blob, (size_t)rel->manifest_size + 1, &n);
	if (!body || n != (size_t)rel->manifest_size || fs_mkdirs(fs_dirname(a, path), 0755) < 0 ||
	    fs_write_atomic(path, body, n) < 0) {
		fprintf(stderr, "ota: cannot write the static manifest %s\n", path);
		return -1;
	}
	return 0;
}

/* The recursive tree of commit; 0 or -1. */
static int put_tree(struct app *app, struct http_req *r, const struct ota_repo *repo,
		    struct ota_git *g, const char *dir, const char *commit)
{
	cJSON *t = ota_tree_json(app, r, repo, g, commit, 1);

	if (!t)
		return -1;
	return put(r->a, dir, arena_cat(r->a, "git/trees/", commit, NULL), t);
}

/* Every static answer of one release. */
static int put_release(struct app *app, struct http_req *r, const struct ota_repo *repo,
		       struct ota_git *g, const char *dir, const struct ota_release *rel)
{
	int rc = 0;

	rc |= put(r->a, dir, arena_cat(r->a, "git/ref/tags/", rel->tag, NULL),
		  ota_ref_tag_json(app, r, repo, rel));
	rc |= put(r->a, dir, arena_cat(r->a, "git/refs/tags/", rel->tag, NULL),
		  ota_ref_tag_json(app, r, repo, rel));
	rc |= put(r->a, dir, arena_cat(r->a, "releases/tags/", rel->tag, NULL),
		  ota_release_json(app, r, repo, rel));
	if (rel->tag_sha[0])
		rc |= put(r->a, dir, arena_cat(r->a, "git/tags/", rel->tag_sha, NULL),
			  ota_tag_json(app, r, repo, g, rel->tag_sha));
	rc |= put_tree(app, r, repo, g, dir, rel->commit);
	if (rel->manifest[0])
		rc |= put_manifest(app, r->a, repo, rel);
	return rc ? -1 : 0;
}

/* Writes a release's files (rel) or a pushed commit's tree (commit) into
 * the repository's static tree; 0 when there is none (private, no base URL). */
static int put_static(struct app *app, const struct ota_settings *s, struct arena *a,
		      const struct ota_repo *repo, const struct ota_release *rel,
		      const char *commit)
{
	const char *dir = repo_dir(app, a, repo);
	struct http_req r;
	struct ota_git *g;
	int rc;

	if (!dir)
		return 0;
	if (!(g = ota_git_open(s, repo->owner, repo->name, 0, NULL)))
		return -1;
	quiet_req(&r, a);
	rc = rel ? put_release(app, &r, repo, g, dir, rel) : put_tree(app, &r, repo, g, dir, commit);
	ota_git_close(g);
	return rc;
}

int ota_static_release(struct app *app, const struct ota_settings *s, struct arena *a,
		       const struct ota_repo *repo, const struct ota_release *rel)
{
	return put_static(app, s, a, repo, rel, NULL);
}

int ota_static_commit(struct app *app, const struct ota_settings *s, struct arena *a,
		      const struct ota_repo *repo, const char *commit)
{
	return put_static(app, s, a, repo, NULL, commit);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	if (remove(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "ota: cannot remove %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int ota_remove_tree(const char *dir)
{
	int rc = nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);

	return rc == 0 || errno == ENOENT ? 0 : -1;
}

/* Removes the repository's static answers and manifests; 0 or -1. */
static int drop_repo(struct app *app, struct arena *a, const struct ota_repo *repo)
{
	const char *tail = arena_cat(a, repo->owner, "/", repo->name, NULL);
	int rc = ota_remove_tree(arena_cat(a, app->set.var_dir, "/ota-static/ota/api/repos/", tail, NULL));

	return ota_remove_tree(arena_cat(a, app->set.var_dir, "/ota-static/ota/download/", tail, NULL)) |
	       rc;
}

int ota_static_unshare(struct app *app)
{
	struct arena a;
	int rc = 0;

	if (!db_is_pg(app->db))
		return 0;
	arena_init(&a);
	rc = ota_remove_tree(arena_cat(&a, app->set.var_dir, "/ota-static/ota", NULL));
	arena_free(&a);
	return rc;
}

/* Releases written back when a repository is made public: the newest (older
 * ones are misses ota.fcgi answers, correct and only slower). */
#define REFILL_MAX 10000

/* The releases and branch commits of a repository made public. */
static int fill_repo(struct app *app, const struct ota_settings *s, struct arena *a,
		     const struct ota_repo *repo, struct nb_err *e)
{
	struct ota_release *rel;
	struct ota_branch *br;
	int n, nb, i, rc = 0;

	if (ota_release_list(app, a, repo->id, 0, REFILL_MAX, &rel, &n, e) < 0 ||
	    ota_branch_list(app, a, repo->id, &br, &nb, e) < 0)
		return -1;
	for (i = 0; i < n; i++)
		rc |= ota_static_release(app, s, a, repo, &rel[i]);
	for (i = 0; i < nb; i++)
		rc |= ota_static_commit(app, s, a, repo, br[i].commit);
	return rc ? -1 : 0;
}

/* The repository of id (the list is short: one row per repository). */
static const struct ota_repo *repo_of(struct app *app, struct arena *a, long long id,
				      struct nb_err *e)
{
	struct ota_repo *v;
	int n, i;

	if (ota_repo_list(app, a, &v, &n, e) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	nb_fail(e, NB_NOT_FOUND, "repository not found");
	return NULL;
}

int ota_repo_set_private(struct app *app, const struct ota_settings *s, long long id,
			 int private, struct nb_err *e)
{
	const struct ota_repo *repo;
	struct arena a;
	int rc = -1;

	if (ota_repo_store_private(app, id, private, e) < 0)
		return -1;
	arena_init(&a);
	if ((repo = repo_of(app, &a, id, e)))
		rc = private ? drop_repo(app, &a, repo) : fill_repo(app, s, &a, repo, e);
	arena_free(&a);
	if (rc < 0 && private)
		return nb_fail(e, NB_UNAVAILABLE, "the repository is private, but its static "
			       "answers could not be removed");
	return 0;	/* a public repository's misses go to ota.fcgi */
}
