/*
 * fuzz_ddi_routes - "[<ddi.tenants>\n]<path>[?<query>]": a raw request target routed
 * through the very table that serves ddi.fcgi (src/cgi/ddi.fcgi.c,
 * included without its main) and checked by req_check() with its field
 * validators (ddi_tenant_valid, ddi_cid_valid, ddi_history_valid), the
 * tenants parsed from a fuzzed ddi.tenants by ddi_tenants_parse, the
 * parser ddi_settings_read runs at start.
 *
 * Invariants (abort() when broken):
 *  - ddi_tenants_parse refuses with NB_INVALID naming ddi.tenants, or
 *    gives 1..DDI_FEED_MAX-byte names without ',' that rejoin to the list;
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
	} else if (e.kind != NB_INVALID || !fz_names_declared_field(hit, e.msg) ||
		   !ddi_tenant_served(&d->set, p->seg[0])) {
		abort();
	}
}

/*
 * ddi_tenants_parse on list: a refusal is NB_INVALID naming ddi.tenants;
 * what it accepts is 0..DDI_TENANTS_MAX names of 1..DDI_FEED_MAX bytes
 * without ',' that, joined with ',', give list back.  1 accepted, 0 not.
 */
static int tenants(struct arena *a, const char *list, struct ddi_settings *s)
{
	struct nb_err e = { NB_OK, "" };
	struct buf b;
	int i;

	if (ddi_tenants_parse(list, s, &e) < 0) {
		if (e.kind != NB_INVALID || strncmp(e.msg, "ddi.tenants: ", 13))
			abort();
		return 0;
	}
	if (s->ntenants < 0 || s->ntenants > DDI_TENANTS_MAX)
		abort();
	buf_init(&b, a);
	for (i = 0; i < s->ntenants; i++) {
		size_t n = strlen(s->tenant[i]);
		if (n < 1 || n > DDI_FEED_MAX || strchr(s->tenant[i], ','))
			abort();
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, s->tenant[i]);
	}
	if (strcmp(buf_cstr(&b), list))
		abort();
	return 1;
}

/*
 * The input is "[<ddi.tenants>\n]<request target>": without a newline the
 * tenants are "DEFAULT,lab" (the seeds' shape).  A list the parser
 * refuses stops the program at start, so no request is routed with it.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ddi d;
	struct app app = { 0 };
	const uint8_t *nl = memchr(data, '\n', size);
	const char *list = "DEFAULT,lab";
	struct arena a;
	struct path p;
	struct query q;

	arena_init(&a);
	if (nl) {
		list = arena_strndup(&a, (const char *)data, (size_t)(nl - data));
		size -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}
	app.domain = &d;
	if (tenants(&a, list, &d.set) &&
	    fz_split_target(&a, data, size, &p, &q) == FZ_TARGET_OK) {
		check(&a, &app, "GET", &p, &q);
		check(&a, &app, "PUT", &p, &q);
		check(&a, &app, "POST", &p, &q);
	}
	arena_free(&a);
	return 0;
}
