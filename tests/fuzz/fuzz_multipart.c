/*
 * fuzz_multipart - the streaming multipart/form-data parser on a fuzzed
 * body with the boundary "XyZ".  The first two bytes choose a chunk size
 * (1..4096), the rest is the body: it is fed once in chunks of that size
 * and once in one piece, each followed by multipart_finish().
 *
 * Invariants (abort() when broken):
 *  - begin() and end() alternate, starting with begin(); data() comes only
 *    between them; on success every begin() has its end();
 *  - a part's name is non-empty and NUL-terminated, its filename
 *    NUL-terminated and without '/' or '\\';
 *  - the parser never holds more than its buffer, and while a part's data
 *    streams it keeps at most a delimiter's length back;
 *  - a refusal is NB_INVALID with a message, the same one from every
 *    later call; success leaves the error untouched;
 *  - chunked and in one piece: the same success or failure (and error), the
 *    same parts and the same data bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/err.h"
#include "../../src/lib/multipart.h"

struct seen {
	int in_part, begins, ends;
	size_t bytes;
	uint64_t hash;	/* FNV-1a of names, filenames and data, in order */
};

static void mix(struct seen *s, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		s->hash = (s->hash ^ c[i]) * 0x100000001b3ULL;
}

static int on_begin(void *ctx, const struct multipart_part *p)
{
	struct seen *s = ctx;

	if (s->in_part)
		abort();
	if (!memchr(p->name, '\0', sizeof(p->name)) || !p->name[0])
		abort();
	if (!memchr(p->filename, '\0', sizeof(p->filename)) ||
	    strchr(p->filename, '/') || strchr(p->filename, '\\'))
		abort();
	if (!memchr(p->ctype, '\0', sizeof(p->ctype)))
		abort();
	s->in_part = 1;
	s->begins++;
	mix(s, "B", 1);
	mix(s, p->name, strlen(p->name) + 1);
	mix(s, p->filename, strlen(p->filename) + 1);
	mix(s, p->ctype, strlen(p->ctype) + 1);
	return 0;
}

static int on_data(void *ctx, const char *p, size_t n)
{
	struct seen *s = ctx;

	if (!s->in_part || n == 0)
		abort();
	s->bytes += n;
	mix(s, p, n);
	return 0;
}

static int on_end(void *ctx)
{
	struct seen *s = ctx;

	if (!s->in_part)
		abort();
	s->in_part = 0;
	s->ends++;
	mix(s, "E", 1);
	return 0;
}

static const struct multipart_callbacks cbs = { on_begin, on_data, on_end };
static struct multipart m;	/* 64 KiB: not on the stack */

static void check_state(void)
{
	if (m.len > sizeof(m.buf))
		abort();
	if (m.state == MP_BODY && m.len >= m.dlen)
		abort();
}

/* A refusal: NB_INVALID with a non-empty message. */
static void check_refusal(const struct nb_err *e)
{
	if (e->kind != NB_INVALID || !e->msg[0] || !memchr(e->msg, '\0', sizeof(e->msg)))
		abort();
}

/* Feeds body in pieces of chunk bytes; returns what multipart_finish() says,
 * with its refusal in err. */
static int run(const char *body, size_t n, size_t chunk, struct seen *s,
	       struct nb_err *err)
{
	struct nb_err again;
	size_t off = 0;
	int rc = 0;

	nb_err_clear(err);
	memset(s, 0, sizeof(*s));
	s->hash = 0xcbf29ce484222325ULL;
	multipart_init(&m, "XyZ", &cbs, s);
	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk;

		rc = multipart_feed(&m, body + off, k, err);
		if (rc != 0 && rc != -1)
			abort();
		check_state();
		if (rc < 0) {
			/* an error sticks, with its reason */
			check_refusal(err);
			nb_err_clear(&again);
			if (multipart_feed(&m, "x", 1, &again) != -1 || strcmp(again.msg, err->msg))
				abort();
			break;
		}
		if (err->kind != NB_OK)
			abort();
		off += k;
	}
	nb_err_clear(&again);
	if (multipart_finish(&m, &again) < 0) {
		check_refusal(&again);
		if (m.state != MP_ERROR || s->ends > s->begins || s->begins > s->ends + 1 ||
		    (rc < 0 && strcmp(again.msg, err->msg)))
			abort();
		*err = again;
		return -1;
	}
	if (rc < 0 || again.kind != NB_OK || m.state != MP_DONE || s->in_part ||
	    s->begins != s->ends || s->begins > MP_MAX_PARTS)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data + 2;
	struct seen chunked, whole;
	static struct nb_err e1, e2;
	size_t chunk;
	int r1, r2;

	if (size < 2)
		return 0;
	chunk = (((size_t)data[0] << 8 | data[1]) % 4096) + 1;
	size -= 2;
	r1 = run(body, size, chunk, &chunked, &e1);
	r2 = run(body, size, size ? size : 1, &whole, &e2);
	if (r1 != r2 || chunked.bytes != whole.bytes || chunked.begins != whole.begins ||
	    chunked.ends != whole.ends)
		abort();
	if (chunked.hash != whole.hash || (r1 < 0 && strcmp(e1.msg, e2.msg)))
		abort();
	return 0;
}
