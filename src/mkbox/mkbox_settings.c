/* The mkbox settings (struct mkbox_settings, mkbox.h): the one place
 * list.fcgi, update.fcgi and nestboxctl's image commands read mkbox.*
 * keys, at start; and the two programs' per-process set-up. */
#include "mkbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mkbox_settings_read(const struct app *app, struct mkbox_settings *s)
{
	const char *p = conf_str(app->conf, "mkbox.image_path");

	/* empty means inside server.var_dir */
	if (*p)
		snprintf(s->image_path, sizeof(s->image_path), "%s", p);
	else if ((size_t)snprintf(s->image_path, sizeof(s->image_path), "%s/images",
				  app->set.var_dir) >= sizeof(s->image_path))
		s->image_path[0] = '\0';	/* cannot happen: var_dir is shorter */
	s->xsendfile = app->set.xsendfile;
	s->zstd_level = (int)conf_int(app->conf, "mkbox.zstd_level");
	s->zstd_threads = (int)conf_int(app->conf, "mkbox.zstd_threads");
}

int mkbox_init(struct app *app, struct nb_err *e)
{
	struct mkbox *m = calloc(1, sizeof(*m));

	if (!m)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	mkbox_settings_read(app, &m->set);
	app->domain = m;
	return 0;
}

void mkbox_fini(struct app *app)
{
	struct mkbox *m = app->domain;

	if (m)
		mkbox_listcache_free(m->list);
	free(app->domain);
	app->domain = NULL;
}
