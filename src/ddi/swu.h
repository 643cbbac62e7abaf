/*
 * swu.h - reading SWUpdate images (.swu) for the software repository.
 *
 * A .swu is a cpio archive ("newc" 070701 or "crc" 070702) whose first
 * member is sw-description (libconfig syntax, or JSON), followed by
 * sw-description.sig when signed, then the images.  Only the catalogue is
 * read here: the version and the hardware compatibility, and whether every
 * member is complete; images are never unpacked.  The reader works on any
 * byte source, so the stored copy of an upload, a file and a fuzzer's
 * buffer take the same path.
 *
 * Errors: -1 with e NB_INVALID and a one-line message for a broken,
 * truncated or oversized image (the message names the member or field and
 * its limit); NB_UNAVAILABLE when the source cannot be read (I/O, memory).
 */
#ifndef NB_SWU_H
#define NB_SWU_H

#include <stddef.h>
#include <sys/types.h>

#include "../lib/err.h"

#define SWU_MAX_MEMBERS 256
#define SWU_DESC_MAX (1 << 20)
#define SWU_MAX_COMPAT 64		/* distinct (board, revision) pairs */

struct swu_src {
	/* reads up to n bytes at off; returns the count (0 at the end) or -1 */
	ssize_t (*pread)(void *ctx, void *buf, size_t n, off_t off);
	void *ctx;
	off_t size;
};

struct swu_member {
	char name[256];
	off_t offset, size;		/* of the data */
};

/*
 * Fixed fields: a value that does not fit is refused with the field and
 * its limit named (never cut); the ddi tables keep the same bounds.
 */
struct swu_compat {
	char board[64];			/* "" when any board */
	char revision[64];
};

struct swu_info {
	char version[64];
	char description[1024];
	int signed_;			/* sw-description.sig present */
	struct swu_member member[SWU_MAX_MEMBERS];
	int nmember;
	struct swu_compat compat[SWU_MAX_COMPAT];
	int ncompat;
};

/* Byte sources both readers use (swu.c, raucb.c): a file and a buffer. */
struct swu_mem {
	const char *p;
	size_t n;
};
ssize_t swu_fd_pread(void *ctx, void *buf, size_t n, off_t off);	/* ctx: int *fd */
ssize_t swu_mem_pread(void *ctx, void *buf, size_t n, off_t off);	/* ctx: swu_mem */
/* Exactly n bytes at off, or -1. */
int swu_get(const struct swu_src *src, void *buf, size_t n, off_t off);

/* Walks the cpio archive; fills members; 0, or -1 with e. */
int swu_scan(const struct swu_src *src, struct swu_info *out, struct nb_err *e);
/* Reads version and compatibility from a sw-description text. */
int swu_describe(const char *text, size_t len, struct swu_info *out, struct nb_err *e);
/* Both, on any source (the stored blob of an upload). */
int swu_read(const struct swu_src *src, struct swu_info *out, struct nb_err *e);
/* Both, on a file. */
int swu_read_file(const char *path, struct swu_info *out, struct nb_err *e);
/* Both, on a buffer (tests, fuzzing). */
int swu_read_mem(const void *p, size_t n, struct swu_info *out, struct nb_err *e);

#endif
