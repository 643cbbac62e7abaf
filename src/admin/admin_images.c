/* The image catalogue: list, upload (streamed straight into the
 * compressor, mkbox_import_begin), delete; pages and API. */
#include "admin.h"
#include "admin_upload.h"
#include "../lib/auth.h"
#include "../lib/fs.h"
#include "../mkbox/mkbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


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

int admin_images_run(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct admin *ad = app->domain;
	struct mkbox_entry *v;
	size_t n = 0, i;
	long per = admin_page_size(app), off;
	/* (no search on a form drawn again: the upload declares no q) */
	const char *q = req_has(r, "q") ? req_str(r, "q") : NULL;
	cJSON *d = cJSON_CreateObject(), *arr;

	(void)e;

	mkbox_catalog(r->a, ad->images, q, &v, &n);
	off = admin_paginate(app, r, d, "page", "images", (long)n);
	arr = cJSON_AddArrayToObject(d, "images");
	for (i = (size_t)off; i < n && i < (size_t)(off + per); i++)
		cJSON_AddItemToArray(arr, entry_json(&v[i]));
	cJSON_AddNumberToObject(d, "count", (double)n);
	cJSON_AddStringToObject(d, "q", q ? q : "");
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	admin_page(app, r, w, 200, "images", "Images", d);
	return 0;
}

/*
 * The upload's sink: the raw bytes go from the request straight into the
 * compressor and the sums of mkbox_import_begin (no temporary copy of the
 * raw image).  The names are known when the file starts: the form's fields
 * before it, or the API's query.
 */
struct image_sink {
	struct app *app;
	const char *box, *board, *branch, *version;
	char (*val)[ADMIN_FIELD_MAX + 1];	/* the form's fields, or NULL */
	struct mkbox_importer *im;
	char image[512];
};

static int image_open(void *ctx, const char *filename, struct nb_err *e)
{
	struct image_sink *s = ctx;
	struct admin *ad = s->app->domain;
	struct mkbox_import o = {
		.image_path = ad->images, .label = "the upload",
		/* no zstd workers here: each one buffers megabytes, and the admin
		 * program must stay small while it takes a large upload */
		.level = ad->set.zstd_level, .threads = 0,
	};

	(void)filename;
	if (s->val) {	/* a form: the fields sent before the file; an empty
			 * box or board is a missing one (refused), as on the API */
		s->box = s->val[0][0] ? s->val[0] : NULL;
		s->board = s->val[1][0] ? s->val[1] : NULL;
		s->branch = s->val[2], s->version = s->val[3];
	}
	o.box = s->box, o.board = s->board, o.branch = s->branch, o.version = s->version;
	s->im = mkbox_import_begin(&o, s->image, sizeof(s->image), e);
	return s->im ? 0 : -1;
}

static int image_write(void *ctx, const char *p, size_t n, struct nb_err *e)
{
	return mkbox_import_write(((struct image_sink *)ctx)->im, p, n, e);
}

/* Publishes the image (its update tar composed for the boxes) or drops it. */
static int image_close(void *ctx, int ok, struct nb_err *e)
{
	struct image_sink *s = ctx;
	struct admin *ad = s->app->domain;

	if (mkbox_import_end(s->im, ok, e) < 0)
		return -1;
	mkbox_tar_precompute(s->app, ad->images, s->box, s->image);
	return 0;
}

static const char *const image_fields[] = { "box", "board", "branch", "version" };

/* After a refused upload: the first name mkbox_import_begin would refuse
 * (box and board required, branch and version optional), so the message
 * is drawn beside it; admin_form_stream named the file or a long field. */
static void image_bad_name(struct app *app, char (*val)[ADMIN_FIELD_MAX + 1])
{
	int i;

	for (i = 0; i < 4; i++)
		if ((i < 2 || val[i][0]) && !mkbox_name_ok(val[i])) {
			admin_form_field(app, image_fields[i]);
			return;
		}
}

/* POST /admin/images: a multipart form (its names, then the file). */
int admin_image_upload_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	char val[4][ADMIN_FIELD_MAX + 1];
	struct image_sink s = { .app = app, .val = val };
	const struct admin_sink sink = { image_open, image_write, image_close, &s };

	if (admin_form_stream(app, r, image_fields, 4, val, &sink, e) < 0) {
		if (admin_form_field_is(app, "file"))
			image_bad_name(app, val);
		return -1;
	}
	http_redirect(w, arena_printf(r->a, "/admin/images?done=imported+%s%%2F%s", s.box,
				      s.image));
	return 0;
}

int admin_image_delete_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	struct admin *ad = app->domain;
	const char *box = req_str(r, "box"), *image = req_str(r, "image");

	if (mkbox_image_delete(app->set.var_dir, ad->images, box, image, e) < 0)
		return -1;
	http_redirect(w, arena_printf(r->a, "/admin/images?done=deleted+%s%%2F%s", box, image));
	return 0;
}

int admin_api_images_run(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	struct admin *ad = app->domain;
	struct mkbox_entry *v;
	size_t n = 0, i;
	cJSON *arr = cJSON_CreateArray();

	(void)e;
	mkbox_catalog(r->a, ad->images, req_str(r, "q"), &v, &n);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, entry_json(&v[i]));
	admin_json(w, 200, arr);
	return 0;
}

/* PUT or POST an image: a raw body, or a form's "file" part (curl -F),
 * with ?box=&board=[&branch=][&version=] */
int admin_api_image_upload_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	struct image_sink s = { app, req_str(r, "box"), req_str(r, "board"), req_str(r, "branch"),
				req_str(r, "version"), NULL, NULL, "" };
	const struct admin_sink sink = { image_open, image_write, image_close, &s };
	cJSON *o;

	if (admin_api_stream(app, r, &sink, e) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "box", s.box);
	cJSON_AddStringToObject(o, "image", s.image);
	admin_json(w, 201, o);
	return 0;
}

int admin_api_image_delete_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	struct admin *ad = app->domain;

	if (mkbox_image_delete(app->set.var_dir, ad->images, req_str(r, "box"),
			       req_str(r, "image"), e) < 0)
		return -1;
	w->status = 204;
	return 0;
}
