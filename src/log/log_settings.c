/* The log program's settings (struct log_settings, log.h): the one place
 * it reads configuration keys, at start. */
#include "log.h"
#include "../mkbox/mkbox.h"

#include <stdio.h>

void log_settings_read(const struct app *app, struct log_settings *s)
{
	struct mkbox_settings mk;

	mkbox_settings_read(app, &mk);
	snprintf(s->image_path, sizeof(s->image_path), "%s", mk.image_path);
	snprintf(s->mpy_cross, sizeof(s->mpy_cross), "%s", conf_str(app->conf, "mip.mpy_cross"));
	s->mip_opt = (int)conf_int(app->conf, "mip.opt");
	s->self_register_max = conf_int(app->conf, "ddi.self_register_max");
	s->self_register_per_hour = conf_int(app->conf, "ddi.self_register_per_hour");
}
