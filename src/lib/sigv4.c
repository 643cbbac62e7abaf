#include "sigv4.h"
#include "hash.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define CANON_MAX 8192

void sigv4_date(long long t, char out[SIGV4_DATE])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, SIGV4_DATE, "%Y%m%dT%H%M%SZ", &tm);
}

static int hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int n = 0;

	return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out,
		    &n) && n == 32 ? 0 : -1;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
static int signing_key(const struct sigv4_cred *c, const char *day, unsigned char k[32])
{
	char first[320];

	if ((size_t)snprintf(first, sizeof(first), "AWS4%s", c->secret) >= sizeof(first))
		return -1;
	return hmac(first, strlen(first), day, k) || hmac(k, 32, c->region, k) ||
	       hmac(k, 32, c->service, k) || hmac(k, 32, "aws4_request", k) ? -1 : 0;
}

int sigv4_sign(const struct sigv4_cred *c, const char *amz_date, const struct sigv4_req *q,
	       char sig[SIGV4_HEX])
{
	char canon[CANON_MAX], sts[512], ch[HASH_HEX_MAX], day[9];
	unsigned char k[32], s[32];
	int n;

	n = snprintf(canon, sizeof(canon), "%s\n%s\n%s\n%s\n%s\n%s", q->method, q->path, q->query,
		     q->headers, q->signed_headers, q->payload);
	if (n < 0 || (size_t)n >= sizeof(canon) || hash_hex(HASH_SHA256, canon, (size_t)n, ch) < 0)
		return -1;
	memcpy(day, amz_date, 8);
	day[8] = '\0';
	n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date,
		     day, c->region, c->service, ch);
	if (n < 0 || (size_t)n >= sizeof(sts) || signing_key(c, day, k) < 0 || hmac(k, 32, sts, s) < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(sig + 2 * i, 3, "%02x", s[i]);
	return 0;
}

int sigv4_uri_encode(const char *s, int keep_slash, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			   (ch >= '0' && ch <= '9') || strchr("-._~", ch) ||
			   (keep_slash && ch == '/');
		if (o + (keep ? 1 : 3) >= n)
			return -1;
		if (keep) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return (int)o;
}

int sigv4_presign(const struct sigv4_cred *c, const char *base, const char *host,
		  const char *path, long long now, long expires, char *out, size_t n)
{
	char date[SIGV4_DATE], cred[512], ecred[1024], query[1400], headers[600], sig[SIGV4_HEX];
	struct sigv4_req q = { "GET", path, query, headers, "host", SIGV4_UNSIGNED };
	int len;

	if (expires < 1 || expires > 604800)
		return -1;	/* S3's limit: seven days */
	sigv4_date(now, date);
	len = snprintf(cred, sizeof(cred), "%s/%.8s/%s/%s/aws4_request", c->access, date, c->region,
		       c->service);
	if (len < 0 || (size_t)len >= sizeof(cred) || sigv4_uri_encode(cred, 0, ecred, sizeof(ecred)) < 0)
		return -1;
	/* the query is canonical as written: its names are in byte order */
	len = snprintf(query, sizeof(query),
		       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s&X-Amz-Date=%s"
		       "&X-Amz-Expires=%ld&X-Amz-SignedHeaders=host", ecred, date, expires);
	if (len < 0 || (size_t)len >= sizeof(query))
		return -1;
	len = snprintf(headers, sizeof(headers), "host:%s\n", host);
	if (len < 0 || (size_t)len >= sizeof(headers) || sigv4_sign(c, date, &q, sig) < 0)
		return -1;
	len = snprintf(out, n, "%s%s?%s&X-Amz-Signature=%s", base, path, query, sig);
	return len < 0 || (size_t)len >= n ? -1 : 0;
}
