/*
 * ota.fcgi's route table (src/cgi/ota.fcgi.c runs it; tests/fuzz/fuzz_ota_routes.c
 * drives this same table).  Every path parameter has a validator, so a
 * handler sees only names, refs and ids of the shapes below.  The API
 * mirrors api.github.com under /ota/api, raw files mirror
 * raw.githubusercontent.com under /ota/raw.
 */
#include "ota.h"

#include <string.h>

int ota_id_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 18 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int ota_asset_name_ok(const char *s)
{
	return !strcmp(s, "manifest.json");
}

/* a raw file's ref: a tag, a branch or a commit id (40 hex is a ref too) */
#define REPO { "owner", ota_name_ok }, { "repo", ota_name_ok }

static const struct route_param_spec p_repo[] = { REPO, { NULL, NULL } };
static const struct route_param_spec p_tag[] = { REPO, { "tag", ota_ref_ok }, { NULL, NULL } };
static const struct route_param_spec p_branch[] = {
	REPO, { "branch", ota_ref_ok }, { NULL, NULL }
};
static const struct route_param_spec p_sha[] = { REPO, { "sha", ota_sha_ok }, { NULL, NULL } };
static const struct route_param_spec p_id[] = { REPO, { "id", ota_id_ok }, { NULL, NULL } };
static const struct route_param_spec p_dl[] = {
	REPO, { "tag", ota_ref_ok }, { "file", ota_asset_name_ok }, { NULL, NULL }
};
static const struct route_param_spec p_raw[] = { REPO, { "ref", ota_ref_ok }, { NULL, NULL } };

#define API "/ota/api/repos/:owner/:repo"

const struct route ota_routes[] = {
	{ "GET", API "/releases/latest", ota_latest, "/ota/api/releases/latest", p_repo, 0 },
	{ "GET", API "/releases/tags/:tag", ota_release_tag, "/ota/api/releases/tags", p_tag, 0 },
	{ "GET", API "/releases/assets/:id", ota_asset, "/ota/api/releases/assets", p_id, 0 },
	{ "GET", API "/releases/:id", ota_release_id, "/ota/api/releases/id", p_id, 0 },
	{ "GET", API "/releases", ota_releases, "/ota/api/releases", p_repo, 0 },
	{ "GET", API "/git/ref/tags/:tag", ota_ref_tag, "/ota/api/git/ref/tags", p_tag, 0 },
	{ "GET", API "/git/refs/tags/:tag", ota_ref_tag, "/ota/api/git/ref/tags", p_tag, 0 },
	{ "GET", API "/git/ref/heads/:branch", ota_ref_head, "/ota/api/git/ref/heads", p_branch, 0 },
	{ "GET", API "/git/refs/heads/:branch", ota_ref_head, "/ota/api/git/ref/heads", p_branch,
	  0 },
	{ "GET", API "/git/tags/:sha", ota_tag, "/ota/api/git/tags", p_sha, 0 },
	{ "GET", API "/git/trees/:sha", ota_tree, "/ota/api/git/trees", p_sha, 0 },
	{ "GET", "/ota/download/:owner/:repo/:tag/:file", ota_download, "/ota/download", p_dl, 0 },
	{ "GET", "/ota/raw/:owner/:repo/:ref/*path", ota_raw, "/ota/raw", p_raw, 0 },
};

const int ota_nroutes = sizeof(ota_routes) / sizeof(ota_routes[0]);
