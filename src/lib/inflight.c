/* Crash accounting: see inflight.h. */
#include "inflight.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define INFLIGHT_MAGIC 0x6e62696eu	/* "nbin" */

struct inflight_rec {
	unsigned magic;
	volatile int busy;
	char program[32];
	struct reqlog_entry e;
};

static void dir_of(char *out, size_t n, const char *var_dir)
{
	snprintf(out, n, "%s/inflight", var_dir);
}

int inflight_open(struct inflight *f, const char *var_dir, const char *program)
{
	char dir[4096];
	int fd;
	void *p;

	f->rec = NULL;
	dir_of(dir, sizeof(dir), var_dir);
	if (fs_mkdirs(dir, 0755) < 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s.%ld", dir, program, (long)getpid());
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, sizeof(struct inflight_rec)) < 0) {
		close(fd);
		unlink(f->path);
		return -1;
	}
	p = mmap(NULL, sizeof(struct inflight_rec), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		unlink(f->path);
		return -1;
	}
	f->rec = p;
	f->rec->magic = INFLIGHT_MAGIC;
	snprintf(f->rec->program, sizeof(f->rec->program), "%s", program);
	return 0;
}

void inflight_begin(struct inflight *f, const struct reqlog_entry *e)
{
	if (!f->rec)
		return;
	f->rec->e = *e;
	__atomic_store_n(&f->rec->busy, 1, __ATOMIC_RELEASE);
}

void inflight_end(struct inflight *f)
{
	if (f->rec)
		__atomic_store_n(&f->rec->busy, 0, __ATOMIC_RELEASE);
}

void inflight_close(struct inflight *f)
{
	if (!f->rec)
		return;
	munmap(f->rec, sizeof(struct inflight_rec));
	f->rec = NULL;
	unlink(f->path);
}

/* The pid a record's name ends in ("<program>.<pid>"), or 0. */
static long rec_pid(const char *name)
{
	const char *dot = strrchr(name, '.');
	char *end;
	long pid;

	/* "<program>.<pid>.claimed.<reaper>" names its reaper: a reaper that
	 * died half-way leaves it to the next one */
	if (!dot || !dot[1])
		return 0;
	pid = strtol(dot + 1, &end, 10);
	return *end || pid <= 0 ? 0 : pid;
}

/* Counts one claimed record; 1 when it was busy. */
static int reap_one(const char *path, struct reqlog *log, struct db *db)
{
	struct inflight_rec rec;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), busy = 0;

	if (fd >= 0) {
		if (read(fd, &rec, sizeof(rec)) == (ssize_t)sizeof(rec) &&
		    rec.magic == INFLIGHT_MAGIC && rec.busy) {
			struct reqlog_entry e = rec.e;
			/* counted under the dead program's name, in a log of its own
			 * so a failed write cannot leave it under the reaper's */
			struct reqlog *dead = malloc(sizeof(*dead));

			e.route[sizeof(e.route) - 1] = e.path[sizeof(e.path) - 1] = '\0';
			e.method[sizeof(e.method) - 1] = e.remote[sizeof(e.remote) - 1] = '\0';
			e.ua[sizeof(e.ua) - 1] = rec.program[sizeof(rec.program) - 1] = '\0';
			e.status = 500;
			e.bytes = 0;
			e.norow = 0;
			if (dead) {
				reqlog_init(dead, rec.program, 1, 0, log->max_rows, log->to_stderr);
				reqlog_add(dead, db, &e);
				if (dead->n)
					reqlog_flush(dead, db);
				free(dead);
				busy = 1;
			}
		}
		close(fd);
	}
	unlink(path);
	return busy;
}

int inflight_reap(const char *var_dir, struct reqlog *log, struct db *db)
{
	char dir[4096], from[4400], to[4500];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	dir_of(dir, sizeof(dir), var_dir);
	if (!(dp = opendir(dir)))
		return errno == ENOENT ? 0 : -1;
	while ((d = readdir(dp))) {
		long pid = rec_pid(d->d_name);
		if (!pid || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(from, sizeof(from), "%s/%s", dir, d->d_name);
		snprintf(to, sizeof(to), "%s/%s.claimed.%ld", dir, d->d_name, (long)getpid());
		if (rename(from, to) == 0)	/* only one reaper wins */
			n += reap_one(to, log, db);
	}
	closedir(dp);
	return n;
}
