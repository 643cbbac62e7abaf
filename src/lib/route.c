#include "route.h"

#include <stdio.h>
#include <string.h>

/* Splits a pattern into at most PATH_MAX_SEGS pieces; returns count. */
static int pattern_segs(const char *pat, const char **seg, size_t *len)
{
	int n = 0;
	const char *p = pat;

	if (*p == '/')
		p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);
		if (n == PATH_MAX_SEGS)
			return n;
		seg[n] = p;
		len[n] = l;
		n++;
		if (!slash)
			break;
		p = slash + 1;
	}
	return n;
}

static char *join_rest(struct arena *a, const struct path *p, int from)
{
	struct buf b;
	int i;

	buf_init(&b, a);
	for (i = from; i < p->n; i++) {
		if (i > from)
			buf_addc(&b, '/');
		buf_adds(&b, p->seg[i]);
	}
	return (char *)buf_cstr(&b);
}

/* 1 if the pattern matches the path and fills out; 0 if it does not. */
static int match_one(struct arena *a, const struct route *r,
		     const struct path *p, struct route_params *out)
{
	const char *seg[PATH_MAX_SEGS];
	size_t len[PATH_MAX_SEGS];
	int n = pattern_segs(r->pattern, seg, len), i;

	out->n = 0;
	for (i = 0; i < n; i++) {
		const char *s = seg[i];
		if (s[0] == '*' && i == n - 1) {
			if (out->n == ROUTE_MAX_PARAMS)
				return 0;
			out->name[out->n] = arena_strndup(a, s + 1, len[i] - 1);
			out->val[out->n++] = join_rest(a, p, i);
			break;
		}
		if (i >= p->n)
			return 0;
		if (len[i] > 0 && s[0] == ':') {
			if (p->seg[i][0] == '\0' || out->n == ROUTE_MAX_PARAMS)
				return 0;
			out->name[out->n] = arena_strndup(a, s + 1, len[i] - 1);
			out->val[out->n++] = p->seg[i];
		} else if (strlen(p->seg[i]) != len[i] ||
			   memcmp(p->seg[i], s, len[i]) != 0) {
			return 0;
		}
	}
	if (i == n && n != p->n)
		return 0;
	return 1;
}

static int method_ok(const char *want, const char *got)
{
	if (strcmp(want, got) == 0 || strcmp(want, "*") == 0)
		return 1;
	return strcmp(want, "GET") == 0 && strcmp(got, "HEAD") == 0;
}

enum route_result route_match(struct arena *a, const struct route *table,
			      int n, const char *method, const struct path *p,
			      const struct route **hit, struct route_params *out)
{
	enum route_result res = ROUTE_NOT_FOUND;
	int i;

	*hit = NULL;
	for (i = 0; i < n; i++) {
		struct route_params rp;
		if (!match_one(a, &table[i], p, &rp))
			continue;
		if (!method_ok(table[i].method, method)) {
			res = ROUTE_BAD_METHOD;
			continue;
		}
		*hit = &table[i];
		*out = rp;
		return ROUTE_OK;
	}
	return res;
}

/* Adds m to the list unless it is there; the list holds at most max. */
static void allow_add(const char **list, int *n, int max, const char *m)
{
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(list[i], m))
			return;
	if (*n < max)
		list[(*n)++] = m;
}

const char *route_allow(struct arena *a, const struct route *table, int n,
			const struct path *p)
{
	const char *m[16];
	int nm = 0, i;
	struct buf b;

	for (i = 0; i < n; i++) {
		struct route_params rp;
		if (!match_one(a, &table[i], p, &rp))
			continue;
		/* a "*" route takes every method left: the routes after it get none */
		if (!strcmp(table[i].method, "*"))
			break;
		allow_add(m, &nm, 16, table[i].method);
		if (!strcmp(table[i].method, "GET"))
			allow_add(m, &nm, 16, "HEAD");
	}
	if (!nm)
		return NULL;
	buf_init(&b, a);
	for (i = 0; i < nm; i++) {
		if (i)
			buf_adds(&b, ", ");
		buf_adds(&b, m[i]);
	}
	return buf_cstr(&b);
}

static const struct req_field *path_field(const struct req_field *in,
					  const char *name, size_t nl)
{
	for (; in && in->name; in++)
		if (in->src == REQ_PATH && strlen(in->name) == nl &&
		    memcmp(in->name, name, nl) == 0)
			return in;
	return NULL;
}

/* 1 when the pattern has ":name" or "*name". */
static int pattern_has(const char *pattern, const char *name)
{
	const char *seg[PATH_MAX_SEGS];
	size_t len[PATH_MAX_SEGS], nl = strlen(name);
	int n = pattern_segs(pattern, seg, len), i;

	for (i = 0; i < n; i++)
		if (len[i] == nl + 1 && (seg[i][0] == ':' || seg[i][0] == '*') &&
		    memcmp(seg[i] + 1, name, nl) == 0)
			return 1;
	return 0;
}

static int check_typed(const struct route *r, struct nb_err *e)
{
	const char *seg[PATH_MAX_SEGS];
	size_t len[PATH_MAX_SEGS];
	const struct req_field *f, *in = route_typed(r)->input;
	int n = pattern_segs(r->pattern, seg, len), i, nf = 0;

	if (!route_typed(r)->run)
		return nb_fail(e, NB_INTERNAL, "%s %s: no handler", r->method, r->pattern);

	for (i = 0; i < n; i++)
		if ((seg[i][0] == ':' || seg[i][0] == '*') &&
		    !path_field(in, seg[i] + 1, len[i] - 1))
			return nb_fail(e, NB_INTERNAL, "%s %s: %.*s is not declared", r->method,
				       r->pattern, (int)len[i], seg[i]);
	for (f = in; f && f->name; f++, nf++)
		if (f->src == REQ_PATH && !pattern_has(r->pattern, f->name))
			return nb_fail(e, NB_INTERNAL, "%s %s: path field %s is not in the pattern",
				       r->method, r->pattern, f->name);
	if (nf > REQ_MAX_FIELDS)
		return nb_fail(e, NB_INTERNAL, "%s %s: more than %d fields", r->method,
			       r->pattern, REQ_MAX_FIELDS);
	return 0;
}

int route_table_check(const struct route *table, int n, struct nb_err *e)
{
	int i;

	for (i = 0; i < n; i++)
		if (check_typed(&table[i], e) < 0)
			return -1;
	return 0;
}
