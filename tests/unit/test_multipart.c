/*
 * test_multipart.c - the streaming multipart/form-data parser: the boundary
 * parameter, one body fed whole, byte by byte and in other chunk sizes,
 * header parameters and filename path stripping, truncated bodies, every
 * limit (header length, headers per part, parts), garbage after a
 * boundary, callbacks refusing, boundary-like text in data, and a 10 MiB
 * part streamed through the fixed buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/err.h"
#include "../../src/lib/multipart.h"

static const char TRUNCATED[] = "the body ends before its closing boundary";
static const char NOT_MULTIPART[] = "expected a multipart/form-data upload";

/* What the callbacks saw: "[name|filename|ctype]data" per part, in order. */
struct rec {
	char *log;
	size_t len, cap;
	int record;		/* 0: count only (the 10 MiB part) */
	int in_part, begins, ends;
	size_t bytes, biggest;
	int refuse_begin, refuse_end;
	size_t refuse_after;	/* data() refuses past this many bytes; 0: never */
};

static struct multipart M;	/* 64 KiB: not on the stack */
static struct nb_err E;		/* what the last failing mp_* call said */

/* The last refusal was NB_INVALID with exactly the message want. */
#define assert_mp_err(want) do {					\
	assert_int_equal(E.kind, NB_INVALID);				\
	assert_string_equal(E.msg, (want));				\
} while (0)

static void add(struct rec *r, const char *p, size_t n)
{
	if (!r->record)
		return;
	if (r->len + n + 1 > r->cap) {
		r->cap = (r->len + n + 1) * 2;
		r->log = realloc(r->log, r->cap);
		assert_non_null(r->log);
	}
	memcpy(r->log + r->len, p, n);
	r->len += n;
	r->log[r->len] = '\0';
}

static int on_begin(void *ctx, const struct multipart_part *p)
{
	struct rec *r = ctx;

	assert_false(r->in_part);
	r->in_part = 1;
	r->begins++;
	add(r, "[", 1);
	add(r, p->name, strlen(p->name));
	add(r, "|", 1);
	add(r, p->filename, strlen(p->filename));
	add(r, "|", 1);
	add(r, p->ctype, strlen(p->ctype));
	add(r, "]", 1);
	return r->refuse_begin;
}

static int on_data(void *ctx, const char *p, size_t n)
{
	struct rec *r = ctx;

	assert_true(r->in_part);
	assert_true(n > 0);
	r->bytes += n;
	if (n > r->biggest)
		r->biggest = n;
	add(r, p, n);
	return r->refuse_after && r->bytes > r->refuse_after;
}

static int on_end(void *ctx)
{
	struct rec *r = ctx;

	assert_true(r->in_part);
	r->in_part = 0;
	r->ends++;
	return r->refuse_end;
}

static const struct multipart_callbacks CB = { on_begin, on_data, on_end };

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->record = 1;
	add(r, "", 0);
}

/*
 * Parses body (n bytes) fed in pieces of chunk bytes with the boundary
 * "XyZ"; returns multipart_finish(), or -1 as soon as a feed fails.
 */
static int parse_chunked(const char *body, size_t n, size_t chunk, struct rec *r)
{
	size_t off = 0;

	nb_err_clear(&E);
	multipart_init(&M, "XyZ", &CB, r);
	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk;

		if (multipart_feed(&M, body + off, k, &E) < 0) {
			struct nb_err again;

			assert_int_equal(M.state, MP_ERROR);
			assert_int_equal(E.kind, NB_INVALID);
			assert_true(E.msg[0] != '\0');
			/* the refusal sticks, with the same reason */
			nb_err_clear(&again);
			assert_int_equal(multipart_finish(&M, &again), -1);
			assert_int_equal(again.kind, NB_INVALID);
			assert_string_equal(again.msg, E.msg);
			return -1;
		}
		off += k;
	}
	return multipart_finish(&M, &E);
}

static int parse(const char *body, struct rec *r)
{
	size_t n = strlen(body);

	return parse_chunked(body, n, n ? n : 1, r);
}

#define assert_parse_error(body, want) do {				\
	struct rec r_;							\
	rec_init(&r_);							\
	assert_int_equal(parse((body), &r_), -1);			\
	assert_mp_err(want);						\
	free(r_.log);							\
} while (0)

#define PART(name) "--XyZ\r\nContent-Disposition: form-data; name=\"" name "\"\r\n\r\n"
#define END "--XyZ--\r\n"

/* -- multipart_boundary ------------------------------------------------------------- */

static void assert_boundary(const char *ct, const char *want)
{
	char out[MP_BOUNDARY_MAX + 1];

	memset(out, 'x', sizeof(out));
	nb_err_clear(&E);
	if (!want) {
		assert_int_equal(multipart_boundary(ct, out, sizeof(out), &E), -1);
		assert_mp_err(NOT_MULTIPART);
		return;
	}
	assert_int_equal(multipart_boundary(ct, out, sizeof(out), &E), 0);
	assert_int_equal(E.kind, NB_OK);
	assert_string_equal(out, want);
}

static void test_boundary(void **state)
{
	char seventy[MP_BOUNDARY_MAX + 1], ct[256];

	(void)state;
	assert_boundary("multipart/form-data; boundary=XyZ", "XyZ");
	assert_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
			"----WebKitFormBoundary7MA4YWxkTrZu0gW");
	assert_boundary("multipart/form-data; boundary=------------------------d74496d66958873e",
			"------------------------d74496d66958873e");
	/* quoted: anything up to the closing quote */
	assert_boundary("multipart/form-data; boundary=\"a b;c=d\"", "a b;c=d");
	assert_boundary("multipart/form-data; boundary=\"XyZ\"; charset=utf-8", "XyZ");
	/* unquoted: up to ';' or a blank */
	assert_boundary("multipart/form-data; boundary=abc; charset=utf-8", "abc");
	assert_boundary("multipart/form-data;boundary=abc def", "abc");
	assert_boundary("multipart/form-data; charset=utf-8; boundary=abc", "abc");
	assert_boundary("Multipart/Form-Data; BOUNDARY=xYz", "xYz");
	/* missing or empty */
	assert_boundary("multipart/form-data", NULL);
	assert_boundary("multipart/form-data; charset=utf-8", NULL);
	assert_boundary("multipart/form-data; boundary=", NULL);
	assert_boundary("multipart/form-data; boundary=; x=y", NULL);
	assert_boundary("multipart/form-data; boundary=\"\"", NULL);
	assert_boundary("multipart/form-data; boundary=\"unterminated", NULL);
	/* wrong type */
	assert_boundary(NULL, NULL);
	assert_boundary("", NULL);
	assert_boundary("text/plain; boundary=XyZ", NULL);
	assert_boundary("application/x-www-form-urlencoded", NULL);
	assert_boundary("multipart/mixed; boundary=XyZ", NULL);
	/* RFC 2046: at most 70 characters */
	memset(seventy, 'b', MP_BOUNDARY_MAX);
	seventy[MP_BOUNDARY_MAX] = '\0';
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", seventy);
	assert_boundary(ct, seventy);
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"%s\"", seventy);
	assert_boundary(ct, seventy);
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%sb", seventy);
	assert_boundary(ct, NULL);
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"%sb\"", seventy);
	assert_boundary(ct, NULL);
}

static void test_boundary_out_size(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(multipart_boundary("multipart/form-data; boundary=abc", out, 3, &E), -1);
	assert_mp_err(NOT_MULTIPART);
	assert_int_equal(multipart_boundary("multipart/form-data; boundary=abc", out, 4, NULL), 0);
	assert_string_equal(out, "abc");
}

static void test_boundary_param_name(void **state)
{
	(void)state;
	/*
	 * BUG: src/lib/multipart.c:22 finds "boundary=" with strcasestr(), so
	 * it also matches the end of another parameter's name: the boundary
	 * taken here is "evil".  Suggested fix: only accept a match at the
	 * start of a parameter (after ';' and optional blanks).
	 */
	assert_boundary("multipart/form-data; xboundary=evil; boundary=good", "good");
}

/* -- whole bodies ------------------------------------------------------------ */

/* A browser form: a text field, a binary file and an empty field. */
static const char FORM[] =
	"--XyZ\r\n"
	"Content-Disposition: form-data; name=\"box\"\r\n"
	"\r\n"
	"box1\r\n"
	"--XyZ\r\n"
	"Content-Disposition: form-data; name=\"image\"; filename=\"fw.img\"\r\n"
	"Content-Type: application/octet-stream\r\n"
	"\r\n"
	"\x7f" "ELF\r\n--X\r\n--Xy\r\n-- XyZ\r\n\r\n-XyZ-\r--XyZ\n\r\x00\x01\xff\r\n\r\n"
	"\r\n"
	"--XyZ\r\n"
	"content-disposition: form-data; name=\"note\"\r\n"
	"\r\n"
	"\r\n"
	"--XyZ--\r\n";

static const char FORM_LOG[] =
	"[box||]box1"
	"[image|fw.img|application/octet-stream]"
	"\x7f" "ELF\r\n--X\r\n--Xy\r\n-- XyZ\r\n\r\n-XyZ-\r--XyZ\n\r\x00\x01\xff\r\n\r\n"
	"[note||]";

static void test_whole_and_bytewise(void **state)
{
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 8, 9, 13, 64, 100, 4096, sizeof(FORM) - 1 };
	struct rec whole, r;
	size_t i;

	(void)state;
	rec_init(&whole);
	assert_int_equal(parse_chunked(FORM, sizeof(FORM) - 1, sizeof(FORM) - 1, &whole), 0);
	assert_int_equal(whole.begins, 3);
	assert_int_equal(whole.ends, 3);
	assert_int_equal(whole.len, sizeof(FORM_LOG) - 1);
	assert_memory_equal(whole.log, FORM_LOG, sizeof(FORM_LOG) - 1);
	assert_int_equal(E.kind, NB_OK);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		rec_init(&r);
		assert_int_equal(parse_chunked(FORM, sizeof(FORM) - 1, chunks[i], &r), 0);
		assert_int_equal(r.begins, whole.begins);
		assert_int_equal(r.ends, whole.ends);
		assert_int_equal(r.bytes, whole.bytes);
		assert_int_equal(r.len, whole.len);
		assert_memory_equal(r.log, whole.log, whole.len);
		free(r.log);
	}
	free(whole.log);
}

static void test_preamble_epilogue_padding(void **state)
{
	struct rec r;

	(void)state;
	rec_init(&r);
	assert_int_equal(parse("This is a preamble.\r\nIt is ignored.\r\n"
			       "--XyZ \t \r\n"
			       "Content-Disposition: form-data; name=\"a\"\r\n\r\nA\r\n"
			       "--XyZ\t\r\n"
			       "Content-Disposition: form-data; name=\"b\"\r\n\r\nB\r\n"
			       "--XyZ--   \r\n"
			       "an epilogue\r\n--XyZ\r\ngarbage\r\n--XyZ--", &r), 0);
	assert_string_equal(r.log, "[a||]A[b||]B");
	/* no CRLF after the closing delimiter at all */
	free(r.log);
	rec_init(&r);
	assert_int_equal(parse(PART("a") "x\r\n--XyZ--", &r), 0);
	assert_string_equal(r.log, "[a||]x");
	free(r.log);
	/* a body without any part */
	rec_init(&r);
	assert_int_equal(parse("--XyZ--\r\n", &r), 0);
	assert_int_equal(r.begins, 0);
	free(r.log);
}

static void test_headers(void **state)
{
	struct rec r;

	(void)state;
	rec_init(&r);
	assert_int_equal(parse("--XyZ\r\n"
			       "CONTENT-DISPOSITION: form-data; filename=\"f.txt\"; name=\"n\"\r\n"
			       "X-Other: ignored\r\n"
			       "Content-Type:   text/plain; charset=utf-8\r\n\r\nd\r\n"
			       "--XyZ\r\n"
			       "Content-Disposition: form-data; name=a; filename=b.txt\r\n\r\nd\r\n"
			       "--XyZ\r\n"
			       "Content-Disposition: form-data; name=\"q\\\"uo\\\\te\"\r\n\r\nd\r\n"
			       "--XyZ\r\n"
			       "Content-Disposition: form-data; name=\"x;y z\"; filename=\"\"\r\n\r\nd\r\n"
			       END, &r), 0);
	assert_string_equal(r.log,
			    "[n|f.txt|text/plain; charset=utf-8]d"
			    "[a|b.txt|]d"
			    "[q\"uo\\te||]d"
			    "[x;y z||]d");
	free(r.log);
}

static void test_nul_in_header(void **state)
{
	static const char body[] = "--XyZ\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\nd\r\n" END;
	struct rec r;

	(void)state;
	rec_init(&r);
	assert_int_equal(parse_chunked(body, sizeof(body) - 1, 4096, &r), -1);
	assert_mp_err("NUL in a part header");
	assert_int_equal(r.begins, 0);
	free(r.log);
}

/* -- filenames --------------------------------------------------------------- */

static const char *filename_of(const char *disposition)
{
	static char fn[256];
	char body[1024];
	struct rec r;

	snprintf(body, sizeof(body), "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; %s\r\n\r\nd\r\n" END,
		 disposition);
	rec_init(&r);
	assert_int_equal(parse(body, &r), 0);
	assert_int_equal(r.begins, 1);
	/* the log is "[f|<filename>|]d" */
	assert_true(r.len >= 6);
	snprintf(fn, sizeof(fn), "%.*s", (int)(r.len - 6), r.log + 3);
	free(r.log);
	return fn;
}

static void test_filename_paths(void **state)
{
	(void)state;
	assert_string_equal(filename_of("filename=\"a.img\""), "a.img");
	assert_string_equal(filename_of("filename=\"/tmp/a.img\""), "a.img");
	assert_string_equal(filename_of("filename=\"../../etc/a.img\""), "a.img");
	assert_string_equal(filename_of("filename=/tmp/a.img"), "a.img");
	assert_string_equal(filename_of("filename=C:\\x\\a.img"), "a.img");
	assert_string_equal(filename_of("filename=\"C:\\\\x\\\\a.img\""), "a.img");
	assert_string_equal(filename_of("filename=\"dir/\""), "");
	assert_string_equal(filename_of("filename=\"\""), "");
}

/* 1 when the part's filename parameter held a directory (filename_path) */
static int path_flag;

static int flag_begin(void *ctx, const struct multipart_part *p)
{
	(void)ctx;
	path_flag = p->filename_path;
	return 0;
}

static int flag_data(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

static int flag_end(void *ctx)
{
	(void)ctx;
	return 0;
}

static int had_path(const char *disposition)
{
	static const struct multipart_callbacks cb = { flag_begin, flag_data, flag_end };
	char body[1024];
	int n;

	n = snprintf(body, sizeof(body), "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
		     "%s\r\n\r\nd\r\n--XyZ--\r\n", disposition);
	path_flag = -1;
	multipart_init(&M, "XyZ", &cb, NULL);
	assert_int_equal(multipart_feed(&M, body, (size_t)n, &E), 0);
	assert_int_equal(multipart_finish(&M, &E), 0);
	return path_flag;
}

static void test_filename_path_flag(void **state)
{
	(void)state;
	assert_int_equal(had_path("filename=\"a.whl\""), 0);
	assert_int_equal(had_path("filename=\"../../a.whl\""), 1);
	assert_int_equal(had_path("filename=\"/a.whl\""), 1);
	assert_int_equal(had_path("filename=C:\\a.whl"), 1);
	assert_int_equal(had_path("name2=\"x/y\""), 0);
}

/* A field's second coming is refused by its index; other indexes are free. */
static void test_twice(void **state)
{
	unsigned long long seen = 0;
	struct nb_err e;

	(void)state;
	assert_int_equal(multipart_once(&seen, 0, "name", &e), 0);
	assert_int_equal(multipart_once(&seen, 2, "content", &e), 0);
	assert_int_equal(multipart_once(&seen, 63, "last", &e), 0);
	assert_int_equal(multipart_once(&seen, 1, "version", &e), 0);
	assert_int_equal(multipart_once(&seen, 0, "name", &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_string_equal(e.msg, "name given twice");
	assert_int_equal(multipart_once(&seen, 63, "last", NULL), -1);
	assert_int_equal(multipart_once(&seen, 64, "past", &e), -1);
	assert_int_equal(multipart_once(&seen, -1, "neg", &e), -1);
}

static void test_filename_windows_quoted(void **state)
{
	(void)state;
	/*
	 * BUG: src/lib/multipart.c:75-76 treats '\' in a quoted value as an
	 * escape, so the client path IE and old Edge send,
	 *   filename="C:\x\a.img"
	 * becomes "C:xa.img" before the path is stripped (the '\'s are gone),
	 * and the file is stored as "C:xa.img" instead of "a.img".  Browsers
	 * never backslash-escape in filename= (HTML's form encoding uses %22
	 * for '"'); suggested fix: copy '\' literally in param(), or at least
	 * for filename, and strip the path afterwards.
	 */
	assert_string_equal(filename_of("filename=\"C:\\x\\a.img\""), "a.img");
}

static void test_filename_mixed_separators(void **state)
{
	(void)state;
	/*
	 * BUG: src/lib/multipart.c:101-103 looks for '\' only when there is no
	 * '/', so "a/b\c.img" keeps "b\c.img": a filename with a path
	 * separator reaches the callback.  Suggested fix: cut after the last of
	 * either, e.g. strrchr both and take the later one.
	 */
	assert_string_equal(filename_of("filename=a/b\\c.img"), "c.img");
	assert_string_equal(filename_of("filename=\"x/..\\\\..\\\\evil\""), "evil");
}

/* -- truncated bodies -------------------------------------------------------- */

static void test_truncated(void **state)
{
	static const char *const bodies[] = {
		"",
		"a preamble only",
		"--XyZ",
		"--XyZ\r",
		"--XyZ\r\n",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"",
		"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n",
		PART("a"),
		PART("a") "some data",
		PART("a") "some data\r\n",
		PART("a") "some data\r\n--Xy",
		PART("a") "some data\r\n--XyZ",
		PART("a") "some data\r\n--XyZ-",
		PART("a") "some data\r\n--XyZ\r\n",
	};
	size_t i, chunk;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		for (chunk = 1; chunk <= 4096; chunk *= 64) {
			struct rec r;

			rec_init(&r);
			assert_int_equal(parse_chunked(bodies[i], strlen(bodies[i]), chunk, &r), -1);
			assert_mp_err(TRUNCATED);
			/* end() only for a part whose delimiter came */
			assert_true(r.ends <= r.begins && r.begins <= r.ends + 1);
			assert_int_equal(r.ends, strstr(bodies[i], "data\r\n--XyZ") != NULL);
			assert_int_equal(M.state, MP_ERROR);
			free(r.log);
		}
}

/* The data of a truncated part is held back by at most a delimiter. */
static void test_truncated_data_held_back(void **state)
{
	struct rec r;

	(void)state;
	rec_init(&r);
	assert_int_equal(parse(PART("a") "0123456789abcdef", &r), -1);
	assert_mp_err(TRUNCATED);
	assert_true(r.bytes >= 16 - (M.dlen - 1));
	free(r.log);
}

/* -- limits ------------------------------------------------------------------ */

static char *header_body(size_t line_len)
{
	static const char head[] = "Content-Disposition: form-data; name=\"a\"; x=\"";
	char *b = malloc(line_len + 64);
	size_t n;

	assert_non_null(b);
	assert_true(line_len > sizeof(head));
	n = (size_t)sprintf(b, "--XyZ\r\n%s", head);
	memset(b + n, 'y', line_len - (sizeof(head) - 1) - 1);
	n += line_len - (sizeof(head) - 1) - 1;
	strcpy(b + n, "\"\r\n\r\nd\r\n" END);
	return b;
}

static void test_header_too_long(void **state)
{
	char *b;
	struct rec r;

	(void)state;
	/* MP_LINE_MAX bytes is still fine, one more is not */
	b = header_body(MP_LINE_MAX);
	rec_init(&r);
	assert_int_equal(parse(b, &r), 0);
	assert_int_equal(r.begins, 1);
	free(r.log);
	free(b);
	b = header_body(MP_LINE_MAX + 1);
	assert_parse_error(b, "part header too long");
	free(b);
	/* refused before its end arrives */
	b = malloc(4096);
	assert_non_null(b);
	strcpy(b, "--XyZ\r\nX-Long: ");
	memset(b + strlen(b), 'z', 3000);
	b[15 + 3000] = '\0';
	rec_init(&r);
	multipart_init(&M, "XyZ", &CB, &r);
	nb_err_clear(&E);
	assert_int_equal(multipart_feed(&M, b, strlen(b), &E), -1);
	assert_mp_err("part header too long");
	free(r.log);
	free(b);
}

static void test_header_max_bytewise(void **state)
{
	char *b = header_body(MP_LINE_MAX);
	struct rec r;
	int rc;

	(void)state;
	/*
	 * BUG: src/lib/multipart.c:173 refuses a line when more than
	 * MP_LINE_MAX bytes are buffered without a CRLF; a line of exactly
	 * MP_LINE_MAX bytes passes when its CRLF arrives in the same feed, but
	 * fails with "part header too long" when the feed ends between '\r'
	 * and '\n' (MP_LINE_MAX + 1 bytes buffered).  The result depends on how
	 * the body was split.  Suggested fix: allow MP_LINE_MAX + 1 there
	 * (the '\r' of the CRLF), e.g. "m->len > MP_LINE_MAX + 1".
	 */
	rec_init(&r);
	rc = parse_chunked(b, strlen(b), 1, &r);
	free(r.log);
	free(b);
	assert_int_equal(rc, 0);
}

static void test_too_many_headers(void **state)
{
	char body[4096];
	size_t n;
	int i;
	struct rec r;

	(void)state;
	/* 16 header lines are fine */
	n = (size_t)sprintf(body, "--XyZ\r\n");
	for (i = 0; i < 15; i++)
		n += (size_t)sprintf(body + n, "X-H%d: v\r\n", i);
	n += (size_t)sprintf(body + n, "Content-Disposition: form-data; name=\"a\"\r\n\r\nd\r\n" END);
	rec_init(&r);
	assert_int_equal(parse(body, &r), 0);
	assert_string_equal(r.log, "[a||]d");
	free(r.log);
	/* 17 are not */
	n = (size_t)sprintf(body, "--XyZ\r\n");
	for (i = 0; i < 16; i++)
		n += (size_t)sprintf(body + n, "X-H%d: v\r\n", i);
	n += (size_t)sprintf(body + n, "Content-Disposition: form-data; name=\"a\"\r\n\r\nd\r\n" END);
	assert_parse_error(body, "too many part headers");
	/* the count starts again with each part */
	n = 0;
	for (i = 0; i < 3; i++) {
		int k;
		n += (size_t)sprintf(body + n, "--XyZ\r\n");
		for (k = 0; k < 15; k++)
			n += (size_t)sprintf(body + n, "X-H%d: v\r\n", k);
		n += (size_t)sprintf(body + n, "Content-Disposition: form-data; name=\"a\"\r\n\r\nd\r\n");
	}
	strcpy(body + n, END);
	rec_init(&r);
	assert_int_equal(parse(body, &r), 0);
	assert_int_equal(r.begins, 3);
	free(r.log);
}

static void test_too_many_parts(void **state)
{
	char *body = malloc(128 * (MP_MAX_PARTS + 2));
	size_t n = 0;
	int i;
	struct rec r;

	(void)state;
	assert_non_null(body);
	for (i = 0; i < MP_MAX_PARTS; i++)
		n += (size_t)sprintf(body + n, PART("p%d") "v\r\n", i);
	strcpy(body + n, END);
	rec_init(&r);
	assert_int_equal(parse(body, &r), 0);
	assert_int_equal(r.begins, MP_MAX_PARTS);
	assert_int_equal(r.ends, MP_MAX_PARTS);
	free(r.log);
	n += (size_t)sprintf(body + n, PART("one-more") "v\r\n");
	strcpy(body + n, END);
	rec_init(&r);
	assert_int_equal(parse(body, &r), -1);
	assert_mp_err("too many parts");
	assert_int_equal(r.begins, MP_MAX_PARTS);
	free(r.log);
	free(body);
}

static void test_part_without_name(void **state)
{
	(void)state;
	assert_parse_error("--XyZ\r\n\r\nd\r\n" END, "part without a name");
	assert_parse_error("--XyZ\r\nContent-Type: text/plain\r\n\r\nd\r\n" END, "part without a name");
	assert_parse_error("--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nd\r\n" END,
			   "part without a name");
	assert_parse_error("--XyZ\r\nContent-Disposition: form-data; filename=\"f\"\r\n\r\nd\r\n" END,
			   "part without a name");
	/* "name" inside "filename" or "xname" is not the name parameter */
	assert_parse_error("--XyZ\r\nContent-Disposition: form-data; xname=\"a\"\r\n\r\nd\r\n" END,
			   "part without a name");
	assert_parse_error(PART("a") "d\r\n--XyZ\r\n\r\nd\r\n" END, "part without a name");
}

static void test_garbage_after_boundary(void **state)
{
	(void)state;
	assert_parse_error("--XyZx\r\n", "garbage after a boundary");
	assert_parse_error("--XyZ x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nd\r\n" END,
			   "garbage after a boundary");
	assert_parse_error(PART("a") "d\r\n--XyZ-x\r\n", "garbage after a boundary");
	/* a whole line of it is refused before its end */
	{
		char b[600] = "--XyZ";
		memset(b + 5, ' ', 300);
		b[305] = 'x';
		b[306] = '\0';
		assert_parse_error(b, "garbage after a boundary");
	}
}

static void test_padding_bytewise(void **state)
{
	char b[1024];
	struct rec r;
	int rc;

	(void)state;
	snprintf(b, sizeof(b), "--XyZ%*s\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nd\r\n" END,
		 256, "");
	rec_init(&r);
	assert_int_equal(parse(b, &r), 0);	/* in one piece: fine */
	free(r.log);
	/*
	 * BUG: src/lib/multipart.c:157 gives up on a line after a boundary once
	 * more than 256 bytes are buffered without a CRLF, so 256 blanks of
	 * transport padding pass in one piece but fail with "garbage after a
	 * boundary" when the '\r' arrives before the '\n' (257 bytes buffered).  Suggested
	 * fix: fail as soon as a byte that is not a blank (or a final '\r') is
	 * buffered, and apply the length limit to the blanks themselves
	 * (not counting the '\r'), the same whatever the split.
	 */
	rec_init(&r);
	rc = parse_chunked(b, strlen(b), 1, &r);
	free(r.log);
	assert_int_equal(rc, 0);
}

/* -- callbacks ---------------------------------------------------------------- */

static void test_callback_refuses(void **state)
{
	struct rec r;

	(void)state;
	rec_init(&r);
	r.refuse_begin = 1;
	assert_int_equal(parse(PART("a") "data\r\n" END, &r), -1);
	assert_mp_err("upload refused");
	assert_int_equal(r.bytes, 0);
	free(r.log);

	rec_init(&r);
	r.refuse_after = 3;
	assert_int_equal(parse(PART("a") "data\r\n" END, &r), -1);
	assert_mp_err("upload refused");
	/* and the error sticks */
	nb_err_clear(&E);
	assert_int_equal(multipart_feed(&M, "more", 4, &E), -1);
	assert_mp_err("upload refused");
	nb_err_clear(&E);
	assert_int_equal(multipart_finish(&M, &E), -1);
	assert_mp_err("upload refused");
	assert_int_equal(multipart_feed(&M, "x", 1, NULL), -1);	/* e may be NULL */
	free(r.log);

	/* refused while streaming, before any delimiter is seen */
	rec_init(&r);
	r.refuse_after = 10;
	multipart_init(&M, "XyZ", &CB, &r);
	nb_err_clear(&E);
	assert_int_equal(multipart_feed(&M, PART("a"), strlen(PART("a")), &E), 0);
	assert_int_equal(multipart_feed(&M, "0123456789abcdefghijklmnopqrstuvwxyz", 36, &E), -1);
	assert_mp_err("upload refused");
	free(r.log);

	rec_init(&r);
	r.refuse_end = 1;
	assert_int_equal(parse(PART("a") "data\r\n" PART("b") "x\r\n" END, &r), -1);
	assert_mp_err("upload refused");
	assert_int_equal(r.begins, 1);
	free(r.log);
}

/* -- delimiter-like data ------------------------------------------------------ */

static void test_boundary_like_data(void **state)
{
	static const char body[] =
		PART("a") "x\r\n--not\r\n--XyY\r\n--Xy\r\n-XyZ\r\n--xyz\n--XyZ\r--XyZ\r\r\n--\r\n" "\r\n" END;
	static const char want[] =
		"[a||]x\r\n--not\r\n--XyY\r\n--Xy\r\n-XyZ\r\n--xyz\n--XyZ\r--XyZ\r\r\n--\r\n";
	size_t chunk;

	(void)state;
	for (chunk = 1; chunk <= sizeof(body); chunk++) {
		struct rec r;

		rec_init(&r);
		assert_int_equal(parse_chunked(body, sizeof(body) - 1, chunk, &r), 0);
		assert_string_equal(r.log, want);
		free(r.log);
	}
	/*
	 * The delimiter is "\r\n--XyZ" wherever it appears: RFC 2046 forbids it
	 * inside a part, so "--XyZnot" at the start of a line ends the part
	 * and what follows is garbage, not data.
	 */
	assert_parse_error(PART("a") "x\r\n--XyZnot\r\n" END, "garbage after a boundary");
}

/* -- streaming ------------------------------------------------------------------ */

static void test_stream_10mib(void **state)
{
	static const char head[] = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
		"filename=\"big.img\"\r\nContent-Type: application/octet-stream\r\n\r\n";
	const size_t total = 10u << 20, piece = 4096;
	char chunk[4096];
	struct rec r;
	size_t sent = 0, i;
	uint32_t x = 1;

	(void)state;
	memset(&r, 0, sizeof(r));	/* count only */
	multipart_init(&M, "XyZ", &CB, &r);
	nb_err_clear(&E);
	assert_int_equal(multipart_feed(&M, head, strlen(head), &E), 0);
	assert_int_equal(r.begins, 1);
	while (sent < total) {
		/* plenty of CR, LF, '-' and delimiter prefixes, never a whole one */
		for (i = 0; i < piece; i++) {
			x = x * 1103515245u + 12345u;
			chunk[i] = "\r\n-XyY\r\n--Xy-ab"[(x >> 16) % 15];
		}
		assert_int_equal(multipart_feed(&M, chunk, piece, &E), 0);
		sent += piece;
		/* only a possible delimiter prefix is held back */
		assert_int_equal(M.state, MP_BODY);
		assert_true(M.len < M.dlen);
		assert_true(M.len <= sizeof(M.buf));
	}
	assert_int_equal(multipart_feed(&M, "\r\n--XyZ--\r\n", 11, &E), 0);
	assert_int_equal(multipart_finish(&M, &E), 0);
	assert_int_equal(r.begins, 1);
	assert_int_equal(r.ends, 1);
	assert_int_equal(r.bytes, total);
	assert_true(r.biggest <= piece + M.dlen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_boundary_out_size),
		cmocka_unit_test(test_boundary_param_name),
		cmocka_unit_test(test_whole_and_bytewise),
		cmocka_unit_test(test_preamble_epilogue_padding),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_nul_in_header),
		cmocka_unit_test(test_filename_paths),
		cmocka_unit_test(test_filename_windows_quoted),
		cmocka_unit_test(test_filename_mixed_separators),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_truncated_data_held_back),
		cmocka_unit_test(test_header_too_long),
		cmocka_unit_test(test_header_max_bytewise),
		cmocka_unit_test(test_too_many_headers),
		cmocka_unit_test(test_too_many_parts),
		cmocka_unit_test(test_part_without_name),
		cmocka_unit_test(test_garbage_after_boundary),
		cmocka_unit_test(test_padding_bytewise),
		cmocka_unit_test(test_callback_refuses),
		cmocka_unit_test(test_boundary_like_data),
		cmocka_unit_test(test_stream_10mib),
		cmocka_unit_test(test_filename_path_flag),
		cmocka_unit_test(test_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
