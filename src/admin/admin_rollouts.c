/*
 * Rollouts: the list with a progress bar per rollout and create; as a
 * page and as the token API.  Pause, resume and stage of one rollout are
 * admin_rollout_state.c's.  The bar is an SVG
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

/* The devices of feed that follow rollouts; -1 with e. */
static long long feed_devices(struct app *app, struct feed_cache *fc, const char *feed,
			      struct nb_err *e)
{
	long long n;
	int i;

	for (i = 0; i < fc->used; i++)
		if (!strcmp(fc->feed[i], feed))
			return fc->n[i];
	n = ddi_fleet_feed_rollout_devices(app, feed, e);
	if (n >= 0 && fc->used < 64) {
		fc->feed[fc->used] = feed;
		fc->n[fc->used++] = n;
	}
	return n;
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

/* A row's refused stage form drawn again (admin_form.c's f_stage): its
 * message and the percent as typed, on the row of the rollout it was for. */
static void stage_again(struct app *app, struct http_req *r, long long id, cJSON *o)
{
	const struct admin *ad = app->domain;
	const char *typed;

	if (!ad->form_key || strcmp(ad->form_key, "f_stage") || req_int(r, "id", 0) != id)
		return;
	typed = req_typed(r, "percent");
	cJSON_AddStringToObject(o, "stage_err", ad->form_msg);
	cJSON_AddStringToObject(o, "stage_typed", typed ? typed : "");
}

/* One rollout of the list; NULL with e when its feed cannot be counted. */
static cJSON *rollout_json(struct app *app, struct http_req *r, struct feed_cache *fc,
			   const struct ddi_rollout *ro, struct nb_err *e)
{
	long long devices = feed_devices(app, fc, ro->feed, e);
	long long v[4] = { ro->success, ro->failure, ro->open, 0 };
	cJSON *o;

	if (devices < 0)
		return NULL;
	o = cJSON_CreateObject();
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
	stage_again(app, r, ro->id, o);
	return o;
}

/* Rollouts off.. (at most per) as the list shows them; NULL with e
 * NB_UNAVAILABLE when the store cannot be read (never an empty list). */
static cJSON *rollout_rows(struct app *app, struct http_req *r, long off, long per,
			   struct nb_err *e)
{
	struct ddi_rollout *v = arena_alloc(r->a, sizeof(*v) * (size_t)per);
	struct feed_cache *fc = arena_zalloc(r->a, sizeof(*fc));
	int n = ddi_rollout_list(app, v, (int)per, (int)off, e), i;
	cJSON *arr, *o;

	if (n < 0)
		return NULL;
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		if (!(o = rollout_json(app, r, fc, &v[i], e))) {
			cJSON_Delete(arr);
			return NULL;
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* A refused stage form for a rollout not on this page of the list: its
 * message atop the page, so it is never lost.  Returns rows. */
static cJSON *stage_shown(struct app *app, cJSON *rows, cJSON *d)
{
	const struct admin *ad = app->domain;
	cJSON *row;

	if (!ad->form_key || strcmp(ad->form_key, "f_stage"))
		return rows;
	cJSON_ArrayForEach(row, rows)
		if (cJSON_HasObjectItem(row, "stage_err"))
			return rows;
	cJSON_AddStringToObject(d, "error", ad->form_msg);
	return rows;
}

/* The list, and the create form (drawn again when refused: admin_form.c);
 * 0, or -1 with e when the store cannot be read (a 503 page). */
static int rollouts_page(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	const struct admin *ad = app->domain;
	long long n = ddi_fleet_rollout_count(app, e);
	cJSON *d, *rows, *sw = NULL;

	if (n < 0)
		return -1;
	d = cJSON_CreateObject();
	rows = rollout_rows(app, r, admin_paginate(app, r, d, "page", "rollouts", (long)n),
			    admin_page_size(app), e);
	/* a create form drawn again keeps the software chosen (admin_form.c) */
	if (!rows || !(sw = admin_sw_choices(app, r, req_has(r, "software") ?
					     req_int(r, "software", 0) : 0, e))) {
		cJSON_Delete(rows);
		cJSON_Delete(d);
		return -1;
	}
	cJSON_AddItemToObject(d, "rollouts", stage_shown(app, rows, d));
	cJSON_AddItemToObject(d, "software", sw);
	cJSON_AddNumberToObject(d, "default_max_failures",
				(double)ad->set.rollout_max_failures);
	cJSON_AddNumberToObject(d, "default_max_failure_rate",
				(double)ad->set.rollout_max_failure_rate);
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, 200, "rollouts", "Rollouts", d);
	return 0;
}

int admin_rollouts_run(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	return rollouts_page(app, r, w, e);
}

/* Creates ro, its unset failure limits (-1) taking the configured
 * defaults, and writes it to the audit feed.  The id, or -1 with e. */
static long long create(struct app *app, struct ddi_rollout *ro, struct nb_err *e)
{
	const struct admin *ad = app->domain;
	long long id;

	if (ro->max_failures < 0)
		ro->max_failures = ad->set.rollout_max_failures;
	if (ro->max_failure_rate < 0)
		ro->max_failure_rate = (int)ad->set.rollout_max_failure_rate;
	id = ddi_rollout_create(app, ro, e);
	/* a creation the store refuses (no such software, ...) is the
	 * request's fault: 400, as it always answered; busy stays busy */
	if (id < 0 && e && e->kind != NB_UNAVAILABLE && e->kind != NB_INTERNAL)
		e->kind = NB_INVALID;
	if (id >= 0)
		admin_audit(app, "rollout create", "rollout %lld: %s on feed %s at %d%%", id,
			    *ro->name ? ro->name : "(software's name)", ro->feed, ro->percent);
	return id;
}

int admin_rollout_feed_check(struct app *app, const char *feed, int confirmed,
			     const char *how, struct nb_err *e)
{
	long long n = confirmed ? 1 : ddi_fleet_feed_rollout_devices(app, feed, e);

	if (n < 0)
		return -1;	/* the store's error (503), not an empty feed */
	if (n > 0)
		return 0;
	return nb_fail(e, NB_CONFLICT, "feed %s has no devices in rollout mode, so nothing "
		       "would be offered: check the feed's name, or %s", feed, how);
}

/* The form's side of admin_rollout_feed_check: confirm_empty=yes is the
 * "create it anyway" box; its refusal is drawn beside the feed. */
static int confirmed_empty(struct app *app, struct http_req *r, const char *feed,
			   struct nb_err *e)
{
	if (admin_rollout_feed_check(app, feed, (int)req_int(r, "confirm_empty", 0),
				     "tick \"create it anyway\"", e) == 0)
		return 0;
	admin_form_field(app, "feed");
	return -1;
}

int admin_rollout_create_run(struct app *app, struct http_req *r, struct http_resp *w,
			     struct nb_err *e)
{
	const char *feed = req_str(r, "feed"), *name = req_str(r, "name");
	struct ddi_rollout ro = { 0 };
	long long id;

	if (confirmed_empty(app, r, feed, e) < 0)
		return -1;
	snprintf(ro.feed, sizeof(ro.feed), "%s", feed);
	snprintf(ro.name, sizeof(ro.name), "%s", name ? name : "");
	ro.software_id = req_int(r, "software", 0);
	ro.percent = (int)req_int(r, "percent", 100);
	ro.max_failures = (int)req_int(r, "max_failures", -1);
	ro.max_failure_rate = (int)req_int(r, "max_failure_rate", -1);
	id = create(app, &ro, e);
	if (id < 0) {
		/* the store judges what the router could not: the software */
		admin_form_field(app, "software");
		return -1;
	}
	http_redirect(w, arena_printf(r->a, "/admin/rollouts?done=rollout+%lld+created", id));
	return 0;
}

int admin_api_rollouts_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	cJSON *rows = rollout_rows(app, r, 0, 1000, e);

	if (!rows)
		return -1;
	admin_json(w, 200, rows);
	return 0;
}

int admin_rollout_answer(struct app *app, struct http_req *r, struct http_resp *w, int status,
			 long long id, struct nb_err *e)
{
	struct feed_cache *fc = arena_zalloc(r->a, sizeof(*fc));
	struct ddi_rollout ro;
	cJSON *o;

	if (ddi_rollout_get(app, id, &ro, e) < 0)
		return -1;
	if (!(o = rollout_json(app, r, fc, &ro, e)))
		return -1;
	admin_json(w, status, o);
	return 0;
}

/* A JSON body of at most 64 KiB into *body; 0, or -1 with e. */
static int json_body(struct http_req *r, char **body, size_t *len, struct nb_err *e)
{
	return http_read_body(r, 65536, body, len, e);
}

int admin_api_rollout_create_run(struct app *app, struct http_req *r, struct http_resp *w,
				 struct nb_err *e)
{
	struct ddi_rollout ro;
	char *body;
	size_t len;
	long long id;

	if (json_body(r, &body, &len, e) < 0)
		return -1;
	if (admin_rollout_parse(body, len, &ro, e) < 0)
		return -1;
	if ((id = create(app, &ro, e)) < 0)
		return -1;
	return admin_rollout_answer(app, r, w, 201, id, e);
}
