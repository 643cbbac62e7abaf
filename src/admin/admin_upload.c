/*
 * Streaming uploads: a multipart body whose text fields are kept (each at
 * most ADMIN_FIELD_MAX bytes) and whose one "file" part goes straight to a
 * sink (admin_upload.h), never into memory; or a raw body into a sink.
 * The session's CSRF token must arrive as a field before the file: no
 * byte of a forged upload is written.
 */
#include "admin_upload.h"
#include "../lib/auth.h"
#include "../lib/fs.h"
#include "../lib/multipart.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct upload {
	struct admin *ad;
	const char *const *names;
	int n;
	char (*val)[ADMIN_FIELD_MAX + 1];
	char csrf[ADMIN_FIELD_MAX + 1];
	int cur;			/* field index; -1 none; n csrf; n + 1 the file */
	int bad;			/* the text field refused as too long, or -1 */
	size_t cur_len;
	int csrf_ok, have_file;
	unsigned long long seen;	/* the text fields (and csrf, bit n) given so far */
	const struct admin_sink *sink;
	struct nb_err e;		/* why a callback stopped the parser */
};

static char *field(struct upload *u, int i)
{
	return i == u->n ? u->csrf : u->val[i];
}

static int up_begin(void *ctx, const struct multipart_part *p)
{
	struct upload *u = ctx;
	int i;

	u->cur = -1;
	u->cur_len = 0;
	if (!strcmp(p->name, "file")) {
		if (!u->csrf_ok)
			return nb_fail(&u->e, NB_INVALID,
				       "the form must send its CSRF token before the file");
		if (u->have_file)
			return nb_fail(&u->e, NB_INVALID, "one file per upload");
		if (u->sink->open && u->sink->open(u->sink->ctx, p->filename, &u->e) < 0)
			return -1;
		u->have_file = 1;
		u->cur = u->n + 1;
		return 0;
	}
	if (!strcmp(p->name, "csrf"))
		u->cur = u->n;
	for (i = 0; i < u->n; i++)
		if (!strcmp(p->name, u->names[i]))
			u->cur = i;
	/* a field given twice: which value counts is refused, not guessed */
	if (u->cur >= 0 && multipart_once(&u->seen, u->cur, p->name, &u->e) < 0) {
		u->bad = u->cur;
		return -1;
	}
	return 0;
}

static int up_data(void *ctx, const char *p, size_t n)
{
	struct upload *u = ctx;

	if (u->cur == u->n + 1)
		return u->sink->write(u->sink->ctx, p, n, &u->e);
	if (u->cur < 0)
		return 0;
	if (u->cur_len + n > ADMIN_FIELD_MAX) {
		u->bad = u->cur;
		return nb_fail(&u->e, NB_INVALID, "a form field is too long");
	}
	memcpy(field(u, u->cur) + u->cur_len, p, n);
	u->cur_len += n;
	field(u, u->cur)[u->cur_len] = '\0';
	return 0;
}

static int up_end(void *ctx)
{
	struct upload *u = ctx;

	if (u->cur == u->n) {
		u->csrf_ok = u->ad->csrf[0] && auth_equal(u->csrf, u->ad->csrf);
		if (!u->csrf_ok)
			return nb_fail(&u->e, NB_INVALID,
				       "the form has expired or did not come from this site");
	}
	u->cur = -1;
	return 0;
}

/* The body's length, checked against admin.max_upload; 0, or -1 with e. */
static int body_length(struct app *app, const struct http_req *r, struct nb_err *e)
{
	if (r->content_length < 0)
		return nb_fail(e, NB_LENGTH_REQUIRED, "Content-Length required");
	if (r->content_length > ((struct admin *)app->domain)->set.max_upload)
		return nb_fail(e, NB_TOO_LARGE, "the upload is larger than admin.max_upload");
	return 0;
}

/*
 * Calls feed for each piece of the body as it arrives; 0, or -1 with e
 * (the feeder's error, or "upload incomplete" when the body ends early).
 */
static int read_body(struct http_req *r, int (*feed)(void *, const char *, size_t, struct nb_err *),
		     void *ctx, struct nb_err *e)
{
	char buf[65536];
	long long left = r->content_length;

	while (left > 0) {
		long n = http_read_some(r, buf, left > (long long)sizeof(buf) ? sizeof(buf) : (size_t)left);
		if (n <= 0)
			return nb_fail(e, NB_INVALID, "upload incomplete");
		if (feed(ctx, buf, (size_t)n, e) < 0)
			return -1;
		left -= n;
	}
	return 0;
}

struct mp_feeder {
	struct multipart *m;
	struct upload *u;
};

static int mp_piece(void *ctx, const char *p, size_t n, struct nb_err *e)
{
	struct mp_feeder *f = ctx;

	if (multipart_feed(f->m, p, n, e) == 0)
		return 0;
	if (f->u->e.kind != NB_OK)	/* a callback's own reason before "upload refused" */
		return nb_fail(e, f->u->e.kind, "%s", f->u->e.msg);
	return -1;
}

/*
 * Once the session's token came (the fields are the operator's typing):
 * the text fields become r->form, so a refused upload form is drawn
 * again with them (admin_form.c), and the field a failure is about is
 * named -- a text field too long, else the file (its part, its bytes or
 * its content as the sink judged it).  A forged or expired upload gets
 * neither: it is refused plainly.
 */
static void keep_typed(struct app *app, struct http_req *r, const struct upload *u, int failed)
{
	int i;

	if (!u->csrf_ok || u->ad->via_token)
		return;
	r->form.v = arena_alloc(r->a, sizeof(*r->form.v) * (size_t)u->n);
	r->form.n = 0;
	for (i = 0; i < u->n; i++)	/* an empty field is drawn as an absent one */
		if (u->val[i][0])	/* copied: val is the handler's, gone when the page is drawn */
			r->form.v[r->form.n++] = (struct query_pair){
				u->names[i], arena_strdup(r->a, u->val[i]) };
	r->form_read = 1;	/* read, and fine: the body is consumed */
	if (failed)
		admin_form_field(app, u->bad >= 0 && u->bad < u->n ? u->names[u->bad] : "file");
}

int admin_form_stream(struct app *app, struct http_req *r, const char *const *names, int n,
		      char (*val)[ADMIN_FIELD_MAX + 1], const struct admin_sink *s,
		      struct nb_err *e)
{
	static const struct multipart_callbacks cb = { up_begin, up_data, up_end };
	struct upload *u = arena_zalloc(r->a, sizeof(*u));
	struct multipart *m = arena_alloc(r->a, sizeof(*m));
	struct mp_feeder f = { m, u };
	char boundary[MP_BOUNDARY_MAX + 1];
	int rc;

	u->ad = app->domain;
	u->names = names;
	u->n = n;
	u->val = val;
	u->sink = s;
	u->bad = -1;
	/* an API token is no ambient credential: a forged request cannot carry one */
	u->csrf_ok = u->ad->via_token;
	memset(val, 0, sizeof(*val) * (size_t)n);
	if (multipart_boundary(http_header(r, "Content-Type"), boundary, sizeof(boundary), e) < 0)
		return -1;
	if (body_length(app, r, e) < 0)
		return -1;
	multipart_init(m, boundary, &cb, u);
	rc = read_body(r, mp_piece, &f, e);
	if (rc == 0)
		rc = multipart_finish(m, e);
	if (rc == 0 && !u->have_file)
		rc = nb_fail(e, NB_INVALID, "the form has no file");
	else if (u->have_file && s->close && s->close(s->ctx, rc == 0, e) < 0)
		rc = -1;
	keep_typed(app, r, u, rc < 0);
	return rc;
}

static int raw_piece(void *ctx, const char *p, size_t n, struct nb_err *e)
{
	const struct admin_sink *s = ctx;

	return s->write(s->ctx, p, n, e);
}

int admin_body_stream(struct app *app, struct http_req *r, const struct admin_sink *s,
		      struct nb_err *e)
{
	int rc;

	if (body_length(app, r, e) < 0 || (s->open && s->open(s->ctx, "", e) < 0))
		return -1;
	rc = read_body(r, raw_piece, (void *)s, e);
	if (s->close && s->close(s->ctx, rc == 0, e) < 0)
		rc = -1;
	return rc;
}

int admin_api_stream(struct app *app, struct http_req *r, const struct admin_sink *s,
		     struct nb_err *e)
{
	const char *ct = http_header(r, "Content-Type");
	char none[1][ADMIN_FIELD_MAX + 1];

	/* a form stored as the file would be a broken image or package that
	 * still carries a valid sum (its own) */
	if (ct && !strncasecmp(ct, "multipart/form-data", 19))
		return admin_form_stream(app, r, NULL, 0, none, s, e);
	return admin_body_stream(app, r, s, e);
}
