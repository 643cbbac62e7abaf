/* ota.fcgi - the MicroPython OTA updater's GitHub shapes under /ota
 * (the route table: src/ota/ota_routes.c) */
#include "../core/core.h"
#include "../ota/ota.h"

static const struct app_def def = {
	"ota", ota_routes, 0, APP_ERR_JSON, ota_init, ota_fini, NULL, 0, NULL
};

int main(int argc, char **argv)
{
	struct app_def d = def;

	d.nroutes = ota_nroutes;
	return app_main(&d, &core_spec, argc, argv);
}
