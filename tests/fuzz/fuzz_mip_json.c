/*
 * fuzz_mip_json - mip_pkgjson_parse() on the input, as the body of a
 * package.json from a repository or a package JSON from upstream (the
 * input is not NUL-terminated: the parser must keep to its length).
 *
 * Invariants (abort() when broken):
 *  - a refusal names a reason (the result is then not to be used);
 *  - on success: version is a string shorter than 64 bytes; each count
 *    is 0..MIP_MAX_ENTRIES with a non-NULL array when non-zero; every
 *    urls destination passes mip_dest_ok(); every hashes entry passes
 *    mip_dest_ok() and mip_hash_prefix_ok(); no string is NULL;
 *  - parsing is deterministic (a second parse gives the same answer);
 *  - mip_version_cmp() is reflexive and antisymmetric on the versions
 *    found, and mip_compilable() on a destination needs a ".py" ending.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mip/mip.h"

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void check_pairs(const struct mip_pair *p, int n)
{
	int i;

	if (n < 0 || n > MIP_MAX_ENTRIES || (n > 0 && !p))
		abort();
	for (i = 0; i < n; i++)
		if (!p[i].a || !p[i].b)
			abort();
}

static void check_cmp(const char *a, const char *b)
{
	if (mip_version_cmp(a, a) != 0 || mip_version_cmp(b, b) != 0)
		abort();
	if (sign(mip_version_cmp(a, b)) != -sign(mip_version_cmp(b, a)))
		abort();
}

static void check_ok(const struct mip_pkgjson *pj)
{
	int i;

	if (!pj->version || strlen(pj->version) >= 64)
		abort();
	check_pairs(pj->urls, pj->nurls);
	check_pairs(pj->deps, pj->ndeps);
	check_pairs(pj->hashes, pj->nhashes);
	for (i = 0; i < pj->nurls; i++) {
		const char *d = pj->urls[i].a;
		size_t n = strlen(d);
		if (!mip_dest_ok(d))
			abort();
		/* a destination never leaves the board's lib directory */
		if (d[0] == '/' || strstr(d, "//") || strchr(d, '\\') || !strcmp(d, "..") ||
		    !strncmp(d, "../", 3) || strstr(d, "/../") ||
		    (n >= 3 && !strcmp(d + n - 3, "/..")))
			abort();
		if (mip_compilable(d) && (n <= 3 || strcmp(d + n - 3, ".py")))
			abort();
	}
	for (i = 0; i < pj->nhashes; i++) {
		const char *h = pj->hashes[i].b;
		size_t n = strlen(h), k;
		if (!mip_dest_ok(pj->hashes[i].a) || !mip_hash_prefix_ok(h))
			abort();
		if (n < 4 || n > 64)
			abort();
		for (k = 0; k < n; k++)
			if (!((h[k] >= '0' && h[k] <= '9') || (h[k] >= 'a' && h[k] <= 'f')))
				abort();
	}
	for (i = 0; i < pj->ndeps; i++)
		check_cmp(pj->version, pj->deps[i].b);
	if (pj->ndeps > 1)
		check_cmp(pj->deps[0].b, pj->deps[1].b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct mip_pkgjson pj, again;
	struct nb_err err = { 0 }, err2 = { 0 };
	/* a private copy: the parser sees exactly size bytes, nothing after */
	char *copy = malloc(size ? size : 1);
	int rc, rc2;

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	arena_init(&a);
	rc = mip_pkgjson_parse(&a, copy, size, &pj, &err);
	if (rc == 0) {
		check_ok(&pj);
	} else if (rc == -1) {
		if (err.kind != NB_INVALID || !*err.msg)
			abort();
	} else {
		abort();
	}
	rc2 = mip_pkgjson_parse(&a, copy, size, &again, &err2);
	if (rc2 != rc || again.nurls != pj.nurls || again.ndeps != pj.ndeps ||
	    again.nhashes != pj.nhashes || strcmp(again.version, pj.version) ||
	    (rc < 0 && strcmp(err.msg, err2.msg)))
		abort();
	arena_free(&a);
	free(copy);
	return 0;
}
