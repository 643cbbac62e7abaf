/*
 * Rollouts: the list with a progress bar per rollout, create, pause,
 * resume and stage; as a page and as the token API.  The bar is an SVG
 * drawn by the template from numbers computed here (no markup built in C).
 */
#include "admin_ddi.h"
#include "admin_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAR_W 300

/* Feed sizes already counted in this request: rollouts often share a feed. */
struct feed_cache {
	const char *feed[64];
	long long n[64];
	int used;
};

static long long feed_devices(struct app *app, struct feed_cache *fc, const char *feed)
{
	int i;

	for (i = 0; i < fc->used; i++)
		if (!strcmp(fc->feed[i], feed))
			return fc->n[i];
	if (fc->used == 64)
		return admin_feed_rollout_devices(app, feed);
	fc->feed[fc->used] = feed;
	return fc->n[fc->used++] = admin_feed_rollout_devices(app, feed);
}

/* Four segments, success, failure, open, remaining, each at least its share. */
static cJSON *bar(const long long v[4])
{
	static const char *const cls[] = { "ok", "bad", "open", "rest" };
	static const char *const what[] = { "succeeded", "failed", "open", "remaining" };
	long long total = v[0] + v[1] + v[2] + v[3], cum = 0;
	cJSON *arr = cJSON_CreateArray();
	int i, x = 0;

	for (i = 0; i < 4; i++) {
		cJSON *o = cJSON_CreateObject();
		int end;
		cum += v[i];
		/* an empty rollout is all remaining (grey) */
		end = total ? (int)(cum * BAR_W / total) : i == 3 ? BAR_W : 0;
		cJSON_AddStringToObject(o, "cls", cls[i]);
		cJSON_AddNumberToObject(o, "x", x);
		cJSON_AddNumberToObject(o, "w", end - x);
		cJSON_AddNumberToObject(o, "n", (double)v[i]);
		cJSON_AddStringToObject(o, "label", what[i]);
		cJSON_AddItemToArray(arr, o);
		x = end;
	}
	return arr;
}

static cJSON *rollout_json(struct app *app, struct http_req *r, struct feed_cache *fc,
			   const struct ddi_rollout *ro)
{
	cJSON *o = cJSON_CreateObject();
	long long devices = feed_devices(app, fc, ro->feed);
	long long v[4] = { ro->success, ro->failure, ro->open, 0 };

	v[3] = devices - v[0] - v[1] - v[2];
	if (v[3] < 0)
		v[3] = 0;
	cJSON_AddNumberToObject(o, "id", (double)ro->id);
	cJSON_AddStringToObject(o, "name", ro->name);
	cJSON_AddStringToObject(o, "feed", ro->feed);
	cJSON_AddStringToObject(o, "state", ro->state);
	cJSON_AddBoolToObject(o, "paused", !strcmp(ro->state, "paused"));
	cJSON_AddNumberToObject(o, "software_id", (double)ro->software_id);
	cJSON_AddStringToObject(o, "version", ro->version);
	cJSON_AddNumberToObject(o, "percent", ro->percent);
	cJSON_AddNumberToObject(o, "max_failures", ro->max_failures);
	cJSON_AddNumberToObject(o, "max_failure_rate", ro->max_failure_rate);
	cJSON_AddNumberToObject(o, "success", (double)ro->success);
	cJSON_AddNumberToObject(o, "failure", (double)ro->failure);
	cJSON_AddNumberToObject(o, "open", (double)ro->open);
	cJSON_AddNumberToObject(o, "devices", (double)devices);
	cJSON_AddNumberToObject(o, "remaining", (double)v[3]);
	cJSON_AddStringToObject(o, "pause_reason", ro->pause_reason);
	cJSON_AddStringToObject(o, "created", admin_when(r->a, ro->created));
	cJSON_AddItemToObject(o, "bar", bar(v));
	return o;
}

static cJSON *rollout_rows(struct app *app, struct http_req *r, long off, long per)
{
	struct ddi_rollout *v = arena_alloc(r->a, sizeof(*v) * (size_t)per);
	struct feed_cache *fc = arena_zalloc(r->a, sizeof(*fc));
	int n = ddi_rollout_list(app, v, (int)per, (int)off), i;
	cJSON *arr = cJSON_CreateArray();

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, rollout_json(app, r, fc, &v[i]));
	return arr;
}

static void rollouts_page(struct app *app, struct http_req *r, struct http_resp *w,
			  int status, const char *error)
{
	const struct admin *ad = app->domain;
	cJSON *d = cJSON_CreateObject();
	long per = admin_page_size(app);
	long off = admin_paginate(app, r, d, "page", "rollouts", admin_rollout_count(app));

	cJSON_AddItemToObject(d, "rollouts", rollout_rows(app, r, off, per));
	cJSON_AddItemToObject(d, "software", admin_sw_choices(app, 0));
	cJSON_AddNumberToObject(d, "default_max_failures",
				(double)ad->set.rollout_max_failures);
	cJSON_AddNumberToObject(d, "default_max_failure_rate",
				(double)ad->set.rollout_max_failure_rate);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	if (query_get(&r->query, "done"))
		cJSON_AddStringToObject(d, "flash", query_get(&r->query, "done"));
	admin_page(app, r, w, status, "rollouts", "Rollouts", d);
}

void admin_rollouts(struct app *app, struct http_req *r, struct http_resp *w)
{
	rollouts_page(app, r, w, 200, NULL);
}

/* Unset failure limits (-1) take the configured defaults. */
static long long create(struct app *app, struct ddi_rollout *ro, char *err, size_t n)
{
	const struct admin *ad = app->domain;

	if (ro->max_failures < 0)
		ro->max_failures = ad->set.rollout_max_failures;
	if (ro->max_failure_rate < 0)
		ro->max_failure_rate = (int)ad->set.rollout_max_failure_rate;
	{
		struct nb_err e;
		long long id = ddi_rollout_create(app, ro, &e);

		if (id < 0)
			snprintf(err, n, "%.*s", (int)n - 1, e.msg);
		return id;
	}
}

/* A form number: empty means dflt; -2 when malformed. */
static long form_num(struct http_req *r, const char *k, long lo, long hi, long dflt)
{
	const char *s = query_get(&r->form, k);
	long v;

	if (!s || !*s)
		return dflt;
	return admin_int(s, lo, hi, &v) < 0 ? -2 : v;
}

/*
 * A rollout on a feed with no device that follows rollouts offers nothing
 * (often a misspelt feed): the form must say confirm_empty=yes.  1 to go
 * on; 0 when the page asking for it was answered.
 */
static int confirmed_empty(struct app *app, struct http_req *r, struct http_resp *w,
			   const char *feed)
{
	const char *c = query_get(&r->form, "confirm_empty");

	if (admin_feed_rollout_devices(app, feed) > 0 || (c && !strcmp(c, "yes")))
		return 1;
	rollouts_page(app, r, w, 409, arena_printf(r->a, "feed %s has no devices in rollout "
		      "mode, so nothing would be offered: check the feed's name, or tick "
		      "\"create it anyway\"", feed));
	return 0;
}

void admin_rollout_create(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *feed = query_get(&r->form, "feed"), *name = query_get(&r->form, "name");
	struct ddi_rollout ro = { 0 };
	char err[256];
	long sid = form_num(r, "software", 1, 0x7fffffffL, -2);
	long pct = form_num(r, "percent", 1, 100, 100);
	long mf = form_num(r, "max_failures", 0, 1000000000L, -1);
	long mfr = form_num(r, "max_failure_rate", 0, 100, -1);
	long long id;

	if (!admin_label_ok(feed, 63) || (name && *name && !admin_label_ok(name, 127)) ||
	    sid < 0 || pct < 0 || mf < -1 || mfr < -1) {
		rollouts_page(app, r, w, 400, "a rollout needs a feed (1-63 bytes), a software, "
			      "a percentage 1-100 and failure limits of 0 or more");
		return;
	}
	if (!confirmed_empty(app, r, w, feed))
		return;
	snprintf(ro.feed, sizeof(ro.feed), "%s", feed);
	snprintf(ro.name, sizeof(ro.name), "%s", name ? name : "");
	ro.software_id = sid;
	ro.percent = (int)pct;
	ro.max_failures = (int)mf;
	ro.max_failure_rate = (int)mfr;
	id = create(app, &ro, err, sizeof(err));
	if (id < 0) {
		rollouts_page(app, r, w, 400, err);
		return;
	}
	admin_audit(app, "rollout create", "rollout %lld: %s on feed %s at %d%%", id,
		    *ro.name ? ro.name : "(software's name)", ro.feed, ro.percent);
	http_redirect(w, arena_printf(r->a, "/admin/rollouts?done=rollout+%lld+created", id));
}

static long long rid(struct http_req *r)
{
	return atoll(http_param(r, "id"));
}

/* A change refused: no such rollout (404), or one that ended (409). */
static void state_refused(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi_rollout ro;

	if (ddi_rollout_get(app, rid(r), &ro) < 0)
		admin_fail(app, r, w, 404, "no such rollout");
	else
		admin_fail(app, r, w, 409, arena_printf(r->a, "rollout %lld is %s: it changes no "
			   "more", ro.id, ro.state));
}

static void set_state(struct app *app, struct http_req *r, struct http_resp *w,
		      const char *state)
{
	if (ddi_rollout_set_state(app, rid(r), state) < 0) {
		state_refused(app, r, w);
		return;
	}
	admin_audit(app, !strcmp(state, "paused") ? "rollout pause" : "rollout resume",
		    "rollout %lld", rid(r));
	http_redirect(w, arena_printf(r->a, "/admin/rollouts?done=rollout+%lld+%s", rid(r),
				      !strcmp(state, "paused") ? "paused" : "resumed"));
}

void admin_rollout_pause(struct app *app, struct http_req *r, struct http_resp *w)
{
	set_state(app, r, w, "paused");
}

void admin_rollout_resume(struct app *app, struct http_req *r, struct http_resp *w)
{
	set_state(app, r, w, "running");
}

void admin_rollout_stage(struct app *app, struct http_req *r, struct http_resp *w)
{
	long pct = form_num(r, "percent", 1, 100, -2);

	if (pct < 0) {
		admin_fail(app, r, w, 400, "the stage is a percentage 1-100");
		return;
	}
	if (ddi_rollout_stage(app, rid(r), (int)pct) < 0) {
		state_refused(app, r, w);
		return;
	}
	admin_audit(app, "rollout stage", "rollout %lld at %ld%%", rid(r), pct);
	http_redirect(w, arena_printf(r->a, "/admin/rollouts?done=rollout+%lld+at+%ld%%25",
				      rid(r), pct));
}

void admin_api_rollouts(struct app *app, struct http_req *r, struct http_resp *w)
{
	admin_json(w, 200, rollout_rows(app, r, 0, 1000));
}

/* The rollout as the list shows it, after a change. */
static void api_one(struct app *app, struct http_req *r, struct http_resp *w, int status,
		    long long id)
{
	struct feed_cache *fc = arena_zalloc(r->a, sizeof(*fc));
	struct ddi_rollout ro;

	if (ddi_rollout_get(app, id, &ro) < 0) {
		admin_fail(app, r, w, 404, "no such rollout");
		return;
	}
	admin_json(w, status, rollout_json(app, r, fc, &ro));
}

static const char *json_body(struct app *app, struct http_req *r, struct http_resp *w,
			     size_t *len)
{
	char *body;
	int st = http_read_body(r, 65536, &body, len);

	if (st) {
		admin_fail(app, r, w, st, st == 413 ? "body too large" : "a JSON body is required");
		return NULL;
	}
	return body;
}

void admin_api_rollout_create(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi_rollout ro;
	const char *body, *perr;
	char err[256];
	size_t len;
	long long id;

	if (!(body = json_body(app, r, w, &len)))
		return;
	if (admin_rollout_parse(body, len, &ro, &perr) < 0) {
		admin_fail(app, r, w, 400, perr);
		return;
	}
	id = create(app, &ro, err, sizeof(err));
	if (id < 0) {
		admin_fail(app, r, w, 400, err);
		return;
	}
	admin_audit(app, "rollout create", "rollout %lld: %s on feed %s at %d%%", id,
		    *ro.name ? ro.name : "(software's name)", ro.feed, ro.percent);
	api_one(app, r, w, 201, id);
}

static void api_state(struct app *app, struct http_req *r, struct http_resp *w,
		      const char *state)
{
	if (ddi_rollout_set_state(app, rid(r), state) < 0) {
		state_refused(app, r, w);
		return;
	}
	admin_audit(app, !strcmp(state, "paused") ? "rollout pause" : "rollout resume",
		    "rollout %lld", rid(r));
	api_one(app, r, w, 200, rid(r));
}

void admin_api_rollout_pause(struct app *app, struct http_req *r, struct http_resp *w)
{
	api_state(app, r, w, "paused");
}

void admin_api_rollout_resume(struct app *app, struct http_req *r, struct http_resp *w)
{
	api_state(app, r, w, "running");
}

void admin_api_rollout_stage(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *body, *perr;
	size_t len;
	int pct;

	if (!(body = json_body(app, r, w, &len)))
		return;
	if (admin_stage_parse(body, len, &pct, &perr) < 0) {
		admin_fail(app, r, w, 400, perr);
		return;
	}
	if (ddi_rollout_stage(app, rid(r), pct) < 0) {
		state_refused(app, r, w);
		return;
	}
	admin_audit(app, "rollout stage", "rollout %lld at %d%%", rid(r), pct);
	api_one(app, r, w, 200, rid(r));
}
