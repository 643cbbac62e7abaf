/*
 * admin_ddi.h - the operators' view of the hawkBit DDI server: devices,
 * software and rollouts, as pages and as the token API.
 *
 * Changes go through the DDI domain's own functions (src/ddi/ddi.h); what
 * the pages read comes from the DDI domain's fleet queries
 * (src/ddi/ddi_fleet.h) as plain structs, made template data here.
 * Outside input (query filters, form fields, JSON bodies) is parsed by the
 * pure functions of admin_ddi_input.c, which are unit- and fuzz-tested.
 */
#ifndef NB_ADMIN_DDI_H
#define NB_ADMIN_DDI_H

#include "admin.h"
#include "../ddi/ddi.h"
#include "../ddi/ddi_fleet.h"

/* -- input (admin_ddi_input.c): pure, no store, no I/O -- */

/* A route's :id: 1..18 decimal digits. */
int admin_id_ok(const char *s);
/* A feed or a name: 1..max bytes, no control characters. */
int admin_label_ok(const char *s, size_t max);
/* The device modes (req_v_enum words): their index is the form's mode. */
extern const char *const admin_dev_modes[];
/* s as a whole decimal number within lo..hi; 0, or -1. */
int admin_int(const char *s, long lo, long hi, long *out);

/* The devices list's filters, as the page and the API take them. */
struct admin_dev_filter {
	const char *state, *feed, *model, *version, *seen;	/* NULL: any */
	long long seen_lo, seen_hi;	/* last_seen range; seen_lo < 0: no filter */
	long long after;		/* keyset: ids above this */
};

/* The last_seen range of a seen word at now (Unix s): "hour", "day",
 * "old" (not within a day) or "never"; NULL: none (*lo -1).  0, or -1 for
 * another word. */
int admin_dev_seen_range(const char *s, long long now, long long *lo, long long *hi);
/* Reads state, feed, model, version, seen (hour|day|old|never) and after
 * from a query (nestboxctl device find; the pages' search is declared).
 * Each parser below returns 0, or -1 with e (may be NULL) set to
 * NB_INVALID and a message naming the field ("percent must be 1-100"). */
int admin_dev_filter_parse(const struct query *q, long long now, struct admin_dev_filter *f,
			 struct nb_err *e);
/*
 * A rollout on a feed with no device that follows rollouts offers nothing
 * (often a misspelt feed), so the page and nestboxctl refuse it unless
 * confirmed.  0 when feed has such devices or confirmed is set; else -1
 * with e (NB_CONFLICT) whose message ends with how: the way to confirm
 * ("tick \"create it anyway\"", "pass --confirm-empty").  admin_rollouts.c.
 */
int admin_rollout_feed_check(struct app *app, const char *feed, int confirmed,
			     const char *how, struct nb_err *e);

/*
 * A rollout to create, from a JSON object: feed and software_id required;
 * percent (1..100, default 100), max_failures and max_failure_rate (-1
 * when absent: the configured defaults apply) and name optional.
 */
int admin_rollout_parse(const char *body, size_t len, struct ddi_rollout *r, struct nb_err *e);
/* {"url": "...", "name": "..."}: url required; both copied into a. */
int admin_url_parse(struct arena *a, const char *body, size_t len, const char **url,
		  const char **name, struct nb_err *e);
/* {"percent": n} with n in 1..100. */
int admin_stage_parse(const char *body, size_t len, int *percent, struct nb_err *e);
/*
 * {"password": "...", "keep_tokens": false}: a new password of
 * ADMIN_PASSWORD_MIN..ADMIN_PASSWORD_MAX bytes (copied into a), and whether the
 * user's API tokens survive the change (default: revoked).  0 or -1 with e.
 */
int admin_password_parse(struct arena *a, const char *body, size_t len, const char **pw,
		       int *keep_tokens, struct nb_err *e);

/* -- the fleet's rows as template data (admin_fleet.c, from ddi_fleet.h) -- */

/* "device #12 d1": device id as an audit row names it (its controller id
 * read from the store; "device #12" alone when it cannot be read). */
const char *admin_dev_said(struct app *app, struct http_req *r, long long id);

/* The columns the device list and the device page both show: id, tenant,
 * controller_id, name, hw_model, hw_revision, sw_version, feed, mode,
 * state, "error" (state is error), last_seen (Unix s), "last_seen_text"
 * ("never" when unset), last_addr. */
cJSON *admin_dev_fields(struct http_req *r, const struct ddi_fleet_device *d);
/* One device: its columns, "error", "last_seen_text", "assigned", "force",
 * "attributes" as [{"key","value"}], "created", "auto_confirm".  NULL with
 * e NB_NOT_FOUND ("no such device") or NB_UNAVAILABLE. */
cJSON *admin_dev_get(struct app *app, struct http_req *r, long long id, const char *tenant,
		     const char *cid, struct nb_err *e);
/* The software list, rows offset.. (at most limit), newest first; NULL with e. */
cJSON *admin_sw_list(struct app *app, struct http_req *r, long offset, long limit,
		     struct nb_err *e);
/* [{"id","label","selected"}] for the software selects, newest first; NULL with e. */
cJSON *admin_sw_choices(struct app *app, struct http_req *r, long long selected,
			struct nb_err *e);

/* -- handlers -- */
ADMIN_HANDLER(admin_devices)		/* admin_devices.c */
ADMIN_HANDLER(admin_api_devices)
/* the list's ?seen= words (hour, day, old, never) and ?dir= (asc, desc) */
extern const char *const admin_dev_states[];	/* admin_devices.c */
extern const char *const admin_seen_words[];
extern const char *const admin_dir_words[];
/* admin_device.c: one device (typed: ADMIN_HANDLER, admin.h) */
ADMIN_HANDLER(admin_device)
ADMIN_HANDLER(admin_device_mode)
ADMIN_HANDLER(admin_device_feed)
ADMIN_HANDLER(admin_device_force)
ADMIN_HANDLER(admin_device_cancel)
ADMIN_HANDLER(admin_device_delete)
ADMIN_HANDLER(admin_api_device)
/* admin_device_bulk.c: POST /admin/devices/bulk */
ADMIN_HANDLER(admin_devices_bulk)
/* the bulk form drawn again after a refusal (admin_form.c calls it) */
int admin_devices_bulk_again_run(struct app *app, struct http_req *r, struct http_resp *w,
				 struct nb_err *e);
/* its action words (req_v_enum): the index is an enum ddi_bulk_op */
extern const char *const admin_bulk_ops[];
/*
 * What a bulk action did, as its audit row says it, from the page and from
 * nestboxctl alike (issue 14): "assign software 3 (app 2.0) to 12 devices:
 * dev-1, dev-2, …".  op an enum ddi_bulk_op; sw_id the software (assign);
 * to the feed or mode (feed, mode; else unused); changed how many devices
 * changed; names the first controller ids, ", …" when there are more.  In a.
 */
const char *admin_bulk_said(struct app *app, struct arena *a, int op, long long sw_id,
			    const char *to, long changed, const char *names);
/* admin_device_labels.c: POST /admin/devices/:id/labels (name and tags) */
ADMIN_HANDLER(admin_device_labels)
ADMIN_HANDLER(admin_software)		/* admin_software.c */
ADMIN_HANDLER(admin_software_upload)
ADMIN_HANDLER(admin_software_url)
ADMIN_HANDLER(admin_software_delete)
ADMIN_HANDLER(admin_api_software)
ADMIN_HANDLER(admin_api_software_add)
ADMIN_HANDLER(admin_api_software_url)
ADMIN_HANDLER(admin_api_software_delete)
/* What a software row holds (struct ddi_software): refused, never cut. */
#define ADMIN_SW_NAME_MAX 255
#define ADMIN_SW_URL_MAX 1023
ADMIN_HANDLER(admin_rollouts)		/* admin_rollouts.c */
ADMIN_HANDLER(admin_rollout_create)
ADMIN_HANDLER(admin_api_rollouts)
ADMIN_HANDLER(admin_api_rollout_create)
ADMIN_HANDLER(admin_rollout_pause)	/* admin_rollout_state.c */
ADMIN_HANDLER(admin_rollout_resume)
ADMIN_HANDLER(admin_rollout_stage)
ADMIN_HANDLER(admin_api_rollout_pause)
ADMIN_HANDLER(admin_api_rollout_resume)
ADMIN_HANDLER(admin_api_rollout_stage)
/* Answers rollout id as the list and GET /admin/api/rollouts show it
 * (JSON, with status): after a create or a change.  0, or -1 with e
 * (NB_NOT_FOUND, NB_UNAVAILABLE).  admin_rollouts.c. */
int admin_rollout_answer(struct app *app, struct http_req *r, struct http_resp *w, int status,
			 long long id, struct nb_err *e);

/* the dashboard's device counts (admin_devices.c): "device_states", "devices"; 0 or -1 with e */
int admin_ddi_dashboard(struct app *app, struct http_req *r, cJSON *d, struct nb_err *e);

#endif
