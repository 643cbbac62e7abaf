/*
 * raucb.h - reading RAUC bundles (.raucb) for the software repository.
 *
 * A bundle is a squashfs image (magic "hsqs") holding manifest.raucm, then,
 * in the "verity" format, the dm-verity hash tree, then a CMS signature,
 * then the signature's size as a big-endian uint64 in the last 8 bytes.
 * Only the catalogue is read: [update] compatible, version and description
 * from the manifest, and whether the file has the shape of a whole signed
 * bundle (the squashfs ends before the signature, the signature is one CMS
 * SignedData structure).  The signature is not verified against a keyring:
 * devices do that.  Images are never unpacked.  The reader shares
 * struct swu_src and struct swu_info with the .swu reader, so ingest does
 * not care which kind it got, and a fuzzer's buffer takes the file's path.
 */
#ifndef NB_RAUCB_H
#define NB_RAUCB_H

#include "swu.h"

#define RAUCB_MANIFEST_MAX (64 * 1024)
/* RAUC's own cap on a bundle signature (MAX_BUNDLE_SIGNATURE_SIZE) */
#define RAUCB_SIG_MAX (64 * 1024)

/*
 * Reads a whole bundle; 0, or -1 with e as swu.h says.  sep splits the
 * compatible string into board and revision (see raucb_manifest); NULL or
 * "" keeps it whole.
 */
int raucb_read(const struct swu_src *src, const char *sep, struct swu_info *out,
	       struct nb_err *e);
int raucb_read_file(const char *path, const char *sep, struct swu_info *out,
		    struct nb_err *e);
int raucb_read_mem(const void *p, size_t n, const char *sep, struct swu_info *out,
		   struct nb_err *e);

/*
 * Reads a manifest.raucm text: [update] version and compatible are
 * required, description is optional.  The compatible string is split at
 * the LAST occurrence of sep into board and revision when both parts are
 * non-empty ("board-rev2" with "-rev": board "board", revision "2");
 * otherwise it is the board, and the revision is "" (any revision).
 */
int raucb_manifest(const char *text, size_t len, const char *sep, struct swu_info *out,
		   struct nb_err *e);

#endif
