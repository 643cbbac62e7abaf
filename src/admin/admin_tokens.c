/* API tokens: POST /admin/tokens (shown once on the users page) and
 * POST /admin/tokens/:id/revoke. */
#include "admin.h"
#include "admin_audit.h"

#include <string.h>


int admin_token_add_run(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e)
{
	struct admin *ad = app->domain;
	char token[80];

	if (admin_token_create(app->db, ad->user.id, req_str(r, "name"), token, e) < 0)
		return nb_err_prefix(e, "cannot store the token");
	admin_audit(app, "token create", "API token %s of %s", req_str(r, "name"), ad->user.name);
	/* shown this once; only its hash is kept */
	return admin_users_page(app, r, w, 201, token,
				"token created: copy it now, it is not shown again", e);
}

int admin_token_revoke_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	struct admin *ad = app->domain;

	if (admin_token_remove(app->db, req_int(r, "id", 0),
			       admin_is_admin(ad) ? 0 : ad->user.id, e) < 0)
		return -1;
	admin_audit(app, "token revoke", "API token #%lld", req_int(r, "id", 0));
	http_redirect(w, "/admin/users?done=token+revoked");
	return 0;
}
