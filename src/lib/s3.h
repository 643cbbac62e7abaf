/*
 * s3.h - a small client of an S3-compatible object store: HEAD, ranged
 * GET into a callback, PUT of a file (one streamed request, or a
 * multipart upload for large files), DELETE, ListObjectsV2 with
 * pagination, and presigned GET URLs.
 *
 * Requests go through libcurl (opened on first use, as fetch.c does) and
 * are signed by it (CURLOPT_AWS_SIGV4, "aws:amz:<region>:s3"); URLs are
 * path-style: <endpoint>/<bucket>/<key>, which AWS, MinIO, Ceph and the
 * test suite's stand-in all answer.  Bodies are streamed from and to file
 * descriptors or callbacks: nothing large is held in memory.  Generic: it
 * knows nothing of blobs or nestbox.
 *
 * Source of the protocol: the Amazon S3 API reference (HeadObject,
 * GetObject, PutObject, CreateMultipartUpload, UploadPart,
 * CompleteMultipartUpload, AbortMultipartUpload, DeleteObject,
 * ListObjectsV2).
 */
#ifndef NB_S3_H
#define NB_S3_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define S3_PART_MIN (5ull << 20)	/* S3's smallest part but the last */
#define S3_PARTS_MAX 10000		/* S3's most parts in one upload */

struct s3_conf {
	char endpoint[512];	/* "https://s3.eu-west-1.amazonaws.com", no trailing '/' */
	char bucket[128];
	char region[64];
	char access[128], secret[256];
	uint64_t part_size;	/* bytes; files larger go up in parts of this size */
	long timeout;		/* seconds to connect, and longest stall of a transfer */
};

/* An error a caller can print: what failed and what the store said. */
struct s3_err {
	long status;		/* the HTTP status, 0 when no answer came */
	char msg[256];
};

/* 1 and *size when key exists, 0 when not, -1 on an error. */
int s3_head(const struct s3_conf *c, const char *key, uint64_t *size, struct s3_err *e);
/*
 * GETs len bytes of key from off (len 0: to the end) into sink, which
 * returns 0 to go on.  0 when all came; -1 otherwise (e->status 404 for a
 * missing key; a sink's non-zero value stops the transfer).
 */
int s3_get(const struct s3_conf *c, const char *key, uint64_t off, uint64_t len,
	   int (*sink)(void *ctx, const void *p, size_t n), void *ctx, struct s3_err *e);
/*
 * Uploads size bytes of fd (from offset 0) to key.  sha256 (hex) is sent
 * as x-amz-content-sha256 of a single PUT, so the store checks the bytes;
 * above c->part_size it is a multipart upload (parts UNSIGNED-PAYLOAD,
 * aborted on any failure).  0 only when the store acknowledged the whole
 * object; -1 otherwise.
 */
int s3_put_fd(const struct s3_conf *c, const char *key, int fd, uint64_t size,
	      const char *sha256, struct s3_err *e);
/* Deletes key (S3 answers 204 also for a missing key); 0 or -1. */
int s3_delete(const struct s3_conf *c, const char *key, struct s3_err *e);
/*
 * Calls fn for every object whose key starts with prefix, page by page
 * (1000 keys a page, continuation tokens); mtime is Unix seconds.  fn's
 * non-zero value stops and is returned; 0 at the end; -1 on an error.
 */
int s3_list(const struct s3_conf *c, const char *prefix,
	    int (*fn)(void *ctx, const char *key, uint64_t size, long mtime), void *ctx,
	    struct s3_err *e);
/* A presigned GET URL of key valid for ttl seconds from now; 0 or -1. */
int s3_presign(const struct s3_conf *c, const char *key, long long now, long ttl, char *out,
	       size_t n);

/*
 * Parses one ListObjectsV2 answer (XML, n bytes, not NUL-terminated),
 * calling fn per <Contents> (key entity-decoded, size, LastModified as
 * Unix seconds); *truncated is IsTruncated (1 or 0), next receives
 * NextContinuationToken ("" when none).  Returns 0, fn's non-zero value,
 * or -1 for an answer that is not a listing.  Bytes from the network:
 * tests/fuzz/fuzz_s3_xml.c.
 */
int s3_list_parse(const char *xml, size_t n,
		  int (*fn)(void *ctx, const char *key, uint64_t size, long mtime), void *ctx,
		  int *truncated, char *next, size_t nextlen);
/*
 * The entity-decoded text of the first <tag>...</tag> in xml (n bytes)
 * into out (at most outlen - 1 bytes); 0, or -1 when absent or too long.
 */
int s3_xml_text(const char *xml, size_t n, const char *tag, char *out, size_t outlen);

#endif
