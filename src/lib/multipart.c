#include "multipart.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Stops the parser for good; refused() gives the reason to every later call. */
static int bad(struct multipart *m, const char *why)
{
	m->state = MP_ERROR;
	m->why = why;
	return -1;
}

static int refused(const struct multipart *m, struct nb_err *e)
{
	return nb_fail(e, NB_INVALID, "%s", m->why);
}

/* The boundary of a multipart/form-data Content-Type into out: 0, or -1. */
static int boundary_param(const char *ct, char *out, size_t n)
{
	const char *p;
	size_t l = 0;

	if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0 ||
	    (ct[19] && ct[19] != ';' && ct[19] != ' ' && ct[19] != '\t'))
		return -1;
	/* the parameter named boundary, not one whose name merely ends so */
	for (p = strchr(ct, ';'); p; p = strchr(p + 1, ';')) {
		const char *q = p + 1;
		while (*q == ' ' || *q == '\t')
			q++;
		if (!strncasecmp(q, "boundary=", 9)) {
			p = q + 9;
			break;
		}
	}
	if (!p)
		return -1;
	if (*p == '"') {
		p++;
		while (p[l] && p[l] != '"')
			l++;
		if (p[l] != '"')
			return -1;
	} else {
		while (p[l] && p[l] != ';' && p[l] != ' ' && p[l] != '\t')
			l++;
	}
	if (l == 0 || l > MP_BOUNDARY_MAX || l >= n)
		return -1;
	memcpy(out, p, l);
	out[l] = '\0';
	return 0;
}

int multipart_boundary(const char *ct, char *out, size_t n, struct nb_err *e)
{
	if (boundary_param(ct, out, n) < 0)
		return nb_fail(e, NB_INVALID, "expected a multipart/form-data upload");
	return 0;
}

int multipart_once(unsigned long long *seen, int i, const char *name, struct nb_err *e)
{
	unsigned long long bit;

	if (i < 0 || i >= MP_ONCE_MAX)
		return nb_fail(e, NB_INVALID, "%s: too many fields to tell apart", name);
	bit = 1ull << i;
	if (*seen & bit)
		return nb_fail(e, NB_INVALID, "%s given twice", name);
	*seen |= bit;
	return 0;
}

void multipart_init(struct multipart *m, const char *boundary,
	     const struct multipart_callbacks *cb, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->cb = cb;
	m->ctx = ctx;
	m->dlen = (size_t)snprintf(m->delim, sizeof(m->delim), "\r\n--%.*s",
				   MP_BOUNDARY_MAX, boundary);
	/* a virtual CRLF lets the first delimiter look like every other one */
	memcpy(m->buf, "\r\n", 2);
	m->len = 2;
	m->state = MP_PREAMBLE;
}

/* Reads one parameter value (quoted or not) after "name=" in a header. */
static void param(const char *h, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key), o = 0;
	const char *p = h;

	out[0] = '\0';
	while ((p = strcasestr(p, key))) {
		/* must be a whole parameter name: after ';' or a blank */
		if (p > h && (p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t') && p[kl] == '=')
			break;
		p += kl;
	}
	if (!p)
		return;
	p += kl + 1;
	if (*p == '"') {
		/*
		 * Only \" and \\ are escapes: browsers send Windows paths such
		 * as "C:\x\a.img" unescaped, and those must stay paths.
		 */
		for (p++; *p && *p != '"' && o + 1 < n; p++) {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			out[o++] = *p;
		}
	} else {
		for (; *p && *p != ';' && *p != ' ' && o + 1 < n; p++)
			out[o++] = *p;
	}
	out[o] = '\0';
}

static int header_line(struct multipart *m, const char *line, size_t n)
{
	char h[MP_LINE_MAX + 1];

	if (++m->headers > 16)
		return bad(m, "too many part headers");
	memcpy(h, line, n);
	h[n] = '\0';
	if (memchr(line, '\0', n))
		return bad(m, "NUL in a part header");
	if (strncasecmp(h, "Content-Disposition:", 20) == 0) {
		char fn[256], *slash;
		param(h + 20, "name", m->part.name, sizeof(m->part.name));
		param(h + 20, "filename", fn, sizeof(fn));
		/* some browsers send a client-side path: keep the last component */
		slash = strrchr(fn, '/');
		if (!slash || (strrchr(fn, '\\') && strrchr(fn, '\\') > slash))
			slash = strrchr(fn, '\\');
		snprintf(m->part.filename, sizeof(m->part.filename), "%s", slash ? slash + 1 : fn);
		m->part.filename_path = slash != NULL;
	} else if (strncasecmp(h, "Content-Type:", 13) == 0) {
		const char *v = h + 13;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t vl = strnlen(v, sizeof(m->part.ctype) - 1);
		memcpy(m->part.ctype, v, vl);
		m->part.ctype[vl] = '\0';
	}
	return 0;
}

/* Consumes what it can of m->buf; returns 0 (needs more), 1 (progress), -1. */
static int step(struct multipart *m)
{
	char *hit, *eol;
	size_t keep;

	switch (m->state) {
	case MP_PREAMBLE:
	case MP_BODY:
		hit = memmem(m->buf, m->len, m->delim, m->dlen);
		if (!hit) {
			/* all but a possible delimiter prefix can go */
			keep = m->len < m->dlen - 1 ? m->len : m->dlen - 1;
			if (m->state == MP_BODY && m->len > keep &&
			    m->cb->data(m->ctx, m->buf, m->len - keep))
				return bad(m, "upload refused");
			memmove(m->buf, m->buf + m->len - keep, keep);
			m->len = keep;
			return 0;
		}
		if (m->state == MP_BODY) {
			if (hit > m->buf && m->cb->data(m->ctx, m->buf, (size_t)(hit - m->buf)))
				return bad(m, "upload refused");
			if (m->cb->end(m->ctx))
				return bad(m, "upload refused");
		}
		keep = (size_t)(hit - m->buf) + m->dlen;
		memmove(m->buf, m->buf + keep, m->len - keep);
		m->len -= keep;
		m->state = MP_AFTER_DELIM;
		return 1;
	case MP_AFTER_DELIM:
		if (m->len < 2)
			return 0;
		if (m->buf[0] == '-' && m->buf[1] == '-') {
			m->state = MP_DONE;
			m->len = 0;
			return 0;
		}
		/* transport padding (blanks) then CRLF; anything else at once is an error */
		for (keep = 0; keep < m->len; keep++) {
			char c = m->buf[keep];
			if (c == ' ' || c == '\t')
				continue;
			if (c != '\r')
				return bad(m, "garbage after a boundary");
			break;
		}
		if (keep > 256)
			return bad(m, "garbage after a boundary");
		if (keep + 2 > m->len)
			return 0;	/* need the CRLF */
		if (m->buf[keep + 1] != '\n')
			return bad(m, "garbage after a boundary");
		if (++m->parts > MP_MAX_PARTS)
			return bad(m, "too many parts");
		memset(&m->part, 0, sizeof(m->part));
		m->headers = 0;
		keep += 2;
		memmove(m->buf, m->buf + keep, m->len - keep);
		m->len -= keep;
		m->state = MP_HEADERS;
		return 1;
	case MP_HEADERS:
		eol = memmem(m->buf, m->len, "\r\n", 2);
		/* + 1: a full-length line may wait for the \n of its CRLF */
		if (!eol)
			return m->len > MP_LINE_MAX + 1 ? bad(m, "part header too long") : 0;
		if ((size_t)(eol - m->buf) > MP_LINE_MAX)
			return bad(m, "part header too long");
		if (eol == m->buf) {
			if (!m->part.name[0])
				return bad(m, "part without a name");
			if (m->cb->begin(m->ctx, &m->part))
				return bad(m, "upload refused");
			m->state = MP_BODY;
			memmove(m->buf, m->buf + 2, m->len - 2);
			m->len -= 2;
			return 1;
		}
		if (header_line(m, m->buf, (size_t)(eol - m->buf)) < 0)
			return -1;
		keep = (size_t)(eol - m->buf) + 2;
		memmove(m->buf, m->buf + keep, m->len - keep);
		m->len -= keep;
		return 1;
	default:
		return 0;
	}
}

int multipart_feed(struct multipart *m, const char *p, size_t n, struct nb_err *e)
{
	while (n > 0 || m->state == MP_ERROR) {
		size_t room, take;
		int rc;

		if (m->state == MP_ERROR)
			return refused(m, e);
		if (m->state == MP_DONE)
			return 0;	/* the epilogue is ignored */
		room = sizeof(m->buf) - m->len;
		take = n < room ? n : room;
		memcpy(m->buf + m->len, p, take);
		m->len += take;
		p += take;
		n -= take;
		while ((rc = step(m)) > 0)
			;
		if (rc < 0)
			return refused(m, e);
	}
	return 0;
}

int multipart_finish(struct multipart *m, struct nb_err *e)
{
	if (m->state != MP_ERROR && m->state != MP_DONE)
		bad(m, "the body ends before its closing boundary");
	return m->state == MP_ERROR ? refused(m, e) : 0;
}
