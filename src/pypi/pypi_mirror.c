/*
 * A mirror index's pages: the upstream's project list and project pages
 * (mirror_url), fetched with libcurl asking for PEP 691 JSON first and
 * taking PEP 503 HTML, cached in the store with their validators, and
 * refreshed after mirror_cache_expiry with If-None-Match /
 * If-Modified-Since.
 *
 * When the upstream fails, the last good copy is served and said so
 * ("stale"; a page never fetched is 502 "upstream unavailable": what the
 * upstream said goes to the log and the operators' mirror page, never to
 * the client; the project list falls back to the projects known here),
 * and the upstream is not asked again for that page for a short while
 * (RETRY_MS): a dead upstream costs one timeout per page, not one per
 * request.  Every fetch passes the gate (src/lib/upstream_gate.c): a host
 * that just failed is not asked at all for a few seconds, and only
 * pypi.mirror_fetches fetches run at once; a page it turns away is its
 * copy, else 503 with Retry-After.  With pypi.offline nothing is fetched
 * and a page lists only the files already cached.
 *
 * Many requests for the same expired page: one process fetches it under
 * a per-page lock file (flock, never waited for); the others answer at
 * once, with the cached copy ("stale") or, when there is none yet (a
 * cold page), 503 with Retry-After.  The upstream sees one request per
 * page per expiry; no store transaction is open during a fetch, and no
 * FastCGI process waits on another's fetch.
 */
#include "pypi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fetch.h"
#include "../lib/fs.h"

#define ACCEPT_BOTH PYPI_JSON_TYPE ", application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
#define PAGE_MAX (64ull << 20)		/* PyPI's whole project list is ~30 MB as JSON */
#define RETRY_MS 30000			/* after a failure, the stale copy without asking */

static long connect_s(const struct pypi_settings *s)
{
	return s->connect_timeout > 0 ? s->connect_timeout : 5;
}

static long total_s(const struct pypi_settings *s)
{
	return s->timeout > 0 ? s->timeout : 20;
}

/*
 * An exclusive lock on <var_dir>/pypi-mirror/<key>.lock, waited for at
 * most wait_ms (0: not at all).  The open fd (closing it unlocks), or
 * -1 when busy or impossible.
 */
int pypi_mirror_lock(const struct pypi_settings *s, const char *key, long wait_ms)
{
	char dir[4200], path[4400], hex[HASH_HEX_MAX];
	struct timespec nap = { 0, 20 * 1000000 };
	long waited = 0;
	int fd;

	snprintf(dir, sizeof(dir), "%s/pypi-mirror", s->var_dir);
	hash_hex(HASH_SHA256, key, strlen(key), hex);
	snprintf(path, sizeof(path), "%s/%.32s.lock", dir, hex);
	if (fs_mkdirs(dir, 0750) < 0 && errno != EEXIST)
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			close(fd);
			return -1;
		}
		nanosleep(&nap, NULL);
		waited += 20;
	}
	return fd;
}

/* mirror_cache_expiry in ms: negative is 0, and no overflow (a century at most). */
static long long expiry_ms(const struct pypi_index *mx)
{
	long long s = mx->mirror_cache_expiry;

	return s <= 0 ? 0 : s > 3155760000LL ? 3155760000000LL : s * 1000;
}

/* "<mirror_url>/<project>/" (project "": the list itself). */
static char *page_url(struct arena *a, const struct pypi_index *mx, const char *project)
{
	size_t n = strlen(mx->mirror_url);
	const char *sep = n && mx->mirror_url[n - 1] == '/' ? "" : "/";

	if (!*project)
		return arena_cat(a, mx->mirror_url, sep, NULL);
	return arena_cat(a, mx->mirror_url, sep, project, "/", NULL);
}

static int is_json(const struct fetch_result *f)
{
	return !strncasecmp(f->content_type, PYPI_JSON_TYPE, strlen(PYPI_JSON_TYPE));
}

/* The names joined one a line (the project list's body). */
static char *join_names(struct arena *a, const char **v)
{
	size_t n = 1, i;
	char *s, *p;

	for (i = 0; v[i]; i++)
		n += strlen(v[i]) + 1;
	p = s = arena_alloc(a, n);
	for (i = 0; v[i]; i++)
		p += sprintf(p, "%s\n", v[i]);
	*p = '\0';
	return s;
}

/* A 200 answer parsed and stored as the page's new copy. */
static int store_page(struct app *app, struct arena *a, const struct pypi_index *mx,
		      const char *project, const char *url, struct fetch_result *f,
		      struct nb_err *e)
{
	struct pypi_mpage pg = { f->etag, f->last_modified, "", "", 0, 0 };
	struct pypi_link *v = NULL;
	int n = 0;

	if (!*project) {
		const char **names;
		if (pypi_upstream_list(a, f->body, f->len, is_json(f), &names, e) < 0)
			return -1;
		pg.body = join_names(a, names);
	} else if ((n = pypi_upstream_page(a, url, f->body, f->len, is_json(f), &v, e)) < 0) {
		return -1;
	}
	return pypi_mpage_put(app, mx->id, project, &pg, v, n, e);
}

/* 1 when a fetch's outcome says the host is unwell (the breaker opens):
 * no answer, or a 5xx; a 404 or another 4xx is about the page alone. */
static int host_failed(int rc, const struct fetch_result *f)
{
	return rc < 0 || f->status >= 500;
}

/*
 * Asks the upstream for one page (the lock held) and records the answer.
 * 0 with *state, or -1 with e (NB_UNAVAILABLE when the gate turned the
 * fetch away: nothing asked, nothing recorded; *failed set when the
 * upstream failed: a cached copy may stand in, and e's message, for the
 * log and the page's row, says how).
 */
static int ask(struct app *app, struct arena *a, const struct pypi_index *mx,
	       const char *project, const struct pypi_mpage *have, const char **state,
	       int *failed, struct nb_err *e)
{
	struct pypi *p = app->domain;
	char *url = page_url(a, mx, project);
	struct fetch_opts o = { ACCEPT_BOTH, have ? have->etag : NULL,
				have ? have->last_modified : NULL, PAGE_MAX,
				connect_s(&p->set), total_s(&p->set), 0 };
	struct fetch_result f;
	struct upstream_gate g;
	int rc = 0, got;

	*failed = 0;
	db_read_end(app->db);	/* no snapshot held across the network */
	if (pypi_gate_enter(&p->set, url, &g, e) < 0)
		return -1;
	got = fetch_get_opts(url, &o, &f);
	upstream_gate_leave(&g, host_failed(got, &f));
	if (got < 0 || (f.status != 200 && f.status != 304 && f.status != 404 &&
			f.status != 410)) {
		*failed = 1;
		rc = nb_fail(e, NB_BAD_GATEWAY, "the upstream %s failed: %s", url,
			     f.status ? arena_printf(a, "HTTP %ld", f.status) : f.error);
	} else if (f.status == 304 && have) {
		*state = "revalidated";
		rc = pypi_mpage_mark(app, mx->id, project, NULL, e);
	} else if (f.status == 200) {
		*state = "fresh";
		if ((rc = store_page(app, a, mx, project, url, &f, e)) < 0 &&
		    e && e->kind == NB_BAD_GATEWAY)
			*failed = 1;
	} else {			/* the upstream has no such project */
		*state = "fresh";
		rc = pypi_mpage_del(app, mx->id, project, e);
	}
	fetch_result_free(&f);
	return rc;
}

/* What a client is told of an upstream's failure: that it failed, not
 * how (its address, its answer: the log and the operators have them). */
static int unavailable(struct nb_err *e)
{
	return nb_fail(e, NB_BAD_GATEWAY, "the upstream is unavailable");
}

/* The same for a failure recorded lately: not asked again, 503 (with
 * Retry-After: pip waits and asks again). */
static int failed_before(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the upstream is unavailable; try again later");
}

/* 1 when a failure on the page is recent enough not to ask again. */
static int failed_lately(const struct pypi_index *mx, const struct pypi_mpage *pg,
			 long long now)
{
	long long window = expiry_ms(mx) < RETRY_MS ? expiry_ms(mx) : RETRY_MS;

	return pg->failed_ms && now - pg->failed_ms < window;
}

/*
 * Asks the upstream under the page's lock, unless the request that held
 * it meanwhile stored the page or failed on it.  *have: a good copy is
 * in pg.  0 with *state, or -1 with e.
 */
static int ask_locked(struct app *app, struct arena *a, const struct pypi_index *mx,
		      const char *project, struct pypi_mpage *pg, int have, long long now,
		      const char **state, struct nb_err *e)
{
	struct nb_err mine;
	int failed, rc;

	/* read again: another request may have stored it since */
	db_read_end(app->db);
	if (pypi_mpage_get(app, a, mx->id, project, pg, &mine) == 0) {
		if (pg->fetched_ms >= now) {
			*state = "cached";
			return 0;
		}
		if (pg->failed_ms >= now && !have)	/* failed just now: not twice */
			return failed_before(e);
	}
	rc = ask(app, a, mx, project, have ? pg : NULL, state, &failed, &mine);
	if (rc < 0 && failed) {
		pypi_mpage_mark(app, mx->id, project, mine.msg, NULL);
		fprintf(stderr, "nestbox[pypi]: %s%s\n", mine.msg,
			have ? " (serving the cached copy)" : "");
	}
	if (rc < 0 && have && (failed || mine.kind == NB_UNAVAILABLE)) {
		*state = "stale";	/* failed, or the gate kept it from asking */
		return 0;
	}
	if (rc < 0 && failed)
		return unavailable(e);
	if (rc < 0 && e)
		*e = mine;
	return rc;
}

/*
 * Brings the cached copy of one page up to date as the rules at the top
 * say.  0 with *state (the cached row, if any, is then current), or -1.
 */
static int refresh(struct app *app, struct arena *a, const struct pypi_index *mx,
		   const char *project, const char **state, struct nb_err *e)
{
	struct pypi *p = app->domain;
	struct pypi_mpage pg;
	long long now = pypi_now_ms();
	struct nb_err mine;
	int known, have, lk, rc;

	known = pypi_mpage_get(app, a, mx->id, project, &pg, &mine) == 0;
	if (!known && mine.kind != NB_NOT_FOUND)
		return nb_fail(e, mine.kind, "%s", mine.msg);
	have = known && pg.fetched_ms > 0;
	*state = have ? "stale" : NULL;
	if (p->set.offline) {
		*state = "offline";
		return 0;
	}
	if (have && now - pg.fetched_ms < expiry_ms(mx)) {
		*state = "cached";
		return 0;
	}
	if (known && failed_lately(mx, &pg, now))
		return have ? 0 : failed_before(e);
	lk = pypi_mirror_lock(&p->set, arena_printf(a, "page %lld %s", mx->id, project), 0);
	if (lk < 0)		/* another request is asking the upstream */
		return have ? 0 : nb_fail(e, NB_UNAVAILABLE,
					  "this page is being fetched from the upstream;"
					  " try again shortly");
	rc = ask_locked(app, a, mx, project, &pg, have, now, state, e);
	close(lk);
	return rc;
}

/* A link as a row of a simple page, its URL on this mirror index. */
static void link_file(struct arena *a, const struct pypi_index *mx, const char *project,
		      const struct pypi_link *l, struct pypi_file *f)
{
	struct pypi_fname fn;

	memset(f, 0, sizeof(*f));
	f->index_id = mx->id;
	f->project = project;
	f->name = project;
	f->version = pypi_fname_parse(l->filename, project, &fn, NULL) == 0 ?
		arena_strdup(a, fn.version) : "";
	f->filename = l->filename;
	f->sha256 = l->sha256;
	f->md5 = "";
	f->size = l->size;
	f->requires_python = l->requires_python;
	f->summary = f->requires_dist = f->metadata_sha256 = "";
	f->yanked = l->yanked;
	f->user = mx->user;
	f->index = mx->name;
}

int pypi_mirror_project(struct app *app, struct arena *a, const struct pypi_index *mx,
			const char *project, struct pypi_file **out, const char **state,
			struct nb_err *e)
{
	struct pypi_link *v;
	struct pypi_file *files;
	int n, i, k = 0;

	if (refresh(app, a, mx, project, state, e) < 0)
		return -1;
	n = pypi_mlinks_of(app, a, mx->id, project, !strcmp(*state, "offline"), &v, e);
	if (n < 0)
		return -1;
	files = arena_alloc(a, sizeof(*files) * (size_t)(n + 1));
	for (i = 0; i < n; i++)
		if (*v[i].sha256)	/* a file is named by its hash here */
			link_file(a, mx, project, &v[i], &files[k++]);
	*out = files;
	return k;
}

static int scmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int pypi_mirror_names(struct app *app, struct arena *a, const struct pypi_index *mx,
		      const char ***out, const char **state, struct nb_err *e)
{
	struct pypi_mpage pg;
	struct nb_err mine;
	size_t n = 0, cap = 16;
	const char **v;
	char *s, *nl;

	if (refresh(app, a, mx, "", state, &mine) < 0) {
		if (mine.kind != NB_BAD_GATEWAY && mine.kind != NB_UNAVAILABLE)
			return nb_fail(e, mine.kind, "%s", mine.msg);
		/* no list yet (the upstream failed, or is being asked, or the
		 * gate kept it from being asked): what this mirror knows of */
		*state = "stale";
		return pypi_mfile_projects(app, a, mx->id, 1, out, e);
	}
	if (!strcmp(*state, "offline"))
		return pypi_mfile_projects(app, a, mx->id, 0, out, e);
	v = arena_alloc(a, sizeof(*v) * cap);
	if (pypi_mpage_get(app, a, mx->id, "", &pg, &mine) == 0) {
		for (s = (char *)pg.body; *s; s = nl + 1) {
			if (!(nl = strchr(s, '\n')))
				break;
			*nl = '\0';
			if (n + 1 == cap) {
				const char **nv = arena_alloc(a, sizeof(*nv) * (cap *= 2));
				memcpy(nv, v, sizeof(*nv) * n);
				v = nv;
			}
			v[n++] = s;
		}
	}
	qsort(v, n, sizeof(*v), scmp);
	v[n] = NULL;
	*out = v;
	return (int)n;
}
