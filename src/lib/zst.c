/* Streaming zstd compression (zst.h): a pushed stream, and a file
 * descriptor read through it. */
#include "zst.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

struct zst_stream {
	ZSTD_CCtx *cc;
	char *ob;
	size_t out_cap;
	zst_write_fn out;
	void *ctx;
};

void zst_free(struct zst_stream *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->cc);
	free(z->ob);
	free(z);
}

struct zst_stream *zst_open(int level, int threads, zst_write_fn out, void *ctx,
			    struct nb_err *e)
{
	struct zst_stream *z = calloc(1, sizeof(*z));

	if (z) {
		z->cc = ZSTD_createCCtx();
		z->out_cap = ZSTD_CStreamOutSize();
		z->ob = malloc(z->out_cap);
	}
	if (!z || !z->cc || !z->ob) {
		zst_free(z);
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
		return NULL;
	}
	z->out = out;
	z->ctx = ctx;
	ZSTD_CCtx_setParameter(z->cc, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(z->cc, ZSTD_c_checksumFlag, 1);
	if (threads > 0)
		ZSTD_CCtx_setParameter(z->cc, ZSTD_c_nbWorkers, threads);
	return z;
}

/* Feeds p (n bytes, maybe none) with mode; hands every compressed byte to out. */
static int push(struct zst_stream *z, const void *p, size_t n, ZSTD_EndDirective mode,
		struct nb_err *e)
{
	ZSTD_inBuffer in = { p, n, 0 };
	int finished;

	do {
		ZSTD_outBuffer o = { z->ob, z->out_cap, 0 };
		size_t left = ZSTD_compressStream2(z->cc, &o, &in, mode);
		if (ZSTD_isError(left))
			return nb_fail(e, NB_INTERNAL, "zstd: %s", ZSTD_getErrorName(left));
		if (o.pos && z->out(z->ctx, z->ob, o.pos) < 0)
			return nb_fail(e, NB_UNAVAILABLE, "write: %s", strerror(errno));
		finished = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
	} while (!finished);
	return 0;
}

int zst_write(struct zst_stream *z, const void *p, size_t n, struct nb_err *e)
{
	return n ? push(z, p, n, ZSTD_e_continue, e) : 0;
}

int zst_finish(struct zst_stream *z, struct nb_err *e)
{
	return push(z, NULL, 0, ZSTD_e_end, e);
}

int zst_compress_fd(int in_fd, int level, int threads, zst_raw_fn on_raw,
		    zst_write_fn out, void *ctx, struct nb_err *e)
{
	struct zst_stream *z = zst_open(level, threads, out, ctx, e);
	size_t in_cap = ZSTD_CStreamInSize();
	char *ib = malloc(in_cap);
	int rc = -1;

	if (!z || !ib) {
		if (z)
			nb_fail(e, NB_UNAVAILABLE, "out of memory");
		goto done;
	}
	for (;;) {
		ssize_t n = read(in_fd, ib, in_cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			nb_fail(e, NB_UNAVAILABLE, "read: %s", strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		if (on_raw)
			on_raw(ctx, ib, (size_t)n);
		if (zst_write(z, ib, (size_t)n, e) < 0)
			goto done;
	}
	rc = zst_finish(z, e);
done:
	zst_free(z);
	free(ib);
	return rc;
}

size_t zst_bound(size_t n)
{
	return ZSTD_compressBound(n);
}

long zst_compress_buf(void *dst, size_t cap, const void *src, size_t n, int level)
{
	size_t r = ZSTD_compress(dst, cap, src, n, level);

	return ZSTD_isError(r) ? -1 : (long)r;
}

long zst_decompress_buf(void *dst, size_t cap, const void *src, size_t n)
{
	size_t r = ZSTD_decompress(dst, cap, src, n);

	return ZSTD_isError(r) ? -1 : (long)r;
}
