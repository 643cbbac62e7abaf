/*
 * fuzz_pypi_routes - a request target ("<path>[?<query>]") routed with
 * every method pypi.fcgi answers through its real table (src/cgi/
 * pypi.fcgi.c, included without its main; the domain links from
 * scripts/fuzz.sh's instrumented archive) and its
 * declared input checked by req_check, as app.c does before a handler.
 *
 * Invariants (abort() when broken):
 *  - the table passes route_table_check;
 *  - input req_check accepts: user and index pass pypi_ident_ok, project
 *    pypi_project_ok, version pypi_version_ok, filename pypi_filename_ok,
 *    h3/h13 are 3/13 lowercase hex digits, force is empty or a boolean;
 *  - input it refuses: NB_INVALID with "invalid <field>" or "missing
 *    <field>" naming a field the route declares.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pypi/pypi.h"

#define NB_NO_MAIN
#include "../../src/cgi/pypi.fcgi.c"
#include "fuzz_routes.h"

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE" };

static int lower_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* The domain's predicate for one accepted value (1: holds). */
static int holds(const char *name, const char *v)
{
	if (!strcmp(name, "user") || !strcmp(name, "index"))
		return pypi_ident_ok(v);
	if (!strcmp(name, "project"))
		return pypi_project_ok(v);
	if (!strcmp(name, "version"))
		return pypi_version_ok(v);
	if (!strcmp(name, "filename"))
		return pypi_filename_ok(v);
	if (!strcmp(name, "h3"))
		return lower_hex(v, 3);
	if (!strcmp(name, "h13"))
		return lower_hex(v, 13);
	if (!strcmp(name, "force"))
		return !*v || !strcasecmp(v, "true") || !strcasecmp(v, "false") ||
		       !strcmp(v, "1") || !strcmp(v, "0") || !strcasecmp(v, "on") ||
		       !strcasecmp(v, "off") || !strcasecmp(v, "yes") || !strcasecmp(v, "no");
	return 0;	/* a field this target does not know: add it */
}

static void check_input(struct arena *a, const char *method, const struct path *p,
			const struct query *q, const struct route *hit,
			const struct route_params *rp)
{
	static struct app app;	/* zero: the pypi validators read no settings */
	const struct req_field *f;
	struct http_req r;

	if (!fz_req_accepted(a, &app, method, p, q, hit, rp, &r))
		return;
	for (f = route_typed(hit)->input; f && f->name; f++)
		if (req_str(&r, f->name) && !holds(f->name, req_str(&r, f->name)))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct path p;
	struct query q;
	size_t i;
	struct nb_err e;

	if (route_table_check(pypi_routes, pypi_nroutes, &e) < 0)
		abort();
	arena_init(&a);
	if (fz_split_target(&a, data, size, &p, &q) != FZ_TARGET_OK) {
		arena_free(&a);
		return 0;
	}
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		const struct route *hit;
		struct route_params rp;

		if (fz_route_match(&a, pypi_routes, pypi_nroutes, methods[i], &p, &hit, &rp) !=
		    ROUTE_OK)
			continue;
		if (!route_typed(hit))
			abort();
		check_input(&a, methods[i], &p, &q, hit, &rp);
	}
	arena_free(&a);
	return 0;
}
