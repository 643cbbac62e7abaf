/* Declared request input: the check run by the program, the accessors,
 * and the generic validators (req.h). */
#include "req.h"
#include "app.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The raw text of path parameter name; NULL when the route has none.
 * Only here: a handler reads the checked value (req_str), never this. */
static const char *path_param(const struct route_params *rp, const char *name)
{
	int i;

	for (i = 0; i < rp->n; i++)
		if (strcmp(rp->name[i], name) == 0)
			return rp->val[i];
	return NULL;
}

/* The raw text of a field from its source; NULL when absent. */
static const char *raw_value(const struct http_req *r, const struct req_field *f)
{
	switch (f->src) {
	case REQ_PATH: return path_param(&r->params, f->name);
	case REQ_QUERY: return query_get(&r->query, f->name);
	case REQ_FORM: return query_get(&r->form, f->name);
	}
	return NULL;
}

static int check_one(const struct app *app, struct arena *a, const struct req_field *f,
		     const char *raw, struct req_value *v, struct nb_err *e)
{
	v->s = NULL;
	v->i = 0;
	v->p = NULL;
	v->a = a;
	v->set = 0;
	if (!raw || (!*raw && !(f->flags & REQ_EMPTY))) {
		if (f->flags & REQ_REQUIRED)
			return nb_fail(e, NB_INVALID, "missing %s", f->name);
		return 0;
	}
	v->s = raw;
	v->set = 1;
	if (!*raw)
		return 0;
	if (f->max && strlen(raw) > f->max)
		return nb_fail(e, NB_INVALID, "invalid %s: at most %zu bytes", f->name, f->max);
	if (f->valid && f->valid(app, f, raw, v, e) < 0) {
		if (e->kind == NB_OK)
			nb_fail(e, NB_INVALID, "invalid %s", f->name);
		return -1;
	}
	return 0;
}

static int wants_form(const struct req_field *in)
{
	for (; in && in->name; in++)
		if (in->src == REQ_FORM)
			return 1;
	return 0;
}

/* The query or form a field comes from; NULL for a path parameter. */
static const struct query *pairs_of(const struct http_req *r, const struct req_field *f)
{
	return f->src == REQ_QUERY ? &r->query : f->src == REQ_FORM ? &r->form : NULL;
}

/*
 * A field given twice ("?id=1&id=2") is refused naming it: the handler
 * reads one value, and a front end, a cache or a log may read the other,
 * so which one counts must not be a guess.  A REQ_REPEAT field (one name
 * for many checkboxes) may repeat; each of its values passes the rule the
 * first one did.
 */
static int check_repeats(const struct app *app, const struct http_req *r,
			 const struct req_field *f, struct nb_err *e)
{
	const struct query *q = pairs_of(r, f);
	struct req_value v;
	int i, seen = 0;

	for (i = 0; q && i < q->n; i++) {
		if (strcmp(q->v[i].key, f->name) || seen++ == 0)
			continue;
		if (!(f->flags & REQ_REPEAT))
			return nb_fail(e, NB_INVALID, "invalid %s: given more than once", f->name);
		if (check_one(app, r->a, f, q->v[i].val, &v, e) < 0)
			return -1;
	}
	return 0;
}

int req_check(const struct app *app, struct http_req *r, unsigned srcmask,
	      struct nb_err *e)
{
	const struct route_typed *t = route_typed(r->route);
	const struct req_field *in = t ? t->input : NULL;
	int i;

	if (!in)
		return 0;
	if ((srcmask & REQ_FORM) && wants_form(in) && http_read_form(r, app->set.max_body, e) < 0)
		return -1;
	e->kind = NB_OK;
	r->in_refused = NULL;
	for (i = 0; in[i].name && i < REQ_MAX_FIELDS; i++)
		if ((in[i].src & srcmask) &&
		    (check_one(app, r->a, &in[i], raw_value(r, &in[i]), &r->in[i], e) < 0 ||
		     check_repeats(app, r, &in[i], e) < 0)) {
			r->in_refused = in[i].name;
			return -1;
		}
	return 0;
}

/* The declaration of field name, or NULL when the route has none. */
static const struct req_field *lookup_field(const struct http_req *r, const char *name)
{
	const struct route_typed *t = route_typed(r->route);
	const struct req_field *in = t ? t->input : NULL;
	int i;

	for (i = 0; in && in[i].name && i < REQ_MAX_FIELDS; i++)
		if (strcmp(in[i].name, name) == 0)
			return &in[i];
	return NULL;
}

/* The declaration of field name of r's route, or NULL (said on stderr):
 * a read of a field the route does not declare is a bug of the handler
 * (the e2e suite fails on it), answered as absent. */
static const struct req_field *declared(const struct http_req *r, const char *name)
{
	const struct req_field *f = lookup_field(r, name);

	if (!f)
		fprintf(stderr, "nestbox: %s %s reads undeclared input %s\n",
			r->method ? r->method : "-", r->route ? r->route->pattern : "-", name);
	return f;
}

/* The checked value of f, a declaration of r's route (r->in is in the
 * declarations' order), or NULL when f is. */
static const struct req_value *value_of(const struct http_req *r, const struct req_field *f)
{
	return f ? &r->in[f - route_typed(r->route)->input] : NULL;
}

static const struct req_value *find(const struct http_req *r, const char *name)
{
	return value_of(r, declared(r, name));
}

const char *req_str(const struct http_req *r, const char *name)
{
	const struct req_value *v = find(r, name);

	return v && v->set ? v->s : NULL;
}

long long req_int(const struct http_req *r, const char *name, long long dflt)
{
	const struct req_value *v = find(r, name);

	return v && v->set ? v->i : dflt;
}

const void *req_ptr(const struct http_req *r, const char *name)
{
	const struct req_value *v = find(r, name);

	return v && v->set ? v->p : NULL;
}

int req_has(const struct http_req *r, const char *name)
{
	/* a handler shared by routes with different fields asks which it got */
	const struct req_value *v = value_of(r, lookup_field(r, name));

	return v && v->set;
}

int req_each(const struct app *app, const struct http_req *r, const char *name, int *pos,
	     struct req_value *v)
{
	const struct req_field *f = declared(r, name);
	const struct query *q = f ? pairs_of(r, f) : NULL;
	struct nb_err e;

	/* the validator again, on text the router let through: it gives the
	 * typed value without keeping a list per request */
	for (; q && *pos < q->n; ++*pos) {
		const char *raw = q->v[*pos].val;
		if (strcmp(q->v[*pos].key, name) || (!*raw && !(f->flags & REQ_EMPTY)))
			continue;
		e.kind = NB_OK;
		if (check_one(app, r->a, f, raw, v, &e) == 0 && v->set) {
			++*pos;
			return 1;
		}
	}
	return 0;
}

const char *req_typed(const struct http_req *r, const char *name)
{
	const struct req_field *f = lookup_field(r, name);
	const struct query *q = f ? pairs_of(r, f) : NULL;

	return q ? query_get(q, name) : NULL;
}

int req_v_text(const struct app *app, const struct req_field *f, const char *raw,
	       struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	for (; *raw; raw++)
		if ((unsigned char)*raw < 0x20 || *raw == 0x7f)
			return -1;
	return 0;
}

/* Decimal without sign or leading zero, at most 18 digits (no overflow). */
static int decimal(const char *s, long long *out)
{
	long long v = 0;
	size_t n = 0;

	if (s[0] == '0' && s[1])
		return -1;
	for (; *s; s++, n++) {
		if (*s < '0' || *s > '9' || n == 18)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

int req_v_id(const struct app *app, const struct req_field *f, const char *raw,
	     struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)e;
	return decimal(raw, &out->i) < 0 || out->i < 1 ? -1 : 0;
}

int req_v_uint(const struct app *app, const struct req_field *f, const char *raw,
	       struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)e;
	return decimal(raw, &out->i);
}

int req_v_bool(const struct app *app, const struct req_field *f, const char *raw,
	       struct req_value *out, struct nb_err *e)
{
	static const char *const yes[] = { "1", "true", "on", "yes" };
	static const char *const no[] = { "0", "false", "off", "no" };
	size_t i;

	(void)app, (void)f, (void)e;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(raw, yes[i]))
			return out->i = 1, 0;
		if (!strcasecmp(raw, no[i]))
			return out->i = 0, 0;
	}
	return -1;
}

int req_v_enum(const struct app *app, const struct req_field *f, const char *raw,
	       struct req_value *out, struct nb_err *e)
{
	const char *const *w = f->arg;
	long long i;

	(void)app, (void)e;
	for (i = 0; w && w[i]; i++)
		if (!strcmp(raw, w[i]))
			return out->i = i, 0;
	return -1;
}

int req_v_hex(const struct app *app, const struct req_field *f, const char *raw,
	      struct req_value *out, struct nb_err *e)
{
	size_t n = strspn(raw, "0123456789abcdefABCDEF");

	(void)app, (void)f, (void)out, (void)e;
	return raw[n] == '\0' && n <= 64 ? 0 : -1;
}
