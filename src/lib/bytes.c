/*
 * bytes.c - a bounded heap block grown as an upload arrives (bytes.h).
 */
#include "bytes.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

#define BYTES_FIRST (64u << 10)	/* the first block: most uploads are small */

int bytes_add(char **p, size_t *len, size_t *cap, size_t max, const void *src, size_t n,
	      const char *too_large, struct nb_err *e)
{
	size_t c = *cap ? *cap : BYTES_FIRST;
	char *q;

	/* on the lengths alone, written so that no sum can wrap */
	if (*len > max || n > max - *len)
		return nb_fail(e, NB_TOO_LARGE, "%s", too_large);
	while (c < *len + n + 1)
		c = c > (max + 1) / 2 ? max + 1 : c * 2;
	if (c != *cap) {
		if (!(q = realloc(*p, c)))
			return nb_fail(e, NB_UNAVAILABLE, "out of memory for the upload");
		*p = q;
		*cap = c;
	}
	memcpy(*p + *len, src, n);
	*len += n;
	(*p)[*len] = '\0';
	return 0;
}

int bytes_count(unsigned long long *total, unsigned long long n, unsigned long long max)
{
	if (*total > max || n > max - *total)
		return -1;
	*total += n;
	return 0;
}
