/*
 * path.h - URL path splitting, percent-decoding and central validation.
 *
 * Every request path is split here before any handler sees it.  A segment
 * that decodes to "", ".", "..", or contains '/', '\\', NUL or a control
 * byte, or is longer than PATH_SEG_MAX, rejects the whole request, so no
 * handler can be tricked into leaving its directory.  A trailing slash is
 * kept as a final empty segment: routes decide whether they accept it.
 */
#ifndef NB_PATH_H
#define NB_PATH_H

#include <stddef.h>
#include "arena.h"

struct nb_err;

#define PATH_SEG_MAX 256
#define PATH_MAX_SEGS 32
#define PATH_RAW_MAX 4096

struct path {
	char **seg;		/* decoded segments */
	int n;
};

/*
 * Splits the path part of a request URI (everything before '?').
 * Returns 0, or -1 with e (may be NULL) set to NB_INVALID and a short
 * reason for the client ("bad path segment").
 */
int path_split(struct arena *a, const char *raw, size_t len,
	       struct path *out, struct nb_err *e);

/* Decodes %XX escapes (not '+') into dst, which must hold n+1 bytes.
 * Returns the decoded length or -1 on a malformed escape. */
long path_url_decode(char *dst, const char *src, size_t n, int plus_is_space);

/* 1 if a decoded segment is acceptable (see above), else 0. */
int path_segment_ok(const char *s, size_t n);

#endif
