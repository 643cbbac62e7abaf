/*
 * ddi.fcgi - the hawkBit DDI API for SWUpdate and RAUC devices, under
 * /{tenant}/controller/v1/{controllerId}.  One file per resource in
 * src/ddi/ (ddi_<resource>.c, listed in ddi.h); authentication in
 * ddi_auth.c.  Path fields carry hawkBit's own names (DdiRootController),
 * so a refused one is named as the protocol names it.
 */
#include "../core/core.h"
#include "../ddi/ddi.h"
#include "../ddi/ddi_state.h"
#include "programs.h"

#include <time.h>

#define DEV "/:tenant/controller/v1/:controllerId"
/* the tenant first: one not served is a 404 whatever the id (hawkBit) */
#define DDI_DEVICE_FIELDS \
	REQ_PATH_FIELD("tenant", ddi_tenant_valid), \
	REQ_PATH_FIELD("controllerId", ddi_cid_valid)

static const struct req_field device_in[] = { DDI_DEVICE_FIELDS, REQ_END };
static const struct req_field action_in[] = {
	DDI_DEVICE_FIELDS,
	REQ_PATH_FIELD("actionId", req_v_id),
	REQ_END
};
/* ?actionHistory=N: how many of the device's messages come back */
static const struct req_field history_in[] = {
	DDI_DEVICE_FIELDS,
	REQ_PATH_FIELD("actionId", req_v_id),
	REQ_QUERY_FIELD("actionHistory", ddi_history_valid, 0),
	REQ_END
};
static const struct req_field module_in[] = {
	DDI_DEVICE_FIELDS,
	REQ_PATH_FIELD("softwareModuleId", req_v_id),
	REQ_END
};
/* a file name is compared with the module's, never used as a path */
static const struct req_field file_in[] = {
	DDI_DEVICE_FIELDS,
	REQ_PATH_FIELD("softwareModuleId", req_v_id),
	REQ_PATH_FIELD("fileName", NULL),
	REQ_END
};

#define SM DEV "/softwaremodules/:softwareModuleId/artifacts"
/* a route whose body is JSON: another media type is refused, 415 (route.h) */
#define JSON ROUTE_JSON_BODY
#define CB DEV "/confirmationBase"

const struct route ddi_routes[] = {
	ROUTE_IN("GET",  DEV, ddi_poll, "/ddi/poll", device_in, ROUTE_HOT),
	ROUTE_IN("PUT",  DEV "/configData", ddi_config_data, "/ddi/configData", device_in, JSON),
	ROUTE_IN("GET",  DEV "/deploymentBase/:actionId", ddi_deployment, "/ddi/deploymentBase",
		 history_in, 0),
	ROUTE_IN("POST", DEV "/deploymentBase/:actionId/feedback", ddi_feedback, "/ddi/feedback",
		 action_in, JSON),
	ROUTE_IN("GET",  DEV "/cancelAction/:actionId", ddi_cancel, "/ddi/cancelAction",
		 action_in, 0),
	ROUTE_IN("POST", DEV "/cancelAction/:actionId/feedback", ddi_cancel_feedback,
		 "/ddi/cancelFeedback", action_in, JSON),
	ROUTE_IN("GET",  DEV "/installedBase/:actionId", ddi_installed, "/ddi/installedBase",
		 history_in, 0),
	ROUTE_IN("PUT",  DEV "/installedBase", ddi_installed_put, "/ddi/installedBase",
		 device_in, JSON),
	ROUTE_IN("GET",  SM, ddi_artifacts, "/ddi/artifacts", module_in, 0),
	ROUTE_IN("GET",  SM "/:fileName", ddi_artifact, "/ddi/artifact", file_in, 0),
	ROUTE_IN("GET",  CB, ddi_confirmation_base, "/ddi/confirmationBase", device_in, 0),
	ROUTE_IN("POST", CB "/activateAutoConfirm", ddi_autoconfirm_on,
		 "/ddi/activateAutoConfirm", device_in, JSON),
	ROUTE_IN("POST", CB "/deactivateAutoConfirm", ddi_autoconfirm_off,
		 "/ddi/deactivateAutoConfirm", device_in, JSON),
	ROUTE_IN("GET",  CB "/:actionId", ddi_confirmation_action, "/ddi/confirmationBase",
		 history_in, 0),
	ROUTE_IN("POST", CB "/:actionId/feedback", ddi_confirmation_feedback,
		 "/ddi/confirmationFeedback", action_in, JSON),
};
#undef JSON

const int ddi_nroutes = sizeof(ddi_routes) / sizeof(ddi_routes[0]);

/* An idle process writes the devices' last_seen it has queued once the
 * oldest is log.flush_ms old (milliseconds; the clock is read in whole
 * seconds): with the default 1000 the pages show a poll within about a
 * second, with no further traffic. */
static void ddi_idle(struct app *app)
{
	struct ddi *d = app->domain;
	long long age_ms = ((long long)time(NULL) - d->seen.first) * 1000;

	if (d->seen.n && age_ms >= app->set.log_flush_ms)
		ddi_seen_flush(app, &d->seen);
}

const struct app_def ddi_def = {
	"ddi", ddi_routes, sizeof(ddi_routes) / sizeof(ddi_routes[0]), APP_ERR_JSON,
	ddi_init, ddi_fini, ddi_before, 0, ddi_idle, NULL
};

#ifndef NB_NO_MAIN
int main(int argc, char **argv)
{
	return app_main(&ddi_def, &core_spec, argc, argv);
}
#endif
