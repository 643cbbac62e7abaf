/*
 * The rollout of a repository's newest release: POST
 * /admin/ota/:owner/:repo/rollout (stage, pause, resume) and the same
 * under /admin/api/ota/:owner/:repo/rollout, answered in JSON.  Each
 * change is audited.
 */
#include "admin_ota.h"
#include "admin_audit.h"

#include <stdio.h>
#include <string.h>

const char *const admin_ota_rollout_ops[] = { "stage", "pause", "resume", NULL };
enum { OP_STAGE, OP_PAUSE, OP_RESUME };


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
