/*
 * zst.h - streaming zstd compression, multi-threaded when libzstd was
 * built with threads (Debian's is): bytes pushed as they arrive (an
 * upload straight from the request: zst_open, zst_write, zst_finish), or
 * read from a file descriptor (zst_compress_fd, which also shows the
 * caller the raw bytes, to hash them or show progress).  The compressed
 * bytes go to a write callback (to hash and store them); nothing is
 * staged in a file.
 */
#ifndef NB_ZST_H
#define NB_ZST_H

#include <stddef.h>

#include "err.h"

typedef int (*zst_write_fn)(void *ctx, const void *p, size_t n);
typedef void (*zst_raw_fn)(void *ctx, const void *p, size_t n);

/* A compressor at level (threads 0: single-threaded) handing its output
 * to out(ctx, p, n), which returns 0 or -1 with errno set.  NULL with e
 * (NB_UNAVAILABLE: out of memory).  zst_free lets it go (also unfinished). */
struct zst_stream;
struct zst_stream *zst_open(int level, int threads, zst_write_fn out, void *ctx,
			    struct nb_err *e);
/* Compresses n more bytes; 0, or -1 with e (NB_UNAVAILABLE when out failed,
 * NB_INTERNAL a zstd error). */
int zst_write(struct zst_stream *z, const void *p, size_t n, struct nb_err *e);
/* Ends the frame (its checksum included); 0, or -1 with e as zst_write. */
int zst_finish(struct zst_stream *z, struct nb_err *e);
void zst_free(struct zst_stream *z);

/* Compresses what in_fd holds to its end, showing on_raw (may be NULL)
 * each raw piece; 0, or -1 with e (a read error is NB_UNAVAILABLE). */
int zst_compress_fd(int in_fd, int level, int threads, zst_raw_fn on_raw,
		    zst_write_fn out, void *ctx, struct nb_err *e);
/* One-shot helpers, for tests and small payloads. */
size_t zst_bound(size_t n);
long zst_compress_buf(void *dst, size_t cap, const void *src, size_t n, int level);
long zst_decompress_buf(void *dst, size_t cap, const void *src, size_t n);

#endif
