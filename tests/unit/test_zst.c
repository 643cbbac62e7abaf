/*
 * test_zst.c - zstd helpers: one-shot compress/decompress round trips and
 * their failures (too-small buffers, garbage), and zst_compress_fd from a
 * temp file and from a pipe, single- and multi-threaded, checking that
 * on_raw sees every input byte in order, that ZSTD decompresses the
 * output to the input, and the error paths (write callback failure, bad
 * descriptor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "../../src/lib/zst.h"
#include "unit_util.h"

/* Deterministic, moderately compressible bytes. */
static unsigned char *make_data(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (i % 1000) < 600 ? (unsigned char)('a' + i % 7) : (unsigned char)(x >> 24);
	}
	return p;
}

struct sink {
	unsigned char *out;
	size_t len, cap;
	unsigned char *raw;	/* what on_raw saw */
	size_t rawlen, rawcap;
	int raw_calls, fail;
};

static int sink_write(void *ctx, const void *p, size_t n)
{
	struct sink *s = ctx;

	if (s->fail)
		return -1;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->out = realloc(s->out, s->cap);
	}
	memcpy(s->out + s->len, p, n);
	s->len += n;
	return 0;
}

static void sink_raw(void *ctx, const void *p, size_t n)
{
	struct sink *s = ctx;

	if (s->rawlen + n > s->rawcap) {
		s->rawcap = (s->rawlen + n) * 2;
		s->raw = realloc(s->raw, s->rawcap);
	}
	memcpy(s->raw + s->rawlen, p, n);
	s->rawlen += n;
	s->raw_calls++;
}

static void sink_free(struct sink *s)
{
	free(s->out);
	free(s->raw);
}

/* Decompresses s->out with libzstd's streaming API; must equal want. */
static void assert_decompresses_to(const struct sink *s, const void *want, size_t n)
{
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	unsigned char *dst = malloc(n + 64);
	ZSTD_inBuffer in = { s->out, s->len, 0 };
	ZSTD_outBuffer o = { dst, n + 64, 0 };
	size_t r;

	do {
		r = ZSTD_decompressStream(dc, &o, &in);
		if (ZSTD_isError(r))
			fail_msg("zstd: %s", ZSTD_getErrorName(r));
	} while (r != 0 && in.pos < in.size && o.pos < o.size);
	assert_int_equal(r, 0);			/* frame complete */
	assert_int_equal(in.pos, in.size);	/* nothing after it */
	assert_int_equal(o.pos, n);
	assert_memory_equal(dst, want, n);
	free(dst);
	ZSTD_freeDCtx(dc);
}

static void test_buf_round_trip(void **state)
{
	size_t n = 100000;
	unsigned char *src = make_data(n), *dst, *back;
	size_t cap = zst_bound(n);
	long c, d;

	(void)state;
	assert_true(cap >= n);
	dst = malloc(cap);
	back = malloc(n + 1);
	c = zst_compress_buf(dst, cap, src, n, 3);
	assert_true(c > 0);
	assert_true((size_t)c < n);	/* it did compress */
	d = zst_decompress_buf(back, n + 1, dst, (size_t)c);
	assert_int_equal(d, n);
	assert_memory_equal(back, src, n);
	/* too small a destination */
	assert_int_equal(zst_decompress_buf(back, n - 1, dst, (size_t)c), -1);
	assert_int_equal(zst_compress_buf(dst, 8, src, n, 3), -1);
	/* truncated or garbage input */
	assert_int_equal(zst_decompress_buf(back, n + 1, dst, (size_t)c - 1), -1);
	assert_int_equal(zst_decompress_buf(back, n + 1, "not zstd at all", 15), -1);
	free(src);
	free(dst);
	free(back);
}

static void test_buf_empty(void **state)
{
	char dst[64], back[4];
	long c;

	(void)state;
	c = zst_compress_buf(dst, sizeof(dst), "", 0, 1);
	assert_true(c > 0);
	assert_int_equal(zst_decompress_buf(back, sizeof(back), dst, (size_t)c), 0);
}

static void compress_file(size_t n, int threads)
{
	char *dir = ut_mkdtemp(), path[PATH_MAX];
	struct nb_err err = { NB_OK, "" };
	unsigned char *data = make_data(n);
	struct sink s = { 0 };
	int fd;

	snprintf(path, sizeof(path), "%s/in", dir);
	assert_int_equal(ut_write(path, data, n), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(zst_compress_fd(fd, 3, threads, sink_raw, sink_write, &s,
					 &err), 0);
	close(fd);
	assert_string_equal(err.msg, "");
	assert_int_equal(s.rawlen, n);
	assert_memory_equal(s.raw, data, n);
	if (n > 0)
		assert_true(s.len < n);
	assert_decompresses_to(&s, data, n);
	sink_free(&s);
	free(data);
	ut_rmtree(dir);
}

static void test_fd_file_single_thread(void **state)
{
	(void)state;
	compress_file(1000000, 0);	/* several ZSTD_CStreamInSize() reads */
}

static void test_fd_file_threads(void **state)
{
	(void)state;
	compress_file(3000000, 2);
}

static void test_fd_empty(void **state)
{
	(void)state;
	compress_file(0, 0);
}

/* The read end of a pipe holding the n bytes of data (n fits the pipe
 * buffer: written before anything reads), its write end closed. */
static int pipe_of(const void *data, size_t n)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], data, n), n);
	close(p[1]);
	return p[0];
}

static void test_fd_pipe(void **state)
{
	size_t n = 50000;	/* fits the pipe buffer: written before reading */
	unsigned char *data = make_data(n);
	struct sink s = { 0 };
	struct nb_err err = { NB_OK, "" };
	int fd = pipe_of(data, n);

	(void)state;
	assert_int_equal(zst_compress_fd(fd, 19, 0, sink_raw, sink_write, &s,
					 &err), 0);
	close(fd);
	assert_int_equal(s.rawlen, n);
	assert_true(s.raw_calls >= 1);
	assert_decompresses_to(&s, data, n);
	sink_free(&s);
	free(data);
}

static void test_fd_without_raw_callback(void **state)
{
	size_t n = 10000;
	unsigned char *data = make_data(n);
	struct sink s = { 0 };
	struct nb_err err = { NB_OK, "" };
	int fd = pipe_of(data, n);

	(void)state;
	assert_int_equal(zst_compress_fd(fd, 1, 0, NULL, sink_write, &s, &err), 0);
	close(fd);
	assert_int_equal(s.raw_calls, 0);
	assert_decompresses_to(&s, data, n);
	sink_free(&s);
	free(data);
}

static void test_fd_write_failure(void **state)
{
	size_t n = 10000;
	unsigned char *data = make_data(n);
	struct sink s = { .fail = 1 };
	struct nb_err err = { NB_OK, "" };
	int fd = pipe_of(data, n);

	(void)state;
	assert_int_equal(zst_compress_fd(fd, 3, 0, NULL, sink_write, &s, &err), -1);
	close(fd);
	assert_int_equal(strncmp(err.msg, "write: ", 7), 0);
	assert_int_equal(err.kind, NB_UNAVAILABLE);
	sink_free(&s);
	free(data);
}

static void test_fd_read_failure(void **state)
{
	struct sink s = { 0 };
	struct nb_err err = { NB_OK, "" };

	(void)state;
	assert_int_equal(zst_compress_fd(-1, 3, 0, sink_raw, sink_write, &s, &err), -1);
	assert_string_equal(err.msg, "read: Bad file descriptor");
	assert_int_equal(s.len, 0);
	sink_free(&s);
}

/* The pushed stream: pieces of any size, even none, make one frame of
 * the whole; an output failure is said. */
static void test_stream_pieces(void **state)
{
	size_t n = 200000, off = 0, step = 1;
	unsigned char *data = make_data(n);
	struct sink s = { 0 };
	struct nb_err e;
	struct zst_stream *z = zst_open(3, 0, sink_write, &s, &e);

	(void)state;
	assert_non_null(z);
	assert_int_equal(zst_write(z, data, 0, &e), 0);
	while (off < n) {
		size_t k = n - off < step ? n - off : step;
		assert_int_equal(zst_write(z, data + off, k, &e), 0);
		off += k;
		step = step * 3 + 1;
	}
	assert_int_equal(zst_finish(z, &e), 0);
	zst_free(z);
	assert_decompresses_to(&s, data, n);
	sink_free(&s);
	memset(&s, 0, sizeof(s));
	s.fail = 1;
	z = zst_open(1, 0, sink_write, &s, &e);
	assert_int_equal(zst_write(z, data, n, &e) < 0 || zst_finish(z, &e) < 0, 1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	zst_free(z);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_round_trip),
		cmocka_unit_test(test_buf_empty),
		cmocka_unit_test(test_fd_file_single_thread),
		cmocka_unit_test(test_fd_file_threads),
		cmocka_unit_test(test_fd_empty),
		cmocka_unit_test(test_fd_pipe),
		cmocka_unit_test(test_fd_without_raw_callback),
		cmocka_unit_test(test_fd_write_failure),
		cmocka_unit_test(test_fd_read_failure),
		cmocka_unit_test(test_stream_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
