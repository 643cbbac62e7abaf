/*
 * fuzz_pypi_names - the outside strings the index judges by rule: the
 * Accept header (pypi_accept) and a distribution file name with an
 * optional project name (pypi_fname_parse).  Input: "<accept>\n<file
 * name>\n<project>".  The production code links from scripts/fuzz.sh's archive.
 *
 * Invariants (abort() when broken):
 *  - pypi_accept answers one of its three values;
 *  - a parsed file name has a non-empty name and version, both shorter
 *    than PYPI_NAME_MAX, the version free of '-'  for wheels; a refusal
 *    is NB_INVALID with a message;
 *  - pypi_normalize is idempotent and its result pypi_is_normal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pypi/pypi.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl, *fname, *project = NULL;
	struct pypi_fname f;
	struct nb_err e;
	struct arena a;
	enum pypi_fmt fmt;
	char *n1;

	memcpy(s, data, size);
	s[size] = '\0';
	fname = (nl = strchr(s, '\n')) ? (*nl = '\0', nl + 1) : s + size;
	if ((nl = strchr(fname, '\n'))) {
		*nl = '\0';
		project = nl + 1;
	}
	fmt = pypi_accept(s);
	if (fmt != PYPI_HTML && fmt != PYPI_JSON && fmt != PYPI_NONE)
		abort();
	nb_err_clear(&e);
	if (pypi_fname_parse(fname, project, &f, &e) == 0) {
		if (!f.name[0] || !f.version[0] || strlen(f.name) >= PYPI_NAME_MAX ||
		    strlen(f.version) >= PYPI_NAME_MAX ||
		    (f.kind == PYPI_WHEEL && strchr(f.version, '-')))
			abort();
	} else if (e.kind != NB_INVALID || !e.msg[0]) {
		abort();
	}
	arena_init(&a);
	n1 = pypi_normalize(&a, fname);
	if (strcmp(pypi_normalize(&a, n1), n1) || !pypi_is_normal(n1))
		abort();
	arena_free(&a);
	free(s);
	return 0;
}
