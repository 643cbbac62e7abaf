/*
 * auth.h - the security primitives, in one place so they are done once:
 * argon2id password hashes (libargon2), random tokens, tokens stored as
 * their sha256, and constant-time comparison.
 */
#ifndef NB_AUTH_H
#define NB_AUTH_H

#include <stddef.h>

#define AUTH_HASH_MAX 128	/* an encoded argon2id hash fits */
#define AUTH_TOKEN_BYTES 32

/* Encoded argon2id hash ("$argon2id$v=19$m=…"); 0 or -1. */
int auth_hash_password(const char *pw, char *out, size_t n);
/* 1 when pw matches the encoded hash, else 0 (also for a malformed hash). */
int auth_verify_password(const char *encoded, const char *pw);
/* Verifies pw against a fixed hash of auth_hash_password's cost, for
 * its time only: a login for an unknown user costs what a wrong password
 * costs (no user-name oracle by timing), with no hash made at start-up. */
void auth_verify_dummy(const char *pw);
extern const char auth_dummy_hash[];	/* the hash it verifies against */
/* bytes random bytes as lowercase hex into out (2*bytes+1); 0 or -1. */
int auth_random_hex(char *out, size_t bytes);
/* The stored form of a session or API token: its sha256, hex. */
void auth_token_hash(const char *token, char *out);
/* Compares two NUL-terminated secrets in time independent of content. */
int auth_equal(const char *a, const char *b);

#endif
