/*
 * sigv4.h - AWS Signature Version 4, the parts libcurl does not do.
 *
 * libcurl signs the requests nestbox sends to an S3-compatible store
 * (CURLOPT_AWS_SIGV4), but it cannot presign: a URL that carries its own
 * signature in the query, handed to a device to fetch a blob directly.
 * This module computes the signature of a canonical request and builds
 * such URLs.  Generic: no knowledge of nestbox, blobs or buckets.
 *
 * Source of every rule here: AWS "Signature Version 4 signing process"
 * (canonical request, string to sign, signing key) and the S3 API
 * reference "Authenticating Requests: Using Query Parameters (AWS
 * Signature Version 4)".  tests/unit/test_sigv4.c checks the published
 * vectors (get-vanilla, post-vanilla, S3's GET Object and presigned URL
 * examples).
 */
#ifndef NB_SIGV4_H
#define NB_SIGV4_H

#include <stddef.h>

#define SIGV4_HEX 65		/* a signature or payload hash: 64 hex + NUL */
#define SIGV4_DATE 17		/* "YYYYMMDDTHHMMSSZ" + NUL */
#define SIGV4_UNSIGNED "UNSIGNED-PAYLOAD"

struct sigv4_cred {
	const char *access, *secret;
	const char *region;		/* "us-east-1" */
	const char *service;		/* "s3" */
};

/* One canonical request, its parts already in canonical form. */
struct sigv4_req {
	const char *method;		/* "GET" */
	const char *path;		/* URI-encoded absolute path, "/" at least */
	const char *query;		/* sorted, encoded "a=1&b=2", or "" */
	const char *headers;		/* "host:h\nx-amz-date:d\n": lower-case, sorted */
	const char *signed_headers;	/* "host;x-amz-date" */
	const char *payload;		/* hex sha256 of the body, or SIGV4_UNSIGNED */
};

/* "YYYYMMDDTHHMMSSZ" of a Unix time (UTC). */
void sigv4_date(long long t, char out[SIGV4_DATE]);
/*
 * The hex signature of q at amz_date (SIGV4_DATE form) into sig.  0, or
 * -1 when the crypto library fails or a part is too long (8 KiB).
 */
int sigv4_sign(const struct sigv4_cred *c, const char *amz_date, const struct sigv4_req *q,
	       char sig[SIGV4_HEX]);
/*
 * URI-encodes s as SigV4 asks: unreserved characters (A-Z a-z 0-9 - . _ ~)
 * stay, '/' stays when keep_slash, everything else is %XX (upper-case hex).
 * Returns the length, or -1 when out (n bytes) is too small.
 */
int sigv4_uri_encode(const char *s, int keep_slash, char *out, size_t n);
/*
 * A presigned GET URL: base ("https://host[:port]", no trailing slash),
 * host (the Host header a client will send: "host[:port]"), path (already
 * URI-encoded, starting with '/'), valid for expires seconds (1..604800)
 * from now (Unix seconds).  Only the host header is signed and the
 * payload is UNSIGNED-PAYLOAD, as S3 asks of presigned URLs.  0, or -1
 * when out (n bytes) is too small or an argument is out of range.
 */
int sigv4_presign(const struct sigv4_cred *c, const char *base, const char *host,
		  const char *path, long long now, long expires, char *out, size_t n);

#endif
