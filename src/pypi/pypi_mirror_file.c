/*
 * A file of a mirror index, /pypi/{user}/{index}/+f/{h[:3]}/{h[3:16]}/
 * {filename}: fetched from the upstream on its first request, streamed
 * into the blob store (never held in memory), checked against the
 * sha256 the upstream's page gave before it is kept or served, then
 * immutable and sent like an upload.  One fetch per file at a time (a
 * lock file, never waited for), through the upstream gate
 * (src/lib/upstream_gate.c); the mirrored bytes are kept under
 * pypi.cache_max by evicting the least recently used mirrored files,
 * never uploads.
 */
#include "pypi.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fetch.h"

static int to_blob(void *ctx, const void *p, size_t n)
{
	return blob_writer_write(ctx, p, n) < 0 ? -1 : 0;
}

/* The upstream's bytes of l into the blob store, checked against
 * l->sha256; 0, or -1 with NB_BAD_GATEWAY (what went wrong is logged,
 * not told), or NB_UNAVAILABLE when the gate turned the fetch away or
 * the blob store cannot take it (nothing stored). */
static int fetch_file(struct app *app, const struct pypi_link *l, long long *size,
		      struct nb_err *e)
{
	struct pypi *p = app->domain;
	struct fetch_opts o = { NULL, NULL, NULL, (unsigned long long)p->set.max_upload,
				p->set.connect_timeout > 0 ? p->set.connect_timeout : 5, 0,
				p->set.timeout > 0 ? p->set.timeout : 20 };
	struct blob_writer bw;
	struct upstream_gate g;
	struct nb_err why;
	char hex[HASH_HEX_MAX];
	int rc;

	if (pypi_gate_enter(&p->set, l->url, &g, e) < 0)
		return -1;
	if (blob_writer_open(&app->blobs, &bw) < 0) {
		upstream_gate_leave(&g, 0);
		return nb_fail(e, NB_UNAVAILABLE, "cannot write to the blob store");
	}
	why.kind = NB_OK;
	rc = fetch_to_sink(l->url, &o, to_blob, &bw, &why);
	upstream_gate_leave(&g, rc < 0 && why.kind == NB_BAD_GATEWAY);
	if (rc < 0) {
		blob_writer_abort(&bw);
		if (why.kind != NB_BAD_GATEWAY)
			return nb_fail(e, why.kind, "%s", why.msg);
		fprintf(stderr, "nestbox[pypi]: the upstream file %s failed: %s\n", l->url,
			why.msg);
		return nb_fail(e, NB_BAD_GATEWAY, "the upstream is unavailable for %s",
			       l->filename);
	}
	*size = (long long)bw.size;
	if (blob_writer_commit(&bw, l->sha256, hex) < 0)
		return errno == EBADMSG ?
			nb_fail(e, NB_BAD_GATEWAY, "the upstream file %s does not match the sha256"
				" its page gives; not stored", l->filename) :
			nb_fail(e, NB_UNAVAILABLE, "cannot write to the blob store");
	return 0;
}

void pypi_mirror_evict(struct app *app, struct arena *a, long long keep_index,
		       const char *keep_filename)
{
	struct pypi *p = app->domain;
	struct nb_err e;
	const char *sha;
	long long used;
	int i, rc;

	for (i = 0; p->set.cache_max > 0 && i < 10000; i++) {
		if (pypi_mfile_bytes(app, &used, &e) < 0)
			goto failed;
		if (used <= p->set.cache_max)
			return;
		if ((rc = pypi_mfile_evict_one(app, a, keep_index, keep_filename, &sha, &e)) < 0)
			goto failed;
		if (rc == 0)
			return;
		/* an upload or another mirror's row with the same bytes keeps the blob */
		if (pypi_blob_used(app, sha, NULL) == 0)	/* -1: kept, in doubt */
			blob_remove(&app->blobs, sha);
	}
	return;
failed:
	fprintf(stderr, "nestbox[%s]: mirror cache not evicted: %s\n", app->program, e.msg);
}

/* The link the URL names, when its hash path matches; *cached says
 * whether the file is in the store already.  NB_NOT_FOUND otherwise. */
static int find_link(struct app *app, struct http_req *r, const struct pypi_index *mx,
		     struct pypi_link *l, const char **project, int *cached, struct nb_err *e)
{
	const char *name = req_str(r, "filename");
	struct nb_err mine;

	*cached = 0;
	if (pypi_mlink_get(app, r->a, mx->id, name, 1, l, project, &mine) == 0)
		*cached = blob_exists(&app->blobs, l->sha256);
	else if (mine.kind != NB_NOT_FOUND)
		return nb_fail(e, mine.kind, "%s", mine.msg);
	if (!*cached && pypi_mlink_get(app, r->a, mx->id, name, 0, l, project, e) < 0)
		return -1;
	if (strncmp(l->sha256, req_str(r, "h3"), 3) || strncmp(l->sha256 + 3, req_str(r, "h13"), 13))
		return nb_fail(e, NB_NOT_FOUND, "no such file on this index");
	return 0;
}

/* Fetches l once: another request fetching it is not waited for (503,
 * Retry-After: the client asks again once it is stored). */
static int fetch_once(struct app *app, struct arena *a, const struct pypi_index *mx,
		      struct pypi_link *l, const char *project, struct nb_err *e)
{
	struct pypi *p = app->domain;
	int lk = pypi_mirror_lock(&p->set, arena_cat(a, "file ", l->sha256, NULL), 0);
	int rc = 0;

	if (lk < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the file is being fetched; try again shortly");
	db_read_end(app->db);	/* no snapshot across the network; the row's write its own */
	if (!blob_exists(&app->blobs, l->sha256)) {
		rc = fetch_file(app, l, &l->size, e);
	} else {
		struct stat st;
		char path[PATH_MAX];
		blob_path(&app->blobs, l->sha256, path, sizeof(path));
		l->size = stat(path, &st) == 0 ? (long long)st.st_size : l->size;
	}
	if (rc == 0)
		rc = pypi_mfile_put(app, mx->id, project, l, e);
	close(lk);
	if (rc == 0)
		pypi_mirror_evict(app, a, mx->id, l->filename);
	return rc;
}

int pypi_mirror_file_get(struct app *app, struct http_req *r, struct http_resp *w,
			 const struct pypi_index *mx, struct nb_err *e)
{
	struct pypi *p = app->domain;
	struct pypi_link l;
	const char *project;
	char path[PATH_MAX];
	int cached;

	if (find_link(app, r, mx, &l, &project, &cached, e) < 0)
		return -1;
	if (cached)
		pypi_mfile_touch(app, mx->id, l.filename);
	else if (p->set.offline)
		return nb_fail(e, NB_NOT_FOUND, "not cached, and this server is offline");
	else if (fetch_once(app, r->a, mx, &l, project, e) < 0)
		return -1;
	blob_path(&app->blobs, l.sha256, path, sizeof(path));
	http_set_header(w, "Cache-Control", "max-age=365000000, immutable, public");
	return http_file(r, w, path, "application/octet-stream", p->set.xsendfile,
			 "the file is missing from the blob store", e);
}
