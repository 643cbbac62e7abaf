/*
 * multipart.h - a streaming multipart/form-data parser.
 *
 * Bytes are fed in whatever pieces they arrive; part data is handed to a
 * callback as it goes, so a file part of gigabytes never sits in memory:
 * the parser holds one fixed buffer.  Limits (header line length, headers
 * per part, number of parts) reject hostile bodies early.  A body that
 * ends before its closing delimiter is an error: truncated uploads are
 * never taken for complete ones.
 */
#ifndef NB_MULTIPART_H
#define NB_MULTIPART_H

#include <stddef.h>

#include "err.h"

#define MP_BOUNDARY_MAX 70		/* RFC 2046 */
#define MP_LINE_MAX 1024
#define MP_MAX_PARTS 64
#define MP_BUF 65536

struct multipart_part {
	char name[128];
	char filename[256];		/* basename only; "" when not a file */
	int filename_path;		/* 1: the filename parameter held a directory
					 * ('/' or '\\'), cut off above */
	char ctype[128];
};

struct multipart_callbacks {
	/* each returns 0 to go on, non-zero to stop with an error */
	int (*begin)(void *ctx, const struct multipart_part *p);
	int (*data)(void *ctx, const char *p, size_t n);
	int (*end)(void *ctx);
};

enum mp_state { MP_PREAMBLE, MP_AFTER_DELIM, MP_HEADERS, MP_BODY, MP_DONE, MP_ERROR };

struct multipart {
	const struct multipart_callbacks *cb;
	void *ctx;
	char delim[MP_BOUNDARY_MAX + 5];	/* "\r\n--" boundary */
	size_t dlen;
	enum mp_state state;
	struct multipart_part part;
	int parts, headers;
	char buf[MP_BUF];
	size_t len;
	const char *why;	/* the refusal once state is MP_ERROR, for every later call */
};

/*
 * Copies the boundary parameter of a Content-Type (RFC 7578 4.1, at most
 * 70 characters by RFC 2046 5.1.1) into out (n bytes, NUL-terminated):
 * 0, or -1 with e NB_INVALID "expected a multipart/form-data upload" when
 * the type is another, the parameter is missing, empty or too long.
 */
int multipart_boundary(const char *content_type, char *out, size_t n, struct nb_err *e);
void multipart_init(struct multipart *m, const char *boundary,
	     const struct multipart_callbacks *cb, void *ctx);
/*
 * Feeds the next n bytes of the body: 0, or -1 with e NB_INVALID and the
 * reason (a limit, a malformed part, or "upload refused" when a callback
 * returned non-zero: the callback keeps its own reason for its caller).
 * Once refused, every later call fails again with the same reason.
 */
int multipart_feed(struct multipart *m, const char *p, size_t n, struct nb_err *e);
/*
 * For forms whose fields each come once (a field given twice is
 * ambiguous: which value counts would be the parser's accident): marks
 * field i (the caller's index of the part's name, 0..MP_ONCE_MAX - 1) in
 * *seen, a set the caller zeroes before the first part.  0 the first
 * time, else -1 with e NB_INVALID "<name> given twice" (name: the field's
 * name as the caller knows it, never raw bytes of the body).
 */
#define MP_ONCE_MAX 64
int multipart_once(unsigned long long *seen, int i, const char *name, struct nb_err *e);
/* After the last byte: 0 only if the closing delimiter was seen; else -1
 * with e NB_INVALID (a truncated body, or the earlier refusal). */
int multipart_finish(struct multipart *m, struct nb_err *e);

#endif
