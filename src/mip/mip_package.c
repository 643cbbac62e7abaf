/* GET /mip/package/{6|py|N}/{name}/{version|latest}.json: hosted, else
 * proxied from mip.upstream and cached with revalidation (mip_proxy.c). */
#include "mip.h"

#include <string.h>

int mip_package(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *flavour = req_str(r, "flavour"), *name = req_str(r, "name");
	const char *file = req_str(r, "file"), *json;
	/* mip_pkgfile_valid: "<version>.json" */
	char *version = arena_strndup(r->a, file, strlen(file) - 5);
	struct mip_proxy_key k = { flavour, name, version };
	struct mip_pkgrow row;
	int rc;

	if ((rc = mip_pkg_get(app, "hosted", name, flavour, version, r->a, &row, e)) < 0)
		return -1;
	if (rc == 1) {
		http_bytes(w, 200, "application/json", row.json, strlen(row.json));
		return 0;
	}
	/* a hosted name is ours in every version and flavour: a public package
	 * of the same name must never stand in for a missing one (nor when the
	 * store cannot say: a 503) */
	if ((rc = mip_hosted_has(app, name, e)) != 0)
		return rc < 0 ? -1 : nb_fail(e, NB_NOT_FOUND, "%s is hosted here and has no version "
					     "%s for flavour %s", name, version, flavour);
	if (mip_proxy_get(app, r->a, &k, 0, &json, e) < 0)
		return -1;
	http_bytes(w, 200, "application/json", json, strlen(json));
	return 0;
}
