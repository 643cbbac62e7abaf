/*
 * ddi.h - the hawkBit DDI server's domain: so far the software
 * repository (images ingested into the blob store with the hashes DDI
 * clients check).  The device-facing API comes next.
 * Wire facts: protocols/hawkbit-ddi.md.
 */
#ifndef NB_DDI_H
#define NB_DDI_H

#include "../lib/app.h"
#include "swu.h"

/*
 * Adds an update image to the repository: reads its version and
 * compatibility, stores it (sha1, md5, sha256 and size computed in one
 * pass), and returns its id.  -2 when the same version with overlapping
 * compatibility exists (a 409), -1 with err for a broken image.
 */
long long ddi_software_add(struct app *app, const char *path, const char *name,
			   char *err, size_t errlen);
/* Deletes software; -1 when it does not exist. */
int ddi_software_delete(struct app *app, long long id);

struct ddi_device {
	long long id, assigned, last_seen;
	char tenant[64], cid[128], token_hash[65];
	char hw_model[64], hw_revision[64], sw_version[64], feed[64], mode[16], state[16];
	int force, has_attrs;
};

struct ddi_software {
	long long id, size;
	char name[256], version[64], filename[256], sha1[41], md5[33], sha256[65];
};

struct ddi_action {
	long long id, software_id;
	char status[16];
	int progress;
};

/* -- store (ddi_store.c) -- */
int ddi_device_get(struct app *app, const char *tenant, const char *cid, struct ddi_device *d);
int ddi_device_add(struct app *app, const char *tenant, const char *cid, const char *token_hash,
		   const char *feed, const char *mode, long long assigned);
int ddi_device_set_token(struct app *app, long long id, const char *token_hash);
/* Writes last_seen only when it is older than a minute: polls stay reads. */
void ddi_device_seen(struct app *app, const struct ddi_device *d, const char *addr);
int ddi_device_attributes(struct app *app, const struct ddi_device *d, const char *json,
			  const char *hw_model, const char *hw_revision, const char *sw_version);
int ddi_device_set_version(struct app *app, long long id, const char *version, const char *state);
int ddi_software_get(struct app *app, long long id, struct ddi_software *s);
/* The highest version compatible with a board and revision; -1 when none. */
long long ddi_software_latest(struct app *app, const char *board, const char *revision);
int ddi_software_compatible(struct app *app, long long id, const char *board,
			    const char *revision);
int ddi_action_open(struct app *app, long long device_id, struct ddi_action *a);
int ddi_action_get(struct app *app, long long device_id, long long id, struct ddi_action *a);
long long ddi_action_create(struct app *app, long long device_id, long long software_id);
int ddi_action_update(struct app *app, long long id, const char *status, int progress);
int ddi_action_log(struct app *app, long long id, const char *execution, const char *finished,
		   const char *details);
int ddi_running_count(struct app *app);

/* -- what devices send (ddi_json.c) -- */
struct ddi_fb {
	const char *execution, *finished;
	char *details;		/* the details lines, each ending in \n */
	int progress;		/* percent, -1 when not reported */
};
int ddi_feedback_parse(struct arena *a, const char *body, size_t len, struct ddi_fb *out,
		       const char **err);
/* The device's attributes after a configData body; *merged is malloc'd. */
int ddi_config_merge(const char *body, size_t len, const char *current, char **merged,
		     const char **err);

/* -- the device API (ddi_api.c) -- */
int ddi_init(struct app *app, char *err, size_t errlen);
void ddi_fini(struct app *app);
int ddi_before(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_poll(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_config_data(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_deployment(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_feedback(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_cancel(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_cancel_feedback(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_installed(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_installed_put(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_artifacts(struct app *app, struct http_req *r, struct http_resp *w);
void ddi_artifact(struct app *app, struct http_req *r, struct http_resp *w);

#endif
