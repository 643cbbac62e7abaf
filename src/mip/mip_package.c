/* GET /mip/package/{6|py|N}/{name}/{version|latest}.json: hosted, else
 * proxied from mip.upstream and cached with revalidation. */
#include "mip.h"
#include "../lib/fetch.h"

#include <string.h>
#include <time.h>

/* Revalidates or fetches an upstream package JSON; 0 and *json, or -1
 * with e NB_NOT_FOUND or NB_UNAVAILABLE (unreachable, nothing cached). */
static int upstream_package(struct app *app, struct http_req *r, const char *flavour,
			    const char *name, const char *version, const char **json,
			    struct nb_err *e)
{
	struct mip *m = app->domain;
	struct mip_pkgrow row;
	struct fetch_result f;
	struct mip_pkgjson pj;
	struct nb_err why;
	int have = mip_pkg_get(app, "upstream", name, flavour, version, r->a, &row) == 0;
	char *url;

	if (have && (row.expires > (long long)time(NULL) || m->set.offline)) {
		*json = row.json;
		return 0;
	}
	if (m->set.offline)
		return nb_fail(e, NB_NOT_FOUND, "package not found");
	url = arena_printf(r->a, "%s/package/%s/%s/%s.json", m->set.upstream, flavour, name, version);
	if (fetch_get(url, have ? row.etag : NULL, have ? row.last_modified : NULL, MIP_JSON_MAX,
		      m->set.timeout, &f) < 0 || f.status >= 500) {
		mip_upstream_note(app, "upstream", arena_printf(r->a, "%s: %s", url,
				  f.status ? "server error" : f.error));
		fetch_result_free(&f);
		if (have) {
			*json = row.json;	/* stale beats nothing */
			return 0;
		}
		return nb_fail(e, NB_UNAVAILABLE, "upstream unreachable and nothing cached");
	}
	mip_upstream_note(app, "upstream", NULL);
	if (f.status == 304 && have) {
		mip_pkg_extend(app, "upstream", name, flavour, version, m->set.ttl);
		*json = row.json;
		return 0;
	}
	if (f.status != 200) {
		fetch_result_free(&f);
		return nb_fail(e, NB_NOT_FOUND, "package not found");
	}
	if (mip_pkgjson_parse(r->a, f.body, f.len, &pj, &why) < 0) {
		mip_upstream_note(app, "upstream", arena_printf(r->a, "%s: %s", url, why.msg));
		fetch_result_free(&f);
		return nb_fail(e, NB_UNAVAILABLE, "upstream unreachable and nothing cached");
	}
	mip_pkg_put(app, "upstream", name, flavour, version, f.body, f.etag, f.last_modified,
		    m->set.ttl);
	*json = arena_strdup(r->a, f.body);
	fetch_result_free(&f);
	return 0;
}

int mip_package(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *flavour = req_str(r, "flavour"), *name = req_str(r, "name");
	const char *file = req_str(r, "file"), *json;
	/* mip_pkgfile_valid: "<version>.json" */
	char *version = arena_strndup(r->a, file, strlen(file) - 5);
	struct mip_pkgrow row;

	if (mip_pkg_get(app, "hosted", name, flavour, version, r->a, &row) == 0) {
		http_bytes(w, 200, "application/json", row.json, strlen(row.json));
		return 0;
	}
	/* a hosted name is ours in every version and flavour: a public package
	 * of the same name must never stand in for a missing one */
	if (mip_hosted_has(app, name))
		return nb_fail(e, NB_NOT_FOUND, "%s is hosted here and has no version %s for flavour %s",
			       name, version, flavour);
	if (upstream_package(app, r, flavour, name, version, &json, e) < 0)
		return mip_fail_gateway(e);
	http_bytes(w, 200, "application/json", json, strlen(json));
	return 0;
}
