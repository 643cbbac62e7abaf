/* GET /mip/file/{hh}/{hash prefix}: a stored file, else upstream's,
 * checked against its hash before it is stored and served. */
#include "mip.h"
#include "../lib/fetch.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

int mip_file_send(struct app *app, struct http_req *r, struct http_resp *w, const char *hex,
		  struct nb_err *e)
{
	mip_file_touch(app, hex);
	return blob_send(&app->blobs, r, w, hex, "application/octet-stream", app->set.xsendfile, 0,
			 "file not found", e);
}

/* Fetches upstream's file for a prefix, checks it, stores it; 0 and hex,
 * or -1 with e NB_NOT_FOUND, NB_BAD_GATEWAY (upstream failed or sent
 * other bytes) or NB_UNAVAILABLE (the store or the disk failed, or the
 * gate kept upstream from being asked: mip_gate_enter). */
static int upstream_file(struct app *app, struct http_req *r, const char *hash, char *hex,
			 struct nb_err *e)
{
	static const char down[] = "upstream unavailable, or its file does not match the hash";
	struct mip *m = app->domain;
	struct fetch_result f;
	struct upstream_gate g;
	char *url;
	int rc;

	if (m->set.offline)
		return nb_fail(e, NB_NOT_FOUND, "file not found");
	url = arena_printf(r->a, "%s/file/%.2s/%s", m->set.upstream, hash, hash);
	if (mip_gate_enter(app, url, &g, e) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "upstream unavailable; try again later");
	rc = fetch_get(url, NULL, NULL, (size_t)m->set.max_file, m->set.timeout, &f);
	upstream_gate_leave(&g, rc < 0 || f.status >= 500);
	if (rc < 0) {
		mip_upstream_note(app, "upstream", arena_printf(r->a, "%s: %s", url, f.error));
		return nb_fail(e, NB_BAD_GATEWAY, down);
	}
	if (f.status != 200) {
		fetch_result_free(&f);
		return f.status == 404 ? nb_fail(e, NB_NOT_FOUND, "file not found")
				       : nb_fail(e, NB_BAD_GATEWAY, down);
	}
	rc = mip_file_put(app, f.body, f.len, "upstream", hash, hex, e);
	fetch_result_free(&f);
	if (rc < 0 && e->kind != NB_INVALID)
		return -1;	/* the store's failure (NB_UNAVAILABLE) */
	if (rc < 0) {
		/* mip installs whatever it gets: refusing here is the only check */
		mip_upstream_note(app, "upstream", arena_printf(r->a,
				  "%s: content does not match its hash: refused", url));
		return nb_fail(e, NB_BAD_GATEWAY, down);
	}
	/* best effort: the file is stored, the answer made (mip_evict says
	 * a failure on stderr) */
	mip_evict(app, m->set.cache_max, hex, NULL);
	return 0;
}

int mip_file(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *hh = req_str(r, "hh"), *hash = req_str(r, "hash");
	char hex[HASH_HEX_MAX];
	int rc;

	/* the fan-out directory is the hash's first two digits */
	if (strncmp(hh, hash, 2))
		return nb_fail(e, NB_INVALID, "invalid hash");
	if ((rc = mip_file_find(app, hash, hex, e)) < 0)
		return -1;
	if (rc == MIP_AMBIGUOUS)
		return nb_fail(e, NB_CONFLICT, "hash prefix matches several files: give more digits");
	if (rc == MIP_NONE && upstream_file(app, r, hash, hex, e) < 0)
		return -1;
	return mip_file_send(app, r, w, hex, e);
}
