/*
 * buf.h - a growable byte string living in an arena (buf.c).  Never
 * fails: it grows through arena_alloc, which aborts only on malloc
 * failure.
 */
#ifndef NB_BUF_H
#define NB_BUF_H

#include <stddef.h>

struct arena;

/* A growable byte string living in an arena. */
struct buf {
	struct arena *a;
	char *p;
	size_t len, cap;
};

void buf_init(struct buf *b, struct arena *a);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NUL-terminates without counting the NUL in len. */
const char *buf_cstr(struct buf *b);
/*
 * s as a JSON string, quoted and escaped: for answers of a fixed shape on
 * hot paths, where building a cJSON tree costs more than the request.
 */
void buf_add_jstr(struct buf *b, const char *s);
/* s percent-encoded for a query string (unreserved characters kept). */
void buf_add_qenc(struct buf *b, const char *s);

#endif
