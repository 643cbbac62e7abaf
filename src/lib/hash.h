/*
 * hash.h - message digests as lowercase hex, through OpenSSL EVP.
 * The git blob form hashes "blob <len>\0" + content, as git and the
 * MicroPython OTA updater compute it.
 */
#ifndef NB_HASH_H
#define NB_HASH_H

#include <stddef.h>
#include <stdint.h>

enum hash_alg { HASH_SHA256, HASH_SHA1, HASH_MD5 };

#define HASH_HEX_MAX 65		/* sha256 hex + NUL */

struct hash_ctx {
	void *md;		/* EVP_MD_CTX */
	enum hash_alg alg;
};

int hash_init(struct hash_ctx *h, enum hash_alg alg);
void hash_update(struct hash_ctx *h, const void *p, size_t n);
/* Writes hex into out (HASH_HEX_MAX bytes) and frees the context. */
void hash_final_hex(struct hash_ctx *h, char *out);
void hash_free(struct hash_ctx *h);

int hash_hex(enum hash_alg alg, const void *p, size_t n, char *out);
int hash_git_blob_hex(const void *p, size_t n, char *out);
/* Hashes a whole file by streaming it; returns 0 or -1 (errno set). */
int hash_file_hex(enum hash_alg alg, const char *path, char *out,
		  uint64_t *size);
/* 1 if s is exactly n lowercase hex digits. */
int hash_is_hex(const char *s, size_t n);

#endif
