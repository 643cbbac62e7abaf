/*
 * GET /ota/api/repos/:owner/:repo/git/ref[s]/tags/:tag and
 * .../git/ref[s]/heads/:branch: GitHub's ref objects.  An annotated tag
 * points at its tag object (ota_tags.c), as in git; a branch at its tip.
 * A branch tip is the developer channel's check: the board is seen.
 */
#include "ota_http.h"

#include <string.h>

static cJSON *ref_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
		       const char *ref, const char *sha, const char *type)
{
	cJSON *o = cJSON_CreateObject(), *obj;
	const char *api = ota_api_url(app, r, repo);

	cJSON_AddStringToObject(o, "ref", ref);
	cJSON_AddStringToObject(o, "node_id", "");
	cJSON_AddStringToObject(o, "url", arena_cat(r->a, api, "/git/", ref, NULL));
	obj = cJSON_AddObjectToObject(o, "object");
	cJSON_AddStringToObject(obj, "sha", sha);
	cJSON_AddStringToObject(obj, "type", type);
	cJSON_AddStringToObject(obj, "url", arena_cat(r->a, api, !strcmp(type, "tag") ?
						      "/git/tags/" : "/git/commits/", sha, NULL));
	return o;
}

cJSON *ota_ref_tag_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
			const struct ota_release *rel)
{
	return ref_json(app, r, repo, arena_cat(r->a, "refs/tags/", rel->tag, NULL),
			rel->tag_sha[0] ? rel->tag_sha : rel->commit,
			rel->tag_sha[0] ? "tag" : "commit");
}

int ota_ref_tag(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *tag = req_str(r, "tag");
	struct ota_repo repo;
	struct ota_release rel;

	if (ota_repo_for(app, r, &repo, e) < 0 ||
	    ota_release_by_tag(app, repo.id, tag, &rel, e) < 0)
		return -1;
	return ota_answer_json(r, w, ota_ref_tag_json(app, r, &repo, &rel), e);
}

int ota_ref_head(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *name = req_str(r, "branch");
	struct ota_repo repo;
	struct ota_branch b;

	struct ota_who who;

	if (ota_repo_for(app, r, &repo, e) < 0 || ota_branch_get(app, repo.id, name, &b, e) < 0)
		return -1;
	/* the developer channel's check: the inventory's last_seen */
	ota_who_of(app, r, &repo, &who);
	ota_board_seen(app, &repo, &who);
	return ota_answer_json(r, w, ref_json(app, r, &repo, arena_cat(r->a, "refs/heads/", name,
									   NULL), b.commit, "commit"), e);
}
