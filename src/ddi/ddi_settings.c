/*
 * The ddi.* settings, read once at start (ddi.fcgi's init, nestboxctl's
 * device and rollout commands, the admin pages): the only place in the
 * DDI domain that reads app->conf.  A bad value stops the program at
 * start with the key named, never a request.
 */
#include "ddi.h"

#include <stdio.h>
#include <string.h>

/* hawkBit's sleep format, HH:MM:SS (minutes and seconds below 60) */
static int sleep_ok(const char *t)
{
	int i;

	for (i = 0; i < 8; i++)
		if (i % 3 == 2 ? t[i] != ':' : (t[i] < '0' || t[i] > '9'))
			return 0;
	return t[8] == '\0' && t[3] < '6' && t[6] < '6';
}

int ddi_tenants_parse(const char *list, struct ddi_settings *s, struct nb_err *e)
{
	const char *p = list;

	s->ntenants = 0;
	while (*p) {
		size_t l = strcspn(p, ",");
		if (l == 0 || l > DDI_FEED_MAX)
			return nb_fail(e, NB_INVALID, "ddi.tenants: each tenant is 1 to %d bytes",
				       DDI_FEED_MAX);
		if (s->ntenants == DDI_TENANTS_MAX)
			return nb_fail(e, NB_INVALID, "ddi.tenants: at most %d tenants",
				       DDI_TENANTS_MAX);
		memcpy(s->tenant[s->ntenants], p, l);
		s->tenant[s->ntenants++][l] = '\0';
		p += l;
		if (*p == ',' && !*++p)
			return nb_fail(e, NB_INVALID, "ddi.tenants: each tenant is 1 to %d bytes",
				       DDI_FEED_MAX);
	}
	return 0;
}

int ddi_settings_read(const struct app *app, struct ddi_settings *s, struct nb_err *e)
{
	const char *mode = conf_str(app->conf, "ddi.auth_mode");
	const char *poll = conf_str(app->conf, "ddi.poll_time");

	memset(s, 0, sizeof(*s));
	if (strcmp(mode, "setup") && strcmp(mode, "lax") && strcmp(mode, "strict"))
		return nb_fail(e, NB_INVALID, "ddi.auth_mode must be setup, lax or strict, not '%s'",
			       mode);
	snprintf(s->auth_mode, sizeof(s->auth_mode), "%s", mode);
	if (!sleep_ok(poll))
		return nb_fail(e, NB_INVALID, "ddi.poll_time must be HH:MM:SS, not '%s'", poll);
	snprintf(s->poll_time, sizeof(s->poll_time), "%s", poll);
	if (ddi_tenants_parse(conf_str(app->conf, "ddi.tenants"), s, e) < 0)
		return -1;
	s->gateway_token = conf_str(app->conf, "ddi.gateway_token");
	s->confirm = conf_bool(app->conf, "ddi.confirmation_required");
	s->max_running = (long)conf_int(app->conf, "ddi.max_concurrent_updates");
	s->self.max = conf_int(app->conf, "ddi.self_register_max");
	s->self.per_hour = conf_int(app->conf, "ddi.self_register_per_hour");
	s->rollout_min_results = conf_int(app->conf, "ddi.rollout_min_results");
	s->rollout_max_failures = (int)conf_int(app->conf, "ddi.rollout_max_failures");
	s->rollout_max_failure_rate = (int)conf_int(app->conf, "ddi.rollout_max_failure_rate");
	return 0;
}

int ddi_tenant_served(const struct ddi_settings *s, const char *t)
{
	int i;

	for (i = 0; i < s->ntenants; i++)
		if (!strcmp(s->tenant[i], t))
			return 1;
	return 0;
}

void ddi_sw_settings_read(const struct app *app, struct ddi_sw_settings *s)
{
	s->max_image = (unsigned long long)conf_int(app->conf, "ddi.max_image");
	s->fetch_timeout = (long)conf_int(app->conf, "ddi.fetch_timeout");
	snprintf(s->rauc_sep, sizeof(s->rauc_sep), "%s",
		 conf_str(app->conf, "ddi.rauc_revision_separator"));
}
