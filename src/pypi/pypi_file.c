/*
 * /pypi/{user}/{index}/+f/{h[:3]}/{h[3:16]}/{filename}[.metadata]: a
 * file (or its PEP 658 core metadata), content-addressed in the blob
 * store, sent by the front end (X-Sendfile) with Range and HEAD, and
 * cached for ever: the URL names the content.  A mirror index's files
 * are fetched on first request (pypi_mirror_file.c).
 */
#include "pypi.h"

#include <limits.h>
#include <string.h>

/* The file (or, for "<file>.metadata", its core metadata) the URL names. */
static int find_file(struct app *app, struct http_req *r, long long index_id,
		     struct pypi_file *f, int *metadata, struct nb_err *e)
{
	const char *name = req_str(r, "filename");
	size_t n = strlen(name);

	*metadata = 0;
	if (pypi_file_by_name(app, r->a, index_id, name, f, e) == 0)
		return 0;
	if (e && e->kind != NB_NOT_FOUND)
		return -1;
	if (n > 9 && !strcmp(name + n - 9, ".metadata") &&
	    pypi_file_by_name(app, r->a, index_id, arena_strndup(r->a, name, n - 9), f, e) == 0) {
		if (!*f->metadata_sha256)
			return nb_fail(e, NB_NOT_FOUND, "no such file on this index");
		*metadata = 1;
		return 0;
	}
	return -1;
}

/* GET /pypi/{user}/{index}/+f/{h[:3]}/{h[3:16]}/{filename}[.metadata] */
int pypi_file_get(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct pypi *p = app->domain;
	struct pypi_index *ix;
	struct pypi_file f;
	int metadata;

	if (!(ix = pypi_req_index(app, r, e)))
		return -1;
	if (!strcmp(ix->type, "mirror"))
		return pypi_mirror_file_get(app, r, w, ix, e);
	if (find_file(app, r, ix->id, &f, &metadata, e) < 0)
		return -1;
	if (strncmp(f.sha256, req_str(r, "h3"), 3) || strncmp(f.sha256 + 3, req_str(r, "h13"), 13))
		return nb_fail(e, NB_NOT_FOUND, "no such file on this index");
	/* pip follows a redirect: a presigned URL may answer */
	if (blob_send(&app->blobs, r, w, metadata ? f.metadata_sha256 : f.sha256,
		      metadata ? "text/plain; charset=utf-8" : "application/octet-stream",
		      p->set.xsendfile, 1, "the file is missing from the blob store", e) < 0)
		return -1;
	/* the URL names the content: it never changes (a redirect to an
	 * expiring presigned URL does, and says so itself) */
	if (w->status != 302)
		http_set_header(w, "Cache-Control", "max-age=365000000, immutable, public");
	return 0;
}
