/*
 * tar.h - writing tar archives (ustar, with a pax record only when a name
 * or size does not fit ustar).  Reading tar is not needed yet.
 */
#ifndef NB_TAR_H
#define NB_TAR_H

#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK 512
#define TAR_RECORD 10240
#define TAR_HEADER_MAX (4 * TAR_BLOCK)

/*
 * Writes the header(s) for one regular-file member into out
 * (TAR_HEADER_MAX bytes) and returns their length, or 0 if the name is
 * empty or longer than 255 bytes.
 */
size_t tar_header(char *out, const char *name, uint64_t size, uint64_t mtime,
		  unsigned mode);
/* Zero bytes that follow a member's data of this size. */
size_t tar_member_pad(uint64_t size);
/* Zero bytes ending an archive whose members took `written` bytes:
 * two zero blocks at least, then up to a multiple of TAR_RECORD. */
uint64_t tar_end_pad(uint64_t written);

#endif
