/*
 * A refused form is drawn again: the page that holds the form, answered
 * with the refusal's status (400 invalid, 409 conflict), the message
 * beside the field it is about and what was typed kept (passwords and
 * the CSRF token excepted).  The pages have no JavaScript, so this is the
 * one way an operator sees what to fix without retyping the rest.
 *
 * The forms are listed below with the page that holds each; the page's
 * data gets the form's key: {"v": {field: typed}, "err": {field: msg},
 * "msg": msg}, which the template reads (users.html: f_add_user.err.name).
 */
#include "admin.h"
#include "admin_ddi.h"
#include "admin_ota.h"
#include "admin_pypi.h"
#include "admin_rollout.h"
#include "admin_upload.h"

#include <string.h>

struct form_page {
	const char *pattern;	/* the form's POST route */
	const char *key;	/* its name in the page's data */
	route_run_fn page;	/* draws the page that holds it */
	int streamed;		/* a multipart upload: its fields come with the
				 * body (admin_form_stream), after the router */
};

static const struct form_page forms[] = {
	{ "/admin/login", "f_login", admin_login_page_run, 0 },
	{ "/admin/users", "f_add_user", admin_users_run, 0 },
	{ "/admin/users/:id/password", "f_set_password", admin_users_run, 0 },
	{ "/admin/tokens", "f_add_token", admin_users_run, 0 },
	{ "/admin/devices/:id/labels", "f_labels", admin_device_run, 0 },
	{ "/admin/devices/:id/mode", "f_mode", admin_device_run, 0 },
	{ "/admin/devices/:id/feed", "f_feed", admin_device_run, 0 },
	{ "/admin/rollouts/:id/limits", "f_limits", admin_rollout_page_run, 0 },
	{ "/admin/devices/bulk", "f_bulk", admin_devices_bulk_again_run, 0 },
	{ "/admin/rollouts", "f_rollout", admin_rollouts_run, 0 },
	{ "/admin/rollouts/:id/stage", "f_stage", admin_rollouts_run, 0 },
	{ "/admin/software/url", "f_software_url", admin_software_run, 0 },
	{ "/admin/software", "f_software", admin_software_run, 1 },
	{ "/admin/images", "f_image", admin_images_run, 1 },
	{ "/admin/mip", "f_mip", admin_mip_run, 1 },
	{ "/admin/ota/publish", "f_ota", admin_ota_page_run, 1 },
	{ "/admin/ota/:owner/:repo/tokens", "f_ota_token", admin_ota_repo_page_run, 0 },
	{ "/admin/ota/:owner/:repo/rollout", "f_ota_rollout", admin_ota_repo_page_run, 0 },
	{ "/admin/pypi/:user/:index", "f_pypi_config", admin_pypi_index_run, 0 },
};

/* The form of r's route when r came from a page (not the API), or NULL. */
static const struct form_page *form_of(const struct http_req *r)
{
	size_t i;

	if (!r->route || (r->route->flags & ADMIN_API) || strcmp(r->method, "POST"))
		return NULL;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (!strcmp(forms[i].pattern, r->route->pattern))
			return &forms[i];
	return NULL;
}

void admin_form_field(struct app *app, const char *field)
{
	((struct admin *)app->domain)->form_field = field;
}

int admin_form_field_is(const struct app *app, const char *field)
{
	const char *f = ((const struct admin *)app->domain)->form_field;

	return f && !strcmp(f, field);
}

int admin_form_again(struct app *app, struct http_req *r, struct http_resp *w,
		     const struct nb_err *e)
{
	struct admin *ad = app->domain;
	const struct form_page *f = form_of(r);
	struct nb_err pe = { NB_OK, "" };

	if (!f || (e->kind != NB_INVALID && e->kind != NB_CONFLICT))
		return 0;
	/* an upload whose token was refused (or never came) is no typing of
	 * this operator's: the plain refusal, as for the other forms */
	if (f->streamed && !r->form_read)
		return 0;
	ad->form_key = f->key;
	ad->form_msg = arena_strdup(r->a, e->msg);
	ad->form_kind = e->kind;
	if (f->page(app, r, w, &pe) == 0)
		return 1;
	ad->form_key = NULL;	/* the page itself failed: the plain error page */
	return 0;
}

/* The fields as typed, but never a password or the CSRF token. */
static cJSON *typed_values(const struct http_req *r)
{
	cJSON *v = cJSON_CreateObject();
	int i;

	for (i = 0; i < r->form.n; i++) {
		const char *k = r->form.v[i].key;
		if (strstr(k, "password") || !strcmp(k, "csrf"))
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(v, k);
		cJSON_AddStringToObject(v, k, r->form.v[i].val);
	}
	return v;
}

enum nb_errkind admin_form_data(struct app *app, struct http_req *r, cJSON *d)
{
	const struct admin *ad = app->domain;
	cJSON *o, *err;

	if (!ad->form_key)
		return NB_OK;
	o = cJSON_AddObjectToObject(d, ad->form_key);
	cJSON_AddItemToObject(o, "v", typed_values(r));
	err = cJSON_AddObjectToObject(o, "err");
	cJSON_AddStringToObject(o, "msg", ad->form_msg);
	if (ad->form_field)
		cJSON_AddStringToObject(err, ad->form_field, ad->form_msg);
	return ad->form_kind;
}

int admin_form_precheck(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct nb_err e = { NB_OK, "" };

	if (!form_of(r) || req_check(app, r, REQ_FORM, &e) == 0)
		return 0;
	/* a refused token is not the operator's typing: the plain refusal */
	if (r->in_refused && strcmp(r->in_refused, "csrf")) {
		admin_form_field(app, r->in_refused);
		if (admin_form_again(app, r, w, &e))
			return 1;
	}
	admin_fail(app, r, w, &e);
	return 1;
}
