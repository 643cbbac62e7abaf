/*
 * The DDI software repository: list, upload (streamed once into its blob
 * and hashers, then read and recorded by ddi_software_add), add from a
 * URL, delete what nothing uses; as a page and as the token API.
 */
#include "admin_ddi.h"
#include "admin_upload.h"
#include "admin_audit.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>


_Static_assert(ADMIN_SW_NAME_MAX == sizeof(((struct ddi_software *)0)->name) - 1,
	       "a software name the row holds");
_Static_assert(ADMIN_SW_URL_MAX == sizeof(((struct ddi_software *)0)->url) - 1,
	       "a software URL the row holds");

/* The repository's settings, read at start with the admin's. */
static const struct ddi_sw_settings *sw_settings(const struct app *app)
{
	return &((const struct admin *)app->domain)->set.software;
}

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

/* The audit row of a change to software sw (issue 14: it names what
 * changed): "software 3 (core image 2.0)". */
static void sw_audit(struct app *app, const char *action, const struct ddi_software *sw)
{
	admin_audit(app, action, "software %lld (%s%s%s)", sw->id, sw->name,
		    *sw->name ? " " : "", sw->version);
}

/* id, once added, written to the audit feed by its name and version. */
static long long sw_added(struct app *app, long long id)
{
	struct ddi_software sw;

	if (id >= 0 && ddi_software_get(app, id, &sw, NULL) == 0)
		sw_audit(app, "software add", &sw);
	return id;
}

/* Deletes software id, written to the audit feed with the name and
 * version it had; 0, or -1 with e (as ddi_software_delete). */
static int sw_delete(struct app *app, long long id, struct nb_err *e)
{
	struct ddi_software sw;
	int known = ddi_software_get(app, id, &sw, NULL) == 0;

	if (ddi_software_delete(app, id, e) < 0)
		return -1;
	if (known)
		sw_audit(app, "software delete", &sw);
	return 0;
}

/* Records the received upload under its file name ("image.swu" when it
 * has none fit for a download URL); closes it.  The id, or -1 with e. */
static long long add_upload(struct app *app, struct sw_sink *s, const char *file,
			    const char *name, struct nb_err *e)
{
	if (name && strlen(name) > ADMIN_SW_NAME_MAX) {
		ddi_upload_abort(&s->up);
		return nb_fail(e, NB_INVALID, "invalid name: at most %d bytes", ADMIN_SW_NAME_MAX);
	}
	return sw_added(app, ddi_software_add(app, sw_settings(app), &s->up,
					      file && admin_file_name_ok(file) ? file : "image.swu",
					      name, e));
}

/* The list, with a failed form's error (answered with its status) when
 * form is set; 0, or -1 with e when the store cannot be read (a 503 page,
 * never an empty list). */
static int software_page(struct app *app, struct http_req *r, struct http_resp *w,
			 const struct nb_err *form, struct nb_err *e)
{
	long long n = ddi_fleet_software_count(app, e);
	cJSON *d, *list;
	long off;

	if (n < 0)
		return -1;
	d = cJSON_CreateObject();
	off = admin_paginate(app, r, d, "page", "software", (long)n);
	list = admin_sw_list(app, r, off, admin_page_size(app), e);
	if (!list) {
		cJSON_Delete(d);
		return -1;
	}
	cJSON_AddItemToObject(d, "software", list);
	if (form)
		cJSON_AddStringToObject(d, "error", form->msg);
	if (req_has(r, "done"))
		cJSON_AddStringToObject(d, "flash", req_str(r, "done"));
	if (form)
		admin_page_err(app, r, w, form, "software", "Software", d);
	else
		admin_page(app, r, w, 200, "software", "Software", d);
	return 0;
}

/* A failed form is answered with the list and its error: 0, or -1 with e
 * (the store's error when the list cannot be read, else the form's). */
static int page_error(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e)
{
	struct nb_err form = *e;

	return software_page(app, r, w, &form, e);
}

int admin_software_run(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	return software_page(app, r, w, NULL, e);
}

static const char *const upload_fields[] = { "name" };

/* POST /admin/software: a multipart form (name, then the file). */
int admin_software_upload_run(struct app *app, struct http_req *r, struct http_resp *w,
			      struct nb_err *e)
{
	struct sw_sink *s = arena_zalloc(r->a, sizeof(*s));
	const struct admin_sink sink = { sw_open, sw_write, sw_close, s };
	char val[1][ADMIN_FIELD_MAX + 1];
	long long id;

	s->app = app;
	if (admin_form_stream(app, r, upload_fields, 1, val, &sink, e) < 0)
		return -1;
	id = add_upload(app, s, s->file, val[0], e);
	if (id < 0) {
		/* drawn again (admin_form.c): beside the name when it is too
		 * long, else beside the file (broken, or overlapping) */
		admin_form_field(app, strlen(val[0]) > ADMIN_SW_NAME_MAX ? "name" : "file");
		return -1;
	}
	http_redirect(w, arena_printf(r->a, "/admin/software?done=added+software+%lld", id));
	return 0;
}

int admin_software_url_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	const char *url = req_str(r, "url"), *name = req_str(r, "name");
	long long id = sw_added(app, ddi_software_add_url(app, sw_settings(app), url, name, e));

	if (id < 0) {
		admin_form_field(app, "url");	/* the one field the store judges */
		return -1;
	}
	http_redirect(w, arena_printf(r->a, "/admin/software?done=added+software+%lld", id));
	return 0;
}

int admin_software_delete_run(struct app *app, struct http_req *r, struct http_resp *w,
			      struct nb_err *e)
{
	if (sw_delete(app, req_int(r, "id", 0), e) < 0)
		return page_error(app, r, w, e);
	http_redirect(w, "/admin/software?done=software+deleted");
	return 0;
}

int admin_api_software_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	cJSON *list = admin_sw_list(app, r, 0, 100000, e);

	if (!list)
		return -1;
	admin_json(w, 200, list);
	return 0;
}

static void created(struct http_resp *w, long long id)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)id);
	admin_json(w, 201, o);
}

/* A multipart form (fields name, file) or a raw body with ?name=&filename=;
 * both checked (declared) before a byte of the body is read. */
int admin_api_software_add_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	const char *ct = http_header(r, "Content-Type"), *name = req_str(r, "name");
	const char *file = req_str(r, "filename");
	struct sw_sink *s = arena_zalloc(r->a, sizeof(*s));
	const struct admin_sink sink = { sw_open, sw_write, sw_close, s };
	char val[1][ADMIN_FIELD_MAX + 1];
	int rc;
	long long id;

	s->app = app;
	if (ct && !strncasecmp(ct, "multipart/form-data", 19)) {
		rc = admin_form_stream(app, r, upload_fields, 1, val, &sink, e);
		name = val[0];
		file = s->file;
	} else {
		rc = admin_body_stream(app, r, &sink, e);
	}
	if (rc < 0 || (id = add_upload(app, s, file, name, e)) < 0)
		return -1;
	created(w, id);
	return 0;
}

int admin_api_software_url_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	const char *url, *name;
	char *body;
	size_t len;
	long long id;

	if (http_read_body(r, 65536, &body, &len, e) < 0)
		return -1;
	if (admin_url_parse(r->a, body, len, &url, &name, e) < 0)
		return -1;
	id = sw_added(app, ddi_software_add_url(app, sw_settings(app), url, name, e));
	if (id < 0)
		return -1;
	created(w, id);
	return 0;
}

int admin_api_software_delete_run(struct app *app, struct http_req *r, struct http_resp *w,
				  struct nb_err *e)
{
	if (sw_delete(app, req_int(r, "id", 0), e) < 0)
		return -1;
	w->status = 204;
	return 0;
}
