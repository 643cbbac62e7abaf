/*
 * test_fetch.c - the bounds of src/lib/fetch.c against what an upstream
 * says of its own size: a Content-Length over the bound is refused before
 * a byte of the body is kept (fetch_get, fetch_to_sink, fetch_to_fd), one
 * no 64-bit number can hold and chunk sizes past any bound are refused
 * too, and a body within the bound still comes whole.  The body
 * callbacks are driven directly with counts near the top of their types:
 * a sum that would wrap is refused, never taken for a small one.  And the
 * S3 client's ranged GET: a range whose end wraps is refused unsent.
 * And the redirects: none from https to http, none from a public
 * upstream to an internal address, any from an internal one.
 *
 * The upstream is a forked process on 127.0.0.1, and another on
 * 127.0.0.2, that answer each connection with the canned answer its path
 * names.  Here 127.0.0.1 stands for a public host and every other
 * address for an internal one: netaddr_internal below replaces the
 * library's (test_netaddr.c tests that one on real addresses).
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

/* pid, port: the upstream on 127.0.0.1 ("public"); pid2, port2: the one
 * on 127.0.0.2 ("internal") */
static pid_t server, server2;
static int port, port2;

int netaddr_internal(const char *ip)
{
	return strcmp(ip, "127.0.0.1") != 0;
}

static const char *answer_of(const char *path)
{
	static char moved[200];

	/* /to-public and /to-internal: redirects to /small on either host */
	if (!strncmp(path, "/to-", 4)) {
		int pub = !strncmp(path, "/to-public ", 11);

		snprintf(moved, sizeof(moved),
			 "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.%d:%d/small\r\n"
			 "Content-Length: 5\r\n\r\nmoved", pub ? 1 : 2, pub ? port : port2);
		return moved;
	}
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

/* A listening socket on 127.0.0.host; its port in *p.  -1 on failure. */
static int listen_on(int host, int *p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + (unsigned)host);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	*p = ntohs(sa.sin_port);
	return s;
}

/* A process answering s's connections; its pid, or -1. */
static pid_t serve(int s)
{
	pid_t pid = fork();

	if (pid == 0) {
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
	return pid;
}

static int server_start(void **state)
{
	int s = listen_on(1, &port), s2 = listen_on(2, &port2);

	(void)state;
	if (s < 0 || s2 < 0)
		return -1;
	server = serve(s);
	server2 = serve(s2);
	return server < 0 || server2 < 0 ? -1 : 0;
}

static int server_stop(void **state)
{
	(void)state;
	kill(server, SIGTERM);
	kill(server2, SIGTERM);
	waitpid(server, NULL, 0);
	waitpid(server2, NULL, 0);
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

/* The same on the "internal" host. */
static const char *url2(const char *path)
{
	static char u[128];

	snprintf(u, sizeof(u), "http://127.0.0.2:%d%s", port2, path);
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

/* path refused by each fetch for why (an upstream failure: fetch_get's
 * error, fetch_to_sink's NB_BAD_GATEWAY, fetch_to_fd's NB_INVALID), no
 * byte of a body kept or passed on. */
static void refused_by_all(const char *path, const char *why)
{
	struct fetch_opts o = { NULL, NULL, NULL, BOUND, 5, 10, 0 };
	struct fetch_result r;
	struct nb_err e = { NB_OK, "" };
	size_t passed = 0;
	int fd = scratch_fd();

	assert_int_equal(fetch_get(url(path), NULL, NULL, BOUND, 10, &r), -1);
	assert_non_null(strstr(r.error, why));
	assert_null(r.body);
	assert_int_equal(fetch_to_sink(url(path), &o, count_sink, &passed, &e), -1);
	assert_int_equal(e.kind, NB_BAD_GATEWAY);
	assert_string_equal(e.msg, why);
	assert_int_equal(passed, 0);
	assert_int_equal(fetch_to_fd(url(path), fd, BOUND, 10, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_non_null(strstr(e.msg, why));
	assert_int_equal(fd_size(fd), 0);
	close(fd);
}

/* A Content-Length past the bound: refused at the headers, said as such
 * (not a transfer cut short), no byte of the body kept or passed on. */
static void test_huge_content_length(void **state)
{
	(void)state;
	refused_by_all("/huge", "larger than 1048576 bytes");
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

/* A "public" upstream redirecting to an internal address: refused as an
 * upstream failure by all three fetches, saying why. */
static void test_redirect_to_internal_refused(void **state)
{
	(void)state;
	refused_by_all("/to-internal", "redirect to internal address 127.0.0.2 refused");
}

/* What stays: public to public, and an internal upstream (a LAN mirror)
 * redirecting anywhere, its own internal space included. */
static void test_redirects_followed(void **state)
{
	struct fetch_opts o = { NULL, NULL, NULL, BOUND, 5, 10, 0 };
	struct fetch_result r;
	struct nb_err e;
	size_t i, passed;
	char u[3][128];

	(void)state;
	/* url() and url2() reuse their buffers */
	snprintf(u[0], sizeof(u[0]), "%s", url("/to-public"));
	snprintf(u[1], sizeof(u[1]), "%s", url2("/to-internal"));
	snprintf(u[2], sizeof(u[2]), "%s", url2("/to-public"));
	for (i = 0; i < 3; i++) {
		int fd = scratch_fd();

		assert_int_equal(fetch_get(u[i], NULL, NULL, BOUND, 10, &r), 0);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.body, "small");
		fetch_result_free(&r);
		passed = 0;
		assert_int_equal(fetch_to_sink(u[i], &o, count_sink, &passed, &e), 0);
		assert_int_equal(passed, 5);
		assert_int_equal(fetch_to_fd(u[i], fd, BOUND, 10, &e), 0);
		assert_int_equal(fd_size(fd), 5);
		close(fd);
	}
}

/*
 * The rules per hop (scheme and connected address, as libcurl gives them
 * before each request): once https, never http again, whatever the
 * upstream; an internal address only after an internal first hop.
 */
static void test_hop_rules(void **state)
{
	struct hops h;

	(void)state;
	/* https to http, at once or after an https hop; https to https */
	memset(&h, 0, sizeof(h));
	assert_int_equal(hop_allowed(&h, "HTTPS", "127.0.0.1"), 0);
	assert_int_equal(hop_allowed(&h, "HTTPS", "127.0.0.1"), 0);
	assert_int_equal(hop_allowed(&h, "HTTP", "127.0.0.1"), -1);
	assert_string_equal(h.why, "redirect from https to http refused");
	memset(&h, 0, sizeof(h));
	assert_int_equal(hop_allowed(&h, "http", "127.0.0.1"), 0);
	assert_int_equal(hop_allowed(&h, "https", "127.0.0.1"), 0);
	assert_int_equal(hop_allowed(&h, "http", "127.0.0.1"), -1);
	/* an internal upstream: still no way off TLS */
	memset(&h, 0, sizeof(h));
	assert_int_equal(hop_allowed(&h, "https", "10.0.0.1"), 0);
	assert_int_equal(hop_allowed(&h, "http", "10.0.0.1"), -1);
	/* http to https is an upgrade */
	memset(&h, 0, sizeof(h));
	assert_int_equal(hop_allowed(&h, "http", "127.0.0.1"), 0);
	assert_int_equal(hop_allowed(&h, "https", "127.0.0.1"), 0);
	/* public, then internal: refused at the first internal hop */
	memset(&h, 0, sizeof(h));
	assert_int_equal(hop_allowed(&h, "https", "127.0.0.1"), 0);
	assert_int_equal(hop_allowed(&h, "https", "127.0.0.1"), 0);
	assert_int_equal(hop_allowed(&h, "https", "169.254.169.254"), -1);
	assert_string_equal(h.why, "redirect to internal address 169.254.169.254 refused");
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
		cmocka_unit_test(test_redirect_to_internal_refused),
		cmocka_unit_test(test_redirects_followed),
		cmocka_unit_test(test_hop_rules),
	};

	return cmocka_run_group_tests(tests, server_start, server_stop);
}
