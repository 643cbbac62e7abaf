/*
 * fuzz_buildid - mkbox_build_id_parse() on the input as a .img.buildID
 * file ("<id>  <image>.img\n", as the mkbox pipeline writes it).
 *
 * Invariants (abort() when broken): on success the id is non-empty, fits
 * the buffer, holds no whitespace or control byte, and is exactly the
 * input's first bytes, ending at a blank or at the end of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mkbox/mkbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[MKBOX_BUILD_ID_MAX + 1];
	size_t i, n;

	if (mkbox_build_id_parse((const char *)data, size, out, sizeof(out)) < 0)
		return 0;
	n = strnlen(out, sizeof(out));
	if (n == 0 || n >= sizeof(out) || n > size || memcmp(out, data, n))
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		if (c <= 0x20 || c == 0x7f)
			abort();
	}
	if (n < size && data[n] != ' ' && data[n] != '\t' && data[n] != '\n' &&
	    data[n] != '\r')
		abort();
	return 0;
}
