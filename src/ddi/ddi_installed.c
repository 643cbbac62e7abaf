/*
 * installedBase: GET .../installedBase/{actionId}, the finished action a
 * device installed (ddi_action_answer's shape), and PUT .../installedBase,
 * a version the device installed another way (hawkBit's DdiAssignedVersion).
 */
#include "ddi_state.h"

int ddi_installed(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return ddi_action_answer(app, r, w, DDI_VIEW_INSTALLED, e);
}

int ddi_installed_put(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e)
{
	struct ddi *d = app->domain;
	const char *name, *version;
	char *body;
	size_t len;

	if (ddi_body(r, &body, &len, e) < 0 ||
	    ddi_installed_parse(r->a, body, len, &name, &version, e) < 0)
		return -1;
	if (ddi_device_set_version(app, d->dev.id, version, "finished", e) < 0)
		return -1;
	w->status = 200;
	return 0;
}
