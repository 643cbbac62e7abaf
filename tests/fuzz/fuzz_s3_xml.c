/*
 * fuzz_s3_xml - s3_list_parse() and s3_xml_text() on a fuzzed answer of an
 * S3-compatible store (the bytes are passed as they are, not
 * NUL-terminated: the parser must stay inside n bytes).
 *
 * Invariants (abort() when broken): s3_list_parse returns -1 or 0 (its
 * callback returns 0) and on 0 sets the truncated flag to 0 or 1; every key handed out is a NUL-terminated string of
 * at most 1024 bytes; mtime is >= 0; the token is NUL-terminated within
 * its buffer; s3_xml_text returns 0 or -1 and a 0 leaves a string that
 * fits its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/s3.h"

static int each(void *ctx, const char *key, uint64_t size, long mtime)
{
	(void)size;
	if (strnlen(key, 1025) > 1024 || mtime < 0)
		abort();
	++*(int *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1), next[64], text[16];
	int n = 0, rc, more = -1;

	if (!copy)
		return 0;
	memcpy(copy, data, size);	/* a heap block of exactly size bytes */
	rc = s3_list_parse(copy, size, each, &n, &more, next, sizeof(next));
	if (rc < -1 || rc > 0 || (rc == 0 && more != 0 && more != 1) ||
	    strnlen(next, sizeof(next)) == sizeof(next))
		abort();
	rc = s3_xml_text(copy, size, "UploadId", text, sizeof(text));
	if ((rc != 0 && rc != -1) || (rc == 0 && strnlen(text, sizeof(text)) == sizeof(text)))
		abort();
	free(copy);
	return 0;
}
