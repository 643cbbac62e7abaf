/*
 * manifest.json, written as Python's json.dumps(sort_keys=True,
 * separators=(",", ":")) writes it, because the client's signature check
 * (ota.py _verify_manifest_signature; protocols/ota-github.md) re-serialises
 * the parsed manifest that way and HMACs the text.  Writing the same text
 * here and signing it is the only way the two agree.  Keys in sorted order:
 * deletes, files (crc32, path, sha256, size), generated_at, post_update,
 * signature, version.
 */
#include "ota.h"
#include "../lib/hash.h"

#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static int add_file(struct buf *b, const struct ota_mfile *f)
{
	buf_printf(b, "{\"crc32\":%lu,\"path\":", (unsigned long)f->crc32);
	if (ota_json_pystr(b, f->path) < 0)
		return -1;
	buf_adds(b, ",\"sha256\":");
	ota_json_pystr(b, f->sha256);
	buf_printf(b, ",\"size\":%llu}", (unsigned long long)f->size);
	return 0;
}

/* The canonical text up to (not including) the signature/version keys. */
static int head(struct buf *b, const struct ota_manifest *m)
{
	int i;

	buf_adds(b, "{\"deletes\":[");
	for (i = 0; i < m->ndeletes; i++) {
		if (i)
			buf_addc(b, ',');
		if (ota_json_pystr(b, m->deletes[i]) < 0)
			return -1;
	}
	buf_adds(b, "],\"files\":[");
	for (i = 0; i < m->nfiles; i++) {
		if (i)
			buf_addc(b, ',');
		if (add_file(b, &m->files[i]) < 0)
			return -1;
	}
	buf_adds(b, "],\"generated_at\":");
	if (ota_json_pystr(b, m->generated_at) < 0)
		return -1;
	if (m->post_update) {
		buf_adds(b, ",\"post_update\":");
		if (ota_json_pystr(b, m->post_update) < 0)
			return -1;
	}
	return 0;
}

static void hmac_hex(const char *key, const void *p, size_t n, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	HMAC(EVP_sha256(), key, (int)strlen(key), p, n, md, &len);
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

char *ota_manifest_json(struct arena *a, const struct ota_manifest *m, const char *key)
{
	struct buf b, v;
	char sig[2 * EVP_MAX_MD_SIZE + 1];
	size_t h;

	buf_init(&b, a);
	buf_init(&v, a);
	if (head(&b, m) < 0)
		return NULL;
	buf_adds(&v, ",\"version\":");
	if (ota_json_pystr(&v, m->version) < 0)
		return NULL;
	buf_addc(&v, '}');
	h = b.len;
	if (key && *key) {
		buf_add(&b, v.p, v.len);
		hmac_hex(key, b.p, b.len, sig);
		b.len = h;
		buf_printf(&b, ",\"signature\":\"%s\"", sig);
	}
	buf_add(&b, v.p, v.len);
	return (char *)buf_cstr(&b);
}
