/*
 * Version ordering in the order SWUpdate applies it: versions of one to
 * four dot-separated numbers compare field by field ("1.2" == "1.2.0");
 * anything else compares as semver, where a pre-release sorts before its
 * release ("1.0.0-rc.2" < "1.0.0") and build metadata ("+…") is ignored.
 * A main part (before "-" or "+") in the numeric form compares as such,
 * so "1.0.0-rc1" < "1.0" == "1.0.0" and the order stays transitive.
 * Otherwise runs of digits compare as numbers, so tags such as "v1.10" >
 * "v1.9" still order sensibly.
 */
#include "version.h"

#include <limits.h>
#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * s[0..n) as "a[.b[.c[.d]]]" with only digits, SWUpdate's numeric form:
 * 1 with the fields in f (missing ones 0), else 0.
 */
static int numeric_fields(const char *s, size_t n, unsigned long long f[4])
{
	const char *end = s + n;
	int k = 0;

	memset(f, 0, 4 * sizeof(f[0]));
	for (;;) {
		if (s == end || !is_digit(*s) || k == 4)
			return 0;
		for (; s < end && is_digit(*s); s++)	/* saturating, as strtoull */
			f[k] = f[k] > (ULLONG_MAX - 9) / 10 ? ULLONG_MAX :
			       f[k] * 10 + (unsigned)(*s - '0');
		k++;
		if (s == end)
			return 1;
		if (*s != '.')
			return 0;
		s++;
	}
}

static int fields_cmp(const unsigned long long fa[4], const unsigned long long fb[4])
{
	int i;

	for (i = 0; i < 4; i++)
		if (fa[i] != fb[i])
			return fa[i] < fb[i] ? -1 : 1;
	return 0;
}

/* Compares a[0..na) with b[0..nb), digit runs as numbers. */
static int run_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	const char *ea = a + na, *eb = b + nb;

	while (a < ea && b < eb) {
		if (is_digit(*a) && is_digit(*b)) {
			unsigned long long x = 0, y = 0;
			for (; a < ea && is_digit(*a); a++)
				x = x * 10 + (unsigned)(*a - '0');
			for (; b < eb && is_digit(*b); b++)
				y = y * 10 + (unsigned)(*b - '0');
			if (x != y)
				return x < y ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return (a < ea) - (b < eb);
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return n > 0;
}

/* semver's pre-release rule: numeric identifiers < alphanumeric ones. */
static int pre_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	while (na && nb) {
		const char *da = memchr(a, '.', na), *db = memchr(b, '.', nb);
		size_t la = da ? (size_t)(da - a) : na, lb = db ? (size_t)(db - b) : nb;
		int ka = all_digits(a, la), kb = all_digits(b, lb), c;

		if (ka != kb)
			return ka ? -1 : 1;
		c = run_cmp(a, la, b, lb);
		if (c)
			return c;
		a += la + (da != NULL);
		na -= la + (da != NULL);
		b += lb + (db != NULL);
		nb -= lb + (db != NULL);
	}
	return (na > 0) - (nb > 0);
}

/*
 * The main parts (before "-" or "+"): SWUpdate's numeric form when both
 * have it, so "1.0.0-rc1" < "1.0" as "1.0.0-rc1" < "1.0.0" and the order
 * stays transitive; else digit runs as numbers.
 */
static int main_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	unsigned long long fa[4], fb[4];

	if (numeric_fields(a, na, fa) && numeric_fields(b, nb, fb))
		return fields_cmp(fa, fb);
	return run_cmp(a, na, b, nb);
}

int version_cmp(const char *a, const char *b)
{
	size_t ma, mb, pa, pb;
	int c;

	pa = strcspn(a, "+");
	pb = strcspn(b, "+");
	ma = strcspn(a, "-+");
	mb = strcspn(b, "-+");
	c = main_cmp(a, ma, b, mb);
	if (c)
		return c;
	/* same main part: a release sorts after its pre-releases */
	if ((ma == pa) != (mb == pb))
		return ma == pa ? 1 : -1;
	if (ma == pa)
		return 0;
	return pre_cmp(a + ma + 1, pa - ma - 1, b + mb + 1, pb - mb - 1);
}
