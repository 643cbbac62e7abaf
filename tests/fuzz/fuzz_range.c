/*
 * fuzz_range - http_range_parse() on a fuzzed Range header.  The first 8
 * bytes are the file size (little-endian, sign bit cleared: a stat size is
 * never negative), the rest is the header, copied and NUL-terminated.
 *
 * Invariants (abort() when broken): the result is -1, 0 or 1; on 1,
 * 0 <= start, len >= 1 and start + len <= size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t u = 0;
	off_t fsize, start = -7, len = -7;
	char *h;
	int rc, i;

	if (size < 8)
		return 0;
	for (i = 7; i >= 0; i--)
		u = u << 8 | data[i];
	fsize = (off_t)(u & INT64_MAX);
	h = malloc(size - 8 + 1);
	if (!h)
		return 0;
	memcpy(h, data + 8, size - 8);
	h[size - 8] = '\0';
	rc = http_range_parse(h, fsize, &start, &len);
	if (rc < -1 || rc > 1)
		abort();
	/* start + len cannot overflow once both are within [0, fsize] */
	if (rc == 1 && (start < 0 || len < 1 || len > fsize || start > fsize - len))
		abort();
	free(h);
	return 0;
}
