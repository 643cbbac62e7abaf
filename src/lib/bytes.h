/*
 * bytes.h - a bounded block of bytes on the heap, grown as they arrive:
 * an upload kept in memory between the multipart parser and the reader
 * of its archive (mip's and ota's uploads), so that it is written once,
 * as blobs, and never staged in a file (bytes.c).
 *
 * The heap and not the request arena: the block may reach tens of MiB,
 * grows by doubling (realloc) and is freed (free(*p)) as soon as it has
 * been read.  bytes_count is the same bound for bytes that are passed on
 * rather than kept (a download streamed to a file or a sink).  The three fields live in the caller's struct (its domain's
 * upload type); the functions take them by address.  Owns no policy:
 * the bound and the message past it are the caller's.
 */
#ifndef NB_BYTES_H
#define NB_BYTES_H

#include <stddef.h>

struct nb_err;

/*
 * Appends the n bytes at src to the *len bytes of the block *p (NULL with
 * *len and *cap 0 is an empty block) and keeps a NUL after them, so that
 * one source file can be used as a string.  max: the bound in bytes of
 * the data (the NUL not counted; below SIZE_MAX / 2); *cap, in bytes,
 * grows from 64 KiB by doubling up to max + 1.  Returns 0, or -1 with e:
 * NB_TOO_LARGE with the message too_large when *len + n would pass max
 * (checked on the lengths before a byte of src is read), NB_UNAVAILABLE
 * when memory runs out.  A refusal leaves the block as it was.
 */
int bytes_add(char **p, size_t *len, size_t *cap, size_t max, const void *src, size_t n,
	      const char *too_large, struct nb_err *e);
/*
 * Counts n more bytes into *total (bytes), bounded by max: 0, or -1 with
 * *total unchanged when *total + n would pass max.  Checked on the
 * lengths so that no sum wraps, whatever the sizes (a chunk size or a
 * Content-Length from an upstream, a max of ULLONG_MAX).
 */
int bytes_count(unsigned long long *total, unsigned long long n, unsigned long long max);

#endif
