/*
 * admin_ota.h - the MicroPython OTA repositories in the admin (pages under
 * /admin/ota, publishing also under /admin/api/ota for CI with an API
 * token).  Pages: admin_ota.c (repositories, one repository: releases,
 * branches, read tokens, the board inventory and the rollout; one
 * release: files, sizes, manifest, its boards); changes: admin_ota_publish.c
 * (an uploaded tar.gz/zip becomes a release or a branch tip),
 * admin_ota_tokens.c (board read tokens) and admin_ota_rollout.c (the
 * newest release's rollout).  Every change is audited.  The
 * rows come from src/ota's store functions: no SQL here.
 */
#ifndef NB_ADMIN_OTA_H
#define NB_ADMIN_OTA_H

#include "admin.h"
#include "../ota/ota.h"

ADMIN_HANDLER(admin_ota_page)		/* admin_ota.c */
ADMIN_HANDLER(admin_ota_repo_page)
ADMIN_HANDLER(admin_ota_release_page)
ADMIN_HANDLER(admin_ota_publish)	/* admin_ota_publish.c: the page and the API */
ADMIN_HANDLER(admin_ota_token_add)	/* admin_ota_tokens.c */
ADMIN_HANDLER(admin_ota_token_revoke)
ADMIN_HANDLER(admin_ota_rollout)	/* admin_ota_rollout.c: the page and the API */
ADMIN_HANDLER(admin_ota_api_refuse)	/* admin_ota.c: any other request under /admin/api/ota */

/* The rollout form's actions (req_v_enum: stage, pause, resume), declared
 * in admin.fcgi.c with its percent (admin_ota_percent, admin_valid.h). */
extern const char *const admin_ota_rollout_ops[];

/*
 * The publish form's text fields (the multipart parts other than the
 * file), in this order: repo, tag, branch, version, post_update, message,
 * no_manifest, each NUL-terminated, "" when absent.  Fills p's names and
 * options (owner and name receive the two halves of repo, OTA_NAME_MAX + 1
 * bytes each; the strings of p point into val, owner and name).  0, or -1
 * with e NB_INVALID: repo not owner/name of ota_repo_ok, neither or
 * both of tag and branch, no_manifest not a boolean.  The tag, branch and
 * version rules are ota_publish's.
 */
#define ADMIN_OTA_FORM_FIELDS 7
int admin_ota_publish_form(char (*val)[ADMIN_FIELD_MAX + 1], struct ota_pub *p, char *owner,
			   char *name, struct nb_err *e);

/*
 * The repository page, also after a read token is made (new_token shown
 * this once, with its name); status 200 or 201.
 */
int admin_ota_repo_render(struct app *app, struct http_req *r, struct http_resp *w,
			  int status, const char *new_token, const char *token_name,
			  struct nb_err *e);
/* The :owner/:repo of the route; NB_INVALID for a name ota_repo_ok
 * refuses, NB_NOT_FOUND when there is no such repository. */
int admin_ota_repo_of(struct app *app, struct http_req *r, struct ota_repo *repo,
		      struct nb_err *e);

#endif
