/*
 * One rollout (admin_rollout.h): what happened on each device of its
 * feed, grouped by result, and the operator's controls over it.
 */
#include "admin_rollout.h"
#include "admin_audit.h"
#include "admin_ddi.h"

#include <stdio.h>
#include <string.h>

#define BAR_W 300

/* A rollout that stopped on a limit, not by an operator's hand. */
static int self_paused(const struct ddi_rollout *ro)
{
	return !strcmp(ro->state, "paused") && !strncmp(ro->pause_reason, "paused itself", 13);
}

static cJSON *head_json(struct arena *a, const struct ddi_rollout *ro)
{
	cJSON *o = cJSON_CreateObject();
	int ended = strcmp(ro->state, "running") && strcmp(ro->state, "paused");

	cJSON_AddNumberToObject(o, "id", (double)ro->id);
	cJSON_AddStringToObject(o, "name", ro->name);
	cJSON_AddStringToObject(o, "feed", ro->feed);
	cJSON_AddStringToObject(o, "state", ro->state);
	cJSON_AddBoolToObject(o, "paused", !strcmp(ro->state, "paused"));
	cJSON_AddBoolToObject(o, "self_paused", self_paused(ro));
	cJSON_AddBoolToObject(o, "ended", ended);
	cJSON_AddStringToObject(o, "pause_reason", ro->pause_reason);
	cJSON_AddNumberToObject(o, "software_id", (double)ro->software_id);
	cJSON_AddStringToObject(o, "version", ro->version);
	cJSON_AddNumberToObject(o, "percent", ro->percent);
	cJSON_AddNumberToObject(o, "max_failures", ro->max_failures);
	cJSON_AddNumberToObject(o, "max_failure_rate", ro->max_failure_rate);
	cJSON_AddStringToObject(o, "created", admin_when(a, ro->created));
	return o;
}

/* Progress over the devices that can take the software, and its bar. */
static cJSON *progress_json(const long long c[DDI_RG_N])
{
	static const char *const cls[] = { "ok", "bad", "open", "rest" };
	long long eligible = c[DDI_RG_SUCCEEDED] + c[DDI_RG_FAILED] + c[DDI_RG_RUNNING] +
			     c[DDI_RG_WAITING], cum = 0;
	cJSON *o = cJSON_CreateObject(), *bar = cJSON_AddArrayToObject(o, "bar");
	int i, x = 0;

	cJSON_AddNumberToObject(o, "eligible", (double)eligible);
	cJSON_AddNumberToObject(o, "not_eligible", (double)c[DDI_RG_NOT_ELIGIBLE]);
	cJSON_AddNumberToObject(o, "done_percent",
				eligible ? (double)(c[DDI_RG_SUCCEEDED] * 100 / eligible) : 0);
	for (i = 0; i < 4; i++) {
		cJSON *s = cJSON_CreateObject();
		int end;
		cum += c[i];
		end = eligible ? (int)(cum * BAR_W / eligible) : i == 3 ? BAR_W : 0;
		cJSON_AddStringToObject(s, "cls", cls[i]);
		cJSON_AddNumberToObject(s, "x", x);
		cJSON_AddNumberToObject(s, "w", end - x);
		cJSON_AddNumberToObject(s, "n", (double)c[i]);
		cJSON_AddStringToObject(s, "label", ddi_rollout_groups[i]);
		cJSON_AddItemToArray(bar, s);
		x = end;
	}
	return o;
}

static cJSON *dev_json(const struct ddi_rollout_dev *d)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)d->id);
	cJSON_AddStringToObject(o, "controller_id", d->cid);
	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddStringToObject(o, "version", d->version);
	cJSON_AddStringToObject(o, "note", d->note);
	/* offered: Unix s, 0 when it has no action of the rollout; an offer
	 * never answered is drawn with how long it has waited */
	cJSON_AddNumberToObject(o, "offered", (double)d->offered);
	cJSON_AddBoolToObject(o, "answered", d->answered);
	if (d->group == DDI_RG_WAITING && d->offered && !d->answered)
		cJSON_AddBoolToObject(o, "unanswered", 1);
	return o;
}

/* [{"key","name","count","devices":[...],"more"}] in ddi_rollout_groups order. */
static cJSON *groups_json(const struct ddi_rollout_dev *v, int n, const long long c[DDI_RG_N])
{
	static const char *const keys[] = { "succeeded", "failed", "running", "waiting",
					    "not_eligible" };
	cJSON *arr = cJSON_CreateArray();
	int g, i;

	for (g = 0; g < DDI_RG_N; g++) {
		cJSON *o = cJSON_CreateObject(), *devs = cJSON_CreateArray();
		long long shown = 0;
		for (i = 0; i < n; i++)
			if (v[i].group == g) {
				cJSON_AddItemToArray(devs, dev_json(&v[i]));
				shown++;
			}
		cJSON_AddStringToObject(o, "key", keys[g]);
		cJSON_AddStringToObject(o, "name", ddi_rollout_groups[g]);
		cJSON_AddNumberToObject(o, "count", (double)c[g]);
		cJSON_AddNumberToObject(o, "more", (double)(c[g] - shown));
		cJSON_AddBoolToObject(o, "any", shown > 0);
		cJSON_AddItemToObject(o, "devices", devs);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

cJSON *admin_rollout_json(struct app *app, struct arena *a, long long id, struct nb_err *e)
{
	struct ddi_rollout_dev *v = arena_alloc(a, sizeof(*v) * ADMIN_ROLLOUT_SHOWN);
	long long counts[DDI_RG_N];
	struct ddi_rollout ro;
	cJSON *d;
	int n;

	if (ddi_rollout_get(app, id, &ro, e) < 0)
		return NULL;
	n = ddi_rollout_devices(app, &ro, v, ADMIN_ROLLOUT_SHOWN, counts, e);
	if (n < 0)
		return NULL;
	d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "rollout", head_json(a, &ro));
	cJSON_AddItemToObject(d, "progress", progress_json(counts));
	cJSON_AddItemToObject(d, "groups", groups_json(v, n, counts));
	return d;
}

/* The page, with a message (flash), an error, or a question to confirm. */
static int show(struct app *app, struct http_req *r, struct http_resp *w, int status,
		const char *key, const char *msg, struct nb_err *e)
{
	long long id = req_int(r, "id", 0);
	cJSON *d = admin_rollout_json(app, r->a, id, e);

	if (!d)
		return -1;
	if (key && msg)
		cJSON_AddStringToObject(d, key, msg);
	/* the page's GET declares done; the limits POST shows the page too */
	if (!key && req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, status, "rollout", arena_printf(r->a, "Rollout %lld", id), d);
	return 0;
}

int admin_rollout_page_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	return show(app, r, w, 200, NULL, NULL, e);
}

/* A form number 0..hi, absent: keep; -1 when out of range. */
static int limit_of(struct http_req *r, const char *name, long long hi, int keep)
{
	long long v = req_int(r, name, keep);

	return v > hi ? -1 : (int)v;
}

/* Both doors: 0 when the limits were set, -1 with e. */
static int set_limits(struct app *app, struct http_req *r, struct nb_err *e)
{
	long long id = req_int(r, "id", 0);
	struct ddi_rollout ro;
	int mf, mfr;

	/* an absent limit is kept: a post with neither would change nothing
	 * and is refused rather than audited (issue 14) */
	if (!req_has(r, "max_failures") && !req_has(r, "max_failure_rate")) {
		admin_form_field(app, "max_failures");
		return nb_fail(e, NB_INVALID, "missing max_failures (or max_failure_rate)");
	}
	if (ddi_rollout_get(app, id, &ro, e) < 0)
		return -1;
	mf = limit_of(r, "max_failures", 1000000000LL, ro.max_failures);
	mfr = limit_of(r, "max_failure_rate", 100, ro.max_failure_rate);
	if (mf < 0 || mfr < 0)
		admin_form_field(app, mf < 0 ? "max_failures" : "max_failure_rate");
	if (mf < 0)
		return nb_fail(e, NB_INVALID, "invalid max_failures: at most 1000000000");
	if (mfr < 0)
		return nb_fail(e, NB_INVALID, "invalid max_failure_rate: a percentage 0-100");
	if (ddi_rollout_limits(app, id, mf, mfr, e) < 0)
		return -1;
	admin_audit(app, "rollout limits", "rollout %lld: pauses at %d failures or %d%%", id, mf,
		    mfr);
	return 0;
}

int admin_rollout_limits_run(struct app *app, struct http_req *r, struct http_resp *w,
			     struct nb_err *e)
{
	/* a refused limit: admin_run draws the page again (admin_form.c) */
	if (set_limits(app, r, e) < 0)
		return -1;
	http_redirect(w, arena_printf(r->a, "/admin/rollouts/%lld?done=limits+saved",
				      req_int(r, "id", 0)));
	return 0;
}

/* Cancel or finish; 0 with *withdrawn, or -1 with e. */
static int end(struct app *app, struct http_req *r, const char *state, int *withdrawn,
	       struct nb_err *e)
{
	long long id = req_int(r, "id", 0);

	if (ddi_rollout_end(app, id, state, withdrawn, e) < 0)
		return -1;
	admin_audit(app, !strcmp(state, "canceled") ? "rollout cancel" : "rollout finish",
		    "rollout %lld (%d offers withdrawn)", id, *withdrawn);
	return 0;
}

/* The page asks before it ends a rollout: the form says confirm=yes. */
static int end_page(struct app *app, struct http_req *r, struct http_resp *w,
		    const char *state, const char *verb, struct nb_err *e)
{
	int withdrawn;

	if (!req_int(r, "confirm", 0))
		return show(app, r, w, 200, "ask", verb, e);
	if (end(app, r, state, &withdrawn, e) < 0)
		return -1;
	http_redirect(w, arena_printf(r->a, "/admin/rollouts/%lld?done=rollout+%s,+%d+offers+"
				      "withdrawn", req_int(r, "id", 0), state, withdrawn));
	return 0;
}

int admin_rollout_cancel_run(struct app *app, struct http_req *r, struct http_resp *w,
			     struct nb_err *e)
{
	return end_page(app, r, w, "canceled", "cancel", e);
}

int admin_rollout_finish_run(struct app *app, struct http_req *r, struct http_resp *w,
			     struct nb_err *e)
{
	return end_page(app, r, w, "finished", "finish", e);
}

static int api_detail(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e)
{
	cJSON *d = admin_rollout_json(app, r->a, req_int(r, "id", 0), e);

	if (!d)
		return -1;
	admin_json(w, 200, d);
	return 0;
}

int admin_api_rollout_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	return api_detail(app, r, w, e);
}

int admin_api_rollout_limits_run(struct app *app, struct http_req *r, struct http_resp *w,
				 struct nb_err *e)
{
	return set_limits(app, r, e) < 0 ? -1 : api_detail(app, r, w, e);
}

int admin_api_rollout_cancel_run(struct app *app, struct http_req *r, struct http_resp *w,
				 struct nb_err *e)
{
	int withdrawn;

	return end(app, r, "canceled", &withdrawn, e) < 0 ? -1 : api_detail(app, r, w, e);
}

int admin_api_rollout_finish_run(struct app *app, struct http_req *r, struct http_resp *w,
				 struct nb_err *e)
{
	int withdrawn;

	return end(app, r, "finished", &withdrawn, e) < 0 ? -1 : api_detail(app, r, w, e);
}
