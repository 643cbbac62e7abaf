/*
 * One DDI device: what it reported, why it is or is not offered an update
 * (the same decision its next poll makes), its actions and their log; and
 * what an operator changes: mode, feed, force, cancel, delete.
 */
#include "admin_ddi.h"
#include "admin_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const admin_dev_modes[] = { "rollout", "latest", "assigned", "pinned", NULL };

/* The route's :id (declared REQ_PATH req_v_id: always there). */
static long long id_param(struct http_req *r)
{
	return req_int(r, "id", 0);
}

/*
 * Adds "verdict" (the sentence ddi_verdict_explain writes, the same as
 * nestboxctl device show), "reason" (its stable key), "offer", and the
 * "candidate" and "open_action" it is about: what the next poll would do.
 */
static int add_verdict(struct app *app, struct arena *a, cJSON *o, struct nb_err *e)
{
	const char *tenant = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "tenant"));
	const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "controller_id"));
	struct ddi_device dev;
	struct ddi_explained x;
	int rc = tenant && cid ? ddi_device_get(app, tenant, cid, &dev, e) : 0;

	if (rc <= 0)
		return rc;	/* deleted meanwhile: no verdict; the store failed: its 503 */
	if (ddi_explain(app, a, &dev, ((struct admin *)app->domain)->set.max_running, &x, e) < 0)
		return -1;
	cJSON_AddStringToObject(o, "verdict", x.text);
	cJSON_AddStringToObject(o, "reason", ddi_verdict_key(x.v));
	/* an open action is an offer the device has already been told about */
	cJSON_AddBoolToObject(o, "offer", x.v == DDI_OFFER || x.open.id > 0);
	if (x.open.id > 0)
		cJSON_AddNumberToObject(o, "open_action", (double)x.open.id);
	/* the page names the action only when the sentence does not already
	 * (issue 14: "under way (action #13) (action 13)") */
	cJSON_AddBoolToObject(o, "action_unnamed", x.open.id > 0 && !strstr(x.text, "action #"));
	if (x.cand.software_id > 0) {
		cJSON_AddStringToObject(o, "candidate", x.cand.version);
		cJSON_AddNumberToObject(o, "candidate_id", (double)x.cand.software_id);
	}
	return 0;
}

/* Adds "tags" as stored ("a,b": the form's value) and "tag_list" (["a", "b"]);
 * 0, or -1 with e (a store that failed is a 503: "" would clear them when
 * the form is sent back). */
static int add_tags(struct app *app, cJSON *o, long long id, struct nb_err *e)
{
	char tags[256];
	cJSON *arr;
	const char *t = tags;

	if (ddi_device_tags(app, id, tags, sizeof(tags), e) < 0)
		return -1;
	arr = cJSON_CreateArray();
	cJSON_AddStringToObject(o, "tags", tags);
	while (*t) {
		size_t n = strcspn(t, ",");
		char one[256];
		snprintf(one, sizeof(one), "%.*s", (int)n, t);
		if (n)
			cJSON_AddItemToArray(arr, cJSON_CreateString(one));
		t += n + (t[n] == ',');
	}
	cJSON_AddItemToObject(o, "tag_list", arr);
	return 0;
}

/* An action still waiting for the device's answer (it may still report). */
static int action_open(const char *status)
{
	return !strcmp(status, "waiting") || !strcmp(status, "running") ||
	       !strcmp(status, "canceling");
}

/* The last non-empty line of s, in the arena ("" when none): a failed
 * action's reason as the device wrote it last. */
static const char *last_line(struct arena *a, const char *s)
{
	const char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	return arena_strndup(a, start, (size_t)(end - start));
}

static cJSON *action_json(struct http_req *r, const void *row, const void *ctx)
{
	const struct ddi_fleet_action *x = row;
	cJSON *o = cJSON_CreateObject();

	(void)ctx;
	cJSON_AddNumberToObject(o, "id", (double)x->id);
	cJSON_AddStringToObject(o, "status", x->status);
	cJSON_AddBoolToObject(o, "open", action_open(x->status));
	cJSON_AddBoolToObject(o, "failed", !strcmp(x->status, "error"));
	cJSON_AddNumberToObject(o, "progress", x->progress);
	cJSON_AddStringToObject(o, "created", admin_when(r->a, x->created));
	cJSON_AddStringToObject(o, "updated", admin_when(r->a, x->updated));
	cJSON_AddNumberToObject(o, "rollout_id", (double)x->rollout_id);
	cJSON_AddNumberToObject(o, "software_id", (double)x->software_id);
	cJSON_AddStringToObject(o, "software", x->software);
	cJSON_AddStringToObject(o, "version", x->version);
	/* what the device said of it: its last line when it failed, or that
	 * it has been offered without an answer */
	cJSON_AddBoolToObject(o, "answered", x->details != NULL);
	cJSON_AddNumberToObject(o, "created_ts", (double)x->created);
	if (!x->details && action_open(x->status))
		cJSON_AddBoolToObject(o, "unanswered", 1);
	if (x->details && !strcmp(x->status, "error"))
		cJSON_AddStringToObject(o, "last_line", last_line(r->a, x->details));
	return o;
}

/* The device's actions, newest first; NULL with e. */
static cJSON *actions_json(struct app *app, struct http_req *r, long long device_id,
			   struct nb_err *e)
{
	struct ddi_fleet_action *v;
	int n = ddi_fleet_actions(app, r->a, device_id, &v, e);

	return admin_rows(r, v, n, sizeof(*v), action_json, NULL);
}

/* The details as an array of their lines. */
static cJSON *lines(struct arena *a, const char *s)
{
	cJSON *arr = cJSON_CreateArray();

	while (*s) {
		size_t n = strcspn(s, "\n");
		cJSON_AddItemToArray(arr, cJSON_CreateString(arena_strndup(a, s, n)));
		s += n + (s[n] == '\n');
	}
	return arr;
}

static cJSON *status_json(struct http_req *r, const void *row, const void *ctx)
{
	const struct ddi_fleet_status *x = row;
	cJSON *o = cJSON_CreateObject();

	(void)ctx;
	cJSON_AddStringToObject(o, "time", admin_when(r->a, x->ts));
	cJSON_AddStringToObject(o, "execution", x->execution);
	cJSON_AddStringToObject(o, "finished", x->finished);
	cJSON_AddItemToObject(o, "lines", lines(r->a, x->details));
	return o;
}

/* An action's status history, oldest first, details split into lines; NULL with e. */
static cJSON *log_json(struct app *app, struct http_req *r, long long action_id,
		       struct nb_err *e)
{
	struct ddi_fleet_status *v;
	int n = ddi_fleet_action_log(app, r->a, action_id, &v, e);

	return admin_rows(r, v, n, sizeof(*v), status_json, NULL);
}

/* The log of ?action=, else of the newest action; marks the one shown. */
static int add_log(struct app *app, struct http_req *r, cJSON *d, cJSON *actions,
		   struct nb_err *e)
{
	/* a refused form's page is drawn under its POST route: no ?action= */
	long long want = req_has(r, "action") ? req_int(r, "action", 0) : 0, shown = 0;
	cJSON *a, *log;

	cJSON_ArrayForEach(a, actions) {
		long long id = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "id"));
		if (!shown && (!want || id == want))
			shown = id;
		cJSON_AddBoolToObject(a, "shown", id == shown);
	}
	if (!shown)
		return 0;
	if (!(log = log_json(app, r, shown, e)))
		return -1;
	cJSON_AddNumberToObject(d, "log_action", (double)shown);
	cJSON_AddItemToObject(d, "log", log);
	return 0;
}

int admin_device_run(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	cJSON *dev = admin_dev_get(app, r, id_param(r), NULL, NULL, e), *d, *actions, *sw;

	if (!dev)
		return -1;
	sw = admin_sw_choices(app, r, (long long)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(dev, "assigned")), e);
	actions = sw ? actions_json(app, r, id_param(r), e) : NULL;
	if (!actions) {
		cJSON_Delete(dev), cJSON_Delete(sw);
		return -1;
	}
	if (add_verdict(app, r->a, dev, e) < 0 || add_tags(app, dev, id_param(r), e) < 0) {
		cJSON_Delete(dev), cJSON_Delete(sw), cJSON_Delete(actions);
		return -1;
	}
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "modes", admin_options(admin_dev_modes, "name",
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dev, "mode"))));
	cJSON_AddItemToObject(d, "software", sw);
	cJSON_AddItemToObject(d, "device", dev);	/* d owns them all from here */
	cJSON_AddItemToObject(d, "actions", actions);
	if (add_log(app, r, d, actions, e) < 0) {
		cJSON_Delete(d);
		return -1;
	}
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, 200, "device", "Device", d);
	return 0;
}

/* GET /admin/api/devices/:cid[?tenant=]: the device, its verdict and actions. */

int admin_api_device_run(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	const char *tenant = req_str(r, "tenant"), *cid = req_str(r, "cid");
	cJSON *dev, *actions;
	long long id;

	dev = admin_dev_get(app, r, 0, tenant ? tenant : "DEFAULT", cid, e);
	if (!dev)
		return -1;
	id = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dev, "id"));
	if (!(actions = actions_json(app, r, id, e))) {
		cJSON_Delete(dev);
		return -1;
	}
	if (add_verdict(app, r->a, dev, e) < 0 || add_tags(app, dev, id, e) < 0) {
		cJSON_Delete(dev), cJSON_Delete(actions);
		return -1;
	}
	cJSON_AddItemToObject(dev, "actions", actions);
	admin_json(w, 200, dev);
	return 0;
}

static void back(struct http_req *r, struct http_resp *w, const char *done)
{
	http_redirect(w, arena_printf(r->a, "/admin/devices/%lld?done=%s", id_param(r), done));
}

int admin_device_mode_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	const char *mode = admin_dev_modes[req_int(r, "mode", 0)];
	struct ddi_software s;
	long long v = 0;
	int rc = 0;

	if (!strcmp(mode, "assigned") && (v = req_int(r, "software", 0)) > 0)
		rc = ddi_software_get(app, v, &s, e);
	if (rc < 0 && e->kind != NB_NOT_FOUND)
		return -1;	/* the store failed: its 503, not the form's fault */
	if (!strcmp(mode, "assigned") && (v <= 0 || rc < 0)) {
		admin_form_field(app, "software");
		return nb_fail(e, NB_INVALID, "assigned mode needs a software from the list");
	}
	if (ddi_device_set_mode(app, id_param(r), mode, v, e) < 0)
		return -1;
	admin_audit(app, "device mode", "%s: mode %s%s", admin_dev_said(app, r, id_param(r)), mode,
		    v ? arena_printf(r->a, ", software %lld (%s%s%s)", v, s.name, *s.name ? " " : "",
				     s.version) : "");
	back(r, w, "mode+set");
	return 0;
}

int admin_device_feed_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	if (ddi_device_set_field(app, id_param(r), "feed", req_str(r, "feed"), e) < 0)
		return -1;
	admin_audit(app, "device feed", "%s: feed %s", admin_dev_said(app, r, id_param(r)),
		    req_str(r, "feed"));
	back(r, w, "feed+set");
	return 0;
}

int admin_device_force_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	if (ddi_device_set_field(app, id_param(r), "force", "1", e) < 0)
		return -1;
	admin_audit(app, "device force", "%s: update forced", admin_dev_said(app, r, id_param(r)));
	back(r, w, "update+forced");
	return 0;
}

int admin_device_cancel_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	if (ddi_action_cancel(app, id_param(r), e) < 0)
		return -1;
	admin_audit(app, "device cancel", "%s: open action canceled",
		    admin_dev_said(app, r, id_param(r)));
	back(r, w, "cancel+requested");
	return 0;
}

/* Without confirm=yes the answer is a page asking for it. */
int admin_device_delete_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	cJSON *dev = admin_dev_get(app, r, id_param(r), NULL, NULL, e), *d;
	const char *cid;

	if (!dev)
		return -1;
	if (!req_int(r, "confirm", 0)) {
		d = cJSON_CreateObject();
		cJSON_AddItemToObject(d, "device", dev);
		admin_page(app, r, w, 200, "device-delete", "Delete device", d);
		return 0;
	}
	cid = arena_strdup(r->a, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		dev, "controller_id")) ?: "?");
	cJSON_Delete(dev);
	if (ddi_device_delete(app, id_param(r), e) < 0)
		return -1;
	admin_audit(app, "device delete", "device #%lld %s", id_param(r), cid);
	http_redirect(w, "/admin/devices?done=device+deleted");
	return 0;
}
