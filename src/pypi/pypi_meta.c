/*
 * Core metadata: found inside an uploaded wheel or sdist (libarchive) and
 * parsed as the RFC 822-style header block the Core Metadata spec uses.
 * What a client types into the upload form is not trusted: the summary,
 * Requires-Python and Requires-Dist shown to pip come from here.
 */
#include "pypi.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#define META_MAX_DIST 512	/* Requires-Dist lines kept */

/* One header's value, continuation lines joined with '\n' (as email does). */
static char *header_value(struct arena *a, const char **pp, const char *end)
{
	const char *p = *pp;
	struct buf b;

	buf_init(&b, a);
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t n = (size_t)(e - p);
		while (n && (p[n - 1] == '\r'))
			n--;
		buf_add(&b, p, n);
		p = nl ? nl + 1 : end;
		if (p >= end || (*p != ' ' && *p != '\t'))
			break;
		buf_addc(&b, '\n');
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
	}
	*pp = p;
	return (char *)buf_cstr(&b);
}

static const char *trim(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Files one header into out; -1 only when there are too many. */
static int keep(struct arena *a, struct pypi_meta *out, const char *key, size_t kl,
		const char *v)
{
#define IS(k) (kl == sizeof(k) - 1 && strncasecmp(key, k, kl) == 0)
	if (IS("Metadata-Version"))
		out->metadata_version = v;
	else if (IS("Name"))
		out->name = v;
	else if (IS("Version"))
		out->version = v;
	else if (IS("Summary"))
		out->summary = v;
	else if (IS("Requires-Python"))
		out->requires_python = v;
	else if (IS("Requires-Dist")) {
		if (out->nrequires_dist == META_MAX_DIST)
			return -1;
		if (out->nrequires_dist % 16 == 0) {
			const char **n = arena_alloc(a, sizeof(*n) * (size_t)(out->nrequires_dist + 17));
			if (out->nrequires_dist)
				memcpy(n, out->requires_dist, sizeof(*n) * (size_t)out->nrequires_dist);
			out->requires_dist = n;
		}
		out->requires_dist[out->nrequires_dist++] = v;
		out->requires_dist[out->nrequires_dist] = NULL;
	}
	return 0;
#undef IS
}

int pypi_meta_parse(struct arena *a, const char *text, size_t len,
		    struct pypi_meta *out, struct nb_err *e)
{
	const char *p = text, *end = text + len;
	static const char *const none[] = { NULL };

	memset(out, 0, sizeof(*out));
	out->requires_dist = (const char **)none;
	if (memchr(text, '\0', len)) {
		return nb_fail(e, NB_INVALID, "the metadata holds a NUL byte");
	}
	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
		const char *colon = p, *v;
		while (colon < end && *colon != ':' && *colon != '\n')
			colon++;
		if (colon >= end || *colon != ':' || colon == p || *p == ' ' || *p == '\t') {
			return nb_fail(e, NB_INVALID, "a metadata header line is not 'Name: value'");
		}
		v = colon + 1;
		if (keep(a, out, p, (size_t)(colon - p), trim(header_value(a, &v, end))) < 0) {
			return nb_fail(e, NB_INVALID, "too many Requires-Dist lines");
		}
		p = v;
	}
	if (!out->name || !*out->name || !out->version || !*out->version) {
		return nb_fail(e, NB_INVALID, "the metadata has no Name or no Version");
	}
	if (!out->metadata_version)
		out->metadata_version = "";
	if (!out->summary)
		out->summary = "";
	if (!out->requires_python)
		out->requires_python = "";
	return 0;
}

/* The top directory of an archive path ("./" dropped): its length, or 0
 * when p is not exactly one level below it. */
static size_t top_dir(const char **pp)
{
	const char *p = *pp, *slash;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	*pp = p;
	slash = strchr(p, '/');
	if (!slash || slash == p || strchr(slash + 1, '/'))
		return 0;
	return (size_t)(slash - p);
}

/* What reading a whole distribution found. */
struct dist_scan {
	enum pypi_kind kind;
	const struct pypi_fname *fn;	/* NULL: the name is not checked */
	int have_meta, have_wheel, have_record;
	int other_info;			/* a .dist-info not of fn's name and version */
	char *text;
	size_t len;
};

/*
 * 1 when dir (n bytes) is the wheel's {name}-{version}.dist-info that fn
 * names (PEP 427: the name escaped, compared normalized), or any
 * .dist-info when fn is NULL.
 */
static int own_dist_info(struct arena *a, const char *dir, size_t n, const struct pypi_fname *fn)
{
	const char *dash;
	char *name;

	if (n <= 10 || memcmp(dir + n - 10, ".dist-info", 10))
		return 0;
	if (!fn)
		return 1;
	n -= 10;
	dash = memrchr(dir, '-', n);
	if (!dash)
		return 0;
	name = arena_strndup(a, dir, (size_t)(dash - dir));
	return strlen(fn->version) == (size_t)(dir + n - dash - 1) &&
	       !memcmp(dash + 1, fn->version, strlen(fn->version)) &&
	       !strcmp(pypi_normalize(a, name), pypi_normalize(a, fn->name));
}

/* Reads the current entry whole (at most max bytes, the rest an error). */
static int entry_bytes(struct arena *a, struct archive *ar, size_t max, char **text, size_t *len)
{
	struct buf b;
	char chunk[16384];
	la_ssize_t n;

	buf_init(&b, a);
	while ((n = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
		if (b.len + (size_t)n > max)
			return -1;
		buf_add(&b, chunk, (size_t)n);
	}
	if (n < 0)
		return -1;
	*text = (char *)buf_cstr(&b);
	*len = b.len;
	return 0;
}

/* Reads the current entry to its end, so that libarchive checks its CRC. */
static int entry_skim(struct archive *ar)
{
	char chunk[16384];
	la_ssize_t n;

	while ((n = archive_read_data(ar, chunk, sizeof(chunk))) > 0)
		;
	return n < 0 ? -1 : 0;
}

/* One entry: the core metadata kept, the rest read through. */
static int scan_entry(struct arena *a, struct archive *ar, struct archive_entry *ent,
		      struct dist_scan *s)
{
	const char *p = archive_entry_pathname(ent);
	size_t top;

	if (!p || archive_entry_filetype(ent) != AE_IFREG)
		return entry_skim(ar);
	top = top_dir(&p);
	if (top && s->kind == PYPI_WHEEL && !own_dist_info(a, p, top, s->fn))
		s->other_info |= own_dist_info(a, p, top, NULL);
	else if (top && s->kind == PYPI_WHEEL) {
		s->have_wheel |= !strcmp(p + top + 1, "WHEEL");
		s->have_record |= !strcmp(p + top + 1, "RECORD");
		if (!s->have_meta && !strcmp(p + top + 1, "METADATA")) {
			s->have_meta = 1;
			return entry_bytes(a, ar, PYPI_META_MAX, &s->text, &s->len);
		}
	} else if (top && s->kind == PYPI_SDIST && !s->have_meta &&
		   !strcmp(p + top + 1, "PKG-INFO")) {
		s->have_meta = 1;
		return entry_bytes(a, ar, PYPI_META_MAX, &s->text, &s->len);
	}
	return entry_skim(ar);
}

/* What a complete archive still lacks, or NULL. */
static const char *missing(const struct dist_scan *s)
{
	if (s->kind == PYPI_SDIST)
		return s->have_meta ? NULL : "not a valid sdist: no PKG-INFO at its top";
	if (!s->have_meta && s->other_info)
		return "not a valid wheel: the file name does not carry the name and version "
		       "of its .dist-info";
	if (!s->have_meta)
		return "not a valid wheel: no .dist-info/METADATA";
	if (!s->have_wheel || !s->have_record)
		return "not a valid wheel: its .dist-info lacks WHEEL or RECORD";
	return NULL;
}

/*
 * Why a member's path could land outside the directory an installer
 * unpacks into (pip refuses such archives; a naive unzip does not), or
 * NULL: absolute ("/x", "C:x"), a ".." component, or a backslash (a
 * directory separator on Windows, so "..\\x" climbs there).  The name
 * is not quoted back: it is the sender's bytes.
 */
static const char *member_path_bad(const char *p)
{
	const char *c;

	if (!*p)
		return "a member without a name";
	if (p[0] == '/' || (isalpha((unsigned char)p[0]) && p[1] == ':'))
		return "a member with an absolute path";
	if (strchr(p, '\\'))
		return "a member name with a backslash";
	for (c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2]))
			return "a member path with a '..' component";
	return NULL;
}

/*
 * Reads every entry of the archive to its end: a truncated file, a
 * missing central directory or a bad CRC fails here rather than in pip.
 */
static int scan(struct arena *a, struct archive *ar, struct dist_scan *s, struct nb_err *e)
{
	const char *what = s->kind == PYPI_WHEEL ? "wheel" : "sdist", *why;
	struct archive_entry *ent;
	int h;

	while ((h = archive_read_next_header(ar, &ent)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(ent);
		if ((why = member_path_bad(p ? p : "")))
			return nb_fail(e, NB_INVALID, "not a valid %s: %s", what, why);
		if (scan_entry(a, ar, ent, s) < 0)
			return nb_fail(e, NB_INVALID, "not a valid %s: an entry is damaged, "
				       "truncated or its metadata larger than 1 MiB", what);
	}
	if (h != ARCHIVE_EOF)
		return nb_fail(e, NB_INVALID, "not a valid %s: the archive is truncated or "
			       "unreadable", what);
	if ((why = missing(s)))
		return nb_fail(e, NB_INVALID, "%s", why);
	return 0;
}

/* Wheels are zip files; sdists gzip/bzip2 tar or zip; nothing else is tried. */
static struct archive *open_reader(enum pypi_kind kind)
{
	struct archive *ar = archive_read_new();

	if (!ar)
		return NULL;
	/* a wheel is read by its central directory (its end must be there);
	 * an sdist zip the same */
	archive_read_support_format_zip_seekable(ar);
	if (kind == PYPI_SDIST) {
		archive_read_support_format_tar(ar);
		archive_read_support_filter_gzip(ar);
		archive_read_support_filter_bzip2(ar);
	}
	return ar;
}

/* Scans an opened reader into text/len; frees ar. */
static int read_dist(struct arena *a, struct archive *ar, enum pypi_kind kind,
		     const struct pypi_fname *fn, char **text, size_t *len, struct nb_err *e)
{
	struct dist_scan s = { .kind = kind, .fn = fn };
	int rc = scan(a, ar, &s, e);

	archive_read_free(ar);
	if (rc == 0) {
		*text = s.text;
		*len = s.len;
	}
	return rc;
}

static int open_fail(struct archive *ar, enum pypi_kind kind, struct nb_err *e)
{
	if (ar)
		archive_read_free(ar);
	return nb_fail(e, NB_INVALID, "not a valid %s: not a readable archive",
		       kind == PYPI_WHEEL ? "wheel" : "sdist");
}

int pypi_dist_read(struct arena *a, int fd, const struct pypi_fname *fn,
		   char **text, size_t *len, struct nb_err *e)
{
	struct archive *ar = open_reader(fn->kind);

	if (!ar || lseek(fd, 0, SEEK_SET) < 0 ||
	    archive_read_open_fd(ar, fd, 65536) != ARCHIVE_OK)
		return open_fail(ar, fn->kind, e);
	return read_dist(a, ar, fn->kind, fn, text, len, e);
}

int pypi_meta_read(struct arena *a, int fd, enum pypi_kind kind,
		   char **text, size_t *len, struct nb_err *e)
{
	struct archive *ar = open_reader(kind);

	if (!ar || lseek(fd, 0, SEEK_SET) < 0 ||
	    archive_read_open_fd(ar, fd, 65536) != ARCHIVE_OK)
		return open_fail(ar, kind, e);
	return read_dist(a, ar, kind, NULL, text, len, e);
}

int pypi_meta_read_mem(struct arena *a, const void *p, size_t n, enum pypi_kind kind,
		       char **text, size_t *len, struct nb_err *e)
{
	struct archive *ar = open_reader(kind);

	if (!ar || archive_read_open_memory(ar, p, n) != ARCHIVE_OK)
		return open_fail(ar, kind, e);
	return read_dist(a, ar, kind, NULL, text, len, e);
}
