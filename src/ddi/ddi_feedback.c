/*
 * POST .../deploymentBase/{actionId}/feedback: the device reports on an
 * update (hawkBit's DdiActionFeedback); the cancelAction feedback goes
 * the same way (ddi_feedback_take with cancel 1, ddi_cancel.c).  What a
 * feedback does to its action: protocols/hawkbit-ddi.md, "Feedback".
 */
#include "ddi_state.h"

#include <string.h>

/* The action's and the device's rows as the update ended (ok or not); 0, or -1 with e. */
static int close_rows(struct app *app, struct ddi *d, const struct ddi_action *a,
		      const struct ddi_software *s, int progress, struct nb_err *e)
{
	if (s)
		return ddi_action_update(app, a->id, "finished", 100, e) < 0 ||
		       ddi_device_set_version(app, d->dev.id, s->version, "finished", e) < 0 ? -1 : 0;
	return ddi_action_update(app, a->id, "error", progress, e) < 0 ||
	       ddi_device_set_version(app, d->dev.id, NULL, "error", e) < 0 ? -1 : 0;
}

/* A closed action: the device's state and version, and its rollout's
 * count; 0, or -1 with e (the caller rolls back). */
static int close_action(struct app *app, struct ddi *d, const struct ddi_action *a, int ok,
			int progress, struct nb_err *e)
{
	struct ddi_software s;

	if (ok && ddi_software_get(app, a->software_id, &s, e) < 0) {
		if (e->kind != NB_NOT_FOUND)
			return -1;	/* the store failed: never counted as a failed update */
		ok = 0;			/* its software is gone: nothing installed to name */
	}
	if (close_rows(app, d, a, ok ? &s : NULL, progress, e) < 0)
		return -1;
	if (a->rollout_id > 0 &&
	    ddi_rollout_result(app, a->rollout_id, ok, d->set.rollout_min_results, e) < 0)
		return -1;
	return 0;
}

static int to_canceled(struct app *app, struct ddi *d, const struct ddi_action *a, int progress,
		       struct nb_err *e)
{
	return ddi_action_canceled(app, d->dev.id, a->id, a->software_id, progress, e);
}

/*
 * What a feedback does to its action; a is the action as read inside the
 * write transaction.  0, or -1 with e when a write failed.
 */
static int apply_feedback(struct app *app, struct ddi *d, const struct ddi_action *a,
			  const struct ddi_fb *fb, int cancel, struct nb_err *e)
{
	int closed = !strcmp(fb->execution, "closed"), failed = !strcmp(fb->finished, "failure");

	if (cancel && ((closed && !failed) || !strcmp(fb->execution, "canceled")))
		return to_canceled(app, d, a, fb->progress, e);
	if (cancel && (closed || !strcmp(fb->execution, "rejected")))
		/* the device refused to cancel: the update goes on */
		return ddi_action_update(app, a->id, "running", fb->progress, e);
	if (closed)
		return close_action(app, d, a, !failed, fb->progress, e);
	if (!strcmp(fb->execution, "canceled"))
		return to_canceled(app, d, a, fb->progress, e);
	return ddi_action_progress(app, a->id, fb->progress, e);
}

/*
 * Whether the action can take this feedback now: 0, or -1 with e NB_METHOD
 * (a cancel feedback for an action no cancel was asked of: 405) or NB_GONE
 * (a closed action: 410), hawkBit's answers (protocols/hawkbit-ddi.md,
 * "Feedback").
 */
static int refused(const struct ddi_action *a, int cancel, struct nb_err *e)
{
	if (cancel && strcmp(a->status, "canceling"))
		return nb_fail(e, NB_METHOD, "the action cannot be canceled");
	if (strcmp(a->status, "running") && strcmp(a->status, "canceling"))
		return nb_fail(e, NB_GONE, "the action is closed");
	return 0;
}

/*
 * One write transaction from the first read: the action is read inside it
 * (another process may have closed the action, and a retried "closed" must
 * not count twice; or an operator asked to cancel it), and a feedback is
 * a few rows, so a read before it would only cost a second transaction.
 * The body is read and parsed before the transaction, so that the
 * device's write lock is not held meanwhile; its error is answered only
 * after the action's, so the order of the answers stays: no such action,
 * a bad body, refused.  Keyed on the device (ddi_begin_device): two
 * feedbacks to one action take turns, feedbacks of different devices
 * commit side by side.  A feedback that only reports progress (the common
 * one) is ddi_action_take: on PostgreSQL its BEGIN, locks, read, writes
 * and COMMIT are one round trip, so a device's lock is held for its
 * commit's flush and not for two round trips to the program more.
 */
int ddi_feedback_take(struct app *app, struct http_req *r, struct http_resp *w, int cancel,
		      struct nb_err *e)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	struct ddi_fb fb;
	struct nb_err bad = { 0 };
	char *body;
	size_t len;
	int parsed = ddi_body(r, &body, &len, &bad) == 0 &&
		     ddi_feedback_parse(r->a, body, len, &fb, &bad) == 0;

	if (ddi_begin_device(app, e) < 0)
		return -1;
	if (parsed && !cancel && strcmp(fb.execution, "closed") && strcmp(fb.execution, "canceled")) {
		/* progress (apply_feedback's last case): read, writes and commit at once */
		if (ddi_action_take(app, d->dev.id, req_int(r, "actionId", 0), &fb, &a, e) < 0 ||
		    refused(&a, 0, e) < 0) {
			db_rollback(app->db);	/* (nothing was written: ddi_action_take) */
			return -1;
		}
		return ddi_commit(app, w, e);
	}
	if (ddi_action_get(app, d->dev.id, req_int(r, "actionId", 0), &a, e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	if (!parsed) {
		db_rollback(app->db);
		*e = bad;
		return -1;
	}
	if (refused(&a, cancel, e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	if (ddi_action_log(app, a.id, fb.execution, fb.finished, fb.details, e) < 0 ||
	    apply_feedback(app, d, &a, &fb, cancel, e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	return ddi_commit(app, w, e);
}

int ddi_feedback(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return ddi_feedback_take(app, r, w, 0, e);
}
