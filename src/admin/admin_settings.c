/*
 * The admin's settings: read once at start (admin_settings_read, the one
 * place the admin calls conf_*), and the settings page, GET
 * /admin/settings, which shows the configuration as it was read.
 */
#include "admin.h"

#include <stdio.h>
#include <string.h>

/* Every entry of the configuration as the page shows it: secrets masked. */
static cJSON *config_rows(const struct conf *c)
{
	cJSON *arr = cJSON_CreateArray();
	const char *name, *value;
	int i, secret;

	for (i = 0; conf_entry(c, i, &name, &value, &secret); i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "value", secret && *value ? "********" : value);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* s->device_overdue: admin.device_overdue, or three poll intervals. */
static void health_settings_read(const struct app *app, struct admin_settings *s)
{
	int h = 0, m = 5, sec = 0;

	s->device_overdue = (long)conf_int(app->conf, "admin.device_overdue");
	if (s->device_overdue > 0)
		return;
	/* ddi_settings_read refuses a poll time that is not HH:MM:SS at start */
	sscanf(conf_str(app->conf, "ddi.poll_time"), "%d:%d:%d", &h, &m, &sec);
	s->device_overdue = 3L * (h * 3600L + m * 60L + sec);
	if (s->device_overdue < 60)
		s->device_overdue = 60;
}

void admin_settings_read(const struct app *app, struct admin_settings *s)
{
	const struct conf *c = app->conf;
	long per = (long)conf_int(c, "admin.page_size");

	memset(s, 0, sizeof(*s));
	snprintf(s->templates, sizeof(s->templates), "%s", conf_str(c, "admin.templates"));
	s->session_ttl = (long)conf_int(c, "admin.session_ttl");
	s->login_max_failures = (int)conf_int(c, "admin.login_max_failures");
	s->login_window = (long)conf_int(c, "admin.login_window");
	s->login_address_failures = (long)conf_int(c, "admin.login_address_failures");
	s->max_upload = conf_int(c, "admin.max_upload");
	s->page_size = per < 1 ? 1 : per > 1000 ? 1000 : per;
	s->zstd_level = (int)conf_int(c, "mkbox.zstd_level");
	s->https = strncmp(app->set.base_url, "https:", 6) == 0;
	s->max_running = (long)conf_int(c, "ddi.max_concurrent_updates");
	s->rollout_max_failures = (int)conf_int(c, "ddi.rollout_max_failures");
	s->rollout_max_failure_rate = (int)conf_int(c, "ddi.rollout_max_failure_rate");
	health_settings_read(app, s);
	ddi_sw_settings_read(app, &s->software);
	s->config_file = conf_file(c);
	s->config = config_rows(c);
}

void admin_settings_free(struct admin_settings *s)
{
	cJSON_Delete(s->config);
	s->config = NULL;
}

int admin_settings_page_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	struct admin *ad = app->domain;
	cJSON *d = cJSON_CreateObject();

	(void)e;
	cJSON_AddStringToObject(d, "config_file", *ad->set.config_file ? ad->set.config_file
				: "(none: defaults and environment)");
	cJSON_AddItemToObject(d, "settings", cJSON_Duplicate(ad->set.config, 1));
	admin_page(app, r, w, 200, "settings", "Settings", d);
	return 0;
}
