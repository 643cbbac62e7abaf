/*
 * route.h - the route table.
 *
 * A program is mostly its table of (method, pattern, handler, flags), read
 * top to bottom; the first match wins.  Pattern segments are literals,
 * ":name" (one non-empty segment, checked by an optional validator), or a
 * final "*name" (zero or more remaining segments joined with '/').
 * A pattern ending in '/' matches only a path with a trailing slash.
 * Path segments reaching here are already validated by path_split().
 */
#ifndef NB_ROUTE_H
#define NB_ROUTE_H

#include "path.h"

struct http_req;
struct http_resp;
struct app;

typedef void (*route_fn)(struct app *app, struct http_req *req,
			 struct http_resp *resp);
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

struct route {
	const char *method;	/* "GET" (admits HEAD too), "POST", ..., "*" any */
	const char *pattern;
	route_fn fn;
	const char *name;	/* label for logs and metrics; pattern if NULL */
	const struct route_param_spec *params;	/* validators, NULL-terminated */
	unsigned flags;
};

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

#endif
