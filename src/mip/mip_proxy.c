/*
 * Proxied package JSON (GET /mip/package/... for a name not hosted here):
 * fetched from mip.upstream, cached in the store with its ETag and
 * Last-Modified, revalidated after mip.cache_ttl, served stale when
 * upstream fails or its gate (mip_gate_enter) keeps it from being asked.
 *
 * While a row is fresh the front end sends it as a file (issue 15):
 * <var>/mip-static/proxy/package/<flavour>/<name>/<version>.json, whose
 * mtime is the row's expiry (unix seconds).  The front end sends the file
 * it finds (mod_rewrite, RewriteCond -f: no look at its time), so a copy
 * must exist only while fresh: none is written with less than
 * MIP_COPY_MARGIN seconds to live, and the sweep (mip_proxy_sweep, every
 * second in the keeper nestbox-mkbox-watch runs beside the front end)
 * removes each that much before its expiry.  An expired answer so always
 * reaches the program, which revalidates (or serves the stale row, and
 * writes no file).  The refresh job (the same keeper, and nestboxctl mip
 * refresh) revalidates rows before they expire, so devices keep the
 * static path.  A failure to write the file costs speed only.  On a store other hosts share (PostgreSQL) no copy is
 * written: a name another host makes hosted must never be answered from
 * upstream's copy here (mip_store_shared).
 */
#include "mip.h"
#include "../lib/fetch.h"
#include "../lib/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROXY_DIR "mip-static/proxy/package"
/* seconds: a copy is written only with more to live, and swept this long
 * before its row expires (the sweep runs every second) */
#define MIP_COPY_MARGIN 2

/* Writes the static copy of a fresh row; mtime = expires. */
static void static_put(struct app *app, struct arena *a, const char *flavour, const char *name,
		       const char *version, const char *json, long long expires)
{
	char *dir = arena_printf(a, "%s/" PROXY_DIR "/%s/%s", app->set.var_dir, flavour, name);
	char *path = arena_printf(a, "%s/%s.json", dir, version), tmp[PATH_MAX];
	struct timespec t[2] = { { (time_t)expires, 0 }, { (time_t)expires, 0 } };
	int fd;

	/* another host may make the name hosted while the copy is fresh */
	if (mip_store_shared(app) || expires <= (long long)time(NULL) + MIP_COPY_MARGIN ||
	    fs_mkdirs(dir, 0755) < 0 ||
	    (fd = fs_tmp_open(path, tmp, sizeof(tmp))) < 0)
		return;
	if (fs_write_all(fd, json, strlen(json)) < 0 || futimens(fd, t) < 0) {
		close(fd);
		unlink(tmp);
		return;
	}
	if (fs_commit(fd, tmp, path) < 0)
		unlink(tmp);
}

/* fs_each_dir2's step: removes every copy of one <name> directory, then it. */
static int drop_versions(void *ctx, int parent, const char *name, int dir)
{
	DIR *d = fdopendir(dir);
	struct dirent *v;
	int n = 0;

	(void)ctx;
	if (!d) {
		close(dir);
		return 0;
	}
	while ((v = readdir(d)))
		if (v->d_name[0] != '.' && unlinkat(dirfd(d), v->d_name, 0) == 0)
			n++;
	closedir(d);
	unlinkat(parent, name, AT_REMOVEDIR);
	return n;
}

/* Removes the static copies of one name, or of every name (NULL). */
static int static_drop(struct app *app, const char *only)
{
	char root[PATH_MAX];

	if ((size_t)snprintf(root, sizeof(root), "%.*s/" PROXY_DIR, PATH_MAX - 64, app->set.var_dir) >=
	    sizeof(root))
		return 0;
	return fs_each_dir2(root, only, drop_versions, NULL);
}

int mip_proxy_drop(struct app *app, const char *name)
{
	return static_drop(app, name);
}

/* Removes the copies in one <name> directory that expire by limit. */
static int sweep_versions(int dir, long long limit)
{
	struct dirent *v;
	struct stat st;
	DIR *d = fdopendir(dir);
	int n = 0;

	if (!d) {
		close(dir);
		return 0;
	}
	while ((v = readdir(d)))
		if (v->d_name[0] != '.' &&
		    fstatat(dirfd(d), v->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (long long)st.st_mtime <= limit && unlinkat(dirfd(d), v->d_name, 0) == 0)
			n++;
	closedir(d);
	return n;
}

/* fs_each_dir2's step: sweep_versions with the limit in ctx. */
static int sweep_step(void *ctx, int parent, const char *name, int dir)
{
	(void)parent, (void)name;
	return sweep_versions(dir, *(const long long *)ctx);
}

int mip_proxy_sweep(const char *var_dir, long long now)
{
	char root[PATH_MAX];
	long long limit = now + MIP_COPY_MARGIN;

	if ((size_t)snprintf(root, sizeof(root), "%.*s/" PROXY_DIR, PATH_MAX - 64, var_dir) >=
	    sizeof(root))
		return 0;
	return fs_each_dir2(root, NULL, sweep_step, &limit);
}

/* The row still fresh (or offline): its JSON, and its file if missing. */
static int from_row(struct app *app, struct arena *a, const struct mip_proxy_key *k,
		    const struct mip_pkgrow *row, const char **json)
{
	*json = row->json;
	static_put(app, a, k->flavour, k->name, k->version, row->json, row->expires);
	return 0;
}

/* The static copy of the row just stored, with the row's own expiry (read
 * back: the copy must never outlive its row). */
static void static_of_row(struct app *app, struct arena *a, const struct mip_proxy_key *k)
{
	struct mip_pkgrow row;

	if (mip_pkg_get(app, "upstream", k->name, k->flavour, k->version, a, &row, NULL) == 1)
		static_put(app, a, k->flavour, k->name, k->version, row.json, row.expires);
}

char *mip_proxy_url(struct arena *a, const char *upstream, const struct mip_proxy_key *k)
{
	return arena_printf(a, "%s/package/%s/%s/%s.json", upstream, k->flavour, k->name,
			    k->version);
}

/* Asks upstream (conditionally when a row is cached); see mip.h. */
static int revalidate(struct app *app, struct arena *a, const struct mip_proxy_key *k, int have,
		      const struct mip_pkgrow *row, const char **json, struct nb_err *e)
{
	struct mip *m = app->domain;
	struct fetch_result f;
	struct mip_pkgjson pj;
	struct nb_err why;
	char *url = mip_proxy_url(a, m->set.upstream, k);
	struct upstream_gate g;
	int failed;

	if (mip_gate_enter(app, url, &g, &why) < 0) {
		if (have) {
			*json = row->json;	/* stale beats nothing (no file: it expired) */
			return MIP_PROXY_STALE;
		}
		return nb_fail(e, NB_UNAVAILABLE, "upstream unavailable; try again later");
	}
	failed = fetch_get(url, have ? row->etag : NULL, have ? row->last_modified : NULL,
			   MIP_JSON_MAX, m->set.timeout, &f) < 0 || f.status >= 500;
	upstream_gate_leave(&g, failed);
	if (failed) {
		/* the details for the operator only (the log, /admin) */
		mip_upstream_note(app, "upstream", arena_printf(a, "%s: %s", url,
				  f.status ? "server error" : f.error));
		fetch_result_free(&f);
		if (have) {
			*json = row->json;	/* stale beats nothing (no file: it expired) */
			return MIP_PROXY_STALE;
		}
		return nb_fail(e, NB_BAD_GATEWAY, "upstream unavailable and nothing cached");
	}
	mip_upstream_note(app, "upstream", NULL);
	if (f.status == 304 && have) {
		mip_pkg_extend(app, "upstream", k->name, k->flavour, k->version, m->set.ttl);
		static_of_row(app, a, k);
		*json = row->json;
		return 0;
	}
	if (f.status != 200) {
		fetch_result_free(&f);
		return nb_fail(e, NB_NOT_FOUND, "package not found");
	}
	if (mip_pkgjson_parse(a, f.body, f.len, &pj, &why) < 0) {
		mip_upstream_note(app, "upstream", arena_printf(a, "%s: %s", url, why.msg));
		fetch_result_free(&f);
		return nb_fail(e, NB_BAD_GATEWAY, "upstream unavailable and nothing cached");
	}
	/* a row that could not be written is fetched again next time */
	mip_pkg_put(app, "upstream", k->name, k->flavour, k->version, f.body, f.etag,
		    f.last_modified, m->set.ttl, NULL);
	*json = arena_strdup(a, f.body);
	fetch_result_free(&f);
	static_of_row(app, a, k);
	return 0;
}

int mip_proxy_get(struct app *app, struct arena *a, const struct mip_proxy_key *k, int force,
		  const char **json, struct nb_err *e)
{
	struct mip *m = app->domain;
	struct mip_pkgrow row;
	int have = mip_pkg_get(app, "upstream", k->name, k->flavour, k->version, a, &row, e);

	if (have < 0)
		return -1;	/* the store failed: no answer, not "not cached" */
	if (have && m->set.offline) {
		*json = row.json;
		return 0;
	}
	if (have && !force && row.expires > (long long)time(NULL))
		return from_row(app, a, k, &row, json);
	if (m->set.offline)
		return nb_fail(e, NB_NOT_FOUND, "package not found");
	return revalidate(app, a, k, have, &row, json, e);
}

int mip_proxy_refresh(struct app *app, long ahead, struct mip_proxy_counts *c)
{
	struct mip *m = app->domain;
	long long n, now = (long long)time(NULL);
	struct mip_cached_row *rows;
	struct arena a;
	int i, got;

	memset(c, 0, sizeof(*c));
	if (m->set.offline)
		return 0;	/* never contacts upstream */
	if (mip_cached_count(app, &n, NULL) < 0)
		return -1;	/* not "nothing cached": the job says it failed */
	arena_init(&a);
	if ((got = mip_cached_list(app, &a, n > 0 ? (long)n : 1, 0, &rows, NULL)) < 0) {
		arena_free(&a);
		return -1;
	}
	for (i = 0; i < got; i++) {
		struct mip_proxy_key k = { rows[i].flavour, rows[i].name, rows[i].version };
		struct arena ra;
		struct nb_err e;
		const char *json;
		int rc;

		if (strcmp(rows[i].origin, "upstream") || rows[i].expires - now > ahead)
			continue;
		arena_init(&ra);
		rc = mip_proxy_get(app, &ra, &k, 1, &json, &e);
		if (rc == 0)
			c->refreshed++;
		else
			c->failed++;
		arena_free(&ra);
	}
	arena_free(&a);
	return got < 0 ? -1 : 0;
}
