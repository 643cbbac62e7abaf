/*
 * Streaming form uploads: a multipart body whose text fields are kept
 * (each at most ADMIN_FIELD_MAX bytes) and whose one "file" part goes
 * straight to a temporary file, never into memory.  The session's CSRF
 * token must arrive as a field before the file: no byte of a forged
 * upload is written.
 */
#include "admin.h"
#include "../lib/auth.h"
#include "../lib/fsutil.h"
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
	size_t cur_len;
	int csrf_ok, have_file, fd;
	const char *why;
};

static char *field(struct upload *u, int i)
{
	return i == u->n ? u->csrf : u->val[i];
}

static int up_begin(void *ctx, const struct mp_part *p)
{
	struct upload *u = ctx;
	int i;

	u->cur = -1;
	u->cur_len = 0;
	if (!strcmp(p->name, "file")) {
		if (!u->csrf_ok) {
			u->why = "the form must send its CSRF token before the file";
			return -1;
		}
		if (u->have_file) {
			u->why = "one file per upload";
			return -1;
		}
		u->have_file = 1;
		u->cur = u->n + 1;
		snprintf(u->ad->upload_name, sizeof(u->ad->upload_name), "%s", p->filename);
		return 0;
	}
	if (!strcmp(p->name, "csrf"))
		u->cur = u->n;
	for (i = 0; i < u->n; i++)
		if (!strcmp(p->name, u->names[i]))
			u->cur = i;
	return 0;
}

static int up_data(void *ctx, const char *p, size_t n)
{
	struct upload *u = ctx;

	if (u->cur == u->n + 1) {
		if (fs_write_all(u->fd, p, n) < 0) {
			u->why = "cannot store the upload (disk full?)";
			return -1;
		}
		return 0;
	}
	if (u->cur < 0)
		return 0;
	if (u->cur_len + n > ADMIN_FIELD_MAX) {
		u->why = "a form field is too long";
		return -1;
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
		if (!u->csrf_ok) {
			u->why = "the form has expired or did not come from this site";
			return -1;
		}
	}
	u->cur = -1;
	return 0;
}

/* Streams the body through the parser; 0 or an HTTP status. */
static int read_multipart(struct http_req *r, struct multipart *m, long long max)
{
	char buf[65536];
	long long left = r->content_length;

	if (left < 0)
		return 411;
	if (left > max)
		return 413;
	while (left > 0) {
		long n = http_read_some(r, buf, left > (long long)sizeof(buf) ? sizeof(buf) : (size_t)left);
		if (n <= 0 || mp_feed(m, buf, (size_t)n) < 0)
			return 400;
		left -= n;
	}
	return mp_finish(m) < 0 ? 400 : 0;
}

/* Creates <var_dir>/tmp/upload.tmp.*: never through a link in place of
 * tmp/, so an upload is not written outside the state directory.  A killed
 * upload's file is collected by gc and at start-up (fs_clean_tmp). */
int admin_tmp_open(struct app *app, char *tmp, size_t n)
{
	char dir[PATH_MAX], name[NAME_MAX + 1];
	int dfd, fd;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/tmp", app->var_dir) >= sizeof(dir) ||
	    fs_mkdirs(dir, 0755) < 0 ||
	    (dfd = fs_open_beneath(app->var_dir, "tmp", O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	fd = fs_tmp_openat(dfd, "upload", name, sizeof(name));
	if (fd >= 0 && (size_t)snprintf(tmp, n, "%s/%s", dir, name) >= n) {
		close(fd);
		unlinkat(dfd, name, 0);
		fd = -1;
	}
	close(dfd);
	return fd;
}

int admin_upload_receive(struct app *app, struct http_req *r, const char *const *names,
			 int n, char (*val)[ADMIN_FIELD_MAX + 1], char *tmp, size_t tmplen,
			 const char **why)
{
	static const struct mp_callbacks cb = { up_begin, up_data, up_end };
	struct upload *u = arena_zalloc(r->a, sizeof(*u));
	struct multipart *m = arena_alloc(r->a, sizeof(*m));
	char boundary[MP_BOUNDARY_MAX + 1];
	int st;

	u->ad = app->domain;
	u->names = names;
	u->n = n;
	u->val = val;
	/* an API token is no ambient credential: a forged request cannot carry one */
	u->csrf_ok = u->ad->via_token;
	u->ad->upload_name[0] = '\0';
	memset(val, 0, sizeof(*val) * (size_t)n);
	if (mp_boundary(http_env(r, "CONTENT_TYPE"), boundary, sizeof(boundary)) < 0) {
		*why = "expected a multipart/form-data upload";
		return 400;
	}
	u->fd = admin_tmp_open(app, tmp, tmplen);
	if (u->fd < 0) {
		*why = "cannot create a temporary file";
		return 503;
	}
	mp_init(m, boundary, &cb, u);
	st = read_multipart(r, m, conf_int(app->conf, "admin.max_upload"));
	if (close(u->fd) < 0 && !st)
		st = 503;
	if (st || !u->have_file) {
		unlink(tmp);
		*why = st == 413 ? "the upload is larger than admin.max_upload" :
		       u->why ? u->why : m->err ? m->err : st == 411 ? "length required" :
		       "the form has no file";
		return st ? st : 400;
	}
	return 0;
}

int admin_receive_body(struct app *app, struct http_req *r, char *tmp, size_t tmplen,
		       char *err, size_t errlen)
{
	char buf[65536];
	long long left = r->content_length;
	int fd;

	if (left < 0) {
		snprintf(err, errlen, "Content-Length required");
		return 411;
	}
	if (left > conf_int(app->conf, "admin.max_upload")) {
		snprintf(err, errlen, "the upload is larger than admin.max_upload");
		return 413;
	}
	fd = admin_tmp_open(app, tmp, tmplen);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file");
		return 503;
	}
	while (left > 0) {
		long n = http_read_some(r, buf, left > (long long)sizeof(buf) ? sizeof(buf) : (size_t)left);
		if (n <= 0 || fs_write_all(fd, buf, (size_t)n) < 0) {
			close(fd);
			unlink(tmp);
			snprintf(err, errlen, n <= 0 ? "upload incomplete" :
				 "cannot store the upload (disk full?)");
			return n <= 0 ? 400 : 503;
		}
		left -= n;
	}
	if (close(fd) < 0) {
		unlink(tmp);
		snprintf(err, errlen, "cannot store the upload (disk full?)");
		return 503;
	}
	return 0;
}
