/*
 * The update decision: what a polling device should be offered, as a pure
 * function of what the store knows, so the whole table is unit-tested.
 * The store finds the candidate for the device's mode (ddi_candidate_find);
 * this decides whether to offer it now, and says why not when it does not.
 */
#include "ddi.h"
#include "../lib/version.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

/* An open action is what the device is told about, whatever it would get next. */
static enum ddi_verdict open_verdict(const struct ddi_action *a)
{
	if (!strcmp(a->status, "waiting"))
		return DDI_WAITING_CONSENT;
	if (!strcmp(a->status, "canceling"))
		return DDI_CANCELING;
	return DDI_UNDER_WAY;
}

/* Nothing for its mode: why, as far as the caller's facts tell. */
static enum ddi_verdict nothing_verdict(const struct ddi_decide_in *in,
				       const struct ddi_decide_ctx *ctx)
{
	const struct ddi_nocand *w = ctx ? ctx->why : NULL;

	/* a software for any board would still fit: only then is a missing board the reason */
	if (ctx && ctx->board && !*ctx->board)
		return DDI_NO_BOARD;
	if (w && !strcmp(in->mode, "rollout") && w->rollout_id <= 0)
		return DDI_NO_ROLLOUT;
	if (w && !strcmp(in->mode, "rollout") && !strcmp(w->rollout_state, "paused"))
		return DDI_ROLLOUT_PAUSED;
	if (w && !strcmp(in->mode, "assigned") && w->assigned_id > 0)
		return DDI_ASSIGNED_OTHER_BOARD;
	return DDI_NO_SOFTWARE;
}

enum ddi_verdict ddi_decide(const struct ddi_decide_in *in)
{
	return ddi_decide_ctx(in, NULL);
}

enum ddi_verdict ddi_decide_ctx(const struct ddi_decide_in *in, const struct ddi_decide_ctx *ctx)
{
	const struct ddi_candidate *c = in->cand;
	int cmp;

	if (ctx && ctx->open && ctx->open->id > 0)
		return open_verdict(ctx->open);
	if (!in->has_attrs)
		return DDI_NO_ATTRIBUTES;	/* hawkBit asks for configData first */
	if (!strcmp(in->mode, "pinned"))
		return DDI_PINNED;
	if (!c || c->software_id <= 0)
		return nothing_verdict(in, ctx);
	cmp = version_cmp(c->version, in->installed);
	if (!in->force) {
		if (cmp == 0)
			return DDI_UP_TO_DATE;
		/* an operator's assignment may go back; a rollout or "latest" never does */
		if (cmp < 0 && strcmp(in->mode, "assigned"))
			return DDI_UP_TO_DATE;
		/* an operator's cancel stands until an operator assigns again or forces */
		if (c->canceled)
			return DDI_CANCELED;
		if (c->failed_before)
			return DDI_FAILED_BEFORE;
	}
	if (c->rollout_id > 0 &&
	    ddi_stage_bucket(in->tenant, in->cid, c->rollout_id) >= c->percent)
		return DDI_NOT_IN_STAGE;
	if (in->max_running > 0 && in->running >= in->max_running)
		return DDI_FLEET_BUSY;
	return DDI_OFFER;
}

static const char *const keys[DDI_VERDICT_COUNT] = {
	[DDI_OFFER] = "offer", [DDI_NO_ATTRIBUTES] = "no_attributes", [DDI_PINNED] = "pinned",
	[DDI_NO_SOFTWARE] = "no_software", [DDI_UP_TO_DATE] = "up_to_date",
	[DDI_FAILED_BEFORE] = "failed_before", [DDI_NOT_IN_STAGE] = "stage_not_reached",
	[DDI_FLEET_BUSY] = "fleet_busy", [DDI_CANCELED] = "canceled", [DDI_NO_BOARD] = "no_board",
	[DDI_NO_ROLLOUT] = "no_rollout", [DDI_ROLLOUT_PAUSED] = "rollout_paused",
	[DDI_ASSIGNED_OTHER_BOARD] = "assigned_other_board",
	[DDI_WAITING_CONSENT] = "waiting_for_consent", [DDI_UNDER_WAY] = "under_way",
	[DDI_CANCELING] = "canceling",
};

static const char *const texts[DDI_VERDICT_COUNT] = {
	[DDI_OFFER] = "update offered",
	[DDI_NO_ATTRIBUTES] = "waiting for the device's attributes",
	[DDI_PINNED] = "pinned",
	[DDI_NO_SOFTWARE] = "no software for its board and revision",
	[DDI_UP_TO_DATE] = "up to date",
	[DDI_FAILED_BEFORE] = "this software failed on it before (force to retry)",
	[DDI_NOT_IN_STAGE] = "rollout stage not reached",
	[DDI_FLEET_BUSY] = "ddi.max_concurrent_updates devices are updating",
	[DDI_CANCELED] = "canceled by an operator (assign again or force to retry)",
	[DDI_NO_BOARD] = "its attributes name no board",
	[DDI_NO_ROLLOUT] = "no rollout on its feed",
	[DDI_ROLLOUT_PAUSED] = "its feed's rollout is paused",
	[DDI_ASSIGNED_OTHER_BOARD] = "assigned software for another board",
	[DDI_WAITING_CONSENT] = "waiting for the device's consent",
	[DDI_UNDER_WAY] = "an update is under way",
	[DDI_CANCELING] = "a cancel is waiting for the device",
};

const char *ddi_verdict_key(enum ddi_verdict v)
{
	return (unsigned)v < DDI_VERDICT_COUNT ? keys[v] : "?";
}

const char *ddi_verdict_text(enum ddi_verdict v)
{
	return (unsigned)v < DDI_VERDICT_COUNT ? texts[v] : "?";
}

/*
 * A device's place in a staged rollout, 0..99: FNV-1a over tenant,
 * controller id and rollout id.  Deterministic, so raising the percentage
 * only adds devices; salted with the rollout, so each rollout starts with
 * a different first group.
 */
int ddi_stage_bucket(const char *tenant, const char *cid, long long rollout_id)
{
	unsigned long long h = 1469598103934665603ULL;
	const char *parts[2] = { tenant, cid };
	int i;

	for (i = 0; i < 2; i++) {
		const unsigned char *p = (const unsigned char *)parts[i];
		for (; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ '/') * 1099511628211ULL;
	}
	for (i = 0; i < 8; i++)
		h = (h ^ ((unsigned long long)rollout_id >> (8 * i) & 0xff)) * 1099511628211ULL;
	return (int)(h % 100);
}

/* The configData names ddi_config_data.c reads (hawkBit leaves them to the client). */
#define READS "nestbox reads hw_boardname (or hw_model), hw_revision and sw_version"

static const char *or_none(const char *s)
{
	return s && *s ? s : "(none)";
}

/* The attribute names of the JSON object attrs, in the order sent,
 * ", "-separated into out (n bytes): the names that fit; "" unless an object. */
static const char *attr_names(const char *attrs, char *out, size_t n)
{
	cJSON *o = attrs && *attrs ? cJSON_Parse(attrs) : NULL, *k;
	size_t len = 0;

	out[0] = '\0';
	if (cJSON_IsObject(o))
		cJSON_ArrayForEach(k, o) {
			int w = snprintf(out + len, n - len, "%s%s", len ? ", " : "", k->string);
			if (w < 0 || (size_t)w >= n - len) {
				out[len] = '\0';	/* the names that fit */
				break;
			}
			len += (size_t)w;
		}
	cJSON_Delete(o);
	return out;
}

/* The compatibility rows as "board:revision, …" ('*' for any) into out (n bytes). */
static const char *compat_text(const struct ddi_nocand *w, char *out, size_t n)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < w->ncompat; i++) {
		const struct swu_compat *c = &w->compat[i];
		int k = snprintf(out + len, n - len, "%s%s:%s", i ? ", " : "",
				 *c->board ? c->board : "*", *c->revision ? c->revision : "*");
		if (k < 0 || (size_t)k >= n - len) {
			out[len] = '\0';	/* the rows that fit */
			break;
		}
		len += (size_t)k;
	}
	return out;
}

/* The reasons without a candidate: what the device or the store lacks. */
static void explain_nothing(const struct ddi_decide_in *in, const struct ddi_decide_ctx *x,
			    enum ddi_verdict v, char *out, size_t n)
{
	static const struct ddi_nocand none;
	const struct ddi_nocand *w = x->why ? x->why : &none;
	char names[256];

	switch (v) {
	case DDI_NO_ATTRIBUTES:
		snprintf(out, n, "waiting for the device's attributes (configData): " READS);
		break;
	case DDI_NO_BOARD:
		snprintf(out, n, "its attributes name no board: " READS "; it sent %s",
			 or_none(attr_names(w->attributes, names, sizeof(names))));
		break;
	case DDI_NO_ROLLOUT:
		snprintf(out, n, "no rollout is running on its feed %s", or_none(x->feed));
		break;
	case DDI_ROLLOUT_PAUSED:
		snprintf(out, n, "rollout #%lld %s (%s) on feed %s is paused: %s", w->rollout_id,
			 w->rollout_name, w->rollout_version, or_none(x->feed),
			 *w->pause_reason ? w->pause_reason : "no reason given");
		break;
	case DDI_ASSIGNED_OTHER_BOARD:
		snprintf(out, n, "assigned software %s %s (#%lld) is for another board (%s), "
			 "not board %s revision %s", w->assigned_name, w->assigned_version,
			 w->assigned_id, or_none(compat_text(w, names, sizeof(names))),
			 or_none(x->board), or_none(x->revision));
		break;
	case DDI_NO_SOFTWARE:
		if (w->rollout_id > 0)
			snprintf(out, n, "rollout #%lld %s (%s) has no software for board %s "
				 "revision %s", w->rollout_id, w->rollout_name, w->rollout_version,
				 or_none(x->board), or_none(x->revision));
		else
			snprintf(out, n, "no software for board %s revision %s in %s mode",
				 or_none(x->board), or_none(x->revision), in->mode);
		break;
	default:
		snprintf(out, n, "%s", ddi_verdict_text(v));
	}
}

/* The reasons about its candidate or its open action. */
static void explain_candidate(const struct ddi_decide_in *in, const struct ddi_decide_ctx *x,
			      enum ddi_verdict v, char *out, size_t n)
{
	const struct ddi_candidate *c = in->cand;
	const char *ver = c ? c->version : "?";
	long long act = x->open ? x->open->id : 0;

	switch (v) {
	case DDI_OFFER:
		snprintf(out, n, "update offered: %s replaces %s", ver, or_none(in->installed));
		break;
	case DDI_UP_TO_DATE:
		snprintf(out, n, "up to date: it runs %s, and its mode offers %s",
			 or_none(in->installed), ver);
		break;
	case DDI_FAILED_BEFORE:
		snprintf(out, n, "%s failed on it before (force to retry)", ver);
		break;
	case DDI_CANCELED:
		snprintf(out, n, "canceled by an operator: %s is held until an operator assigns "
			 "again or forces", ver);
		break;
	case DDI_NOT_IN_STAGE:
		snprintf(out, n, "rollout stage not reached, outside the rollout's current stage: "
			 "rollout #%lld offers %s to %d%% of its feed, this device's place is %d", c ? c->rollout_id : 0, ver,
			 c ? c->percent : 0, c ? ddi_stage_bucket(in->tenant, in->cid,
								c->rollout_id) : 0);
		break;
	case DDI_FLEET_BUSY:
		snprintf(out, n, "%ld devices are updating, the most ddi.max_concurrent_updates "
			 "(%ld) allows", in->running, in->max_running);
		break;
	case DDI_WAITING_CONSENT:
		snprintf(out, n, "waiting for the device's consent to install (action #%lld)", act);
		break;
	case DDI_UNDER_WAY:
		snprintf(out, n, "an update is under way (action #%lld)", act);
		break;
	case DDI_CANCELING:
		snprintf(out, n, "a cancel is waiting for the device (action #%lld)", act);
		break;
	case DDI_PINNED:
		snprintf(out, n, "pinned by an operator: it is offered nothing");
		break;
	default:
		explain_nothing(in, x, v, out, n);
	}
}

const char *ddi_verdict_explain(const struct ddi_decide_in *in, const struct ddi_decide_ctx *ctx,
				enum ddi_verdict v, char *out, size_t n)
{
	static const struct ddi_decide_ctx none;

	if (n)
		explain_candidate(in, ctx ? ctx : &none, v, out, n);
	return out;
}

/* ddi_decide_in and _ctx from a device: what the poll knows, and what a person needs. */
static void explain_in(const struct ddi_device *dev, long max_running,
		       struct ddi_decide_in *in, struct ddi_decide_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->board = dev->hw_model;
	ctx->revision = dev->hw_revision;
	ctx->feed = dev->feed;
	memset(in, 0, sizeof(*in));
	in->mode = dev->mode;
	in->installed = dev->sw_version;
	in->tenant = dev->tenant;
	in->cid = dev->cid;
	in->has_attrs = dev->has_attrs;
	in->force = dev->force;
	in->max_running = max_running;
}

int ddi_explain(struct app *app, struct arena *a, const struct ddi_device *dev,
		long max_running, struct ddi_explained *out, struct nb_err *e)
{
	struct ddi_decide_in in;
	struct ddi_decide_ctx ctx;
	struct ddi_nocand why;
	int rc;

	memset(out, 0, sizeof(*out));
	explain_in(dev, max_running, &in, &ctx);
	if ((rc = ddi_action_open(app, dev->id, &out->open, e)) < 0)
		return -1;
	if (rc)
		ctx.open = &out->open;
	else
		out->open.id = 0;
	rc = dev->has_attrs && strcmp(dev->mode, "pinned") ?
	     ddi_candidate_find(app, dev, &out->cand, e) : 0;
	if (rc < 0)
		return -1;
	if (rc)
		in.cand = &out->cand;
	else
		memset(&out->cand, 0, sizeof(out->cand));
	if (in.max_running > 0 && in.cand && (in.running = ddi_running_count(app, e)) < 0)
		return -1;
	if (!in.cand && dev->has_attrs && !ctx.open) {
		if (ddi_nocand_facts(app, a, dev, &why, e) < 0)
			return -1;
		ctx.why = &why;
	}
	out->v = ddi_decide_ctx(&in, &ctx);
	ddi_verdict_explain(&in, &ctx, out->v, out->text, sizeof(out->text));
	return 0;
}
