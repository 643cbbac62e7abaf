/*
 * Names, paths and the small encodings the OTA client checks byte for
 * byte: its path rules, zlib's crc32 and Python's json.dumps string form;
 * and the methods a path's routes take (the catch-alls' 405).
 * Nothing here touches the store or libgit2 (the fuzz targets link it).
 */
#include "ota.h"
#include "../lib/path.h"
#include "../lib/route.h"
#include "../lib/utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int name_char(unsigned char c)
{
	return alnum(c) || c == '.' || c == '_' || c == '-';
}

/*
 * GitHub's rules (docs.github.com: "Repository limits", section "Repository
 * name"; the sign-up form's rule for account names: "may only contain
 * alphanumeric characters or single hyphens, and cannot begin or end with
 * a hyphen", at most 39).  A repository name ending in ".git" is never one
 * on GitHub (the suffix is dropped at creation) and ".wiki" is reserved for
 * wikis.  Beyond GitHub's: a name of dots only ("...") reads as a relative
 * step to path normalizers, and a leading '-' as an option to git and
 * shell tools, so neither names a repository here.
 */
int ota_owner_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > OTA_OWNER_MAX || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!alnum((unsigned char)s[i]) && !(s[i] == '-' && s[i + 1] != '-'))
			return 0;	/* a hyphen alone, never two in a row */
	return 1;
}

static int ends_with_ci(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

int ota_repo_name_ok(const char *s)
{
	size_t n = strlen(s), i, dots = 0;

	if (n == 0 || n > OTA_NAME_MAX || s[0] == '-' || ends_with_ci(s, n, ".git") ||
	    ends_with_ci(s, n, ".wiki"))
		return 0;
	for (i = 0; i < n; i++) {
		if (!name_char((unsigned char)s[i]))
			return 0;
		dots += s[i] == '.';
	}
	return dots < n;
}

int ota_repo_ok(const char *owner, const char *name)
{
	return ota_owner_ok(owner) && ota_repo_name_ok(name);
}

int ota_ref_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > OTA_REF_MAX || s[0] == '.' || s[0] == '-' || strstr(s, "..") ||
	    (n >= 5 && !strcmp(s + n - 5, ".lock")) || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!name_char((unsigned char)s[i]) && s[i] != '+')
			return 0;
	return 1;
}

/* git's root-ref syntax (refs.c, is_pseudoref_syntax): only capitals, '_'
 * and '-'; such a name ending in "HEAD" (HEAD, FETCH_HEAD, ORIG_HEAD, ...)
 * or one of git's other root refs is read by `git rev-parse` as that file
 * of the repository, before refs/tags/ and refs/heads/. */
static int git_root_ref(const char *s)
{
	static const char *const other[] = { "AUTO_MERGE", "BISECT_EXPECTED_REV",
					     "NOTES_MERGE_PARTIAL", "NOTES_MERGE_REF",
					     "MERGE_AUTOSTASH" };
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' || s[i] == '-'))
			return 0;
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (!strcmp(s, other[i]))
			return 1;
	return n >= 4 && !strcmp(s + n - 4, "HEAD");
}

/* 40 hex digits of either case: git takes such a name for an object id. */
static int full_hex(const char *s)
{
	int i;

	for (i = 0; i < 40; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[40] == '\0';
}

int ota_ref_new_ok(const char *s)
{
	return ota_ref_ok(s) && !git_root_ref(s) && !full_hex(s);
}

int ota_sha_ok(const char *s)
{
	int i;

	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[40] == '\0';
}

/* The first rule of ota_path_ok that p breaks, or NULL.  The segment limits
 * are the router's (lib/path.h) less the raw route's own segments, so that
 * every path published is one /ota/raw/ serves. */
_Static_assert(OTA_PATH_SEGS == PATH_MAX_SEGS - OTA_RAW_PREFIX_SEGS,
	       "a published path must fit the raw route");

const char *ota_path_fault(const char *p)
{
	const char *s = p;
	size_t n = strlen(p);
	int segs = 0;

	if (n == 0 || n > OTA_PATH_MAX)
		return "empty or longer than " OTA_STR(OTA_PATH_MAX) " bytes";
	if (p[0] == '/')
		return "a leading '/'";
	if (!utf8_valid(p, n))
		return "not UTF-8";
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\')
			return "a control byte or '\\'";
	for (s = p;;) {
		const char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == 0 || (l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
			return "an empty, '.' or '..' segment";
		if (l > PATH_SEG_MAX)
			return "a name longer than " OTA_STR(PATH_SEG_MAX) " bytes";
		if (++segs > OTA_PATH_SEGS)
			return "deeper than " OTA_STR(OTA_PATH_SEGS) " names";
		if (!e)
			return NULL;
		s = e + 1;
	}
}

int ota_path_ok(const char *p)
{
	return ota_path_fault(p) == NULL;
}

const char *ota_route_allow(const struct app *app, struct http_req *r)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "PATCH" };
	const struct route *hit;
	struct route_params rp;
	const char *allow = NULL;
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		enum route_result res = route_match(r->a, app->def->routes, app->def->nroutes,
						    methods[i], &r->path, &hit, &rp);
		/* the catch-all itself matches every method: not a route of the path */
		if (res != ROUTE_OK || hit == r->route)
			continue;
		allow = allow ? arena_cat(r->a, allow, ", ", methods[i], NULL) : methods[i];
		/* the router answers HEAD wherever GET is taken (route.c) */
		if (!strcmp(methods[i], "GET"))
			allow = arena_cat(r->a, allow, ", HEAD", NULL);
	}
	return allow;
}

/* The length of the UTF-8 character at s (1-4), or 0 when s starts no
 * well-formed one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : s[0] >= 0xE0 && s[0] < 0xF0 ? 3
		   : s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : 0;
	size_t i;

	for (i = 1; i < n; i++)
		if (!s[i])
			return 0;	/* cut short by the end */
	return n && utf8_valid((const char *)s, n) ? n : 0;
}

const char *ota_path_show(struct arena *a, const char *p, size_t max)
{
	const unsigned char *s = (const unsigned char *)p;
	struct buf b;
	size_t n;

	buf_init(&b, a);
	while (*s) {
		n = utf8_len(s);
		if (b.len + (n ? n : 4) > max) {
			buf_adds(&b, "...");
			break;
		}
		if (n && !(n == 1 && (s[0] < 0x20 || s[0] == 0x7f))) {
			buf_add(&b, s, n);
			s += n;
		} else {
			buf_printf(&b, "\\x%02x", *s++);
		}
	}
	return buf_cstr(&b);
}

int ota_path_hidden(const char *p)
{
	const char *s;

	if (p[0] == '.')
		return 1;
	for (s = p; (s = strchr(s, '/')); s++)
		if (s[1] == '.')
			return 1;
	return 0;
}

/* The reflected CRC-32 (polynomial 0xEDB88320), bit by bit: publishing is
 * not hot and a table would be one more thing to get wrong. */
uint32_t ota_crc32(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;
	int k;

	crc = ~crc;
	for (i = 0; i < n; i++) {
		crc ^= b[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* Decodes one UTF-8 sequence (already validated) at s; returns its length. */
static int utf8_next(const unsigned char *s, unsigned long *cp)
{
	if (s[0] < 0xE0) {
		*cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
		return 2;
	}
	if (s[0] < 0xF0) {
		*cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
		return 3;
	}
	*cp = ((s[0] & 0x07ul) << 18) | ((s[1] & 0x3Ful) << 12) | ((s[2] & 0x3Ful) << 6) |
	      (s[3] & 0x3Ful);
	return 4;
}

static void add_u(struct buf *b, unsigned long u)
{
	buf_printf(b, "\\u%04lx", u);
}

int ota_json_pystr(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!utf8_valid(s, strlen(s)))
		return -1;
	buf_addc(b, '"');
	while (*p) {
		unsigned long cp;
		switch (*p) {
		case '"': buf_adds(b, "\\\""); p++; continue;
		case '\\': buf_adds(b, "\\\\"); p++; continue;
		case '\b': buf_adds(b, "\\b"); p++; continue;
		case '\f': buf_adds(b, "\\f"); p++; continue;
		case '\n': buf_adds(b, "\\n"); p++; continue;
		case '\r': buf_adds(b, "\\r"); p++; continue;
		case '\t': buf_adds(b, "\\t"); p++; continue;
		}
		if (*p >= 0x20 && *p < 0x7f) {
			buf_addc(b, (char)*p++);
			continue;
		}
		if (*p < 0x80) {
			add_u(b, *p++);
			continue;
		}
		p += utf8_next(p, &cp);
		if (cp > 0xFFFF) {	/* Python writes a surrogate pair */
			cp -= 0x10000;
			add_u(b, 0xD800 | (cp >> 10));
			add_u(b, 0xDC00 | (cp & 0x3FF));
		} else {
			add_u(b, cp);
		}
	}
	buf_addc(b, '"');
	return 0;
}

int ota_asset_name_ok(const char *s)
{
	return !strcmp(s, "manifest.json");
}

/* The declared input of ota.fcgi's routes (req.h): each a predicate above;
 * a refusal is the router's 400 "invalid <field>". */
int ota_owner_valid(const struct app *app, const struct req_field *f, const char *raw,
		    struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return ota_owner_ok(raw) ? 0 : -1;
}

int ota_repo_valid(const struct app *app, const struct req_field *f, const char *raw,
		   struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return ota_repo_name_ok(raw) ? 0 : -1;
}

int ota_ref_valid(const struct app *app, const struct req_field *f, const char *raw,
		  struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return ota_ref_ok(raw) ? 0 : -1;
}

int ota_sha_valid(const struct app *app, const struct req_field *f, const char *raw,
		  struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return ota_sha_ok(raw) ? 0 : -1;
}

int ota_asset_name_valid(const struct app *app, const struct req_field *f, const char *raw,
			 struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return ota_asset_name_ok(raw) ? 0 : -1;
}
