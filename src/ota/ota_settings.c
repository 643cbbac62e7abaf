/*
 * ota.fcgi's settings, read once at start-up (and by nestboxctl ota after
 * ctl_open) from the ota.* keys and the library's own (app->set); the one
 * place the ota module reads the configuration.
 */
#include "ota.h"

#include <stdio.h>
#include <stdlib.h>

void ota_settings_read(const struct app *app, struct ota_settings *s)
{
	const char *dir = conf_str(app->conf, "ota.git_dir");

	/* as every path key: empty means inside server.var_dir */
	if (*dir)
		snprintf(s->git_dir, sizeof(s->git_dir), "%s", dir);
	else if ((size_t)snprintf(s->git_dir, sizeof(s->git_dir), "%s/ota/git", app->set.var_dir) >=
		 sizeof(s->git_dir))
		s->git_dir[0] = '\0';	/* cannot happen: var_dir is shorter */
	s->max_files = (int)conf_int(app->conf, "ota.max_files");
	s->max_bytes = (size_t)conf_int(app->conf, "ota.max_bytes");
	s->xsendfile = app->set.xsendfile;
	s->rollout_start = (int)conf_int(app->conf, "ota.rollout_start");
	s->max_boards = conf_int(app->conf, "ota.max_boards");
}

int ota_settings_check(const struct ota_settings *s, struct nb_err *e)
{
	if (s->rollout_start < 0 || s->rollout_start > 100)
		return nb_fail(e, NB_INVALID,
			       "ota.rollout_start: a percent of the boards, 0..100 (not %d)",
			       s->rollout_start);
	if (s->max_boards < 1)
		return nb_fail(e, NB_INVALID, "ota.max_boards: at least 1 (not %lld)",
			       s->max_boards);
	return 0;
}

int ota_init(struct app *app, struct nb_err *e)
{
	struct ota *o = calloc(1, sizeof(*o));

	if (!o)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	ota_settings_read(app, &o->set);
	if (ota_settings_check(&o->set, e) < 0) {
		free(o);
		return -1;
	}
	/* a static answer another host could withdraw must not outlive a move
	 * to a shared store */
	if (ota_static_unshare(app) < 0) {
		free(o);
		return nb_fail(e, NB_INTERNAL, "cannot remove %s/ota-static/ota (static answers are "
			       "not kept on a shared store)", app->set.var_dir);
	}
	app->domain = o;
	app->fail_write = ota_error_write;	/* GitHub's error shape, every error */
	ota_git_global_init();
	return 0;
}

void ota_fini(struct app *app)
{
	struct ota *o = app->domain;
	int i;

	for (i = 0; o && i < OTA_CACHE; i++) {
		free(o->body[i].base);
		free(o->body[i].body);
	}
	free(app->domain);
	app->domain = NULL;
}
