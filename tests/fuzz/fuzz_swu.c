/*
 * fuzz_swu - swu_read_mem() on the input as a whole .swu image (cpio newc
 * or crc archive, sw-description first).
 *
 * Invariants (abort() when broken): failure gives a message; success gives
 * at least one member, the first named sw-description, every name
 * NUL-terminated and non-empty, every member's data 4-byte aligned, inside
 * the input and after the previous member's data, signed_ exactly when a
 * sw-description.sig is among them, a non-empty NUL-terminated version,
 * and at most SWU_MAX_COMPAT NUL-terminated compatibility entries; and
 * swu_describe() of the first member's bytes agrees on the version.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_swinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct swu_info info, again;
	struct nb_err err;
	off_t end = 0;
	int i, sig = 0;

	/* garbage everywhere, so a field the reader forgets to set shows */
	memset(&info, 0x5a, sizeof(info));
	memset(err.msg, 'x', sizeof(err.msg));
	if (swu_read_mem(data, size, &info, &err) < 0) {
		fz_check_refusal(&err);
		return 0;
	}
	if (info.nmember < 1 || info.nmember > SWU_MAX_MEMBERS)
		abort();
	for (i = 0; i < info.nmember; i++) {
		const struct swu_member *m = &info.member[i];
		if (!fz_terminated(m->name, sizeof(m->name)) || !m->name[0])
			abort();
		if (m->offset < end || m->offset % 4 || m->size < 0 ||
		    m->offset + m->size > (off_t)size)
			abort();
		end = m->offset + m->size;
		if (!strcmp(m->name, "sw-description.sig"))
			sig = 1;
	}
	if (strcmp(info.member[0].name, "sw-description") || info.signed_ != sig)
		abort();
	fz_check_swinfo(&info);
	/* the description alone reads the same */
	if (swu_describe((const char *)data + info.member[0].offset, (size_t)info.member[0].size,
			 &again, &err) < 0 ||
	    strcmp(again.version, info.version) || again.ncompat != info.ncompat)
		abort();
	return 0;
}
