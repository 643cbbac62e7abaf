/*
 * GET /ota/api/repos/:owner/:repo/releases/latest, .../releases/tags/:tag,
 * .../releases/:id and .../releases: GitHub's release objects (the stable
 * channel); .../tags: the releases' tags as GitHub lists a repository's
 * tags (every tag here is a release's).  A release lists its manifest.json as its one asset
 * (ota_asset.c); a tree-mode release has none.  releases/latest is the
 * newest release, or the previous one for a board its staged rollout
 * leaves out (ota_board.c).
 */
#include "ota_http.h"

#include <string.h>

cJSON *ota_release_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
			const struct ota_release *rel)
{
	cJSON *o = cJSON_CreateObject(), *assets;
	const char *api = ota_api_url(app, r, repo), *when = ota_iso_time(r->a, rel->published);

	cJSON_AddStringToObject(o, "url", arena_printf(r->a, "%s/releases/%lld", api, rel->id));
	cJSON_AddStringToObject(o, "assets_url",
				arena_printf(r->a, "%s/releases/%lld/assets", api, rel->id));
	cJSON_AddNumberToObject(o, "id", (double)rel->id);
	cJSON_AddStringToObject(o, "tag_name", rel->tag);
	cJSON_AddStringToObject(o, "target_commitish", rel->commit);
	cJSON_AddStringToObject(o, "name", rel->version);
	cJSON_AddFalseToObject(o, "draft");
	cJSON_AddFalseToObject(o, "prerelease");
	cJSON_AddStringToObject(o, "created_at", when);
	cJSON_AddStringToObject(o, "published_at", when);
	assets = cJSON_AddArrayToObject(o, "assets");
	if (rel->manifest[0])
		cJSON_AddItemToArray(assets, ota_asset_json(app, r, repo, rel));
	cJSON_AddStringToObject(o, "body", "");
	return o;
}

int ota_release_find(struct app *app, struct http_req *r, const struct ota_repo *repo,
		     struct ota_release *rel, struct nb_err *e)
{
	if (req_has(r, "tag"))
		return ota_release_by_tag(app, repo->id, req_str(r, "tag"), rel, e);
	if (req_has(r, "id"))
		return ota_release_by_id(app, repo->id, req_int(r, "id", 0), rel, e);
	return ota_release_latest(app, repo->id, rel, e);
}

int ota_release(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct ota_repo repo;
	struct ota_release rel;

	struct ota_who who;
	int rc;

	if (ota_repo_for(app, r, &repo, e) < 0)
		return -1;
	if (!req_has(r, "tag") && !req_has(r, "id")) {
		/* the stable channel's check: seen, and the release its rollout gives */
		ota_who_of(app, r, &repo, &who);
		ota_board_seen(app, &repo, &who);
		rc = ota_latest_answer(app, r, w, &repo, &who, e);
	} else if ((rc = ota_release_find(app, r, &repo, &rel, e)) == 0)
		rc = ota_answer_json(r, w, ota_release_json(app, r, &repo, &rel), e);
	return rc;
}

/* One entry of GET /repos/{o}/{r}/tags as GitHub lists it: a release's tag
 * and its commit (the archive links name GitHub's shapes; nestbox serves
 * no archives). */
static cJSON *tag_entry(struct app *app, struct http_req *r, const struct ota_repo *repo,
			const struct ota_release *rel)
{
	cJSON *o = cJSON_CreateObject(), *c;
	const char *api = ota_api_url(app, r, repo);

	cJSON_AddStringToObject(o, "name", rel->tag);
	c = cJSON_AddObjectToObject(o, "commit");
	cJSON_AddStringToObject(c, "sha", rel->commit);
	cJSON_AddStringToObject(c, "url", arena_cat(r->a, api, "/commits/", rel->commit, NULL));
	cJSON_AddStringToObject(o, "zipball_url", arena_cat(r->a, api, "/zipball/", rel->tag, NULL));
	cJSON_AddStringToObject(o, "tarball_url", arena_cat(r->a, api, "/tarball/", rel->tag, NULL));
	cJSON_AddStringToObject(o, "node_id", "");
	return o;
}

int ota_releases(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct ota_repo repo;
	struct ota_release *v;
	long long skip;
	cJSON *arr;
	int n, i, max, tags = !strcmp(r->route->pattern + strlen(r->route->pattern) - 5, "/tags");

	/* GitHub's pages: ?page (from 1) of ?per_page (30, at most 100), newest first */
	ota_page(r, &skip, &max);
	if (ota_repo_for(app, r, &repo, e) < 0 ||
	    ota_release_list(app, r->a, repo.id, skip, max, &v, &n, e) < 0)
		return -1;
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, tags ? tag_entry(app, r, &repo, &v[i])
					       : ota_release_json(app, r, &repo, &v[i]));
	return ota_answer_json(r, w, arr, e);
}
