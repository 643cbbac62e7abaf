/*
 * GET /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}:
 * what to install (hawkBit's DdiDeploymentBase).  installedBase and
 * confirmationBase/{actionId} answer the same shape for an action in
 * another state (ddi_action_answer).
 */
#include "ddi_state.h"

#include <string.h>

static const char *history_status(const char *status)
{
	static const char *const map[][2] = {
		{ "waiting", "WAIT_FOR_CONFIRMATION" }, { "running", "RUNNING" },
		{ "canceling", "CANCELING" }, { "finished", "FINISHED" },
		{ "canceled", "CANCELED" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(status, map[i][0]))
			return map[i][1];
	return "ERROR";
}

/* The action of the route's actionId that this view shows: 0, or -1 with
 * e NB_NOT_FOUND "no such action" (none, or one in another state) or
 * NB_UNAVAILABLE. */
static int view_action(struct app *app, struct http_req *r, enum ddi_action_view view,
		       struct ddi_action *a, struct ddi_software *s, struct nb_err *e)
{
	struct ddi *d = app->domain;

	if (ddi_action_get(app, d->dev.id, req_int(r, "actionId", 0), a, e) < 0 ||
	    ddi_software_get(app, a->software_id, s, e) < 0)
		return e->kind == NB_NOT_FOUND ? nb_fail(e, NB_NOT_FOUND, "no such action") : -1;
	if ((view == DDI_VIEW_INSTALLED && strcmp(a->status, "finished")) ||
	    (view == DDI_VIEW_CONFIRMATION && strcmp(a->status, "waiting")))
		return nb_fail(e, NB_NOT_FOUND, "no such action");
	return 0;
}

/* The action's messages into the array out: as many as ?actionHistory=N
 * asks (ddi_history_valid's count, absent none); 0, or -1 with e. */
static int add_messages(struct app *app, struct http_req *r, long long action_id, cJSON *out,
			struct nb_err *e)
{
	const char *lines[DDI_HISTORY_MAX];
	int i, n = ddi_action_messages(app, r->a, action_id, (int)req_int(r, "actionHistory", 0),
				       lines, e);

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(out, cJSON_CreateString(lines[i]));
	return n < 0 ? -1 : 0;
}

int ddi_action_answer(struct app *app, struct http_req *r, struct http_resp *w,
		      enum ddi_action_view view, struct nb_err *e)
{
	struct ddi_action a;
	struct ddi_software s;
	cJSON *o, *dep, *chunk, *hist;

	if (view_action(app, r, view, &a, &s, e) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", arena_lld(r->a, a.id));
	dep = cJSON_AddObjectToObject(o, view == DDI_VIEW_CONFIRMATION ? "confirmation" :
					 "deployment");
	cJSON_AddStringToObject(dep, "download", "forced");
	cJSON_AddStringToObject(dep, "update", "forced");
	chunk = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(dep, "chunks"), chunk);
	cJSON_AddStringToObject(chunk, "part", "os");
	cJSON_AddStringToObject(chunk, "version", s.version);
	cJSON_AddStringToObject(chunk, "name", s.name);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(chunk, "artifacts"),
			     ddi_artifact_json(app, r, &s));
	hist = cJSON_AddObjectToObject(o, "actionHistory");
	cJSON_AddStringToObject(hist, "status", history_status(a.status));
	if (add_messages(app, r, a.id, cJSON_AddArrayToObject(hist, "messages"), e) < 0) {
		cJSON_Delete(o);
		return -1;
	}
	ddi_json_out(w, 200, o);
	return 0;
}

int ddi_deployment(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return ddi_action_answer(app, r, w, DDI_VIEW_DEPLOYMENT, e);
}
