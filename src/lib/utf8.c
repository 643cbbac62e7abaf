/*
 * utf8.c - RFC 3629 well-formedness (the table of valid byte sequences
 * in its section 4), written out because it is twenty lines and neither
 * libc nor a Debian library we already link offers it for a byte range.
 */
#include "utf8.h"

/* The number of continuation bytes after lead byte c, or -1; lo/hi bound
 * the first continuation byte (overlongs and surrogates excluded). */
static int utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80, *hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		return 1;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			*lo = 0xa0;
		else if (c == 0xed)
			*hi = 0x9f;
		return 2;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			*lo = 0x90;
		else if (c == 0xf4)
			*hi = 0x8f;
		return 3;
	}
	return -1;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i], lo, hi;
		int k, j;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		k = utf8_lead(c, &lo, &hi);
		if (k < 0 || (size_t)k > n - i - 1 || p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (j = 2; j <= k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
		i += (size_t)k + 1;
	}
	return 1;
}

/* How many bytes from p[0] (a lead byte with k continuation bytes, the
 * first within lo..hi) form a sequence, at most n: 1 + the continuation
 * bytes that fit, so k + 1 when the sequence is whole. */
static size_t utf8_run(const unsigned char *p, size_t n, int k, unsigned char lo,
		       unsigned char hi)
{
	size_t j = 1;

	if (j < n && p[1] >= lo && p[1] <= hi)
		for (j = 2; j < n && j <= (size_t)k && (p[j] & 0xc0) == 0x80; j++)
			;
	return j;
}

size_t utf8_repair(char *out, size_t outsz, const char *in, size_t n)
{
	static const char fffd[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;

	while (i < n && p[i]) {
		unsigned char lo, hi;
		int k = p[i] < 0x80 ? 0 : utf8_lead(p[i], &lo, &hi);
		size_t run = k <= 0 ? 1 : utf8_run(p + i, n - i, k, lo, hi);
		int whole = k >= 0 && run == (size_t)k + 1;
		const char *src = whole ? in + i : fffd;
		size_t len = whole ? run : 3;

		if (o + len >= outsz)
			break;
		for (size_t j = 0; j < len; j++)
			out[o++] = src[j];
		i += run;
	}
	out[o] = '\0';
	return o;
}
