/* GET /healthz: 200 when the store answers and the directories are usable. */
#include "log.h"
#include "../mip/mip.h"
#include "../mkbox/mkbox.h"

#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

static int check(cJSON *o, const char *name, int ok, const char *why)
{
	cJSON_AddStringToObject(o, name, ok ? "ok" : why);
	return ok;
}

void log_healthz(struct app *app, struct http_req *r, struct http_resp *w)
{
	cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
	char images[PATH_MAX];
	int ok = 1;
	char *s;

	ok &= check(c, "database", db_version(app->db) >= 1, "unreadable");
	ok &= check(c, "blobs", access(app->blobs.dir, W_OK) == 0, "not writable");
	mkbox_image_path(app, images, sizeof(images));
	ok &= check(c, "mkbox_images", access(images, R_OK | X_OK) == 0, "missing or unreadable");
	{
		/* informational: without mpy-cross the index still works, with sources */
		struct mip_compiler cc;
		if (mip_compiler_probe(&cc, conf_str(app->conf, "mip.mpy_cross"),
				       (int)conf_int(app->conf, "mip.opt")) == 0)
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
}
