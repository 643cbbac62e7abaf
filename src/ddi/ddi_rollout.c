/*
 * Rollouts: one software offered to the devices of one feed that run in
 * rollout mode.  Each counts its successes and failures as devices report
 * them, can be paused and resumed, pauses itself when failures pass its
 * limits, and can be staged: only a deterministic percentage of the feed
 * (ddi_stage_bucket) is offered the update until the operator raises it.
 * The rules are here; their rows are read and written by
 * ddi_rollout_store.c.
 */
#include "ddi.h"

#include <stdio.h>
#include <string.h>

long long ddi_rollout_create(struct app *app, const struct ddi_rollout *r, struct nb_err *e)
{
	struct ddi_software s;

	if (!*r->feed || strlen(r->feed) > 63 || strlen(r->name) > 127)
		return nb_fail(e, NB_INVALID, "a rollout needs a feed (at most 63 bytes)");
	if (r->percent < 1 || r->percent > 100 || r->max_failures < 0 ||
	    r->max_failure_rate < 0 || r->max_failure_rate > 100)
		return nb_fail(e, NB_INVALID, "percent must be 1-100, failure limits 0 or more");
	if (ddi_software_get(app, r->software_id, &s, e) < 0)
		return -1;
	/* unnamed, it is called after its software */
	return ddi_rollout_insert(app, r, *r->name ? r->name : s.name, e);
}

/* A change the store did not make (changed 0): no such rollout, or one
 * that ended; -1 with e. */
static int change_refused(struct app *app, long long id, struct nb_err *e)
{
	struct ddi_rollout r;

	if (ddi_rollout_get(app, id, &r, e) < 0)
		return -1;
	return nb_fail(e, NB_CONFLICT, "rollout %lld is %s: it changes no more", id, r.state);
}

/* "running" or "paused"; resuming clears why it paused.  An ended rollout stays ended. */
int ddi_rollout_set_state(struct app *app, long long id, const char *state, struct nb_err *e)
{
	int rc;

	if (strcmp(state, "running") && strcmp(state, "paused"))
		return nb_fail(e, NB_INVALID, "a rollout is paused or running");
	if ((rc = ddi_rollout_put_state(app, id, state, e)) < 0)
		return -1;
	return rc ? 0 : change_refused(app, id, e);
}

/* Devices already offered the update keep it when the stage is lowered. */
int ddi_rollout_stage(struct app *app, long long id, int percent, struct nb_err *e)
{
	int rc;

	if (percent < 1 || percent > 100)
		return nb_fail(e, NB_INVALID, "a stage is 1 to 100 percent");
	if ((rc = ddi_rollout_put_percent(app, id, percent, e)) < 0)
		return -1;
	return rc ? 0 : change_refused(app, id, e);
}

/* The store refused to end it; why: no such rollout, or it already ended. */
static int end_check(struct app *app, long long id, struct nb_err *e)
{
	struct ddi_rollout r;

	if (ddi_rollout_get(app, id, &r, e) < 0)
		return -1;
	return nb_fail(e, NB_CONFLICT, "rollout %lld is %s already", id, r.state);
}

int ddi_rollout_end(struct app *app, long long id, const char *state, int *withdrawn,
		    struct nb_err *e)
{
	int rc;

	*withdrawn = 0;
	if (strcmp(state, "canceled") && strcmp(state, "finished"))
		return nb_fail(e, NB_INVALID, "a rollout ends canceled or finished");
	rc = ddi_rollout_close(app, id, state, withdrawn, e);
	if (rc > 0)
		return end_check(app, id, e);
	return rc;
}

int ddi_rollout_limits(struct app *app, long long id, int max_failures, int max_failure_rate,
		       struct nb_err *e)
{
	int rc;

	if (max_failures < 0 || max_failure_rate < 0 || max_failure_rate > 100)
		return nb_fail(e, NB_INVALID, "failure limits are 0 or more, a rate at most 100");
	/* an ended rollout keeps the limits it ended with (409), as its stage */
	if ((rc = ddi_rollout_put_limits(app, id, max_failures, max_failure_rate, e)) < 0)
		return -1;
	return rc ? 0 : change_refused(app, id, e);
}

/* The last non-empty line of s, cut to n bytes. */
static void last_line(const char *s, char *out, size_t n)
{
	const char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	for (start = end; start > s && start[-1] != '\n'; start--)
		;
	snprintf(out, n, "%.*s", (int)(end - start), start);
}

const char *const ddi_rollout_groups[DDI_RG_N] = {
	"succeeded", "failed", "running", "waiting", "not eligible"
};

/* A device without an action of this rollout: waiting, or why it cannot take it. */
static int group_idle(const struct ddi_rollout *ro, const struct ddi_rollout_dev *d,
		      int compatible, int has_attrs, char *note, size_t n)
{
	int g = DDI_RG_NOT_ELIGIBLE;

	if (strcmp(d->mode, "rollout"))
		snprintf(note, n, "mode %s: does not follow rollouts", d->mode);
	else if (!has_attrs)
		snprintf(note, n, "has not sent its attributes (hw_boardname, hw_revision)");
	else if (!compatible)
		snprintf(note, n, "no software for board %s revision %s", d->board, d->revision);
	else if (!strcmp(d->version, ro->version))
		snprintf(note, n, "already runs %s", ro->version);
	else
		g = DDI_RG_WAITING;
	if (g != DDI_RG_WAITING)
		return g;
	if (ddi_stage_bucket(d->tenant, d->cid, ro->id) >= ro->percent)
		snprintf(note, n, "outside the stage (%d%%)", ro->percent);
	else if (strcmp(ro->state, "running"))
		snprintf(note, n, "the rollout is %s", ro->state);
	else
		snprintf(note, n, "not polled since the rollout started");
	return g;
}

int ddi_rollout_group(const struct ddi_rollout *ro, struct ddi_rollout_dev *d,
		      const char *status, const char *details, int compatible, int has_attrs)
{
	size_t n = sizeof(d->note);

	*d->note = '\0';
	if (!*status)
		return d->group = group_idle(ro, d, compatible, has_attrs, d->note, n);
	if (!strcmp(status, "finished"))
		return d->group = DDI_RG_SUCCEEDED;
	if (!strcmp(status, "error")) {
		last_line(details, d->note, n);
		return d->group = DDI_RG_FAILED;
	}
	if (!strcmp(status, "waiting")) {
		snprintf(d->note, n, "waiting for the device's consent");
		return d->group = DDI_RG_WAITING;
	}
	if (!strcmp(status, "canceled")) {
		snprintf(d->note, n, "canceled by an operator");
		return d->group = DDI_RG_NOT_ELIGIBLE;
	}
	/* offered, but no word from the device yet: as the device page says */
	if (!strcmp(status, "running") && !d->answered) {
		snprintf(d->note, n, "no answer from the device");
		return d->group = DDI_RG_WAITING;
	}
	snprintf(d->note, n, "%s", !strcmp(status, "canceling") ? "asked to cancel" : "installing");
	return d->group = DDI_RG_RUNNING;
}

/* What ddi_rollout_devices gathers while the store reads the devices. */
struct rdev_walk {
	const struct ddi_rollout *ro;
	struct ddi_rollout_dev *out;
	int max, n;
	long long *counts;
};

/* Groups one device of the rollout, keeps it when out has room, counts it. */
static void rdev_take(void *ctx, struct ddi_rollout_devrow *row)
{
	struct rdev_walk *w = ctx;

	ddi_rollout_group(w->ro, &row->d, row->status, row->details, row->compatible,
			  row->has_attrs);
	w->counts[row->d.group]++;
	if (w->n < w->max)
		w->out[w->n++] = row->d;
}

int ddi_rollout_devices(struct app *app, const struct ddi_rollout *ro,
			struct ddi_rollout_dev *out, int max, long long counts[DDI_RG_N],
			struct nb_err *e)
{
	struct rdev_walk w = { ro, out, max, 0, counts };

	memset(counts, 0, sizeof(long long) * DDI_RG_N);
	if (ddi_rollout_dev_each(app, ro, rdev_take, &w, e) < 0)
		return -1;
	return w.n;
}
