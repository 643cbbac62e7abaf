/*
 * fuzz_json_in - json_in_object (src/lib/json_in.h) on fuzzed bytes, the
 * reader of every JSON body from outside.
 *
 * Invariants (abort() when broken):
 *  - an accepted body is a JSON object with no key twice at any depth,
 *    and the bytes are UTF-8 without a \u0000 escape;
 *  - a refusal is NB_INVALID with a message;
 *  - one value only: an accepted body followed by anything but blanks is
 *    refused, followed by blanks accepted again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../src/lib/json_in.h"
#include "../../src/lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct nb_err e;
	cJSON *j, *k;
	char *more;

	nb_err_clear(&e);
	j = json_in_object(p, size, &e);
	if (!j) {
		if (e.kind != NB_INVALID || !e.msg[0])
			abort();
		return 0;
	}
	if (!cJSON_IsObject(j) || json_in_dup_key(j) || !utf8_valid(p, size) ||
	    json_in_has_nul(p, size))
		abort();
	cJSON_Delete(j);
	if (!(more = malloc(size + 2)))
		return 0;
	memcpy(more, p, size);
	more[size] = '}';
	if ((k = json_in_object(more, size + 1, &e)))
		abort();
	memcpy(more + size, " \n", 2);
	if (!(k = json_in_object(more, size + 2, &e)))
		abort();
	cJSON_Delete(k);
	free(more);
	return 0;
}
