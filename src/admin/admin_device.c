/*
 * One DDI device: what it reported, why it is or is not offered an update
 * (the same decision its next poll makes), its actions and their log; and
 * what an operator changes: mode, feed, force, cancel, delete.
 */
#include "admin_ddi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long long id_param(struct http_req *r)
{
	return atoll(http_param(r, "id"));
}

/*
 * Adds "verdict" (the sentence ddi_verdict_explain writes, the same as
 * nestboxctl device show), "reason" (its stable key), "offer", and the
 * "candidate" and "open_action" it is about: what the next poll would do.
 */
static void add_verdict(struct app *app, cJSON *o)
{
	const char *tenant = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "tenant"));
	const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "controller_id"));
	struct ddi_device dev;
	struct ddi_explained x;

	if (!tenant || !cid || ddi_device_get(app, tenant, cid, &dev) < 0 ||
	    ddi_explain(app, &dev, ((struct admin *)app->domain)->set.max_running, &x) < 0)
		return;
	cJSON_AddStringToObject(o, "verdict", x.text);
	cJSON_AddStringToObject(o, "reason", ddi_verdict_key(x.v));
	/* an open action is an offer the device has already been told about */
	cJSON_AddBoolToObject(o, "offer", x.v == DDI_OFFER || x.open.id > 0);
	if (x.open.id > 0)
		cJSON_AddNumberToObject(o, "open_action", (double)x.open.id);
	if (x.cand.software_id > 0) {
		cJSON_AddStringToObject(o, "candidate", x.cand.version);
		cJSON_AddNumberToObject(o, "candidate_id", (double)x.cand.software_id);
	}
}

/* Adds "tags" as stored ("a,b": the form's value) and "tag_list" (["a", "b"]). */
static void add_tags(struct app *app, cJSON *o, long long id)
{
	char tags[256];
	cJSON *arr = cJSON_CreateArray();
	const char *t = tags;

	if (ddi_device_tags(app, id, tags, sizeof(tags)) < 0)
		*tags = '\0';
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
}

static cJSON *modes(const char *cur)
{
	static const char *const m[] = { "rollout", "latest", "assigned", "pinned", NULL };
	cJSON *arr = cJSON_CreateArray();
	int i;

	for (i = 0; m[i]; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", m[i]);
		cJSON_AddBoolToObject(o, "selected", cur && !strcmp(cur, m[i]));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The log of ?action=, else of the newest action; marks the one shown. */
static void add_log(struct app *app, struct http_req *r, cJSON *d, cJSON *actions)
{
	const char *p = query_get(&r->query, "action");
	long long want = p ? atoll(p) : 0, shown = 0;
	cJSON *a;

	cJSON_ArrayForEach(a, actions) {
		long long id = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "id"));
		if (!shown && (!want || id == want))
			shown = id;
		cJSON_AddBoolToObject(a, "shown", id == shown);
	}
	if (shown) {
		cJSON_AddNumberToObject(d, "log_action", (double)shown);
		cJSON_AddItemToObject(d, "log", admin_action_log(app, r, shown));
	}
}

void admin_device(struct app *app, struct http_req *r, struct http_resp *w)
{
	cJSON *dev = admin_dev_get(app, r, id_param(r), NULL, NULL), *d, *actions;
	const char *mode;

	if (!dev) {
		admin_fail(app, r, w, 404, "no such device");
		return;
	}
	add_verdict(app, dev);
	add_tags(app, dev, id_param(r));
	mode = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dev, "mode"));
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "modes", modes(mode));
	cJSON_AddItemToObject(d, "software", admin_sw_choices(app, (long long)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(dev, "assigned"))));
	actions = admin_dev_actions(app, r, id_param(r));
	add_log(app, r, d, actions);
	cJSON_AddItemToObject(d, "actions", actions);
	cJSON_AddItemToObject(d, "device", dev);
	if (query_get(&r->query, "done"))
		cJSON_AddStringToObject(d, "flash", query_get(&r->query, "done"));
	admin_page(app, r, w, 200, "device", "Device", d);
}

/* GET /admin/api/devices/:cid[?tenant=]: the device, its verdict and actions. */
void admin_api_device(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *tenant = query_get(&r->query, "tenant"), *cid = http_param(r, "cid");
	cJSON *dev;

	/* the one controller-id rule (ddi.h), so a bad id is a 400, not a lookup */
	if (!cid || !ddi_controller_id_ok(cid)) {
		admin_fail(app, r, w, 400, "a controller id is 1 to 256 bytes of UTF-8 without "
			   "whitespace, control characters or '/'");
		return;
	}
	if (tenant && *tenant &&
	    !admin_label_ok(tenant, sizeof(((struct ddi_device *)0)->tenant) - 1)) {
		admin_fail(app, r, w, 400, "tenant is 1 to 63 bytes without control characters");
		return;
	}
	dev = admin_dev_get(app, r, 0, tenant && *tenant ? tenant : "DEFAULT", cid);
	if (!dev) {
		admin_fail(app, r, w, 404, "no such device");
		return;
	}
	add_verdict(app, dev);
	add_tags(app, dev, (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dev, "id")));
	cJSON_AddItemToObject(dev, "actions", admin_dev_actions(app, r, (long long)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(dev, "id"))));
	admin_json(w, 200, dev);
}

static void back(struct http_req *r, struct http_resp *w, const char *done)
{
	http_redirect(w, arena_printf(r->a, "/admin/devices/%lld?done=%s", id_param(r), done));
}

void admin_device_mode(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *mode = query_get(&r->form, "mode"), *sw = query_get(&r->form, "software");
	struct ddi_software s;
	long v = 0;

	if (!mode || (strcmp(mode, "rollout") && strcmp(mode, "latest") &&
		      strcmp(mode, "assigned") && strcmp(mode, "pinned"))) {
		admin_fail(app, r, w, 400, "mode must be rollout, latest, assigned or pinned");
		return;
	}
	if (!strcmp(mode, "assigned") &&
	    (admin_int(sw, 1, 0x7fffffffL, &v) < 0 || ddi_software_get(app, v, &s) < 0)) {
		admin_fail(app, r, w, 400, "assigned mode needs a software from the list");
		return;
	}
	if (ddi_device_set_mode(app, id_param(r), mode, v) < 0) {
		admin_fail(app, r, w, 404, "no such device");
		return;
	}
	back(r, w, "mode+set");
}

void admin_device_feed(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *feed = query_get(&r->form, "feed");

	if (!admin_label_ok(feed, 63)) {
		admin_fail(app, r, w, 400, "a feed is 1-63 bytes without control characters");
		return;
	}
	if (ddi_device_set_field(app, id_param(r), "feed", feed) < 0) {
		admin_fail(app, r, w, 404, "no such device");
		return;
	}
	back(r, w, "feed+set");
}

void admin_device_force(struct app *app, struct http_req *r, struct http_resp *w)
{
	if (ddi_device_set_field(app, id_param(r), "force", "1") < 0) {
		admin_fail(app, r, w, 404, "no such device");
		return;
	}
	back(r, w, "update+forced");
}

void admin_device_cancel(struct app *app, struct http_req *r, struct http_resp *w)
{
	if (ddi_action_cancel(app, id_param(r)) < 0) {
		admin_fail(app, r, w, 409, "the device has no open action to cancel");
		return;
	}
	back(r, w, "cancel+requested");
}

/* Without confirm=yes the answer is a page asking for it. */
void admin_device_delete(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *confirm = query_get(&r->form, "confirm");
	cJSON *dev = admin_dev_get(app, r, id_param(r), NULL, NULL), *d;

	if (!dev) {
		admin_fail(app, r, w, 404, "no such device");
		return;
	}
	if (!confirm || strcmp(confirm, "yes")) {
		d = cJSON_CreateObject();
		cJSON_AddItemToObject(d, "device", dev);
		admin_page(app, r, w, 200, "device-delete", "Delete device", d);
		return;
	}
	cJSON_Delete(dev);
	if (ddi_device_delete(app, id_param(r)) < 0) {
		admin_fail(app, r, w, 404, "no such device");
		return;
	}
	http_redirect(w, "/admin/devices?done=device+deleted");
}
