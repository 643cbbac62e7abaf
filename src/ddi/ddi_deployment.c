/*
 * GET /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}:
 * what to install (hawkBit's DdiDeploymentBase).  installedBase and
 * confirmationBase/{actionId} answer the same shape for an action in
 * another state (ddi_action_answer).
 */
#include "ddi_api.h"

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

/* The action of the route's actionId that this view shows, or -1. */
static int view_action(struct app *app, struct http_req *r, enum ddi_action_view view,
		       struct ddi_action *a, struct ddi_software *s)
{
	struct ddi *d = app->domain;

	if (ddi_action_get(app, d->dev.id, req_int(r, "actionId", 0), a) < 0 ||
	    ddi_software_get(app, a->software_id, s, NULL) < 0)
		return -1;
	if (view == DDI_VIEW_INSTALLED && strcmp(a->status, "finished"))
		return -1;
	if (view == DDI_VIEW_CONFIRMATION && strcmp(a->status, "waiting"))
		return -1;
	return 0;
}

/* The action's messages into the array out: as many as ?actionHistory=N
 * asks (ddi_history_valid's count, absent none). */
static void add_messages(struct app *app, struct http_req *r, long long action_id, cJSON *out)
{
	const char *lines[DDI_HISTORY_MAX];
	int i, n = ddi_action_messages(app, r->a, action_id, (int)req_int(r, "actionHistory", 0),
				       lines);

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(out, cJSON_CreateString(lines[i]));
}

int ddi_action_answer(struct app *app, struct http_req *r, struct http_resp *w,
		      enum ddi_action_view view, struct nb_err *e)
{
	struct ddi_action a;
	struct ddi_software s;
	cJSON *o, *dep, *chunk, *hist;

	if (view_action(app, r, view, &a, &s) < 0)
		return nb_fail(e, NB_NOT_FOUND, "no such action");
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
	add_messages(app, r, a.id, cJSON_AddArrayToObject(hist, "messages"));
	ddi_json_out(w, 200, o);
	return 0;
}

int ddi_deployment(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return ddi_action_answer(app, r, w, DDI_VIEW_DEPLOYMENT, e);
}
