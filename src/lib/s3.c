#include "s3.h"
#include "bytes.h"
#include "err.h"
#include "sigv4.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "curl_lib.h"

/* cu.f(...): a libcurl function, loaded on first use (curl_lib.h); only
 * called once a handle exists, so the library is there. */
#define cu (*curl_lib())

/* A bounded in-memory answer: listings, upload ids, error documents
 * (grown by bytes_add: max below SIZE_MAX / 2, cap its block's size). */
struct membuf {
	char *p;
	size_t len, cap, max;
};

/* One request and what came back. */
struct call {
	const struct s3_conf *c;
	const char *method;		/* GET HEAD PUT POST DELETE */
	const char *key;		/* NULL: the bucket itself */
	const char *query;		/* canonical (sorted, encoded) or "" */
	const char *payload;		/* x-amz-content-sha256 */
	const char *range;		/* "bytes=a-b" or NULL */
	int fd;				/* >= 0: the body is len bytes of fd from off */
	uint64_t off, len;
	const char *body;		/* else this many bytes of memory */
	size_t blen;
	int (*sink)(void *ctx, const void *p, size_t n);
	void *sctx;
	int stopped;			/* the sink said stop */
	CURL *h;
	struct membuf resp;
	char etag[128];
	long status;
};

/* e says a then b (cut to its size: a message, never a value) */
static void fail(struct s3_err *e, long status, const char *a, const char *b)
{
	e->status = status;
	if (snprintf(e->msg, sizeof(e->msg), a, b) >= (int)sizeof(e->msg))
		e->msg[sizeof(e->msg) - 1] = '\0';
}

/* n more bytes of the answer; 0 (libcurl then stops) past m->max, the
 * sum checked by bytes_add so that no chunk size makes it wrap. */
static size_t mem_add(struct membuf *m, const char *p, size_t n)
{
	if (bytes_add(&m->p, &m->len, &m->cap, m->max - 1, p, n, "answer too large", NULL) < 0)
		return 0;	/* larger than any answer we expect: stop */
	return n;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct call *k = ctx;
	long st = 0;
	size_t len;

	if (__builtin_mul_overflow(size, n, &len))
		return 0;	/* libcurl passes size 1: never */
	cu.getinfo(k->h, CURLINFO_RESPONSE_CODE, &st);
	/* a store that ignored the Range would hand over the wrong bytes */
	if (k->sink && st == (k->range ? 206 : 200)) {
		if (k->sink(k->sctx, p, len) != 0) {
			k->stopped = 1;
			return 0;
		}
		return len;
	}
	return mem_add(&k->resp, p, len);
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct call *k = ctx;
	size_t len = size * n;

	if (len > 5 && len - 5 < sizeof(k->etag) && !strncasecmp(p, "ETag:", 5)) {
		size_t i = 5, j = len;
		while (i < j && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (j > i && (p[j - 1] == '\r' || p[j - 1] == '\n' || p[j - 1] == ' '))
			j--;
		memcpy(k->etag, p + i, j - i);
		k->etag[j - i] = '\0';
	}
	return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ctx)
{
	struct call *k = ctx;
	size_t want = size * n;
	ssize_t got;

	if (want > k->len)
		want = (size_t)k->len;
	if (want == 0)
		return 0;
	do
		got = pread(k->fd, p, want, (off_t)k->off);
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return CURL_READFUNC_ABORT;	/* the file shrank: never send a short object */
	k->off += (uint64_t)got;
	k->len -= (uint64_t)got;
	return (size_t)got;
}

/* <endpoint>/<bucket>[/<key>][?query], the key URI-encoded. */
static char *call_url(const struct call *k)
{
	char ekey[3 * 1024 + 1];
	char *url;

	if (k->key && sigv4_uri_encode(k->key, 1, ekey, sizeof(ekey)) < 0)
		return NULL;
	if (asprintf(&url, "%s/%s%s%s%s%s", k->c->endpoint, k->c->bucket, k->key ? "/" : "",
		     k->key ? ekey : "", *k->query ? "?" : "", k->query) < 0)
		return NULL;
	return url;
}

static void call_body(struct call *k)
{
	CURL *h = k->h;

	if (!strcmp(k->method, "HEAD")) {
		cu.setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(k->method, "PUT")) {
		cu.setopt(h, CURLOPT_UPLOAD, 1L);
		cu.setopt(h, CURLOPT_READFUNCTION, on_read);
		cu.setopt(h, CURLOPT_READDATA, k);
		cu.setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)k->len);
	} else if (!strcmp(k->method, "POST")) {
		cu.setopt(h, CURLOPT_POST, 1L);
		cu.setopt(h, CURLOPT_POSTFIELDS, k->body ? k->body : "");
		cu.setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k->blen);
	} else if (strcmp(k->method, "GET")) {
		cu.setopt(h, CURLOPT_CUSTOMREQUEST, k->method);
	}
}

static struct curl_slist *call_headers(const struct call *k)
{
	char line[128];
	struct curl_slist *l = NULL, *t;

	snprintf(line, sizeof(line), "x-amz-content-sha256: %s", k->payload);
	/* no "Expect: 100-continue" round trip: the store answers at the end anyway */
	if (!(l = cu.slist_append(l, line)) || !(t = cu.slist_append(l, "Expect:")))
		goto bad;
	l = t;
	if (!strcmp(k->method, "POST") && !(t = cu.slist_append(l, "Content-Type: application/xml")))
		goto bad;
	l = t;
	if (k->range) {
		snprintf(line, sizeof(line), "Range: %s", k->range);
		if (!(t = cu.slist_append(l, line)))
			goto bad;
		l = t;
	}
	return l;
bad:
	cu.slist_free_all(l);
	return NULL;
}

/* Sends one signed request; 0 when an HTTP answer came (k->status), -1 with e. */
static int call_do(struct call *k, struct s3_err *e)
{
	char sigv4[96];
	struct curl_slist *hdr = NULL;
	char *url = NULL;
	CURLcode rc = CURLE_FAILED_INIT;

	k->resp.max = k->resp.max ? k->resp.max : 1u << 20;
	if (!curl_lib() || !(k->h = cu.init()) || !(url = call_url(k)) || !(hdr = call_headers(k))) {
		fail(e, 0, curl_lib() ? "out of memory or key too long" : "libcurl not found", "");
		goto out;
	}
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", k->c->region);
	cu.setopt(k->h, CURLOPT_URL, url);
	cu.setopt(k->h, CURLOPT_AWS_SIGV4, sigv4);
	cu.setopt(k->h, CURLOPT_USERNAME, k->c->access);
	cu.setopt(k->h, CURLOPT_PASSWORD, k->c->secret);
	cu.setopt(k->h, CURLOPT_HTTPHEADER, hdr);
	cu.setopt(k->h, CURLOPT_NOSIGNAL, 1L);
	cu.setopt(k->h, CURLOPT_CONNECTTIMEOUT, k->c->timeout);
	/* a stall, not a long transfer, is what fails: images are gigabytes */
	cu.setopt(k->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	cu.setopt(k->h, CURLOPT_LOW_SPEED_TIME, k->c->timeout);
	cu.setopt(k->h, CURLOPT_WRITEFUNCTION, on_body);
	cu.setopt(k->h, CURLOPT_WRITEDATA, k);
	cu.setopt(k->h, CURLOPT_HEADERFUNCTION, on_header);
	cu.setopt(k->h, CURLOPT_HEADERDATA, k);
	call_body(k);
	rc = cu.perform(k->h);
	if (rc == CURLE_OK) {
		cu.getinfo(k->h, CURLINFO_RESPONSE_CODE, &k->status);
	} else if (!k->stopped) {
		fail(e, 0, "the S3 store did not answer: ", cu.strerror(rc));
	} else {
		fail(e, 0, "transfer stopped by its receiver", "");
	}
out:
	if (hdr)
		cu.slist_free_all(hdr);
	free(url);
	return rc == CURLE_OK ? 0 : -1;
}

static void call_free(struct call *k)
{
	if (k->h)
		cu.cleanup(k->h);
	free(k->resp.p);
	k->h = NULL;
	k->resp.p = NULL;
}

/* The store's error answer as e: its <Code> and <Message> when it sent them. */
static int answer_fail(struct call *k, struct s3_err *e)
{
	char code[64] = "", msg[160] = "";

	if (k->resp.p) {
		s3_xml_text(k->resp.p, k->resp.len, "Code", code, sizeof(code));
		s3_xml_text(k->resp.p, k->resp.len, "Message", msg, sizeof(msg));
	}
	e->status = k->status;
	snprintf(e->msg, sizeof(e->msg), "%s %s: HTTP %ld %s %s", k->method,
		 k->key ? k->key : k->c->bucket, k->status, code, msg);
	return -1;
}

int s3_head(const struct s3_conf *c, const char *key, uint64_t *size, struct s3_err *e)
{
	struct call k = { .c = c, .method = "HEAD", .key = key, .query = "",
			  .payload = SIGV4_UNSIGNED, .fd = -1 };
	curl_off_t len = -1;
	int rc;

	if (call_do(&k, e) < 0) {
		call_free(&k);
		return -1;
	}
	if (k.status == 200) {
		cu.getinfo(k.h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
		if (size)
			*size = len > 0 ? (uint64_t)len : 0;
		rc = 1;
	} else {
		rc = k.status == 404 ? 0 : answer_fail(&k, e);
	}
	call_free(&k);
	return rc;
}

int s3_get(const struct s3_conf *c, const char *key, uint64_t off, uint64_t len,
	   int (*sink)(void *ctx, const void *p, size_t n), void *ctx, struct s3_err *e)
{
	char range[64];
	struct call k = { .c = c, .method = "GET", .key = key, .query = "",
			  .payload = SIGV4_UNSIGNED, .fd = -1, .sink = sink, .sctx = ctx };
	int rc = -1;

	if (len > UINT64_MAX - off) {	/* the range's end would wrap */
		fail(e, 416, "range past the largest offset%s", "");
		return -1;
	}
	if (len) {
		snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
			 (unsigned long long)(off + len - 1));
		k.range = range;
	} else if (off) {
		snprintf(range, sizeof(range), "bytes=%llu-", (unsigned long long)off);
		k.range = range;
	}
	if (call_do(&k, e) == 0)
		rc = k.status == (k.range ? 206 : 200) ? 0 : answer_fail(&k, e);
	call_free(&k);
	return rc;
}

static int put_one(const struct s3_conf *c, const char *key, int fd, uint64_t size,
		   const char *sha256, struct s3_err *e)
{
	struct call k = { .c = c, .method = "PUT", .key = key, .query = "",
			  .payload = sha256 ? sha256 : SIGV4_UNSIGNED, .fd = fd, .len = size };
	int rc = -1;

	if (call_do(&k, e) == 0)
		rc = k.status == 200 ? 0 : answer_fail(&k, e);
	call_free(&k);
	return rc;
}

/* CreateMultipartUpload: the new upload's id into id. */
static int mp_start(const struct s3_conf *c, const char *key, char *id, size_t n,
		    struct s3_err *e)
{
	struct call k = { .c = c, .method = "POST", .key = key, .query = "uploads=",
			  .payload = SIGV4_UNSIGNED, .fd = -1 };
	int rc = -1;

	if (call_do(&k, e) == 0) {
		if (k.status != 200)
			rc = answer_fail(&k, e);
		else if ((rc = s3_xml_text(k.resp.p, k.resp.len, "UploadId", id, n)) < 0)
			fail(e, k.status, "no UploadId in the store's answer", "");
	}
	call_free(&k);
	return rc;
}

/* UploadPart number num: len bytes of fd from off; its ETag into etag. */
static int multipart_part(const struct s3_conf *c, const char *key, const char *eid, int num, int fd,
		   uint64_t off, uint64_t len, char *etag, size_t n, struct s3_err *e)
{
	char q[1024];
	struct call k = { .c = c, .method = "PUT", .key = key, .query = q,
			  .payload = SIGV4_UNSIGNED, .fd = fd, .off = off, .len = len };
	int rc = -1;

	if (snprintf(q, sizeof(q), "partNumber=%d&uploadId=%s", num, eid) >= (int)sizeof(q))
		return fail(e, 0, "upload id too long", ""), -1;
	if (call_do(&k, e) == 0) {
		if (k.status != 200 || !k.etag[0] || strlen(k.etag) >= n)
			rc = answer_fail(&k, e);
		else
			rc = 0, memcpy(etag, k.etag, strlen(k.etag) + 1);
	}
	call_free(&k);
	return rc;
}

/* CompleteMultipartUpload or, with xml NULL, AbortMultipartUpload. */
static int mp_end(const struct s3_conf *c, const char *key, const char *eid, const char *xml,
		  size_t xlen, struct s3_err *e)
{
	char q[1024];
	struct call k = { .c = c, .method = xml ? "POST" : "DELETE", .key = key, .query = q,
			  .payload = SIGV4_UNSIGNED, .fd = -1, .body = xml, .blen = xlen };
	int rc = -1;

	if (snprintf(q, sizeof(q), "uploadId=%s", eid) >= (int)sizeof(q))
		return fail(e, 0, "upload id too long", ""), -1;
	if (call_do(&k, e) == 0) {
		/* S3 may answer 200 and still fail: the error is in the body */
		if ((k.status == 200 || k.status == 204) &&
		    !(k.resp.p && strstr(k.resp.p, "<Error>")))
			rc = 0;
		else
			rc = answer_fail(&k, e);
	}
	call_free(&k);
	return rc;
}

/* The parts: each PUT, its ETag appended to the completion document. */
static int mp_parts(const struct s3_conf *c, const char *key, const char *eid, int fd,
		    uint64_t size, struct membuf *xml, struct s3_err *e)
{
	uint64_t part = c->part_size < S3_PART_MIN ? S3_PART_MIN : c->part_size, off = 0;
	char etag[128], line[256];
	int num = 0, n;

	/* at most S3_PARTS_MAX parts: a huge file gets larger ones */
	if (size / part >= S3_PARTS_MAX)
		part = size / (S3_PARTS_MAX - 1);
	mem_add(xml, "<CompleteMultipartUpload>", 25);
	for (; off < size; off += part) {
		uint64_t len = size - off < part ? size - off : part;
		if (multipart_part(c, key, eid, ++num, fd, off, len, etag, sizeof(etag), e) < 0)
			return -1;
		n = snprintf(line, sizeof(line), "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
			     num, etag);
		if (mem_add(xml, line, (size_t)n) != (size_t)n)
			return fail(e, 0, "out of memory", ""), -1;
	}
	if (mem_add(xml, "</CompleteMultipartUpload>", 26) != 26)
		return fail(e, 0, "out of memory", ""), -1;
	return 0;
}

static int put_multipart(const struct s3_conf *c, const char *key, int fd, uint64_t size,
			 struct s3_err *e)
{
	char id[256], eid[800];
	struct membuf xml = { .max = 4u << 20 };
	struct s3_err ignored;
	int rc;

	if (mp_start(c, key, id, sizeof(id), e) < 0)
		return -1;
	if (sigv4_uri_encode(id, 0, eid, sizeof(eid)) < 0)
		return fail(e, 0, "upload id too long", ""), -1;
	rc = mp_parts(c, key, eid, fd, size, &xml, e);
	if (rc == 0)
		rc = mp_end(c, key, eid, xml.p, xml.len, e);
	if (rc < 0)
		mp_end(c, key, eid, NULL, 0, &ignored);	/* the store drops the parts */
	free(xml.p);
	return rc;
}

/*
 * One PUT up to the part size: the store checks the whole body against
 * its sha256.  Larger files go up in parts, each one a PUT of a range of
 * the same file, so nothing is held in memory and a failed part fails the
 * upload (aborted, nothing visible at key).
 */
int s3_put_fd(const struct s3_conf *c, const char *key, int fd, uint64_t size,
	      const char *sha256, struct s3_err *e)
{
	if (size <= c->part_size)
		return put_one(c, key, fd, size, sha256, e);
	return put_multipart(c, key, fd, size, e);
}

int s3_delete(const struct s3_conf *c, const char *key, struct s3_err *e)
{
	struct call k = { .c = c, .method = "DELETE", .key = key, .query = "",
			  .payload = SIGV4_UNSIGNED, .fd = -1 };
	int rc = -1;

	if (call_do(&k, e) == 0)
		rc = k.status == 204 || k.status == 200 || k.status == 404 ? 0 : answer_fail(&k, e);
	call_free(&k);
	return rc;
}

/* One page of a listing: 0 and *more (the token in next), fn's value, or -1. */
static int list_page(const struct s3_conf *c, const char *eprefix, char *next, size_t nlen,
		     int *more, int (*fn)(void *, const char *, uint64_t, long), void *ctx,
		     struct s3_err *e)
{
	char q[2048], etok[1536];
	struct call k = { .c = c, .method = "GET", .query = q, .payload = SIGV4_UNSIGNED,
			  .fd = -1, .resp = { .max = 16u << 20 } };
	int rc = -1;

	if (sigv4_uri_encode(next, 0, etok, sizeof(etok)) < 0)
		return fail(e, 0, "continuation token too long", ""), -1;
	/* the canonical query: names in byte order */
	if (snprintf(q, sizeof(q), "%s%s%slist-type=2&prefix=%s", *next ? "continuation-token=" : "",
		     etok, *next ? "&" : "", eprefix) >= (int)sizeof(q))
		return fail(e, 0, "continuation token too long", ""), -1;
	if (call_do(&k, e) == 0) {
		if (k.status != 200)
			rc = answer_fail(&k, e);
		else if ((rc = s3_list_parse(k.resp.p ? k.resp.p : "", k.resp.len, fn, ctx, more, next,
					     nlen)) < 0)
			fail(e, k.status, "the store's listing is not ListObjectsV2 XML", "");
		else if (rc == 0 && *more && !*next)
			rc = -1, fail(e, k.status, "a truncated listing without a token", "");
	}
	call_free(&k);
	return rc;
}

int s3_list(const struct s3_conf *c, const char *prefix,
	    int (*fn)(void *ctx, const char *key, uint64_t size, long mtime), void *ctx,
	    struct s3_err *e)
{
	char eprefix[1024], next[1024] = "";
	int rc, more = 1;

	if (sigv4_uri_encode(prefix, 0, eprefix, sizeof(eprefix)) < 0)
		return fail(e, 0, "prefix too long", ""), -1;
	while (more && (rc = list_page(c, eprefix, next, sizeof(next), &more, fn, ctx, e)) == 0)
		;
	return rc;
}

int s3_presign(const struct s3_conf *c, const char *key, long long now, long ttl, char *out,
	       size_t n)
{
	struct sigv4_cred cred = { c->access, c->secret, c->region, "s3" };
	const char *host = strstr(c->endpoint, "://");
	char path[3 * 1024 + 256], ekey[3 * 1024 + 1];

	if (!host || strchr(host + 3, '/') || sigv4_uri_encode(key, 1, ekey, sizeof(ekey)) < 0)
		return -1;
	snprintf(path, sizeof(path), "/%s/%s", c->bucket, ekey);
	return sigv4_presign(&cred, c->endpoint, host + 3, path, now, ttl, out, n);
}

/* -- the XML of the answers ------------------------------------------------ */

/* Decodes XML's five named entities and ASCII character references. */
static int xml_decode(const char *s, size_t n, char *out, size_t outlen)
{
	static const struct { const char *name; char ch; } ent[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	size_t o = 0, i = 0;

	while (i < n) {
		char ch = s[i++];
		if (ch == '&') {
			size_t j, k;
			for (k = 0; k < 5; k++) {
				size_t l = strlen(ent[k].name);
				if (n - i >= l && !memcmp(s + i, ent[k].name, l))
					break;
			}
			if (k < 5) {
				ch = ent[k].ch;
				i += strlen(ent[k].name);
			} else if (i < n && s[i] == '#') {
				unsigned long v = 0;
				int hex = i + 1 < n && s[i + 1] == 'x';
				for (j = i + 1 + hex; j < n && j < i + 8 && s[j] != ';'; j++) {
					int d = s[j] >= '0' && s[j] <= '9' ? s[j] - '0' :
						hex && s[j] >= 'a' && s[j] <= 'f' ? s[j] - 'a' + 10 :
						hex && s[j] >= 'A' && s[j] <= 'F' ? s[j] - 'A' + 10 : -1;
					if (d < 0)
						return -1;
					v = v * (hex ? 16 : 10) + (unsigned long)d;
				}
				if (j >= n || s[j] != ';' || j == i + 1 + hex || v == 0 || v > 127)
					return -1;	/* only ASCII: keys here are hex */
				ch = (char)v;
				i = j + 1;
			} else {
				return -1;
			}
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

/* The text of the first <tag>…</tag> in [p, p+n): pointer and length. */
static const char *xml_find(const char *p, size_t n, const char *tag, size_t *len)
{
	char open[72], close[72];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if (!(a = memmem(p, n, open, strlen(open))))
		return NULL;
	a += strlen(open);
	if (!(b = memmem(a, n - (size_t)(a - p), close, strlen(close))))
		return NULL;
	*len = (size_t)(b - a);
	return a;
}

int s3_xml_text(const char *xml, size_t n, const char *tag, char *out, size_t outlen)
{
	size_t len;
	const char *t = xml_find(xml, n, tag, &len);

	if (!t || xml_decode(t, len, out, outlen) < 0)
		return -1;
	return 0;
}

/* "2026-11-30T19:14:39.000Z" as Unix seconds; -1 when not that form. */
static long iso_time(const char *s)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6 || y < 1970 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 ||
	    mi < 0 || sec < 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (long)timegm(&tm);
}

/* One <Contents> element: its key, size and time to fn. */
static int list_entry(const char *p, size_t n,
		      int (*fn)(void *, const char *, uint64_t, long), void *ctx)
{
	char key[1025], size[24], when[40], *end;
	unsigned long long sz;
	long t;

	if (s3_xml_text(p, n, "Key", key, sizeof(key)) < 0 ||
	    s3_xml_text(p, n, "Size", size, sizeof(size)) < 0 ||
	    s3_xml_text(p, n, "LastModified", when, sizeof(when)) < 0)
		return -1;
	errno = 0;
	sz = strtoull(size, &end, 10);
	if (!*size || *end || errno || size[0] == '-' || (t = iso_time(when)) < 0)
		return -1;
	return fn(ctx, key, (uint64_t)sz, t);
}

int s3_list_parse(const char *xml, size_t n,
		  int (*fn)(void *ctx, const char *key, uint64_t size, long mtime), void *ctx,
		  int *truncated, char *next, size_t nextlen)
{
	const char *p = xml, *end = xml + n, *c;
	char trunc[8];
	size_t len;
	int rc;

	*next = '\0';
	*truncated = 0;
	if (!memmem(xml, n, "<ListBucketResult", 17) ||
	    s3_xml_text(xml, n, "IsTruncated", trunc, sizeof(trunc)) < 0 ||
	    (strcmp(trunc, "true") && strcmp(trunc, "false")))
		return -1;
	if (xml_find(xml, n, "NextContinuationToken", &len) &&
	    s3_xml_text(xml, n, "NextContinuationToken", next, nextlen) < 0)
		return -1;
	while ((c = xml_find(p, (size_t)(end - p), "Contents", &len))) {
		if ((rc = list_entry(c, len, fn, ctx)) != 0)
			return rc;
		p = c + len + 11;	/* past "</Contents>" */
	}
	*truncated = !strcmp(trunc, "true");
	return 0;
}
