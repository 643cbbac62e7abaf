/*
 * The mirror's readers of an upstream's simple pages: PEP 503 HTML and
 * PEP 691 JSON, for the project list and a project's files.  Pure
 * functions over outside bytes (fuzzed by tests/fuzz/fuzz_pypi_upstream.c):
 * what does not fit the rules below is skipped, never trusted - a link
 * whose file name could not be one of ours, a URL that is not http(s),
 * a hash that is not 64 hex digits.
 */
#include "pypi.h"
#include "../lib/json_in.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

/* -- URLs (RFC 3986 5.2, the cases simple pages use) -- */

/* Length of "scheme:" at the start of s (0: none). */
static size_t scheme_len(const char *s)
{
	size_t i = 0;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == ':' ? i + 1 : 0;
}

/* Removes "." and ".." segments of an absolute path in place (5.2.4). */
static void remove_dots(char *path)
{
	char *out = path, *p = path;

	while (*p) {
		char *seg = p + 1, *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);
		if (n == 1 && seg[0] == '.') {
			p = end ? end : seg + n;
			if (!end)
				*out++ = '/';
			continue;
		}
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			p = end ? end : seg + n;
			if (!end)
				*out++ = '/';
			continue;
		}
		memmove(out, p, n + 1);
		out += n + 1;
		p = seg + n;
	}
	*out = '\0';
	if (out == path)
		strcpy(path, "/");
}

/* 1 when the URL has no byte a request line cannot carry. */
static int url_clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

char *pypi_url_join(struct arena *a, const char *base, const char *ref)
{
	size_t bs = scheme_len(base), rs = scheme_len(ref);
	const char *auth, *path_start, *q;
	char *out, *path;

	if (!url_clean(ref) || !url_clean(base) || bs < 5 ||
	    (strncasecmp(base, "http:", 5) && strncasecmp(base, "https:", 6)))
		return NULL;
	if (rs)		/* absolute: http(s) only */
		return (!strncasecmp(ref, "http:", 5) || !strncasecmp(ref, "https:", 6)) &&
		       !strncmp(ref + rs, "//", 2) ? arena_strdup(a, ref) : NULL;
	if (!strncmp(ref, "//", 2))
		return arena_cat(a, arena_strndup(a, base, bs), ref, NULL);
	if (strncmp(base + bs, "//", 2))
		return NULL;
	auth = base + bs + 2;
	path_start = auth + strcspn(auth, "/?#");
	if (ref[0] == '/') {
		path = arena_strdup(a, ref);
	} else {
		const char *bend = path_start + strcspn(path_start, "?#"), *slash = bend;
		while (slash > path_start && slash[-1] != '/')
			slash--;
		path = slash > path_start ?
			arena_cat(a, arena_strndup(a, path_start, (size_t)(slash - path_start)),
				  ref, NULL) : arena_cat(a, "/", ref, NULL);
	}
	q = path + strcspn(path, "?#");
	out = arena_strndup(a, path, (size_t)(q - path));
	remove_dots(out);
	return arena_cat(a, arena_strndup(a, base, (size_t)(path_start - base)), out, q, NULL);
}

/* -- HTML -- */

/* Appends the UTF-8 form of code point c (valid, not NUL) to o; 0 or -1. */
static int put_utf8(char *o, size_t *k, unsigned long c)
{
	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	if (c < 0x80) {
		o[(*k)++] = (char)c;
	} else if (c < 0x800) {
		o[(*k)++] = (char)(0xc0 | (c >> 6));
		o[(*k)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		o[(*k)++] = (char)(0xe0 | (c >> 12));
		o[(*k)++] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (c & 0x3f));
	} else {
		o[(*k)++] = (char)(0xf0 | (c >> 18));
		o[(*k)++] = (char)(0x80 | ((c >> 12) & 0x3f));
		o[(*k)++] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (c & 0x3f));
	}
	return 0;
}

/* One character reference at s ('&' ...) into o; the bytes read (0: none). */
static size_t entity(const char *s, size_t n, char *o, size_t *k)
{
	static const struct { const char *name; char c; } named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' },
		{ "apos;", '\'' },
	};
	size_t i, j;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t l = strlen(named[i].name);
		if (n > l && !strncmp(s + 1, named[i].name, l)) {
			o[(*k)++] = named[i].c;
			return l + 1;
		}
	}
	if (n > 3 && s[1] == '#') {
		int hex = s[2] == 'x' || s[2] == 'X';
		unsigned long c = 0;
		for (j = 2 + (size_t)hex; j < n && j < 10 && isxdigit((unsigned char)s[j]); j++) {
			if (!hex && !isdigit((unsigned char)s[j]))
				break;
			c = c * (hex ? 16 : 10) + (unsigned long)(isdigit((unsigned char)s[j]) ?
				s[j] - '0' : (tolower((unsigned char)s[j]) - 'a' + 10));
		}
		if (j < n && s[j] == ';' && j > 2 + (size_t)hex && put_utf8(o, k, c) == 0)
			return j + 1;
	}
	return 0;
}

/* The text of s[0..n) with its character references decoded, trimmed. */
static char *html_text(struct arena *a, const char *s, size_t n)
{
	char *o = arena_alloc(a, n * 2 + 1);	/* a reference never grows: 4 bytes for >= 4 */
	size_t i = 0, k = 0, used;

	while (i < n) {
		if (s[i] == '&' && (used = entity(s + i, n - i, o, &k)) > 0) {
			i += used;
			continue;
		}
		o[k++] = s[i] ? s[i] : '?';
		i++;
	}
	while (k && isspace((unsigned char)o[k - 1]))
		k--;
	o[k] = '\0';
	for (i = 0; isspace((unsigned char)o[i]); i++)
		;
	return o + i;
}

/* A case-insensitive search for the ASCII word w in s[0..n). */
static const char *find_ci(const char *s, size_t n, const char *w)
{
	size_t l = strlen(w), i;

	for (i = 0; i + l <= n; i++)
		if (!strncasecmp(s + i, w, l))
			return s + i;
	return NULL;
}

struct tag {
	const char *href, *requires_python, *yanked, *text;
};

/* The attribute at *p (inside a tag ending at end) into t; advances *p. */
static void attribute(struct arena *a, const char **p, const char *end, struct tag *t)
{
	const char *s = *p, *name = s, *v = NULL;
	size_t nl, vl = 0;

	while (s < end && !isspace((unsigned char)*s) && *s != '=' && *s != '>' && *s != '/')
		s++;
	nl = (size_t)(s - name);
	while (s < end && isspace((unsigned char)*s))
		s++;
	if (s < end && *s == '=') {
		for (s++; s < end && isspace((unsigned char)*s); s++)
			;
		if (s < end && (*s == '"' || *s == '\'')) {
			const char *close = memchr(s + 1, *s, (size_t)(end - s - 1));
			v = s + 1;
			vl = close ? (size_t)(close - v) : (size_t)(end - v);
			s = close ? close + 1 : end;
		} else {
			for (v = s; s < end && !isspace((unsigned char)*s) && *s != '>'; s++)
				;
			vl = (size_t)(s - v);
		}
	}
	*p = nl ? s : s + 1;	/* a stray '/' or '=': step over it */
	if (nl == 4 && !strncasecmp(name, "href", 4) && v)
		t->href = html_text(a, v, vl);
	else if (nl == 20 && !strncasecmp(name, "data-requires-python", 20))
		t->requires_python = v ? html_text(a, v, vl) : "";
	else if (nl == 11 && !strncasecmp(name, "data-yanked", 11))
		t->yanked = v ? html_text(a, v, vl) : "";
}

/*
 * The next <a ...>text</a> at or after *p in body[0..n): 1 with t
 * filled, 0 at the end.  A tag cut off by the end of the page ends it.
 */
static int next_anchor(struct arena *a, const char *body, size_t n, size_t *p, struct tag *t)
{
	const char *s = body + *p, *end = body + n, *gt, *close;

	memset(t, 0, sizeof(*t));
	while ((s = find_ci(s, (size_t)(end - s), "<a")) != NULL) {
		if (s + 2 < end && (isspace((unsigned char)s[2]) || s[2] == '>'))
			break;
		s += 2;
	}
	if (!s || !(gt = memchr(s, '>', (size_t)(end - s))))
		return 0;
	for (s += 2; s < gt;) {
		while (s < gt && isspace((unsigned char)*s))
			s++;
		if (s < gt)
			attribute(a, &s, gt, t);
	}
	close = find_ci(gt + 1, (size_t)(end - gt - 1), "</a");
	if (!close)
		close = end;
	t->text = html_text(a, gt + 1, (size_t)(close - gt - 1));
	*p = (size_t)(close - body);
	return 1;
}

/* "#sha256=<hex>" in a URL's fragment as lowercase hex, else "". */
static const char *fragment_sha256(struct arena *a, const char *url)
{
	const char *h = strchr(url, '#');
	char *o;
	int i;

	if (!h || strncasecmp(h + 1, "sha256=", 7) || strlen(h + 8) != 64)
		return "";
	o = arena_strdup(a, h + 8);
	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)o[i]))
			return "";
		o[i] = (char)tolower((unsigned char)o[i]);
	}
	return o;
}

/* Keeps l when it is one we can serve: our kind of file name, an http(s)
 * URL (fragment dropped).  1 kept, 0 skipped. */
static int link_ok(struct arena *a, const char *base, const char *href, struct pypi_link *l)
{
	char *u;

	if (!l->filename || !pypi_filename_ok(l->filename) ||
	    strlen(l->filename) >= PYPI_NAME_MAX * 2 || !href)
		return 0;
	if (!(u = pypi_url_join(a, base, href)))
		return 0;
	u[strcspn(u, "#")] = '\0';
	l->url = u;
	if (!l->requires_python)
		l->requires_python = "";
	return 1;
}

/* Appends l to *v (n used, *cap allocated, grown in a). */
static void push(struct arena *a, struct pypi_link **v, int n, int *cap,
		 const struct pypi_link *l)
{
	if (n == *cap) {
		struct pypi_link *nv = arena_alloc(a, sizeof(*nv) * (size_t)(*cap = *cap * 2 + 16));
		if (n)
			memcpy(nv, *v, sizeof(*nv) * (size_t)n);
		*v = nv;
	}
	(*v)[n] = *l;
}

static int page_html(struct arena *a, const char *base, const char *body, size_t n,
		     struct pypi_link **out)
{
	struct pypi_link *v = NULL, l;
	struct tag t;
	size_t p = 0;
	int k = 0, cap = 0;

	while (next_anchor(a, body, n, &p, &t)) {
		memset(&l, 0, sizeof(l));
		l.size = -1;		/* PEP 503 does not say */
		l.filename = t.text;
		l.sha256 = t.href ? fragment_sha256(a, t.href) : "";
		l.requires_python = t.requires_python;
		l.yanked = t.yanked;
		if (link_ok(a, base, t.href, &l))
			push(a, &v, k++, &cap, &l);
	}
	*out = v;
	return k;
}

/* -- JSON -- */

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* One PEP 691 file object into l; 1 kept, 0 skipped. */
static int file_obj(struct arena *a, const char *base, const cJSON *f, struct pypi_link *l)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(f, "hashes"), *y;
	const char *sha = cJSON_IsObject(h) ? str_of(h, "sha256") : NULL;

	memset(l, 0, sizeof(*l));
	if (!cJSON_IsObject(f) || !str_of(f, "filename"))
		return 0;
	l->filename = arena_strdup(a, str_of(f, "filename"));
	l->sha256 = sha ? fragment_sha256(a, arena_cat(a, "#sha256=", sha, NULL)) : "";
	if (str_of(f, "requires-python"))
		l->requires_python = arena_strdup(a, str_of(f, "requires-python"));
	y = cJSON_GetObjectItemCaseSensitive(f, "size");
	l->size = cJSON_IsNumber(y) && y->valuedouble >= 0 && y->valuedouble < 9e15 ?
		(long long)y->valuedouble : -1;
	y = cJSON_GetObjectItemCaseSensitive(f, "yanked");
	if (cJSON_IsString(y))
		l->yanked = arena_strdup(a, y->valuestring);
	else if (cJSON_IsTrue(y))
		l->yanked = "";
	return link_ok(a, base, str_of(f, "url"), l);
}

static int page_json(struct arena *a, const char *base, const char *body, size_t n,
		     struct pypi_link **out, struct nb_err *e)
{
	/* a \u0000 or a short \u would end a name or URL early (json_in.h) */
	cJSON *o = json_in_has_nul(body, n) ? NULL : cJSON_ParseWithLength(body, n), *files, *f;
	struct pypi_link *v = NULL, l;
	int k = 0, cap = 0;

	files = cJSON_GetObjectItemCaseSensitive(o, "files");
	if (!cJSON_IsObject(o) || !cJSON_IsArray(files)) {
		cJSON_Delete(o);
		return nb_fail(e, NB_BAD_GATEWAY, "the upstream's JSON page has no files list");
	}
	cJSON_ArrayForEach(f, files)
		if (file_obj(a, base, f, &l))
			push(a, &v, k++, &cap, &l);
	cJSON_Delete(o);
	*out = v;
	return k;
}

int pypi_upstream_page(struct arena *a, const char *base, const char *body, size_t len,
		       int json, struct pypi_link **out, struct nb_err *e)
{
	*out = NULL;
	if (json)
		return page_json(a, base, body, len, out, e);
	return page_html(a, base, body, len, out);
}

/* -- the project list -- */

static void push_name(struct arena *a, const char ***v, int n, int *cap, const char *name)
{
	if (n + 1 >= *cap) {
		const char **nv = arena_alloc(a, sizeof(*nv) * (size_t)(*cap = *cap * 2 + 64));
		if (n)
			memcpy(nv, *v, sizeof(*nv) * (size_t)n);
		*v = nv;
	}
	(*v)[n] = pypi_normalize(a, name);
	(*v)[n + 1] = NULL;
}

int pypi_upstream_list(struct arena *a, const char *body, size_t len, int json,
		       const char ***out, struct nb_err *e)
{
	const char **v = arena_zalloc(a, sizeof(*v));
	int k = 0, cap = 0;

	if (json) {
		cJSON *o = json_in_has_nul(body, len) ? NULL : cJSON_ParseWithLength(body, len), *ps, *p;
		ps = cJSON_GetObjectItemCaseSensitive(o, "projects");
		if (!cJSON_IsObject(o) || !cJSON_IsArray(ps)) {
			cJSON_Delete(o);
			return nb_fail(e, NB_BAD_GATEWAY, "the upstream's JSON list has no projects");
		}
		cJSON_ArrayForEach(p, ps) {
			const char *name = str_of(p, "name");
			if (name && pypi_project_ok(name) && strlen(name) < PYPI_NAME_MAX)
				push_name(a, &v, k++, &cap, name);
		}
		cJSON_Delete(o);
	} else {
		struct tag t;
		size_t p = 0;
		while (next_anchor(a, body, len, &p, &t))
			if (pypi_project_ok(t.text) && strlen(t.text) < PYPI_NAME_MAX)
				push_name(a, &v, k++, &cap, t.text);
	}
	*out = v;
	return k;
}
