/*
 * stop.h - the stop flag of a long-running helper program (the access-log
 * pump, the image directory's watcher): set by SIGTERM or SIGINT, while
 * SIGHUP (a front end reopening its logs) and SIGPIPE are ignored.
 */
#ifndef NB_STOP_H
#define NB_STOP_H

#include <signal.h>

/*
 * Installs the handlers (without SA_RESTART, so a blocking poll or read
 * returns at once with EINTR) and returns the flag they set: 0 until the
 * first SIGTERM or SIGINT, then 1.  The flag is the process's one
 * signal-set state (a handler can reach nothing else).
 */
volatile sig_atomic_t *stop_on_term(void);

#endif
