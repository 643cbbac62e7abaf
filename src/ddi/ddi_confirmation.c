/*
 * hawkBit's user consent flow under .../confirmationBase.  With
 * ddi.confirmation_required on, a new action waits ("waiting") until the
 * device confirms it; a denial keeps it waiting (the device may confirm
 * later, or an operator cancels it).  A device that turned auto-confirm on
 * skips the wait, and turning it on confirms what is waiting.
 *
 * GET .../confirmationBase, GET .../confirmationBase/{actionId} (the
 * action's shape, ddi_action_answer), POST .../{actionId}/feedback, POST
 * .../activateAutoConfirm and .../deactivateAutoConfirm.
 */
#include "ddi_state.h"

#include <stdio.h>
#include <string.h>

/* GET confirmationBase: the auto-confirm state and where to go next; a
 * store that cannot say is a 503, never a state without its facts. */
int ddi_confirmation_base(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	struct ddi *d = app->domain;
	struct ddi_autoconfirm ac_by;
	struct ddi_action a;
	const char *url = ddi_device_url(app, r);
	cJSON *o, *ac, *links;
	int open;

	if (d->dev.auto_confirm && ddi_device_autoconfirm_get(app, r->a, d->dev.id, &ac_by, e) < 0)
		return -1;
	if ((open = ddi_action_open(app, d->dev.id, &a, e)) < 0)
		return -1;
	o = cJSON_CreateObject();
	ac = cJSON_AddObjectToObject(o, "autoConfirm");
	cJSON_AddBoolToObject(ac, "active", d->dev.auto_confirm);
	if (d->dev.auto_confirm) {
		if (*ac_by.by)
			cJSON_AddStringToObject(ac, "initiator", ac_by.by);
		if (*ac_by.remark)
			cJSON_AddStringToObject(ac, "remark", ac_by.remark);
		cJSON_AddNumberToObject(ac, "activatedAt", (double)ac_by.at);
	}
	links = cJSON_AddObjectToObject(o, "_links");
	if (d->dev.auto_confirm)
		ddi_link(links, "deactivateAutoConfirm",
			 arena_printf(r->a, "%s/confirmationBase/deactivateAutoConfirm", url));
	else
		ddi_link(links, "activateAutoConfirm",
			 arena_printf(r->a, "%s/confirmationBase/activateAutoConfirm", url));
	if (open && !strcmp(a.status, "waiting"))
		ddi_link(links, "confirmationBase",
			 arena_printf(r->a, "%s/confirmationBase/%lld?c=%lld-%lld", url, a.id, a.id,
				      a.software_id));
	ddi_json_out(w, 200, o);
	return 0;
}

int ddi_confirmation_action(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	return ddi_action_answer(app, r, w, DDI_VIEW_CONFIRMATION, e);
}

/* A waiting action starts: the device's next poll gets its deploymentBase;
 * 0, or -1 with e. */
static int confirm(struct app *app, struct ddi *d, const struct ddi_action *a, struct nb_err *e)
{
	if (ddi_action_update(app, a->id, "running", -1, e) < 0)
		return -1;
	return ddi_device_set_version(app, d->dev.id, NULL, "running", e);
}

/* -1 with e NB_GONE (410): the action is no longer waiting (hawkBit's answer) */
static int not_waiting(struct nb_err *e)
{
	return nb_fail(e, NB_GONE, "the action is not waiting for confirmation");
}

int ddi_confirmation_feedback(struct app *app, struct http_req *r, struct http_resp *w,
			      struct nb_err *e)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	char *body, *details;
	size_t len;
	int yes, rc;

	if (ddi_action_get(app, d->dev.id, req_int(r, "actionId", 0), &a, e) < 0)
		return -1;
	if (ddi_body(r, &body, &len, e) < 0 ||
	    ddi_confirm_parse(r->a, body, len, &yes, &details, e) < 0)
		return -1;
	if (strcmp(a.status, "waiting"))
		return not_waiting(e);
	if (ddi_begin_device(app, e) < 0)
		return -1;
	/* again inside the transaction: an operator may have canceled it meanwhile */
	if ((rc = ddi_action_get(app, d->dev.id, a.id, &a, e)) < 0 && e->kind != NB_NOT_FOUND) {
		db_rollback(app->db);
		return -1;
	}
	if (rc < 0 || strcmp(a.status, "waiting")) {
		db_rollback(app->db);
		return not_waiting(e);
	}
	if (ddi_action_log(app, a.id, yes ? "confirmed" : "denied", "none", details, e) < 0 ||
	    (yes && confirm(app, d, &a, e) < 0)) {
		db_rollback(app->db);
		return -1;
	}
	return ddi_commit(app, w, e);
}

/* The body is optional: none (or an unreadable one) turns it on without a remark. */
int ddi_autoconfirm_on(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	const char *by, *remark;
	char *body = NULL;
	size_t len = 0;
	int open;

	/* an unreadable body is no body (the defaults); only one too large is refused */
	if (http_read_body(r, 65536, &body, &len, e) < 0) {
		if (e->kind == NB_TOO_LARGE)
			return -1;
		nb_err_clear(e);
	}
	if (ddi_autoconfirm_parse(r->a, body, len, &by, &remark, e) < 0 ||
	    ddi_begin_device(app, e) < 0)
		return -1;
	if (ddi_device_auto_confirm(app, d->dev.id, 1, by, remark, e) < 0 ||
	    (open = ddi_action_open(app, d->dev.id, &a, e)) < 0 ||
	    (open && !strcmp(a.status, "waiting") &&
	     (ddi_action_log(app, a.id, "confirmed", "none",
			     DDI_SERVER_MSG "auto-confirm turned on\n", e) < 0 ||
	      confirm(app, d, &a, e) < 0))) {
		db_rollback(app->db);
		return -1;
	}
	return ddi_commit(app, w, e);
}

int ddi_autoconfirm_off(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e)
{
	struct ddi *d = app->domain;

	(void)r;
	if (ddi_device_auto_confirm(app, d->dev.id, 0, NULL, NULL, e) < 0)
		return -1;
	w->status = 200;
	return 0;
}
