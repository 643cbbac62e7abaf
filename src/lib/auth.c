#include "auth.h"
#include "hash.h"

#include <string.h>
#include <sys/random.h>

#include <argon2.h>
#include <openssl/crypto.h>

/*
 * OWASP's argon2id choice with the smallest memory (m=7 MiB, t=5, p=1):
 * a login must not push a FastCGI process far past its usual few MiB.
 */
#define AUTH_T 5
#define AUTH_M 7168
#define AUTH_P 1

int auth_hash_password(const char *pw, char *out, size_t n)
{
	unsigned char salt[16];

	if (getrandom(salt, sizeof(salt), 0) != sizeof(salt))
		return -1;
	return argon2id_hash_encoded(AUTH_T, AUTH_M, AUTH_P, pw, strlen(pw), salt,
				     sizeof(salt), 32, out, n) == ARGON2_OK ? 0 : -1;
}

int auth_verify_password(const char *encoded, const char *pw)
{
	if (strncmp(encoded, "$argon2id$", 10) != 0)
		return 0;
	return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}

/* "no such user" hashed once with AUTH_T, AUTH_M, AUTH_P and a fixed salt:
 * its parameters are those above (test_auth checks that they agree and
 * that it verifies: a malformed one would be refused at once) */
const char auth_dummy_hash[] =
	"$argon2id$v=19$m=7168,t=5,p=1$bmVzdGJveC1kdW1teS0xNg$"
	"0PQowsIdQzZQaW3aSNeAP0vuppQV/i32oR69CBwjz6Y";

void auth_verify_dummy(const char *pw)
{
	(void)argon2id_verify(auth_dummy_hash, pw, strlen(pw));
}

int auth_random_hex(char *out, size_t bytes)
{
	unsigned char r[64];
	size_t i;
	static const char hx[] = "0123456789abcdef";

	if (bytes > sizeof(r) || getrandom(r, bytes, 0) != (ssize_t)bytes)
		return -1;
	for (i = 0; i < bytes; i++) {
		out[2 * i] = hx[r[i] >> 4];
		out[2 * i + 1] = hx[r[i] & 15];
	}
	out[2 * bytes] = '\0';
	return 0;
}

void auth_token_hash(const char *token, char *out)
{
	hash_hex(HASH_SHA256, token, strlen(token), out);
}

int auth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	/* the lengths of our secrets are public; their content is not */
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}
