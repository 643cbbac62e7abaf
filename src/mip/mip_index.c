/* GET /mip/index.json: the v2 index of the hosted packages. */
#include "mip.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

/* A package's entry, its version lists ("py" and the mpy major) empty. */
static cJSON *entry(const struct mip *m, const struct mip_hosted_row *h)
{
	cJSON *o = cJSON_CreateObject(), *vs;
	char key[8];

	cJSON_AddStringToObject(o, "name", h->name);
	cJSON_AddStringToObject(o, "version", h->version);
	cJSON_AddStringToObject(o, "description", h->description);
	vs = cJSON_AddObjectToObject(o, "versions");
	cJSON_AddArrayToObject(vs, "py");
	snprintf(key, sizeof(key), "%d", m->cc.ok ? m->cc.major : 6);
	cJSON_AddArrayToObject(vs, key);
	return o;
}

int mip_index(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct mip *m = app->domain;
	struct mip_hosted_row *h;
	int n = mip_hosted_list(app, r->a, MIP_HOSTED_BY_KEY, -1, 0, &h, e);
	cJSON *o, *pk, *cur = NULL, *fl;
	char *s;

	/* an index that could not be read is a 503, never an empty index */
	if (n < 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "v", 2);
	cJSON_AddNumberToObject(o, "updated", (double)time(NULL));
	pk = cJSON_AddArrayToObject(o, "packages");
	for (int i = 0; i < n; i++) {
		if (!i || strcmp(h[i].name, h[i - 1].name))
			cJSON_AddItemToArray(pk, cur = entry(m, &h[i]));
		/* versions listed in order; "version" is the highest */
		if (mip_version_cmp(h[i].version, cJSON_GetObjectItem(cur, "version")->valuestring) > 0)
			cJSON_SetValuestring(cJSON_GetObjectItem(cur, "version"), h[i].version);
		cJSON_ArrayForEach(fl, cJSON_GetObjectItem(cur, "versions"))
			cJSON_AddItemToArray(fl, cJSON_CreateString(h[i].version));
	}
	s = cJSON_PrintUnformatted(o);
	http_bytes(w, 200, "application/json", s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
	return 0;
}
