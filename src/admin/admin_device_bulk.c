/*
 * POST /admin/devices/bulk: one action on the devices selected on the
 * list page (assign, set feed, set mode, cancel, delete).  The first
 * post answers a page that says what will happen to how many devices;
 * only its confirm=yes post changes them, all in one transaction.
 */
#include "admin_ddi.h"

#include <stdlib.h>
#include <string.h>

static const char *const ops[] = { "assign", "feed", "mode", "cancel", "delete", NULL };
static const char *const done_words[] = {
	"assigned+software+%lld+to+%ld+devices", "set+the+feed+of+%ld+devices",
	"set+the+mode+of+%ld+devices", "canceled+the+open+actions+of+%ld+devices",
	"deleted+%ld+devices",
};

/* The selection: every "id" field of the form, at most QUERY_MAX_PAIRS; -1 on a bad one. */
static int selected(struct http_req *r, long long *ids, int max)
{
	int i, n = 0;

	for (i = 0; i < r->form.n; i++) {
		if (strcmp(r->form.v[i].key, "id"))
			continue;
		if (!admin_id_ok(r->form.v[i].val) || n == max)
			return -1;
		ids[n++] = atoll(r->form.v[i].val);
	}
	return n;
}

static int op_of(const char *s)
{
	int i;

	for (i = 0; s && ops[i]; i++)
		if (!strcmp(s, ops[i]))
			return i;
	return -1;
}

/* "Delete 3 devices?": the devices listed, the same fields posted again with confirm=yes. */
static void ask(struct app *app, struct http_req *r, struct http_resp *w, int op,
		const long long *ids, int n)
{
	static const char *const verb[] = { "Assign software to", "Set the feed of",
					    "Set the mode of", "Cancel the open actions of",
					    "Delete" };
	const char *to = op == DDI_BULK_FEED ? query_get(&r->form, "feed") :
			 op == DDI_BULK_MODE ? query_get(&r->form, "mode") : NULL;
	cJSON *d = cJSON_CreateObject(), *devs = cJSON_CreateArray();
	int i;

	for (i = 0; i < n; i++) {
		cJSON *dev = admin_dev_get(app, r, ids[i], NULL, NULL);
		if (dev)
			cJSON_AddItemToArray(devs, dev);
	}
	cJSON_AddStringToObject(d, "question", arena_printf(r->a, "%s %d device%s%s%s?", verb[op],
							     n, n == 1 ? "" : "s", to ? " to " : "",
							     to ? to : ""));
	cJSON_AddStringToObject(d, "verb", verb[op]);
	cJSON_AddBoolToObject(d, "plural", n != 1);
	cJSON_AddNumberToObject(d, "count", n);
	cJSON_AddItemToObject(d, "devices", devs);
	cJSON_AddStringToObject(d, "action", ops[op]);
	cJSON_AddBoolToObject(d, "danger", op == DDI_BULK_DELETE || op == DDI_BULK_CANCEL);
	for (i = 0; i < r->form.n; i++)
		if (!strcmp(r->form.v[i].key, "feed") || !strcmp(r->form.v[i].key, "mode") ||
		    !strcmp(r->form.v[i].key, "software"))
			cJSON_AddStringToObject(d, r->form.v[i].key, r->form.v[i].val);
	admin_page(app, r, w, 200, "devices-bulk", "Confirm", d);
}

/* The request's refusal, or NULL: action, selection, software, feed. */
static const char *refused(struct http_req *r, int op, int n, long *sw)
{
	const char *feed = query_get(&r->form, "feed");

	if (op < 0)
		return "action must be assign, feed, mode, cancel or delete";
	if (n <= 0)
		return n < 0 ? "id must be device ids" : "select at least one device";
	if (op == DDI_BULK_ASSIGN && admin_int(query_get(&r->form, "software"), 1, 0x7fffffffL,
					       sw) < 0)
		return "assign needs a software from the list";
	if (op == DDI_BULK_FEED && !admin_label_ok(feed, DDI_FEED_MAX))
		return "a feed is 1-63 bytes without control characters";
	return NULL;
}

void admin_devices_bulk(struct app *app, struct http_req *r, struct http_resp *w)
{
	long long ids[QUERY_MAX_PAIRS];
	const char *confirm = query_get(&r->form, "confirm"), *why, *done;
	int op = op_of(query_get(&r->form, "action")), n = selected(r, ids, QUERY_MAX_PAIRS);
	long sw = 0, changed;
	struct nb_err e;

	if ((why = refused(r, op, n, &sw))) {
		admin_fail(app, r, w, 400, why);
		return;
	}
	if (!confirm || strcmp(confirm, "yes")) {
		ask(app, r, w, op, ids, n);
		return;
	}
	changed = ddi_device_bulk(app, (enum ddi_bulk_op)op, ids, n,
				  query_get(&r->form, op == DDI_BULK_FEED ? "feed" : "mode"), sw, &e);
	if (changed < 0) {
		admin_fail(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	done = op == DDI_BULK_ASSIGN ? arena_printf(r->a, done_words[op], (long long)sw, changed)
				     : arena_printf(r->a, done_words[op], changed);
	http_redirect(w, arena_cat(r->a, "/admin/devices?done=", done, NULL));
}
