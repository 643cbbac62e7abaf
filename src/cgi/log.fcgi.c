/*
 * log.fcgi - /log/echo (request inspection), /metrics, /healthz
 * Handlers: src/log/log_echo.c, log_metrics.c, log_health.c; the program's
 * state: log_state.c.
 */
#include "../core/core.h"
#include "../log/log.h"
#include "programs.h"

/* the echo shows any path below /log/echo as it came ("" for a slash) */
static const struct req_field rest_in[] = {
	{ "rest", REQ_PATH, NULL, REQ_EMPTY, 0, NULL }, REQ_END
};

const struct route log_routes[] = {
	ROUTE_IN("*", "/log/echo", log_echo, "/log/echo", NULL, 0),
	ROUTE_IN("*", "/log/echo/*rest", log_echo, "/log/echo/*", rest_in, 0),
	ROUTE_IN("GET", "/metrics", log_metrics, "/metrics", NULL, 0),
	ROUTE_IN("GET", "/healthz", log_healthz, "/healthz", NULL, 0),
};
const int log_nroutes = sizeof(log_routes) / sizeof(log_routes[0]);

const struct app_def log_def = {
	"log", log_routes, sizeof(log_routes) / sizeof(log_routes[0]), APP_ERR_JSON,
	log_init, log_fini, NULL, 0, NULL, NULL
};

#ifndef NB_NO_MAIN
int main(int argc, char **argv)
{
	return app_main(&log_def, &core_spec, argc, argv);
}
#endif
