/* log.fcgi - /log/echo (request inspection), /metrics, /healthz */
#include "../core/core.h"
#include "../log/log.h"

static const struct route routes[] = {
	{ "*", "/log/echo", log_echo, "/log/echo", NULL, 0 },
	{ "*", "/log/echo/*rest", log_echo, "/log/echo/*", NULL, 0 },
	{ "GET", "/metrics", log_metrics, "/metrics", NULL, 0 },
	{ "GET", "/healthz", log_healthz, "/healthz", NULL, 0 },
};

static const struct app_def def = {
	"log", routes, sizeof(routes) / sizeof(routes[0]), APP_ERR_JSON, NULL, NULL, NULL, 0, NULL
};

int main(int argc, char **argv)
{
	return app_main(&def, &core_spec, argc, argv);
}
