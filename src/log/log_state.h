/*
 * log_state.h - log.fcgi's per-process state (log_state.c): what
 * log_init hangs on app->domain and log_fini frees.  Its first member is
 * the settings, which is what the handlers other than /healthz read
 * (log.h); /healthz (log_health.c) also keeps its mpy-cross probe here.
 * Private to src/log.
 */
#ifndef NB_LOG_STATE_H
#define NB_LOG_STATE_H

#include <limits.h>
#include <sys/stat.h>

#include "log.h"
#include "../mip/mip.h"

/* The last mpy-cross probe of this process, and the file it ran: running
 * the compiler (a process spawn and a scratch file) per request made
 * /healthz the costliest route, so it is run again only when the file
 * that PATH resolves to is another one or has changed. */
struct health_probe {
	int done, rc;
	char path[PATH_MAX];		/* the file that ran */
	struct stat st;			/* its identity then */
	struct mip_compiler cc;
};

/* log.fcgi's per-process state: app->domain points at it, and at set, its
 * first member, which is what the other log handlers read (log.h). */
struct log_domain {
	struct log_settings set;
	struct health_probe mpy;
};

#endif
