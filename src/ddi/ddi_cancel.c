/*
 * GET .../cancelAction/{actionId}: an operator asked to cancel the
 * device's action (hawkBit's DdiCancel); POST .../cancelAction/{actionId}/feedback:
 * the device's answer, taken like a deployment feedback (ddi_feedback.c).
 */
#include "ddi_state.h"

#include <string.h>

int ddi_cancel(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	const char *id;
	cJSON *o;
	int rc = ddi_action_get(app, d->dev.id, req_int(r, "actionId", 0), &a, e);

	if (rc < 0 && e->kind != NB_NOT_FOUND)
		return -1;
	/* no such action, or none an operator asked to cancel: the same 404 */
	if (rc < 0 || strcmp(a.status, "canceling"))
		return nb_fail(e, NB_NOT_FOUND, "no cancellation for this action");
	id = arena_lld(r->a, a.id);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "cancelAction"), "stopId", id);
	ddi_json_out(w, 200, o);
	return 0;
}

int ddi_cancel_feedback(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e)
{
	return ddi_feedback_take(app, r, w, 1, e);
}
