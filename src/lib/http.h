/*
 * http.h - one request and its response, over FastCGI or plain CGI.
 *
 * The request is parsed once from the CGI variables (REQUEST_URI, not
 * PATH_INFO, so a program does not care where the front end mounts it).
 * The response is assembled in memory and sent in one go with an exact
 * Content-Length: old MicroPython `requests` and the mkbox box script
 * both break on chunked bodies.  Files are either handed to the front end
 * (X-Sendfile) or streamed from disk with single-range support; an image
 * is never read into memory whole.
 */
#ifndef NB_HTTP_H
#define NB_HTTP_H

#include <stddef.h>
#include <sys/types.h>
#include <fcgiapp.h>

#include "err.h"
#include "arena.h"
#include "path.h"
#include "query.h"
#include "route.h"

struct http_io {
	FCGX_Stream *in, *out;		/* NULL in plain-CGI mode: stdin/stdout */
	FCGX_ParamArray env;		/* NULL in plain-CGI mode: environ */
	int fd;				/* the FastCGI connection (body deadline) */
};

/*
 * How long a body may take, as Apache's mod_reqtimeout counts it:
 * timeout_ms from the first read, plus one second per min_rate bytes
 * received.  timeout_ms 0: no deadline (plain CGI, tests).
 */
struct http_body_limit {
	long timeout_ms;
	long min_rate;			/* bytes per second */
};

struct http_req {
	struct arena *a;
	struct http_io *io;
	const char *method;
	const char *uri;		/* as received, with query */
	const char *raw_path;		/* undecoded, without query */
	const char *raw_query;		/* "" when absent */
	struct path path;
	struct query query;
	struct query form;		/* an urlencoded body, once http_read_form ran */
	int form_read;			/* http_read_form ran: its error kind, +1 */
	struct route_params params;
	const struct route *route;
	struct req_value in[REQ_MAX_FIELDS];	/* the route's checked input (req.h) */
	const char *in_refused;		/* the field req_check refused, or NULL */
	long long content_length;	/* -1 when not given */
	const char *remote_addr;
	int head;			/* HEAD: headers only */
	char **envtab;			/* FastCGI params by name hash (http_env) */
	unsigned envmask;
	struct http_body_limit body_limit;
	long long body_start_ms;	/* first body read, monotonic; 0 before */
	long long body_got;
	int body_timed_out;		/* a read hit the deadline: answer 408 */
};

struct http_resp {
	int status;
	struct buf headers;		/* "Name: value\r\n" lines */
	struct buf body;
	const void *fixed;		/* a body in static memory, sent as it is */
	size_t fixed_len;
	int has_type;
	/* a file body instead of buf: */
	const char *sendfile;		/* path for X-Sendfile */
	int fd;				/* streamed when >= 0 */
	off_t file_off, file_len;
	/* or a body of file_len bytes a callback writes with http_write after
	 * the headers (a blob proxied from an object store); 0 or -1 */
	int (*pump)(void *ctx, struct http_req *r, struct http_resp *w);
	void *pump_ctx;
	long long bytes_sent;		/* body bytes, for the log */
};

/* A request target's undecoded pieces (http_target_split); they point
 * into the target and are not NUL-terminated. */
struct http_target {
	const char *path;
	size_t path_len;
	const char *query;		/* after the first '?', up to a '#'; "" when absent */
	size_t query_len;
};

/*
 * Splits the request target t (n bytes, "<path>[?<query>[#<fragment>]]")
 * at its first '?'; the query ends at its first '#' (RFC 3986 3.5: the
 * fragment is the client's, a browser never sends it but a hand-made
 * request may).  Reads no byte past t[n-1]; copies nothing.  The one
 * split of the program (http_req_parse) and of the route fuzz targets.
 */
void http_target_split(const char *t, size_t n, struct http_target *out);

void http_req_init(struct http_req *r, struct arena *a, struct http_io *io);
/* Parses method, URI, path, query and Content-Length: 0, or -1 with e
 * NB_INVALID saying what is wrong (the program answers it, a 400). */
int http_req_parse(struct http_req *r, struct nb_err *e);
const char *http_env(const struct http_req *r, const char *name);
/* All CGI variables of the request, "NAME=value", NULL-terminated. */
char **http_envp(const struct http_req *r);
/* A request header by its HTTP name ("User-Agent"), or NULL. */
const char *http_header(const struct http_req *r, const char *name);
/* Reads the body, refusing more than max bytes: 0 with *out (NUL
 * terminated) and *len, or -1 with *out NULL, *len 0 and e: NB_LENGTH_REQUIRED
 * (no Content-Length), NB_TOO_LARGE (over max: "request body too large"),
 * NB_INVALID (shorter than announced: "request body incomplete"),
 * NB_TIMEOUT (slower than r->body_limit).  The caller answers e as it
 * answers every error (app_fail): no status is chosen here. */
int http_read_body(struct http_req *r, size_t max, char **out, size_t *len, struct nb_err *e);
/* Reads an application/x-www-form-urlencoded body into r->form: 0 (also
 * for another content type: the form stays empty), or -1 with e as
 * http_read_body, or NB_INVALID for a malformed form.  A second call
 * answers as the first (the body is read once). */
int http_read_form(struct http_req *r, size_t max, struct nb_err *e);
/*
 * 1 when the Content-Type value ct names JSON: "application/json" or a
 * "+json" subtype ("application/hal+json", RFC 6838 4.2.8), in any case,
 * with or without parameters ("application/json; charset=UTF-8", the
 * rauc-hawkbit-updater's); 0 for any other type, a malformed one or NULL.
 */
int http_json_type(const char *ct);
/* 1 when r's body may be read as JSON: no Content-Type (or an empty one),
 * an empty body (Content-Length 0), or a JSON type (http_json_type). */
int http_body_json_ok(const struct http_req *r);
/* A cookie's value from the Cookie header, or NULL. */
const char *http_cookie(const struct http_req *r, const char *name);
/* Reads up to n body bytes as they arrive: >0, 0 at the end, -1 (with
 * r->body_timed_out set when the body was too slow). */
long http_read_some(struct http_req *r, char *p, size_t n);

void http_resp_init(struct http_resp *w, struct arena *a);
/* Header values with CR or LF are dropped: no response splitting. */
void http_set_header(struct http_resp *w, const char *name, const char *value);
/* The value of w's header name (any case; the first), in w's arena, or NULL. */
const char *http_resp_header(const struct http_resp *w, const char *name);
/* Removes every header name (any case) from w. */
void http_resp_drop_header(struct http_resp *w, const char *name);
/*
 * If-None-Match (RFC 9110 13.1.2): 1 when the field value field is "*"
 * (any current representation, whatever etag) or a list of entity tags
 * ('"a", W/"b"') naming etag ('"b"' or 'W/"b"') by the weak comparison
 * (8.8.3.2: equal opaque tags, W/ or not); 0 otherwise: a NULL field, a
 * NULL or malformed etag, a malformed list (a 200 is never wrong).  The
 * program answers a GET or HEAD that matches 304 (app.c).
 */
int http_etag_match(const char *field, const char *etag);
void http_text(struct http_resp *w, int status, const char *text);
void http_json_error(struct http_resp *w, int status, const char *msg);
/* The body as-is with a content type. */
void http_bytes(struct http_resp *w, int status, const char *ctype,
		const void *p, size_t n);
/* A body that outlives the request (static data): not copied. */
void http_fixed(struct http_resp *w, int status, const void *p, size_t n);
/*
 * The external base URL of this server for absolute links ("http://host:port",
 * no trailing slash), in r's arena: configured (server.base_url) when not
 * empty, else the scheme, Host header and the port the front end answered on.
 * Devices that send Host without the port (MicroPython's requests, mip, the
 * OTA updater) get the port added; a Host with characters no host name has
 * is replaced by SERVER_NAME, then "localhost".
 */
const char *http_base_url(struct http_req *r, const char *configured);
/* 303 See Other to a local path. */
void http_redirect(struct http_resp *w, const char *location);

/*
 * Answers with a file: X-Sendfile when use_xsendfile, else streamed with
 * Range support.  Returns 0, or -1 with e NB_NOT_FOUND saying not_found
 * when path is not a regular file that can be opened (w untouched).
 */
int http_file(struct http_req *r, struct http_resp *w, const char *path,
	      const char *ctype, int use_xsendfile, const char *not_found, struct nb_err *e);

/*
 * Parses a Range header against a file size.  Returns 0 to send the whole
 * file (no header, unparsable, or several ranges), 1 with the range in start and len,
 * or -1 when unsatisfiable (answer 416).
 */
int http_range_parse(const char *h, off_t size, off_t *start, off_t *len);

/* Writes body bytes to the client (for a pump); 0 or -1. */
int http_write(struct http_req *r, const void *p, size_t n);
/* Writes status, headers, Content-Length and body (a 204 or 304 has
 * neither: RFC 9110 8.6, 15.4.5).  Returns 0 or -1. */
int http_send(struct http_req *r, struct http_resp *w);
const char *http_reason(int status);

#endif
