/*
 * zst.h - streaming zstd compression of a file descriptor, multi-threaded
 * when libzstd was built with threads (Debian's is).  The caller sees the
 * raw bytes as they are read (to hash them, show progress) and receives
 * the compressed bytes through a write callback (to hash and store them).
 */
#ifndef NB_ZST_H
#define NB_ZST_H

#include <stddef.h>

typedef int (*zst_write_fn)(void *ctx, const void *p, size_t n);
typedef void (*zst_raw_fn)(void *ctx, const void *p, size_t n);

/* threads 0 = single-threaded; returns 0 or -1 with err filled in. */
int zst_compress_fd(int in_fd, int level, int threads, zst_raw_fn on_raw,
		    zst_write_fn out, void *ctx, char *err, size_t errlen);
/* One-shot helpers, for tests and small payloads. */
size_t zst_bound(size_t n);
long zst_compress_buf(void *dst, size_t cap, const void *src, size_t n, int level);
long zst_decompress_buf(void *dst, size_t cap, const void *src, size_t n);

#endif
