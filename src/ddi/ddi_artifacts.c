/*
 * GET .../softwaremodules/{softwareModuleId}/artifacts: the module's
 * artifact list; .../artifacts/{fileName}: the file (HEAD and Range too),
 * or its .MD5SUM line.  Only a module that is the device's to download
 * (ddi_software_owned) is shown; any other is 404 like one that does not
 * exist, so ids cannot be probed (hawkBit does the same).
 */
#include "ddi_state.h"

#include <limits.h>
#include <string.h>

cJSON *ddi_artifact_json(struct app *app, struct http_req *r, const struct ddi_software *s)
{
	cJSON *a = cJSON_CreateObject(), *h = cJSON_AddObjectToObject(a, "hashes"), *l;
	const char *own = arena_printf(r->a, "%s/softwaremodules/%lld/artifacts/%s",
				       ddi_device_url(app, r), s->id, s->filename);
	/* software at an external URL is downloaded from there; its MD5SUM from us */
	const char *href = s->url[0] ? s->url : own;
	int tls = !strncmp(href, "https:", 6);

	cJSON_AddStringToObject(a, "filename", s->filename);
	cJSON_AddStringToObject(h, "sha1", s->sha1);
	cJSON_AddStringToObject(h, "md5", s->md5);
	cJSON_AddStringToObject(h, "sha256", s->sha256);
	cJSON_AddNumberToObject(a, "size", (double)s->size);
	l = cJSON_AddObjectToObject(a, "_links");
	ddi_link(l, tls ? "download" : "download-http", href);
	ddi_link(l, !strncmp(own, "https:", 6) ? "md5sum" : "md5sum-http",
		 arena_printf(r->a, "%s.MD5SUM", own));
	return a;
}

/* The module of the route's softwareModuleId, when it is the device's. */
static int own_module(struct app *app, struct http_req *r, struct ddi_software *s,
		      struct nb_err *e)
{
	struct ddi *d = app->domain;
	long long id = req_int(r, "softwareModuleId", 0);
	int owned = ddi_software_owned(app, &d->dev, id, e);

	if (owned < 0)
		return -1;
	/* another's module answers as one that does not exist: nothing to probe */
	if (!owned || ddi_software_get(app, id, s, e) < 0)
		return owned && e->kind != NB_NOT_FOUND ? -1 :
		       nb_fail(e, NB_NOT_FOUND, "no such software module");
	return 0;
}

int ddi_artifacts(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct ddi_software s;
	cJSON *arr;

	if (own_module(app, r, &s, e) < 0)
		return -1;
	arr = cJSON_CreateArray();
	cJSON_AddItemToArray(arr, ddi_artifact_json(app, r, &s));
	ddi_json_out(w, 200, arr);
	return 0;
}

int ddi_artifact(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct ddi_software s;
	const char *file = req_str(r, "fileName");
	size_t fl = strlen(file), nl;

	if (own_module(app, r, &s, e) < 0)
		return -1;
	nl = strlen(s.filename);
	if (fl == nl + 7 && !strncmp(file, s.filename, nl) && !strcmp(file + nl, ".MD5SUM")) {
		http_text(w, 200, arena_printf(r->a, "%s  %s\n", s.md5, s.filename));
		return 0;
	}
	if (!strcmp(file, s.filename) && s.url[0]) {
		/* it lives elsewhere: a client that asks us anyway is sent there */
		http_redirect(w, s.url);
		w->status = 302;
		return 0;
	}
	if (strcmp(file, s.filename))
		return nb_fail(e, NB_NOT_FOUND, "no such artifact");
	/* SWUpdate and RAUC follow a redirect: a presigned URL may answer */
	if (blob_send(&app->blobs, r, w, s.sha256, "application/octet-stream",
		      app->set.xsendfile, 1, "no such artifact", e) < 0)
		return -1;
	http_set_header(w, "Content-Disposition",
			arena_printf(r->a, "attachment; filename=\"%s\"", s.filename));
	return 0;
}
