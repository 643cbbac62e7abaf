/*
 * The validators of ddi.fcgi's declared input (src/cgi/ddi.fcgi.c's
 * ROUTE_IN fields, req.h), all of them: the tenant and controller id of
 * every device URL, checked before anything else, and the deployment's
 * ?actionHistory=.  Pure, no allocation (the poll is ROUTE_HOT); ddi.h
 * says each rule.
 */
#include "ddi_state.h"

#include <limits.h>
#include <stdlib.h>

int ddi_tenant_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e)
{
	const struct ddi *d = app->domain;

	(void)f;
	(void)out;
	if (d && ddi_tenant_served(&d->set, raw))
		return 0;
	return nb_fail(e, NB_NOT_FOUND, "unknown tenant");
}

int ddi_cid_valid(const struct app *app, const struct req_field *f, const char *raw,
		  struct req_value *out, struct nb_err *e)
{
	(void)app;
	(void)f;
	(void)out;
	(void)e;	/* NB_OK: the program answers 400 "invalid controllerId" */
	return ddi_controller_id_ok(raw) ? 0 : -1;
}

int ddi_history_valid(const struct app *app, const struct req_field *f, const char *raw,
		      struct req_value *out, struct nb_err *e)
{
	char *end;
	long long n;

	(void)app;
	(void)f;
	(void)e;
	if ((raw[0] < '0' || raw[0] > '9') && !(raw[0] == '-' && raw[1] >= '0' && raw[1] <= '9'))
		return -1;
	n = strtoll(raw, &end, 10);
	if (*end || n < INT_MIN || n > INT_MAX)
		return -1;
	out->i = n < 0 ? -1 : n > DDI_HISTORY_MAX ? DDI_HISTORY_MAX : n;
	return 0;
}
