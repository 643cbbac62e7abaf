/*
 * fetch.h - bounded HTTP GETs to an upstream (libcurl): timeouts, a size
 * cap, redirects followed (up to 5; never from https to http, nor from a
 * public upstream to an internal address: fetch.c's struct hops says
 * why), and conditional requests (ETag and
 * Last-Modified) so a cache can revalidate cheaply.  The body lands in
 * memory: everything fetched this way is small (package metadata and
 * source files), and the cap keeps it so.
 */
#ifndef NB_FETCH_H
#define NB_FETCH_H

#include <stddef.h>

#include "err.h"

struct fetch_result {
	long status;		/* HTTP status, 0 when no answer came */
	char *body;		/* malloc'd, NUL-terminated; NULL on 304 or error */
	size_t len;
	char etag[256], last_modified[64];
	char content_type[128];	/* fetch_get_opts only */
	char error[256];	/* why, when status is 0 or the cap was hit */
};

/*
 * GETs url.  etag / last_modified (may be NULL or "") make it conditional.
 * Returns 0 when an HTTP answer came (any status), -1 on a transport
 * error, a timeout, a refused redirect or a body over max bytes
 * (r->error says which).
 */
int fetch_get(const char *url, const char *etag, const char *last_modified,
	      size_t max, long timeout_s, struct fetch_result *r);
void fetch_result_free(struct fetch_result *r);

/*
 * What a caller that negotiates and bounds its upstream says: accept
 * (NULL: none sent), the conditional validators (NULL or ""), max body
 * bytes, connect_s (seconds to connect) and total_s (seconds for the
 * whole transfer, 0: none) or low_speed_s (abort when under 1 KiB/s for
 * that many seconds, 0: never) for large files.
 */
struct fetch_opts {
	const char *accept, *etag, *last_modified;
	unsigned long long max;
	long connect_s, total_s, low_speed_s;
};

/*
 * fetch_get with opts; r->content_type receives the answer's type.
 * 0 when an HTTP answer came (any status), -1 as fetch_get.
 */
int fetch_get_opts(const char *url, const struct fetch_opts *o, struct fetch_result *r);
/*
 * GETs url and hands the body of a 200 answer to sink in pieces as it
 * arrives (nothing is held here); sink returns 0, or -1 to abort.  0 on
 * a complete 200 within o->max, -1 otherwise with e: NB_BAD_GATEWAY for
 * what the URL gave (another status, a transport error or timeout, a
 * refused redirect, over o->max: the caller relays that upstream),
 * NB_UNAVAILABLE when the sink refused or libcurl is missing.  The
 * message does not name the URL.
 */
int fetch_to_sink(const char *url, const struct fetch_opts *o,
		  int (*sink)(void *ctx, const void *p, size_t n), void *ctx,
		  struct nb_err *e);
/*
 * GETs url into fd (large files: nothing is held in memory).  0 on a 200
 * answer within max bytes; -1 otherwise, with e: NB_INVALID for what the
 * URL gave (another status, a transport error or timeout, a refused
 * redirect, over max), NB_UNAVAILABLE when fd could not be written or
 * libcurl is missing.
 */
int fetch_to_fd(const char *url, int fd, unsigned long long max, long timeout_s,
		struct nb_err *e);

#endif
