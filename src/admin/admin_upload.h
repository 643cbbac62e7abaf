/*
 * admin_upload.h - streaming uploads for the admin program.
 *
 * An upload's file bytes go from the request, through the multipart
 * parser (or straight, for a raw body), to a sink as they arrive: the
 * sink decides where they live (the DDI software's blob writer and
 * hashers, the image import's compressor and sums, memory for a mip
 * package or an OTA release archive, whose readers take bytes), so no
 * handler stages a copy of its own.
 */
#ifndef NB_ADMIN_UPLOAD_H
#define NB_ADMIN_UPLOAD_H

#include "admin.h"

/* Where a file's bytes go.  open is called once, with the file part's
 * name ("" for a raw body or a part without one), before the first byte;
 * each returns 0, or -1 with e set.  close is called after open
 * succeeded, whatever happened next: ok 1 when the whole body arrived.
 * open and close may be NULL, nothing to do then: a sink that only
 * collects the bytes in memory (a mip package, an OTA archive, which the
 * caller frees once published or refused) names its write alone. */
struct admin_sink {
	int (*open)(void *ctx, const char *filename, struct nb_err *e);
	int (*write)(void *ctx, const char *p, size_t n, struct nb_err *e);
	int (*close)(void *ctx, int ok, struct nb_err *e);
	void *ctx;
};

/*
 * Receives a multipart form of at most admin.max_upload bytes: the named
 * text fields into val (each at most ADMIN_FIELD_MAX bytes), the one
 * "file" part into the sink.  With a session the CSRF field must come
 * before the file (with an API token none is needed): no byte of a forged
 * upload reaches the sink.  0, or -1 with e: NB_INVALID (not multipart, a
 * broken or truncated body, a form without a file, an expired form),
 * NB_LENGTH_REQUIRED, NB_TOO_LARGE, or the sink's error.  Once the
 * session's token was accepted the fields are also r->form (r->form_read
 * set), and a failure names its field (admin_form_field: a field too long,
 * else "file"), so the page's form is drawn again with them (admin_form.c).
 */
int admin_form_stream(struct app *app, struct http_req *r, const char *const *names, int n,
		      char (*val)[ADMIN_FIELD_MAX + 1], const struct admin_sink *s,
		      struct nb_err *e);
/* A raw request body into the sink (opened with ""); errors as above. */
int admin_body_stream(struct app *app, struct http_req *r, const struct admin_sink *s,
		      struct nb_err *e);

/*
 * An API's upload: a multipart/form-data body (curl -F file=@x) is read
 * as a form whose "file" part goes to the sink (its other fields are not
 * read: the API's names come from its query), any other body is the file
 * itself; errors as above.
 */
int admin_api_stream(struct app *app, struct http_req *r, const struct admin_sink *s,
		     struct nb_err *e);

/* 1 when the refused form's error is about field (admin_form_field). */
int admin_form_field_is(const struct app *app, const char *field);

#endif
