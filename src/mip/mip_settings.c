/* The mip.* settings, shared by mip-index.fcgi, the admin pages and nestboxctl. */
#include "mip.h"

#include <stdio.h>

void mip_settings(struct app *app, struct mip *m)
{
	/* without a compiler the mpy flavour serves sources: say so, go on */
	if (mip_compiler_probe(&m->cc, conf_str(app->conf, "mip.mpy_cross"),
			       (int)conf_int(app->conf, "mip.opt")) < 0)
		fprintf(stderr, "nestbox[%s]: %s: the mpy flavour serves sources\n",
			app->program, m->cc.why);
	snprintf(m->upstream, sizeof(m->upstream), "%s", conf_str(app->conf, "mip.upstream"));
	snprintf(m->github_raw, sizeof(m->github_raw), "%s", conf_str(app->conf, "mip.github_raw"));
	snprintf(m->gitlab_raw, sizeof(m->gitlab_raw), "%s", conf_str(app->conf, "mip.gitlab_raw"));
	m->offline = conf_bool(app->conf, "mip.offline");
	m->ttl = (long)conf_int(app->conf, "mip.cache_ttl");
	m->timeout = (long)conf_int(app->conf, "mip.fetch_timeout");
	m->cache_max = conf_int(app->conf, "mip.cache_max");
	m->max_file = conf_int(app->conf, "mip.max_file");
}
