/*
 * fuzz_pypi_meta - an uploaded file as the index reads it: the input is
 * opened as a wheel and as an sdist (pypi_meta_read_mem, libarchive), and
 * whatever core metadata file is found, or the input itself, goes through
 * pypi_meta_parse(), linked from scripts/fuzz.sh's instrumented archive.
 *
 * Invariants (abort() when broken):
 *  - a refusal is NB_INVALID with a message;
 *  - a found metadata file is at most PYPI_META_MAX bytes and NUL-terminated;
 *  - a parse that succeeds has non-empty Name and Version, no NULL strings,
 *    and a NULL-terminated Requires-Dist list of the counted length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pypi/pypi.h"


static void check_parse(struct arena *a, const char *p, size_t n)
{
	struct pypi_meta m;
	struct nb_err e;
	int i;

	nb_err_clear(&e);
	if (pypi_meta_parse(a, p, n, &m, &e) < 0) {
		if (e.kind != NB_INVALID || !e.msg[0])
			abort();
		return;
	}
	if (!m.name || !*m.name || !m.version || !*m.version || !m.summary ||
	    !m.requires_python || !m.metadata_version || !m.requires_dist)
		abort();
	for (i = 0; i < m.nrequires_dist; i++)
		if (!m.requires_dist[i])
			abort();
	if (m.requires_dist[m.nrequires_dist])
		abort();
	pypi_normalize(a, m.name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	int k;

	arena_init(&a);
	for (k = 0; k < 2; k++) {
		char *text = NULL;
		size_t len = 0;
		struct nb_err e;
		nb_err_clear(&e);
		if (pypi_meta_read_mem(&a, data, size, k ? PYPI_SDIST : PYPI_WHEEL,
				       &text, &len, &e) < 0) {
			if (e.kind != NB_INVALID || !e.msg[0])
				abort();
			continue;
		}
		if (!text || len > PYPI_META_MAX || text[len])
			abort();
		check_parse(&a, text, len);
	}
	check_parse(&a, (const char *)data, size);
	arena_free(&a);
	return 0;
}
