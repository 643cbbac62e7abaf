/*
 * fuzz_ota_archive - an uploaded release archive (tar in any compression,
 * zip) read by ota_read_archive_mem() from src/ota/ota_source.c, the very
 * reader `nestboxctl ota publish` uses, with its path rules
 * (src/ota/ota_path.c), linked from scripts/fuzz.sh's archive.
 *
 * Invariants (abort() when broken):
 *  - on success every file's path passes ota_path_ok() and is not hidden
 *    (no segment starting with '.'), no two paths are equal, and no path
 *    is a directory prefix of another;
 *  - the file count and total bytes stay within the limits given;
 *  - every skipped entry has a reason, and one skipped as hidden was hidden;
 *  - on failure the error value is set: NB_INVALID (a path refused, not
 *    an archive, cut) or NB_TOO_LARGE (over the limits), with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ota/ota.h"


#define MAX_FILES 64
#define MAX_BYTES (1u << 20)

static void check(const struct ota_files *f)
{
	size_t total = 0;
	int i, j;

	if (f->n > MAX_FILES)
		abort();
	for (i = 0; i < f->n; i++) {
		const char *p = f->v[i].path;
		size_t l = strlen(p);
		if (!ota_path_ok(p) || ota_path_hidden(p))
			abort();
		total += f->v[i].len;
		for (j = 0; j < i; j++) {
			const char *o = f->v[j].path;
			size_t ol = strlen(o);
			if (!strcmp(o, p) || (ol < l && !strncmp(o, p, ol) && p[ol] == '/') ||
			    (l < ol && !strncmp(o, p, l) && o[l] == '/'))
				abort();
		}
	}
	if (total > MAX_BYTES)
		abort();
	/* a skipped entry says why: hidden, or no regular file (a link, ...) */
	for (i = 0; i < f->nskipped; i++)
		if (!f->skip_why[i] || !f->skip_why[i][0] ||
		    (!strncmp(f->skip_why[i], "hidden", 6) && !ota_path_hidden(f->skipped[i])))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ota_files f;
	struct arena a;
	struct nb_err e;

	arena_init(&a);
	nb_err_clear(&e);
	ota_files_init(&f, &a, MAX_FILES, MAX_BYTES);
	if (ota_read_archive_mem(&f, data, size, &e) == 0)
		check(&f);
	else if ((e.kind != NB_INVALID && e.kind != NB_TOO_LARGE) || !e.msg[0])
		abort();
	arena_free(&a);
	return 0;
}
