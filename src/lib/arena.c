#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define ARENA_CHUNK 16384

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, off;
	max_align_t data[];
};

static struct arena_chunk *chunk_new(size_t size)
{
	struct arena_chunk *c = size > SIZE_MAX - sizeof(*c) ? NULL : malloc(sizeof(*c) + size);

	if (!c) {
		fputs("nestbox: out of memory\n", stderr);
		abort();
	}
	c->next = NULL;
	c->size = size;
	c->off = 0;
	return c;
}

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->used = 0;
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *c, *keep = NULL;

	/* keep the oldest standard-size chunk: the common request fits it */
	for (c = a->head; c; c = c->next)
		if (c->size == ARENA_CHUNK)
			keep = c;
	c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		if (c != keep)
			free(c);
		c = next;
	}
	if (keep) {
		keep->off = 0;
		keep->next = NULL;
	}
	a->head = keep;
	a->used = 0;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	struct arena_chunk *c = a->head;
	void *p;

	if (n > SIZE_MAX / 2) {
		fputs("nestbox: allocation too large\n", stderr);
		abort();
	}
	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	if (n > ARENA_CHUNK / 2) {
		/* a big block gets its own chunk, linked behind the current one */
		struct arena_chunk *big = chunk_new(n);
		big->off = n;
		if (c) {
			big->next = c->next;
			c->next = big;
		} else {
			a->head = big;
		}
		a->used += n;
		return big->data;
	}
	if (!c || c->size - c->off < n) {
		c = chunk_new(ARENA_CHUNK);
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->off;
	c->off += n;
	a->used += n;
	return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *arena_grow(struct arena *a, void *v, int n, int *cap, size_t size)
{
	void *nv;

	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 16;
	nv = arena_alloc(a, size * (size_t)*cap);
	if (n)
		memcpy(nv, v, size * (size_t)n);
	return nv;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

char *arena_cat(struct arena *a, ...)
{
	va_list ap;
	const char *s;
	size_t n = 0;
	char *p, *o;

	va_start(ap, a);
	while ((s = va_arg(ap, const char *)) != NULL)
		n += strlen(s);
	va_end(ap);
	o = p = arena_alloc(a, n + 1);
	va_start(ap, a);
	while ((s = va_arg(ap, const char *)) != NULL) {
		size_t l = strlen(s);
		memcpy(o, s, l);
		o += l;
	}
	va_end(ap);
	*o = '\0';
	return p;
}

char *arena_lld(struct arena *a, long long v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *p = e;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return arena_strndup(a, p, (size_t)(e - p));
}

