/*
 * arena.h - per-request bump allocator.
 *
 * Everything a request allocates comes from one arena and is released at
 * once when the request ends, so a long-lived FastCGI process cannot leak
 * across requests.  Big blocks (> half a chunk) get their own chunk.
 * Not thread-safe; one arena per request loop.
 */
#ifndef NB_ARENA_H
#define NB_ARENA_H

#include <stddef.h>
#include <stdarg.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;	/* newest chunk first */
	size_t used;			/* bytes handed out, for stats */
};

void arena_init(struct arena *a);
/* Frees every chunk but the first, which is kept for the next request. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

/* Aborts the process only on malloc failure (nothing sane to do then). */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);
/*
 * The strings up to a NULL, joined: what a hot path uses instead of
 * arena_printf, which formats every string twice (measure, then write).
 */
char *arena_cat(struct arena *a, ...) __attribute__((sentinel));
/* A number as decimal text, in the arena. */
char *arena_lld(struct arena *a, long long v);

/*
 * Room for element n of an array of size-byte elements kept in a: v
 * itself while n < *cap, else a new array holding v's n elements with
 * *cap doubled (16 the first time); the old copy stays in a until it is
 * reset.  v NULL with n and *cap 0 starts an array.  Aborts only on
 * malloc failure, as arena_alloc.
 */
void *arena_grow(struct arena *a, void *v, int n, int *cap, size_t size);

/* A growable byte string in an arena: buf.h (kept with the arena, its
 * only allocator, so every user of one has the other). */
#include "buf.h"

#endif
