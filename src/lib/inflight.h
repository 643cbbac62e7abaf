/*
 * inflight.h - the request a process is serving, kept where it outlives
 * the process, so a crash is counted.
 *
 * When a program dies in a request (a crash, an OOM kill), the front end
 * answers the client 500 or 502 itself and the program's own request log
 * never hears of it.  Each FastCGI process keeps one small record in a
 * shared file mapping, <var_dir>/inflight/<program>.<pid>: the request it
 * is in (method, route, path, remote, user agent, start time) and a busy
 * flag, written with plain memory stores (no system call per request).
 * A process that finds the record of a dead process (inflight_reap: every
 * program at start, /metrics before it renders) counts a busy one as a
 * 500 of that program and route in the request log and the metrics, once:
 * the record is claimed by an atomic rename before it is read.
 */
#ifndef NB_INFLIGHT_H
#define NB_INFLIGHT_H

#include "db.h"
#include "reqlog.h"

struct inflight_rec;

struct inflight {
	struct inflight_rec *rec;	/* NULL: not kept (plain CGI, no var/) */
	char path[4200];
};

/* Creates this process's record; 0, or -1 (then nothing is kept). */
int inflight_open(struct inflight *f, const char *var_dir, const char *program);
/* The request now being served (fields as in struct reqlog_entry). */
void inflight_begin(struct inflight *f, const struct reqlog_entry *e);
/* The request was answered. */
void inflight_end(struct inflight *f);
/* Removes this process's record (a clean exit). */
void inflight_close(struct inflight *f);
/*
 * Claims the records of dead processes under var_dir: each one that was
 * busy becomes a status-500 request of its program in log (written to db
 * at once).  Returns how many were counted, or -1 when the directory
 * cannot be read.
 */
int inflight_reap(const char *var_dir, struct reqlog *log, struct db *db);

#endif
