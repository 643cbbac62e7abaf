/*
 * GET /{tenant}/controller/v1/{controllerId}: the poll, the request a
 * fleet sends all day (ROUTE_HOT).  With nothing new it reads the store
 * and writes nothing (last_seen is coalesced to a minute, ddi_seen_*);
 * when an update is due it opens the action, its only write.
 */
#include "ddi_state.h"

#include <stdio.h>
#include <string.h>

static int same_group(const struct ddi_cand_entry *e, const struct ddi_device *dev)
{
	int rollout = !strcmp(dev->mode, "rollout"), assigned = !strcmp(dev->mode, "assigned");

	return e->used && !strcmp(e->mode, dev->mode) && !strcmp(e->board, dev->hw_model) &&
	       !strcmp(e->revision, dev->hw_revision) &&
	       (!rollout || !strcmp(e->feed, dev->feed)) && (!assigned || e->assigned == dev->assigned);
}

/*
 * The cache entry of dev's group, read from the store when missing or
 * stale.  The data version is the device read's (the poll's read is split,
 * ddi_auth.c): a candidate read after it may see a newer store, so an entry
 * is at worst keyed on a version older than its rows, and read again at
 * the next change; never older rows under a newer version.
 */
static struct ddi_cand_entry *cand_entry(struct app *app, struct ddi *d,
					 const struct ddi_device *dev)
{
	unsigned v = db_data_version(app->db);
	struct ddi_cand_entry *e;
	int i, rc;

	for (i = 0; i < DDI_CAND_CACHE; i++)
		if (same_group(&d->cand[i], dev) && d->cand[i].version == v)
			return &d->cand[i];
	e = &d->cand[d->cand_next];
	d->cand_next = (d->cand_next + 1) % DDI_CAND_CACHE;
	memset(e, 0, sizeof(*e));
	/* a poll answers whatever the store says: a failed read offers nothing now */
	rc = ddi_candidate_lookup(app, dev, &e->c, NULL);
	e->found = rc == 1;
	e->version = v;
	e->assigned = dev->assigned;
	snprintf(e->mode, sizeof(e->mode), "%s", dev->mode);
	snprintf(e->feed, sizeof(e->feed), "%s", dev->feed);
	snprintf(e->board, sizeof(e->board), "%s", dev->hw_model);
	snprintf(e->revision, sizeof(e->revision), "%s", dev->hw_revision);
	e->used = rc >= 0;	/* a failed read is not kept: the next poll reads again */
	return e;
}

/* ddi_candidate_find through the per-process cache; 1 found, 0 none (or
 * the store could not say: nothing is offered on a doubt). */
static int candidate(struct app *app, struct ddi *d, const struct ddi_device *dev,
		     struct ddi_candidate *c)
{
	const struct ddi_cand_entry *e = cand_entry(app, d, dev);

	if (!e->found)
		return 0;
	*c = e->c;
	/* a failure that cannot be read counts as one: not offered again blindly */
	if (strcmp(c->version, dev->sw_version))
		c->failed_before = ddi_failed_before(app, dev->id, c->software_id, NULL) != 0;
	c->canceled = dev->held > 0 && dev->held == c->software_id;
	return 1;
}

/* The open actions for max_concurrent_updates; the limit itself when they
 * cannot be counted, so that nothing is offered past it on a doubt. */
static long running(struct app *app, long max_running)
{
	int n = ddi_running_count(app, NULL);

	return n < 0 ? max_running : n;
}

/* What the device should be offered now (the decision table in ddi_decide.c). */
static enum ddi_verdict decide(struct app *app, struct ddi *d, const struct ddi_device *dev,
			       struct ddi_candidate *c)
{
	struct ddi_decide_in in = { dev->mode, dev->sw_version, dev->tenant, dev->cid,
				    dev->has_attrs, dev->force, NULL, 0, d->set.max_running };

	if (dev->has_attrs && strcmp(dev->mode, "pinned") && candidate(app, d, dev, c) == 1)
		in.cand = c;
	/* counted only when it could matter: a steady-state poll skips it */
	if (in.max_running > 0 && in.cand && (dev->force || strcmp(c->version, dev->sw_version)))
		in.running = running(app, in.max_running);
	return ddi_decide(&in);
}

/* The same decision without the cache, for a write transaction's re-check. */
static enum ddi_verdict decide_fresh(struct app *app, struct ddi *d, const struct ddi_device *dev,
				     struct ddi_candidate *c)
{
	struct ddi_decide_in in = { dev->mode, dev->sw_version, dev->tenant, dev->cid,
				    dev->has_attrs, dev->force, NULL, 0, d->set.max_running };

	if (dev->has_attrs && strcmp(dev->mode, "pinned") &&
	    ddi_candidate_find(app, dev, c, NULL) == 1)
		in.cand = c;
	if (in.max_running > 0 && in.cand)
		in.running = running(app, in.max_running);
	return ddi_decide(&in);
}

static int is_open(const struct ddi_action *a)
{
	return a->id > 0 && (!strcmp(a->status, "waiting") || !strcmp(a->status, "running") ||
			     !strcmp(a->status, "canceling"));
}

/*
 * A new action; it waits for the device's consent when the flow is on.
 * The decision is taken again inside the write transaction, from what is
 * committed now: another process may have opened an action for this
 * device, filled the last max_concurrent_updates slot, or an operator may
 * have paused or staged the rollout or pinned the device meanwhile.
 * a->id stays 0 when nothing was opened (busy: the next poll offers it).
 */
static void offer(struct app *app, struct ddi *d, const struct ddi_candidate *c,
		  struct ddi_action *a)
{
	struct ddi_candidate again;
	struct ddi_device now;
	int wait = d->set.confirm && !d->dev.auto_confirm;

	a->id = 0;
	if (db_begin(app->db) < 0)
		return;
	if (ddi_device_get(app, d->dev.tenant, d->dev.cid, &now, NULL) != 1 || is_open(&now.last) ||
	    decide_fresh(app, d, &now, &again) != DDI_OFFER ||
	    again.software_id != c->software_id || again.rollout_id != c->rollout_id) {
		db_commit(app->db);
		return;
	}
	a->id = ddi_action_create(app, now.id, c->software_id, c->rollout_id,
				  wait ? "waiting" : "running", NULL);
	a->software_id = c->software_id;
	snprintf(a->status, sizeof(a->status), "%s", wait ? "waiting" : "running");
	if (a->id <= 0 || ddi_device_set_version(app, now.id, NULL, a->status, NULL) < 0 ||
	    db_commit(app->db) < 0) {
		db_rollback(app->db);
		a->id = 0;
	}
}

/* One {"rel": {"href": "…"}} member of _links. */
static void poll_link(struct buf *b, int *first, const char *rel, const char *href)
{
	if (!*first)
		buf_addc(b, ',');
	*first = 0;
	buf_add_jstr(b, rel);
	buf_adds(b, ":{\"href\":");
	buf_add_jstr(b, href);
	buf_addc(b, '}');
}

/*
 * The device's URL, made when the first link needs it: a poll with nothing
 * to do links nothing, and making it anyway was a twentieth of such a
 * poll's instructions (callgrind).
 */
static const char *lazy_url(struct app *app, struct http_req *r, const char **url)
{
	if (!*url)
		*url = ddi_device_url(app, r);
	return *url;
}

/* The link to the open action a (id 0: none), or to confirmationBase. */
static void action_link(struct app *app, struct http_req *r, struct buf *b, int *first,
			const char **lazy, const struct ddi_action *a, int confirm)
{
	const char *id, *sw, *url;

	if (a->id <= 0 && !confirm)
		return;
	id = arena_lld(r->a, a->id);
	sw = arena_lld(r->a, a->software_id);
	url = lazy_url(app, r, lazy);
	if (a->id > 0 && !strcmp(a->status, "canceling"))
		poll_link(b, first, "cancelAction", arena_cat(r->a, url, "/cancelAction/", id, NULL));
	else if (a->id > 0 && !strcmp(a->status, "waiting"))
		poll_link(b, first, "confirmationBase", arena_cat(r->a, url, "/confirmationBase/",
								  id, "?c=", id, "-", sw, NULL));
	else if (a->id > 0)
		poll_link(b, first, "deploymentBase", arena_cat(r->a, url, "/deploymentBase/", id,
								"?c=", id, "-", sw, NULL));
	else if (confirm)
		poll_link(b, first, "confirmationBase",
			  arena_cat(r->a, url, "/confirmationBase", NULL));
}

/*
 * The poll's answer: a fixed shape written straight into the response (a
 * cJSON tree cost more than the rest of the request).
 */
int ddi_poll(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	struct ddi_candidate c;
	enum ddi_verdict verdict;
	struct buf *b = &w->body;
	const char *url = NULL;
	int first = 1;

	(void)e;	/* a poll always answers: a busy store only delays an offer */
	ddi_seen_queue(app, &d->seen, &d->dev, r->remote_addr);
	/* the newest action came with the device, in ddi_before's snapshot */
	a = d->dev.last;
	verdict = is_open(&a) ? DDI_UP_TO_DATE : decide(app, d, &d->dev, &c);
	db_read_end(app->db);
	w->status = 200;
	http_set_header(w, "Content-Type", "application/hal+json");
	w->body.len = 0;
	buf_adds(b, "{\"config\":{\"polling\":{\"sleep\":");
	buf_add_jstr(b, d->set.poll_time);
	buf_adds(b, "}},\"_links\":{");
	if (!d->dev.has_attrs)
		poll_link(b, &first, "configData",
			  arena_cat(r->a, lazy_url(app, r, &url), "/configData", NULL));
	if (a.id > 0 && !strcmp(a.status, "finished"))
		poll_link(b, &first, "installedBase",
			  arena_cat(r->a, lazy_url(app, r, &url), "/installedBase/",
				    arena_lld(r->a, a.id), NULL));
	if (!is_open(&a)) {
		a.id = 0;
		/* an update is due: the only write a poll makes */
		if (verdict == DDI_OFFER)
			offer(app, d, &c, &a);
	}
	action_link(app, r, b, &first, &url, &a, d->set.confirm);
	buf_adds(b, "}}");
	return 0;
}
