/*
 * Names, versions, file names and the Accept header: the pure rules of
 * the Python index, kept apart so unit tests and fuzzers drive them alone.
 */
#include "pypi.h"
#include "../lib/utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

char *pypi_normalize(struct arena *a, const char *name)
{
	size_t n = strlen(name), o = 0, i;
	char *out = arena_alloc(a, n + 1);

	for (i = 0; i < n; i++) {
		if (sep(name[i])) {
			while (i + 1 < n && sep(name[i + 1]))
				i++;
			out[o++] = '-';
		} else {
			out[o++] = (char)tolower((unsigned char)name[i]);
		}
	}
	out[o] = '\0';
	return out;
}

int pypi_is_normal(const char *s)
{
	for (; *s; s++) {
		if (isupper((unsigned char)*s) || *s == '_' || *s == '.' ||
		    (*s == '-' && s[1] == '-'))
			return 0;
	}
	return 1;
}

/* PEP 508: ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$, case-insensitive */
int pypi_project_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= PYPI_NAME_MAX || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) || (unsigned char)s[i] > 127)
			if (!sep(s[i]))
				return 0;
	return 1;
}

int pypi_ident_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= PYPI_NAME_MAX || s[0] == '+' || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) && (unsigned char)s[i] < 128) && !sep(s[i]))
			return 0;
	return 1;
}

int pypi_version_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= PYPI_NAME_MAX ||
	    !(isdigit((unsigned char)s[0]) || s[0] == 'v' || s[0] == 'V'))
		return 0;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) && (unsigned char)s[i] < 128) &&
		    !strchr(".+!_-", s[i]))
			return 0;
	return 1;
}

int pypi_filename_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 255 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) && (unsigned char)s[i] < 128) &&
		    !strchr(".+!_-", s[i]))
			return 0;
	return 1;
}

int pypi_text_check(const char *field, const char *s, size_t max, struct nb_err *e)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	if (n > max)
		return nb_fail(e, NB_INVALID, "%s is longer than %zu bytes", field, max);
	if (!utf8_valid(s, n))
		return nb_fail(e, NB_INVALID, "%s is not UTF-8 text", field);
	for (; *p; p++)
		/* C0 and DEL; C1 (U+0080..U+009F) is 0xC2 0x80..0x9F in UTF-8 */
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return nb_fail(e, NB_INVALID, "%s holds a control character "
				       "(one line of text without C0, DEL or C1)", field);
	return 0;
}

int pypi_hash3_ok(const char *s)
{
	return hash_is_hex(s, 3);
}

int pypi_hash13_ok(const char *s)
{
	return hash_is_hex(s, 13);
}

/* The routes' validators: the predicates above as req.h wants them. */
#define PYPI_VALID(fn, pred) \
	int fn(const struct app *app, const struct req_field *f, const char *raw, \
	       struct req_value *out, struct nb_err *e) \
	{ \
		(void)app, (void)f, (void)out, (void)e; \
		return pred(raw) ? 0 : -1; \
	}

PYPI_VALID(pypi_ident_valid, pypi_ident_ok)
PYPI_VALID(pypi_project_valid, pypi_project_ok)
PYPI_VALID(pypi_version_valid, pypi_version_ok)
PYPI_VALID(pypi_filename_valid, pypi_filename_ok)
PYPI_VALID(pypi_hash3_valid, pypi_hash3_ok)
PYPI_VALID(pypi_hash13_valid, pypi_hash13_ok)

static int ends_with(const char *s, const char *suffix, size_t *stem)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n <= m || strcmp(s + n - m, suffix))
		return 0;
	*stem = n - m;
	return 1;
}

/* Copies [p, p+n) into out (cap PYPI_NAME_MAX); -1 when it does not fit or is empty. */
static int take(char *out, const char *p, size_t n)
{
	if (n == 0 || n >= PYPI_NAME_MAX)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* PEP 427: 5 or 6 '-'-separated parts; name and version carry no '-'. */
static int wheel_parse(const char *f, size_t stem, struct pypi_fname *out, struct nb_err *e)
{
	const char *dash[6];
	int nd = 0;
	size_t i;

	for (i = 0; i < stem; i++) {
		if (f[i] != '-')
			continue;
		if (nd == 5) {
			return nb_fail(e, NB_INVALID,
				       "a wheel name has at most six '-'-separated parts");
		}
		dash[nd++] = f + i;
	}
	if (nd < 4) {
		return nb_fail(e, NB_INVALID, "a wheel name is {name}-{version}[-{build}]-"
			       "{python}-{abi}-{platform}.whl");
	}
	out->kind = PYPI_WHEEL;
	if (take(out->name, f, (size_t)(dash[0] - f)) < 0 ||
	    take(out->version, dash[0] + 1, (size_t)(dash[1] - dash[0] - 1)) < 0) {
		return nb_fail(e, NB_INVALID,
			       "the wheel's name or version part is empty or too long");
	}
	return 0;
}

static const char *const sdist_ext[] = { ".tar.gz", ".zip", ".tar.bz2", ".tgz", NULL };

/*
 * An sdist's name may contain '-' (old setuptools kept it): the project
 * name says how many parts belong to it.  Without it, the last '-' splits.
 */
static int sdist_parse(const char *f, size_t stem, const char *project,
		       struct pypi_fname *out, struct nb_err *e)
{
	const char *split = NULL;
	size_t i;

	out->kind = PYPI_SDIST;
	if (project) {
		size_t pl = strlen(project);
		if (pl < stem && f[pl] == '-')
			split = f + pl;
	}
	if (!split)
		for (i = stem; i-- > 0;)
			if (f[i] == '-') {
				split = f + i;
				break;
			}
	if (!split || take(out->name, f, (size_t)(split - f)) < 0 ||
	    take(out->version, split + 1, stem - (size_t)(split - f) - 1) < 0) {
		return nb_fail(e, NB_INVALID,
			       "an sdist name is {name}-{version}.tar.gz (or .zip)");
	}
	return 0;
}

int pypi_fname_parse(const char *filename, const char *project,
		     struct pypi_fname *out, struct nb_err *e)
{
	size_t stem;
	int i;

	memset(out, 0, sizeof(*out));
	if (!pypi_filename_ok(filename)) {
		return nb_fail(e, NB_INVALID,
			       "the file name holds characters a distribution name may not");
	}
	if (ends_with(filename, ".whl", &stem))
		return wheel_parse(filename, stem, out, e);
	for (i = 0; sdist_ext[i]; i++)
		if (ends_with(filename, sdist_ext[i], &stem))
			return sdist_parse(filename, stem, project, out, e);
	return nb_fail(e, NB_INVALID, "not a wheel (.whl) or an sdist (.tar.gz, .zip)");
}

/* The q of one media range "type;q=0.5;…" (1 when absent, 0 when unparsable). */
static double accept_q(const char *params, size_t n)
{
	const char *p = params, *end = params + n;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;
		while (p < e && (*p == ' ' || *p == '\t' || *p == ';'))
			p++;
		if (e - p > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			char num[16];
			size_t l = (size_t)(e - p - 2);
			char *stop;
			double q;
			if (l >= sizeof(num))
				return 0;
			memcpy(num, p + 2, l);
			num[l] = '\0';
			q = strtod(num, &stop);
			while (*stop == ' ')
				stop++;
			return (*stop || q < 0 || q > 1) ? 0 : q;
		}
		p = semi ? semi + 1 : end;
	}
	return 1;
}

static int range_is(const char *p, size_t n, const char *type)
{
	return strlen(type) == n && strncasecmp(p, type, n) == 0;
}

/* The format a media range names, or PYPI_NONE; a wildcard stands for HTML. */
static enum pypi_fmt range_fmt(const char *p, size_t n)
{
	if (range_is(p, n, "application/vnd.pypi.simple.v1+json") ||
	    range_is(p, n, "application/vnd.pypi.simple.latest+json"))
		return PYPI_JSON;
	if (range_is(p, n, "application/vnd.pypi.simple.v1+html") ||
	    range_is(p, n, "application/vnd.pypi.simple.latest+html") ||
	    range_is(p, n, "text/html") || range_is(p, n, "text/*") || range_is(p, n, "*/*"))
		return PYPI_HTML;
	return PYPI_NONE;
}

/*
 * PEP 691: the client lists media ranges with q-values; the best one we
 * serve wins, JSON on a tie (pip lists it first).  Nothing we serve
 * acceptable: PYPI_NONE (answer 406).
 */
enum pypi_fmt pypi_accept(const char *accept)
{
	const char *p = accept;
	double best = 0;
	enum pypi_fmt fmt = PYPI_NONE;

	if (!accept || !*accept)
		return PYPI_HTML;
	while (*p) {
		const char *comma = strchr(p, ','), *e, *semi, *t;
		size_t tl;
		enum pypi_fmt f;
		double q;
		e = comma ? comma : p + strlen(p);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		semi = memchr(p, ';', (size_t)(e - p));
		t = semi ? semi : e;
		tl = (size_t)(t - p);
		while (tl && (p[tl - 1] == ' ' || p[tl - 1] == '\t'))
			tl--;
		f = range_fmt(p, tl);
		q = semi ? accept_q(semi, (size_t)(e - semi)) : 1;
		if (f != PYPI_NONE && q > 0 && (q > best || (q == best && f == PYPI_JSON))) {
			best = q;
			fmt = f;
		}
		p = comma ? comma + 1 : e;
	}
	return fmt;
}
