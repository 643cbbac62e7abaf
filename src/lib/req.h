/*
 * req.h - declared, typed request input (kcgi's kvalid, per route).
 *
 * A route of the table (route.h, ROUTE_IN) names the fields it accepts:
 * path parameters (":name" / "*name" of its pattern), query fields and
 * urlencoded form fields, each with a validator that turns the raw text
 * into a typed value.  The program (app.c) checks them before the handler
 * runs and answers a refusal itself: 400 "invalid <name>" or "missing
 * <name>" unless the validator chose another kind and message (a tenant
 * that is not served is a 404).  A declared query or form field given
 * twice ("?id=1&id=2") is refused the same way, "invalid <name>: given
 * more than once", unless it is declared REQ_REPEAT (a list of
 * checkboxes); undeclared fields are nobody's input and may repeat.
 * A handler reads only the checked values,
 * through req_str() / req_int() / req_has(); it never parses raw input.
 *
 * Order: path and query fields are checked right after routing, before
 * the program's `before` hook (authentication); form fields after it, so
 * a body is read only for an authenticated request.  A multipart body is
 * not a form here: its parts are read by the handler (multipart.h).
 *
 * Cost: no allocation (but for a validator that parses a structured value,
 * in the request's arena); a loop over the route's few fields.  ROUTE_HOT
 * routes (a DDI poll) pay a few string compares.
 */
#ifndef NB_REQ_H
#define NB_REQ_H

#include <stddef.h>

#include "err.h"

struct app;
struct http_req;

enum req_src { REQ_PATH = 1, REQ_QUERY = 2, REQ_FORM = 4 };

/* Field flags. */
#define REQ_REQUIRED (1u << 0)	/* absent or empty: 400 "missing <name>" */
#define REQ_EMPTY (1u << 1)	/* "" is a value (set, not validated); else "" = absent */
#define REQ_REPEAT (1u << 2)	/* may be given more than once (checkboxes of one name):
				 * every value is validated, req_str/req_int give the
				 * first; without it a second one is 400 */

#define REQ_MAX_FIELDS 12

struct arena;

/* A checked value: s is the text (NULL when absent), i the number of a
 * numeric, boolean or enum validator (0 otherwise), p what a parsing
 * validator built (NULL otherwise). */
struct req_value {
	const char *s;
	long long i;
	int set;
	const void *p;		/* in the request's arena: read with req_ptr */
	struct arena *a;	/* the request's arena, for a validator that parses */
};

struct req_field;

/*
 * A validator: 0 with out filled (out->s is preset to raw, so a text
 * validator only says yes; a validator that parses into a structure
 * allocates it in out->a and sets out->p), or -1.  On -1 it may fill e with its own kind
 * and message; left NB_OK, the answer is 400 "invalid <name>".  app gives
 * the parsed settings (app->domain) to validators that need them; it
 * must not be changed.  raw is never NULL or "" (the caller handles an
 * absent field).
 */
typedef int (*req_valid_fn)(const struct app *app, const struct req_field *f,
			    const char *raw, struct req_value *out, struct nb_err *e);

struct req_field {
	const char *name;
	enum req_src src;
	req_valid_fn valid;	/* NULL: any text */
	unsigned flags;		/* REQ_REQUIRED, REQ_EMPTY */
	size_t max;		/* longest raw value in bytes; 0: no limit */
	const void *arg;	/* the validator's own (req_v_enum: its words) */
};

/* Declaration helpers for a route's NULL-terminated field list. */
#define REQ_PATH_FIELD(n, v) { (n), REQ_PATH, (v), REQ_REQUIRED, 0, NULL }
#define REQ_QUERY_FIELD(n, v, fl) { (n), REQ_QUERY, (v), (fl), 0, NULL }
#define REQ_FORM_FIELD(n, v, fl) { (n), REQ_FORM, (v), (fl), 0, NULL }
#define REQ_END { NULL, 0, NULL, 0, 0, NULL }

/*
 * Checks the fields of r->route whose source is in srcmask (REQ_PATH |
 * REQ_QUERY, or REQ_FORM) and stores their values in r.  Returns 0, or -1
 * with e set (NB_INVALID naming the field, or the validator's kind).
 * Reads the form body (server.max_body, app->set.max_body) when the route
 * declares form fields; a body error is its kind (413, 408, ...).
 */
int req_check(const struct app *app, struct http_req *r, unsigned srcmask,
	      struct nb_err *e);

/* The checked text of a declared field, or NULL when absent.  An
 * undeclared name is a programming error: NULL, and a line on stderr. */
const char *req_str(const struct http_req *r, const char *name);
/* The checked number (req_v_id, req_v_uint, req_v_bool, req_v_enum), or
 * dflt when absent. */
long long req_int(const struct http_req *r, const char *name, long long dflt);
/* What the field's parsing validator built (out->p), or NULL when absent
 * or when the validator built nothing for this value. */
const void *req_ptr(const struct http_req *r, const char *name);
/* 1 when the field was given (non-empty, or empty with REQ_EMPTY); 0 also
 * when the route does not declare it, so a handler shared by several
 * routes can ask which fields it got (req_str/req_int on an undeclared
 * field are reported as a bug). */
int req_has(const struct http_req *r, const char *name);

/* Generic validators.  Domain validators (a mkbox name, a controller id,
 * a tenant) live in their domain and are public for tests/fuzz. */
/* Any text without control characters (max applies). */
int req_v_text(const struct app *app, const struct req_field *f, const char *raw,
	       struct req_value *out, struct nb_err *e);
/* A database id: decimal 1..999999999999999999, no sign, no leading zero. */
int req_v_id(const struct app *app, const struct req_field *f, const char *raw,
	     struct req_value *out, struct nb_err *e);
/* A count: decimal 0..999999999999999999, no sign, no leading zero. */
int req_v_uint(const struct app *app, const struct req_field *f, const char *raw,
	       struct req_value *out, struct nb_err *e);
/* 1/true/on/yes -> 1, 0/false/off/no -> 0 (HTML checkboxes send "on"). */
int req_v_bool(const struct app *app, const struct req_field *f, const char *raw,
	       struct req_value *out, struct nb_err *e);
/* One of the NULL-terminated words in f->arg (const char *const[]);
 * i is its index. */
int req_v_enum(const struct app *app, const struct req_field *f, const char *raw,
	       struct req_value *out, struct nb_err *e);
/* A hash or hash prefix: 1..64 hex digits (max narrows it). */
int req_v_hex(const struct app *app, const struct req_field *f, const char *raw,
	      struct req_value *out, struct nb_err *e);

#endif
