/*
 * fuzz_swinfo.h - what the fuzz targets of update images (fuzz_swu,
 * fuzz_swdesc, fuzz_raucb) check alike: a refusal is the image's fault
 * with a message, and a struct swu_info read from an image holds only
 * NUL-terminated strings, a non-empty version and at most SWU_MAX_COMPAT
 * compatibility entries; and the one leak of libconfig that is not
 * swu.c's.  scripts/fuzz.sh compiles each fuzz_*.c alone, so this header
 * is included once per target.
 */
#ifndef NB_FUZZ_SWINFO_H
#define NB_FUZZ_SWINFO_H

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
 * (The names are libconfig's own: nothing else is hidden in fuzz_raucb.)
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

static inline int fz_terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* A refusal has a message and is the image's fault (NB_INVALID); only
 * memory running out is the server's. */
static inline void fz_check_refusal(const struct nb_err *e)
{
	if (!fz_terminated(e->msg, sizeof(e->msg)) || !e->msg[0] ||
	    (e->kind != NB_INVALID && strcmp(e->msg, "out of memory")))
		abort();
}

/* The strings of info are NUL-terminated, its version not empty, its
 * compatibility entries at most SWU_MAX_COMPAT. */
static inline void fz_check_swinfo(const struct swu_info *info)
{
	int i;

	if (!fz_terminated(info->version, sizeof(info->version)) || !info->version[0] ||
	    !fz_terminated(info->description, sizeof(info->description)))
		abort();
	if (info->ncompat < 0 || info->ncompat > SWU_MAX_COMPAT)
		abort();
	for (i = 0; i < info->ncompat; i++)
		if (!fz_terminated(info->compat[i].board, sizeof(info->compat[i].board)) ||
		    !fz_terminated(info->compat[i].revision, sizeof(info->compat[i].revision)))
			abort();
}

#endif
