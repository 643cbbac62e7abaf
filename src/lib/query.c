#include "query.h"

/* a bound in a message: the refusal says what was passed */
#define QUERY_STR_(x) #x
#define QUERY_STR(x) QUERY_STR_(x)
#include "path.h"
#include "err.h"

#include <string.h>

static int decode_part(struct arena *a, const char *s, size_t n, const char **out)
{
	char *d = arena_alloc(a, n + 1);
	long dl = path_url_decode(d, s, n, 1);

	if (dl < 0 || memchr(d, '\0', (size_t)dl))
		return -1;
	*out = d;
	return 0;
}

int query_parse(struct arena *a, const char *raw, size_t len,
		struct query *out, struct nb_err *e)
{
	size_t i = 0;

	out->n = 0;
	out->v = NULL;
	if (len > QUERY_RAW_MAX)
		return nb_fail(e, NB_INVALID, "query string too long: at most " QUERY_STR(QUERY_RAW_MAX) " bytes");
	out->v = arena_alloc(a, sizeof(*out->v) * QUERY_MAX_PAIRS);
	while (i < len) {
		const char *p = raw + i;
		const char *amp = memchr(p, '&', len - i);
		size_t pl = amp ? (size_t)(amp - p) : len - i;
		const char *eq = memchr(p, '=', pl);
		struct query_pair *qp;

		i += pl + 1;
		if (pl == 0)
			continue;	/* "a=1&&b=2" */
		if (out->n == QUERY_MAX_PAIRS)
			return nb_fail(e, NB_INVALID, "too many query parameters: at most " QUERY_STR(QUERY_MAX_PAIRS));
		qp = &out->v[out->n];
		if (decode_part(a, p, eq ? (size_t)(eq - p) : pl, &qp->key) < 0 ||
		    decode_part(a, eq ? eq + 1 : p + pl,
				eq ? pl - (size_t)(eq - p) - 1 : 0, &qp->val) < 0)
			return nb_fail(e, NB_INVALID, "bad escape in query string");
		out->n++;
	}
	return 0;
}

const char *query_get(const struct query *q, const char *key)
{
	int i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->v[i].key, key) == 0)
			return q->v[i].val;
	return NULL;
}
