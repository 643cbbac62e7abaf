/*
 * upstream_gate.h - the gate every fetch from an upstream host passes, so
 * that an upstream that hangs or fails never takes a program's processes
 * from everyone else.  Nothing here waits:
 *
 *  - a breaker per upstream host (scheme://host:port of the URL): after a
 *    timeout, a transport error or a 5xx (the caller says so when it
 *    leaves), the host is "down" for UPSTREAM_GATE_DOWN_MS and nothing is
 *    fetched from it (the caller answers a cached copy, else 503 with
 *    Retry-After).  Then one request probes it: it marks the host down for
 *    as long as its own fetch may take (fetch_ms), so that the others keep
 *    answering at once meanwhile; a success clears the mark.
 *  - at most `fetches` fetches at once across the processes sharing the
 *    directory, whatever their hosts: a slot is a lock file
 *    (<dir>/fetch-<i>.lock, flock taken without waiting).
 *
 * The state is in files under the directory given, which every process
 * of every program sees: host-<sha256(host), 32 hex digits>.down holds
 * the time (ms since the epoch, decimal) until which the host is down.
 */
#ifndef NB_UPSTREAM_GATE_H
#define NB_UPSTREAM_GATE_H

#include "err.h"

#define UPSTREAM_GATE_DOWN_MS 10000	/* a failed host is left alone this long */

/* The limits of one gate. */
struct upstream_gate_conf {
	const char *dir;		/* the state directory (made 0750 if missing) */
	long fetches;			/* fetches at once; <= 0: 2 */
	long fetch_ms;			/* the longest one fetch may take (ms) */
};

/* One fetch's passage. */
struct upstream_gate {
	int slot;			/* the fetch slot's lock, -1: none held */
	int probing;			/* the first fetch since the host failed */
	char down[4400];		/* the host's breaker file */
};

/* 0: the fetch of url may run (upstream_gate_leave must follow), or -1
 * with e NB_UNAVAILABLE: the host is down, or every slot is taken (or
 * the directory unusable): the caller answers without fetching. */
int upstream_gate_enter(const struct upstream_gate_conf *c, const char *url,
			struct upstream_gate *g, struct nb_err *e);
/* Ends a fetch that upstream_gate_enter let through; failed != 0 (a
 * timeout, a transport error, a 5xx) marks the host down.  Harmless on a
 * gate that was refused. */
void upstream_gate_leave(struct upstream_gate *g, int failed);

#endif
