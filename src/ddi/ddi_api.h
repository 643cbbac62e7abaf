/*
 * ddi_api.h - what the device-facing handlers share (ddi_api.c and
 * ddi_confirm.c): the per-process state holding the authenticated device,
 * absolute link building and the hal+json answer.
 */
#ifndef NB_DDI_API_H
#define NB_DDI_API_H

#include "ddi.h"

#include <cjson/cJSON.h>

struct ddi {
	struct ddi_device dev;		/* the authenticated device, per request */
	char mode[16];			/* ddi.auth_mode */
	char poll_time[16];		/* ddi.poll_time */
	int confirm;			/* ddi.confirmation_required */
	struct ddi_seen seen;		/* last_seen writes, batched */
};

/* {base}/{tenant}/controller/v1/{id}, from server.base_url or the Host header */
const char *ddi_device_url(struct app *app, struct http_req *r);
/* Sends o as application/hal+json and frees it. */
void ddi_json_out(struct http_resp *w, int status, cJSON *o);
void ddi_link(cJSON *links, const char *rel, const char *href);
/* The :action parameter, or 0 when it is not a positive number. */
long long ddi_action_param(struct http_req *r);

#endif
