/*
 * PUT /{tenant}/controller/v1/{controllerId}/configData: the device's
 * attributes, {"mode": "merge"|"replace"|"remove", "data": {k: v}}; the
 * board, revision and version among them decide its updates.
 */
#include "ddi_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The attributes nestbox decides with; longer values would be cut and then misjudged. */
static const char *key_attr(cJSON *m, const char *name, struct nb_err *e)
{
	const char *v = str(m, name);

	if (v && strlen(v) > DDI_VERSION_MAX && e->kind == NB_OK)
		nb_fail(e, NB_INVALID, "configData %s is %zu bytes, at most %d (hw_boardname,"
			" hw_model, hw_revision and sw_version are at most 63 bytes)",
			name, strlen(v), DDI_VERSION_MAX);
	return v;
}

/* The merged attributes stored with the columns the decision reads. */
static int store(struct app *app, const char *merged, struct nb_err *e)
{
	struct ddi *d = app->domain;
	cJSON *m = cJSON_Parse(merged);
	const char *board, *rev, *ver;
	int rc;

	nb_err_clear(e);
	board = str(m, "hw_boardname") ? key_attr(m, "hw_boardname", e) :
					 key_attr(m, "hw_model", e);
	rev = key_attr(m, "hw_revision", e);
	ver = key_attr(m, "sw_version", e);
	rc = e->kind != NB_OK ? -1 : ddi_device_attributes(app, &d->dev, merged, board, rev, ver, e);
	cJSON_Delete(m);
	return rc;
}

int ddi_config_data(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct ddi *d = app->domain;
	char *body, *merged;
	const char *current;
	size_t len;
	int rc;

	if (ddi_body(r, &body, &len, e) < 0 || ddi_begin_device(app, e) < 0)
		return -1;
	/* read and written in one transaction: two merges at once lose nothing */
	if (ddi_device_attrs_text(app, r->a, d->dev.id, &current, e) < 0 ||
	    ddi_config_merge(body, len, current, &merged, e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	rc = store(app, merged, e);
	free(merged);
	if (rc < 0) {
		db_rollback(app->db);
		return -1;
	}
	return ddi_commit(app, w, e);
}
