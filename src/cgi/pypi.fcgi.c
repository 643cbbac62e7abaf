/*
 * pypi.fcgi - the Python package index under /pypi (devpi's URLs behind
 * a prefix): the simple API, files, twine uploads, devpi's JSON API.
 * Every path parameter is checked by its validator before a handler runs.
 */
#include "../core/core.h"
#include "../pypi/pypi.h"

#define IX { "user", pypi_ident_ok }, { "index", pypi_ident_ok }

static const struct route_param_spec user_p[] = { { "user", pypi_ident_ok }, { NULL, NULL } };
static const struct route_param_spec index_p[] = { IX, { NULL, NULL } };
static const struct route_param_spec project_p[] = {
	IX, { "project", pypi_project_ok }, { NULL, NULL }
};
static const struct route_param_spec version_p[] = {
	IX, { "project", pypi_project_ok }, { "version", pypi_version_ok }, { NULL, NULL }
};
static const struct route_param_spec file_p[] = {
	IX, { "h3", pypi_hash3_ok }, { "h13", pypi_hash13_ok }, { "filename", pypi_filename_ok },
	{ NULL, NULL }
};

#define P "/pypi/:user/:index"
static const struct route routes[] = {
	{ "POST", "/pypi/+login", pypi_login_h, "/pypi/+login", NULL, 0 },
	{ "GET", P "/+simple/", pypi_simple_root, "/pypi/simple", index_p, 0 },
	{ "GET", P "/+simple", pypi_simple_redirect, "/pypi/simple", index_p, 0 },
	{ "GET", P "/+simple/:project/", pypi_simple_project, "/pypi/simple/project", project_p, 0 },
	{ "GET", P "/+simple/:project", pypi_simple_redirect, "/pypi/simple/project", project_p, 0 },
	{ "GET", P "/+f/:h3/:h13/:filename", pypi_file_get, "/pypi/file", file_p, 0 },
	{ "POST", P "/", pypi_upload, "/pypi/upload", index_p, 0 },
	{ "POST", P, pypi_upload, "/pypi/upload", index_p, 0 },
	{ "GET", P "/", pypi_index_get_h, "/pypi/index", index_p, 0 },
	{ "GET", P, pypi_index_get_h, "/pypi/index", index_p, 0 },
	{ "PUT", P, pypi_index_put_h, "/pypi/index", index_p, 0 },
	{ "PATCH", P, pypi_index_patch_h, "/pypi/index", index_p, 0 },
	{ "DELETE", P, pypi_index_del_h, "/pypi/index", index_p, 0 },
	{ "GET", P "/:project", pypi_project_get_h, "/pypi/project", project_p, 0 },
	{ "GET", P "/:project/", pypi_project_get_h, "/pypi/project", project_p, 0 },
	{ "DELETE", P "/:project", pypi_version_del_h, "/pypi/project", project_p, 0 },
	{ "DELETE", P "/:project/:version", pypi_version_del_h, "/pypi/version", version_p, 0 },
	{ "PATCH", P "/:project/:version", pypi_version_patch_h, "/pypi/version", version_p, 0 },
	{ "GET", "/pypi/:user", pypi_user_get_h, "/pypi/user", user_p, 0 },
	{ "PUT", "/pypi/:user", pypi_user_put_h, "/pypi/user", user_p, 0 },
	{ "PATCH", "/pypi/:user", pypi_user_patch_h, "/pypi/user", user_p, 0 },
	{ "DELETE", "/pypi/:user", pypi_user_del_h, "/pypi/user", user_p, 0 },
};

static const struct app_def def = {
	"pypi", routes, sizeof(routes) / sizeof(routes[0]), APP_ERR_JSON,
	pypi_init, pypi_fini, NULL, 0, NULL
};

int main(int argc, char **argv)
{
	return app_main(&def, &core_spec, argc, argv);
}
