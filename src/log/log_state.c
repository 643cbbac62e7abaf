/* log.fcgi's per-process state (log_state.h): made at start, once the
 * settings are read, and freed at exit. */
#include "log_state.h"

#include <stdlib.h>

int log_init(struct app *app, struct nb_err *e)
{
	struct log_domain *d = calloc(1, sizeof(*d));

	if (!d)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	log_settings_read(app, &d->set);
	app->domain = d;
	return 0;
}

void log_fini(struct app *app)
{
	free(app->domain);
	app->domain = NULL;
}
