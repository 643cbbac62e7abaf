/* The image catalogue: list, upload (streamed), delete; pages and API. */
#include "admin.h"
#include "admin_upload.h"
#include "../lib/auth.h"
#include "../lib/fsutil.h"
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
	const char *q = req_str(r, "q");
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

/* Compresses and publishes an uploaded raw image; removes the temp file.
 * 0, or -1 with e as mkbox_image_import says. */
static int import_upload(struct app *app, const char *tmp, const char *box,
			 const char *board, const char *branch, const char *version,
			 char *image, size_t n, struct nb_err *e)
{
	struct admin *ad = app->domain;
	struct mkbox_import o = {
		.image_path = ad->images, .file = tmp, .label = "the upload",
		.box = box, .board = board,
		.branch = branch, .version = version,
		.level = ad->set.zstd_level,
		/* no zstd workers here: each one buffers megabytes, and the admin
		 * program must stay small while it takes a large upload */
		.threads = 0,
	};
	int rc;

	rc = mkbox_image_import(&o, image, n, e);
	unlink(tmp);
	if (!rc)
		mkbox_tar_precompute(app, ad->images, box, image);
	return rc;
}

static const char *const image_fields[] = { "box", "board", "branch", "version" };

/* POST /admin/images: a multipart form (its names, then the file). */
int admin_image_upload_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	char val[4][ADMIN_FIELD_MAX + 1], tmp[PATH_MAX], image[512];
	struct admin_tmp t;

	admin_tmp_init(&t, app, tmp, sizeof(tmp));
	if (admin_form_stream(app, r, image_fields, 4, val, &t.sink, e) < 0 ||
	    import_upload(app, tmp, val[0], val[1], val[2], val[3], image, sizeof(image), e) < 0)
		return -1;
	http_redirect(w, arena_printf(r->a, "/admin/images?done=imported+%s%%2F%s", val[0], image));
	return 0;
}

int admin_image_delete_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	struct admin *ad = app->domain;
	const char *box = req_str(r, "box"), *image = req_str(r, "image");

	if (mkbox_image_delete(ad->images, box, image) < 0)
		return nb_fail(e, NB_NOT_FOUND, "no such image");
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

/* PUT or POST a raw image body: ?box=&board=[&branch=][&version=] */
int admin_api_image_upload_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	char tmp[PATH_MAX], image[512];
	struct admin_tmp t;
	cJSON *o;

	admin_tmp_init(&t, app, tmp, sizeof(tmp));
	if (admin_body_stream(app, r, &t.sink, e) < 0 ||
	    import_upload(app, tmp, req_str(r, "box"), req_str(r, "board"),
			  req_str(r, "branch"), req_str(r, "version"), image, sizeof(image), e) < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "box", req_str(r, "box"));
	cJSON_AddStringToObject(o, "image", image);
	admin_json(w, 201, o);
	return 0;
}

int admin_api_image_delete_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	struct admin *ad = app->domain;

	if (mkbox_image_delete(ad->images, req_str(r, "box"), req_str(r, "image")) < 0)
		return nb_fail(e, NB_NOT_FOUND, "no such image");
	w->status = 204;
	return 0;
}
