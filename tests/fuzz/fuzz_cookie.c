/*
 * fuzz_cookie - http_cookie() on a fuzzed Cookie header (the admin pages
 * read their session and login tokens from it).  The header reaches the
 * parser as a plain-CGI request's HTTP_COOKIE variable.
 *
 * Invariants (abort() when broken): a found value is a substring of the
 * header that contains no ';' and follows "<name>=".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "nb_session", "nb_login", "a", "" };
	struct arena a;
	struct http_req r;
	char *h = malloc(size + 1);
	size_t i;

	if (!h)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';
	setenv("HTTP_COOKIE", h, 1);
	arena_init(&a);
	http_req_init(&r, &a, NULL);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = http_cookie(&r, names[i]);
		char *pair;
		if (!v)
			continue;
		if (strchr(v, ';'))
			abort();
		pair = malloc(strlen(names[i]) + strlen(v) + 2);
		strcpy(pair, names[i]);
		strcat(pair, "=");
		strcat(pair, v);
		if (!strstr(h, pair))
			abort();
		free(pair);
	}
	arena_free(&a);
	free(h);
	return 0;
}
