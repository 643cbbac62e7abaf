/* ddi.fcgi - the hawkBit DDI API for SWUpdate and RAUC devices */
#include "../core/core.h"
#include "../ddi/ddi.h"
#include "../ddi/ddi_api.h"

#define D "/:tenant/controller/v1/:id"

static const struct route routes[] = {
	{ "GET",  D, ddi_poll, "/ddi/poll", NULL, ROUTE_HOT },
	{ "PUT",  D "/configData", ddi_config_data, "/ddi/configData", NULL, 0 },
	{ "GET",  D "/deploymentBase/:action", ddi_deployment, "/ddi/deploymentBase", NULL, 0 },
	{ "POST", D "/deploymentBase/:action/feedback", ddi_feedback, "/ddi/feedback", NULL, 0 },
	{ "GET",  D "/cancelAction/:action", ddi_cancel, "/ddi/cancelAction", NULL, 0 },
	{ "POST", D "/cancelAction/:action/feedback", ddi_cancel_feedback, "/ddi/cancelFeedback",
	  NULL, 0 },
	{ "GET",  D "/installedBase/:action", ddi_installed, "/ddi/installedBase", NULL, 0 },
	{ "PUT",  D "/installedBase", ddi_installed_put, "/ddi/installedBase", NULL, 0 },
	{ "GET",  D "/softwaremodules/:sm/artifacts", ddi_artifacts, "/ddi/artifacts", NULL, 0 },
	{ "GET",  D "/softwaremodules/:sm/artifacts/:file", ddi_artifact, "/ddi/artifact", NULL, 0 },
	{ "GET",  D "/confirmationBase", ddi_confirmation_base, "/ddi/confirmationBase", NULL, 0 },
	{ "POST", D "/confirmationBase/activateAutoConfirm", ddi_autoconfirm_on,
	  "/ddi/activateAutoConfirm", NULL, 0 },
	{ "POST", D "/confirmationBase/deactivateAutoConfirm", ddi_autoconfirm_off,
	  "/ddi/deactivateAutoConfirm", NULL, 0 },
	{ "GET",  D "/confirmationBase/:action", ddi_confirmation_action,
	  "/ddi/confirmationBase", NULL, 0 },
	{ "POST", D "/confirmationBase/:action/feedback", ddi_confirmation_feedback,
	  "/ddi/confirmationFeedback", NULL, 0 },
};

/* An idle process writes the devices' last_seen it has queued: the
 * pages show a poll within about a second, with no further traffic. */
static void ddi_idle(struct app *app)
{
	struct ddi *d = app->domain;

	ddi_seen_flush(app, &d->seen);
}

static const struct app_def def = {
	"ddi", routes, sizeof(routes) / sizeof(routes[0]), APP_ERR_JSON,
	ddi_init, ddi_fini, ddi_before, 0, ddi_idle
};

int main(int argc, char **argv)
{
	return app_main(&def, &core_spec, argc, argv);
}
