/*
 * A repository's board read tokens: POST /admin/ota/:owner/:repo/tokens
 * (a new token, shown once, kept hashed) and .../tokens/:id/revoke.  Each
 * change is audited.
 */
#include "admin_ota.h"
#include "admin_audit.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <string.h>

int admin_ota_token_add_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	char secret[2 * AUTH_TOKEN_BYTES + 1];
	const char *name = req_str(r, "name");
	struct ota_repo repo;

	if (admin_ota_repo_of(app, r, &repo, e) < 0)
		return -1;
	if (auth_random_hex(secret, AUTH_TOKEN_BYTES) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "no random bytes, try again");
	if (ota_token_add(app, repo.id, name, secret, e) < 0) {
		admin_form_field(app, "name");	/* what the operator typed */
		return nb_err_prefix(e, "cannot store the token");
	}
	admin_audit(app, "ota token", "%s/%s for %s", repo.owner, repo.name, name);
	/* shown this once: only its hash is kept */
	return admin_ota_repo_render(app, r, w, 201, secret, name, e);
}

int admin_ota_token_revoke_run(struct app *app, struct http_req *r, struct http_resp *w,
			       struct nb_err *e)
{
	struct ota_repo repo;
	long long id = req_int(r, "id", 0);

	if (admin_ota_repo_of(app, r, &repo, e) < 0 || ota_token_revoke(app, repo.id, id, e) < 0)
		return -1;
	admin_audit(app, "ota token revoke", "%s/%s token %lld", repo.owner, repo.name, id);
	http_redirect(w, arena_printf(r->a, "/admin/ota/%s/%s?done=token+revoked", repo.owner,
				      repo.name));
	return 0;
}
