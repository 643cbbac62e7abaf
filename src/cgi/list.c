/* list.fcgi - the mkbox image catalogue: GET /list[/<search>] */
#include "../core/core.h"
#include "../mkbox/mkbox.h"

static const struct route routes[] = {
	{ "GET", "/list", mkbox_list, "/list", NULL, 0 },
	{ "GET", "/list/", mkbox_list, "/list", NULL, 0 },
	{ "GET", "/list/:search", mkbox_list, "/list/:search", NULL, 0 },
};

static const struct app_def def = {
	"list", routes, sizeof(routes) / sizeof(routes[0]), APP_ERR_TEXT,
	mkbox_init, mkbox_fini, NULL, 0, NULL
};

int main(int argc, char **argv)
{
	return app_main(&def, &core_spec, argc, argv);
}
