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
