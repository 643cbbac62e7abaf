/*
 * GET /ota/api/repos/:owner/:repo/git/tags/:sha: an annotated tag object
 * as GitHub shows it, read from the repository's git objects.
 */
#include "ota_http.h"

static cJSON *tag_json(struct http_req *r, const char *api, const struct ota_tagobj *t)
{
	cJSON *o = cJSON_CreateObject(), *x;

	cJSON_AddStringToObject(o, "node_id", "");
	cJSON_AddStringToObject(o, "sha", t->sha);
	cJSON_AddStringToObject(o, "url", arena_cat(r->a, api, "/git/tags/", t->sha, NULL));
	cJSON_AddStringToObject(o, "tag", t->tag);
	cJSON_AddStringToObject(o, "message", t->message);
	x = cJSON_AddObjectToObject(o, "tagger");
	cJSON_AddStringToObject(x, "name", t->tagger_name);
	cJSON_AddStringToObject(x, "email", t->tagger_email);
	cJSON_AddStringToObject(x, "date", ota_iso_time(r->a, t->tagger_time));
	x = cJSON_AddObjectToObject(o, "object");
	cJSON_AddStringToObject(x, "sha", t->target);
	cJSON_AddStringToObject(x, "type", t->target_type);
	cJSON_AddStringToObject(x, "url", arena_cat(r->a, api, "/git/", t->target_type, "s/",
						    t->target, NULL));
	x = cJSON_AddObjectToObject(o, "verification");
	cJSON_AddFalseToObject(x, "verified");
	cJSON_AddStringToObject(x, "reason", "unsigned");
	cJSON_AddNullToObject(x, "signature");
	cJSON_AddNullToObject(x, "payload");
	return o;
}

cJSON *ota_tag_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
		   struct ota_git *g, const char *sha)
{
	struct ota_tagobj t;

	if (ota_git_tag(g, r->a, sha, &t) < 0)
		return NULL;
	return tag_json(r, ota_api_url(app, r, repo), &t);
}

int ota_tag(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const struct ota *o = app->domain;
	struct ota_repo repo;
	struct ota_git *g;
	cJSON *t;

	if (ota_repo_for(app, r, &repo, e) < 0 ||
	    !(g = ota_git_open(&o->set, repo.owner, repo.name, 0, e)))
		return -1;
	t = ota_tag_json(app, r, &repo, g, req_str(r, "sha"));
	ota_git_close(g);
	if (!t)
		return nb_fail(e, NB_NOT_FOUND, "tag not found");
	return ota_answer_json(r, w, t, e);
}
