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

void buf_init(struct buf *b, struct arena *a)
{
	b->a = a;
	b->p = NULL;
	b->len = b->cap = 0;
}

static void buf_grow(struct buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	while (cap < b->len + need + 1)
		cap *= 2;
	if (cap == b->cap)
		return;
	p = arena_alloc(b->a, cap);
	if (b->len)
		memcpy(p, b->p, b->len);
	b->p = p;
	b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap)
		buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *buf_cstr(struct buf *b)
{
	if (b->len + 1 > b->cap)
		buf_grow(b, 1);
	b->p[b->len] = '\0';
	return b->p;
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

void buf_add_jstr(struct buf *b, const char *s)
{
	static const char hx[] = "0123456789abcdef";
	const char *run = s;

	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else {
			char u[6] = { '\\', 'u', '0', '0', hx[c >> 4], hx[c & 15] };
			buf_add(b, u, sizeof(u));
		}
	}
	buf_add(b, run, (size_t)(s - run));
	buf_addc(b, '"');
}

void buf_add_qenc(struct buf *b, const char *s)
{
	static const char hx[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			buf_addc(b, (char)c);
		} else {
			char e[3] = { '%', hx[c >> 4], hx[c & 15] };
			buf_add(b, e, sizeof(e));
		}
	}
}
