/* The front end's access-log line parser: see accesslog.h for the shape. */
#include "accesslog.h"

#include <string.h>

struct cur {
	const char *p, *end;
};

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One escape after a backslash: the byte it stands for, or -1. */
static int unescape(struct cur *c)
{
	static const char from[] = "\"\\nrtbv", to[] = "\"\\\n\r\t\b\v";
	const char *k;
	int hi, lo;

	if (c->p >= c->end)
		return -1;
	if (*c->p == 'x') {
		if (c->end - c->p < 3 || (hi = hexv((unsigned char)c->p[1])) < 0 ||
		    (lo = hexv((unsigned char)c->p[2])) < 0)
			return -1;
		c->p += 3;
		return hi * 16 + lo;
	}
	k = memchr(from, *c->p, sizeof(from) - 1);
	if (!k)
		return -1;
	c->p++;
	return (unsigned char)to[k - from];
}

/*
 * A quoted field and the separator after it (a space, or the end for the
 * last field; either for a field that may be the last, FIELD_MAYBE_LAST),
 * decoded into out[n] and cut to fit.  A decoded NUL would hide the rest
 * of the value from every reader: it becomes '?'.
 */
#define FIELD_MAYBE_LAST 2
static int quoted(struct cur *c, char *out, size_t n, int last)
{
	size_t o = 0;

	if (c->p >= c->end || *c->p++ != '"')
		return -1;
	for (;;) {
		int ch;
		if (c->p >= c->end)
			return -1;	/* unterminated */
		ch = (unsigned char)*c->p++;
		if (ch == '"')
			break;
		if (ch == '\\' && (ch = unescape(c)) < 0)
			return -1;
		if (o + 1 < n)
			out[o++] = ch ? (char)ch : '?';
	}
	out[o] = '\0';
	if (last == FIELD_MAYBE_LAST && c->p == c->end)
		return 0;
	if (last == 1)
		return c->p == c->end ? 0 : -1;
	return c->p < c->end && *c->p++ == ' ' ? 0 : -1;
}

/* A bare decimal field ("-" is 0) and the space after it. */
static int number(struct cur *c, long long max, long long *v)
{
	int digits = 0;

	*v = 0;
	if (c->p < c->end && *c->p == '-') {
		c->p++;
	} else {
		for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++, digits++) {
			if (*v > (max - (*c->p - '0')) / 10)
				return -1;
			*v = *v * 10 + (*c->p - '0');
		}
		if (!digits)
			return -1;
	}
	return c->p < c->end && *c->p++ == ' ' ? 0 : -1;
}

static void cut(char *out, size_t n, const char *s, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

/*
 * The method as the client sent it, any token at all (an unknown method
 * is a request like another: the front end answers it 501 or 405), cut to
 * the entry's size and made printable ASCII: a byte outside '!'..'~'
 * becomes '?', so that no reader of the row (the admin pages, JSON, a
 * terminal) meets a control byte or a byte that is no UTF-8.  An empty
 * method is "-": lighttpd does not keep a method it does not know and
 * logs its 501 answer's request line as "  HTTP/1.1".
 */
static void method_field(char *out, size_t n, const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		s = "-", len = 1;
	cut(out, n, s, len);
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < '!' || (unsigned char)out[i] > '~')
			out[i] = '?';
}

/* "<method> <uri> <protocol>": method and uri ("-" for a line the front
 * end could not read, which it logs as it came; "-" too for lighttpd's
 * empty target of a request it refused). */
static void request_line(const char *rl, struct reqlog_entry *e)
{
	const char *sp = strchr(rl, ' '), *uri, *sp2;
	size_t n;

	if (!sp) {
		method_field(e->method, sizeof(e->method), "", 0);
		uri = rl;
		n = strlen(rl);
	} else {
		method_field(e->method, sizeof(e->method), rl, (size_t)(sp - rl));
		uri = sp + 1;
		sp2 = strrchr(uri, ' ');
		n = sp2 ? (size_t)(sp2 - uri) : strlen(uri);
	}
	cut(e->path, sizeof(e->path), n ? uri : "-", n ? n : 1);
}

/* "<program> <label>" or "<program> <label> hot" from the program's
 * answer: its program replaces the URL space's (a miss the front end
 * rewrote to a program is that program's); "-" keeps it. */
static void route_field(const char *v, struct reqlog_entry *e, int *hot)
{
	const char *sp = strchr(v, ' ');
	size_t n;

	*hot = 0;
	if (!sp) {
		cut(e->route, sizeof(e->route), v, strlen(v));
		return;
	}
	if (sp > v)
		cut(e->program, sizeof(e->program), v, (size_t)(sp - v));
	v = sp + 1;
	n = strlen(v);
	*hot = n > 4 && !strcmp(v + n - 4, " hot");
	cut(e->route, sizeof(e->route), v, *hot ? n - 4 : n);
}

int accesslog_parse(const char *line, size_t len, struct reqlog_entry *e, int *hot,
		    struct nb_err *err)
{
	struct cur c = { line, line + len };
	char ms[24], route[96], rl[400];
	long long v;

	memset(e, 0, sizeof(*e));
	*hot = 0;
	if (len > ACCESSLOG_LINE_MAX)
		return nb_fail(err, NB_INVALID, "line too long");
	if (memchr(line, '\0', len))
		return nb_fail(err, NB_INVALID, "NUL byte in line");
	if (quoted(&c, ms, sizeof(ms), 0) < 0 || !ms[0] || strspn(ms, "0123456789") != strlen(ms) ||
	    strlen(ms) > 15)
		return nb_fail(err, NB_INVALID, "bad time field");
	for (const char *d = ms; *d; d++)
		e->ts_ms = e->ts_ms * 10 + (*d - '0');
	if (quoted(&c, e->program, sizeof(e->program), 0) < 0)
		return nb_fail(err, NB_INVALID, "bad program field");
	if (!strcmp(e->program, "-") || !e->program[0])
		cut(e->program, sizeof(e->program), ACCESSLOG_NO_PROGRAM,
		    strlen(ACCESSLOG_NO_PROGRAM));
	if (quoted(&c, route, sizeof(route), 0) < 0)
		return nb_fail(err, NB_INVALID, "bad route field");
	route_field(route, e, hot);
	if (quoted(&c, rl, sizeof(rl), 0) < 0)
		return nb_fail(err, NB_INVALID, "bad request field");
	request_line(rl, e);
	if (number(&c, 999, &v) < 0 || v < 100)
		return nb_fail(err, NB_INVALID, "bad status field");
	e->status = (int)v;
	if (number(&c, (long long)1 << 62, &e->bytes) < 0)
		return nb_fail(err, NB_INVALID, "bad bytes field");
	if (number(&c, 1000000000000LL, &v) < 0)
		return nb_fail(err, NB_INVALID, "bad duration field");
	e->dur_us = (long)v;
	if (quoted(&c, e->remote, sizeof(e->remote), 0) < 0)
		return nb_fail(err, NB_INVALID, "bad remote field");
	if (quoted(&c, e->ua, sizeof(e->ua), FIELD_MAYBE_LAST) < 0)
		return nb_fail(err, NB_INVALID, "bad user-agent field");
	if (!strcmp(e->ua, "-"))
		e->ua[0] = '\0';
	/* the user field came later: a front end configured before it ends here */
	if (c.p < c.end && quoted(&c, e->user, sizeof(e->user), 1) < 0)
		return nb_fail(err, NB_INVALID, "bad user field");
	if (!strcmp(e->user, "-"))
		e->user[0] = '\0';
	return 0;
}

