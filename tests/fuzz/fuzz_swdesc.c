/*
 * fuzz_swdesc - swu_describe() on the input as a sw-description text
 * (libconfig syntax, or JSON when it starts with '{'), not NUL-terminated.
 *
 * Invariants (abort() when broken): failure gives a message; success means
 * the input is at most SWU_DESC_MAX bytes without a NUL, and gives a
 * non-empty NUL-terminated version, a NUL-terminated description, and at
 * most SWU_MAX_COMPAT compatibility entries whose board and revision are
 * NUL-terminated; a second call on the same text gives the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ddi/swu.h"

/*
 * libconfig 1.5 (Debian 12) leaks a string token that the grammar discards
 * on a syntax error, e.g. `a "b"` or `a ""` (hyperrealm/libconfig issue
 * #142, fixed by a %destructor in 1.7.3).  The scanner allocates those
 * strings (strbuf_append, or libconfig_yylex for an empty one); that leak
 * is the library's, so it alone is not reported.  A setting or config_t
 * that swu.c forgets to free is allocated by the parser, and still is.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct swu_info info, again;
	const char *text = (const char *)data;
	struct nb_err err;
	int i;

	memset(&info, 0x5a, sizeof(info));
	memset(err.msg, 'x', sizeof(err.msg));
	if (swu_describe(text, size, &info, &err) < 0) {
		if (!terminated(err.msg, sizeof(err.msg)) || !err.msg[0] ||
		    (err.kind != NB_INVALID && strcmp(err.msg, "out of memory")))
			abort();
		return 0;
	}
	if (size > SWU_DESC_MAX || memchr(text, '\0', size))
		abort();
	if (!terminated(info.version, sizeof(info.version)) || !info.version[0] ||
	    !terminated(info.description, sizeof(info.description)))
		abort();
	if (info.ncompat < 0 || info.ncompat > SWU_MAX_COMPAT)
		abort();
	for (i = 0; i < info.ncompat; i++)
		if (!terminated(info.compat[i].board, sizeof(info.compat[i].board)) ||
		    !terminated(info.compat[i].revision, sizeof(info.compat[i].revision)))
			abort();
	memset(&again, 0xa5, sizeof(again));
	if (swu_describe(text, size, &again, &err) < 0 ||
	    strcmp(again.version, info.version) || strcmp(again.description, info.description) ||
	    again.ncompat != info.ncompat)
		abort();
	for (i = 0; i < info.ncompat; i++)
		if (strcmp(again.compat[i].board, info.compat[i].board) ||
		    strcmp(again.compat[i].revision, info.compat[i].revision))
			abort();
	return 0;
}
