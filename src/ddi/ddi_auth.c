/*
 * Who is asking: the device's token in ddi_before(), after the tenant and
 * controller id of its URL (/{tenant}/controller/v1/{controllerId}/...)
 * passed their route fields' validators (ddi_valid.c).
 */
#include "ddi_state.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* 401 that says nothing about why: no hint whether the device exists. */
static int refuse(struct nb_err *e)
{
	return nb_fail(e, NB_UNAUTHORIZED, "unauthorized");
}

/*
 * Reads the device into d->dev: 0 when found; -1 with e NB_UNAUTHORIZED
 * when unknown, or NB_UNAVAILABLE and a Retry-After on w when the store
 * is unreadable (a device retries then instead of taking a refusal).
 */
static int device_get(struct app *app, struct http_resp *w, const char *tenant,
		      const char *cid, struct nb_err *e)
{
	struct ddi *d = app->domain;
	int rc = ddi_device_get(app, tenant, cid, &d->dev, e);

	if (rc < 0) {
		http_set_header(w, "Retry-After", "5");
		return -1;
	}
	return rc ? 0 : refuse(e);
}

/*
 * A device registering itself in setup or lax mode, within the operator's
 * limits: 0 when stored or lost a race (what is stored then decides), -1
 * with e when a limit refused it (NB_FORBIDDEN at the cap, NB_TOO_MANY
 * with a Retry-After past the hourly rate: both counted by status in
 * /metrics), written to the error log.
 */
static int self_register(struct app *app, struct http_resp *w, const char *tenant,
			 const char *cid, const char *th, struct nb_err *e)
{
	struct ddi *d = app->domain;
	int cap;

	nb_err_clear(e);
	if (ddi_device_register(app, tenant, cid, th, DDI_BY_SELF, &d->set.self, e) == 0 ||
	    (e->kind != NB_FORBIDDEN && e->kind != NB_TOO_MANY)) {
		nb_err_clear(e);
		return 0;
	}
	cap = e->kind == NB_FORBIDDEN;
	fprintf(stderr, "nestbox[%s]: self-registration of %s/%s refused: %s (%lld)\n",
		app->program, tenant, cid, cap ? "ddi.self_register_max" :
		"ddi.self_register_per_hour", cap ? d->set.self.max : d->set.self.per_hour);
	if (!cap)
		http_set_header(w, "Retry-After", "3600");
	return -1;
}

static const char *token_of(const char *auth, const char *scheme)
{
	size_t n = strlen(scheme);

	return auth && !strncasecmp(auth, scheme, n) && auth[n] ? auth + n : NULL;
}

/* The GatewayToken holder vouches for the device: registered when new. */
static int by_gateway(struct app *app, struct http_resp *w, const char *tenant,
		      const char *cid, int known, struct nb_err *e)
{
	if (known)
		return 0;
	/* a lost race with another process adding it too: its row is read */
	db_read_end(app->db);
	ddi_device_register(app, tenant, cid, "", DDI_BY_GATEWAY, NULL, NULL);
	return device_get(app, w, tenant, cid, e);
}

/*
 * Who may speak for controller id cid (checked, with the tenant, by the
 * route's fields): a device with a token must send it; strict mode knows
 * only registered devices; setup mode registers an unknown device with
 * the first TargetToken it sends, and keeps only the tokens of devices it
 * registers itself: a device without a token (added so by an operator,
 * registered in lax mode or by the GatewayToken) is taken as in lax mode,
 * its token never set by whoever polls first.
 */
int ddi_before(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct ddi *d = app->domain;
	const char *tenant = req_str(r, "tenant"), *cid = req_str(r, "controllerId");
	const char *auth = http_header(r, "Authorization"), *gw = d->set.gateway_token;
	const char *target = token_of(auth, "TargetToken "), *gwt = token_of(auth, "GatewayToken ");
	char th[HASH_HEX_MAX] = "";
	int known;

	ddi_seen_tick(app, &d->seen);
	/* a GET reads device, action and software from one snapshot (app.c ends it) */
	if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD")) {
		db_read_begin(app->db);
		/*
		 * the poll needs only the device and the data version in one
		 * snapshot (ddi_poll.c): one write and one round trip to the store
		 */
		if (r->route && (r->route->flags & ROUTE_HOT))
			db_read_split(app->db);
	}
	known = device_get(app, w, tenant, cid, e) == 0;
	if (!known && e->kind != NB_UNAUTHORIZED)
		return -1;	/* the store failed */
	nb_err_clear(e);
	if (gwt && *gw && auth_equal(gwt, gw))
		return by_gateway(app, w, tenant, cid, known, e);
	if (target)
		auth_token_hash(target, th);
	if (known && d->dev.token_hash[0])
		return target && auth_equal(th, d->dev.token_hash) ? 0 : refuse(e);
	if (!strcmp(d->set.auth_mode, "strict") || (!strcmp(d->set.auth_mode, "setup") && !target))
		return refuse(e);
	if (known)
		return 0;
	db_read_end(app->db);	/* the write below leaves the snapshot */
	if (self_register(app, w, tenant, cid, th, e) < 0)
		return -1;
	/* what is stored now decides: another process may have registered it first */
	if (device_get(app, w, tenant, cid, e) < 0)
		return -1;
	if (d->dev.token_hash[0] && !(target && auth_equal(th, d->dev.token_hash)))
		return refuse(e);
	return 0;
}
