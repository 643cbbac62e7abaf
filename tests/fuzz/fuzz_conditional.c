/*
 * fuzz_conditional - the request header matchers of src/lib/http.c on
 * fuzzed values: http_etag_match() (If-None-Match) and http_json_type()
 * (Content-Type).  The input is "<field>\n<etag>" (no newline: the etag
 * is '"e"'), each copied and NUL-terminated.
 *
 * Invariants (abort() when broken): both answer 0 or 1; a field that is
 * exactly a well-formed etag matches it; "*" matches any etag; a value http_json_type
 * takes still begins with "application/" (any case, after OWS).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/lib/http.h"

/* 1 when s is one strong entity-tag: DQUOTE *etagc DQUOTE (RFC 9110 8.8.3). */
static int well_formed(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return 0;
	for (i = 1; i < n - 1; i++)
		if (s[i] == '"' || (unsigned char)s[i] < 0x21 || s[i] == 0x7f)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t fn = nl ? (size_t)(nl - data) : size;
	char *field = malloc(fn + 1), *etag = NULL;
	const char *p;
	int m, j;

	if (!field)
		return 0;
	memcpy(field, data, fn);
	field[fn] = '\0';
	if (nl) {
		etag = malloc(size - fn);
		if (!etag) {
			free(field);
			return 0;
		}
		memcpy(etag, nl + 1, size - fn - 1);
		etag[size - fn - 1] = '\0';
	}
	m = http_etag_match(field, etag ? etag : "\"e\"");
	if (m != 0 && m != 1)
		abort();
	if (etag && well_formed(etag) && http_etag_match(etag, etag) != 1)
		abort();
	if (etag && http_etag_match("*", etag) != 1)
		abort();
	j = http_json_type(field);
	if (j != 0 && j != 1)
		abort();
	for (p = field; *p == ' ' || *p == '\t'; p++)
		;
	if (j && strncasecmp(p, "application/", 12))
		abort();
	free(field);
	free(etag);
	return 0;
}
