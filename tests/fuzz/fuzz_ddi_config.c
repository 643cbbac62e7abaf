/*
 * fuzz_ddi_config - ddi_config_merge() on a fuzzed configData body merged
 * into a fixed current attribute set.
 *
 * Invariants (abort() when broken): on success the result is a JSON object
 * of string values only; on failure there is a reason and no result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../src/ddi/ddi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nb_err err = { NB_OK, "" };
	char *merged = NULL;
	cJSON *o, *e;

	if (ddi_config_merge((const char *)data, size,
			     "{\"hw_boardname\":\"b\",\"sw_version\":\"1.0\"}", &merged, &err) < 0) {
		if (err.kind != NB_INVALID || merged)
			abort();
		return 0;
	}
	o = cJSON_Parse(merged);
	if (!cJSON_IsObject(o))
		abort();
	cJSON_ArrayForEach(e, o)
		if (!cJSON_IsString(e))
			abort();
	cJSON_Delete(o);
	free(merged);
	return 0;
}
