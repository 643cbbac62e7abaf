#include "http.h"
#include "clock.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

extern char **environ;

/* FNV-1a over a name ending at '=' or NUL; *len gets its length */
static unsigned env_hash(const char *s, size_t *len)
{
	unsigned h = 2166136261u;
	const char *p = s;

	for (; *p && *p != '='; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	*len = (size_t)(p - s);
	return h;
}

/*
 * A request's params are looked up a dozen times (method, URI, headers);
 * FCGX_GetParam compares against every one each time.  One pass here
 * puts them in an open-addressing table in the arena instead.
 */
static void env_index(struct http_req *r, char **env)
{
	unsigned n = 0, size = 16, i;
	size_t len;

	while (env[n])
		n++;
	while (size < 2 * n)
		size *= 2;
	r->envtab = arena_zalloc(r->a, size * sizeof(*r->envtab));
	r->envmask = size - 1;
	for (n = 0; env[n]; n++) {
		for (i = env_hash(env[n], &len) & r->envmask; r->envtab[i]; i = (i + 1) & r->envmask)
			;
		r->envtab[i] = env[n];
	}
}

void http_req_init(struct http_req *r, struct arena *a, struct http_io *io)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
	r->io = io;
	r->content_length = -1;
	if (io && io->env)
		env_index(r, io->env);
}

const char *http_env(const struct http_req *r, const char *name)
{
	size_t len;
	unsigned i;

	if (!r->envtab)
		return r->io && r->io->env ? FCGX_GetParam(name, r->io->env) : getenv(name);
	for (i = env_hash(name, &len) & r->envmask; r->envtab[i]; i = (i + 1) & r->envmask) {
		const char *e = r->envtab[i];
		/* the first of equal names wins, as with getenv */
		if (!strncmp(e, name, len) && e[len] == '=')
			return e + len + 1;
	}
	return NULL;
}

char **http_envp(const struct http_req *r)
{
	if (r->io && r->io->env)
		return r->io->env;
	return environ;
}

const char *http_header(const struct http_req *r, const char *name)
{
	char key[128] = "HTTP_";
	size_t i, o = 5;

	if (strcasecmp(name, "Content-Type") == 0)
		return http_env(r, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return http_env(r, "CONTENT_LENGTH");
	for (i = 0; name[i] && o < sizeof(key) - 1; i++)
		key[o++] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	key[o] = '\0';
	return http_env(r, key);
}

void http_target_split(const char *t, size_t n, struct http_target *out)
{
	const char *q = memchr(t, '?', n), *end = t + n, *hash;

	out->path = t;
	out->path_len = q ? (size_t)(q - t) : n;
	out->query = q ? q + 1 : "";
	out->query_len = q ? (size_t)(end - out->query) : 0;
	if (q && (hash = memchr(out->query, '#', out->query_len)))
		out->query_len = (size_t)(hash - out->query);
}

int http_req_parse(struct http_req *r, struct nb_err *e)
{
	const char *uri, *cl;
	struct http_target t;

	r->method = http_env(r, "REQUEST_METHOD");
	if (!r->method || !*r->method)
		return nb_fail(e, NB_INVALID, "no request method");
	r->head = strcmp(r->method, "HEAD") == 0;
	uri = http_env(r, "REQUEST_URI");
	if (!uri || !*uri) {
		/* a plain CGI server that does not set REQUEST_URI */
		const char *sn = http_env(r, "SCRIPT_NAME"), *pi = http_env(r, "PATH_INFO");
		const char *qs = http_env(r, "QUERY_STRING");
		uri = arena_printf(r->a, "%s%s%s%s", sn ? sn : "", pi ? pi : "",
				   qs && *qs ? "?" : "", qs ? qs : "");
	}
	r->uri = uri;
	http_target_split(uri, strlen(uri), &t);
	r->raw_path = arena_strndup(r->a, t.path, t.path_len);
	r->raw_query = arena_strndup(r->a, t.query, t.query_len);
	if (path_split(r->a, r->raw_path, t.path_len, &r->path, e) < 0 ||
	    query_parse(r->a, r->raw_query, t.query_len, &r->query, e) < 0)
		return -1;
	cl = http_env(r, "CONTENT_LENGTH");
	if (cl && *cl) {
		char *end;
		errno = 0;
		long long v = strtoll(cl, &end, 10);
		if (errno || *end || v < 0)
			return nb_fail(e, NB_INVALID, "bad Content-Length");
		r->content_length = v;
	}
	r->remote_addr = http_env(r, "REMOTE_ADDR");
	if (!r->remote_addr)
		r->remote_addr = "";
	return 0;
}

/*
 * Milliseconds left to read the body: the deadline grows by a second per
 * min_rate bytes received, so a slow but moving upload goes on while a
 * stalled or trickling one is cut off.
 */
static long long body_left_ms(struct http_req *r)
{
	const struct http_body_limit *l = &r->body_limit;
	long long now = clock_mono_ms(), allow = l->timeout_ms;

	if (!r->body_start_ms)
		r->body_start_ms = now;
	if (l->min_rate > 0)
		allow += r->body_got * 1000 / l->min_rate;
	return r->body_start_ms + allow - now;
}

/*
 * One FastCGI read bounded by the deadline.  libfcgi blocks until it has
 * all n bytes, so when its buffer is empty we ask for one byte with
 * SO_RCVTIMEO set to the time left: each read() then waits at most that
 * long, and the buffered rest comes without blocking on the next call.
 */
static int fcgi_read_bounded(struct http_req *r, char *p, int n)
{
	FCGX_Stream *in = r->io->in;
	long avail = (long)(in->stop - in->rdNext);
	long long left;
	struct timeval tv;
	int got;

	if (avail > 0 || in->isClosed)
		return FCGX_GetStr(p, avail > 0 && avail < n ? (int)avail : n, in);
	left = body_left_ms(r);
	if (left <= 0) {
		r->body_timed_out = 1;
		return -1;
	}
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	setsockopt(r->io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	got = FCGX_GetStr(p, 1, in);
	if (got <= 0 && FCGX_GetError(in) == EAGAIN)
		r->body_timed_out = 1;	/* SO_RCVTIMEO ran out */
	return got;
}

static int io_read(struct http_req *r, char *p, int n)
{
	int got;

	if (r->io && r->io->in) {
		if (r->body_limit.timeout_ms <= 0 || r->io->fd < 0)
			return FCGX_GetStr(p, n, r->io->in);
		got = fcgi_read_bounded(r, p, n);
		if (got > 0)
			r->body_got += got;
		return got;
	}
	return (int)fread(p, 1, (size_t)n, stdin);
}

static int io_write(struct http_req *r, const void *p, size_t n)
{
	if (r->io && r->io->out) {
		while (n > 0) {
			int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
			if (FCGX_PutStr(p, chunk, r->io->out) != chunk)
				return -1;
			p = (const char *)p + chunk;
			n -= (size_t)chunk;
		}
		return 0;
	}
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

/* The error value of a body that could not be read (kind), for
 * http_read_body and again for a repeated http_read_form. */
static int body_fail(struct nb_err *e, enum nb_errkind kind)
{
	switch (kind) {
	case NB_LENGTH_REQUIRED:
		return nb_fail(e, kind, "a request body needs a Content-Length");
	case NB_TOO_LARGE:
		return nb_fail(e, kind, "request body too large");
	case NB_TIMEOUT:
		return nb_fail(e, kind, "request body too slow");
	default:
		return nb_fail(e, kind, "request body incomplete");
	}
}

int http_read_body(struct http_req *r, size_t max, char **out, size_t *len, struct nb_err *e)
{
	size_t got = 0, want;
	char *p;

	*out = NULL;
	*len = 0;
	if (r->content_length < 0)
		return body_fail(e, NB_LENGTH_REQUIRED);
	if ((unsigned long long)r->content_length > max)
		return body_fail(e, NB_TOO_LARGE);
	want = (size_t)r->content_length;
	p = arena_alloc(r->a, want + 1);
	while (got < want) {
		int n = io_read(r, p + got, (int)(want - got > 65536 ? 65536 : want - got));
		if (n <= 0)
			return body_fail(e, r->body_timed_out ? NB_TIMEOUT : NB_INVALID);
		got += (size_t)n;
	}
	p[got] = '\0';
	*out = p;
	*len = got;
	return 0;
}

long http_read_some(struct http_req *r, char *p, size_t n)
{
	int got = io_read(r, p, (int)(n > 65536 ? 65536 : n));

	return got < 0 ? -1 : got;
}

/* r->form_read of a body that is not a form (a bad escape, a NUL), or
 * one past query.h's bounds (refused naming the bound passed) */
#define FORM_MALFORMED (NB_NKINDS + 1)
#define FORM_TOO_MANY (NB_NKINDS + 2)
#define FORM_TOO_LONG (NB_NKINDS + 3)

/* The answer of a form read already: r->form_read is 1 (read), a body
 * error kind + 1, or FORM_MALFORMED. */
static int form_again(const struct http_req *r, struct nb_err *e)
{
	if (r->form_read == 1)
		return 0;
	if (r->form_read == FORM_MALFORMED)
		return nb_fail(e, NB_INVALID, "malformed form body");
	if (r->form_read == FORM_TOO_MANY)
		return nb_fail(e, NB_INVALID, "form body refused: at most %d fields",
			       QUERY_MAX_PAIRS);
	if (r->form_read == FORM_TOO_LONG)
		return nb_fail(e, NB_INVALID, "form body refused: at most %d bytes",
			       QUERY_RAW_MAX);
	return body_fail(e, (enum nb_errkind)(r->form_read - 1));
}

int http_read_form(struct http_req *r, size_t max, struct nb_err *e)
{
	const char *ct = http_env(r, "CONTENT_TYPE");
	struct nb_err got;
	char *body;
	size_t len;

	/* a second call (a program that checks a form before its handler)
	 * answers as the first: the body is read once */
	if (r->form_read)
		return form_again(r, e);
	r->form_read = 1;
	r->form.n = 0;
	r->form.v = NULL;
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return 0;
	if (http_read_body(r, max, &body, &len, &got) < 0)
		r->form_read = (int)got.kind + 1;
	else if (query_parse(r->a, body, len, &r->form, NULL) < 0)
		/* query_parse stops at the bound with QUERY_MAX_PAIRS pairs read */
		r->form_read = len > QUERY_RAW_MAX ? FORM_TOO_LONG :
			       r->form.n == QUERY_MAX_PAIRS ? FORM_TOO_MANY : FORM_MALFORMED;
	return form_again(r, e);
}

/* RFC 9110 5.6.2 tchar: the characters of a token. */
static int tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int http_json_type(const char *ct)
{
	const char *sub, *end;

	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, "application/", 12))
		return 0;
	for (sub = end = ct + 12; tchar((unsigned char)*end); end++)
		;
	if (end == sub)
		return 0;
	/* the type ends the value, or parameters follow (";charset=UTF-8") */
	{
		const char *p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != ';')
			return 0;
	}
	if (end - sub == 4)
		return !strncasecmp(sub, "json", 4);
	/* a structured syntax suffix (RFC 6838 4.2.8): "hal+json", "vnd.x+json" */
	return end - sub > 5 && !strncasecmp(end - 5, "+json", 5);
}

int http_body_json_ok(const struct http_req *r)
{
	const char *ct = http_env(r, "CONTENT_TYPE");

	return !ct || !*ct || r->content_length == 0 || http_json_type(ct);
}

const char *http_cookie(const struct http_req *r, const char *name)
{
	const char *h = http_header(r, "Cookie"), *p;
	size_t nl = strlen(name);

	for (p = h; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		if (l > nl && p[nl] == '=' && strncmp(p, name, nl) == 0)
			return arena_strndup(r->a, p + nl + 1, l - nl - 1);
		p = end;
	}
	return NULL;
}

void http_fixed(struct http_resp *w, int status, const void *p, size_t n)
{
	w->status = status;
	w->body.len = 0;
	w->fixed = p;
	w->fixed_len = n;
}

void http_redirect(struct http_resp *w, const char *location)
{
	w->status = 303;
	http_set_header(w, "Location", location);
	w->body.len = 0;
}

void http_resp_init(struct http_resp *w, struct arena *a)
{
	memset(w, 0, sizeof(*w));
	w->status = 200;
	w->fd = -1;
	buf_init(&w->headers, a);
	buf_init(&w->body, a);
}

void http_set_header(struct http_resp *w, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return;
	if (strcasecmp(name, "Content-Type") == 0)
		w->has_type = 1;
	/* not buf_printf: every answer sets two headers or more, and its two
	 * vsnprintf passes each were a tenth of a DDI poll's instructions */
	buf_adds(&w->headers, name);
	buf_adds(&w->headers, ": ");
	buf_adds(&w->headers, value);
	buf_adds(&w->headers, "\r\n");
}

/* The header line of w named name: its start and length (with "\r\n"),
 * and the value's start; NULL when w has none. */
static const char *resp_line(const struct http_resp *w, const char *name, size_t *line_len,
			     const char **value)
{
	size_t nl = strlen(name), off = 0;

	while (off < w->headers.len) {
		const char *line = w->headers.p + off;
		const char *end = memchr(line, '\n', w->headers.len - off);
		size_t n = end ? (size_t)(end - line) + 1 : w->headers.len - off;

		if (n > nl + 1 && line[nl] == ':' && !strncasecmp(line, name, nl)) {
			*line_len = n;
			*value = line + nl + 1 + (line[nl + 1] == ' ');
			return line;
		}
		off += n;
	}
	return NULL;
}

const char *http_resp_header(const struct http_resp *w, const char *name)
{
	size_t n;
	const char *v, *line = resp_line(w, name, &n, &v);

	if (!line)
		return NULL;
	/* the value ends before the line's "\r\n" */
	return arena_strndup(w->headers.a, v, (size_t)(line + n - 2 - v));
}

void http_resp_drop_header(struct http_resp *w, const char *name)
{
	size_t n;
	const char *v, *line;

	while ((line = resp_line(w, name, &n, &v))) {
		size_t off = (size_t)(line - w->headers.p);
		memmove(w->headers.p + off, line + n, w->headers.len - off - n);
		w->headers.len -= n;
	}
	if (!strcasecmp(name, "Content-Type"))
		w->has_type = 0;
}

/* One entity-tag of an If-None-Match list at *p (RFC 9110 8.8.3:
 * [W/] DQUOTE *etagc DQUOTE): 1 with its opaque part (between the quotes)
 * in *tag, *n and *p past it; 0 when malformed. */
static int etag_next(const char **p, const char **tag, size_t *n)
{
	const char *s = *p, *q;

	if (s[0] == 'W' && s[1] == '/')
		s += 2;
	if (*s != '"')
		return 0;
	for (q = s + 1; *q && *q != '"'; q++)
		if ((unsigned char)*q < 0x21 || *q == 0x7f)
			return 0;
	if (*q != '"')
		return 0;
	*tag = s + 1;
	*n = (size_t)(q - s - 1);
	*p = q + 1;
	return 1;
}

int http_etag_match(const char *field, const char *etag)
{
	const char *p = field, *want, *tag;
	size_t wn, n;

	if (!field)
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*') {
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		return *p == '\0';
	}
	if (!etag || !etag_next(&etag, &want, &wn))
		return 0;
	for (;;) {
		/* #rule: empty elements and OWS around the commas are allowed */
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return 0;
		if (!etag_next(&p, &tag, &n))
			return 0;	/* a malformed list matches nothing */
		if (n == wn && !memcmp(tag, want, n))
			return 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != ',')
			return 0;
	}
}

void http_bytes(struct http_resp *w, int status, const char *ctype,
		const void *p, size_t n)
{
	w->status = status;
	if (ctype)
		http_set_header(w, "Content-Type", ctype);
	w->body.len = 0;
	buf_add(&w->body, p, n);
}

void http_text(struct http_resp *w, int status, const char *text)
{
	http_bytes(w, status, "text/plain; charset=utf-8", text, strlen(text));
}

void http_json_error(struct http_resp *w, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "error", msg);
	cJSON_AddNumberToObject(o, "status", status);
	s = cJSON_PrintUnformatted(o);
	http_bytes(w, status, "application/json", s, strlen(s));
	buf_addc(&w->body, '\n');
	cJSON_free(s);
	cJSON_Delete(o);
}

int http_range_parse(const char *h, off_t size, off_t *start, off_t *len)
{
	const char *p;
	char *end;
	long long a, b;

	if (!h || strncmp(h, "bytes=", 6) != 0)
		return 0;
	p = h + 6;
	if (strchr(p, ','))
		return 0;	/* several ranges: RFC 9110 lets us send it all */
	while (*p == ' ')
		p++;
	if (*p == '-') {
		/* suffix range: the last N bytes */
		if (!isdigit((unsigned char)p[1]))
			return 0;
		errno = 0;
		b = strtoll(p + 1, &end, 10);
		if (errno || *end)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		if (b > size)
			b = size;
		*start = size - b;
		*len = b;
		return 1;
	}
	if (!isdigit((unsigned char)*p))
		return 0;
	errno = 0;
	a = strtoll(p, &end, 10);
	if (errno || *end != '-')
		return 0;
	p = end + 1;
	if (*p == '\0') {
		b = size - 1;
	} else {
		if (!isdigit((unsigned char)*p))
			return 0;
		b = strtoll(p, &end, 10);
		if (errno || *end || b < a)
			return 0;
		if (b > size - 1)
			b = size - 1;
	}
	if (a >= size)
		return -1;
	*start = a;
	*len = b - a + 1;
	return 1;
}

/* 416 with a Content-Range of the whole size (RFC 9110 §14.4), no body */
static void unsatisfiable(struct http_req *r, struct http_resp *w, off_t size)
{
	w->status = 416;
	w->body.len = 0;
	http_set_header(w, "Content-Range", arena_printf(r->a, "bytes */%lld", (long long)size));
}

int http_file(struct http_req *r, struct http_resp *w, const char *path,
	      const char *ctype, int use_xsendfile, const char *not_found, struct nb_err *e)
{
	struct stat st;
	off_t start = 0, len;
	int fd, rc;

	if (use_xsendfile) {
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			return nb_fail(e, NB_NOT_FOUND, "%s", not_found);
		/*
		 * An unsatisfiable range is answered here: lighttpd's own 416
		 * for an X-Sendfile answer has no Content-Range, which RFC 9110
		 * §15.5.17 asks for.  Satisfiable ranges stay with the front end.
		 */
		if (http_range_parse(http_header(r, "Range"), st.st_size, &start, &len) < 0) {
			unsatisfiable(r, w, st.st_size);
			return 0;
		}
		w->sendfile = arena_strdup(r->a, path);
		if (!w->has_type)
			http_set_header(w, "Content-Type", ctype);
		w->status = 200;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nb_fail(e, NB_NOT_FOUND, "%s", not_found);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return nb_fail(e, NB_NOT_FOUND, "%s", not_found);
	}
	len = st.st_size;
	if (!w->has_type)
		http_set_header(w, "Content-Type", ctype);
	http_set_header(w, "Accept-Ranges", "bytes");
	rc = http_range_parse(http_header(r, "Range"), st.st_size, &start, &len);
	if (rc < 0) {
		close(fd);
		unsatisfiable(r, w, st.st_size);
		return 0;
	}
	if (rc > 0) {
		w->status = 206;
		http_set_header(w, "Content-Range",
				arena_printf(r->a, "bytes %lld-%lld/%lld", (long long)start,
					     (long long)(start + len - 1), (long long)st.st_size));
	} else {
		w->status = 200;
	}
	w->fd = fd;
	w->file_off = start;
	w->file_len = len;
	return 0;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 302: return "Found";
	case 303: return "See Other";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 406: return "Not Acceptable";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static int send_fd(struct http_req *r, struct http_resp *w)
{
	char chunk[65536];
	off_t left = w->file_len, off = w->file_off;

	while (left > 0) {
		size_t want = left > (off_t)sizeof(chunk) ? sizeof(chunk) : (size_t)left;
		ssize_t n = pread(w->fd, chunk, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;	/* file shrank under us: the client sees a short body */
		if (io_write(r, chunk, (size_t)n) < 0)
			return -1;
		off += n;
		left -= n;
		w->bytes_sent += n;
	}
	return 0;
}

int http_write(struct http_req *r, const void *p, size_t n)
{
	return io_write(r, p, n);
}

/*
 * "<head><v><tail>" into line (room for head and tail, 160 bytes): the
 * status and Content-Length lines of every answer, without snprintf's
 * format parsing (a twentieth of a DDI poll's instructions, callgrind).
 * Returns its length.
 */
static size_t num_line(char *line, const char *head, long long v, const char *tail)
{
	char digits[24], *p = digits + sizeof(digits);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n = strlen(head), k, t = strlen(tail);

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	k = (size_t)(digits + sizeof(digits) - p);
	memcpy(line, head, n);
	memcpy(line + n, p, k);
	memcpy(line + n + k, tail, t);
	return n + k + t;
}

/* 1 for a status that has no content: 204, 304 (RFC 9110 15.3.5, 15.4.5). */
static int no_content(int status)
{
	return status == 204 || status == 304;
}

static int send_all(struct http_req *r, struct http_resp *w)
{
	char line[160];
	int n, rc = 0;
	long long clen = w->fd >= 0 || w->pump ? (long long)w->file_len :
			 w->fixed ? (long long)w->fixed_len : (long long)w->body.len;

	n = (int)num_line(line, "Status: ", w->status, " ");
	if (io_write(r, line, (size_t)n) < 0 || io_write(r, http_reason(w->status),
						       strlen(http_reason(w->status))) < 0 ||
	    io_write(r, "\r\n", 2) < 0)
		return -1;
	if (!w->has_type && !w->sendfile && !no_content(w->status))
		http_set_header(w, "Content-Type", "text/plain; charset=utf-8");
	/* no answer of ours is to be sniffed into HTML by a browser */
	http_set_header(w, "X-Content-Type-Options", "nosniff");
	if (io_write(r, w->headers.p, w->headers.len) < 0)
		return -1;
	if (w->sendfile) {
		/* the front end replaces the body and sets Content-Length */
		n = snprintf(line, sizeof(line), "X-Sendfile: ");
		if (io_write(r, line, (size_t)n) < 0 ||
		    io_write(r, w->sendfile, strlen(w->sendfile)) < 0 ||
		    io_write(r, "\r\n\r\n", 4) < 0)
			return -1;
		return 0;
	}
	if (no_content(w->status)) {
		/* no body, and no Content-Length: a 304's would have to be the
		 * 200's (RFC 9110 8.6), a 204 must not have one */
		return io_write(r, "\r\n", 2);
	}
	n = (int)num_line(line, "Content-Length: ", clen, "\r\n\r\n");
	if (io_write(r, line, (size_t)n) < 0)
		return -1;
	if (!r->head) {
		if (w->fd >= 0)
			rc = send_fd(r, w);
		else if (w->pump)
			rc = w->pump(w->pump_ctx, r, w);
		else if (w->fixed)
			rc = io_write(r, w->fixed, w->fixed_len);
		else if (w->body.len)
			rc = io_write(r, w->body.p, w->body.len);
		if (w->fd < 0 && !w->pump && rc == 0)
			w->bytes_sent = clen;
	}
	return rc;
}

int http_send(struct http_req *r, struct http_resp *w)
{
	int rc = send_all(r, w);

	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	return rc;
}

/* A Host header's port: after "]:" for an IPv6 literal, else after ':'. */
static int host_has_port(const char *host)
{
	const char *end = host[0] == '[' ? strchr(host, ']') : host;

	return end && strchr(end, ':') != NULL;
}

const char *http_base_url(struct http_req *r, const char *configured)
{
	const char *host = http_header(r, "Host"), *port = http_env(r, "SERVER_PORT");
	const char *https = http_env(r, "HTTPS");
	int tls = https && !strcmp(https, "on");
	size_t n = configured ? strlen(configured) : 0;

	if (n) {
		while (n > 1 && configured[n - 1] == '/')
			n--;
		return arena_strndup(r->a, configured, n);
	}
	if (!host || !*host || strpbrk(host, "/\\ \"<>'@?#"))
		host = http_env(r, "SERVER_NAME");
	if (!host || !*host || strpbrk(host, "/\\ \"<>'@?#"))
		host = "localhost";
	if (!host_has_port(host) && port && *port && strcmp(port, tls ? "443" : "80"))
		return arena_cat(r->a, tls ? "https://" : "http://", host, ":", port, NULL);
	return arena_cat(r->a, tls ? "https://" : "http://", host, NULL);
}
