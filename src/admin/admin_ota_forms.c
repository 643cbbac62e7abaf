/*
 * The OTA repository page's forms: a board read token (shown once, kept
 * hashed), its revocation, and the rollout of the newest release (stage,
 * pause, resume; also POST /admin/api/ota/:owner/:repo/rollout, answered
 * in JSON).  Each change is audited.
 */
#include "admin_ota.h"
#include "admin_audit.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const admin_ota_rollout_ops[] = { "stage", "pause", "resume", NULL };
enum { OP_STAGE, OP_PAUSE, OP_RESUME };

int admin_ota_rollout_input(const char *action, const char *percent, int *op, int *pct,
			    struct nb_err *e)
{
	size_t n = percent ? strlen(percent) : 0;
	int i;

	*op = -1;
	*pct = -1;
	for (i = 0; action && admin_ota_rollout_ops[i]; i++)
		if (!strcmp(action, admin_ota_rollout_ops[i]))
			*op = i;
	if (*op < 0)
		return nb_fail(e, NB_INVALID, "action is stage, pause or resume");
	if (*op != OP_STAGE)
		return 0;
	/* 0..100 in decimal, no sign, no leading zero */
	if (n == 0 || n > 3 || strspn(percent, "0123456789") != n || (n > 1 && percent[0] == '0') ||
	    atoi(percent) > 100)
		return nb_fail(e, NB_INVALID, "the stage is a percent of the boards, 0..100");
	*pct = atoi(percent);
	return 0;
}

int admin_ota_token_add_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	char secret[2 * AUTH_TOKEN_BYTES + 1];
	const char *name = req_str(r, "name");
	struct ota_repo repo;

	if (admin_ota_repo_of(app, r, &repo, e) < 0)
		return -1;
	if (auth_random_hex(secret, AUTH_TOKEN_BYTES) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "no random bytes, try again");
	if (ota_token_add(app, repo.id, name, secret, e) < 0) {
		admin_form_field(app, "name");	/* what the operator typed */
		return nb_err_prefix(e, "cannot store the token");
	}
	admin_audit(app, "ota token", "%s/%s for %s", repo.owner, repo.name, name);
	/* shown this once: only its hash is kept */
	return admin_ota_repo_render(app, r, w, 201, secret, name, e);
}

int admin_ota_token_revoke_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	struct ota_repo repo;
	long long id = req_int(r, "id", 0);

	if (admin_ota_repo_of(app, r, &repo, e) < 0 || ota_token_revoke(app, repo.id, id, e) < 0)
		return -1;
	admin_audit(app, "ota token revoke", "%s/%s token %lld", repo.owner, repo.name, id);
	http_redirect(w, arena_printf(r->a, "/admin/ota/%s/%s?done=token+revoked", repo.owner,
				      repo.name));
	return 0;
}

/* The rollout as the API answers it. */
static cJSON *rollout_json(struct app *app, const struct ota_repo *repo,
			   const struct ota_rollout *ro)
{
	cJSON *o = cJSON_CreateObject();
	struct ota_release rel;
	struct nb_err e;

	cJSON_AddStringToObject(o, "owner", repo->owner);
	cJSON_AddStringToObject(o, "repo", repo->name);
	if (ota_release_by_id(app, repo->id, ro->release_id, &rel, &e) == 0)
		cJSON_AddStringToObject(o, "tag", rel.tag);
	if (ro->prev_id && ota_release_by_id(app, repo->id, ro->prev_id, &rel, &e) == 0)
		cJSON_AddStringToObject(o, "previous", rel.tag);
	cJSON_AddNumberToObject(o, "percent", ro->percent);
	cJSON_AddBoolToObject(o, "paused", ro->paused);
	return o;
}

int admin_ota_rollout_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	struct ota_rollout ro;
	struct ota_repo repo;
	int op, pct;

	if (admin_ota_repo_of(app, r, &repo, e) < 0)
		return -1;
	if (admin_ota_rollout_input(req_str(r, "action"), req_str(r, "percent"), &op, &pct,
				    e) < 0) {
		/* the page draws the form again with this beside the field */
		admin_form_field(app, op < 0 ? "action" : "percent");
		return -1;
	}
	if (ota_rollout_change(app, repo.id, op == OP_STAGE ? pct : -1,
			       op == OP_PAUSE ? 1 : op == OP_RESUME ? 0 : -1, &ro, e) < 0)
		return -1;
	if (op == OP_STAGE)
		admin_audit(app, "ota rollout", "%s/%s stage %d%%", repo.owner, repo.name, pct);
	else
		admin_audit(app, "ota rollout", "%s/%s %s", repo.owner, repo.name,
			    op == OP_PAUSE ? "paused" : "resumed");
	if (r->route->flags & ADMIN_API) {
		admin_json(w, 200, rollout_json(app, &repo, &ro));
		return 0;
	}
	http_redirect(w, arena_printf(r->a, "/admin/ota/%s/%s?done=rollout+%s", repo.owner,
				      repo.name, admin_ota_rollout_ops[op]));
	return 0;
}

/*
 * The last route under /admin/api/ota, any method: what no OTA API route
 * takes is a JSON 405 (with Allow) or 404, as CI reads every answer of the
 * API, where the router would answer in text.
 */
int admin_ota_api_refuse_run(struct app *app, struct http_req *r, struct http_resp *w,
			     struct nb_err *e)
{
	const char *allow = ota_route_allow(app, r);

	if (!allow)
		return nb_fail(e, NB_NOT_FOUND, "no such OTA API resource");
	/* answered here (the program's one mapping, app_fail) so that Allow goes with it */
	nb_fail(e, NB_METHOD, "method not allowed (%s)", allow);
	app_fail(app, r, w, e);
	http_set_header(w, "Allow", allow);
	return 0;
}
