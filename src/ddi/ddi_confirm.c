/*
 * hawkBit's user consent flow under .../confirmationBase.  With
 * ddi.confirmation_required on, a new action waits ("waiting") until the
 * device confirms it; a denial keeps it waiting (the device may confirm
 * later, or an operator cancels it).  A device that turned auto-confirm on
 * skips the wait, and turning it on confirms what is waiting.
 */
#include "ddi_api.h"

#include <stdio.h>
#include <string.h>

/* GET confirmationBase: the auto-confirm state and where to go next. */
void ddi_confirmation_base(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	const char *url = ddi_device_url(app, r);
	sqlite3_stmt *st = db_stmt(app->db, "SELECT auto_confirm_by, auto_confirm_remark,"
				   " auto_confirm_at FROM ddi_devices WHERE id=?");
	cJSON *o = cJSON_CreateObject(), *ac = cJSON_AddObjectToObject(o, "autoConfirm"), *links;

	cJSON_AddBoolToObject(ac, "active", d->dev.auto_confirm);
	if (st && d->dev.auto_confirm) {
		sqlite3_bind_int64(st, 1, d->dev.id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *by = (const char *)sqlite3_column_text(st, 0);
			const char *remark = (const char *)sqlite3_column_text(st, 1);
			if (by && *by)
				cJSON_AddStringToObject(ac, "initiator", by);
			if (remark && *remark)
				cJSON_AddStringToObject(ac, "remark", remark);
			cJSON_AddNumberToObject(ac, "activatedAt",
						(double)sqlite3_column_int64(st, 2));
		}
	}
	if (st)
		sqlite3_reset(st);
	links = cJSON_AddObjectToObject(o, "_links");
	if (d->dev.auto_confirm)
		ddi_link(links, "deactivateAutoConfirm",
			 arena_printf(r->a, "%s/confirmationBase/deactivateAutoConfirm", url));
	else
		ddi_link(links, "activateAutoConfirm",
			 arena_printf(r->a, "%s/confirmationBase/activateAutoConfirm", url));
	if (ddi_action_open(app, d->dev.id, &a) == 0 && !strcmp(a.status, "waiting"))
		ddi_link(links, "confirmationBase",
			 arena_printf(r->a, "%s/confirmationBase/%lld?c=%lld-%lld", url, a.id, a.id,
				      a.software_id));
	ddi_json_out(w, 200, o);
}

/* A waiting action starts: the device's next poll gets its deploymentBase. */
static int confirm(struct app *app, struct ddi *d, const struct ddi_action *a)
{
	return ddi_action_update(app, a->id, "running", -1) |
	       ddi_device_set_version(app, d->dev.id, NULL, "running");
}

void ddi_confirmation_feedback(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	const char *err;
	char *body, *details;
	size_t len;
	int yes;

	if (ddi_action_get(app, d->dev.id, ddi_action_param(r), &a) < 0) {
		app_error(app, w, 404, "no such action");
		return;
	}
	if (ddi_body(app, r, w, &body, &len) < 0)
		return;
	if (ddi_confirm_parse(r->a, body, len, &yes, &details, &err) < 0) {
		app_error(app, w, 400, err);
		return;
	}
	if (strcmp(a.status, "waiting")) {
		app_error(app, w, 410, "the action is not waiting for confirmation");
		return;
	}
	if (ddi_begin(app, w) < 0)
		return;
	/* again inside the transaction: an operator may have canceled it meanwhile */
	if (ddi_action_get(app, d->dev.id, a.id, &a) < 0 || strcmp(a.status, "waiting")) {
		db_rollback(app->db);
		app_error(app, w, 410, "the action is not waiting for confirmation");
		return;
	}
	if (ddi_action_log(app, a.id, yes ? "confirmed" : "denied", "none", details) < 0 ||
	    (yes && confirm(app, d, &a) != 0)) {
		db_rollback(app->db);
		app_error(app, w, 503, "busy, send it again");
		return;
	}
	ddi_commit(app, w);
}

void ddi_autoconfirm_on(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	const char *by, *remark, *err;
	char *body = NULL;
	size_t len = 0;
	int st = http_read_body(r, 65536, &body, &len), rc;

	if (st == 413) {
		app_error(app, w, 413, "body too large");
		return;
	}
	if (ddi_autoconfirm_parse(r->a, body, st ? 0 : len, &by, &remark, &err) < 0) {
		app_error(app, w, 400, err);
		return;
	}
	if (ddi_begin(app, w) < 0)
		return;
	rc = ddi_device_auto_confirm(app, d->dev.id, 1, by, remark);
	if (rc == 0 && ddi_action_open(app, d->dev.id, &a) == 0 && !strcmp(a.status, "waiting"))
		rc = ddi_action_log(app, a.id, "confirmed", "none",
				    DDI_SERVER_MSG "auto-confirm turned on\n") |
		     confirm(app, d, &a);
	if (rc) {
		db_rollback(app->db);
		app_error(app, w, 503, "busy, send it again");
		return;
	}
	ddi_commit(app, w);
}

void ddi_autoconfirm_off(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi *d = app->domain;

	(void)r;
	if (ddi_device_auto_confirm(app, d->dev.id, 0, NULL, NULL) < 0) {
		app_error(app, w, 503, "busy, send it again");
		return;
	}
	w->status = 200;
}
