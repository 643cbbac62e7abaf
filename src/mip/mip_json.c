/* Parsing package JSON from outside (fuzzed: tests/fuzz/fuzz_mip_json.c). */
#include "mip.h"
#include "../lib/version.h"
#include "../lib/json_in.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

int mip_dest_ok(const char *p)
{
	size_t n = strlen(p), i, seg = 0;

	if (n == 0 || n > MIP_DEST_MAX || p[0] == '/')
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '/') {
			unsigned char c = (unsigned char)p[i];
			if (c < 0x20 || c == 0x7f || c == '\\')
				return 0;
			continue;
		}
		if (i - seg == 0 || (i - seg == 1 && p[seg] == '.') ||
		    (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'))
			return 0;
		seg = i + 1;
	}
	return 1;
}

int mip_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MIP_NAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

int mip_version_ok(const char *s)
{
	size_t i, n = strlen(s);

	/* it becomes a URL path segment: never "." or ".." */
	if (n == 0 || n > MIP_VERSION_MAX || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
				  (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(".-_+~", s[i])))
			return 0;
	return 1;
}

int mip_flavour_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!strcmp(s, "py"))
		return 1;
	if (n == 0 || n > 3)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int mip_hash_prefix_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && n <= 64 && hash_is_hex(s, n);
}

int mip_version_cmp(const char *a, const char *b)
{
	return version_cmp(a, b);
}

int mip_mpy_header_ok(const unsigned char *p, size_t n, int major)
{
	/* 'M', major version, flags: no native architecture (flags >> 2) */
	return n >= 4 && p[0] == 'M' && p[1] == (unsigned char)major && (p[2] & 0xfc) == 0;
}

int mip_mpy_version_parse(const char *s)
{
	const char *p = s ? strstr(s, "mpy v") : NULL;

	if (!p || p[5] < '0' || p[5] > '9')
		return -1;
	return atoi(p + 5);
}

/* An array of [string, string] (the second optional when allow_one) under
 * key; more than MIP_MAX_ENTRIES is refused with the limit named, never cut. */
static int pairs(struct arena *a, const cJSON *root, const char *key, int allow_one,
		 struct mip_pair **out, int *n, struct nb_err *e)
{
	const cJSON *it;
	int i = 0, cnt;

	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key);

	*out = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return nb_fail(e, NB_INVALID, "a list in the package JSON is malformed or too long");
	if ((cnt = cJSON_GetArraySize(arr)) > MIP_MAX_ENTRIES)
		return nb_fail(e, NB_INVALID, "\"%s\" has %d entries, at most %d", key, cnt,
			       MIP_MAX_ENTRIES);
	*out = arena_zalloc(a, sizeof(**out) * (size_t)(cnt ? cnt : 1));
	cJSON_ArrayForEach(it, arr) {
		const cJSON *x = cJSON_GetArrayItem(it, 0), *y = cJSON_GetArrayItem(it, 1);
		int sz = cJSON_IsArray(it) ? cJSON_GetArraySize(it) : -1;
		if (sz < (allow_one ? 1 : 2) || sz > 2 || !cJSON_IsString(x) ||
		    (y && !cJSON_IsString(y)))
			return nb_fail(e, NB_INVALID,
				       "entries of urls, deps and hashes are lists of two strings");
		(*out)[i].a = arena_strdup(a, x->valuestring);
		(*out)[i].b = arena_strdup(a, y ? y->valuestring : "");
		i++;
	}
	*n = i;
	return 0;
}

int mip_pkgjson_parse(struct arena *a, const char *text, size_t len,
		      struct mip_pkgjson *out, struct nb_err *e)
{
	cJSON *root;
	const cJSON *v;
	int i, rc = -1;

	memset(out, 0, sizeof(*out));
	out->version = "";
	if (len > MIP_JSON_MAX)
		return nb_fail(e, NB_INVALID, "package JSON too large");
	{
		const char *end = NULL;
		/* a \u0000 or a short \u would end a key or URL early (json_in.h) */
		root = json_in_has_nul(text, len) ? NULL : cJSON_ParseWithLengthOpts(text, len, &end, 0);
		/* one JSON object and nothing after it but blanks */
		while (root && end && end < text + len &&
		       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t' || !*end))
			end++;
		if (root && end && end < text + len) {
			cJSON_Delete(root);
			root = NULL;
		}
	}
	if (!cJSON_IsObject(root)) {
		nb_fail(e, NB_INVALID, "package JSON is not a JSON object");
		goto done;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (v && !cJSON_IsString(v)) {
		nb_fail(e, NB_INVALID, "\"version\" must be a short string");
		goto done;
	}
	if (v && strlen(v->valuestring) > MIP_VERSION_MAX) {
		nb_fail(e, NB_INVALID, "\"version\" is %zu bytes, at most %d",
			strlen(v->valuestring), MIP_VERSION_MAX);
		goto done;
	}
	if (v)
		out->version = arena_strdup(a, v->valuestring);
	if (pairs(a, root, "urls", 0, &out->urls, &out->nurls, e) < 0 ||
	    pairs(a, root, "deps", 1, &out->deps, &out->ndeps, e) < 0 ||
	    pairs(a, root, "hashes", 0, &out->hashes, &out->nhashes, e) < 0)
		goto done;
	for (i = 0; i < out->nurls; i++)
		if (strlen(out->urls[i].a) > MIP_DEST_MAX) {
			nb_fail(e, NB_INVALID, "a destination path in \"urls\" is %zu bytes, at most %d",
				strlen(out->urls[i].a), MIP_DEST_MAX);
			goto done;
		} else if (!mip_dest_ok(out->urls[i].a)) {
			nb_fail(e, NB_INVALID,
				"a destination path in \"urls\" is not a plain relative path");
			goto done;
		}
	for (i = 0; i < out->nhashes; i++)
		if (!mip_dest_ok(out->hashes[i].a) || !mip_hash_prefix_ok(out->hashes[i].b)) {
			nb_fail(e, NB_INVALID, "a \"hashes\" entry has a bad path or hash");
			goto done;
		}
	rc = 0;
done:
	cJSON_Delete(root);
	return rc;
}
