/*
 * GET /ota/api/repos/:owner/:repo/git/trees/:sha[?recursive=1]: a commit's
 * or tree's (or, as GitHub takes, a tag's or branch's) entries as GitHub lists them (git's pre-order, directories
 * before their contents); the tree-mode client reads every file from it.
 * The blobs' sizes of a published commit come from the store.
 */
#include "ota_http.h"

#include <stdlib.h>
#include <string.h>

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

static int by_path(const void *k, const void *row)
{
	return strcmp(k, ((const struct ota_filerow *)row)->path);
}

/*
 * Blob sizes from the published commit's rows (one query) rather than one
 * git object header per blob; 0, or -1 when a blob is not among them (a
 * tree id, a commit not published here): then git is asked.
 */
static int sizes_from_store(struct app *app, struct http_req *r, const struct ota_repo *repo,
			    const char *sha, struct ota_treeent *t, int n)
{
	struct ota_filerow *f, *hit;
	struct nb_err e;
	int nf, i;

	if (ota_file_list(app, r->a, repo->id, sha, &f, &nf, &e) < 0 || nf == 0)
		return -1;
	/* the rows are in path order (SQLite's BINARY collation is strcmp's) */
	for (i = 0; i < n; i++) {
		if (t[i].type != 'b')
			continue;
		hit = bsearch(t[i].path, f, (size_t)nf, sizeof(*f), by_path);
		if (!hit || strcmp(hit->b.sha1, t[i].sha1))
			return -1;
		t[i].size = hit->b.size;
	}
	return 0;
}

cJSON *ota_tree_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
		    struct ota_git *g, const char *sha, int recursive)
{
	struct ota_treeent *t;
	char tree[OTA_SHA1_HEX];
	const char *api;
	cJSON *o, *arr;
	int n, i, rc, flags = recursive ? OTA_TREE_RECURSIVE : 0;

	rc = ota_git_tree(g, r->a, sha, flags | OTA_TREE_NO_SIZE, tree, &t, &n);
	if (rc == 0 && sizes_from_store(app, r, repo, sha, t, n) < 0)
		rc = ota_git_tree(g, r->a, sha, flags, tree, &t, &n);
	if (rc < 0)
		return NULL;
	api = ota_api_url(app, r, repo);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "sha", tree);
	cJSON_AddStringToObject(o, "url", arena_cat(r->a, api, "/git/trees/", tree, NULL));
	arr = cJSON_AddArrayToObject(o, "tree");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, tree_entry(r, api, &t[i]));
	cJSON_AddFalseToObject(o, "truncated");
	return o;
}

int ota_tree(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const struct ota *ota = app->domain;
	struct ota_repo repo;
	struct ota_git *g;
	const char *sha = req_str(r, "sha");
	char commit[OTA_SHA1_HEX];
	int manifest, rc;
	cJSON *o;

	/* GitHub takes a ref (a tag or a branch) or an abbreviated id too */
	if (ota_repo_for(app, r, &repo, e) < 0)
		return -1;
	if (!ota_sha_ok(sha) && (rc = ota_ref_commit(app, &repo, sha, commit, &manifest, e)) < 0) {
		if (rc != -2)
			return -1;
		/* an abbreviation of more than one object: GitHub's API answers 422 */
		ota_error_write(w, 422, NB_INVALID, e->msg);
		return 0;
	}
	if (!(g = ota_git_open(&ota->set, repo.owner, repo.name, 0, e)))
		return -1;
	if (!ota_sha_ok(sha))
		sha = commit;
	/* GitHub: any value of recursive (even "0" or none) asks for the whole tree */
	o = ota_tree_json(app, r, &repo, g, sha, req_has(r, "recursive"));
	ota_git_close(g);
	if (!o)
		return nb_fail(e, NB_NOT_FOUND, "tree not found");
	return ota_answer_json(r, w, o, e);
}
