/*
 * fuzz_routes.h - what the route-table fuzz targets share: splitting a raw
 * request target ("<path>[?<query>[#<fragment>]]") with the program's own
 * http_target_split, the invariants every
 * decoded path keeps, route_match()'s answer and its parameters, and
 * req_check() on a matched typed route with the
 * rule that a refusal is NB_INVALID "invalid <field>" or "missing <field>"
 * naming a field the route declares (req.h).  Include after the program's
 * src/cgi/<name>.fcgi.c (compiled with NB_NO_MAIN); scripts/fuzz.sh
 * compiles each fuzz_*.c alone, so everything here is static inline.
 */
#ifndef NB_FUZZ_ROUTES_H
#define NB_FUZZ_ROUTES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { FZ_TARGET_OK = 0, FZ_BAD_PATH = -1, FZ_BAD_QUERY = -2 };

/*
 * Splits data[0..size) as http_req_parse does (http_target_split: the
 * path before the first '?', the query after it up to a '#'), then
 * path_split() on the path into p and query_parse() on the query into q.
 * FZ_TARGET_OK; FZ_BAD_PATH when path_split refuses (q untouched but
 * empty); FZ_BAD_QUERY when the path is good but query_parse refuses (q
 * empty again).  A refusal without a reason is a bug: abort().
 */
static inline int fz_split_target(struct arena *a, const uint8_t *data, size_t size,
				  struct path *p, struct query *q)
{
	struct http_target t;
	struct nb_err err;

	memset(q, 0, sizeof(*q));
	http_target_split((const char *)data, size, &t);
	if (t.path + t.path_len > (const char *)data + size ||
	    (t.query_len && t.query + t.query_len > (const char *)data + size))
		abort();
	if (path_split(a, t.path, t.path_len, p, &err) < 0) {
		if (err.kind != NB_INVALID || !err.msg[0])
			abort();
		return FZ_BAD_PATH;
	}
	if (query_parse(a, t.query, t.query_len, q, &err) < 0) {
		if (err.kind != NB_INVALID || !err.msg[0])
			abort();
		memset(q, 0, sizeof(*q));
		return FZ_BAD_QUERY;
	}
	return FZ_TARGET_OK;
}

/* Every decoded segment passes path_segment_ok(), except an empty last one
 * (the trailing slash); none is ".", ".." or holds '/'. */
static inline void fz_check_segments(const struct path *p)
{
	int i;

	if (p->n < 0 || p->n > PATH_MAX_SEGS)
		abort();
	for (i = 0; i < p->n; i++) {
		const char *s = p->seg[i];
		size_t n = strlen(s);

		if (n == 0 && i == p->n - 1)
			continue;	/* trailing slash */
		if (!path_segment_ok(s, n))
			abort();
		if (!strcmp(s, ".") || !strcmp(s, "..") || strchr(s, '/'))
			abort();
	}
}

/* 1 when v is one of p's segments (the same pointer, not a copy). */
static inline int fz_is_segment(const struct path *p, const char *v)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->seg[i] == v)
			return 1;
	return 0;
}

/* 1 when name is hit's final "*name" parameter (any tail of the path). */
static inline int fz_is_rest(const struct route *hit, const char *name)
{
	const char *star = strrchr(hit->pattern, '*');

	return star && !strcmp(star + 1, name);
}

/*
 * route_match() of method and p in table t (n routes), its answer checked
 * (abort() when broken): ROUTE_OK with a route of t and at most
 * ROUTE_MAX_PARAMS parameters, each named and set, a ":name" one a
 * non-empty segment of p (a "*name" one any tail); or ROUTE_NOT_FOUND or
 * ROUTE_BAD_METHOD without a route.  route_match has no other answer.
 */
static inline enum route_result fz_route_match(struct arena *a, const struct route *t, int n,
					       const char *method, const struct path *p,
					       const struct route **hit, struct route_params *rp)
{
	enum route_result res;
	int i;

	*hit = NULL;
	rp->n = 0;
	res = route_match(a, t, n, method, p, hit, rp);
	if (res == ROUTE_NOT_FOUND || res == ROUTE_BAD_METHOD) {
		if (*hit)
			abort();
		return res;
	}
	if (res != ROUTE_OK || !*hit || *hit < t || *hit >= t + n || rp->n < 0 ||
	    rp->n > ROUTE_MAX_PARAMS)
		abort();
	for (i = 0; i < rp->n; i++)
		if (!rp->val[i] || !rp->name[i] ||
		    (!fz_is_rest(*hit, rp->name[i]) && (!*rp->val[i] || !fz_is_segment(p, rp->val[i]))))
			abort();
	return res;
}

/* Safe between two '/' of a URL the program builds or hands out: no space,
 * control, non-ASCII byte, nor any of / ? # % \ " < >. */
static inline void fz_url_piece_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || strchr("/?#%\\\"<>", c))
			abort();
	}
}

/* 1 when msg is "invalid X", "invalid X: ..." or "missing X" with X a field
 * hit declares. */
static inline int fz_names_declared_field(const struct route *hit, const char *msg)
{
	const struct req_field *f = route_typed(hit)->input;
	size_t n;

	if (strncmp(msg, "invalid ", 8) && strncmp(msg, "missing ", 8))
		return 0;
	msg += 8;
	n = strcspn(msg, ":");
	for (; f && f->name; f++)
		if (strlen(f->name) == n && !memcmp(f->name, msg, n))
			return 1;
	return 0;
}

/*
 * Fills r as app.c does for a request routed to hit (method, p, q when not
 * NULL, the matched rp) and runs req_check on its path and query input:
 * 0, or -1 with e set.
 */
static inline int fz_req_check(struct arena *a, const struct app *app, const char *method,
			const struct path *p, const struct query *q, const struct route *hit,
			const struct route_params *rp, struct http_req *r, struct nb_err *e)
{
	http_req_init(r, a, NULL);
	r->method = method;
	r->path = *p;
	if (q)
		r->query = *q;
	r->route = hit;
	r->params = *rp;
	nb_err_clear(e);
	return req_check(app, r, REQ_PATH | REQ_QUERY, e);
}

/* fz_req_check, with a refusal that is not NB_INVALID naming a declared
 * field a bug (abort()): 1 when accepted (r holds the values), 0 refused. */
static inline int fz_req_accepted(struct arena *a, const struct app *app, const char *method,
			   const struct path *p, const struct query *q, const struct route *hit,
			   const struct route_params *rp, struct http_req *r)
{
	struct nb_err e;

	if (fz_req_check(a, app, method, p, q, hit, rp, r, &e) == 0)
		return 1;
	if (e.kind != NB_INVALID || !fz_names_declared_field(hit, e.msg))
		abort();
	return 0;
}

#endif
