#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

/*
 * OpenSSL 3 looks an algorithm up by name on every init given the legacy
 * EVP_sha256() handle; that lookup cost more than hashing a token.  Each
 * is fetched once per process (pthread_once: uploads may hash in threads)
 * and never changes after.
 */
static EVP_MD *fetched[3];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	fetched[HASH_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
	fetched[HASH_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
	fetched[HASH_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
}

static const EVP_MD *alg_md(enum hash_alg alg)
{
	pthread_once(&fetch_once, fetch_all);
	if (alg >= HASH_SHA256 && alg <= HASH_MD5 && fetched[alg])
		return fetched[alg];
	switch (alg) {
	case HASH_SHA1: return EVP_sha1();
	case HASH_MD5: return EVP_md5();
	default: return EVP_sha256();
	}
}

int hash_init(struct hash_ctx *h, enum hash_alg alg)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	h->md = md;
	h->alg = alg;
	if (!md || !EVP_DigestInit_ex(md, alg_md(alg), NULL)) {
		EVP_MD_CTX_free(md);
		h->md = NULL;
		return -1;
	}
	return 0;
}

void hash_update(struct hash_ctx *h, const void *p, size_t n)
{
	if (h->md && n)
		EVP_DigestUpdate(h->md, p, n);
}

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void hash_final_hex(struct hash_ctx *h, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	out[0] = '\0';
	if (!h->md)
		return;
	EVP_DigestFinal_ex(h->md, d, &n);
	to_hex(d, n, out);
	hash_free(h);
}

void hash_free(struct hash_ctx *h)
{
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

int hash_hex(enum hash_alg alg, const void *p, size_t n, char *out)
{
	struct hash_ctx h;

	if (hash_init(&h, alg) < 0)
		return -1;
	hash_update(&h, p, n);
	hash_final_hex(&h, out);
	return 0;
}

int hash_git_blob_hex(const void *p, size_t n, char *out)
{
	struct hash_ctx h;
	char hdr[32];
	int hl = snprintf(hdr, sizeof(hdr), "blob %zu", n);

	if (hash_init(&h, HASH_SHA1) < 0)
		return -1;
	hash_update(&h, hdr, (size_t)hl + 1);	/* with the NUL */
	hash_update(&h, p, n);
	hash_final_hex(&h, out);
	return 0;
}

int hash_file_hex(enum hash_alg alg, const char *path, char *out, uint64_t *size)
{
	char b[65536];
	struct hash_ctx h;
	uint64_t total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (hash_init(&h, alg) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, b, sizeof(b));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			hash_free(&h);
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		hash_update(&h, b, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	hash_final_hex(&h, out);
	if (size)
		*size = total;
	return 0;
}

int hash_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}
