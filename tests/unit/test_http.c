/*
 * test_http.c - the pure parts of the HTTP layer: http_range_parse in all
 * its forms (first-last, open-ended, suffix, clamping, multi-range -> 0,
 * unsatisfiable -> -1, each kind of garbage -> 0) and response building
 * (http_set_header dropping CR/LF and bad names, http_text, http_bytes,
 * http_json_error, http_reason), and the body readers' error value
 * (http_read_body, http_read_form: a kind and a message, never a status).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/lib/http.h"
#include "unit_arena.h"

/* Expects a satisfiable range [start, start+len) of a file of `size`. */
#define assert_range(h, size, want_start, want_len) do {		\
	off_t s_ = -7, l_ = -7;						\
	assert_int_equal(http_range_parse((h), (size), &s_, &l_), 1);	\
	assert_int_equal(s_, (want_start));				\
	assert_int_equal(l_, (want_len));				\
} while (0)

/* Expects rc (0: whole file, -1: 416) and start/len left untouched. */
#define assert_range_rc(h, size, rc) do {				\
	off_t s_ = -7, l_ = -7;						\
	assert_int_equal(http_range_parse((h), (size), &s_, &l_), (rc)); \
	assert_int_equal(s_, -7);					\
	assert_int_equal(l_, -7);					\
} while (0)

static void test_range_first_last(void **state)
{
	(void)state;
	assert_range("bytes=0-99", 1000, 0, 100);
	assert_range("bytes=0-0", 1000, 0, 1);
	assert_range("bytes=100-199", 1000, 100, 100);
	assert_range("bytes=999-999", 1000, 999, 1);
	assert_range("bytes= 5-9", 1000, 5, 5);
	/* last past the end is clamped */
	assert_range("bytes=900-5000", 1000, 900, 100);
	assert_range("bytes=0-999999999999", 1000, 0, 1000);
}

static void test_range_open_ended(void **state)
{
	(void)state;
	assert_range("bytes=0-", 1000, 0, 1000);
	assert_range("bytes=500-", 1000, 500, 500);
	assert_range("bytes=999-", 1000, 999, 1);
}

static void test_range_suffix(void **state)
{
	(void)state;
	assert_range("bytes=-200", 1000, 800, 200);
	assert_range("bytes=-1", 1000, 999, 1);
	assert_range("bytes=-1000", 1000, 0, 1000);
	/* longer than the file: the whole file */
	assert_range("bytes=-5000", 1000, 0, 1000);
}

static void test_range_large_file(void **state)
{
	const off_t big = (off_t)6 << 30;	/* 6 GiB, past 32 bits */

	(void)state;
	assert_range("bytes=5368709120-", big, (off_t)5 << 30, (off_t)1 << 30);
	assert_range("bytes=-2147483648", big, big - ((off_t)2 << 30), (off_t)2 << 30);
}

static void test_range_whole_file(void **state)
{
	(void)state;
	/* no header, or not a bytes range */
	assert_range_rc(NULL, 1000, 0);
	assert_range_rc("", 1000, 0);
	assert_range_rc("items=0-1", 1000, 0);
	assert_range_rc("bytes 0-1", 1000, 0);
	/* several ranges: the whole file */
	assert_range_rc("bytes=0-1,5-6", 1000, 0);
	assert_range_rc("bytes=0-1, 5-6", 1000, 0);
	assert_range_rc("bytes=-5,0-1", 1000, 0);
	assert_range_rc("bytes=2000-3000,0-1", 1000, 0);
}

static void test_range_garbage(void **state)
{
	(void)state;
	assert_range_rc("bytes=", 1000, 0);
	assert_range_rc("bytes=-", 1000, 0);
	assert_range_rc("bytes=abc", 1000, 0);
	assert_range_rc("bytes=a-b", 1000, 0);
	assert_range_rc("bytes=5", 1000, 0);
	assert_range_rc("bytes=5-x", 1000, 0);
	assert_range_rc("bytes=5-9x", 1000, 0);
	assert_range_rc("bytes=5x-9", 1000, 0);
	assert_range_rc("bytes=5 -9", 1000, 0);
	assert_range_rc("bytes=5- 9", 1000, 0);
	assert_range_rc("bytes=5--9", 1000, 0);
	assert_range_rc("bytes=5-+9", 1000, 0);
	assert_range_rc("bytes=+5-9", 1000, 0);
	assert_range_rc("bytes=--5", 1000, 0);
	assert_range_rc("bytes=-+5", 1000, 0);
	assert_range_rc("bytes=- 5", 1000, 0);
	assert_range_rc("bytes=-5x", 1000, 0);
	assert_range_rc("bytes=0x10-", 1000, 0);
	/* last before first is an invalid spec: ignored */
	assert_range_rc("bytes=9-5", 1000, 0);
	/* numbers that overflow */
	assert_range_rc("bytes=99999999999999999999-", 1000, 0);
	assert_range_rc("bytes=0-99999999999999999999", 1000, 0);
	assert_range_rc("bytes=-99999999999999999999", 1000, 0);
}

static void test_range_unsatisfiable(void **state)
{
	(void)state;
	assert_range_rc("bytes=1000-", 1000, -1);
	assert_range_rc("bytes=1000-1999", 1000, -1);
	assert_range_rc("bytes=5000-6000", 1000, -1);
	assert_range_rc("bytes=-0", 1000, -1);
	/* an empty file has no bytes to give */
	assert_range_rc("bytes=0-", 0, -1);
	assert_range_rc("bytes=0-0", 0, -1);
	assert_range_rc("bytes=-5", 0, -1);
}

static void test_set_header(void **state)
{
	struct http_resp w;

	(void)state;
	http_resp_init(&w, &A);
	assert_int_equal(w.status, 200);
	assert_int_equal(w.fd, -1);
	assert_int_equal(w.has_type, 0);
	http_set_header(&w, "X-One", "1");
	http_set_header(&w, "Cache-Control", "no-store, max-age=0");
	assert_string_equal(buf_cstr(&w.headers),
			    "X-One: 1\r\nCache-Control: no-store, max-age=0\r\n");
	assert_int_equal(w.has_type, 0);
	http_set_header(&w, "content-type", "text/html");
	assert_int_equal(w.has_type, 1);
	assert_string_equal(buf_cstr(&w.headers),
			    "X-One: 1\r\nCache-Control: no-store, max-age=0\r\n"
			    "content-type: text/html\r\n");
}

static void test_set_header_rejects_crlf(void **state)
{
	struct http_resp w;

	(void)state;
	http_resp_init(&w, &A);
	http_set_header(&w, "X-A", "ok\r\nSet-Cookie: evil=1");
	assert_int_equal(w.headers.len, 0);
	http_set_header(&w, "X-A", "ok\nSet-Cookie: evil=1");
	assert_int_equal(w.headers.len, 0);
	http_set_header(&w, "X-A", "ok\revil");
	assert_int_equal(w.headers.len, 0);
	http_set_header(&w, "X-A", "\n");
	assert_int_equal(w.headers.len, 0);
	http_set_header(&w, "X-A\r\nSet-Cookie", "evil=1");
	assert_int_equal(w.headers.len, 0);
	http_set_header(&w, "X-A\n", "v");
	assert_int_equal(w.headers.len, 0);
	http_set_header(&w, "X-A\r", "v");
	assert_int_equal(w.headers.len, 0);
	http_set_header(&w, "X-A: b", "v");
	assert_int_equal(w.headers.len, 0);
	/* a rejected Content-Type does not count as set */
	http_set_header(&w, "Content-Type", "text/html\r\nX: y");
	assert_int_equal(w.headers.len, 0);
	assert_int_equal(w.has_type, 0);
	/* colons and tabs in a value are fine */
	http_set_header(&w, "X-Time", "12:00\tUTC");
	assert_string_equal(buf_cstr(&w.headers), "X-Time: 12:00\tUTC\r\n");
}

static void test_text_and_bytes(void **state)
{
	struct http_resp w;

	(void)state;
	http_resp_init(&w, &A);
	http_text(&w, 404, "not here");
	assert_int_equal(w.status, 404);
	assert_int_equal(w.has_type, 1);
	assert_int_equal(w.body.len, 8);
	assert_memory_equal(w.body.p, "not here", 8);
	assert_string_equal(buf_cstr(&w.headers),
			    "Content-Type: text/plain; charset=utf-8\r\n");
	/* the body is replaced, not appended */
	http_bytes(&w, 200, NULL, "a\0b", 3);
	assert_int_equal(w.status, 200);
	assert_int_equal(w.body.len, 3);
	assert_memory_equal(w.body.p, "a\0b", 3);
}

static void test_json_error(void **state)
{
	struct http_resp w;

	(void)state;
	http_resp_init(&w, &A);
	http_json_error(&w, 400, "bad \"name\"");
	assert_int_equal(w.status, 400);
	assert_string_equal(buf_cstr(&w.body),
			    "{\"error\":\"bad \\\"name\\\"\",\"status\":400}\n");
	assert_string_equal(buf_cstr(&w.headers), "Content-Type: application/json\r\n");
}

static void test_reason(void **state)
{
	(void)state;
	assert_string_equal(http_reason(200), "OK");
	assert_string_equal(http_reason(206), "Partial Content");
	assert_string_equal(http_reason(404), "Not Found");
	assert_string_equal(http_reason(405), "Method Not Allowed");
	assert_string_equal(http_reason(416), "Range Not Satisfiable");
	/* every status an error kind maps to has its reason (err.c) */
	for (int k = NB_OK; k < NB_NKINDS; k++)
		if (!strcmp(http_reason(nb_err_status(k)), "Unknown"))
			fail_msg("no reason for %d", nb_err_status(k));
	assert_string_equal(http_reason(503), "Service Unavailable");
	assert_string_equal(http_reason(299), "Unknown");
}

/*
 * What http_send writes in plain-CGI mode (stdout), captured through a
 * temporary file: the program's own framing, below any front end.
 */
static char *send_capture(struct http_req *r, struct http_resp *w)
{
	FILE *tmp = tmpfile();
	int saved;
	long n;
	char *out;

	assert_non_null(tmp);
	fflush(stdout);
	saved = dup(1);
	dup2(fileno(tmp), 1);
	http_send(r, w);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = (long)lseek(fileno(tmp), 0, SEEK_END);
	out = arena_zalloc(&A, (size_t)n + 1);
	assert_int_equal(pread(fileno(tmp), out, (size_t)n, 0), n);
	fclose(tmp);
	return out;
}

static void cgi_request(struct http_req *r, const char *method, const char *range)
{
	struct nb_err err;

	setenv("REQUEST_METHOD", method, 1);
	setenv("REQUEST_URI", "/f", 1);
	if (range)
		setenv("HTTP_RANGE", range, 1);
	else
		unsetenv("HTTP_RANGE");
	http_req_init(r, &A, NULL);
	assert_int_equal(http_req_parse(r, &err), 0);
}

/* A 10-byte file for the file answers. */
static const char *ten_bytes(void)
{
	char *path = arena_printf(&A, "%s/nb-http-XXXXXX", P_tmpdir);
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	return path;
}

/* Every kind of answer carries nosniff (issue 11 §9): a browser must not
 * guess HTML out of an artifact or an error text. */
static void test_send_nosniff_everywhere(void **state)
{
	static const char fixed[] = "fixed";
	const char *path = ten_bytes();
	struct http_req r;
	struct http_resp w;
	int kind;

	(void)state;
	for (kind = 0; kind < 6; kind++) {
		cgi_request(&r, kind == 5 ? "HEAD" : "GET", NULL);
		http_resp_init(&w, &A);
		switch (kind) {
		case 0: http_text(&w, 200, "hi"); break;
		case 1: http_json_error(&w, 404, "no"); break;
		case 2: http_fixed(&w, 200, fixed, 5); break;
		case 3: assert_int_equal(http_file(&r, &w, path, "x/y", 0, "gone", NULL), 0); break;
		case 4: assert_int_equal(http_file(&r, &w, path, "x/y", 1, "gone", NULL), 0); break;
		default: http_text(&w, 200, "head"); break;
		}
		assert_non_null(strstr(send_capture(&r, &w),
				       "\r\nX-Content-Type-Options: nosniff\r\n"));
	}
	unlink(path);
}

/*
 * The framing's exact bytes, which every client and e2e test reads: the
 * status line with its reason, the headers in the order set (a header
 * with a line break refused), Content-Length; a HEAD without the body.
 */
static void test_send_exact_framing(void **state)
{
	static const char big[] = "x";
	struct http_req r;
	struct http_resp w;

	(void)state;
	cgi_request(&r, "GET", NULL);
	http_resp_init(&w, &A);
	http_set_header(&w, "X-A", "b c");
	http_set_header(&w, "X-Bad", "a\r\nX-Injected: 1");
	http_text(&w, 503, "busy");
	assert_string_equal(send_capture(&r, &w),
			    "Status: 503 Service Unavailable\r\nX-A: b c\r\n"
			    "Content-Type: text/plain; charset=utf-8\r\n"
			    "X-Content-Type-Options: nosniff\r\nContent-Length: 4\r\n\r\nbusy");
	cgi_request(&r, "HEAD", NULL);
	http_resp_init(&w, &A);
	http_fixed(&w, 200, big, 0);
	w.fixed_len = 1234567890123LL;	/* only its length is sent to a HEAD */
	http_set_header(&w, "Content-Type", "application/hal+json");
	assert_string_equal(send_capture(&r, &w),
			    "Status: 200 OK\r\nContent-Type: application/hal+json\r\n"
			    "X-Content-Type-Options: nosniff\r\nContent-Length: 1234567890123\r\n\r\n");
	unsetenv("REQUEST_METHOD");
}

/* Range: bytes=<size>- is 416 with a Content-Range of "bytes", "*" and
 * the size (RFC 9110 §14.4, §15.5.17) on the streamed and the X-Sendfile path:
 * the front end's own 416 for an X-Sendfile answer carries none. */
static void test_send_416_content_range(void **state)
{
	const char *path = ten_bytes(), *out;
	struct http_req r;
	struct http_resp w;
	int xs;

	(void)state;
	for (xs = 0; xs < 2; xs++) {
		cgi_request(&r, "GET", "bytes=10-");
		http_resp_init(&w, &A);
		assert_int_equal(http_file(&r, &w, path, "x/y", xs, "gone", NULL), 0);
		out = send_capture(&r, &w);
		assert_true(!strncmp(out, "Status: 416 ", 12));
		assert_non_null(strstr(out, "\r\nContent-Range: bytes */10\r\n"));
		assert_null(strstr(out, "X-Sendfile"));
		assert_non_null(strstr(out, "\r\nContent-Length: 0\r\n\r\n"));
	}
	/* a satisfiable range still goes to the front end */
	cgi_request(&r, "GET", "bytes=2-");
	http_resp_init(&w, &A);
	assert_int_equal(http_file(&r, &w, path, "x/y", 1, "gone", NULL), 0);
	assert_non_null(strstr(send_capture(&r, &w), "X-Sendfile: "));
	unsetenv("HTTP_RANGE");
	unlink(path);
}

/* http_base_url: configured wins (trailing '/' dropped); else scheme, Host
 * and the front end's port, added when the device's Host has none (mip and
 * MicroPython's requests send Host without it); hostile Host refused. */
static void base_url_case(const char *host, const char *port, const char *https,
			  const char *configured, const char *want)
{
	struct http_req r;

	if (host)
		setenv("HTTP_HOST", host, 1);
	else
		unsetenv("HTTP_HOST");
	setenv("SERVER_PORT", port, 1);
	setenv("SERVER_NAME", "srv.example", 1);
	if (https)
		setenv("HTTPS", https, 1);
	else
		unsetenv("HTTPS");
	cgi_request(&r, "GET", NULL);
	assert_string_equal(http_base_url(&r, configured), want);
}

static void test_base_url(void **state)
{
	(void)state;
	base_url_case("h.example", "8080", NULL, "https://cdn.example/nb//", "https://cdn.example/nb");
	base_url_case("h.example", "8080", NULL, "", "http://h.example:8080");
	base_url_case("h.example:9", "8080", NULL, NULL, "http://h.example:9");
	base_url_case("h.example", "80", NULL, NULL, "http://h.example");
	base_url_case("h.example", "443", "on", NULL, "https://h.example");
	base_url_case("[::1]", "8080", NULL, NULL, "http://[::1]:8080");
	base_url_case("[::1]:81", "8080", NULL, NULL, "http://[::1]:81");
	base_url_case("evil.example/x?", "8080", NULL, NULL, "http://srv.example:8080");
	base_url_case(NULL, "8080", NULL, NULL, "http://srv.example:8080");
	unsetenv("HTTP_HOST");
	unsetenv("SERVER_PORT");
	unsetenv("SERVER_NAME");
	unsetenv("HTTPS");
}

/* Reads "body" through stdin (plain CGI) announced as content_length
 * bytes, with at most max: http_read_body's result, e filled on -1. */
static int read_body(const char *body, long long content_length, size_t max, char **out,
		     size_t *len, struct nb_err *e)
{
	struct http_req r;

	assert_non_null(freopen("/dev/null", "r", stdin));
	if (*body) {
		FILE *f = tmpfile();
		assert_non_null(f);
		fputs(body, f);
		fflush(f);
		assert_int_equal(dup2(fileno(f), STDIN_FILENO), STDIN_FILENO);
		lseek(STDIN_FILENO, 0, SEEK_SET);
		fclose(f);
	}
	http_req_init(&r, &A, NULL);
	r.content_length = content_length;
	nb_err_clear(e);
	return http_read_body(&r, max, out, len, e);
}

static void test_read_body_error_value(void **state)
{
	struct nb_err e;
	char *body;
	size_t len;

	(void)state;
	assert_int_equal(read_body("hello", 5, 16, &body, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_string_equal(body, "hello");
	assert_int_equal(e.kind, NB_OK);
	assert_int_equal(read_body("", -1, 16, &body, &len, &e), -1);
	assert_int_equal(e.kind, NB_LENGTH_REQUIRED);
	assert_int_equal(nb_err_status(e.kind), 411);
	assert_int_equal(read_body("hello", 5, 4, &body, &len, &e), -1);
	assert_int_equal(e.kind, NB_TOO_LARGE);
	assert_string_equal(e.msg, "request body too large");
	/* announced 9, sent 5: the client went away mid-body */
	assert_int_equal(read_body("hello", 9, 16, &body, &len, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_string_equal(e.msg, "request body incomplete");
	assert_null(body);
	assert_int_equal(len, 0);
}

/* A request line the server cannot take is an error value (NB_INVALID,
 * a 400 where the program answers it), not a reason for a caller to
 * turn into a status. */
static void test_req_parse_error_value(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	setenv("REQUEST_METHOD", "GET", 1);
	setenv("REQUEST_URI", "/a/../b", 1);
	unsetenv("CONTENT_LENGTH");
	http_req_init(&r, &A, NULL);
	assert_int_equal(http_req_parse(&r, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_true(e.msg[0] != '\0');
	setenv("REQUEST_URI", "/a?x=%zz", 1);
	http_req_init(&r, &A, NULL);
	assert_int_equal(http_req_parse(&r, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	setenv("REQUEST_URI", "/a", 1);
	setenv("CONTENT_LENGTH", "-1", 1);
	http_req_init(&r, &A, NULL);
	assert_int_equal(http_req_parse(&r, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_string_equal(e.msg, "bad Content-Length");
	unsetenv("CONTENT_LENGTH");
	unsetenv("REQUEST_METHOD");
	http_req_init(&r, &A, NULL);
	assert_int_equal(http_req_parse(&r, &e), -1);
	assert_string_equal(e.msg, "no request method");
	unsetenv("REQUEST_URI");
}

/* A request target splits at its first '?'; the query ends at a '#' (a
 * fragment is the client's), the path keeps everything before the '?';
 * the pieces point into the target, so a NUL-free length is all it reads. */
static void test_target_split(void **state)
{
	static const struct { const char *t, *path, *query; } v[] = {
		{ "/a/b", "/a/b", "" },
		{ "/a?x=1", "/a", "x=1" },
		{ "/a?x=1#frag", "/a", "x=1" },
		{ "/a?#f?g", "/a", "" },
		{ "/a?x=1?y=2", "/a", "x=1?y=2" },
		{ "?q", "", "q" },
		{ "", "", "" },
	};
	struct http_target t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		http_target_split(v[i].t, strlen(v[i].t), &t);
		assert_int_equal(t.path_len, strlen(v[i].path));
		assert_memory_equal(t.path, v[i].path, t.path_len);
		assert_int_equal(t.query_len, strlen(v[i].query));
		assert_memory_equal(t.query, v[i].query, t.query_len);
		assert_true(t.path == v[i].t);
	}
	/* bounded by n: what lies past it is not the target's */
	http_target_split("/a?x=1#f", 4, &t);
	assert_int_equal(t.path_len, 2);
	assert_int_equal(t.query_len, 1);
	/* http_req_parse splits the same way */
	{
		struct http_req r;
		struct nb_err e;

		setenv("REQUEST_METHOD", "GET", 1);
		setenv("REQUEST_URI", "/a/b?x=1&y=2#frag", 1);
		http_req_init(&r, &A, NULL);
		assert_int_equal(http_req_parse(&r, &e), 0);
		assert_string_equal(r.raw_path, "/a/b");
		assert_string_equal(r.raw_query, "x=1&y=2");
		assert_string_equal(query_get(&r.query, "y"), "2");
		unsetenv("REQUEST_URI");
		unsetenv("REQUEST_METHOD");
	}
}

/* A file that is not there is NB_NOT_FOUND with the caller's words, on
 * both paths (X-Sendfile and streamed); a directory is not a file. */
static void test_file_missing_error_value(void **state)
{
	struct http_req r;
	struct http_resp w;
	struct nb_err e;
	int xs;

	(void)state;
	for (xs = 0; xs <= 1; xs++) {
		cgi_request(&r, "GET", NULL);
		http_resp_init(&w, &A);
		nb_err_clear(&e);
		assert_int_equal(http_file(&r, &w, "/nonexistent/nb-x", "x/y", xs, "no such artifact",
					   &e), -1);
		assert_int_equal(e.kind, NB_NOT_FOUND);
		assert_string_equal(e.msg, "no such artifact");
		nb_err_clear(&e);
		assert_int_equal(http_file(&r, &w, P_tmpdir, "x/y", xs, "gone", &e), -1);
		assert_int_equal(e.kind, NB_NOT_FOUND);
	}
}

/* The JSON media types a JSON-body route takes (route.h ROUTE_JSON_BODY):
 * application/json and the +json suffix, any case, parameters and spaces;
 * every other type, and a malformed one, is not. */
static void test_json_type(void **state)
{
	static const char *const yes[] = {
		"application/json", "application/json;charset=UTF-8",
		"Application/JSON; charset=utf-8", "  application/json  ",
		"application/json ; charset=UTF-8", "application/hal+json",
		"APPLICATION/VND.API+JSON", "application/merge-patch+json;q=1",
	};
	static const char *const no[] = {
		"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x",
		"application/jsonx", "application/json5", "text/json", "application/+json",
		"application/", "application", "json", "application/json,text/plain",
		"application/json x", "application/octet-stream", "application/xml+jsonx",
		"application/json\"", "application/ json",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_int_equal(http_json_type(yes[i]), 1);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (http_json_type(no[i]))
			fail_msg("taken as JSON: \"%s\"", no[i]);
	assert_int_equal(http_json_type(NULL), 0);
}

/* If-None-Match (RFC 9110 13.1.2): "*", lists with OWS and empty
 * elements, weak tags compared weakly, commas inside a tag, and
 * malformed values matching nothing. */
static void test_etag_match(void **state)
{
	static const struct {
		const char *field, *etag;
		int match;
	} cases[] = {
		{ "*", "\"a\"", 1 }, { " * ", NULL, 1 }, { "*", "W/\"a\"", 1 },
		{ "\"a\"", "\"a\"", 1 }, { "\"a\"", "\"b\"", 0 },
		{ "\"x\", \"a\"", "\"a\"", 1 }, { "\"x\",\"a\"", "\"a\"", 1 },
		{ " , \"x\" ,, \"a\" ,", "\"a\"", 1 }, { "\"x\", \"y\"", "\"a\"", 0 },
		{ "W/\"a\"", "\"a\"", 1 }, { "\"a\"", "W/\"a\"", 1 }, { "W/\"a\"", "W/\"a\"", 1 },
		{ "w/\"a\"", "\"a\"", 0 },		/* "W/" is case-sensitive */
		{ "\"a,b\"", "\"a,b\"", 1 }, { "\"a,b\"", "\"a\"", 0 },
		{ "\"a\", \"b\"", "\"a,b\"", 0 },
		{ "\"\"", "\"\"", 1 }, { "\"ab\"", "\"a\"", 0 }, { "\"a\"", "\"ab\"", 0 },
		{ "a", "\"a\"", 0 }, { "\"a", "\"a\"", 0 }, { "\"a\" \"b\"", "\"b\"", 0 },
		{ "\"x\", bad, \"a\"", "\"a\"", 0 }, { "*, \"a\"", "\"a\"", 0 },
		{ "\"a b\"", "\"a b\"", 0 },		/* no space in an etagc */
		{ "", "\"a\"", 0 }, { NULL, "\"a\"", 0 }, { "\"a\"", NULL, 0 }, { "\"a\"", "a", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (http_etag_match(cases[i].field, cases[i].etag) != cases[i].match)
			fail_msg("If-None-Match: %s against %s: not %d", cases[i].field,
				 cases[i].etag, cases[i].match);
}

/* A response's headers are found and dropped by name in any case. */
static void test_resp_header(void **state)
{
	struct http_resp w;

	(void)state;
	http_resp_init(&w, &A);
	http_set_header(&w, "ETag", "\"1\"");
	http_bytes(&w, 200, "application/json", "{}", 2);
	http_set_header(&w, "X-ETag-Like", "no");
	http_set_header(&w, "Cache-Control", "max-age=1");
	assert_string_equal(http_resp_header(&w, "etag"), "\"1\"");
	assert_string_equal(http_resp_header(&w, "Cache-Control"), "max-age=1");
	assert_null(http_resp_header(&w, "Allow"));
	assert_null(http_resp_header(&w, "X-ETag"));
	http_resp_drop_header(&w, "content-type");
	assert_int_equal(w.has_type, 0);
	assert_null(http_resp_header(&w, "Content-Type"));
	assert_string_equal(buf_cstr(&w.headers),
			    "ETag: \"1\"\r\nX-ETag-Like: no\r\nCache-Control: max-age=1\r\n");
}

/* A 304 and a 204 carry no Content-Length and no body (RFC 9110 8.6,
 * 15.4.5: a 304's Content-Length would have to be the 200's), and no
 * Content-Type of ours. */
static void test_send_no_content(void **state)
{
	struct http_req r;
	struct http_resp w;
	int status;

	(void)state;
	for (status = 204; status <= 304; status += 100) {
		cgi_request(&r, "GET", NULL);
		http_resp_init(&w, &A);
		http_set_header(&w, "ETag", "\"e\"");
		w.status = status;
		assert_string_equal(send_capture(&r, &w),
				    arena_printf(&A, "Status: %d %s\r\nETag: \"e\"\r\n"
						 "X-Content-Type-Options: nosniff\r\n\r\n", status,
						 status == 204 ? "No Content" : "Not Modified"));
	}
	unsetenv("REQUEST_METHOD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_split),
		cmocka_unit_test(test_range_first_last),
		cmocka_unit_test(test_range_open_ended),
		cmocka_unit_test(test_range_suffix),
		cmocka_unit_test(test_range_large_file),
		cmocka_unit_test(test_range_whole_file),
		cmocka_unit_test(test_range_garbage),
		cmocka_unit_test(test_range_unsatisfiable),
		cmocka_unit_test(test_set_header),
		cmocka_unit_test(test_set_header_rejects_crlf),
		cmocka_unit_test(test_text_and_bytes),
		cmocka_unit_test(test_json_error),
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_send_nosniff_everywhere),
		cmocka_unit_test(test_send_416_content_range),
		cmocka_unit_test(test_send_exact_framing),
		cmocka_unit_test(test_base_url),
		cmocka_unit_test(test_read_body_error_value),
		cmocka_unit_test(test_req_parse_error_value),
		cmocka_unit_test(test_file_missing_error_value),
		cmocka_unit_test(test_json_type),
		cmocka_unit_test(test_etag_match),
		cmocka_unit_test(test_resp_header),
		cmocka_unit_test(test_send_no_content),
	};

	return cmocka_run_group_tests(tests, ut_arena_setup, ut_arena_teardown);
}
