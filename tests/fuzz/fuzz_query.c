/*
 * fuzz_query - query_parse() on the input as a raw query string.
 *
 * Invariants (abort() when broken): on success n <= QUERY_MAX_PAIRS, and
 * every key and value equals its own decoding of the raw part, byte for
 * byte up to strlen: no NUL hides before the decoded end (and none is
 * missing one).  query_get() returns each key's first value.  On failure
 * err is set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/err.h"
#include "../../src/lib/query.h"

static int hexv(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* An independent form decoder: 1 if s[0..n) decodes, NUL-free, to want. */
static int same(const char *s, size_t n, const char *want)
{
	size_t i, o = 0, wl = strlen(want);

	for (i = 0; i < n; i++, o++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || hexv((unsigned char)s[i + 1]) < 0 ||
			    hexv((unsigned char)s[i + 2]) < 0)
				return 0;
			c = hexv((unsigned char)s[i + 1]) * 16 + hexv((unsigned char)s[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0 || o >= wl || (unsigned char)want[o] != c)
			return 0;
	}
	return o == wl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data;
	struct arena a;
	struct query q;
	struct nb_err err;
	size_t i = 0;
	int k = 0, j;

	arena_init(&a);
	if (query_parse(&a, raw, size, &q, &err) < 0) {
		if (err.kind != NB_INVALID || !err.msg[0])
			abort();
		arena_free(&a);
		return 0;
	}
	if (q.n < 0 || q.n > QUERY_MAX_PAIRS || (q.n > 0 && !q.v))
		abort();
	/* walk the raw pairs again and compare */
	while (i < size) {
		const char *p = raw + i, *amp = memchr(p, '&', size - i);
		size_t pl = amp ? (size_t)(amp - p) : size - i;
		const char *eq = memchr(p, '=', pl);
		size_t kl = eq ? (size_t)(eq - p) : pl;

		i += pl + 1;
		if (pl == 0)
			continue;
		if (k >= q.n || !q.v[k].key || !q.v[k].val ||
		    !same(p, kl, q.v[k].key) ||
		    !same(eq ? eq + 1 : p + pl, eq ? pl - kl - 1 : 0, q.v[k].val))
			abort();
		k++;
	}
	if (k != q.n)
		abort();
	for (k = 0; k < q.n; k++) {
		for (j = 0; j < k; j++)
			if (!strcmp(q.v[j].key, q.v[k].key))
				break;
		if (query_get(&q, q.v[k].key) != q.v[j].val)
			abort();
	}
	arena_free(&a);
	return 0;
}
