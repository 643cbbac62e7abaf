/*
 * nestbox-accesslog - the request log's writer: a plain process (not
 * FastCGI) that the front end starts with its access log piped to stdin
 * (lighttpd: accesslog.filename = "|…/nestbox-accesslog"; Apache:
 * CustomLog "|…/nestbox-accesslog").  Lines become request-log rows and
 * metrics (src/log/accesslog.h), written every log.flush_every rows or
 * log.flush_ms; at EOF a last flush, then exit.  SIGTERM or SIGINT does
 * not end it before EOF: the front end's last lines are still read
 * (bounded: src/log/accesslog.h).
 *
 * Usage: nestbox-accesslog [CONFIG]   (CONFIG: as $NESTBOX_CONFIG, for a
 * front end that passes its loggers no environment of ours)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "../lib/stop.h"
#include "../lib/fs.h"
#include "../log/accesslog.h"

/*
 * lighttpd starts its piped loggers with stderr on /dev/null, so a store
 * error ("request log not written") would be seen by no one: it goes to
 * the front end's own stderr instead, where its error log is when it
 * logs to stderr (the embedded etc/lighttpd.conf).  Apache gives piped
 * loggers its error log already.  Needs "exec" in the pipe command (the
 * front end must be our parent); anything failing leaves stderr as it is.
 */
static void stderr_of_front_end(void)
{
	struct stat st;
	char path[64];
	int fd;

	if (fstat(2, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return;		/* not /dev/null: the front end gave us one */
	snprintf(path, sizeof(path), "/proc/%ld/fd/2", (long)getppid());
	fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY);
	if (fd < 0)
		return;
	dup2(fd, 2);
	if (fd != 2)
		close(fd);
}

/*
 * Apache runs piped loggers as root, the programs as its user: rows
 * written as root would leave the store's -wal and -shm files unwritable
 * for them.  Run as root, we become the owner of the state directory
 * before the store is opened.  Returns 0, or -1 with e.
 */
static int be_state_owner(const char *var_dir, struct nb_err *e)
{
	struct stat st;

	if (geteuid() != 0 || stat(var_dir, &st) < 0 || st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0) {
		return nb_fail(e, NB_UNAVAILABLE, "cannot become the owner of %s", var_dir);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct conf *conf = NULL;
	struct app_settings s;
	struct db *db = NULL;
	struct reqlog *log = malloc(sizeof(*log));
	volatile sig_atomic_t *stopping;
	struct nb_err e;
	long rc;
	int said = 0;

	stderr_of_front_end();
	if (argc > 1)
		setenv("NESTBOX_CONFIG", argv[1], 1);
	nb_fail(&e, NB_INTERNAL, "out of memory");
	if (!log || conf_load(core_spec.keys, &conf, &e) < 0)
		goto fail;
	app_settings_read(conf, &s);
	if (be_state_owner(s.var_dir, &e) < 0)
		goto fail;
	if (fs_mkdirs(s.var_dir, 0755) < 0) {
		nb_fail(&e, NB_UNAVAILABLE, "cannot create %s", s.var_dir);
		goto fail;
	}
	/*
	 * A 1 MiB pipe (the unprivileged maximum by default) instead of 64 KiB:
	 * slack for the moments the reader thread is not scheduled, or the
	 * store is not open yet, since a line lighttpd cannot write at once is
	 * a line lost.  Not a pipe, or refused: the default stays.
	 */
	fcntl(0, F_SETPIPE_SZ, 1 << 20);
	stopping = stop_on_term();
	/* a store held at a first start (another writer migrating it) is
	 * waited for: the front end does not start its logger again */
	while (app_store_open(&s, &core_spec, &db, &e) < 0)
		if (!app_try_again("accesslog", &said, stopping, &e))
			goto fail;
	reqlog_init(log, s.log_flush_every, s.log_flush_ms, s.log_max_rows, s.log_to_stderr);
	/* rows it could not write at the end are lost: said, and exit 1 */
	if ((rc = accesslog_pump(0, log, db, s.log_hot_rows, stopping, &e)) < 0)
		goto fail;
	db_close(db);
	conf_free(conf);
	free(log);
	return 0;
fail:
	fprintf(stderr, "nestbox[accesslog]: %s\n", e.msg);
	db_close(db);
	conf_free(conf);
	free(log);
	return 1;
}
