/*
 * The GitHub shapes the OTA client reads (protocols/ota-github.md): the
 * releases and git-data API under /ota/api/repos/{o}/{r}/, the release
 * asset downloads under /ota/download/, raw files under /ota/raw/.  Field
 * names and types are GitHub's; every answer has an exact Content-Length
 * (http_send), an ETag and 304 on If-None-Match, and no redirect.  Links
 * are built from server.base_url, because the board's Host header carries
 * no port.  A private repository answers 404 without a read token, as
 * GitHub does.
 */
#include "ota.h"
#include "../lib/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

int ota_init(struct app *app, char *err, size_t errlen)
{
	(void)app;
	(void)err;
	(void)errlen;
	ota_git_global_init();
	return 0;
}

void ota_fini(struct app *app)
{
	(void)app;
}

/* GitHub's error shape: {"message": ...}; the client reads only the status. */
static void gh_error(struct http_resp *w, int status, const char *msg)
{
	struct buf b;

	buf_init(&b, w->body.a);
	buf_adds(&b, "{\"message\":");
	buf_add_jstr(&b, msg);
	buf_adds(&b, ",\"documentation_url\":\"https://docs.github.com/rest\"}");
	w->headers.len = 0;
	w->has_type = 0;
	http_bytes(w, status, "application/json; charset=utf-8", b.p, b.len);
}

/* {base}: server.base_url, else the Host name with the port the front end
 * listens on (the board's Host header has no port). */
static const char *base_url(struct app *app, struct http_req *r)
{
	const char *b = conf_str(app->conf, "server.base_url"), *host = http_header(r, "Host");
	const char *port = http_env(r, "SERVER_PORT");
	size_t n;

	if (b && *b) {
		n = strlen(b);
		return n && b[n - 1] == '/' ? arena_strndup(r->a, b, n - 1) : b;
	}
	if (!host || !*host || strpbrk(host, "/\\ \"<>"))
		host = "localhost";
	if (strchr(host, ':') || !port || !strcmp(port, "80"))
		return arena_cat(r->a, "http://", host, NULL);
	return arena_cat(r->a, "http://", host, ":", port, NULL);
}

static const char *api_url(struct app *app, struct http_req *r, const struct ota_repo *repo)
{
	return arena_cat(r->a, base_url(app, r), "/ota/api/repos/", repo->owner, "/", repo->name,
			 NULL);
}

/* The token of "Authorization: token T" (or "Bearer T"), or NULL. */
static const char *auth_token(struct http_req *r)
{
	const char *h = http_header(r, "Authorization");

	if (!h)
		return NULL;
	if (!strncasecmp(h, "token ", 6))
		return h + 6;
	if (!strncasecmp(h, "bearer ", 7))
		return h + 7;
	return NULL;
}

/* The repository of the path, readable by this request; else answers 404. */
static int repo_for(struct app *app, struct http_req *r, struct http_resp *w,
		    struct ota_repo *repo)
{
	const char *tok;
	char name[128];

	if (ota_repo_get(app, http_param(r, "owner"), http_param(r, "repo"), repo) != OTA_OK) {
		gh_error(w, 404, "Not Found");
		return -1;
	}
	if (!repo->private)
		return 0;
	tok = auth_token(r);
	if (tok && *tok && ota_token_check(app, repo->id, tok, name, sizeof(name)) == OTA_OK)
		return 0;
	gh_error(w, 404, "Not Found");	/* as GitHub: a private repository does not exist */
	return -1;
}

/* 1 when If-None-Match names etag (a list, or "*"). */
static int etag_matches(struct http_req *r, const char *etag)
{
	const char *h = http_header(r, "If-None-Match");

	return h && (strstr(h, etag) || !strcmp(h, "*"));
}

/* A JSON answer with its ETag (the sha1 of the body), or 304. */
static void answer_json(struct http_req *r, struct http_resp *w, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o), hex[HASH_HEX_MAX];
	const char *etag;

	cJSON_Delete(o);
	if (!s) {
		gh_error(w, 500, "out of memory");
		return;
	}
	hash_hex(HASH_SHA1, s, strlen(s), hex);
	etag = arena_cat(r->a, "\"", hex, "\"", NULL);
	http_set_header(w, "ETag", etag);
	if (etag_matches(r, etag))
		http_bytes(w, 304, "application/json; charset=utf-8", "", 0);
	else
		http_bytes(w, 200, "application/json; charset=utf-8", s, strlen(s));
	free(s);
}

static char *iso(struct arena *a, long long t)
{
	char out[32];
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return arena_strdup(a, out);
}

static cJSON *asset_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
			 const struct ota_release *rel)
{
	cJSON *a = cJSON_CreateObject();
	const char *when = iso(r->a, rel->published);

	cJSON_AddStringToObject(a, "url", arena_printf(r->a, "%s/releases/assets/%lld",
							api_url(app, r, repo), rel->id));
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
				arena_cat(r->a, base_url(app, r), "/ota/download/", repo->owner, "/",
					  repo->name, "/", rel->tag, "/manifest.json", NULL));
	return a;
}

static cJSON *release_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
			   const struct ota_release *rel)
{
	cJSON *o = cJSON_CreateObject(), *assets;
	const char *api = api_url(app, r, repo), *when = iso(r->a, rel->published);

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
		cJSON_AddItemToArray(assets, asset_json(app, r, repo, rel));
	cJSON_AddStringToObject(o, "body", "");
	return o;
}

static void release_answer(struct app *app, struct http_req *r, struct http_resp *w,
			   const struct ota_repo *repo, int found, const struct ota_release *rel)
{
	if (found != OTA_OK) {
		gh_error(w, 404, "Not Found");
		return;
	}
	answer_json(r, w, release_json(app, r, repo, rel));
}

void ota_latest(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ota_repo repo;
	struct ota_release rel;

	if (repo_for(app, r, w, &repo) == 0)
		release_answer(app, r, w, &repo, ota_release_latest(app, repo.id, &rel), &rel);
}

void ota_release_tag(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ota_repo repo;
	struct ota_release rel;

	if (repo_for(app, r, w, &repo) == 0)
		release_answer(app, r, w, &repo,
			       ota_release_by_tag(app, repo.id, http_param(r, "tag"), &rel), &rel);
}

void ota_release_id(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ota_repo repo;
	struct ota_release rel;

	if (repo_for(app, r, w, &repo) == 0)
		release_answer(app, r, w, &repo,
			       ota_release_by_id(app, repo.id, atoll(http_param(r, "id")), &rel),
			       &rel);
}

void ota_releases(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ota_repo repo;
	struct ota_release *v;
	cJSON *arr;
	int n, i;

	if (repo_for(app, r, w, &repo) < 0)
		return;
	/* GitHub's first page: 30 newest */
	ota_release_list(app, r->a, repo.id, 30, &v, &n);
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, release_json(app, r, &repo, &v[i]));
	answer_json(r, w, arr);
}

/* A blob-store file with its sha256 as ETag (immutable), or 304. */
static void send_blob(struct app *app, struct http_req *r, struct http_resp *w,
		      const char *sha256, const char *ctype)
{
	char path[4096];
	const char *etag = arena_cat(r->a, "\"", sha256, "\"", NULL);

	http_set_header(w, "ETag", etag);
	if (etag_matches(r, etag)) {
		http_bytes(w, 304, ctype, "", 0);
		return;
	}
	if (blob_path(&app->blobs, sha256, path, sizeof(path)) < 0 ||
	    http_file(r, w, path, ctype, conf_bool(app->conf, "server.xsendfile")) != 0)
		gh_error(w, 404, "Not Found");
}

static void manifest_answer(struct app *app, struct http_req *r, struct http_resp *w,
			    const struct ota_repo *repo, int found, const struct ota_release *rel,
			    int bytes)
{
	if (found != OTA_OK || !rel->manifest[0]) {
		gh_error(w, 404, "Not Found");
		return;
	}
	if (bytes)
		send_blob(app, r, w, rel->manifest, "application/octet-stream");
	else
		answer_json(r, w, asset_json(app, r, repo, rel));
}

/* The asset API URL: JSON, or the bytes with Accept: application/octet-stream
 * (GitHub redirects to storage there; we answer directly). */
void ota_asset(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *acc = http_header(r, "Accept");
	struct ota_repo repo;
	struct ota_release rel;

	if (repo_for(app, r, w, &repo) == 0)
		manifest_answer(app, r, w, &repo,
				ota_release_by_id(app, repo.id, atoll(http_param(r, "id")), &rel),
				&rel, acc && strstr(acc, "application/octet-stream") != NULL);
}

void ota_download(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ota_repo repo;
	struct ota_release rel;

	if (repo_for(app, r, w, &repo) == 0)
		manifest_answer(app, r, w, &repo,
				ota_release_by_tag(app, repo.id, http_param(r, "tag"), &rel), &rel, 1);
}

static void ref_answer(struct app *app, struct http_req *r, struct http_resp *w,
		       const struct ota_repo *repo, const char *ref, const char *sha,
		       const char *type)
{
	cJSON *o = cJSON_CreateObject(), *obj;
	const char *api = api_url(app, r, repo);

	cJSON_AddStringToObject(o, "ref", ref);
	cJSON_AddStringToObject(o, "node_id", "");
	cJSON_AddStringToObject(o, "url", arena_cat(r->a, api, "/git/", ref, NULL));
	obj = cJSON_AddObjectToObject(o, "object");
	cJSON_AddStringToObject(obj, "sha", sha);
	cJSON_AddStringToObject(obj, "type", type);
	cJSON_AddStringToObject(obj, "url", arena_cat(r->a, api, !strcmp(type, "tag") ?
						      "/git/tags/" : "/git/commits/", sha, NULL));
	answer_json(r, w, o);
}

void ota_ref_tag(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *tag = http_param(r, "tag");
	struct ota_repo repo;
	struct ota_release rel;

	if (repo_for(app, r, w, &repo) < 0)
		return;
	if (ota_release_by_tag(app, repo.id, tag, &rel) != OTA_OK) {
		gh_error(w, 404, "Not Found");
		return;
	}
	/* an annotated tag points at its tag object, as in git */
	ref_answer(app, r, w, &repo, arena_cat(r->a, "refs/tags/", tag, NULL),
		   rel.tag_sha[0] ? rel.tag_sha : rel.commit, rel.tag_sha[0] ? "tag" : "commit");
}

void ota_ref_head(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *name = http_param(r, "branch");
	struct ota_repo repo;
	struct ota_branch b;

	if (repo_for(app, r, w, &repo) < 0)
		return;
	if (ota_branch_get(app, repo.id, name, &b) != OTA_OK) {
		gh_error(w, 404, "Not Found");
		return;
	}
	ref_answer(app, r, w, &repo, arena_cat(r->a, "refs/heads/", name, NULL), b.commit,
		   "commit");
}

static struct ota_git *git_for(struct app *app, struct http_resp *w, const struct ota_repo *repo)
{
	const char *err = NULL;
	struct ota_git *g = ota_git_open(app, repo->owner, repo->name, 0, &err);

	if (!g)
		gh_error(w, 404, "Not Found");
	return g;
}

void ota_tag(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ota_tagobj t;
	struct ota_repo repo;
	struct ota_git *g;
	cJSON *o, *x;
	const char *api;

	if (repo_for(app, r, w, &repo) < 0 || !(g = git_for(app, w, &repo)))
		return;
	if (ota_git_tag(g, r->a, http_param(r, "sha"), &t) < 0) {
		ota_git_close(g);
		gh_error(w, 404, "Not Found");
		return;
	}
	ota_git_close(g);
	api = api_url(app, r, &repo);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "node_id", "");
	cJSON_AddStringToObject(o, "sha", t.sha);
	cJSON_AddStringToObject(o, "url", arena_cat(r->a, api, "/git/tags/", t.sha, NULL));
	cJSON_AddStringToObject(o, "tag", t.tag);
	cJSON_AddStringToObject(o, "message", t.message);
	x = cJSON_AddObjectToObject(o, "tagger");
	cJSON_AddStringToObject(x, "name", t.tagger_name);
	cJSON_AddStringToObject(x, "email", t.tagger_email);
	cJSON_AddStringToObject(x, "date", iso(r->a, t.tagger_time));
	x = cJSON_AddObjectToObject(o, "object");
	cJSON_AddStringToObject(x, "sha", t.target);
	cJSON_AddStringToObject(x, "type", t.target_type);
	cJSON_AddStringToObject(x, "url", arena_cat(r->a, api, "/git/", t.target_type, "s/",
						    t.target, NULL));
	x = cJSON_AddObjectToObject(o, "verification");
	cJSON_AddFalseToObject(x, "verified");
	cJSON_AddStringToObject(x, "reason", "unsigned");
	cJSON_AddNullToObject(x, "signature");
	cJSON_AddNullToObject(x, "payload");
	answer_json(r, w, o);
}

static cJSON *tree_entry(struct http_req *r, const char *api, const struct ota_treeent *e)
{
	cJSON *o = cJSON_CreateObject();
	const char *type = e->type == 'b' ? "blob" : e->type == 't' ? "tree" : "commit";

	cJSON_AddStringToObject(o, "path", e->path);
	cJSON_AddStringToObject(o, "mode", arena_printf(r->a, "%06o", e->mode));
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "sha", e->sha1);
	if (e->type == 'b')
		cJSON_AddNumberToObject(o, "size", (double)e->size);
	if (e->type != 'c')
		cJSON_AddStringToObject(o, "url", arena_cat(r->a, api, "/git/", type, "s/",
							    e->sha1, NULL));
	return o;
}

void ota_tree(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *rec = query_get(&r->query, "recursive"), *api;
	struct ota_treeent *e;
	struct ota_repo repo;
	struct ota_git *g;
	char tree[OTA_SHA1_HEX];
	cJSON *o, *arr;
	int n, i, rc;

	if (repo_for(app, r, w, &repo) < 0 || !(g = git_for(app, w, &repo)))
		return;
	/* GitHub: any value of recursive (even "0") asks for the whole tree */
	rc = ota_git_tree(g, r->a, http_param(r, "sha"), rec != NULL, tree, &e, &n);
	ota_git_close(g);
	if (rc < 0) {
		gh_error(w, 404, "Not Found");
		return;
	}
	api = api_url(app, r, &repo);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "sha", tree);
	cJSON_AddStringToObject(o, "url", arena_cat(r->a, api, "/git/trees/", tree, NULL));
	arr = cJSON_AddArrayToObject(o, "tree");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, tree_entry(r, api, &e[i]));
	cJSON_AddFalseToObject(o, "truncated");
	answer_json(r, w, o);
}

/* A tag (a release), a branch, or a commit id published here. */
static int resolve_ref(struct app *app, const struct ota_repo *repo, const char *ref,
		       char *commit)
{
	struct ota_release rel;
	struct ota_branch b;

	if (ota_release_by_tag(app, repo->id, ref, &rel) == OTA_OK) {
		snprintf(commit, OTA_SHA1_HEX, "%s", rel.commit);
		return 0;
	}
	if (ota_branch_get(app, repo->id, ref, &b) == OTA_OK) {
		snprintf(commit, OTA_SHA1_HEX, "%s", b.commit);
		return 0;
	}
	if (ota_sha_ok(ref)) {
		snprintf(commit, OTA_SHA1_HEX, "%s", ref);
		return 0;
	}
	return -1;
}

void ota_raw(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *path = http_param(r, "path");
	struct ota_blobrow b;
	struct ota_repo repo;
	char commit[OTA_SHA1_HEX];

	if (repo_for(app, r, w, &repo) < 0)
		return;
	if (!path || !ota_path_ok(path) || resolve_ref(app, &repo, http_param(r, "ref"), commit) < 0 ||
	    ota_file_get(app, repo.id, commit, path, &b) != OTA_OK) {
		/* also every .deltas/ request: the client falls back to the file */
		gh_error(w, 404, "Not Found");
		return;
	}
	send_blob(app, r, w, b.sha256, "application/octet-stream");
}
