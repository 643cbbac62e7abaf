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
#include <string.h>

const char *const admin_ota_rollout_ops[] = { "stage", "pause", "resume", NULL };
enum { OP_STAGE, OP_PAUSE, OP_RESUME };

const struct admin_range admin_ota_percent = { 0, 100 };

/*
 * The rollout form's checked action (ota_rollout_in of admin.fcgi.c: *op
 * its index) and, for stage, the percent (*pct; else -1).  A stage needs
 * a percent and the others none, which a route's fields cannot say: a
 * stage without one is refused here.  0, or -1 with e NB_INVALID.
 */
static int rollout_input(struct app *app, const struct http_req *r, int *op, int *pct,
			 struct nb_err *e)
{
	*op = (int)req_int(r, "action", OP_PAUSE);
	*pct = -1;
	if (*op != OP_STAGE)
		return 0;
	if (!req_has(r, "percent")) {
		admin_form_field(app, "percent");	/* the page draws it beside the field */
		return nb_fail(e, NB_INVALID, "missing percent: the stage is a percent of the "
			       "boards, 0 to 100");
	}
	*pct = (int)req_int(r, "percent", 0);
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
	if (rollout_input(app, r, &op, &pct, e) < 0)
		return -1;
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
	nb_fail(e, NB_METHOD, "method not allowed (%s)", allow);
	admin_fail(app, r, w, e);
	http_set_header(w, "Allow", allow);	/* after: admin_fail drops the headers */
	return 0;
}
