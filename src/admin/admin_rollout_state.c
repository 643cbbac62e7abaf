/*
 * One rollout's state: POST /admin/rollouts/:id/{pause,resume,stage} (the
 * list's buttons, redirecting back to /admin/rollouts) and the same under
 * /admin/api/rollouts/:id/ (answering the rollout as the list shows it).
 * Each change is audited; one that ended changes no more (409).
 */
#include "admin_ddi.h"
#include "admin_audit.h"

#include <string.h>

/* Pauses or resumes rollout id (audited); 0, or -1 with e. */
static int set_state(struct app *app, long long id, const char *state, struct nb_err *e)
{
	if (ddi_rollout_set_state(app, id, state, e) < 0)
		return -1;
	admin_audit(app, !strcmp(state, "paused") ? "rollout pause" : "rollout resume",
		    "rollout %lld", id);
	return 0;
}

/* Moves rollout id to pct percent (audited); 0, or -1 with e. */
static int stage(struct app *app, long long id, int pct, struct nb_err *e)
{
	if (ddi_rollout_stage(app, id, pct, e) < 0)
		return -1;
	admin_audit(app, "rollout stage", "rollout %lld at %d%%", id, pct);
	return 0;
}

static int page_state(struct app *app, struct http_req *r, struct http_resp *w,
		      const char *state, struct nb_err *e)
{
	long long id = req_int(r, "id", 0);

	if (set_state(app, id, state, e) < 0)
		return -1;
	http_redirect(w, arena_printf(r->a, "/admin/rollouts?done=rollout+%lld+%s", id,
				      !strcmp(state, "paused") ? "paused" : "resumed"));
	return 0;
}

int admin_rollout_pause_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	return page_state(app, r, w, "paused", e);
}

int admin_rollout_resume_run(struct app *app, struct http_req *r, struct http_resp *w,
			     struct nb_err *e)
{
	return page_state(app, r, w, "running", e);
}

int admin_rollout_stage_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	long long id = req_int(r, "id", 0);
	int pct = (int)req_int(r, "percent", 0);

	if (stage(app, id, pct, e) < 0)
		return -1;
	http_redirect(w, arena_printf(r->a, "/admin/rollouts?done=rollout+%lld+at+%d%%25", id,
				      pct));
	return 0;
}

int admin_api_rollout_pause_run(struct app *app, struct http_req *r, struct http_resp *w,
				struct nb_err *e)
{
	long long id = req_int(r, "id", 0);

	return set_state(app, id, "paused", e) < 0 ? -1 : admin_rollout_answer(app, r, w, 200, id, e);
}

int admin_api_rollout_resume_run(struct app *app, struct http_req *r, struct http_resp *w,
				 struct nb_err *e)
{
	long long id = req_int(r, "id", 0);

	return set_state(app, id, "running", e) < 0 ? -1 : admin_rollout_answer(app, r, w, 200, id, e);
}

int admin_api_rollout_stage_run(struct app *app, struct http_req *r, struct http_resp *w,
				struct nb_err *e)
{
	long long id = req_int(r, "id", 0);
	char *body;
	size_t len;
	int pct;

	if (http_read_body(r, 65536, &body, &len, e) < 0)	/* a JSON body of at most 64 KiB */
		return -1;
	if (admin_stage_parse(body, len, &pct, e) < 0)
		return -1;
	if (stage(app, id, pct, e) < 0)
		return -1;
	return admin_rollout_answer(app, r, w, 200, id, e);
}
