/*
 * fuzz_admin_routes - a raw request target ("<path>[?<query>]") against
 * the very table that serves admin.fcgi (src/cgi/admin.fcgi.c, included
 * without its main): path_split(), query_parse(), route_match() and, on
 * a typed route, req_check(); then the admin's own form validators on
 * the same bytes.
 *
 * Invariants (abort() when broken):
 *  - a typed route's refusal is NB_INVALID with "invalid <field>" or
 *    "missing <field>" naming one of its declared fields;
 *  - every route of the table is typed;
 *  - what req_check accepts: an "id" is 1..10^18-1, a page number >= 0
 *    (the device list's 1..10^6), "next", "done" and "q" hold no control
 *    character, a "box" or "image" is a mkbox name, a "percent" 1..100,
 *    the request log's status a class 1..5 or a code 100..599 and its
 *    since/until a time at or after 1970;
 *  - admin_name_valid accepts only what admin_name_ok does;
 *    admin_password_valid only ADMIN_PASSWORD_MIN..MAX bytes;
 *    admin_token_name_valid only 1..64 bytes without control characters;
 *    each refusal is NB_INVALID with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NB_NO_MAIN
#include "../../src/cgi/admin.fcgi.c"
#include "fuzz_routes.h"

static int has_control(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* The accepted values keep their declared rule. */
static void check_values(const struct http_req *r)
{
	const struct req_field *f = route_typed(r->route)->input;

	for (; f && f->name; f++) {
		if (!req_has(r, f->name))
			continue;
		if (!strcmp(f->name, "id") &&
		    (req_int(r, "id", 0) < 1 || req_int(r, "id", 0) > 999999999999999999LL))
			abort();
		if ((!strcmp(f->name, "upage") || !strcmp(f->name, "tpage") ||
		     !strcmp(f->name, "hpage") || !strcmp(f->name, "cpage") ||
		     !strcmp(f->name, "page")) && req_int(r, f->name, -1) < 0)
			abort();
		if (f->arg == &admin_page_range &&
		    (req_int(r, f->name, 0) < 1 || req_int(r, f->name, 0) > 1000000))
			abort();
		if ((!strcmp(f->name, "next") || !strcmp(f->name, "done") ||
		     !strcmp(f->name, "q")) && has_control(req_str(r, f->name)))
			abort();
		if ((!strcmp(f->name, "box") || !strcmp(f->name, "image")) &&
		    !mkbox_name_ok(req_str(r, f->name)))
			abort();
		if (f->valid == admin_status_valid &&
		    !(req_int(r, f->name, 0) >= 1 && req_int(r, f->name, 0) <= 5) &&
		    !(req_int(r, f->name, 0) >= 100 && req_int(r, f->name, 0) <= 599))
			abort();
		if (f->valid == admin_time_valid && req_int(r, f->name, -1) < 0)
			abort();
		if (f->arg == &admin_percent &&
		    (req_int(r, f->name, 0) < 1 || req_int(r, f->name, 0) > 100))
			abort();
	}
}

static void route(struct arena *a, const char *method, const struct path *p,
		  const struct query *q)
{
	static struct app app;	/* the path and query validators read no settings */
	const struct route *hit;
	struct route_params rp;
	struct http_req r;

	if (fz_route_match(a, admin_routes, admin_nroutes, method, p, &hit, &rp) != ROUTE_OK)
		return;
	if (!route_typed(hit))
		abort();	/* every admin route declares its input */
	if (fz_req_accepted(a, &app, method, p, q, hit, &rp, &r))
		check_values(&r);
}

static void validators(const char *s)
{
	struct req_value v;
	struct nb_err e;
	size_t n = strlen(s);

	if (!*s)
		return;	/* req_check never passes "" to a validator */
	nb_err_clear(&e);
	if (admin_name_valid(NULL, NULL, s, &v, &e) == 0 ? !admin_name_ok(s)
	    : e.kind != NB_INVALID || !e.msg[0])
		abort();
	nb_err_clear(&e);
	if (admin_password_valid(NULL, NULL, s, &v, &e) == 0 ?
	    n < ADMIN_PASSWORD_MIN || n > ADMIN_PASSWORD_MAX : e.kind != NB_INVALID)
		abort();
	nb_err_clear(&e);
	if (admin_token_name_valid(NULL, NULL, s, &v, &e) == 0 ? n > 64 || has_control(s)
	    : e.kind != NB_INVALID)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct path p;
	struct query q;
	char *s;

	arena_init(&a);
	s = arena_alloc(&a, size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	validators(s);
	if (fz_split_target(&a, data, size, &p, &q) == FZ_TARGET_OK) {
		route(&a, "GET", &p, &q);
		route(&a, "POST", &p, &q);
	}
	arena_free(&a);
	return 0;
}
