/*
 * mip-index.fcgi - the MicroPython package index under /mip.
 * One file of src/mip per resource (mip.h lists them).
 */
#include "../core/core.h"
#include "../mip/mip.h"
#include "programs.h"

static const struct req_field package_in[] = {
	REQ_PATH_FIELD("flavour", mip_flavour_valid),
	REQ_PATH_FIELD("name", mip_name_valid),
	REQ_PATH_FIELD("file", mip_pkgfile_valid),
	REQ_END
};
static const struct req_field file_in[] = {
	REQ_PATH_FIELD("hh", mip_hh_valid),
	REQ_PATH_FIELD("hash", mip_hash_valid),
	REQ_END
};
/* what follows github/ or gitlab/: a repository spec, parsed by the
 * validator (the handler reads the struct), or a file by its hash */
static const struct req_field repo_in[] = {
	REQ_PATH_FIELD("repo", mip_repo_valid),
	REQ_END
};

const struct route mip_routes[] = {
	ROUTE_IN("GET", "/mip/index.json", mip_index, "/mip/index.json", NULL, 0),
	ROUTE_IN("GET", "/mip/package/:flavour/:name/:file", mip_package, "/mip/package",
		 package_in, 0),
	ROUTE_IN("GET", "/mip/file/:hh/:hash", mip_file, "/mip/file", file_in, 0),
	ROUTE_IN("GET", "/mip/github/*repo", mip_repo_github, "/mip/github", repo_in, 0),
	ROUTE_IN("GET", "/mip/gitlab/*repo", mip_repo_gitlab, "/mip/gitlab", repo_in, 0),
};
const int mip_nroutes = sizeof(mip_routes) / sizeof(mip_routes[0]);

const struct app_def mip_def = {
	"mip", mip_routes, sizeof(mip_routes) / sizeof(mip_routes[0]), APP_ERR_TEXT,
	mip_init, mip_fini, NULL, 0, NULL, NULL
};

#ifndef NB_NO_MAIN
int main(int argc, char **argv)
{
	return app_main(&mip_def, &core_spec, argc, argv);
}
#endif
