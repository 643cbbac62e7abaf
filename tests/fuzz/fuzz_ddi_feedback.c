/*
 * fuzz_ddi_feedback - ddi_feedback_parse() on a fuzzed action feedback
 * body, as SWUpdate and rauc-hawkbit-updater POST it.
 *
 * Invariants (abort() when broken): on success the body was UTF-8,
 * execution is one of the DDI values, finished is success/failure/none
 * (hawkBit requires it: never defaulted), progress is -1..100 and details
 * is a NUL-terminated string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ddi/ddi.h"
#include "../../src/lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct ddi_fb fb;
	struct nb_err err = { NB_OK, "" };

	arena_init(&a);
	if (ddi_feedback_parse(&a, (const char *)data, size, &fb, &err) == 0) {
		if (!ddi_execution_ok(fb.execution) || !ddi_finished_ok(fb.finished) ||
		    fb.progress < -1 || fb.progress > 100 || !fb.details ||
		    !utf8_valid((const char *)data, size) || !memmem(data, size, "\"finished\"", 10))
			abort();
		(void)strlen(fb.details);
	} else if (err.kind != NB_INVALID || !err.msg[0]) {
		abort();
	}
	arena_free(&a);
	return 0;
}
