#include "version.h"

#include <stdlib.h>

int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		if ((*a >= '0' && *a <= '9') && (*b >= '0' && *b <= '9')) {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return 0;
}
