/*
 * POST /admin/devices/bulk: one action on the devices selected on the
 * list page (assign, set feed, set mode, cancel, delete).  The first
 * post answers a page that says what will happen to how many devices;
 * only its confirm=yes post changes them, all in one transaction.
 */
#include "admin_ddi.h"
#include "admin_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const admin_bulk_ops[] = { "assign", "feed", "mode", "cancel", "delete", NULL };
static const char *const done_words[] = {
	"assigned+software+%lld+to+%ld+devices", "set+the+feed+of+%ld+devices",
	"set+the+mode+of+%ld+devices", "canceled+the+open+actions+of+%ld+devices",
	"deleted+%ld+devices",
};

/* the form takes a full page (admin.page_size, at most 1000, admin_settings.c)
 * of ids beside its other fields, or a page's "select all" would be refused */
_Static_assert(QUERY_MAX_PAIRS >= 1000 + 8, "the bulk form's fields must fit a query");

/* 1 when id is among the n of ids: a repeated id is one device (issue 14:
 * "id=26&id=26&id=26" was counted and audited as three). */
static int already(const long long *ids, int n, long long id)
{
	while (n-- > 0)
		if (ids[n] == id)
			return 1;
	return 0;
}

/*
 * The selection: every distinct "id" of the form (devices_bulk_in declares
 * it REQ_REPEAT: the router checked each one), at most max.  A count, or
 * -1 with e NB_TOO_LARGE.
 */
static int selected(struct app *app, struct http_req *r, long long *ids, int max,
		    struct nb_err *e)
{
	struct req_value v;
	int pos = 0, n = 0;

	while (req_each(app, r, "id", &pos, &v)) {
		if (n == max)
			return nb_fail(e, NB_TOO_LARGE, "at most %d devices at once", max);
		if (!already(ids, n, v.i))
			ids[n++] = v.i;
	}
	return n;
}

/* The feed or mode the action sets, or NULL. */
static const char *target(struct http_req *r, int op)
{
	return op == DDI_BULK_FEED ? req_str(r, "feed") :
	       op == DDI_BULK_MODE && req_has(r, "mode") ? admin_dev_modes[req_int(r, "mode", 0)] :
	       NULL;
}

/*
 * The selected devices still there, as the pages list them (a device
 * deleted meanwhile is left out); NULL with e when the store cannot say.
 */
static cJSON *devices_of(struct app *app, struct http_req *r, const long long *ids, int n,
			 struct nb_err *e)
{
	cJSON *arr = cJSON_CreateArray();
	int i;

	for (i = 0; i < n; i++) {
		struct nb_err miss;
		cJSON *dev = admin_dev_get(app, r, ids[i], NULL, NULL, &miss);
		if (dev) {
			cJSON_AddItemToArray(arr, dev);
		} else if (miss.kind != NB_NOT_FOUND) {
			*e = miss;
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

/* "Delete 3 devices?": the devices listed, the same fields posted again with confirm=yes. */
static int ask(struct app *app, struct http_req *r, struct http_resp *w, int op,
	       const long long *ids, int n, struct nb_err *e)
{
	static const char *const verb[] = { "Assign software to", "Set the feed of",
					    "Set the mode of", "Cancel the open actions of",
					    "Delete" };
	static const char *const echoed[] = { "feed", "mode", "software", NULL };
	const char *to = target(r, op);
	cJSON *d, *devs = devices_of(app, r, ids, n, e);
	int i;

	if (!devs)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "question", arena_printf(r->a, "%s %d device%s%s%s?", verb[op],
							     n, n == 1 ? "" : "s", to ? " to " : "",
							     to ? to : ""));
	cJSON_AddStringToObject(d, "verb", verb[op]);
	cJSON_AddBoolToObject(d, "plural", n != 1);
	cJSON_AddNumberToObject(d, "count", n);
	cJSON_AddItemToObject(d, "devices", devs);
	cJSON_AddStringToObject(d, "action", admin_bulk_ops[op]);
	cJSON_AddBoolToObject(d, "danger", op == DDI_BULK_DELETE || op == DDI_BULK_CANCEL);
	for (i = 0; echoed[i]; i++)
		if (req_has(r, echoed[i]))
			cJSON_AddStringToObject(d, echoed[i], req_str(r, echoed[i]));
	admin_page(app, r, w, 200, "devices-bulk", "Confirm", d);
	return 0;
}

/* 0 when the action has what it needs (n devices selected, its target);
 * else -1 with e NB_INVALID saying what it lacks, the message shown beside
 * the form field it is about ("id": the selection). */
static int refused(struct app *app, struct http_req *r, int op, int n, struct nb_err *e)
{
	const char *field = n == 0 ? "id" : op == DDI_BULK_ASSIGN ? "software" :
			    op == DDI_BULK_MODE ? "mode" : "feed";
	const char *why = NULL;

	if (n == 0)
		why = "select at least one device";
	else if (op == DDI_BULK_ASSIGN && !req_has(r, "software"))
		why = "assign needs a software from the list";
	else if (op == DDI_BULK_MODE && !req_has(r, "mode"))
		why = "missing mode: set mode needs a mode from the list";
	else if (op == DDI_BULK_FEED && !req_has(r, "feed"))
		why = "a feed is 1-63 bytes without control characters";
	if (!why)
		return 0;
	admin_form_field(app, field);
	return nb_fail(e, NB_INVALID, "%s", why);
}

/* The raw selection of a refused form (its ids may be what was refused):
 * the well-formed ones, for the form drawn again. */
static cJSON *kept_ids(struct app *app, struct http_req *r, struct nb_err *e)
{
	long long *ids = arena_alloc(r->a, sizeof(*ids) * QUERY_MAX_PAIRS);
	struct req_value v;
	int pos = 0, n = 0;

	/* a refused form's ids that pass the rule (req_each leaves the others out) */
	while (n < QUERY_MAX_PAIRS && req_each(app, r, "id", &pos, &v))
		if (!already(ids, n, v.i))
			ids[n++] = v.i;
	return devices_of(app, r, ids, n, e);
}

/*
 * The bulk form drawn again after a refusal (admin_form.c): the devices
 * still selected, the action's fields with the message beside the one
 * refused and what was chosen kept; it posts to the question again.
 */
int admin_devices_bulk_again_run(struct app *app, struct http_req *r, struct http_resp *w,
				 struct nb_err *e)
{
	const struct admin *ad = app->domain;
	/* what was chosen, as typed: the refusal may be about any of them */
	const char *action = req_typed(r, "action"), *mode = req_typed(r, "mode");
	struct req_value sw = { 0 };
	int i = 0;
	cJSON *choices, *devs, *d, *ops, *modes;

	req_each(app, r, "software", &i, &sw);	/* the software chosen, if it is one */
	choices = admin_sw_choices(app, r, sw.i, e);
	if (!choices)
		return -1;
	if (!(devs = kept_ids(app, r, e))) {
		cJSON_Delete(choices);
		return -1;
	}
	d = cJSON_CreateObject();
	ops = cJSON_AddArrayToObject(d, "ops");
	modes = cJSON_AddArrayToObject(d, "modes");
	for (i = 0; admin_bulk_ops[i]; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", admin_bulk_ops[i]);
		cJSON_AddBoolToObject(o, "selected", action && !strcmp(action, admin_bulk_ops[i]));
		cJSON_AddItemToArray(ops, o);
	}
	for (i = 0; admin_dev_modes[i]; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", admin_dev_modes[i]);
		cJSON_AddBoolToObject(o, "selected", mode && !strcmp(mode, admin_dev_modes[i]));
		cJSON_AddItemToArray(modes, o);
	}
	cJSON_AddItemToObject(d, "software", choices);
	cJSON_AddItemToObject(d, "devices", devs);
	/* drawn only as a refusal (admin_form_again): the status of its kind,
	 * NB_INVALID or NB_CONFLICT, never one of its own */
	admin_page_err(app, r, w, &(struct nb_err){ ad->form_kind, "" }, "devices-bulk",
		       "Bulk action", d);
	return 0;
}

/* Devices named in a bulk action's audit row; the rest are counted. */
#define BULK_NAMED 5

/*
 * "dev-1, dev-2, …": the controller ids of the first BULK_NAMED of ids
 * still there, read before the change (a delete leaves none to read);
 * NULL with e when the store cannot say.
 */
static const char *bulk_names(struct app *app, struct http_req *r, const long long *ids,
			      int n, struct nb_err *e)
{
	struct buf b;
	int i, named = 0;

	buf_init(&b, r->a);
	for (i = 0; i < n && named < BULK_NAMED; i++) {
		struct ddi_fleet_device d;
		int rc = ddi_fleet_device(app, r->a, ids[i], NULL, NULL, &d, e);
		if (rc < 0)
			return NULL;
		if (rc == 1)
			buf_printf(&b, "%s%s", named++ ? ", " : "", d.cid);
	}
	if (i < n)
		buf_adds(&b, ", …");
	return buf_cstr(&b);
}

const char *admin_bulk_said(struct app *app, struct arena *a, int op, long long sw_id,
			    const char *to, long changed, const char *names)
{
	const char *devs = changed == 1 ? "device" : "devices";
	struct ddi_software sw;

	if (op == DDI_BULK_ASSIGN) {
		if (ddi_software_get(app, sw_id, &sw, NULL) < 0)
			snprintf(sw.name, sizeof(sw.name), "%s", "gone");
		return arena_printf(a, "assign software %lld (%s%s%s) to %ld %s: %s", sw_id,
				    sw.name, *sw.version ? " " : "", sw.version, changed, devs, names);
	}
	if (op == DDI_BULK_FEED || op == DDI_BULK_MODE)
		return arena_printf(a, "set %s %s on %ld %s: %s",
				    op == DDI_BULK_FEED ? "feed" : "mode", to, changed, devs, names);
	return arena_printf(a, "%s %ld %s: %s", op == DDI_BULK_CANCEL ?
			    "cancel the open actions of" : "delete", changed, devs, names);
}

int admin_devices_bulk_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	long long *ids = arena_alloc(r->a, sizeof(*ids) * QUERY_MAX_PAIRS);
	long long sw = req_int(r, "software", 0);
	int op = (int)req_int(r, "action", 0), n = selected(app, r, ids, QUERY_MAX_PAIRS, e);
	const char *done, *names;
	long changed;

	if (n < 0) {
		admin_form_field(app, "id");
		return -1;
	}
	if (refused(app, r, op, n, e) < 0)
		return -1;
	if (!req_int(r, "confirm", 0))
		return ask(app, r, w, op, ids, n, e);
	if (!(names = bulk_names(app, r, ids, n, e)))
		return -1;
	changed = ddi_device_bulk(app, (enum ddi_bulk_op)op, ids, n, target(r, op), sw, e);
	if (changed < 0)
		return -1;
	admin_audit(app, arena_printf(r->a, "devices %s", admin_bulk_ops[op]), "%s",
		    admin_bulk_said(app, r->a, op, sw, target(r, op), changed, names));
	done = op == DDI_BULK_ASSIGN ? arena_printf(r->a, done_words[op], sw, changed)
				     : arena_printf(r->a, done_words[op], changed);
	http_redirect(w, arena_cat(r->a, "/admin/devices?done=", done, NULL));
	return 0;
}
