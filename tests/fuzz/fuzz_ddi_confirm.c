/*
 * fuzz_ddi_confirm - the consent-flow bodies a device POSTs:
 * ddi_confirm_parse() (confirmationBase/{action}/feedback) and
 * ddi_autoconfirm_parse() (confirmationBase/activateAutoConfirm).
 *
 * Invariants (abort() when broken): on success confirmed is 0 or 1 and
 * details a NUL-terminated string; initiator and remark are strings within
 * their limits; on failure err is NB_INVALID with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ddi/ddi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	const char *by = NULL, *remark = NULL;
	struct nb_err err = { NB_OK, "" };
	char *details = NULL;
	int yes = -1;

	arena_init(&a);
	if (ddi_confirm_parse(&a, (const char *)data, size, &yes, &details, &err) == 0) {
		if ((yes != 0 && yes != 1) || !details)
			abort();
		(void)strlen(details);
	} else if (err.kind != NB_INVALID || !err.msg[0]) {
		abort();
	}
	nb_err_clear(&err);
	if (ddi_autoconfirm_parse(&a, (const char *)data, size, &by, &remark, &err) == 0) {
		if (!by || !remark || strlen(by) > 255 || strlen(remark) > 1024)
			abort();
	} else if (err.kind != NB_INVALID || !err.msg[0]) {
		abort();
	}
	arena_free(&a);
	return 0;
}
