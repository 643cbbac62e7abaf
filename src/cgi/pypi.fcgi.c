/*
 * pypi.fcgi - the Python package index under /pypi (devpi's URLs behind
 * a prefix): the simple API, files, twine uploads, devpi's JSON API.
 * Every input a handler reads is declared here and checked before it
 * runs (400 "invalid <field>"); the handlers live in src/pypi/, one
 * file per resource (pypi.h lists them).
 */
#include "../core/core.h"
#include "../pypi/pypi.h"
#include "programs.h"

#define IX_IN REQ_PATH_FIELD("user", pypi_ident_valid), REQ_PATH_FIELD("index", pypi_ident_valid)

static const struct req_field user_in[] = { REQ_PATH_FIELD("user", pypi_ident_valid), REQ_END };
static const struct req_field index_in[] = { IX_IN, REQ_END };
static const struct req_field project_in[] = {
	IX_IN, REQ_PATH_FIELD("project", pypi_project_valid), REQ_END
};
/* devpi's ?force is a bare word; ?force=false is not forcing */
#define FORCE_IN { "force", REQ_QUERY, req_v_bool, REQ_EMPTY, 0, NULL }
static const struct req_field project_del_in[] = {
	IX_IN, REQ_PATH_FIELD("project", pypi_project_valid), FORCE_IN, REQ_END
};
static const struct req_field version_in[] = {
	IX_IN, REQ_PATH_FIELD("project", pypi_project_valid),
	REQ_PATH_FIELD("version", pypi_version_valid), REQ_END
};
static const struct req_field version_del_in[] = {
	IX_IN, REQ_PATH_FIELD("project", pypi_project_valid),
	REQ_PATH_FIELD("version", pypi_version_valid), FORCE_IN, REQ_END
};
static const struct req_field file_in[] = {
	IX_IN, REQ_PATH_FIELD("h3", pypi_hash3_valid), REQ_PATH_FIELD("h13", pypi_hash13_valid),
	REQ_PATH_FIELD("filename", pypi_filename_valid), REQ_END
};

#define P "/pypi/:user/:index"
const struct route pypi_routes[] = {
	ROUTE_IN("POST", "/pypi/+login", pypi_login_post, "/pypi/+login", NULL, ROUTE_JSON_BODY),
	ROUTE_IN("*", "/pypi/+login", pypi_login_other, "/pypi/+login", NULL, 0),
	ROUTE_IN("GET", P "/+simple/", pypi_simple_root, "/pypi/simple", index_in, 0),
	ROUTE_IN("GET", P "/+simple", pypi_simple_redirect, "/pypi/simple", index_in, 0),
	ROUTE_IN("GET", P "/+simple/:project/", pypi_simple_project, "/pypi/simple/project",
		 project_in, 0),
	ROUTE_IN("GET", P "/+simple/:project", pypi_simple_project_redirect,
		 "/pypi/simple/project", project_in, 0),
	ROUTE_IN("GET", P "/+f/:h3/:h13/:filename", pypi_file_get, "/pypi/file", file_in, 0),
	ROUTE_IN("POST", P "/", pypi_upload, "/pypi/upload", index_in, 0),
	ROUTE_IN("POST", P, pypi_upload, "/pypi/upload", index_in, 0),
	ROUTE_IN("GET", P "/", pypi_index_get_h, "/pypi/index", index_in, 0),
	ROUTE_IN("GET", P, pypi_index_get_h, "/pypi/index", index_in, 0),
	ROUTE_IN("PUT", P, pypi_index_put_h, "/pypi/index", index_in, ROUTE_JSON_BODY),
	ROUTE_IN("PATCH", P, pypi_index_patch_h, "/pypi/index", index_in, ROUTE_JSON_BODY),
	ROUTE_IN("DELETE", P, pypi_index_del_h, "/pypi/index", index_in, 0),
	ROUTE_IN("GET", P "/:project", pypi_project_get_h, "/pypi/project", project_in, 0),
	ROUTE_IN("GET", P "/:project/", pypi_project_get_h, "/pypi/project", project_in, 0),
	ROUTE_IN("DELETE", P "/:project", pypi_project_del_h, "/pypi/project", project_del_in, 0),
	ROUTE_IN("DELETE", P "/:project/:version", pypi_version_del_h, "/pypi/version",
		 version_del_in, 0),
	ROUTE_IN("PATCH", P "/:project/:version", pypi_version_patch_h, "/pypi/version",
		 version_in, ROUTE_JSON_BODY),
	ROUTE_IN("GET", "/pypi/:user", pypi_user_get_h, "/pypi/user", user_in, 0),
	ROUTE_IN("PUT", "/pypi/:user", pypi_user_put_h, "/pypi/user", user_in, ROUTE_JSON_BODY),
	ROUTE_IN("PATCH", "/pypi/:user", pypi_user_patch_h, "/pypi/user", user_in, ROUTE_JSON_BODY),
	ROUTE_IN("DELETE", "/pypi/:user", pypi_user_del_h, "/pypi/user", user_in, 0),
};
const int pypi_nroutes = sizeof(pypi_routes) / sizeof(pypi_routes[0]);

const struct app_def pypi_def = {
	"pypi", pypi_routes, sizeof(pypi_routes) / sizeof(pypi_routes[0]), APP_ERR_JSON,
	pypi_init, pypi_fini, NULL, 0, NULL, NULL
};

#ifndef NB_NO_MAIN
int main(int argc, char **argv)
{
	return app_main(&pypi_def, &core_spec, argc, argv);
}
#endif
