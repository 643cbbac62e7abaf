/*
 * nestbox-mkbox-watch - keeps the static tree the front end answers mkbox
 * update checks and /list from (src/mkbox/mkbox_static.c) current with
 * the image directory (src/mkbox/mkbox_watch.c).  A plain process, not
 * FastCGI, started by the front end as a piped logger that is never
 * written to (lighttpd: accesslog.filename = "|exec …" in a condition no
 * request meets; Apache: CustomLog "||…" env=…), so that it starts and
 * stops with the front end: the end of its stdin pipe ends it.  It exits
 * at SIGTERM/SIGINT too, removing its tree; killed otherwise, its tree
 * becomes unreachable by itself (the link goes through /proc/<pid>), and
 * every request goes to the programs until it runs again.
 *
 * Usage: nestbox-mkbox-watch [CONFIG]   (CONFIG: as $NESTBOX_CONFIG)
 */
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/core.h"
#include "../lib/stop.h"
#include "../mkbox/mkbox.h"

/*
 * Apache runs piped loggers as root: the tree must be the programs' user's
 * (the owner of the state directory), and the front end's workers, which
 * run as that user, must be able to follow /proc/<our pid>/fd, which a
 * process that changed its user refuses unless it says it is dumpable.
 */
static int be_state_owner(const char *var_dir)
{
	struct stat st;

	if (geteuid() != 0 || stat(var_dir, &st) < 0 || st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0)
		return -1;
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct mkbox_settings ms;
	struct app app;
	struct nb_err e;
	volatile sig_atomic_t *stopping;
	int rc;

	struct conf *conf = NULL;
	struct app_settings s;

	if (argc > 1)
		setenv("NESTBOX_CONFIG", argv[1], 1);
	stopping = stop_on_term();
	/* the state directory's owner first: the store is opened as that user */
	if (conf_load(core_spec.keys, &conf, &e) < 0) {
		fprintf(stderr, "nestbox[mkbox-watch]: %s\n", e.msg);
		return 1;
	}
	app_settings_read(conf, &s);
	rc = be_state_owner(s.var_dir);
	conf_free(conf);
	if (rc < 0) {
		fprintf(stderr, "nestbox[mkbox-watch]: cannot become the owner of %s\n", s.var_dir);
		return 1;
	}
	if (app_open(&app, "mkbox-watch", &core_spec, &e) < 0) {
		fprintf(stderr, "nestbox[mkbox-watch]: %s\n", e.msg);
		return 1;
	}
	mkbox_settings_read(&app, &ms);
	rc = mkbox_watch_run(&app, ms.image_path, stopping, &e);
	if (rc < 0)
		fprintf(stderr, "nestbox[mkbox-watch]: %s\n", e.msg);
	app_close(&app);
	return rc < 0 ? 1 : 0;
}
