/*
 * ddi_fleet.h - the operator's view of the DDI fleet, read-only: counts
 * of devices by state, one device with what it reported, its actions and
 * an action's status history, the software repository as a list and as
 * choices, recent failures and devices that stopped polling.  (Finding
 * devices by filter, sort and page is ddi_device_search, ddi.h.)
 *
 * Only ddi_fleet_store.c holds these queries; the admin pages and
 * nestboxctl call them and format what they get.  Every function returns
 * plain values: times as Unix seconds (0: never), sizes in bytes, text as
 * stored (never NULL: "" for SQL NULL), copied into the caller's arena a,
 * so the rows outlive the statement.  Each query walks an index and stops
 * after the rows asked for, so a page costs the same with a million
 * devices as with ten.
 *
 * Errors: -1 with e NB_UNAVAILABLE when the store cannot be read (busy,
 * I/O); nothing here writes.
 */
#ifndef NB_DDI_FLEET_H
#define NB_DDI_FLEET_H

#include "../lib/app.h"
#include "../lib/arena.h"

/* How many devices are in one state (states with none are not listed). */
struct ddi_fleet_count {
	const char *state;
	long long n;
};

/*
 * The device count by state, by state's name, from the trigger-kept
 * ddi_device_counts (a few rows whatever the fleet): *out in a, *total
 * the sum.  The number of states, or -1 with e.
 */
int ddi_fleet_state_counts(struct app *app, struct arena *a, struct ddi_fleet_count **out,
			   long long *total, struct nb_err *e);

/* One device's row (ddi_devices) as the device page shows it. */
struct ddi_fleet_device {
	long long id;
	const char *tenant, *cid, *name, *hw_model, *hw_revision, *sw_version;
	const char *feed, *mode, *state, *last_addr;
	long long last_seen;		/* Unix s; 0: never polled */
	long long assigned;		/* the software of mode "assigned"; 0: none */
	long long created;		/* Unix s */
	int force, auto_confirm;	/* 0 or 1 */
	const char *attributes;		/* configData as stored: a JSON object's text, or "" */
};

/*
 * The device of id (when id > 0), else of tenant and controller id cid,
 * into *d (strings in a).  1 found, 0 no such device, -1 with e.
 */
int ddi_fleet_device(struct app *app, struct arena *a, long long id, const char *tenant,
		     const char *cid, struct ddi_fleet_device *d, struct nb_err *e);

/* The newest actions of a device the device page lists. */
#define DDI_FLEET_ACTIONS_MAX 100

/* One action of a device with its software and the device's last word on it. */
struct ddi_fleet_action {
	long long id, created, updated;	/* created, updated: Unix s */
	long long rollout_id;		/* 0: not of a rollout */
	long long software_id;
	const char *status;		/* waiting running canceling finished error canceled */
	int progress;			/* percent */
	const char *software, *version;	/* the software's name and version */
	const char *details;		/* the latest feedback's details; NULL: never answered */
};

/*
 * The device's actions, newest first, at most DDI_FLEET_ACTIONS_MAX, into
 * *out (in a).  Their number, or -1 with e.
 */
int ddi_fleet_actions(struct app *app, struct arena *a, long long device_id,
		      struct ddi_fleet_action **out, struct nb_err *e);

/* One feedback of an action (ddi_action_status), as the device sent it. */
struct ddi_fleet_status {
	long long ts;			/* Unix s */
	const char *execution, *finished;	/* hawkBit's words: "closed", "success"... */
	const char *details;		/* the device's lines, '\n'-separated */
};

/* The action's status history, oldest first, into *out (in a).  Its length, or -1 with e. */
int ddi_fleet_action_log(struct app *app, struct arena *a, long long action_id,
			 struct ddi_fleet_status **out, struct nb_err *e);

/* One software of the repository and how much it is used. */
struct ddi_fleet_software {
	long long id, size, created;	/* size in bytes, created Unix s */
	const char *name, *version, *kind, *filename, *sha256;
	const char *url;		/* "" when the blob store holds it */
	/* the boards it fits as "board:revision, ..." ('*' for any); "": any board */
	const char *compat;
	long long actions, rollouts;	/* actions and rollouts that use it */
};

/*
 * The software newest first, rows offset.. (at most limit), into *out (in a).
 * Use counts come from the indexed action and rollout tables only.  Their
 * number, or -1 with e.
 */
int ddi_fleet_software(struct app *app, struct arena *a, long offset, long limit,
		       struct ddi_fleet_software **out, struct nb_err *e);

/* What a software select offers: the newest DDI_FLEET_CHOICES_MAX. */
#define DDI_FLEET_CHOICES_MAX 500
struct ddi_fleet_choice {
	long long id;
	const char *name, *version;
};

/* The software to choose from, newest first, into *out (in a).  Their number, or -1 with e. */
int ddi_fleet_software_choices(struct app *app, struct arena *a, struct ddi_fleet_choice **out,
			       struct nb_err *e);

/* The number of software rows, of rollouts; -1 with e. */
long long ddi_fleet_software_count(struct app *app, struct nb_err *e);
long long ddi_fleet_rollout_count(struct app *app, struct nb_err *e);
/* The devices of feed that follow rollouts (mode "rollout"); -1 with e. */
long long ddi_fleet_feed_rollout_devices(struct app *app, const char *feed, struct nb_err *e);

/* One failed action, with the device and the version it failed to install. */
struct ddi_fleet_failure {
	long long action_id, updated;	/* updated: Unix s, when it failed */
	long long device_id;
	const char *cid, *version;
	long long rollout_id;		/* 0: not of a rollout */
	const char *details;		/* its latest feedback's details; "" when none */
};

/*
 * The newest max failed actions (status "error"), newest first, into *out
 * (in a): a walk of the ddi_actions_status index.  Their number, or -1 with e.
 */
int ddi_fleet_failures(struct app *app, struct arena *a, int max, struct ddi_fleet_failure **out,
		       struct nb_err *e);

/* A device that polled once and then went silent. */
struct ddi_fleet_stale {
	long long id, last_seen;	/* Unix s */
	const char *cid, *name, *last_addr;
};

/*
 * Devices seen once (last_seen > 0) but not since cutoff (Unix s), the
 * longest silent first, at most max into *out (in a); *count is how many
 * there are in all.  Their number, or -1 with e.
 */
int ddi_fleet_stale(struct app *app, struct arena *a, long long cutoff, int max,
		    struct ddi_fleet_stale **out, long long *count, struct nb_err *e);

#endif
