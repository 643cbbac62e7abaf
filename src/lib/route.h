/*
 * route.h - the route table.
 *
 * A program is mostly its table of (method, pattern, handler, label,
 * declared input, flags), read top to bottom; the first match wins.
 * Pattern segments are literals, ":name" (one non-empty segment), or a
 * final "*name" (zero or more remaining segments joined with '/').  A
 * pattern ending in '/' matches only a path with a trailing slash.  Path
 * segments reaching here are already validated by path_split().
 *
 * Every route (ROUTE_IN) declares every input it reads (req.h), its path
 * parameters among them, and has a handler that returns 0 or -1 with an
 * error value; the program answers the error (app_fail) and the refused
 * input (req_check) itself.  Matching judges only the pattern's shape:
 * what a parameter may hold is its field's validator's to say.
 */
#ifndef NB_ROUTE_H
#define NB_ROUTE_H

#include "path.h"
#include "req.h"

struct http_req;
struct http_resp;
struct app;

/* A route's handler: 0 when it answered, or -1 with e set (the program
 * answers e in its format: JSON or text). */
typedef int (*route_run_fn)(struct app *app, struct http_req *req,
			    struct http_resp *resp, struct nb_err *e);

#define ROUTE_MAX_PARAMS 8

/*
 * A route's flags are the program's own, except this bit: requests a
 * fleet sends all day (a DDI poll) are counted in the metrics but get no
 * request-log row of their own, unless log.hot_rows is set.
 */
#define ROUTE_HOT (1u << 30)
/* Set by ROUTE_IN on every route (the tables were once of two kinds). */
#define ROUTE_TYPED (1u << 29)
/*
 * The route's body, when there is one, is JSON: a body of another media
 * type (Content-Type not http_json_type's) is refused before the
 * program's before hook and the handler run, 415 (NB_UNSUPPORTED_TYPE,
 * RFC 9110 15.5.16).  No Content-Type is taken (SWUpdate sends one, but
 * a hand-made client may not), and so is an empty body of any type.
 */
#define ROUTE_JSON_BODY (1u << 28)

/* A route's handler and its declared input. */
struct route_typed {
	route_run_fn run;
	const struct req_field *input;	/* REQ_END-terminated; NULL: none */
};

struct route {
	const char *method;	/* "GET" (admits HEAD too), "POST", ..., "*" any */
	const char *pattern;
	const char *name;	/* label for logs and metrics; pattern if NULL */
	struct route_typed t;
	unsigned flags;
};

/*
 * One route: method, pattern, handler (route_run_fn), metrics label,
 * declared input (struct req_field[], or NULL), the program's flags.
 */
#define ROUTE_IN(m, p, h, label, in, fl) \
	{ (m), (p), (label), { (h), (in) }, (fl) | ROUTE_TYPED }

/* The handler and input of a route (NULL for no route). */
static inline const struct route_typed *route_typed(const struct route *r)
{
	return r ? &r->t : NULL;
}

/* The raw path parameters a match found: req_check (req.c) validates
 * them into the typed values a handler reads (req_str, req_int); the
 * library has no raw accessor, so no handler can skip the check. */
struct route_params {
	const char *name[ROUTE_MAX_PARAMS];
	const char *val[ROUTE_MAX_PARAMS];
	int n;
};

enum route_result { ROUTE_OK, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

/*
 * Finds the route for method and path: ROUTE_OK with *hit and the path
 * parameters in out; ROUTE_BAD_METHOD when a pattern matched the path
 * but none took the method (405); ROUTE_NOT_FOUND (404).
 */
enum route_result route_match(struct arena *a, const struct route *table,
			      int n, const char *method, const struct path *p,
			      const struct route **hit, struct route_params *out);

/*
 * The methods the routes of table whose pattern matches p take, for the
 * Allow header a 405 must carry (RFC 9110 15.5.6, 10.2.1): "GET, HEAD,
 * POST" (a GET route takes HEAD too), each once, in table order; from a.
 * A matching "*" route takes every method left, so the routes after it
 * add none (route_match would never reach them): its handler's 405 names
 * the methods the routes before it take.  NULL when no route with a
 * method of its own comes first.
 */
const char *route_allow(struct arena *a, const struct route *table, int n,
			const struct path *p);

/*
 * Checks a table once at start-up: every ":name" or "*name" of a route's
 * pattern is declared as a REQ_PATH field and every REQ_PATH
 * field is in the pattern; at most REQ_MAX_FIELDS fields.  Returns 0, or
 * -1 with e naming the route (NB_INTERNAL: a programming error).
 */
int route_table_check(const struct route *table, int n, struct nb_err *e);

#endif
