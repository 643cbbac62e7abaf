/*
 * GET /ota/api/repos/:owner/:repo/git/trees/:sha[?recursive=1]: a commit's
 * or tree's entries as GitHub lists them (git's pre-order, directories
 * before their contents); the tree-mode client reads every file from it.
 */
#include "ota_http.h"

static cJSON *tree_entry(struct http_req *r, const char *api, const struct ota_treeent *t)
{
	cJSON *o = cJSON_CreateObject();
	const char *type = t->type == 'b' ? "blob" : t->type == 't' ? "tree" : "commit";

	cJSON_AddStringToObject(o, "path", t->path);
	cJSON_AddStringToObject(o, "mode", arena_printf(r->a, "%06o", t->mode));
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "sha", t->sha1);
	if (t->type == 'b')
		cJSON_AddNumberToObject(o, "size", (double)t->size);
	if (t->type != 'c')
		cJSON_AddStringToObject(o, "url", arena_cat(r->a, api, "/git/", type, "s/",
							    t->sha1, NULL));
	return o;
}

int ota_tree(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const struct ota *ota = app->domain;
	struct ota_treeent *t;
	struct ota_repo repo;
	struct ota_git *g;
	char tree[OTA_SHA1_HEX];
	const char *api;
	cJSON *o, *arr;
	int n, i, rc;

	if (ota_repo_for(app, r, &repo, e) < 0 ||
	    !(g = ota_git_open(&ota->set, repo.owner, repo.name, 0, e)))
		return ota_answer_fail(w, e);
	/* GitHub: any value of recursive (even "0" or none) asks for the whole tree */
	rc = ota_git_tree(g, r->a, req_str(r, "sha"), req_has(r, "recursive"), tree, &t, &n);
	ota_git_close(g);
	if (rc < 0) {
		nb_fail(e, NB_NOT_FOUND, "tree not found");
		return ota_answer_fail(w, e);
	}
	api = ota_api_url(app, r, &repo);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "sha", tree);
	cJSON_AddStringToObject(o, "url", arena_cat(r->a, api, "/git/trees/", tree, NULL));
	arr = cJSON_AddArrayToObject(o, "tree");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, tree_entry(r, api, &t[i]));
	cJSON_AddFalseToObject(o, "truncated");
	return ota_answer_json(r, w, o, e);
}
