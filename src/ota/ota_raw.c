/*
 * GET /ota/raw/:owner/:repo/:ref/<path...>: a file of a published commit, as
 * raw.githubusercontent.com serves it (ref: a release's tag, a branch or a
 * commit id published here).  Every .deltas/ request is a 404: the client
 * then falls back to the whole file (protocols/ota-github.md).  Each file
 * served counts towards the board's fetch in the inventory (ota_board.c).
 */
#include "ota_http.h"

#include <stdio.h>
#include <string.h>

/* An abbreviated commit id (ota_git_resolve), as GitHub takes one; -2 with
 * NB_NOT_FOUND when it names more than one object. */
static int resolve_short(struct app *app, const struct ota_repo *repo, const char *ref,
			 char *commit, struct nb_err *e)
{
	const struct ota *o = app->domain;
	struct ota_git *g;
	int rc;

	if (strlen(ref) < OTA_SHA_SHORT_MIN || strspn(ref, "0123456789abcdefABCDEF") != strlen(ref))
		return nb_fail(e, NB_NOT_FOUND, "ref not found");
	if (!(g = ota_git_open(&o->set, repo->owner, repo->name, 0, e)))
		return -1;
	rc = ota_git_resolve(g, ref, commit);
	ota_git_close(g);
	if (rc == -2) {
		nb_fail(e, NB_NOT_FOUND, "No commit found for SHA: %s", ref);
		return -2;
	}
	return rc < 0 ? nb_fail(e, NB_NOT_FOUND, "ref not found") : 0;
}

int ota_ref_commit(struct app *app, const struct ota_repo *repo, const char *ref,
		       char *commit, int *manifest, struct nb_err *e)
{
	struct ota_release rel;
	struct ota_branch b;

	*manifest = 0;
	if (ota_release_by_tag(app, repo->id, ref, &rel, e) == 0) {
		snprintf(commit, OTA_SHA1_HEX, "%s", rel.commit);
		*manifest = rel.manifest[0] != '\0';
		return 0;
	}
	if (e && e->kind != NB_NOT_FOUND)
		return -1;
	if (ota_branch_get(app, repo->id, ref, &b, e) == 0) {
		snprintf(commit, OTA_SHA1_HEX, "%s", b.commit);
		return 0;
	}
	if (e && e->kind != NB_NOT_FOUND)
		return -1;
	if (ota_sha_ok(ref)) {
		snprintf(commit, OTA_SHA1_HEX, "%s", ref);
		return 0;
	}
	return resolve_short(app, repo, ref, commit, e);
}

int ota_raw(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *path = req_str(r, "path");
	struct ota_blobrow b;
	struct ota_repo repo;
	struct ota_who who;
	char commit[OTA_SHA1_HEX];
	int manifest;

	/* a path the client would refuse is no file of any commit */
	if (!path || !ota_path_ok(path))
		nb_fail(e, NB_NOT_FOUND, "file not found");
	else if (ota_repo_for(app, r, &repo, e) == 0 &&
		 ota_ref_commit(app, &repo, req_str(r, "ref"), commit, &manifest, e) == 0 &&
		 ota_file_get(app, repo.id, commit, path, &b, e) == 0 &&
		 ota_answer_blob(app, r, w, b.sha256, "application/octet-stream", e) == 0) {
		/* a 304 is a file the board has: counted as fetched too */
		ota_who_of(app, r, &repo, &who);
		ota_board_fetched(app, &repo, &who, req_str(r, "ref"), commit, manifest, path);
		return 0;
	}
	return -1;
}
