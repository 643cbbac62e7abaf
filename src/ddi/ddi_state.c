/*
 * ddi.fcgi's per-process state, for the device API under
 * /{tenant}/controller/v1/{id} (settings, the authenticated device, the batched
 * last_seen writes, the candidate cache) and what the resources' files
 * share.  Each resource answers from its own file (ddi.h lists them);
 * every request is authenticated first (ddi_auth.c).
 */
#include "ddi_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ddi_init(struct app *app, struct nb_err *e)
{
	struct ddi *d = calloc(1, sizeof(*d));

	if (!d)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	if (ddi_settings_read(app, &d->set, e) < 0) {
		free(d);
		return -1;
	}
	app->domain = d;
	return 0;
}

void ddi_fini(struct app *app)
{
	struct ddi *d = app->domain;

	if (d)
		ddi_seen_flush(app, &d->seen);
	free(app->domain);
	app->domain = NULL;
}

const char *ddi_device_url(struct app *app, struct http_req *r)
{
	return arena_cat(r->a, http_base_url(r, app->set.base_url), "/", req_str(r, "tenant"),
			 "/controller/v1/", req_str(r, "controllerId"), NULL);
}

void ddi_json_out(struct http_resp *w, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	http_bytes(w, status, "application/hal+json", s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
}

void ddi_link(cJSON *links, const char *rel, const char *href)
{
	cJSON_AddStringToObject(cJSON_AddObjectToObject(links, rel), "href", href);
}

int ddi_body(struct http_req *r, char **body, size_t *len, struct nb_err *e)
{
	return http_read_body(r, 65536, body, len, e);
}

int ddi_begin(struct app *app, struct nb_err *e)
{
	if (db_begin(app->db) == 0)
		return 0;
	return nb_fail(e, NB_UNAVAILABLE, "busy, send it again");
}

int ddi_begin_device(struct app *app, struct nb_err *e)
{
	struct ddi *d = app->domain;

	if (db_begin_keyed(app->db, d->dev.id) == 0)
		return 0;
	return nb_fail(e, NB_UNAVAILABLE, "busy, send it again");
}

int ddi_busy(struct app *app, struct nb_err *e)
{
	db_rollback(app->db);
	return nb_fail(e, NB_UNAVAILABLE, "busy, send it again");
}

int ddi_commit(struct app *app, struct http_resp *w, struct nb_err *e)
{
	if (db_commit(app->db) < 0)
		return ddi_busy(app, e);
	w->status = 200;
	return 0;
}
