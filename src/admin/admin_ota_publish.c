/*
 * Publishing from the admin: POST /admin/ota/publish (the page's upload
 * form, with the session's CSRF token before the file) and POST
 * /admin/api/ota/publish (CI, with an API token: the README's curl
 * example).  A multipart form: repo (owner/name), tag (a release) or
 * branch (a tip), optional version, post_update, message (an annotated
 * tag), no_manifest; the file a tar (any compression) or zip archive,
 * kept in memory as it arrives (ota.h's struct ota_upload: no staging
 * file, the upload is written once, as the release's blobs), then
 * published as `nestboxctl ota publish|push` does (ota_publish.c):
 * nothing a board sees changes unless the whole publication succeeded.
 */
#include "admin_ota.h"
#include "admin_audit.h"
#include "admin_upload.h"

#include <stdio.h>
#include <string.h>

enum { F_REPO, F_TAG, F_BRANCH, F_VERSION, F_POST, F_MESSAGE, F_NO_MANIFEST, F_N };
static const char *const fields[ADMIN_OTA_FORM_FIELDS] = {
	"repo", "tag", "branch", "version", "post_update", "message", "no_manifest"
};

int admin_ota_publish_form(char (*val)[ADMIN_FIELD_MAX + 1], struct ota_pub *p, char *owner,
			   char *name, struct nb_err *e)
{
	const char *slash = strchr(val[F_REPO], '/');
	const char *nm = val[F_NO_MANIFEST];

	if (!slash || (size_t)(slash - val[F_REPO]) > OTA_NAME_MAX)
		return nb_fail(e, NB_INVALID, "%s", OTA_REPO_RULE);
	snprintf(owner, OTA_NAME_MAX + 1, "%.*s", (int)(slash - val[F_REPO]), val[F_REPO]);
	snprintf(name, OTA_NAME_MAX + 1, "%s", slash + 1);
	if (!ota_repo_ok(owner, name) || strlen(slash + 1) > OTA_NAME_MAX)
		return nb_fail(e, NB_INVALID, "%s", OTA_REPO_RULE);
	p->owner = owner;	/* set once the repo is good: publish_fault() reads it */
	p->name = name;
	if (!val[F_TAG][0] == !val[F_BRANCH][0])
		return nb_fail(e, NB_INVALID, "name a tag or a branch (not both)");
	p->tag = val[F_TAG][0] ? val[F_TAG] : NULL;
	p->branch = val[F_BRANCH][0] ? val[F_BRANCH] : NULL;
	p->version = val[F_VERSION][0] ? val[F_VERSION] : NULL;
	p->post_update = val[F_POST][0] ? val[F_POST] : NULL;
	p->message = val[F_MESSAGE][0] ? val[F_MESSAGE] : NULL;
	/* an HTML checkbox sends "on" */
	p->no_manifest = !strcmp(nm, "on") || !strcmp(nm, "1") || !strcmp(nm, "true") ||
			 !strcmp(nm, "yes");
	if (nm[0] && !p->no_manifest && strcmp(nm, "0") && strcmp(nm, "false") && strcmp(nm, "no"))
		return nb_fail(e, NB_INVALID, "no_manifest is true or false");
	return 0;
}

/* The publication itself, with the ota settings read at start (admin_init). */
static int run_publish(struct app *app, struct arena *a, const struct ota_settings *set,
		       struct ota_pub *p, struct nb_err *e)
{
	return p->tag ? ota_publish(app, set, a, p, e) : ota_push(app, set, a, p, e);
}

/* The upload's sink: its bytes into memory as they arrive, bounded by
 * the release's limits (ota_upload_max). */
static int up_write(void *ctx, const char *p, size_t n, struct nb_err *e)
{
	return ota_upload_add(ctx, p, n, e);
}

static void answer(struct app *app, struct http_req *r, struct http_resp *w,
		   const struct ota_pub *p)
{
	cJSON *o, *sk;
	int i;

	if (!(r->route->flags & ADMIN_API)) {
		http_redirect(w, arena_printf(r->a, "/admin/ota/%s/%s?done=%s+%s", p->owner, p->name,
					      p->tag ? "published" : p->unchanged ? "unchanged" : "pushed",
					      p->tag ? p->tag : p->branch));
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "repo", arena_printf(r->a, "%s/%s", p->owner, p->name));
	cJSON_AddStringToObject(o, p->tag ? "tag" : "branch", p->tag ? p->tag : p->branch);
	cJSON_AddStringToObject(o, "commit", p->commit);
	cJSON_AddNumberToObject(o, "files", p->nfiles);
	cJSON_AddNumberToObject(o, "stored", p->nstored);
	/* a push whose tree is the tip's wrote nothing: 200, not 201 */
	cJSON_AddBoolToObject(o, "unchanged", p->unchanged);
	sk = cJSON_AddArrayToObject(o, "skipped");
	for (i = 0; i < p->nskipped; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "path", p->skipped[i]);
		cJSON_AddStringToObject(s, "reason", p->skip_why[i]);
		cJSON_AddItemToArray(sk, s);
	}
	(void)app;
	admin_json(w, p->unchanged ? 200 : 201, o);
}

/* The field a refused publication is drawn beside (admin_form.c): the
 * repo, the tag or branch (missing, both, malformed, a release that
 * exists), the version, the post_update module, the no_manifest box, else
 * the archive.  form_failed: admin_ota_publish_form refused it. */
static const char *publish_fault(char (*val)[ADMIN_FIELD_MAX + 1], const struct ota_pub *p,
				 int form_failed, const struct nb_err *e)
{
	if (!p->owner)
		return "repo";
	if (!val[F_TAG][0] == !val[F_BRANCH][0])
		return "tag";
	if (form_failed)
		return "no_manifest";
	if (e->kind == NB_CONFLICT || (p->tag && !ota_ref_new_ok(p->tag)))
		return "tag";
	if (p->branch && !ota_ref_new_ok(p->branch))
		return "branch";
	if (p->version && !ota_ref_ok(p->version))
		return "version";
	if (p->post_update && !strncmp(e->msg, "post_update", 11))
		return "post_update";
	return "file";
}

int admin_ota_publish_run(struct app *app, struct http_req *r, struct http_resp *w,
			  struct nb_err *e)
{
	char val[ADMIN_OTA_FORM_FIELDS][ADMIN_FIELD_MAX + 1];
	char owner[OTA_NAME_MAX + 1], name[OTA_NAME_MAX + 1];
	const struct ota_settings *set = &((struct admin *)app->domain)->ota;
	struct ota_upload up = { NULL, 0, 0, 0 };
	struct admin_sink sink = { NULL, up_write, NULL, &up };
	struct ota_pub p;
	int rc, form_failed;

	memset(val, 0, sizeof(val));
	memset(&p, 0, sizeof(p));
	up.max = ota_upload_max(set);
	if (admin_form_stream(app, r, fields, F_N, val, &sink, e) < 0) {
		ota_upload_free(&up);
		return -1;
	}
	p.upload = &up;
	p.src_name = "the upload";
	rc = admin_ota_publish_form(val, &p, owner, name, e);
	form_failed = rc < 0;
	if (rc == 0)
		rc = run_publish(app, r->a, set, &p, e);
	ota_upload_free(&up);
	if (rc < 0) {
		admin_form_field(app, publish_fault(val, &p, form_failed, e));
		return -1;
	}
	admin_audit(app, p.tag ? "ota publish" : "ota push", "%s/%s %s at %s", owner, name,
		    p.tag ? p.tag : p.branch, p.commit);
	answer(app, r, w, &p);
	return 0;
}
