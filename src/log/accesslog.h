/*
 * accesslog.h - the request log read from the front end's access log.
 *
 * The front end (lighttpd's mod_accesslog, Apache's CustomLog) writes one
 * line per request, static files and its own errors included, to a pipe
 * into nestbox-accesslog, which batches the rows into the store
 * (reqlog.h).  The FastCGI programs write no request-log rows: what only a
 * program knows travels in a response header the front end logs.
 *
 * The line, fields separated by one space (etc/nestbox-lighttpd.conf and
 * apache-example.conf hold the two formats that write it):
 *
 *   "<ms>" "<program>" "<route>" "<method> <uri> <protocol>" <status> <bytes> <us> "<remote>" "<user agent>" "<user>"
 *
 *   ms          end of the request, milliseconds since the epoch (%{msec}t)
 *   program     the request header X-Nestbox-Program, which the front end
 *               sets per URL space (a client's own value is replaced): so a
 *               program that dies in a request is still named; "static"
 *               for files it sends itself; "-" when nothing owns the URL
 *               (its own 404s), stored as ACCESSLOG_NO_PROGRAM
 *   route       the response header X-Nestbox-Route that app.c adds to
 *               every answer: "<program> <route label>", followed by " hot"
 *               for a ROUTE_HOT route; its program replaces the one above
 *               (a miss the front end rewrote to a program is that
 *               program's); "-" for answers the front end made itself
 *               (static files, a dead program's 500: route "-")
 *   request     the request line (%r); method and uri are kept
 *   status      the status sent; bytes the body bytes ("-" is 0); us the
 *               duration in microseconds (lighttpd's and Apache's %D)
 *   remote      the client address; user agent its User-Agent ("-": none)
 *   user        the response header X-Nestbox-User: the operator signed in
 *               (admin.fcgi sets it); "-" or "" for none.  Optional: a
 *               line of a front end configured before it ends after the
 *               user agent
 *
 * A quoted field escapes '"', '\' and control bytes as \" \\ \n \r \t \b
 * \v or \xHH (both front ends' escaping).  Over-long values are cut to the
 * entry's field sizes, never refused; a line that does not have this shape
 * is refused with a reason, and the logger goes on with the next line.
 */
#ifndef NB_ACCESSLOG_H
#define NB_ACCESSLOG_H

#include <signal.h>
#include <stddef.h>

#include "../lib/db.h"
#include "reqlog.h"

#define ACCESSLOG_LINE_MAX 16384	/* longer lines are refused whole */
#define ACCESSLOG_NO_PROGRAM "front"	/* the program of a "-" program field */

/*
 * Parses one line (without its newline; len bytes, NULs refused) into e.
 * hot is set to 1 for a hot route's row (the caller decides norow).
 * Returns 0, or -1 with err NB_INVALID naming the field ("bad status
 * field", "line too long").
 */
int accesslog_parse(const char *line, size_t len, struct reqlog_entry *e, int *hot,
		    struct nb_err *err);

/*
 * Reads access-log lines from fd until EOF, adding each to log; rows are
 * written to db when due (also while no line comes: log->flush_ms bounds
 * how late a row is) and at the end.  A hot route's success gets metrics
 * but no row unless hot_rows.  Once *stop is set (SIGTERM, SIGINT), fd
 * is still read to EOF, the front end's exit, and the pump returns then;
 * a writer that never closes is given up on after 10 s without a byte or
 * 60 s after the stop (accesslog_pump.c says why).  Refused lines are
 * reported on stderr and skipped, and so is a flush that fails on the
 * way (its rows wait for the next).  Returns the number of refused lines,
 * or -1 with e: NB_UNAVAILABLE when the last flush failed (its rows are
 * lost: "request log not written (<n> rows): ...") or reading fd failed
 * (after writing what was read), NB_INTERNAL out of memory or threads.
 */
long accesslog_pump(int fd, struct reqlog *log, struct db *db, int hot_rows,
		    volatile sig_atomic_t *stop, struct nb_err *e);

#endif
