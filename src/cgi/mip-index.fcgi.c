/* mip-index.fcgi - the MicroPython package index under /mip */
#include "../core/core.h"
#include "../mip/mip.h"

static const struct route_param_spec package_params[] = {
	{ "flavour", mip_flavour_ok }, { "name", mip_name_ok }, { NULL, NULL }
};

static const struct route routes[] = {
	{ "GET", "/mip/index.json", mip_index, "/mip/index.json", NULL, 0 },
	{ "GET", "/mip/package/:flavour/:name/:file", mip_package, "/mip/package",
	  package_params, 0 },
	{ "GET", "/mip/file/:hh/:hash", mip_file, "/mip/file", NULL, 0 },
	{ "GET", "/mip/github/*rest", mip_repo, "/mip/github", NULL, 0 },
	{ "GET", "/mip/gitlab/*rest", mip_repo, "/mip/gitlab", NULL, 0 },
};

static const struct app_def def = {
	"mip", routes, sizeof(routes) / sizeof(routes[0]), APP_ERR_TEXT,
	mip_init, mip_fini, NULL, 0, NULL
};

int main(int argc, char **argv)
{
	return app_main(&def, &core_spec, argc, argv);
}
