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
 * It also starts the keeper of the proxied mip package JSON the front end
 * sends (src/mip/mip_proxy.c): a child process that removes each copy as
 * its row expires (the front end sends a file it finds without looking at
 * its time) and revalidates the rows about to expire, so that devices keep
 * the static path and no device request waits for upstream.  The keeper
 * is here, not in a timer, because the front end runs this process: the
 * copies are swept exactly while a front end can send them, and the
 * removal is due every second, too often for a timer.  A child of its
 * own, so that a slow upstream never holds the image events.
 *
 * Usage: nestbox-mkbox-watch [CONFIG]   (CONFIG: as $NESTBOX_CONFIG)
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/core.h"
#include "../lib/stop.h"
#include "../mip/mip.h"
#include "../mkbox/mkbox.h"

/* seconds: the keeper revalidates every KEEP_EVERY the rows that expire
 * within KEEP_AHEAD (nestboxctl mip refresh --ahead) */
#define KEEP_EVERY 5
#define KEEP_AHEAD 300

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

/* The keeper's loop (see above) until SIGTERM or its parent's end; a
 * store that other hosts share keeps no copies (mip_store_shared): then
 * it has nothing to do. */
static void mip_keep(volatile sig_atomic_t *stopping, pid_t parent)
{
	struct app app;
	struct mip m;
	struct nb_err e;
	time_t next = 0;
	int said = 0;

	/* started once per front end run, as the watcher: a busy store is waited for */
	while (app_open(&app, "mip-keeper", &core_spec, &e) < 0)
		if (!app_try_again("mip-keeper", &said, stopping, &e)) {
			fprintf(stderr, "nestbox[mip-keeper]: %s\n", e.msg);
			return;
		}
	mip_open(&app, &m);
	app.domain = &m;
	while (!*stopping && getppid() == parent && !mip_store_shared(&app)) {
		time_t now = time(NULL);
		mip_proxy_sweep(app.set.var_dir, (long long)now);
		if (now >= next) {
			struct mip_proxy_counts c;
			mip_proxy_refresh(&app, KEEP_AHEAD, &c);
			next = now + KEEP_EVERY;
		}
		sleep(1);
	}
	app.domain = NULL;
	app_close(&app);
}

/* Starts the keeper; a failure costs the proxied copies their speed only
 * when no copy is ever written, so it is said and the watcher goes on. */
static void mip_keeper_start(volatile sig_atomic_t *stopping, int lock)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0) {
		fprintf(stderr, "nestbox[mkbox-watch]: cannot start the mip keeper\n");
		return;
	}
	if (pid > 0)
		return;
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	close(lock);	/* the watcher's lock lasts as long as the watcher */
	if (!freopen("/dev/null", "r", stdin))
		_exit(1);
	mip_keep(stopping, parent);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct mkbox_settings ms;
	struct app app;
	struct nb_err e;
	volatile sig_atomic_t *stopping;
	int rc, lock, said = 0;

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
	/* one watcher at a time; one started beside it (Apache's start-up)
	 * waits, and ends with its pipe before its turn */
	if ((lock = mkbox_watch_lock(s.var_dir, stopping)) == -2)
		return 0;
	if (lock < 0) {
		fprintf(stderr, "nestbox[mkbox-watch]: cannot lock %s/mkbox-static: %s\n", s.var_dir,
			strerror(errno));
		return 1;
	}
	mip_keeper_start(stopping, lock);
	while (app_open(&app, "mkbox-watch", &core_spec, &e) < 0)
		if (!app_try_again("mkbox-watch", &said, stopping, &e)) {
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
