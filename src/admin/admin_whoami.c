/* GET /admin/api/whoami: who the API's caller is, and how it authenticated. */
#include "admin.h"

/* {"user": name, "role": "admin"|"readonly", "auth": "token"|"session"} */
int admin_api_whoami_run(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e)
{
	struct admin *ad = app->domain;
	cJSON *o = cJSON_CreateObject();

	(void)r, (void)e;
	cJSON_AddStringToObject(o, "user", ad->user.name);
	cJSON_AddStringToObject(o, "role", ad->user.role);
	cJSON_AddStringToObject(o, "auth", ad->via_token ? "token" : "session");
	admin_json(w, 200, o);
	return 0;
}
