/*
 * test_fetch.c - the bounds of src/lib/fetch.c against what an upstream
 * says of its own size: a Content-Length over the bound is refused before
 * a byte of the body is kept (fetch_get, fetch_to_sink, fetch_to_fd), one
 * no 64-bit number can hold and chunk sizes past any bound are refused
 * too, and a body within the bound still comes whole.  The body
 * callbacks are driven directly with counts near the top of their types:
 * a sum that would wrap is refused, never taken for a small one.  And the
 * S3 client's ranged GET: a range whose end wraps is refused unsent.
 *
 * The upstream is a forked process on 127.0.0.1 that answers each
 * connection with the canned answer its path names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* the callbacks are static: the file itself (its functions replace the
 * library's copy at link time) */
#include "../../src/lib/fetch.c"
#include "../../src/lib/s3.h"

#define BOUND (1u << 20)

static pid_t server;
static int port;

static const char *answer_of(const char *path)
{
	if (!strncmp(path, "/huge ", 6))	/* a length within curl_off_t, past the bound */
		return "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775000\r\n\r\n0123456789";
	if (!strncmp(path, "/past64 ", 8))	/* a length no 64-bit number holds */
		return "HTTP/1.1 200 OK\r\nContent-Length: 36893488147419103232\r\n\r\n0123456789";
	if (!strncmp(path, "/chunks ", 8))	/* two chunks whose sum wraps 64 bits */
		return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "fffffffffffffff0\r\n0123456789\r\n"
		       "20\r\n01234567890123456789012345678901\r\n0\r\n\r\n";
	if (!strncmp(path, "/b?", 3))		/* a ListObjectsV2 page of one key */
		return "HTTP/1.1 200 OK\r\nContent-Length: 211\r\n\r\n"
		       "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k1"
		       "</Key><Size>42</Size><LastModified>2026-01-02T03:04:05.000Z</LastModified>"
		       "</Contents></ListBucketResult>                                        ";
	return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsmall";
}

/* One connection: its request read, the canned answer written. */
static void serve_one(int c)
{
	char req[4096];
	size_t n = 0;
	ssize_t got;
	const char *a;

	while (n < sizeof(req) - 1 && (got = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
		n += (size_t)got;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	a = answer_of(strchr(req, ' ') ? strchr(req, ' ') + 1 : "");
	if (write(c, a, strlen(a)) < 0)
		return;
}

static int server_start(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	port = ntohs(sa.sin_port);
	server = fork();
	if (server < 0)
		return -1;
	if (server == 0) {
		for (;;) {
			int c = accept(s, NULL, NULL);
			if (c < 0)
				_exit(0);
			serve_one(c);
			shutdown(c, SHUT_WR);
			close(c);
		}
	}
	close(s);
	return 0;
}

static int server_stop(void **state)
{
	(void)state;
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	return 0;
}

/* The stand-in upstream as an S3 store (bucket "b"). */
static void s3_here(struct s3_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->endpoint, sizeof(c->endpoint), "http://127.0.0.1:%d", port);
	snprintf(c->bucket, sizeof(c->bucket), "b");
	snprintf(c->region, sizeof(c->region), "r");
	c->part_size = 5u << 20;
	c->timeout = 5;
}

static const char *url(const char *path)
{
	static char u[128];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", port, path);
	return u;
}

static int count_sink(void *ctx, const void *p, size_t n)
{
	(void)p;
	*(size_t *)ctx += n;
	return 0;
}

/* A temporary file's descriptor (unlinked at once). */
static int scratch_fd(void)
{
	char path[] = "/tmp/nb-fetch-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static long long fd_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (long long)st.st_size;
}

/* A Content-Length past the bound: refused at the headers, said as such
 * (not a transfer cut short), no byte of the body kept or passed on. */
static void test_huge_content_length(void **state)
{
	struct fetch_opts o = { NULL, NULL, NULL, BOUND, 5, 10, 0 };
	struct fetch_result r;
	struct nb_err e = { NB_OK, "" };
	size_t passed = 0;
	int fd = scratch_fd();

	(void)state;
	assert_int_equal(fetch_get(url("/huge"), NULL, NULL, BOUND, 10, &r), -1);
	assert_non_null(strstr(r.error, "larger than 1048576 bytes"));
	assert_null(r.body);
	assert_int_equal(fetch_to_sink(url("/huge"), &o, count_sink, &passed, &e), -1);
	assert_int_equal(e.kind, NB_BAD_GATEWAY);
	assert_string_equal(e.msg, "larger than 1048576 bytes");
	assert_int_equal(passed, 0);
	assert_int_equal(fetch_to_fd(url("/huge"), fd, BOUND, 10, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_non_null(strstr(e.msg, "larger than 1048576 bytes"));
	assert_int_equal(fd_size(fd), 0);
	close(fd);
}

/*
 * A Content-Length no 64-bit number holds: refused under a bound; with
 * none ("no bound" is ULLONG_MAX, the largest max a caller can pass)
 * libcurl ignores it and the body is the bytes that came, never a count
 * that wrapped.  Chunks whose sizes wrap 64 bits: refused, nothing kept.
 */
static void test_sizes_past_64_bits(void **state)
{
	struct fetch_opts o = { NULL, NULL, NULL, ULLONG_MAX, 5, 10, 0 };
	struct fetch_result r;
	struct nb_err e;
	size_t passed = 0;
	int fd = scratch_fd();

	(void)state;
	assert_int_equal(fetch_get(url("/past64"), NULL, NULL, BOUND, 10, &r), -1);
	assert_null(r.body);
	assert_int_equal(fetch_to_fd(url("/past64"), fd, BOUND, 10, &e), -1);
	assert_int_equal(fd_size(fd), 0);
	assert_int_equal(fetch_to_fd(url("/past64"), fd, ULLONG_MAX, 10, &e), 0);
	assert_int_equal(fd_size(fd), 10);
	assert_int_equal(fetch_get_opts(url("/chunks"), &o, &r), -1);
	assert_null(r.body);
	assert_int_equal(fetch_to_sink(url("/chunks"), &o, count_sink, &passed, &e), -1);
	assert_int_equal(e.kind, NB_BAD_GATEWAY);
	close(fd);
}

/* Within the bound, the body comes whole: the bounds cut nothing else. */
static void test_small_answer_whole(void **state)
{
	struct fetch_opts o = { NULL, NULL, NULL, 5, 5, 10, 0 };
	struct fetch_result r;
	struct nb_err e;
	size_t passed = 0;
	int fd = scratch_fd();

	(void)state;
	assert_int_equal(fetch_get(url("/small"), NULL, NULL, 5, 10, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 5);
	assert_string_equal(r.body, "small");
	fetch_result_free(&r);
	assert_int_equal(fetch_to_sink(url("/small"), &o, count_sink, &passed, &e), 0);
	assert_int_equal(passed, 5);
	assert_int_equal(fetch_to_fd(url("/small"), fd, 5, 10, &e), 0);
	assert_int_equal(fd_size(fd), 5);
	close(fd);
	/* one byte under: refused */
	assert_int_equal(fetch_get(url("/small"), NULL, NULL, 4, 10, &r), -1);
	assert_non_null(strstr(r.error, "larger than 4 bytes"));
}

/* The counts of the callbacks near the top of their types: a chunk that
 * would carry them past max (wrapping to a small sum) is refused. */
static void test_sums_do_not_wrap(void **state)
{
	char chunk[16] = "0123456789abcdef";
	struct fd_sink fs = { -1, 0, 0, ULLONG_MAX - 4, ULLONG_MAX - 1 };
	struct fetch_result r;
	struct sink s = { &r, 0, SIZE_MAX, 0 };
	int fd = scratch_fd();

	(void)state;
	fs.fd = fd;
	assert_int_equal(on_fd_body(chunk, 1, sizeof(chunk), &fs), 0);
	assert_int_equal(fs.too_big, 1);
	assert_int_equal(fs.len, ULLONG_MAX - 4);
	assert_int_equal(fd_size(fd), 0);
	/* size * n past SIZE_MAX */
	fs.len = 0, fs.too_big = 0;
	assert_int_equal(on_fd_body(chunk, SIZE_MAX / 2, 3, &fs), 0);
	assert_int_equal(fs.too_big, 1);
	assert_int_equal(fd_size(fd), 0);
	close(fd);
	/* the in-memory body: nothing allocated or written past its end */
	memset(&r, 0, sizeof(r));
	r.len = SIZE_MAX - 4;
	assert_int_equal(on_body(chunk, 1, sizeof(chunk), &s), 0);
	assert_int_equal(s.too_big, 1);
	assert_null(r.body);
	assert_int_equal(r.len, SIZE_MAX - 4);
}

/* A range whose last byte would be past 2^64 - 1: refused before any
 * request (the store would be asked for a small, wrapped range). */
static void test_s3_range_does_not_wrap(void **state)
{
	struct s3_conf c;
	struct s3_err e = { 0, "" };
	size_t passed = 0;

	(void)state;
	s3_here(&c);
	assert_int_equal(s3_get(&c, "k", UINT64_MAX - 1, 5, count_sink, &passed, &e), -1);
	assert_int_equal(e.status, 416);
	assert_int_equal(passed, 0);
}

static int one_key(void *ctx, const char *key, uint64_t size, long mtime)
{
	assert_string_equal(key, "k1");
	assert_int_equal(size, 42);
	assert_true(mtime > 0);
	++*(int *)ctx;
	return 0;
}

/* A listing's answer is kept in memory (bytes_add, bounded): read whole. */
static void test_s3_list_answer(void **state)
{
	struct s3_conf c;
	struct s3_err e = { 0, "" };
	int n = 0;

	(void)state;
	s3_here(&c);
	assert_int_equal(s3_list(&c, "", one_key, &n, &e), 0);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_content_length),
		cmocka_unit_test(test_sizes_past_64_bits),
		cmocka_unit_test(test_small_answer_whole),
		cmocka_unit_test(test_sums_do_not_wrap),
		cmocka_unit_test(test_s3_range_does_not_wrap),
		cmocka_unit_test(test_s3_list_answer),
	};

	return cmocka_run_group_tests(tests, server_start, server_stop);
}
