/* GET /healthz: 200 when the store answers and the directories are usable. */
#include "log.h"
#include "../mip/mip.h"
#include "../mkbox/mkbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

static int check(cJSON *o, const char *name, int ok, const char *why)
{
	cJSON_AddStringToObject(o, name, ok ? "ok" : why);
	return ok;
}

int log_init(struct app *app, struct nb_err *e)
{
	struct log_settings *s = calloc(1, sizeof(*s));

	if (!s)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	log_settings_read(app, s);
	app->domain = s;
	return 0;
}

void log_fini(struct app *app)
{
	free(app->domain);
	app->domain = NULL;
}

int log_healthz(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const struct log_settings *set = app->domain;
	cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
	int ok = 1;
	char *s;

	(void)e;
	ok &= check(c, "database", db_version(app->db) >= 1, "unreadable");
	ok &= check(c, "blobs", access(app->blobs.dir, W_OK) == 0, "not writable");
	ok &= check(c, "mkbox_images", access(set->image_path, R_OK | X_OK) == 0,
		    "missing or unreadable");
	{
		/* informational: without mpy-cross the index still works, with
		 * sources; probed per request, as a compiler installed later counts */
		struct mip_compiler cc;
		if (mip_compiler_probe(&cc, set->mpy_cross, set->mip_opt) == 0)
			cJSON_AddStringToObject(c, "mip_compiler", cc.version);
		else
			cJSON_AddStringToObject(c, "mip_compiler", arena_printf(r->a,
				"missing (%s): the mpy flavour serves sources", cc.why));
	}
	cJSON_AddStringToObject(o, "status", ok ? "ok" : "degraded");
	cJSON_AddItemToObject(o, "checks", c);
	s = cJSON_PrintUnformatted(o);
	http_bytes(w, ok ? 200 : 503, "application/json", s, strlen(s));
	buf_addc(&w->body, '\n');
	cJSON_free(s);
	cJSON_Delete(o);
	return 0;
}
