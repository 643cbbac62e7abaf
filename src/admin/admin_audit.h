/*
 * admin_audit.h - the audit feed: one row per change an operator made
 * (who, through which door, what, on what, when), written by every admin
 * page and API action and every nestboxctl command that changes
 * something, read by the dashboard, GET /admin/audit and `nestboxctl
 * audit`.  Kept apart from the request log, which is bounded, counts
 * devices too and knows URLs rather than what they changed.  Its SQL is
 * in admin_audit_store.c only.
 */
#ifndef NB_ADMIN_AUDIT_H
#define NB_ADMIN_AUDIT_H

#include "../lib/app.h"
#include <cjson/cJSON.h>

#define ADMIN_AUDIT_TEXT_MAX 300	/* action and target are cut to this many bytes */

struct admin_audit_row {
	long long id, ts;		/* ts: Unix seconds */
	char user[80], via[16];		/* via: "page", "api" or "cli" */
	char action[ADMIN_AUDIT_TEXT_MAX + 1], target[ADMIN_AUDIT_TEXT_MAX + 1];
};

/*
 * Records that user, through via ("page", "api", "cli"), did action
 * ("rollout cancel") on target ("rollout 3", printf-style).  A failed
 * write is reported on stderr (the front end's error log) and does not
 * undo the change it records: 0, or -1 with e NB_UNAVAILABLE.
 */
int admin_audit_write(struct db *db, const char *user, const char *via, const char *action,
		      struct nb_err *e, const char *target_fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* From an admin request: the signed-in user, "page" or "api" by how it came. */
void admin_audit(struct app *app, const char *action, const char *target_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The request changes nothing worth a row (a logout), though it answers as a change. */
void admin_audit_skip(struct app *app);
/*
 * After an admin handler: a change (a state-changing method answered 201
 * or 303 on a page, 2xx on the API) that its handler did not record
 * itself with admin_audit() gets a row in the route's words: the action
 * from its pattern ("software delete" for POST /admin/software/:id/delete),
 * the target from its path parameters, form fields (never a password or
 * the CSRF token) and uploaded file name.  So no page forgets the feed.
 */
void admin_audit_after(struct app *app, struct http_req *r, const struct http_resp *w);
/*
 * Newest first: up to max rows with id below before (0: from the newest),
 * of user only when user is non-NULL.  Returns how many, or -1 with e.
 */
int admin_audit_list(struct db *db, const char *user, long long before,
		     struct admin_audit_row *out, int max, struct nb_err *e);
/* rows as [{"id","time","ts","user","via","action","target"}] for the pages and API. */
cJSON *admin_audit_json(struct arena *a, const struct admin_audit_row *rows, int n);

#endif
