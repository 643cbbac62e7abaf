/*
 * The DDI software repository: list, upload (streamed to a temporary file,
 * then read and stored by ddi_software_add), add from a URL, delete what
 * nothing uses; as a page and as the token API.
 */
#include "admin_ddi.h"

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

/*
 * ddi_software_add names the artifact after its file: the upload moves to
 * <tmp>.d/<file name> first, and both go when it is done.
 */
static long long add_file(struct app *app, struct http_req *r, const char *tmp,
			  const char *file, const char *name, int *status, char *err, size_t n)
{
	char *dir = arena_printf(r->a, "%s.d", tmp);
	char *path = arena_printf(r->a, "%s/%s", dir, file && file_ok(file) ? file : "image.swu");
	long long id;

	if (name && strlen(name) > SW_NAME_MAX) {
		unlink(tmp);
		*status = 400;
		snprintf(err, n, "%s", name_too_long);
		return -1;
	}
	if (mkdir(dir, 0700) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		rmdir(dir);
		*status = 503;
		snprintf(err, n, "cannot stage the upload");
		return -1;
	}
	id = ddi_software_add(app, path, name, err, n);
	unlink(path);
	rmdir(dir);
	*status = id == -2 ? 409 : id < 0 ? 400 : 201;
	return id;
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
	struct admin *ad = app->domain;
	char val[1][ADMIN_FIELD_MAX + 1], tmp[PATH_MAX], err[512];
	const char *why;
	int st = admin_upload_receive(app, r, upload_fields, 1, val, tmp, sizeof(tmp), &why);
	long long id;

	if (st) {
		admin_fail(app, r, w, st, why);
		return;
	}
	id = add_file(app, r, tmp, ad->upload_name, val[0], &st, err, sizeof(err));
	if (id < 0) {
		software_page(app, r, w, st, err);
		return;
	}
	http_redirect(w, arena_printf(r->a, "/admin/software?done=added+software+%lld", id));
}

void admin_software_url(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *url = query_get(&r->form, "url"), *name = query_get(&r->form, "name");
	char err[512];
	long long id;

	if (!url || !*url || strlen(url) > SW_URL_MAX) {
		software_page(app, r, w, 400, url && *url ? url_too_long : "a URL is required");
		return;
	}
	if (name && strlen(name) > SW_NAME_MAX) {
		software_page(app, r, w, 400, name_too_long);
		return;
	}
	id = ddi_software_add_url(app, url, name, err, sizeof(err));
	if (id < 0) {
		software_page(app, r, w, id == -2 ? 409 : 400, err);
		return;
	}
	http_redirect(w, arena_printf(r->a, "/admin/software?done=added+software+%lld", id));
}

static const char in_use[] =
	"the software is in use (by an action, a rollout or a device assigned to it)";

void admin_software_delete(struct app *app, struct http_req *r, struct http_resp *w)
{
	int rc = ddi_software_delete(app, atoll(http_param(r, "id")));

	if (rc < 0) {
		software_page(app, r, w, rc == -2 ? 409 : 404, rc == -2 ? in_use : "no such software");
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
	struct admin *ad = app->domain;
	const char *ct = http_env(r, "CONTENT_TYPE"), *why, *name = query_get(&r->query, "name");
	const char *file = query_get(&r->query, "filename");
	char val[1][ADMIN_FIELD_MAX + 1], tmp[PATH_MAX], err[512];
	int st;
	long long id;

	/* before the body: a long upload must not end in a refusal it could have had first */
	if ((name && strlen(name) > SW_NAME_MAX) || (file && !file_ok(file))) {
		admin_fail(app, r, w, 400, name && strlen(name) > SW_NAME_MAX ? name_too_long :
			   "filename is 1 to 200 letters, digits or . _ + ~ - (not first '.')");
		return;
	}
	if (ct && !strncasecmp(ct, "multipart/form-data", 19)) {
		st = admin_upload_receive(app, r, upload_fields, 1, val, tmp, sizeof(tmp), &why);
		snprintf(err, sizeof(err), "%s", st ? why : "");
		name = val[0];
		file = ad->upload_name;
	} else {
		st = admin_receive_body(app, r, tmp, sizeof(tmp), err, sizeof(err));
	}
	if (st) {
		admin_fail(app, r, w, st, err);
		return;
	}
	id = add_file(app, r, tmp, file, name, &st, err, sizeof(err));
	if (id < 0) {
		admin_fail(app, r, w, st, err);
		return;
	}
	created(w, id);
}

void admin_api_software_url(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *url, *name, *perr;
	char *body, err[512];
	size_t len;
	int st = http_read_body(r, 65536, &body, &len);
	long long id;

	if (st) {
		admin_fail(app, r, w, st, st == 413 ? "body too large" : "a JSON body is required");
		return;
	}
	if (admin_url_parse(r->a, body, len, &url, &name, &perr) < 0) {
		admin_fail(app, r, w, 400, perr);
		return;
	}
	id = ddi_software_add_url(app, url, name, err, sizeof(err));
	if (id < 0) {
		admin_fail(app, r, w, id == -2 ? 409 : 400, err);
		return;
	}
	created(w, id);
}

void admin_api_software_delete(struct app *app, struct http_req *r, struct http_resp *w)
{
	int rc = ddi_software_delete(app, atoll(http_param(r, "id")));

	if (rc < 0) {
		admin_fail(app, r, w, rc == -2 ? 409 : 404, rc == -2 ? in_use : "no such software");
		return;
	}
	w->status = 204;
}
