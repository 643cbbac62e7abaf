/*
 * fuzz_swdesc - swu_describe() on the input as a sw-description text
 * (libconfig syntax, or JSON when it starts with '{'), not NUL-terminated.
 *
 * Invariants (abort() when broken): failure gives a message; success means
 * the input is at most SWU_DESC_MAX bytes without a NUL, and gives a
 * non-empty NUL-terminated version, a NUL-terminated description, and at
 * most SWU_MAX_COMPAT compatibility entries whose board and revision are
 * NUL-terminated; a second call on the same text gives the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_swinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct swu_info info, again;
	const char *text = (const char *)data;
	struct nb_err err;
	int i;

	memset(&info, 0x5a, sizeof(info));
	memset(err.msg, 'x', sizeof(err.msg));
	if (swu_describe(text, size, &info, &err) < 0) {
		fz_check_refusal(&err);
		return 0;
	}
	if (size > SWU_DESC_MAX || memchr(text, '\0', size))
		abort();
	fz_check_swinfo(&info);
	memset(&again, 0xa5, sizeof(again));
	if (swu_describe(text, size, &again, &err) < 0 ||
	    strcmp(again.version, info.version) || strcmp(again.description, info.description) ||
	    again.ncompat != info.ncompat)
		abort();
	for (i = 0; i < info.ncompat; i++)
		if (strcmp(again.compat[i].board, info.compat[i].board) ||
		    strcmp(again.compat[i].revision, info.compat[i].revision))
			abort();
	return 0;
}
