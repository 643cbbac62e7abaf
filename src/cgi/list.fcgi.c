/*
 * list.fcgi - the mkbox image catalogue: GET /list[/<search>]
 * Handler: src/mkbox/mkbox_list.c.
 */
#include "../core/core.h"
#include "../mkbox/mkbox.h"
#include "programs.h"

/* a plain substring of image names: any text (never a pattern) */
static const struct req_field search_in[] = {
	REQ_PATH_FIELD("search", req_v_text), REQ_END
};

const struct route list_routes[] = {
	ROUTE_IN("GET", "/list", mkbox_list, "/list", NULL, 0),
	ROUTE_IN("GET", "/list/", mkbox_list, "/list", NULL, 0),
	ROUTE_IN("GET", "/list/:search", mkbox_list_search, "/list/:search", search_in, 0),
};
const int list_nroutes = sizeof(list_routes) / sizeof(list_routes[0]);

const struct app_def list_def = {
	"list", list_routes, sizeof(list_routes) / sizeof(list_routes[0]), APP_ERR_TEXT,
	mkbox_init, mkbox_fini, NULL, 0, NULL, NULL
};

#ifndef NB_NO_MAIN
int main(int argc, char **argv)
{
	return app_main(&list_def, &core_spec, argc, argv);
}
#endif
