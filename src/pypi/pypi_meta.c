/*
 * Core metadata: found inside an uploaded wheel or sdist (libarchive) and
 * parsed as the RFC 822-style header block the Core Metadata spec uses.
 * What a client types into the upload form is not trusted: the summary,
 * Requires-Python and Requires-Dist shown to pip come from here.
 */
#include "pypi.h"

#include <archive.h>
#include <archive_entry.h>
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

/* 1 when an archive entry is the core metadata file this kind keeps. */
static int is_meta_entry(const char *p, enum pypi_kind kind)
{
	const char *slash;
	size_t top;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	slash = strchr(p, '/');
	if (!slash || strchr(slash + 1, '/'))
		return 0;
	top = (size_t)(slash - p);
	if (kind == PYPI_WHEEL)
		return top > 10 && !memcmp(slash - 10, ".dist-info", 10) &&
		       !strcmp(slash + 1, "METADATA");
	return top > 0 && !strcmp(slash + 1, "PKG-INFO");
}

/* Reads the current entry whole (at most PYPI_META_MAX bytes). */
static int entry_bytes(struct arena *a, struct archive *ar, char **text, size_t *len)
{
	struct buf b;
	char chunk[16384];
	la_ssize_t n;

	buf_init(&b, a);
	while ((n = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
		if (b.len + (size_t)n > PYPI_META_MAX)
			return -1;
		buf_add(&b, chunk, (size_t)n);
	}
	if (n < 0)
		return -1;
	*text = (char *)buf_cstr(&b);
	*len = b.len;
	return 0;
}

static int scan(struct arena *a, struct archive *ar, enum pypi_kind kind,
		char **text, size_t *len, struct nb_err *e)
{
	struct archive_entry *ent;
	int h;

	while ((h = archive_read_next_header(ar, &ent)) == ARCHIVE_OK || h == ARCHIVE_WARN) {
		const char *p = archive_entry_pathname(ent);
		if (!p || archive_entry_filetype(ent) != AE_IFREG || !is_meta_entry(p, kind))
			continue;
		if (entry_bytes(a, ar, text, len) < 0)
			return nb_fail(e, NB_INVALID,
				       "the metadata file is unreadable or larger than 1 MiB");
		return 0;
	}
	return nb_fail(e, NB_INVALID, "%s", h == ARCHIVE_EOF ?
		       (kind == PYPI_WHEEL ? "not a valid wheel: no .dist-info/METADATA" :
			"not a valid sdist: no PKG-INFO at its top") :
		       "not a readable wheel or sdist archive");
}

/* Wheels are zip files; sdists gzip/bzip2 tar or zip; nothing else is tried. */
static struct archive *open_reader(enum pypi_kind kind)
{
	struct archive *ar = archive_read_new();

	if (!ar)
		return NULL;
	archive_read_support_format_zip(ar);
	if (kind == PYPI_SDIST) {
		archive_read_support_format_tar(ar);
		archive_read_support_filter_gzip(ar);
		archive_read_support_filter_bzip2(ar);
	}
	return ar;
}

int pypi_meta_read(struct arena *a, int fd, enum pypi_kind kind,
		   char **text, size_t *len, struct nb_err *e)
{
	struct archive *ar = open_reader(kind);
	int rc;

	if (!ar || lseek(fd, 0, SEEK_SET) < 0 ||
	    archive_read_open_fd(ar, fd, 65536) != ARCHIVE_OK) {
		if (ar)
			archive_read_free(ar);
		return nb_fail(e, NB_INVALID, "not a readable wheel or sdist archive");
	}
	rc = scan(a, ar, kind, text, len, e);
	archive_read_free(ar);
	return rc;
}

int pypi_meta_read_mem(struct arena *a, const void *p, size_t n, enum pypi_kind kind,
		       char **text, size_t *len, struct nb_err *e)
{
	struct archive *ar = open_reader(kind);
	int rc;

	if (!ar || archive_read_open_memory(ar, p, n) != ARCHIVE_OK) {
		if (ar)
			archive_read_free(ar);
		return nb_fail(e, NB_INVALID, "not a readable wheel or sdist archive");
	}
	rc = scan(a, ar, kind, text, len, e);
	archive_read_free(ar);
	return rc;
}
