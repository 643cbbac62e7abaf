/*
 * audit.h - the audit feed's rows: one per change an operator made (who,
 * through which door, what, on what, when).  The store module of the
 * admin_audit table (its SQL is in audit_store.c only), in core because
 * every door writes it: the admin pages and API (src/admin/admin_audit.h
 * records a request's change), nestboxctl (ctl_audit) and the Python
 * index's devpi API (pypi_audit), none of which may depend on another's
 * domain.  Kept apart from the request log, which is bounded, counts
 * devices too and knows URLs rather than what they changed.
 */
#ifndef NB_AUDIT_H
#define NB_AUDIT_H

#include "../lib/app.h"

#define AUDIT_TEXT_MAX 300	/* action and target are cut to this many bytes */

struct audit_row {
	long long id, ts;		/* ts: Unix seconds */
	char user[80], via[16];		/* via: "page", "api" or "cli" */
	char action[AUDIT_TEXT_MAX + 1], target[AUDIT_TEXT_MAX + 1];
};

/*
 * Records that user, through via ("page", "api", "cli"), did action
 * ("rollout cancel") on target ("rollout 3", printf-style; both cut to
 * AUDIT_TEXT_MAX bytes).  A failed write is reported on stderr (the front
 * end's error log) and does not undo the change it records: 0, or -1 with
 * e NB_UNAVAILABLE.
 */
int audit_write(struct db *db, const char *user, const char *via, const char *action,
		struct nb_err *e, const char *target_fmt, ...)
	__attribute__((format(printf, 6, 7)));
/*
 * Newest first: up to max rows with id below before (0: from the newest),
 * of user only when user is non-NULL, into out.  Returns how many, or -1
 * with e NB_UNAVAILABLE (a step failed: never a shorter feed).
 */
int audit_list(struct db *db, const char *user, long long before, struct audit_row *out, int max,
	       struct nb_err *e);

#endif
