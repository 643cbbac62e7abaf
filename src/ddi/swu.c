#include "swu.h"
#include "../lib/json_in.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libconfig.h>

#define CPIO_HDR 110

static int hexfield(const char *p, unsigned long *out)
{
	unsigned long v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static off_t pad4(off_t v)
{
	return (v + 3) & ~(off_t)3;
}

int swu_get(const struct swu_src *src, void *buf, size_t n, off_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = src->pread(src->ctx, (char *)buf + got, n - got, off + (off_t)got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int swu_scan(const struct swu_src *src, struct swu_info *out, struct nb_err *e)
{
	off_t off = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		char h[CPIO_HDR + 1], name[256];
		unsigned long fsize, nsize;
		off_t data;

		if (off + CPIO_HDR > src->size || swu_get(src, h, CPIO_HDR, off) < 0) {
			nb_fail(e, NB_INVALID, "truncated: the archive ends inside a member header");
			return -1;
		}
		if (memcmp(h, "070701", 6) && memcmp(h, "070702", 6)) {
			nb_fail(e, NB_INVALID, "not a .swu: no cpio newc/crc header at byte %lld",
				 (long long)off);
			return -1;
		}
		if (hexfield(h + 54, &fsize) < 0 || hexfield(h + 94, &nsize) < 0 ||
		    nsize < 2 || nsize > sizeof(name)) {
			nb_fail(e, NB_INVALID, "corrupt cpio header at byte %lld", (long long)off);
			return -1;
		}
		if (off + CPIO_HDR + (off_t)nsize > src->size ||
		    swu_get(src, name, nsize, off + CPIO_HDR) < 0 || name[nsize - 1] != '\0' ||
		    memchr(name, '\0', nsize - 1)) {
			nb_fail(e, NB_INVALID, "corrupt member name at byte %lld", (long long)off);
			return -1;
		}
		data = pad4(off + CPIO_HDR + (off_t)nsize);
		if (!strcmp(name, "TRAILER!!!"))
			break;
		if (data + (off_t)fsize > src->size) {
			nb_fail(e, NB_INVALID, "truncated: %s needs %lu bytes the file does not have",
				 name, fsize);
			return -1;
		}
		if (out->nmember == SWU_MAX_MEMBERS) {
			nb_fail(e, NB_INVALID, "more than %d members", SWU_MAX_MEMBERS);
			return -1;
		}
		snprintf(out->member[out->nmember].name, sizeof(out->member[0].name), "%s", name);
		out->member[out->nmember].offset = data;
		out->member[out->nmember].size = (off_t)fsize;
		out->nmember++;
		if (!strcmp(name, "sw-description.sig"))
			out->signed_ = 1;
		off = pad4(data + (off_t)fsize);
	}
	if (out->nmember == 0 || strcmp(out->member[0].name, "sw-description")) {
		nb_fail(e, NB_INVALID, "not a .swu: the first member is not sw-description");
		return -1;
	}
	return 0;
}

/*
 * A value into a fixed field of swu_info, or -1 with e naming the field
 * and its limit: what cannot be stored whole is refused, never cut.
 */
static int put(char *dst, size_t n, const char *v, const char *field, struct nb_err *e)
{
	size_t len = strlen(v);

	if (len >= n) {
		nb_fail(e, NB_INVALID, "sw-description: %s is %zu bytes, at most %zu", field, len,
			 n - 1);
		return -1;
	}
	memcpy(dst, v, len + 1);
	return 0;
}

/*
 * One compatibility entry; the same pair listed again (a board's list
 * repeated in each collection) is kept once.  -1 with e past
 * SWU_MAX_COMPAT distinct entries or a value too long to store.
 */
static int add_compat(struct swu_info *out, const char *board, const char *rev, struct nb_err *e)
{
	struct swu_compat c;
	int i;

	if (!rev)
		return 0;
	if (put(c.board, sizeof(c.board), board, "a hardware-compatibility board", e) < 0 ||
	    put(c.revision, sizeof(c.revision), rev, "a hardware-compatibility revision", e) < 0)
		return -1;
	for (i = 0; i < out->ncompat; i++)
		if (!strcmp(out->compat[i].board, c.board) &&
		    !strcmp(out->compat[i].revision, c.revision))
			return 0;
	if (out->ncompat == SWU_MAX_COMPAT) {
		nb_fail(e, NB_INVALID, "sw-description: more than %d hardware-compatibility entries",
			 SWU_MAX_COMPAT);
		return -1;
	}
	out->compat[out->ncompat++] = c;
	return 0;
}

/* hardware-compatibility under a libconfig group, for one board ("" any). */
static int lc_compat(config_setting_t *g, const char *board, struct swu_info *out, struct nb_err *e)
{
	config_setting_t *hc = g ? config_setting_get_member(g, "hardware-compatibility") : NULL;
	int i, n = hc ? config_setting_length(hc) : 0;

	for (i = 0; i < n; i++)
		if (add_compat(out, board, config_setting_get_string_elem(hc, i), e) < 0)
			return -1;
	return 0;
}

/* Boards, and collections below them (software.<board>.<collection>). */
static int lc_boards(config_setting_t *sw, struct swu_info *out, struct nb_err *e)
{
	int i, n = config_setting_length(sw);

	for (i = 0; i < n; i++) {
		config_setting_t *b = config_setting_get_elem(sw, (unsigned)i);
		int j, m;
		if (!config_setting_is_group(b) || !config_setting_name(b))
			continue;
		if (lc_compat(b, config_setting_name(b), out, e) < 0)
			return -1;
		m = config_setting_length(b);
		for (j = 0; j < m; j++) {
			config_setting_t *c = config_setting_get_elem(b, (unsigned)j);
			if (config_setting_is_group(c) &&
			    lc_compat(c, config_setting_name(b), out, e) < 0)
				return -1;
		}
	}
	return 0;
}

static int describe_libconfig(const char *text, struct swu_info *out, struct nb_err *e)
{
	config_t cfg;
	config_setting_t *sw;
	const char *s;
	int rc;

	/*
	 * libconfig would follow "@include" to any file this process can read
	 * (and its scanner exit()s on a directory); SWUpdate forbids includes
	 * in sw-description too.  The word anywhere is refused: it has no other
	 * use there.
	 */
	if (strstr(text, "@include")) {
		nb_fail(e, NB_INVALID, "sw-description may not @include files");
		return -1;
	}
	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		nb_fail(e, NB_INVALID, "sw-description:%d: %s", config_error_line(&cfg),
			 config_error_text(&cfg));
		config_destroy(&cfg);
		return -1;
	}
	sw = config_lookup(&cfg, "software");
	if (!sw || !config_setting_is_group(sw)) {
		nb_fail(e, NB_INVALID, "sw-description has no software group");
		config_destroy(&cfg);
		return -1;
	}
	rc = (config_setting_lookup_string(sw, "version", &s) &&
	      put(out->version, sizeof(out->version), s, "software.version", e) < 0) ||
	     (config_setting_lookup_string(sw, "description", &s) &&
	      put(out->description, sizeof(out->description), s, "software.description", e) < 0) ||
	     lc_compat(sw, "", out, e) < 0 || lc_boards(sw, out, e) < 0 ? -1 : 0;
	config_destroy(&cfg);
	return rc;
}

static int js_compat(const cJSON *g, const char *board, struct swu_info *out, struct nb_err *e)
{
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(g, "hardware-compatibility"), *v;

	cJSON_ArrayForEach(v, hc)
		if (cJSON_IsString(v) && add_compat(out, board, v->valuestring, e) < 0)
			return -1;
	return 0;
}

/* A string member of sw into a field of out; absent is fine, too long is not. */
static int js_field(const cJSON *sw, const char *key, char *dst, size_t n, const char *field,
		    struct nb_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(sw, key);

	return cJSON_IsString(v) ? put(dst, n, v->valuestring, field, e) : 0;
}

static int describe_json(const char *text, size_t len, struct swu_info *out, struct nb_err *e)
{
	/* a \u0000 or a short \u would end a key or value early (json_in.h) */
	cJSON *root = json_in_has_nul(text, len) ? NULL : cJSON_ParseWithLength(text, len);
	const cJSON *sw = cJSON_GetObjectItemCaseSensitive(root, "software"), *b, *c;
	int rc;

	if (!cJSON_IsObject(sw)) {
		nb_fail(e, NB_INVALID, "sw-description (JSON) has no software object");
		cJSON_Delete(root);
		return -1;
	}
	rc = js_field(sw, "version", out->version, sizeof(out->version), "software.version", e) < 0 ||
	     js_field(sw, "description", out->description, sizeof(out->description),
		      "software.description", e) < 0 ||
	     js_compat(sw, "", out, e) < 0 ? -1 : 0;
	cJSON_ArrayForEach(b, sw) {
		if (rc < 0 || !cJSON_IsObject(b))
			continue;
		rc = js_compat(b, b->string, out, e);
		cJSON_ArrayForEach(c, b)
			if (rc == 0 && cJSON_IsObject(c))
				rc = js_compat(c, b->string, out, e);
	}
	cJSON_Delete(root);
	return rc;
}

int swu_describe(const char *text, size_t len, struct swu_info *out, struct nb_err *e)
{
	size_t i = 0;
	char *copy;
	int rc;

	out->version[0] = out->description[0] = '\0';
	out->ncompat = 0;
	if (len > SWU_DESC_MAX || memchr(text, '\0', len)) {
		nb_fail(e, NB_INVALID, "sw-description is too large or binary");
		return -1;
	}
	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
		i++;
	if (i < len && text[i] == '{')
		rc = describe_json(text, len, out, e);
	else {
		copy = strndup(text, len);
		if (!copy) {
			nb_fail(e, NB_UNAVAILABLE, "out of memory");
			return -1;
		}
		rc = describe_libconfig(copy, out, e);
		free(copy);
	}
	if (rc == 0 && !out->version[0]) {
		nb_fail(e, NB_INVALID, "sw-description has no software.version");
		return -1;
	}
	return rc;
}

static int read_desc(const struct swu_src *src, struct swu_info *out, struct nb_err *e)
{
	size_t n = (size_t)out->member[0].size;
	char *text;
	int rc;

	if (n > SWU_DESC_MAX) {
		nb_fail(e, NB_INVALID, "sw-description is too large");
		return -1;
	}
	text = malloc(n + 1);
	if (!text || swu_get(src, text, n, out->member[0].offset) < 0) {
		free(text);
		nb_fail(e, NB_UNAVAILABLE, "cannot read sw-description");
		return -1;
	}
	text[n] = '\0';
	rc = swu_describe(text, n, out, e);
	free(text);
	return rc;
}

ssize_t swu_fd_pread(void *ctx, void *buf, size_t n, off_t off)
{
	return pread(*(int *)ctx, buf, n, off);
}

int swu_read(const struct swu_src *src, struct swu_info *out, struct nb_err *e)
{
	return swu_scan(src, out, e) < 0 || read_desc(src, out, e) < 0 ? -1 : 0;
}

int swu_read_file(const char *path, struct swu_info *out, struct nb_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	struct swu_src src = { swu_fd_pread, &fd, 0 };

	if (fd < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot read the image: %s", strerror(errno));
	src.size = lseek(fd, 0, SEEK_END);
	rc = swu_read(&src, out, e);
	close(fd);
	return rc;
}

ssize_t swu_mem_pread(void *ctx, void *buf, size_t n, off_t off)
{
	const struct swu_mem *m = ctx;

	if (off < 0 || (size_t)off >= m->n)
		return 0;
	if (n > m->n - (size_t)off)
		n = m->n - (size_t)off;
	memcpy(buf, m->p + off, n);
	return (ssize_t)n;
}

int swu_read_mem(const void *p, size_t n, struct swu_info *out, struct nb_err *e)
{
	struct swu_mem m = { p, n };
	struct swu_src src = { swu_mem_pread, &m, (off_t)n };

	return swu_read(&src, out, e);
}
