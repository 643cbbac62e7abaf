/*
 * buf.c - a growable byte string in an arena (buf.h): answers built
 * piece by piece, JSON strings and query encoding for hot paths.
 */
#include "buf.h"
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

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
