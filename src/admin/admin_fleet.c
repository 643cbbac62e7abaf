/*
 * The DDI fleet's rows (ddi_fleet.h) as the pages' template data, for the
 * builders more than one page uses: a device, the software list and the
 * software choices; and the one way times are shown.  Formatting lives
 * here, the queries in the DDI domain's store.
 */
#include "admin_ddi.h"
#include "../ddi/ddi_fleet.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *admin_when(struct arena *a, long long t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || t > (1LL << 40) || !gmtime_r(&tt, &tm))
		return "";
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	return arena_strdup(a, buf);
}

/* The configData attributes as rows; values that are not strings as JSON text. */
static cJSON *attributes(const char *json)
{
	cJSON *j = cJSON_Parse(json), *arr = cJSON_CreateArray(), *it;
	cJSON *obj = cJSON_IsObject(j) ? j : NULL;

	cJSON_ArrayForEach(it, obj) {
		cJSON *o = cJSON_CreateObject();
		char *v = cJSON_IsString(it) ? NULL : cJSON_PrintUnformatted(it);
		cJSON_AddStringToObject(o, "key", it->string);
		cJSON_AddStringToObject(o, "value", v ? v : it->valuestring);
		cJSON_free(v);
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_Delete(j);
	return arr;
}

cJSON *admin_dev_fields(struct http_req *r, const struct ddi_fleet_device *d)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)d->id);
	cJSON_AddStringToObject(o, "tenant", d->tenant);
	cJSON_AddStringToObject(o, "controller_id", d->cid);
	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddStringToObject(o, "hw_model", d->hw_model);
	cJSON_AddStringToObject(o, "hw_revision", d->hw_revision);
	cJSON_AddStringToObject(o, "sw_version", d->sw_version);
	cJSON_AddStringToObject(o, "feed", d->feed);
	cJSON_AddStringToObject(o, "mode", d->mode);
	cJSON_AddStringToObject(o, "state", d->state);
	cJSON_AddBoolToObject(o, "error", !strcmp(d->state, "error"));
	cJSON_AddNumberToObject(o, "last_seen", (double)d->last_seen);
	cJSON_AddStringToObject(o, "last_seen_text",
				d->last_seen ? admin_when(r->a, d->last_seen) : "never");
	cJSON_AddStringToObject(o, "last_addr", d->last_addr);
	return o;
}

static cJSON *device_json(struct http_req *r, const struct ddi_fleet_device *d)
{
	cJSON *o = admin_dev_fields(r, d);

	cJSON_AddNumberToObject(o, "assigned", (double)d->assigned);
	cJSON_AddBoolToObject(o, "force", d->force);
	cJSON_AddItemToObject(o, "attributes", attributes(d->attributes));
	cJSON_AddStringToObject(o, "created", admin_when(r->a, d->created));
	cJSON_AddBoolToObject(o, "auto_confirm", d->auto_confirm);
	return o;
}

cJSON *admin_dev_get(struct app *app, struct http_req *r, long long id, const char *tenant,
		     const char *cid, struct nb_err *e)
{
	struct ddi_fleet_device d;
	int rc = ddi_fleet_device(app, r->a, id, tenant, cid, &d, e);

	if (rc == 0)
		nb_fail(e, NB_NOT_FOUND, "no such device");
	return rc > 0 ? device_json(r, &d) : NULL;
}

/* "1.5 MiB": a size as the software list shows it. */
static void human_size(char *out, size_t n, long long v)
{
	if (v >= 1 << 20)
		snprintf(out, n, "%.1f MiB", (double)v / (1 << 20));
	else if (v >= 1 << 10)
		snprintf(out, n, "%.1f KiB", (double)v / (1 << 10));
	else
		snprintf(out, n, "%lld B", v);
}

static cJSON *software_json(struct http_req *r, const void *row, const void *ctx)
{
	const struct ddi_fleet_software *s = row;
	cJSON *o = cJSON_CreateObject();
	char hs[32];

	(void)ctx;
	human_size(hs, sizeof(hs), s->size);
	cJSON_AddNumberToObject(o, "id", (double)s->id);
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "version", s->version);
	cJSON_AddStringToObject(o, "kind", s->kind);
	cJSON_AddStringToObject(o, "filename", s->filename);
	cJSON_AddNumberToObject(o, "size", (double)s->size);
	cJSON_AddStringToObject(o, "size_human", hs);
	cJSON_AddStringToObject(o, "sha256", s->sha256);
	cJSON_AddStringToObject(o, "sha256_short", arena_strndup(r->a, s->sha256, 12));
	cJSON_AddStringToObject(o, "url", s->url);
	cJSON_AddStringToObject(o, "created", admin_when(r->a, s->created));
	cJSON_AddStringToObject(o, "compat", *s->compat ? s->compat : "any board");
	cJSON_AddNumberToObject(o, "actions", (double)s->actions);
	cJSON_AddNumberToObject(o, "rollouts", (double)s->rollouts);
	return o;
}

cJSON *admin_sw_list(struct app *app, struct http_req *r, long offset, long limit,
		     struct nb_err *e)
{
	struct ddi_fleet_software *v;
	int n = ddi_fleet_software(app, r->a, offset, limit, &v, e);

	return admin_rows(r, v, n, sizeof(*v), software_json, NULL);
}

/* One option of the software selects; ctx: the selected id. */
static cJSON *choice_json(struct http_req *r, const void *row, const void *ctx)
{
	const struct ddi_fleet_choice *c = row;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)c->id);
	cJSON_AddStringToObject(o, "label", arena_printf(r->a, "%s %s (#%lld)", c->name,
							 c->version, c->id));
	cJSON_AddBoolToObject(o, "selected", c->id == *(const long long *)ctx);
	return o;
}

cJSON *admin_sw_choices(struct app *app, struct http_req *r, long long selected,
			struct nb_err *e)
{
	struct ddi_fleet_choice *v;
	int n = ddi_fleet_software_choices(app, r->a, &v, e);

	return admin_rows(r, v, n, sizeof(*v), choice_json, &selected);
}

const char *admin_dev_said(struct app *app, struct http_req *r, long long id)
{
	struct ddi_fleet_device d;
	struct nb_err e;

	if (ddi_fleet_device(app, r->a, id, NULL, NULL, &d, &e) == 1)
		return arena_printf(r->a, "device #%lld %s", id, d.cid);
	return arena_printf(r->a, "device #%lld", id);
}
