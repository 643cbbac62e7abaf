/*
 * fuzz_ddi_routes - a raw request target ("<path>[?<query>]") routed
 * through the very table that serves ddi.fcgi (src/cgi/ddi.fcgi.c,
 * included without its main) and checked by req_check() with its field
 * validators (ddi_tenant_valid, ddi_cid_valid, ddi_history_valid), the
 * tenants parsed as ddi_settings_read leaves them.
 *
 * Invariants (abort() when broken):
 *  - a hit is a typed route;
 *  - accepted: the tenant is one served, the controller id passes
 *    ddi_controller_id_ok(), actionId and softwareModuleId are >= 1,
 *    actionHistory is -1..DDI_HISTORY_MAX;
 *  - refused: NB_NOT_FOUND "unknown tenant" exactly when the tenant is
 *    not served, else NB_INVALID "invalid <field>" naming a declared one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NB_NO_MAIN
#include "../../src/cgi/ddi.fcgi.c"
#include "fuzz_routes.h"

static int declared(const struct route *hit, const char *msg)
{
	const struct req_field *f = route_typed(hit)->input;

	if (strncmp(msg, "invalid ", 8) && strncmp(msg, "missing ", 8))
		return 0;
	for (; f && f->name; f++)
		if (!strcmp(f->name, msg + 8))
			return 1;
	return 0;
}

static void check_accepted(const struct ddi *d, const struct http_req *r)
{
	const char *t = req_str(r, "tenant"), *cid = req_str(r, "controllerId");

	if (!t || !cid || !ddi_tenant_served(&d->set, t) || !ddi_controller_id_ok(cid))
		abort();
	if (req_has(r, "actionId") && req_int(r, "actionId", 0) < 1)
		abort();
	if (req_has(r, "softwareModuleId") && req_int(r, "softwareModuleId", 0) < 1)
		abort();
	if (req_int(r, "actionHistory", 0) < -1 || req_int(r, "actionHistory", 0) > DDI_HISTORY_MAX)
		abort();
}

static void check(struct arena *a, const struct app *app, const char *method,
		  const struct path *p, const struct query *q)
{
	const struct ddi *d = app->domain;
	const struct route *hit;
	struct route_params rp;
	struct http_req r;
	struct nb_err e;

	if (fz_route_match(a, ddi_routes, ddi_nroutes, method, p, &hit, &rp) != ROUTE_OK)
		return;
	if (!route_typed(hit))
		abort();
	if (fz_req_check(a, app, method, p, q, hit, &rp, &r, &e) == 0) {
		check_accepted(d, &r);
		return;
	}
	if (e.kind == NB_NOT_FOUND) {
		if (strcmp(e.msg, "unknown tenant") || ddi_tenant_served(&d->set, p->seg[0]))
			abort();
	} else if (e.kind != NB_INVALID || !declared(hit, e.msg) ||
		   !ddi_tenant_served(&d->set, p->seg[0])) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ddi d;
	static struct app app;
	struct arena a;
	struct path p;
	struct query q;

	if (!d.set.ntenants) {
		strcpy(d.set.tenant[0], "DEFAULT");
		strcpy(d.set.tenant[1], "lab");
		d.set.ntenants = 2;
		app.domain = &d;
	}
	arena_init(&a);
	if (fz_split_target(&a, data, size, &p, &q) == FZ_TARGET_OK) {
		check(&a, &app, "GET", &p, &q);
		check(&a, &app, "PUT", &p, &q);
		check(&a, &app, "POST", &p, &q);
	}
	arena_free(&a);
	return 0;
}
