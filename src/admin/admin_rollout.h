/*
 * admin_rollout.h - one rollout: GET /admin/rollouts/:id (its devices
 * grouped by result, progress over the devices that can take its
 * software, limits, cancel and finish) and the same under
 * /admin/api/rollouts/:id.  Changes go through src/ddi/ddi_rollout.c and
 * are written to the audit feed.
 */
#ifndef NB_ADMIN_ROLLOUT_H
#define NB_ADMIN_ROLLOUT_H

#include "admin.h"

ADMIN_HANDLER(admin_rollout_page)	/* admin_rollout_page.c */
ADMIN_HANDLER(admin_rollout_limits)
ADMIN_HANDLER(admin_rollout_cancel)
ADMIN_HANDLER(admin_rollout_finish)
ADMIN_HANDLER(admin_api_rollout)
ADMIN_HANDLER(admin_api_rollout_limits)
ADMIN_HANDLER(admin_api_rollout_cancel)
ADMIN_HANDLER(admin_api_rollout_finish)
ADMIN_HANDLER(admin_audit_page)		/* admin_audit.c */
ADMIN_HANDLER(admin_api_audit)

/* Devices shown per group on the rollout page (all are counted). */
#define ADMIN_ROLLOUT_SHOWN 500

/*
 * Rollout id as its page, /admin/api/rollouts/:id and `nestboxctl rollout
 * show --json` give it: {"rollout": {...}, "progress": {eligible,
 * not_eligible, done_percent, bar}, "groups": [{key, name, count, more,
 * devices: [{id, controller_id, name, version, note, offered (Unix s, 0:
 * no action), answered}]}]} in ddi_rollout_groups order, at most
 * ADMIN_ROLLOUT_SHOWN devices in all (strings of a).  NULL with e
 * NB_NOT_FOUND or NB_UNAVAILABLE.
 */
cJSON *admin_rollout_json(struct app *app, struct arena *a, long long id, struct nb_err *e);

#endif
