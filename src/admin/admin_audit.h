/*
 * admin_audit.h - the audit feed: one row per change an operator made
 * (who, through which door, what, on what, when), written by every admin
 * page and API action and every nestboxctl command that changes
 * something, read by the dashboard, GET /admin/audit and `nestboxctl
 * audit`.  The rows themselves are src/core/audit.h's (the one store
 * module of the table, shared with nestboxctl and the Python index); this
 * module records an admin request's change and renders the feed.
 */
#ifndef NB_ADMIN_AUDIT_H
#define NB_ADMIN_AUDIT_H

#include "../core/audit.h"
#include <cjson/cJSON.h>

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
int audit_list(struct db *db, const char *user, long long before,
		     struct audit_row *out, int max, struct nb_err *e);
/* rows as [{"id","time","ts","user","via","action","target"}] for the pages and API. */
cJSON *admin_audit_json(struct arena *a, const struct audit_row *rows, int n);

#endif
