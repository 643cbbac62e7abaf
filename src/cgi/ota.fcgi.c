/*
 * ota.fcgi - the MicroPython OTA updater's GitHub shapes under /ota: the
 * API of api.github.com under /ota/api, raw files of
 * raw.githubusercontent.com under /ota/raw, asset downloads under
 * /ota/download.  Handlers: one file per resource in src/ota/
 * (ota_releases.c, ota_asset.c, ota_refs.c, ota_tags.c, ota_trees.c,
 * ota_raw.c).  Every path parameter is declared with its validator, so a
 * handler sees only names, refs and ids of the shapes in ota.h.
 */
#include "../core/core.h"
#include "../ota/ota.h"
#include "programs.h"

#define REPO_IN REQ_PATH_FIELD("owner", ota_owner_valid), REQ_PATH_FIELD("repo", ota_repo_valid)

static const struct req_field repo_in[] = { REPO_IN, REQ_END };
/* a list's page as GitHub takes it: any text (not a number: the default) */
static const struct req_field list_in[] = {
	REPO_IN, { "page", REQ_QUERY, NULL, REQ_EMPTY, 32, NULL },
	{ "per_page", REQ_QUERY, NULL, REQ_EMPTY, 32, NULL }, REQ_END
};
static const struct req_field tag_in[] = { REPO_IN, REQ_PATH_FIELD("tag", ota_ref_valid), REQ_END };
static const struct req_field branch_in[] = {
	REPO_IN, REQ_PATH_FIELD("branch", ota_ref_valid), REQ_END
};
static const struct req_field id_in[] = { REPO_IN, REQ_PATH_FIELD("id", req_v_id), REQ_END };
/* GitHub: any value of recursive, even none ("?recursive"), asks for all;
 * the id may be a ref (a tag or a branch), as GitHub takes it */
static const struct req_field tree_in[] = {
	REPO_IN, REQ_PATH_FIELD("sha", ota_ref_valid),
	{ "recursive", REQ_QUERY, NULL, REQ_EMPTY, 0, NULL }, REQ_END
};
static const struct req_field sha_in[] = { REPO_IN, REQ_PATH_FIELD("sha", ota_sha_valid), REQ_END };
static const struct req_field download_in[] = {
	REPO_IN, REQ_PATH_FIELD("tag", ota_ref_valid), REQ_PATH_FIELD("file", ota_asset_name_valid),
	REQ_END
};
/* a raw file's ref: a tag, a branch or a commit id (40 hex is a ref too);
 * the path is looked up as it came (one the client refuses is a 404) */
static const struct req_field raw_in[] = {
	REPO_IN, REQ_PATH_FIELD("ref", ota_ref_valid),
	{ "path", REQ_PATH, NULL, REQ_EMPTY, 0, NULL }, REQ_END
};

static const struct req_field rest_in[] = {
	{ "rest", REQ_PATH, NULL, REQ_EMPTY, 0, NULL }, REQ_END
};

#define API "/ota/api/repos/:owner/:repo"

const struct route ota_routes[] = {
	ROUTE_IN("GET", API "/releases/latest", ota_release, "/ota/api/releases/latest", repo_in, 0),
	ROUTE_IN("GET", API "/releases/tags/:tag", ota_release, "/ota/api/releases/tags",
		 tag_in, 0),
	ROUTE_IN("GET", API "/releases/assets/:id", ota_asset, "/ota/api/releases/assets", id_in,
		 0),
	ROUTE_IN("GET", API "/releases/:id", ota_release, "/ota/api/releases/id", id_in, 0),
	ROUTE_IN("GET", API "/releases", ota_releases, "/ota/api/releases", list_in, 0),
	ROUTE_IN("GET", API "/tags", ota_releases, "/ota/api/tags", list_in, 0),
	ROUTE_IN("GET", API "/git/ref/tags/:tag", ota_ref_tag, "/ota/api/git/ref/tags", tag_in, 0),
	ROUTE_IN("GET", API "/git/refs/tags/:tag", ota_ref_tag, "/ota/api/git/ref/tags", tag_in, 0),
	ROUTE_IN("GET", API "/git/ref/heads/:branch", ota_ref_head, "/ota/api/git/ref/heads",
		 branch_in, 0),
	ROUTE_IN("GET", API "/git/refs/heads/:branch", ota_ref_head, "/ota/api/git/ref/heads",
		 branch_in, 0),
	ROUTE_IN("GET", API "/git/tags/:sha", ota_tag, "/ota/api/git/tags", sha_in, 0),
	ROUTE_IN("GET", API "/git/trees/:sha", ota_tree, "/ota/api/git/trees", tree_in, 0),
	ROUTE_IN("GET", "/ota/download/:owner/:repo/:tag/:file", ota_asset, "/ota/download",
		 download_in, 0),
	ROUTE_IN("GET", "/ota/raw/:owner/:repo/:ref/*path", ota_raw, "/ota/raw", raw_in, 0),
	/* last: the rest of /ota/api answers in GitHub's error shape */
	ROUTE_IN("*", "/ota/api", ota_api_refuse, "/ota/api", NULL, 0),
	ROUTE_IN("*", "/ota/api/*rest", ota_api_refuse, "/ota/api", rest_in, 0),
};
const int ota_nroutes = sizeof(ota_routes) / sizeof(ota_routes[0]);

const struct app_def ota_def = {
	"ota", ota_routes, sizeof(ota_routes) / sizeof(ota_routes[0]), APP_ERR_JSON,
	ota_init, ota_fini, NULL, 0, NULL, NULL
};

#ifndef NB_NO_MAIN
int main(int argc, char **argv)
{
	return app_main(&ota_def, &core_spec, argc, argv);
}
#endif
