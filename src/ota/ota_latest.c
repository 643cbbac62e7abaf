/*
 * releases/latest, the stable channel's check, through ota.fcgi's
 * per-process caches (struct ota in ota.h).  Each check still reads the
 * repository and the board's own row (the inventory, the rollout rule);
 * the newest release and its rollout come from the cache while the store's
 * data version is the one they were read at, and the release object is
 * rendered to JSON once per release and base URL (published releases never
 * change).  Profiled before: four statements, a cJSON tree, its printing
 * and a SHA-1 per check.
 */
#include "ota_http.h"
#include "../lib/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The newest release and rollout of repo: from the cache when the data
 * version (refreshed by this request's reads) has not moved since. */
static int latest(struct app *app, struct ota *o, long long repo_id, struct ota_release *rel,
		  struct ota_rollout *ro, int *has_ro, struct nb_err *e)
{
	unsigned v0 = db_data_version(app->db), v1;
	struct ota_latest_entry *c;
	int i;

	for (i = 0; i < OTA_CACHE; i++) {
		c = &o->latest[i];
		if (c->used && c->repo_id == repo_id && c->version == v0) {
			*rel = c->rel, *ro = c->ro, *has_ro = c->has_ro;
			return 0;
		}
	}
	if (ota_latest_read(app, repo_id, rel, ro, has_ro, e) < 0)
		return -1;
	/* kept only when nothing changed between the two reads and since v0 */
	if ((v1 = db_data_version(app->db)) != v0)
		return 0;
	c = &o->latest[o->latest_next];
	o->latest_next = (o->latest_next + 1) % OTA_CACHE;
	c->used = 1, c->version = v1, c->repo_id = repo_id;
	c->rel = *rel, c->ro = *ro, c->has_ro = *has_ro;
	return 0;
}

/* The cached JSON of rel for base, rendered and kept when missing. */
static const struct ota_body_entry *body(struct app *app, struct http_req *r, struct ota *o,
					 const struct ota_repo *repo, const struct ota_release *rel)
{
	const char *base = http_base_url(r, app->set.base_url);
	struct ota_body_entry *b;
	char hex[HASH_HEX_MAX], *s;
	cJSON *j;
	int i;

	for (i = 0; i < OTA_CACHE; i++) {
		b = &o->body[i];
		if (b->body && b->rel_id == rel->id && !strcmp(b->base, base))
			return b;
	}
	j = ota_release_json(app, r, repo, rel);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s)
		return NULL;
	b = &o->body[o->body_next];
	o->body_next = (o->body_next + 1) % OTA_CACHE;
	free(b->base);
	free(b->body);
	b->base = strdup(base);
	b->body = s;
	b->len = strlen(s);
	b->rel_id = rel->id;
	hash_hex(HASH_SHA1, s, b->len, hex);
	snprintf(b->etag, sizeof(b->etag), "\"%s\"", hex);
	if (!b->base) {
		free(b->body);
		b->body = NULL;
		return NULL;
	}
	return b;
}

int ota_latest_answer(struct app *app, struct http_req *r, struct http_resp *w,
		      const struct ota_repo *repo, const struct ota_who *who, struct nb_err *e)
{
	struct ota *o = app->domain;
	const struct ota_body_entry *b;
	struct ota_release rel;
	struct ota_rollout ro;
	int has_ro;

	if (latest(app, o, repo->id, &rel, &ro, &has_ro, e) < 0 ||
	    ota_rollout_pick(app, repo, who, has_ro ? &ro : NULL, &rel, e) < 0)
		return -1;
	if (!(b = body(app, r, o, repo, &rel)))
		return nb_fail(e, NB_INTERNAL, "out of memory");
	ota_answer_text(r, w, b->body, b->len, b->etag);
	return 0;
}
