/*
 * The DDI software repository: list, upload (streamed once into its blob
 * and hashers, then read and recorded by ddi_software_add), add from a
 * URL, delete what nothing uses; as a page and as the token API.
 */
#include "admin_ddi.h"
#include "admin_upload.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The artifact's file name goes into device download URLs: keep it plain. */
static int file_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 200 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._+~-", s[i])))
			return 0;
	return 1;
}

/* What a software row holds (struct ddi_software): refused, never cut. */
#define SW_NAME_MAX (sizeof(((struct ddi_software *)0)->name) - 1)
#define SW_URL_MAX (sizeof(((struct ddi_software *)0)->url) - 1)
static const char name_too_long[] = "name is at most 255 bytes";
static const char url_too_long[] = "url is 1 to 1023 bytes";

/* The upload's sink: the bytes go straight into the software's blob. */
struct sw_sink {
	struct app *app;
	struct ddi_upload up;
	char file[256];			/* the file part's name */
};

static int sw_open(void *ctx, const char *filename, struct nb_err *e)
{
	struct sw_sink *s = ctx;

	snprintf(s->file, sizeof(s->file), "%s", filename);
	return ddi_upload_open(s->app, &s->up, e);
}

static int sw_write(void *ctx, const char *p, size_t n, struct nb_err *e)
{
	return ddi_upload_write(&((struct sw_sink *)ctx)->up, p, n, e);
}

static int sw_close(void *ctx, int ok, struct nb_err *e)
{
	(void)e;
	if (!ok)
		ddi_upload_abort(&((struct sw_sink *)ctx)->up);
	return ok ? 0 : -1;
}

/* Records the received upload under its file name ("image.swu" when it
 * has none fit for a download URL); closes it.  The id, or -1 with e. */
static long long add_upload(struct app *app, struct sw_sink *s, const char *file,
			    const char *name, struct nb_err *e)
{
	if (name && strlen(name) > SW_NAME_MAX) {
		ddi_upload_abort(&s->up);
		return nb_fail(e, NB_INVALID, "%s", name_too_long);
	}
	return ddi_software_add(app, &s->up, file && file_ok(file) ? file : "image.swu", name, e);
}

static void software_page(struct app *app, struct http_req *r, struct http_resp *w,
			  int status, const char *error)
{
	cJSON *d = cJSON_CreateObject();
	long per = admin_page_size(app);
	long off = admin_paginate(app, r, d, "page", "software", admin_sw_count(app));

	cJSON_AddItemToObject(d, "software", admin_sw_list(app, r, off, per));
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	if (query_get(&r->query, "done"))
		cJSON_AddStringToObject(d, "flash", query_get(&r->query, "done"));
	admin_page(app, r, w, status, "software", "Software", d);
}

void admin_software(struct app *app, struct http_req *r, struct http_resp *w)
{
	software_page(app, r, w, 200, NULL);
}

static const char *const upload_fields[] = { "name" };

void admin_software_upload(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct sw_sink *s = arena_zalloc(r->a, sizeof(*s));
	const struct admin_sink sink = { sw_open, sw_write, sw_close, s };
	char val[1][ADMIN_FIELD_MAX + 1];
	struct nb_err e;
	long long id;

	nb_err_clear(&e);
	s->app = app;
	if (admin_form_stream(app, r, upload_fields, 1, val, &sink, &e) < 0) {
		admin_fail(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	id = add_upload(app, s, s->file, val[0], &e);
	if (id < 0) {
		software_page(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	http_redirect(w, arena_printf(r->a, "/admin/software?done=added+software+%lld", id));
}

void admin_software_url(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *url = query_get(&r->form, "url"), *name = query_get(&r->form, "name");
	struct nb_err e;
	long long id;

	if (!url || !*url || strlen(url) > SW_URL_MAX) {
		software_page(app, r, w, 400, url && *url ? url_too_long : "a URL is required");
		return;
	}
	if (name && strlen(name) > SW_NAME_MAX) {
		software_page(app, r, w, 400, name_too_long);
		return;
	}
	id = ddi_software_add_url(app, url, name, &e);
	if (id < 0) {
		software_page(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	http_redirect(w, arena_printf(r->a, "/admin/software?done=added+software+%lld", id));
}

void admin_software_delete(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct nb_err e;

	if (ddi_software_delete(app, atoll(http_param(r, "id")), &e) < 0) {
		software_page(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	http_redirect(w, "/admin/software?done=software+deleted");
}

void admin_api_software(struct app *app, struct http_req *r, struct http_resp *w)
{
	admin_json(w, 200, admin_sw_list(app, r, 0, 100000));
}

static void created(struct http_resp *w, long long id)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)id);
	admin_json(w, 201, o);
}

/* A multipart form (fields name, file) or a raw body with ?name=&filename= */
void admin_api_software_add(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *ct = http_env(r, "CONTENT_TYPE"), *name = query_get(&r->query, "name");
	const char *file = query_get(&r->query, "filename");
	struct sw_sink *s = arena_zalloc(r->a, sizeof(*s));
	const struct admin_sink sink = { sw_open, sw_write, sw_close, s };
	char val[1][ADMIN_FIELD_MAX + 1];
	struct nb_err e;
	int rc;
	long long id;

	/* before the body: a long upload must not end in a refusal it could have had first */
	if ((name && strlen(name) > SW_NAME_MAX) || (file && !file_ok(file))) {
		admin_fail(app, r, w, 400, name && strlen(name) > SW_NAME_MAX ? name_too_long :
			   "filename is 1 to 200 letters, digits or . _ + ~ - (not first '.')");
		return;
	}
	nb_err_clear(&e);
	s->app = app;
	if (ct && !strncasecmp(ct, "multipart/form-data", 19)) {
		rc = admin_form_stream(app, r, upload_fields, 1, val, &sink, &e);
		name = val[0];
		file = s->file;
	} else {
		rc = admin_body_stream(app, r, &sink, &e);
	}
	if (rc < 0 || (id = add_upload(app, s, file, name, &e)) < 0) {
		admin_fail(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	created(w, id);
}

void admin_api_software_url(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *url, *name, *perr;
	char *body;
	size_t len;
	int st = http_read_body(r, 65536, &body, &len);
	struct nb_err e;
	long long id;

	if (st) {
		admin_fail(app, r, w, st, st == 413 ? "body too large" : "a JSON body is required");
		return;
	}
	if (admin_url_parse(r->a, body, len, &url, &name, &perr) < 0) {
		admin_fail(app, r, w, 400, perr);
		return;
	}
	id = ddi_software_add_url(app, url, name, &e);
	if (id < 0) {
		admin_fail(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	created(w, id);
}

void admin_api_software_delete(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct nb_err e;

	if (ddi_software_delete(app, atoll(http_param(r, "id")), &e) < 0) {
		admin_fail(app, r, w, nb_err_status(e.kind), e.msg);
		return;
	}
	w->status = 204;
}
