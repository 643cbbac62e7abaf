/* The image catalogue: list, upload (streamed), delete; pages and API. */
#include "admin.h"
#include "../lib/auth.h"
#include "../lib/fsutil.h"
#include "../lib/multipart.h"
#include "../mkbox/mkbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FIELD_MAX 200

static void human_size(char *out, size_t n, long long v)
{
	if (v >= 1 << 30)
		snprintf(out, n, "%.1f GiB", (double)v / (1 << 30));
	else if (v >= 1 << 20)
		snprintf(out, n, "%.1f MiB", (double)v / (1 << 20));
	else if (v >= 1 << 10)
		snprintf(out, n, "%.1f KiB", (double)v / (1 << 10));
	else
		snprintf(out, n, "%lld B", v);
}

static cJSON *entry_json(const struct mkbox_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	char when[32] = "", size[32];
	time_t t = (time_t)e->mtime;

	cJSON_AddStringToObject(o, "box", e->box);
	cJSON_AddStringToObject(o, "image", e->image);
	if (e->build_id) {
		cJSON_AddStringToObject(o, "build_id", e->build_id);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&t));
	}
	cJSON_AddNumberToObject(o, "size", (double)e->size);
	human_size(size, sizeof(size), e->size);
	cJSON_AddStringToObject(o, "size_human", size);
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "sha256", e->sha256);
	return o;
}

void admin_images(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	struct mkbox_entry *v;
	size_t n = 0, i;
	long per = admin_page_size(app), off;
	const char *q = query_get(&r->query, "q");
	cJSON *d = cJSON_CreateObject(), *arr;

	mkbox_catalog(r->a, ad->images, q, &v, &n);
	off = admin_paginate(app, r, d, "page", "images", (long)n);
	arr = cJSON_AddArrayToObject(d, "images");
	for (i = (size_t)off; i < n && i < (size_t)(off + per); i++)
		cJSON_AddItemToArray(arr, entry_json(&v[i]));
	cJSON_AddNumberToObject(d, "count", (double)n);
	cJSON_AddStringToObject(d, "q", q ? q : "");
	if (query_get(&r->query, "done"))
		cJSON_AddStringToObject(d, "flash", query_get(&r->query, "done"));
	admin_page(app, r, w, 200, "images", "Images", d);
}

/* Compresses and publishes an uploaded raw image; removes the temp file. */
static int import_upload(struct app *app, const char *tmp, const char *box,
			 const char *board, const char *branch, const char *version,
			 char *image, size_t n, char *err, size_t errlen)
{
	struct admin *ad = app->domain;
	struct mkbox_import o = {
		.image_path = ad->images, .file = tmp, .box = box, .board = board,
		.branch = branch, .version = version,
		.level = (int)conf_int(app->conf, "mkbox.zstd_level"),
		.threads = (int)conf_int(app->conf, "mkbox.zstd_threads"),
	};
	int rc;

	if (o.threads == 0)
		o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	rc = mkbox_import_image(&o, image, n, err, errlen);
	unlink(tmp);
	return rc;
}

struct upload {
	struct admin *ad;
	char field[5][FIELD_MAX + 1];	/* box board branch version csrf */
	int cur;			/* field index, -1 none, 5 the file */
	size_t cur_len;
	int csrf_ok, have_file, fd;
	char tmp[PATH_MAX];
	const char *why;
};

static const char *const fields[] = { "box", "board", "branch", "version", "csrf" };

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
		u->cur = 5;
		return 0;
	}
	for (i = 0; i < 5; i++)
		if (!strcmp(p->name, fields[i]))
			u->cur = i;
	return 0;
}

static int up_data(void *ctx, const char *p, size_t n)
{
	struct upload *u = ctx;

	if (u->cur == 5) {
		if (fs_write_all(u->fd, p, n) < 0) {
			u->why = "cannot store the upload (disk full?)";
			return -1;
		}
		return 0;
	}
	if (u->cur < 0)
		return 0;
	if (u->cur_len + n > FIELD_MAX) {
		u->why = "a form field is too long";
		return -1;
	}
	memcpy(u->field[u->cur] + u->cur_len, p, n);
	u->cur_len += n;
	u->field[u->cur][u->cur_len] = '\0';
	return 0;
}

static int up_end(void *ctx)
{
	struct upload *u = ctx;

	if (u->cur == 4) {
		u->csrf_ok = u->ad->csrf[0] && auth_equal(u->field[4], u->ad->csrf);
		if (!u->csrf_ok) {
			u->why = "the form has expired or did not come from this site";
			return -1;
		}
	}
	u->cur = -1;
	return 0;
}

/* Streams a multipart body through the parser; 0 or an HTTP status. */
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
		if (n <= 0)
			return 400;
		if (mp_feed(m, buf, (size_t)n) < 0)
			return 400;
		left -= n;
	}
	return mp_finish(m) < 0 ? 400 : 0;
}

static int open_tmp(struct app *app, char *tmp, size_t n)
{
	char base[PATH_MAX];

	if ((size_t)snprintf(base, sizeof(base), "%s/tmp", app->var_dir) >= sizeof(base) ||
	    fs_mkdirs(base, 0755) < 0 ||
	    (size_t)snprintf(base, sizeof(base), "%s/tmp/upload", app->var_dir) >= sizeof(base))
		return -1;
	return fs_tmp_open(base, tmp, n);
}

void admin_image_upload(struct app *app, struct http_req *r, struct http_resp *w)
{
	static const struct mp_callbacks cb = { up_begin, up_data, up_end };
	struct upload *u = arena_zalloc(r->a, sizeof(*u));
	struct multipart *m = arena_alloc(r->a, sizeof(*m));
	char boundary[MP_BOUNDARY_MAX + 1], image[512], err[512];
	int st;

	u->ad = app->domain;
	if (mp_boundary(http_env(r, "CONTENT_TYPE"), boundary, sizeof(boundary)) < 0) {
		admin_fail(app, r, w, 400, "expected a multipart/form-data upload");
		return;
	}
	u->fd = open_tmp(app, u->tmp, sizeof(u->tmp));
	if (u->fd < 0) {
		admin_fail(app, r, w, 503, "cannot create a temporary file");
		return;
	}
	mp_init(m, boundary, &cb, u);
	st = read_multipart(r, m, conf_int(app->conf, "admin.max_upload"));
	if (close(u->fd) < 0 && !st)
		st = 503;
	if (st || !u->have_file) {
		unlink(u->tmp);
		admin_fail(app, r, w, st == 411 || st == 413 ? st : st ? st : 400,
			   st == 413 ? "the upload is larger than admin.max_upload" :
			   u->why ? u->why : m->err ? m->err : st == 411 ? "length required" :
			   "the form has no file");
		return;
	}
	if (import_upload(app, u->tmp, u->field[0], u->field[1], u->field[2], u->field[3],
			  image, sizeof(image), err, sizeof(err)) < 0) {
		admin_fail(app, r, w, 400, err);
		return;
	}
	http_redirect(w, arena_printf(r->a, "/admin/images?done=imported+%s%%2F%s",
				      u->field[0], image));
}

void admin_image_delete(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	const char *box = query_get(&r->form, "box"), *image = query_get(&r->form, "image");

	if (!box || !image || mkbox_image_delete(ad->images, box, image) < 0) {
		admin_fail(app, r, w, 404, "no such image");
		return;
	}
	http_redirect(w, arena_printf(r->a, "/admin/images?done=deleted+%s%%2F%s", box, image));
}

void admin_api_images(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;
	struct mkbox_entry *v;
	size_t n = 0, i;
	cJSON *arr = cJSON_CreateArray();

	mkbox_catalog(r->a, ad->images, query_get(&r->query, "q"), &v, &n);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, entry_json(&v[i]));
	admin_json(w, 200, arr);
}

/* PUT or POST a raw image body: ?box=&board=[&branch=][&version=] */
void admin_api_image_upload(struct app *app, struct http_req *r, struct http_resp *w)
{
	const struct query *q = &r->query;
	char tmp[PATH_MAX], buf[65536], image[512], err[512];
	long long left = r->content_length;
	int fd;
	cJSON *o;

	if (left < 0) {
		admin_fail(app, r, w, 411, "Content-Length required");
		return;
	}
	if (left > conf_int(app->conf, "admin.max_upload")) {
		admin_fail(app, r, w, 413, "the upload is larger than admin.max_upload");
		return;
	}
	fd = open_tmp(app, tmp, sizeof(tmp));
	if (fd < 0) {
		admin_fail(app, r, w, 503, "cannot create a temporary file");
		return;
	}
	while (left > 0) {
		long n = http_read_some(r, buf, left > (long long)sizeof(buf) ? sizeof(buf) : (size_t)left);
		if (n <= 0 || fs_write_all(fd, buf, (size_t)n) < 0) {
			close(fd);
			unlink(tmp);
			admin_fail(app, r, w, n <= 0 ? 400 : 503, n <= 0 ? "upload incomplete"
				  : "cannot store the upload (disk full?)");
			return;
		}
		left -= n;
	}
	close(fd);
	if (import_upload(app, tmp, query_get(q, "box"), query_get(q, "board"),
			  query_get(q, "branch"), query_get(q, "version"),
			  image, sizeof(image), err, sizeof(err)) < 0) {
		admin_fail(app, r, w, 400, err);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "box", query_get(q, "box"));
	cJSON_AddStringToObject(o, "image", image);
	admin_json(w, 201, o);
}

void admin_api_image_delete(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct admin *ad = app->domain;

	if (mkbox_image_delete(ad->images, http_param(r, "box"), http_param(r, "image")) < 0) {
		admin_fail(app, r, w, 404, "no such image");
		return;
	}
	w->status = 204;
}
