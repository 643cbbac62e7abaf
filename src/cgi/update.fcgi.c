/*
 * update.fcgi - mkbox image updates: GET /update/<box>/<image>[/<buildID>],
 * GET /update?name&board[&branch][&version][&build_id]
 * Handlers: src/mkbox/mkbox_update.c.
 */
#include "../core/core.h"
#include "../mkbox/mkbox.h"
#include "programs.h"

/* a build ID is compared, never used as a name: any text */
static const struct req_field path_in[] = {
	REQ_PATH_FIELD("box", mkbox_name_valid),
	REQ_PATH_FIELD("image", mkbox_name_valid),
	REQ_END
};
static const struct req_field build_in[] = {
	REQ_PATH_FIELD("box", mkbox_name_valid),
	REQ_PATH_FIELD("image", mkbox_name_valid),
	REQ_PATH_FIELD("build", req_v_text),
	REQ_END
};
/* all optional: an incomplete query is an unknown image (400, empty) */
static const struct req_field query_in[] = {
	REQ_QUERY_FIELD("name", mkbox_name_valid, 0),
	REQ_QUERY_FIELD("board", mkbox_name_valid, 0),
	REQ_QUERY_FIELD("branch", mkbox_name_valid, 0),
	REQ_QUERY_FIELD("version", mkbox_name_valid, 0),
	REQ_QUERY_FIELD("build_id", req_v_text, 0),
	REQ_END
};

const struct route update_routes[] = {
	ROUTE_IN("GET", "/update", mkbox_update_query, "/update?", query_in, 0),
	ROUTE_IN("GET", "/update/:box/:image", mkbox_update, "/update/:box/:image", path_in, 0),
	ROUTE_IN("GET", "/update/:box/:image/:build", mkbox_update, "/update/:box/:image/:build",
		 build_in, 0),
};
const int update_nroutes = sizeof(update_routes) / sizeof(update_routes[0]);

const struct app_def update_def = {
	"update", update_routes, sizeof(update_routes) / sizeof(update_routes[0]), APP_ERR_TEXT,
	mkbox_init, mkbox_fini, NULL, 0, NULL, NULL
};

#ifndef NB_NO_MAIN
int main(int argc, char **argv)
{
	return app_main(&update_def, &core_spec, argc, argv);
}
#endif
