/* update.fcgi - mkbox image updates: GET /update/<box>/<image>[/<buildID>], GET /update?… */
#include "../core/core.h"
#include "../mkbox/mkbox.h"

static const struct route_param_spec names[] = {
	{ "box", mkbox_name_ok },
	{ "image", mkbox_name_ok },
	{ NULL, NULL }
};

static const struct route routes[] = {
	{ "GET", "/update", mkbox_update_query, "/update?", NULL, 0 },
	{ "GET", "/update/:box/:image", mkbox_update, "/update/:box/:image", names, 0 },
	{ "GET", "/update/:box/:image/:build", mkbox_update, "/update/:box/:image/:build",
	  names, 0 },
};

static const struct app_def def = {
	"update", routes, sizeof(routes) / sizeof(routes[0]), APP_ERR_TEXT,
	mkbox_init, mkbox_fini, NULL, 0, NULL
};

int main(int argc, char **argv)
{
	return app_main(&def, &core_spec, argc, argv);
}
