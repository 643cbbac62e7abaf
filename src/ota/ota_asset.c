/*
 * A release's one asset, manifest.json: GET
 * /ota/api/repos/:owner/:repo/releases/assets/:id (its JSON, or its bytes
 * with Accept: application/octet-stream: GitHub redirects to storage
 * there, we answer directly) and its browser_download_url
 * GET /ota/download/:owner/:repo/:tag/manifest.json (the bytes).
 */
#include "ota_http.h"

#include <string.h>

cJSON *ota_asset_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
		      const struct ota_release *rel)
{
	cJSON *a = cJSON_CreateObject();
	const char *when = ota_iso_time(r->a, rel->published);

	cJSON_AddStringToObject(a, "url", arena_printf(r->a, "%s/releases/assets/%lld",
							ota_api_url(app, r, repo), rel->id));
	cJSON_AddNumberToObject(a, "id", (double)rel->id);
	cJSON_AddStringToObject(a, "name", "manifest.json");
	cJSON_AddStringToObject(a, "label", "");
	cJSON_AddStringToObject(a, "content_type", "application/json");
	cJSON_AddStringToObject(a, "state", "uploaded");
	cJSON_AddNumberToObject(a, "size", (double)rel->manifest_size);
	cJSON_AddNumberToObject(a, "download_count", 0);
	cJSON_AddStringToObject(a, "created_at", when);
	cJSON_AddStringToObject(a, "updated_at", when);
	cJSON_AddStringToObject(a, "browser_download_url",
				arena_cat(r->a, http_base_url(r, app->set.base_url), "/ota/download/",
					  repo->owner, "/", repo->name, "/", rel->tag,
					  "/manifest.json", NULL));
	return a;
}

int ota_asset(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *acc = http_header(r, "Accept");
	struct ota_repo repo;
	struct ota_release rel;
	int rc;

	if (ota_repo_for(app, r, &repo, e) < 0 || ota_release_find(app, r, &repo, &rel, e) < 0)
		return -1;
	if (!rel.manifest[0])
		return nb_fail(e, NB_NOT_FOUND, "a tree-mode release has no manifest");
	/* the download URL, or the API URL asked for the bytes */
	if (req_has(r, "file") || (acc && strstr(acc, "application/octet-stream")))
		rc = ota_answer_blob(app, r, w, rel.manifest, "application/octet-stream", e);
	else
		rc = ota_answer_json(r, w, ota_asset_json(app, r, &repo, &rel), e);
	return rc;
}
