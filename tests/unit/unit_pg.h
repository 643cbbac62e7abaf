/*
 * unit_pg.h - a PostgreSQL cluster for the unit tests that run on both
 * stores: initdb into a temporary directory, listening on a unix socket
 * there only; as root it runs as the "postgres" account (initdb refuses
 * root).  Each call of ut_pg_database() gives a fresh, empty database.
 * $NESTBOX_PG_BIN names the server binaries (default Debian 12's).
 */
#ifndef NB_UNIT_PG_H
#define NB_UNIT_PG_H

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit_util.h"

struct ut_pg {
	char *dir;
	char bin[PATH_MAX];
	char as[64];		/* "runuser -u postgres -- " as root, else "" */
	int next;
};

static inline const char *ut_pg_bin(void)
{
	const char *b = getenv("NESTBOX_PG_BIN");

	return b && *b ? b : "/usr/lib/postgresql/15/bin";
}

/* Whether a cluster can be started here (the server binaries exist). */
static inline int ut_pg_available(void)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/initdb", ut_pg_bin());
	return access(p, X_OK) == 0;
}

/* Runs a shell command (printf-style), as the cluster's owner: 0 or -1. */
static inline int ut_pg_sh(const struct ut_pg *pg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int ut_pg_sh(const struct ut_pg *pg, const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	size_t n = (size_t)snprintf(cmd, sizeof(cmd), "%s%s/", pg->as, pg->bin);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

/* Starts the cluster: 0, or -1 after saying why on stderr. */
static inline int ut_pg_start(struct ut_pg *pg)
{
	struct passwd *pw = geteuid() == 0 ? getpwnam("postgres") : NULL;

	memset(pg, 0, sizeof(*pg));
	snprintf(pg->bin, sizeof(pg->bin), "%s", ut_pg_bin());
	pg->dir = ut_mkdtemp();
	chmod(pg->dir, 0755);
	if (pw) {
		if (chown(pg->dir, pw->pw_uid, pw->pw_gid) < 0)
			return -1;
		snprintf(pg->as, sizeof(pg->as), "runuser -u postgres -- ");
	}
	if (ut_pg_sh(pg, "initdb -D %s/data -A trust -U postgres --no-sync -E UTF8"
		     " --locale=C >/dev/null", pg->dir) < 0 ||
	    ut_pg_sh(pg, "pg_ctl -D %s/data -l %s/log -w -o '-k %s -c listen_addresses="
		     " -c fsync=off' start >/dev/null", pg->dir, pg->dir, pg->dir) < 0) {
		fprintf(stderr, "cannot start PostgreSQL in %s\n", pg->dir);
		return -1;
	}
	return 0;
}

/* A new empty database's URL in out. */
static inline int ut_pg_database(struct ut_pg *pg, char *out, size_t n)
{
	char name[32];

	snprintf(name, sizeof(name), "u%d_%d", (int)getpid(), ++pg->next);
	if (ut_pg_sh(pg, "createdb -h %s -U postgres %s", pg->dir, name) < 0)
		return -1;
	snprintf(out, n, "postgresql:///%s?host=%s&user=postgres", name, pg->dir);
	return 0;
}

static inline void ut_pg_stop(struct ut_pg *pg)
{
	if (!pg->dir)
		return;
	ut_pg_sh(pg, "pg_ctl -D %s/data -m immediate -w stop >/dev/null", pg->dir);
	ut_rmtree(pg->dir);
	pg->dir = NULL;
}

#endif
