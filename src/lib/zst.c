#include "zst.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

int zst_compress_fd(int in_fd, int level, int threads, zst_raw_fn on_raw,
		    zst_write_fn out, void *ctx, char *err, size_t errlen)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t in_cap = ZSTD_CStreamInSize(), out_cap = ZSTD_CStreamOutSize();
	char *ib = malloc(in_cap), *ob = malloc(out_cap);
	int rc = -1, last = 0;

	if (!cc || !ib || !ob) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	if (threads > 0)
		ZSTD_CCtx_setParameter(cc, ZSTD_c_nbWorkers, threads);
	while (!last) {
		ssize_t n = read(in_fd, ib, in_cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			goto done;
		}
		last = n == 0;
		if (n > 0 && on_raw)
			on_raw(ctx, ib, (size_t)n);
		ZSTD_inBuffer in = { ib, (size_t)n, 0 };
		ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
		int finished;
		do {
			ZSTD_outBuffer o = { ob, out_cap, 0 };
			size_t left = ZSTD_compressStream2(cc, &o, &in, mode);
			if (ZSTD_isError(left)) {
				snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(left));
				goto done;
			}
			if (o.pos && out(ctx, ob, o.pos) < 0) {
				snprintf(err, errlen, "write: %s", strerror(errno));
				goto done;
			}
			finished = last ? left == 0 : in.pos == in.size;
		} while (!finished);
	}
	rc = 0;
done:
	ZSTD_freeCCtx(cc);
	free(ib);
	free(ob);
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
