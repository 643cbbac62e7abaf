/*
 * fuzz_pypi_form - the body of a twine upload through the streaming
 * multipart parser and the upload's own callbacks (pypi_up_begin/data/
 * end, the production code of pypi_upload.c, included for its private
 * callback state; the rest links from scripts/fuzz.sh's archive).  The first
 * input byte chooses the feed size, so part boundaries fall across reads.
 * File data is hashed only (no blob writer).
 *
 * Invariants (abort() when broken):
 *  - every kept field is NUL-terminated within PYPI_FIELD_MAX bytes;
 *  - a file part was accepted only with a non-empty file name without a
 *    path ('/' or '\\'), and only once;
 *  - a refused body is NB_INVALID with the parser's reason, and a callback
 *    that refused kept its own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/pypi/pypi.h"
#include "../../src/pypi/pypi_upload.c"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct up u;
	static struct multipart m;
	struct nb_err e;
	size_t step, off;
	int i, rc = 0;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	memset(&u, 0, sizeof(u));
	u.cur = -1;
	hash_init(&u.md5, HASH_MD5);
	nb_err_clear(&e);
	multipart_init(&m, "----twineboundary", &up_cb, &u);
	for (off = 0; off < size && rc == 0; off += step)
		rc = multipart_feed(&m, (const char *)data + off, size - off < step ? size - off : step, &e);
	if (rc == 0)
		rc = multipart_finish(&m, &e);
	if (rc < 0 && (e.kind != NB_INVALID || !e.msg[0]))
		abort();
	if (rc < 0 && !strcmp(e.msg, "upload refused") && !u.why)
		abort();	/* a callback refused without its reason */
	for (i = 0; i < F_COUNT; i++)
		if (strnlen(u.val[i], PYPI_FIELD_MAX + 1) > PYPI_FIELD_MAX)
			abort();
	if (u.have_file && (!u.filename[0] || strpbrk(u.filename, "/\\")))
		abort();
	hash_free(&u.md5);
	return 0;
}
