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

#endif
