#include "fetch.h"
#include "bytes.h"
#include "netaddr.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "curl_lib.h"

/* cu.f(...): a libcurl function, loaded on first use (curl_lib.h); only
 * called once a handle exists, so the library is there. */
#define cu (*curl_lib())

/* A curl handle, libcurl loaded first; NULL when it cannot be. */
static CURL *cu_handle(void)
{
	return curl_lib() ? cu.init() : NULL;
}

/*
 * The sizes below come from the upstream (its chunks, its Content-Length)
 * and from configuration (a max of "no bound"): every sum of them goes
 * through bytes.h, checked so that none wraps.
 */

/* The bytes of one libcurl call: size * n (libcurl passes size 1), -1
 * when the product does not fit. */
static int chunk_len(size_t size, size_t n, size_t *len)
{
	return __builtin_mul_overflow(size, n, len) ? -1 : 0;
}

/* The largest bound bytes_add takes (below SIZE_MAX / 2). */
#define BODY_MAX (SIZE_MAX / 2 - 1)

struct sink {
	struct fetch_result *r;
	size_t cap, max;	/* max: at most BODY_MAX */
	int too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	struct nb_err e;
	size_t add;

	if (chunk_len(size, n, &add) < 0) {
		s->too_big = 1;
		return 0;	/* aborts the transfer */
	}
	if (bytes_add(&s->r->body, &s->r->len, &s->cap, s->max, p, add, "answer too large",
		      &e) < 0) {
		s->too_big = e.kind == NB_TOO_LARGE;	/* else out of memory */
		return 0;
	}
	return add;
}

/*
 * An answer whose Content-Length is over max is refused before a byte of
 * its body comes (libcurl: CURLE_FILESIZE_EXCEEDED); the sinks bound what
 * comes without one.  A max beyond curl_off_t is no bound of libcurl's.
 */
static void set_max(CURL *c, unsigned long long max)
{
	_Static_assert(sizeof(curl_off_t) == 8, "curl_off_t is 64 bits");
	if (max <= (unsigned long long)INT64_MAX)
		cu.setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
}

/* Keeps the validators of the final response. */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct fetch_result *r = ctx;
	size_t len = size * n;
	char line[512], *v;

	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (!strncasecmp(line, "HTTP/", 5)) {
		/* a new response (redirect) */
		r->etag[0] = r->last_modified[0] = r->content_type[0] = '\0';
		return len;
	}
	v = strchr(line, ':');
	if (!v)
		return len;
	*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	if (!strcasecmp(line, "ETag"))
		snprintf(r->etag, sizeof(r->etag), "%s", v);
	else if (!strcasecmp(line, "Last-Modified"))
		snprintf(r->last_modified, sizeof(r->last_modified), "%s", v);
	else if (!strcasecmp(line, "Content-Type"))
		snprintf(r->content_type, sizeof(r->content_type), "%s", v);
	return len;
}

/*
 * The hops of one transfer: libcurl follows redirects, and before each
 * request (the first and every hop after) on_prereq sees the scheme and
 * the address actually connected to, so a host name that resolves
 * elsewhere than it looks changes nothing.  Two rules, both the
 * upstream's to break and refused as any other upstream failure:
 *  - once a hop was https, no later one is plain http: a redirect must
 *    not take a transfer off TLS (CURLOPT_REDIR_PROTOCOLS_STR applies to
 *    the whole chain, not per hop, so it cannot say this);
 *  - a redirect may not lead to an internal address (netaddr_internal:
 *    loopback, link-local, private) unless the first hop, the upstream
 *    as configured, was at one itself: a LAN mirror and its redirects
 *    within the LAN work, a public upstream cannot make the server ask
 *    its own ports or a cloud's metadata service.
 * With a proxy (the environment's http_proxy) the address seen is the
 * proxy's: which hosts it reaches is then the proxy's to bound.
 */
struct hops {
	CURL *c;
	int n, origin_internal, was_https;
	char why[160];	/* set when a hop was refused */
};

/* The rules above for one hop: scheme ("http", "https", any case) and ip
 * (numeric) of the connection.  0 when it may go on, -1 with h->why. */
static int hop_allowed(struct hops *h, const char *scheme, const char *ip)
{
	int https = !strcasecmp(scheme, "https");

	if (h->n++ == 0)
		h->origin_internal = netaddr_internal(ip);
	else if (h->was_https && !https)
		snprintf(h->why, sizeof(h->why), "redirect from https to http refused");
	else if (!h->origin_internal && netaddr_internal(ip))
		snprintf(h->why, sizeof(h->why), "redirect to internal address %s refused", ip);
	h->was_https |= https;
	return h->why[0] ? -1 : 0;
}

/* CURLOPT_PREREQFUNCTION: after the connection, before each request. */
static int on_prereq(void *ctx, char *ip, char *local_ip, int port, int local_port)
{
	struct hops *h = ctx;
	char *scheme = NULL;

	(void)local_ip, (void)port, (void)local_port;
	cu.getinfo(h->c, CURLINFO_SCHEME, &scheme);
	return hop_allowed(h, scheme ? scheme : "", ip) < 0 ? CURL_PREREQFUNC_ABORT
							    : CURL_PREREQFUNC_OK;
}

/* What every transfer here shares: http(s) only, bounded redirects, each
 * hop checked (h, zeroed by the caller), bounded time. */
static void setup(CURL *c, const char *url, long timeout_s, struct hops *h)
{
	h->c = c;
	cu.setopt(c, CURLOPT_URL, url);
	cu.setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	cu.setopt(c, CURLOPT_MAXREDIRS, 5L);
	cu.setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu.setopt(c, CURLOPT_PREREQFUNCTION, on_prereq);
	cu.setopt(c, CURLOPT_PREREQDATA, h);
	cu.setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s < 10 ? timeout_s : 10L);
	cu.setopt(c, CURLOPT_TIMEOUT, timeout_s);
	cu.setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.setopt(c, CURLOPT_USERAGENT, "nestbox");
}

/* Why rc failed: the refused hop's reason, else libcurl's. */
static const char *why_failed(const struct hops *h, CURLcode rc)
{
	return h->why[0] ? h->why : cu.strerror(rc);
}

/* The bounds of o over setup()'s: separate connect and total limits, or
 * a floor on the rate for transfers of unknown length. */
static void setup_opts(CURL *c, const char *url, const struct fetch_opts *o,
		       struct hops *h)
{
	setup(c, url, o->total_s, h);
	cu.setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_s > 0 ? o->connect_s : 10L);
	if (o->low_speed_s > 0) {
		cu.setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		cu.setopt(c, CURLOPT_LOW_SPEED_TIME, o->low_speed_s);
	}
}

/* The request headers of o (NULL when none); the caller frees them. */
static struct curl_slist *opt_headers(const struct fetch_opts *o)
{
	struct curl_slist *hdr = NULL;
	char h[400];

	if (o->accept && *o->accept) {
		snprintf(h, sizeof(h), "Accept: %s", o->accept);
		hdr = cu.slist_append(hdr, h);
	}
	if (o->etag && *o->etag) {
		snprintf(h, sizeof(h), "If-None-Match: %s", o->etag);
		hdr = cu.slist_append(hdr, h);
	}
	if (o->last_modified && *o->last_modified) {
		snprintf(h, sizeof(h), "If-Modified-Since: %s", o->last_modified);
		hdr = cu.slist_append(hdr, h);
	}
	return hdr;
}

int fetch_get_opts(const char *url, const struct fetch_opts *o, struct fetch_result *r)
{
	struct sink s = { r, 0, o->max < BODY_MAX ? (size_t)o->max : BODY_MAX, 0 };
	struct hops h = { 0 };
	struct curl_slist *hdr;
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof(*r));
	c = cu_handle();
	if (!c) {
		snprintf(r->error, sizeof(r->error), "libcurl (libcurl.so.4) cannot be loaded");
		return -1;
	}
	hdr = opt_headers(o);
	setup_opts(c, url, o, &h);
	set_max(c, s.max);
	cu.setopt(c, CURLOPT_HTTPHEADER, hdr);
	cu.setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu.setopt(c, CURLOPT_WRITEDATA, &s);
	cu.setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	cu.setopt(c, CURLOPT_HEADERDATA, r);
	rc = cu.perform(c);
	cu.getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	cu.slist_free_all(hdr);
	cu.cleanup(c);
	if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(r->error, sizeof(r->error), "answer larger than %zu bytes", s.max);
		fetch_result_free(r);
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", why_failed(&h, rc));
		fetch_result_free(r);
		r->status = 0;
		return -1;
	}
	return 0;
}

int fetch_get(const char *url, const char *etag, const char *last_modified,
	      size_t max, long timeout_s, struct fetch_result *r)
{
	struct fetch_opts o = { NULL, etag, last_modified, max,
				timeout_s < 10 ? timeout_s : 10L, timeout_s, 0 };

	return fetch_get_opts(url, &o, r);
}

void fetch_result_free(struct fetch_result *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

struct fd_sink {
	int fd, too_big, failed;
	unsigned long long len, max;
};

static size_t on_fd_body(char *p, size_t size, size_t n, void *ctx)
{
	struct fd_sink *s = ctx;
	size_t add, off = 0;

	if (chunk_len(size, n, &add) < 0 || bytes_count(&s->len, add, s->max) < 0) {
		s->too_big = 1;
		return 0;
	}
	while (off < add) {
		ssize_t w = write(s->fd, p + off, add - off);
		if (w <= 0) {
			s->failed = 1;
			return 0;
		}
		off += (size_t)w;
	}
	return add;
}

int fetch_to_fd(const char *url, int fd, unsigned long long max, long timeout_s,
		struct nb_err *e)
{
	struct fd_sink s = { fd, 0, 0, 0, max };
	struct hops h = { 0 };
	long status = 0;
	CURLcode rc;
	CURL *c = cu_handle();

	if (!c)
		return nb_fail(e, NB_UNAVAILABLE, "libcurl (libcurl.so.4) cannot be loaded");
	setup(c, url, timeout_s, &h);
	set_max(c, max);
	cu.setopt(c, CURLOPT_WRITEFUNCTION, on_fd_body);
	cu.setopt(c, CURLOPT_WRITEDATA, &s);
	rc = cu.perform(c);
	cu.getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	cu.cleanup(c);
	/* what the URL gave is the asker's to fix (NB_INVALID); our disk is ours */
	if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return nb_fail(e, NB_INVALID, "%s: larger than %llu bytes", url, max);
	if (s.failed)
		return nb_fail(e, NB_UNAVAILABLE, "cannot write the download");
	if (rc != CURLE_OK)
		return nb_fail(e, NB_INVALID, "%s: %s", url, why_failed(&h, rc));
	if (status != 200)
		return nb_fail(e, NB_INVALID, "%s: HTTP %ld", url, status);
	return 0;
}

struct cb_sink {
	int (*fn)(void *, const void *, size_t);
	void *ctx;
	long status;
	int too_big, refused;
	unsigned long long len, max;
	CURL *c;
};

/* Only a 200 answer's body reaches the caller's sink: an error page
 * from the upstream is no part of the file. */
static size_t on_cb_body(char *p, size_t size, size_t n, void *ctx)
{
	struct cb_sink *s = ctx;
	size_t add;

	if (chunk_len(size, n, &add) < 0)
		return 0;
	cu.getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);	/* after any redirect */
	if (s->status != 200)
		return add;	/* discarded; the status says why */
	if (bytes_count(&s->len, add, s->max) < 0) {
		s->too_big = 1;
		return 0;
	}
	if (s->fn(s->ctx, p, add) < 0) {
		s->refused = 1;
		return 0;
	}
	return add;
}

int fetch_to_sink(const char *url, const struct fetch_opts *o,
		  int (*sink)(void *ctx, const void *p, size_t n), void *ctx,
		  struct nb_err *e)
{
	struct cb_sink s = { sink, ctx, 0, 0, 0, 0, o->max, NULL };
	struct hops h = { 0 };
	struct curl_slist *hdr;
	long status = 0;
	CURLcode rc;
	CURL *c = cu_handle();

	if (!c)
		return nb_fail(e, NB_UNAVAILABLE, "libcurl (libcurl.so.4) cannot be loaded");
	s.c = c;
	hdr = opt_headers(o);
	setup_opts(c, url, o, &h);
	set_max(c, o->max);
	cu.setopt(c, CURLOPT_HTTPHEADER, hdr);
	cu.setopt(c, CURLOPT_WRITEFUNCTION, on_cb_body);
	cu.setopt(c, CURLOPT_WRITEDATA, &s);
	rc = cu.perform(c);
	cu.getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	cu.slist_free_all(hdr);
	cu.cleanup(c);
	if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return nb_fail(e, NB_BAD_GATEWAY, "larger than %llu bytes", o->max);
	if (s.refused)
		return nb_fail(e, NB_UNAVAILABLE, "cannot store the download");
	if (rc != CURLE_OK)
		return nb_fail(e, NB_BAD_GATEWAY, "%s", why_failed(&h, rc));
	if (status != 200)
		return nb_fail(e, NB_BAD_GATEWAY, "HTTP %ld", status);
	return 0;
}
