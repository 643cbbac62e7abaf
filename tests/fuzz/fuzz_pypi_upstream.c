/*
 * fuzz_pypi_upstream - an upstream's simple pages as the mirror reads
 * them (src/pypi/pypi_mirror_parse.c): the first byte picks the reader
 * (bit 0: PEP 691 JSON, else PEP 503 HTML; bit 1: the project list, else
 * a project page; bit 2: the URL resolver with the rest split at the
 * first NUL into base and reference), the rest is the page.
 *
 * Invariants (abort() when broken):
 *  - a refusal is -1 with NB_BAD_GATEWAY and a message (JSON only);
 *  - every link kept has a file name pypi_filename_ok accepts, an
 *    absolute http(s) URL without a fragment, space or control byte, a
 *    sha256 that is "" or 64 lowercase hex digits, a requires_python
 *    string and a size of -1 or more;
 *  - the project list is NULL-terminated at its count, every name in
 *    PEP 503 normal form;
 *  - a resolved URL is http(s) and clean, and resolving it again against
 *    any base gives it back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/pypi/pypi.h"

#define BASE "https://pypi.example/simple/nb-proj/"

static int clean_http(const char *u)
{
	const char *p;

	if (strncasecmp(u, "http://", 7) && strncasecmp(u, "https://", 8))
		return 0;
	for (p = u; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

static void check_links(const struct pypi_link *v, int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		const struct pypi_link *l = &v[i];
		if (!l->filename || !pypi_filename_ok(l->filename) || !l->url ||
		    !clean_http(l->url) || strchr(l->url, '#') || !l->sha256 ||
		    !l->requires_python || l->size < -1)
			abort();
		if (*l->sha256) {
			if (strlen(l->sha256) != 64)
				abort();
			for (j = 0; j < 64; j++)
				if (!strchr("0123456789abcdef", l->sha256[j]))
					abort();
		}
	}
}

static void check_refusal(int n, const struct nb_err *e)
{
	if (n < 0 && (e->kind != NB_BAD_GATEWAY || !e->msg[0]))
		abort();
}

static void check_join(struct arena *a, const char *p, size_t n)
{
	const char *nul = memchr(p, '\0', n);
	char *base, *ref, *u, *again;

	if (!nul)
		return;
	base = arena_strndup(a, p, (size_t)(nul - p));
	ref = arena_strndup(a, nul + 1, n - (size_t)(nul - p) - 1);
	if (!(u = pypi_url_join(a, base, ref)))
		return;
	if (!clean_http(u))
		abort();
	again = pypi_url_join(a, BASE, u);
	if (!again || strcmp(again, u))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct nb_err e;
	const char *body = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	int json, n, i;

	if (!size)
		return 0;
	json = data[0] & 1;
	arena_init(&a);
	nb_err_clear(&e);
	if (data[0] & 4) {
		check_join(&a, body, len);
	} else if (data[0] & 2) {
		const char **names = NULL;
		n = pypi_upstream_list(&a, body, len, json, &names, &e);
		check_refusal(n, &e);
		for (i = 0; n >= 0 && i < n; i++)
			if (!names[i] || !pypi_is_normal(names[i]))
				abort();
		if (n >= 0 && names[n])
			abort();
	} else {
		struct pypi_link *v = NULL;
		n = pypi_upstream_page(&a, BASE, body, len, json, &v, &e);
		check_refusal(n, &e);
		if (n > 0)
			check_links(v, n);
	}
	arena_free(&a);
	return 0;
}
