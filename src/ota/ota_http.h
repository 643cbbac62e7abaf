/*
 * ota_http.h - what the resource files of ota.fcgi (ota_releases.c,
 * ota_asset.c, ota_refs.c, ota_tags.c, ota_trees.c, ota_raw.c) share:
 * the repository of the path, GitHub's answers (JSON with an ETag, 304,
 * 404 in GitHub's shape) and the absolute links.  Private to src/ota.
 */
#ifndef NB_OTA_HTTP_H
#define NB_OTA_HTTP_H

#include "ota.h"

#include <cjson/cJSON.h>

/*
 * The repository of the request's :owner/:repo, readable by it: 0, or -1
 * with e.  A private repository without one of its read tokens
 * ("Authorization: token T" or "Bearer T") is NB_NOT_FOUND, as GitHub
 * answers it (protocols/ota-github.md, "Private repositories").
 */
int ota_repo_for(struct app *app, struct http_req *r, struct ota_repo *repo, struct nb_err *e);
/* The token of "Authorization: token T" (or "Bearer T"), or NULL. */
const char *ota_auth_token(struct http_req *r);
/* o (consumed) as the JSON answer with its ETag (sha1 of the body), or 304
 * on If-None-Match; 0, or -1 with e (out of memory). */
int ota_answer_json(struct http_req *r, struct http_resp *w, cJSON *o, struct nb_err *e);
/* JSON text s (n bytes) with its ETag (quoted), or 304 on If-None-Match. */
void ota_answer_text(struct http_req *r, struct http_resp *w, const char *s, size_t n,
		     const char *etag);
/* releases/latest for who through the per-process caches (ota_latest.c):
 * 0, or -1 with e (the store's errors). */
int ota_latest_answer(struct app *app, struct http_req *r, struct http_resp *w,
		      const struct ota_repo *repo, const struct ota_who *who, struct nb_err *e);
/* A blob-store file (sha256, immutable) with its hash as ETag, or 304. */
int ota_answer_blob(struct app *app, struct http_req *r, struct http_resp *w,
		    const char *sha256, const char *ctype, struct nb_err *e);
/* {base}/ota/api/repos/{owner}/{name}: base from http_base_url (the
 * board's Host header carries no port). */
const char *ota_api_url(struct app *app, struct http_req *r, const struct ota_repo *repo);
/*
 * GitHub's pagination of a list (?page=&per_page=): per_page 30 when
 * absent or not a number, clamped to 1..100; page 1 when absent, not a
 * number or below 1.  *skip receives the rows before the page, *max its
 * size.
 */
void ota_page(struct http_req *r, long long *skip, int *max);
/* t as GitHub writes times: "2024-05-01T12:00:00Z", in the arena. */
const char *ota_iso_time(struct arena *a, long long t);
/* The commit a tag (a release), a branch or a commit id names, the id
 * whole or abbreviated (7-39 hex digits, as GitHub takes one; tags and
 * branches first, as git reads a name) (ota_raw.c): 0, or -1 with e
 * (NB_NOT_FOUND), -2 (NB_NOT_FOUND too) for an abbreviation that names
 * more than one object; *manifest is 1 for a release with a manifest (the
 * board fetches in manifest mode).  app: ota.fcgi's (app->domain). */
int ota_ref_commit(struct app *app, const struct ota_repo *repo, const char *ref,
		   char *commit, int *manifest, struct nb_err *e);
/* The release the route names: its :tag, else its :id, else the latest. */
int ota_release_find(struct app *app, struct http_req *r, const struct ota_repo *repo,
		     struct ota_release *rel, struct nb_err *e);
/* The manifest.json asset of a release (ota_asset.c), as GitHub lists it. */
cJSON *ota_asset_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
		      const struct ota_release *rel);

/*
 * The JSON of each answer that needs no token and no board, shared by the
 * handlers and the static tree (ota_static.c), so both write the same
 * bytes.  r supplies the arena and the base URL (http_base_url); the
 * objects are the caller's (cJSON_Delete, or ota_answer_json).
 */
/* A release object (releases/tags/:tag, releases/latest, the list). */
cJSON *ota_release_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
			const struct ota_release *rel);
/* git/ref/tags/:tag of a release: its tag object when annotated, else its commit. */
cJSON *ota_ref_tag_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
			const struct ota_release *rel);
/* git/trees/:sha (a commit or tree id), every entry when recursive; NULL
 * when sha names neither. */
cJSON *ota_tree_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
		     struct ota_git *g, const char *sha, int recursive);
/* git/tags/:sha; NULL when sha is no annotated tag. */
cJSON *ota_tag_json(struct app *app, struct http_req *r, const struct ota_repo *repo,
		    struct ota_git *g, const char *sha);

#endif
