/*
 * ddi_api.h - what the device-facing handlers share (ddi_api.c and
 * ddi_confirm.c): the per-process state holding the authenticated device,
 * absolute link building and the hal+json answer.
 */
#ifndef NB_DDI_API_H
#define NB_DDI_API_H

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

struct ddi {
	struct ddi_device dev;		/* the authenticated device, per request */
	char mode[16];			/* ddi.auth_mode */
	char poll_time[16];		/* ddi.poll_time */
	int confirm;			/* ddi.confirmation_required */
	long max_running;		/* ddi.max_concurrent_updates */
	struct ddi_self_limits self;	/* ddi.self_register_max, _per_hour */
	struct ddi_seen seen;		/* last_seen writes, batched */
	struct ddi_cand_entry cand[DDI_CAND_CACHE];
	int cand_next;			/* the entry replaced next */
};

/* {base}/{tenant}/controller/v1/{id}, from server.base_url or the Host header */
const char *ddi_device_url(struct app *app, struct http_req *r);
/* Sends o as application/hal+json and frees it. */
void ddi_json_out(struct http_resp *w, int status, cJSON *o);
void ddi_link(cJSON *links, const char *rel, const char *href);
/* The request body (64 KiB at most), or an error answered: -1. */
int ddi_body(struct app *app, struct http_req *r, struct http_resp *w, char **body, size_t *len);
/* A write transaction, or a 503 the device retries: -1. */
int ddi_begin(struct app *app, struct http_resp *w);
/* Commits and answers 200, or rolls back and answers 503. */
void ddi_commit(struct app *app, struct http_resp *w);
/* The :action parameter, or 0 when it is not a positive number. */
long long ddi_action_param(struct http_req *r);

#endif
