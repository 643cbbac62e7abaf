/*
 * fuzz_raucb - raucb_read_mem() on the input as a whole RAUC bundle
 * (squashfs, CMS signature, big-endian signature size), and
 * raucb_manifest() on the input as a manifest.raucm text.
 *
 * Invariants (abort() when broken): failure gives a one-line message;
 * success gives a non-empty NUL-terminated version, exactly one
 * compatibility entry with a non-empty board, all NUL-terminated; and with
 * the separator "-rev" the same input succeeds too, its board, separator
 * and revision joined giving back the whole compatible string.
 *
 * Seeds (tests/fuzz/corpus/raucb/): a directory holding manifest.raucm
 * (or none, or a symlink to it) and a 7-byte rootfs.img, made into a
 * squashfs by `mksquashfs DIR FS -noappend -all-root -nopad -mkfs-time 0
 * -all-time 0` with -comp gzip/xz/zstd/lz4, or with -noI -noD -noF -noX
 * (uncompressed, so mutations reach the ini text), then FS, the DER of
 * `openssl cms -sign -binary -nocerts -in FS -signer cert.pem -inkey
 * key.pem -outform DER` (a throw-away P-256 key) and its size as 8
 * big-endian bytes; rauc-verity.raucb is `rauc bundle` of a manifest with
 * [bundle] format=verity.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ddi/raucb.h"
#include "fuzz_swinfo.h"

/* A refusal is one line (fz_check_refusal, and no line break). */
static void check_err(const struct nb_err *e)
{
	fz_check_refusal(e);
	if (strchr(e->msg, '\n'))
		abort();
}

/* A bundle names exactly one compatible, with a non-empty board. */
static void check_info(const struct swu_info *info)
{
	fz_check_swinfo(info);
	if (info->ncompat != 1 || !info->compat[0].board[0])
		abort();
}

/* The split with "-rev" must give back the whole string. */
static void check_split(const struct swu_info *whole, const struct swu_info *split)
{
	char joined[256];

	if (strcmp(whole->version, split->version))
		abort();
	if (!split->compat[0].revision[0]) {
		if (strcmp(whole->compat[0].board, split->compat[0].board))
			abort();
		return;
	}
	snprintf(joined, sizeof(joined), "%s-rev%s", split->compat[0].board,
		 split->compat[0].revision);
	if (strcmp(joined, whole->compat[0].board))
		abort();
}

static void one(int (*fn)(const void *, size_t, const char *, struct swu_info *, struct nb_err *),
		const uint8_t *data, size_t size)
{
	static struct swu_info info, split;
	struct nb_err err, err2;

	memset(&info, 0x5a, sizeof(info));
	memset(err.msg, 'x', sizeof(err.msg));
	if (fn(data, size, NULL, &info, &err) < 0) {
		check_err(&err);
		return;
	}
	check_info(&info);
	memset(&split, 0x5a, sizeof(split));
	memset(err2.msg, 'x', sizeof(err2.msg));
	/* the parts of a compatible that fitted whole fit too */
	if (fn(data, size, "-rev", &split, &err2) < 0)
		abort();
	check_info(&split);
	check_split(&info, &split);
}

static int manifest(const void *p, size_t n, const char *sep, struct swu_info *out,
		    struct nb_err *err)
{
	return raucb_manifest(p, n, sep, out, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(raucb_read_mem, data, size);
	one(manifest, data, size);
	return 0;
}
