#include "path.h"
#include "err.h"

#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long path_url_decode(char *dst, const char *src, size_t n, int plus_is_space)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = src[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n)
				return -1;
			h = hexval((unsigned char)src[i + 1]);
			l = hexval((unsigned char)src[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			dst[o++] = (char)(h * 16 + l);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			dst[o++] = ' ';
		} else {
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
	return (long)o;
}

int path_segment_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PATH_SEG_MAX)
		return 0;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			return 0;
	}
	return 1;
}

int path_split(struct arena *a, const char *raw, size_t len,
	       struct path *out, struct nb_err *e)
{
	size_t i, start;
	int n = 0;

	out->seg = NULL;
	out->n = 0;
	if (len == 0 || raw[0] != '/')
		return nb_fail(e, NB_INVALID, "path must start with /");
	if (len > PATH_RAW_MAX)
		return nb_fail(e, NB_INVALID, "path too long");
	out->seg = arena_alloc(a, sizeof(char *) * PATH_MAX_SEGS);
	if (len == 1)
		return 0;	/* "/" has no segments */
	start = 1;
	for (i = 1; i <= len; i++) {
		if (i < len && raw[i] != '/')
			continue;
		size_t sl = i - start;
		char *d;
		long dl;

		if (n == PATH_MAX_SEGS)
			return nb_fail(e, NB_INVALID, "too many path segments");
		if (sl == 0 && i == len) {
			/* trailing slash: an empty last segment */
			out->seg[n++] = arena_strdup(a, "");
			break;
		}
		d = arena_alloc(a, sl + 1);
		dl = path_url_decode(d, raw + start, sl, 0);
		if (dl < 0)
			return nb_fail(e, NB_INVALID, "bad percent-escape in path");
		if (!path_segment_ok(d, (size_t)dl))
			return nb_fail(e, NB_INVALID, "bad path segment");
		out->seg[n++] = d;
		start = i + 1;
	}
	out->n = n;
	return 0;
}
