/*
 * ddi_state.h - what the files of the device API (ddi.fcgi, one file per
 * resource: ddi_poll.c, ddi_deployment.c, ...) share: the per-process
 * state with the settings and the authenticated device, absolute links
 * and the hal+json answer.
 */
#ifndef NB_DDI_STATE_H
#define NB_DDI_STATE_H

#include "ddi.h"

#include <cjson/cJSON.h>

/*
 * Candidates by (mode, feed or assignment, board, revision): a fleet has
 * few such groups and polls all day.  An entry holds while the database's
 * data version stays what it was when the entry was read.
 */
#define DDI_CAND_CACHE 16
struct ddi_cand_entry {
	int used, found;
	unsigned version;
	long long assigned;
	char mode[16], feed[64], board[64], revision[64];
	struct ddi_candidate c;
};

/* app->domain of ddi.fcgi */
struct ddi {
	struct ddi_settings set;	/* read once, at start */
	struct ddi_device dev;		/* the authenticated device, per request */
	struct ddi_seen seen;		/* last_seen writes, batched */
	struct ddi_cand_entry cand[DDI_CAND_CACHE];
	int cand_next;			/* the entry replaced next */
};

/* {base}/{tenant}/controller/v1/{controllerId}: http_base_url's rule */
const char *ddi_device_url(struct app *app, struct http_req *r);
/* Sends o as application/hal+json and frees it. */
void ddi_json_out(struct http_resp *w, int status, cJSON *o);
void ddi_link(cJSON *links, const char *rel, const char *href);
/* The request body (64 KiB at most): 0, or -1 with e (NB_TOO_LARGE, or
 * the kind of a missing or broken body). */
int ddi_body(struct http_req *r, char **body, size_t *len, struct nb_err *e);
/* A write transaction: 0, or -1 with e NB_UNAVAILABLE (the device retries). */
int ddi_begin(struct app *app, struct nb_err *e);
/*
 * The same for a write of the authenticated device's own rows (its
 * actions, their log, its attributes; shared rows only by single-statement
 * counters): keyed on the device, so such writes of many devices commit
 * side by side (db_begin_keyed).
 */
int ddi_begin_device(struct app *app, struct nb_err *e);
/* Commits and answers 200: 0, or rolls back: -1 with e NB_UNAVAILABLE. */
int ddi_commit(struct app *app, struct http_resp *w, struct nb_err *e);
/* Rolls back what the handler wrote and returns -1 with e NB_UNAVAILABLE. */
int ddi_busy(struct app *app, struct nb_err *e);

/* One artifact of s, hawkBit's shape with its links (ddi_artifacts.c). */
cJSON *ddi_artifact_json(struct app *app, struct http_req *r, const struct ddi_software *s);
/* deploymentBase, installedBase and confirmationBase/{actionId} answer
 * one shape (hawkBit); which one, and so which status the action must
 * have (ddi_deployment.c): 0 answered, -1 with e NB_NOT_FOUND. */
enum ddi_action_view { DDI_VIEW_DEPLOYMENT, DDI_VIEW_INSTALLED, DDI_VIEW_CONFIRMATION };
int ddi_action_answer(struct app *app, struct http_req *r, struct http_resp *w,
		      enum ddi_action_view view, struct nb_err *e);
/* A feedback on deploymentBase (cancel 0) or cancelAction (cancel 1)
 * (ddi_feedback.c, protocols/hawkbit-ddi.md "Feedback"). */
int ddi_feedback_take(struct app *app, struct http_req *r, struct http_resp *w, int cancel,
		      struct nb_err *e);

#endif
