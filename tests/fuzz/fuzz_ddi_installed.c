/*
 * fuzz_ddi_installed - ddi_installed_parse() on a fuzzed PUT installedBase
 * body ({"name": "...", "version": "..."}, hawkBit's DdiAssignedVersion).
 *
 * Invariants (abort() when broken): on success name and version are
 * non-empty UTF-8 strings within their limits and the body was UTF-8; on
 * failure err is NB_INVALID with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ddi/ddi.h"
#include "../../src/lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	const char *name = NULL, *version = NULL;
	struct nb_err err = { NB_OK, "" };

	arena_init(&a);
	if (ddi_installed_parse(&a, (const char *)data, size, &name, &version, &err) == 0) {
		if (!name || !version || !*name || !*version || strlen(name) > DDI_NAME_MAX ||
		    strlen(version) > DDI_VERSION_MAX || !utf8_valid((const char *)data, size) ||
		    !utf8_valid(version, strlen(version)))
			abort();
	} else if (err.kind != NB_INVALID || !err.msg[0]) {
		abort();
	}
	arena_free(&a);
	return 0;
}
