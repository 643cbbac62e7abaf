/*
 * The OTA pages: GET /admin/ota (repositories, the publish form),
 * /admin/ota/:owner/:repo (releases, branches, read tokens, boards, the
 * rollout) and /admin/ota/:owner/:repo/releases/:tag (files, sizes, the
 * manifest, the boards on it), and the refusal of any other request
 * under /admin/api/ota.  Read-only: the forms post to admin_ota_publish.c,
 * admin_ota_tokens.c and admin_ota_rollout.c.
 */
#include "admin_ota.h"

#include <stdio.h>
#include <string.h>

#define RELEASES_SHOWN 30
#define BOARDS_SHOWN 1000
#define MANIFEST_SHOWN (1 << 20)	/* bytes of manifest.json shown */

int admin_ota_repo_of(struct app *app, struct http_req *r, struct ota_repo *repo,
		      struct nb_err *e)
{
	/* the pages' routes checked them already; the API's leave it here (JSON) */
	if (!ota_owner_ok(req_str(r, "owner")))
		return nb_fail(e, NB_INVALID, "invalid owner");
	if (!ota_repo_name_ok(req_str(r, "repo")))
		return nb_fail(e, NB_INVALID, "invalid repo");
	return ota_repo_get(app, req_str(r, "owner"), req_str(r, "repo"), repo, e);
}

static cJSON *repo_json(struct app *app, struct http_req *r, const struct ota_repo *v)
{
	cJSON *o = cJSON_CreateObject();
	struct ota_release rel;
	struct nb_err e;

	cJSON_AddStringToObject(o, "owner", v->owner);
	cJSON_AddStringToObject(o, "name", v->name);
	cJSON_AddBoolToObject(o, "private", v->private);
	cJSON_AddBoolToObject(o, "signed", v->sign_key[0] != '\0');
	if (ota_release_latest(app, v->id, &rel, &e) == 0) {
		cJSON_AddStringToObject(o, "latest", rel.tag);
		cJSON_AddStringToObject(o, "published", admin_when(r->a, rel.published));
	}
	return o;
}

int admin_ota_page_run(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	cJSON *d = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(d, "repos");
	struct ota_repo *v;
	int n, i;

	if (ota_repo_list(app, r->a, &v, &n, e) < 0) {
		cJSON_Delete(d);
		return -1;
	}
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, repo_json(app, r, &v[i]));
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, 200, "admin_ota", "OTA repositories", d);
	return 0;
}

/* The tag of the release whose commit a board's ref names, or NULL. */
static const char *release_tag(const struct ota_release *rel, int n, const char *ref,
			       const char *commit)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(rel[i].tag, ref) && !strcmp(rel[i].commit, commit))
			return rel[i].tag;
	return NULL;
}

static cJSON *board_json(struct arena *a, const struct ota_boardrow *b,
			 const struct ota_release *rel, int nrel)
{
	cJSON *o = cJSON_CreateObject();
	const char *tag = release_tag(rel, nrel, b->done_ref, b->done_commit);

	cJSON_AddStringToObject(o, "name", b->name);
	cJSON_AddStringToObject(o, "address", b->address);
	cJSON_AddStringToObject(o, "agent", b->agent);
	cJSON_AddStringToObject(o, "last_seen", admin_when(a, b->last_seen));
	cJSON_AddStringToObject(o, "on", tag ? tag : "");
	cJSON_AddStringToObject(o, "commit", b->done_commit);
	if (b->fetch_commit[0])
		cJSON_AddStringToObject(o, "files",
					arena_printf(a, "%d of %d", b->fetch_n, b->fetch_total));
	if (b->fetch_commit[0] && strcmp(b->fetch_commit, b->done_commit))
		cJSON_AddStringToObject(o, "fetching", b->fetch_ref);
	return o;
}

static void add_releases(struct app *app, struct http_req *r, cJSON *d,
			 const struct ota_repo *repo, const struct ota_release *rel, int n)
{
	cJSON *arr = cJSON_AddArrayToObject(d, "releases");
	struct nb_err e;
	long long on;
	int i;

	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tag", rel[i].tag);
		cJSON_AddStringToObject(o, "version", rel[i].version);
		cJSON_AddStringToObject(o, "commit", rel[i].commit);
		cJSON_AddStringToObject(o, "mode", rel[i].manifest[0] ? "manifest" : "tree");
		cJSON_AddStringToObject(o, "published", admin_when(r->a, rel[i].published));
		if (ota_board_count_on(app, repo->id, rel[i].commit, &on, &e) == 0)
			cJSON_AddNumberToObject(o, "boards", (double)on);
		cJSON_AddItemToArray(arr, o);
	}
}

static int add_branches_tokens(struct app *app, struct http_req *r, cJSON *d,
			       const struct ota_repo *repo, struct nb_err *e)
{
	cJSON *br = cJSON_AddArrayToObject(d, "branches"), *tk = cJSON_AddArrayToObject(d, "tokens");
	struct ota_tokenrow *t;
	struct ota_branch *b;
	int n, i;

	if (ota_branch_list(app, r->a, repo->id, &b, &n, e) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", b[i].name);
		cJSON_AddStringToObject(o, "commit", b[i].commit);
		cJSON_AddStringToObject(o, "updated", admin_when(r->a, b[i].updated));
		cJSON_AddItemToArray(br, o);
	}
	if (ota_token_list(app, r->a, repo->id, &t, &n, e) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)t[i].id);
		cJSON_AddStringToObject(o, "name", t[i].name[0] ? t[i].name : "(no name)");
		cJSON_AddStringToObject(o, "created", admin_when(r->a, t[i].created));
		cJSON_AddItemToArray(tk, o);
	}
	return 0;
}

/* The rollout of the newest release, when it has a previous one. */
static void add_rollout(struct app *app, cJSON *d, const struct ota_repo *repo,
			const struct ota_release *rel, int n)
{
	struct ota_rollout ro;
	struct nb_err e;
	cJSON *o;
	int i;

	if (n == 0 || ota_rollout_get(app, repo->id, &ro, &e) < 0 || ro.release_id != rel[0].id)
		return;
	o = cJSON_AddObjectToObject(d, "rollout");
	cJSON_AddStringToObject(o, "tag", rel[0].tag);
	cJSON_AddNumberToObject(o, "percent", ro.percent);
	cJSON_AddBoolToObject(o, "paused", ro.paused);
	for (i = 1; i < n; i++)
		if (rel[i].id == ro.prev_id)
			cJSON_AddStringToObject(o, "prev", rel[i].tag);
}

int admin_ota_repo_render(struct app *app, struct http_req *r, struct http_resp *w,
			  int status, const char *new_token, const char *token_name,
			  struct nb_err *e)
{
	struct ota_release *rel;
	struct ota_boardrow *b;
	struct ota_repo repo;
	cJSON *d, *arr;
	int nrel, nb, i;

	if (admin_ota_repo_of(app, r, &repo, e) < 0 ||
	    ota_release_list(app, r->a, repo.id, 0, RELEASES_SHOWN, &rel, &nrel, e) < 0 ||
	    ota_board_list(app, r->a, repo.id, BOARDS_SHOWN, &b, &nb, e) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "repo", repo_json(app, r, &repo));
	if (add_branches_tokens(app, r, d, &repo, e) < 0) {
		cJSON_Delete(d);
		return -1;
	}
	add_releases(app, r, d, &repo, rel, nrel);
	add_rollout(app, d, &repo, rel, nrel);
	arr = cJSON_AddArrayToObject(d, "boards");
	for (i = 0; i < nb; i++)
		cJSON_AddItemToArray(arr, board_json(r->a, &b[i], rel, nrel));
	cJSON_AddStringToObject(d, "base", http_base_url(r, app->set.base_url));
	if (new_token) {
		cJSON_AddStringToObject(d, "new_token", new_token);
		cJSON_AddStringToObject(d, "token_name", token_name);
	}
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, status, "admin_ota_repo",
		   arena_printf(r->a, "%s/%s", repo.owner, repo.name), d);
	return 0;
}

int admin_ota_repo_page_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	return admin_ota_repo_render(app, r, w, 200, NULL, NULL, e);
}

/* manifest.json as stored (at most MANIFEST_SHOWN bytes), or "". */
static const char *manifest_text(struct app *app, struct arena *a, const char *sha256)
{
	char path[4096], *buf;
	size_t n;
	FILE *f;

	if (!sha256[0] || blob_path(&app->blobs, sha256, path, sizeof(path)) < 0 ||
	    !(f = fopen(path, "rb")))
		return "";
	buf = arena_alloc(a, MANIFEST_SHOWN + 1);
	n = fread(buf, 1, MANIFEST_SHOWN, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void add_files(struct http_req *r, cJSON *d, const struct ota_filerow *f, int n)
{
	cJSON *arr = cJSON_AddArrayToObject(d, "files");
	long long total = 0;
	int i;

	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "path", f[i].path);
		cJSON_AddNumberToObject(o, "size", (double)f[i].b.size);
		cJSON_AddStringToObject(o, "sha1", f[i].b.sha1);
		cJSON_AddStringToObject(o, "sha256", f[i].b.sha256);
		cJSON_AddItemToArray(arr, o);
		total += (long long)f[i].b.size;
	}
	cJSON_AddNumberToObject(d, "nfiles", n);
	cJSON_AddStringToObject(d, "bytes", arena_printf(r->a, "%lld", total));
}

int admin_ota_release_page_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	struct ota_release rel;
	struct ota_filerow *f;
	struct ota_boardrow *b;
	struct ota_repo repo;
	cJSON *d, *arr;
	int n, nb, i;

	if (admin_ota_repo_of(app, r, &repo, e) < 0 ||
	    ota_release_by_tag(app, repo.id, req_str(r, "tag"), &rel, e) < 0 ||
	    ota_file_list(app, r->a, repo.id, rel.commit, &f, &n, e) < 0 ||
	    ota_board_list(app, r->a, repo.id, BOARDS_SHOWN, &b, &nb, e) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "repo", repo_json(app, r, &repo));
	cJSON_AddStringToObject(d, "tag", rel.tag);
	cJSON_AddStringToObject(d, "version", rel.version);
	cJSON_AddStringToObject(d, "commit", rel.commit);
	cJSON_AddStringToObject(d, "tag_sha", rel.tag_sha);
	cJSON_AddStringToObject(d, "published", admin_when(r->a, rel.published));
	cJSON_AddStringToObject(d, "manifest", manifest_text(app, r->a, rel.manifest));
	add_files(r, d, f, n);
	arr = cJSON_AddArrayToObject(d, "boards");
	for (i = 0; i < nb; i++)
		if (!strcmp(b[i].done_commit, rel.commit))
			cJSON_AddItemToArray(arr, board_json(r->a, &b[i], &rel, 1));
	admin_page(app, r, w, 200, "admin_ota_release",
		   arena_printf(r->a, "%s/%s %s", repo.owner, repo.name, rel.tag), d);
	return 0;
}

/*
 * The last route under /admin/api/ota, any method: what no OTA API route
 * takes is a JSON 405 (with Allow) or 404, as CI reads every answer of the
 * API, where the router would answer in text.
 */
int admin_ota_api_refuse_run(struct app *app, struct http_req *r, struct http_resp *w,
			     struct nb_err *e)
{
	const char *allow = ota_route_allow(app, r);

	if (!allow)
		return nb_fail(e, NB_NOT_FOUND, "no such OTA API resource");
	nb_fail(e, NB_METHOD, "method not allowed (%s)", allow);
	admin_fail(app, r, w, e);
	http_set_header(w, "Allow", allow);	/* after: admin_fail drops the headers */
	return 0;
}
