/*
 * route.h - the route table.
 *
 * A program is mostly its table of (method, pattern, handler, flags), read
 * top to bottom; the first match wins.  Pattern segments are literals,
 * ":name" (one non-empty segment, checked by an optional validator), or a
 * final "*name" (zero or more remaining segments joined with '/').
 * A pattern ending in '/' matches only a path with a trailing slash.
 * Path segments reaching here are already validated by path_split().
 *
 * A typed route (ROUTE_IN, flag ROUTE_TYPED) declares every input it
 * reads (req.h) and has a handler that returns 0 or -1 with an error
 * value; the program answers the error (app_fail) and the refused input
 * (req_check) itself.  The older form -- route_fn answering by itself,
 * path validators as route_param_spec predicates -- shares the slots
 * through the unions below until every program is converted.
 */
#ifndef NB_ROUTE_H
#define NB_ROUTE_H

#include "path.h"
#include "req.h"

struct http_req;
struct http_resp;
struct app;

typedef void (*route_fn)(struct app *app, struct http_req *req,
			 struct http_resp *resp);
/* A typed route's handler: 0 when it answered, or -1 with e set (the
 * program answers e in its format: JSON or text). */
typedef int (*route_run_fn)(struct app *app, struct http_req *req,
			    struct http_resp *resp, struct nb_err *e);
/* Old form, to be deleted when every table is typed. */
typedef int (*route_valid_fn)(const char *value);

#define ROUTE_MAX_PARAMS 8

struct route_param_spec {
	const char *name;
	route_valid_fn valid;
};

/*
 * A route's flags are the program's own, except this bit: requests a
 * fleet sends all day (a DDI poll) are counted in the metrics but get no
 * request-log row of their own, unless log.hot_rows is set.
 */
#define ROUTE_HOT (1u << 30)
/* The route is typed: run and input are set (ROUTE_IN sets this bit). */
#define ROUTE_TYPED (1u << 29)

/* What a typed route adds: its handler and its declared input. */
struct route_typed {
	route_run_fn run;
	const struct req_field *input;	/* REQ_END-terminated; NULL: none */
};

struct route {
	const char *method;	/* "GET" (admits HEAD too), "POST", ..., "*" any */
	const char *pattern;
	route_fn fn;		/* untyped handler; NULL in a typed route */
	const char *name;	/* label for logs and metrics; pattern if NULL */
	/* untyped: route_param_spec[] (NULL-terminated) or NULL;
	 * ROUTE_TYPED: a struct route_typed.  One untyped slot so that the
	 * tables not yet converted compile unchanged; typed once all are. */
	const void *spec;
	unsigned flags;
};

/*
 * One typed route: method, pattern, handler (route_run_fn), metrics
 * label, declared input (struct req_field[], or NULL), the program's
 * flags.  The compound literal is static (file scope) and type-checks
 * the handler and the input.
 */
#define ROUTE_IN(m, p, h, label, in, fl) \
	{ (m), (p), NULL, (label), &(const struct route_typed){ (h), (in) }, \
	  (fl) | ROUTE_TYPED }

/* The typed part of a route, or NULL for an untyped one. */
static inline const struct route_typed *route_typed(const struct route *r)
{
	return r && (r->flags & ROUTE_TYPED) ? (const struct route_typed *)r->spec : NULL;
}

struct route_params {
	const char *name[ROUTE_MAX_PARAMS];
	const char *val[ROUTE_MAX_PARAMS];
	int n;
};

enum route_result { ROUTE_OK, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD, ROUTE_INVALID };

/*
 * Finds the route for method and path.  ROUTE_INVALID means a pattern
 * matched but a parameter failed its validator (*bad names it).
 */
enum route_result route_match(struct arena *a, const struct route *table,
			      int n, const char *method, const struct path *p,
			      const struct route **hit, struct route_params *out,
			      const char **bad);
const char *route_param(const struct route_params *rp, const char *name);

/*
 * Checks a table once at start-up: every ":name" or "*name" of a typed
 * route's pattern is declared as a REQ_PATH field and every REQ_PATH
 * field is in the pattern; at most REQ_MAX_FIELDS fields.  Returns 0, or
 * -1 with e naming the route (NB_INTERNAL: a programming error).
 */
int route_table_check(const struct route *table, int n, struct nb_err *e);

#endif
