/*
 * The update decision: what a polling device should be offered, as a pure
 * function of what the store knows, so the whole table is unit-tested.
 * The store finds the candidate for the device's mode (ddi_candidate_find);
 * this decides whether to offer it now, and says why not when it does not.
 */
#include "ddi.h"
#include "../lib/version.h"

#include <string.h>

enum ddi_verdict ddi_decide(const struct ddi_decide_in *in)
{
	const struct ddi_candidate *c = in->cand;
	int cmp;

	if (!in->has_attrs)
		return DDI_NO_ATTRIBUTES;	/* hawkBit asks for configData first */
	if (!strcmp(in->mode, "pinned"))
		return DDI_PINNED;
	if (!c || c->software_id <= 0)
		return DDI_NO_SOFTWARE;
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

const char *ddi_verdict_text(enum ddi_verdict v)
{
	switch (v) {
	case DDI_OFFER: return "update offered";
	case DDI_NO_ATTRIBUTES: return "waiting for the device's attributes";
	case DDI_PINNED: return "pinned";
	case DDI_NO_SOFTWARE: return "no compatible software for its mode";
	case DDI_UP_TO_DATE: return "up to date";
	case DDI_FAILED_BEFORE: return "this software failed on it before (force to retry)";
	case DDI_NOT_IN_STAGE: return "outside the rollout's current stage";
	case DDI_FLEET_BUSY: return "ddi.max_concurrent_updates devices are updating";
	case DDI_CANCELED: return "canceled by an operator (assign again or force to retry)";
	}
	return "?";
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
