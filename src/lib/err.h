/*
 * err.h - the one error value of nestbox.
 *
 * A function that can fail for a reason a person must read takes a
 * `struct nb_err *e` as its last argument and returns 0, or -1 after
 * nb_fail() filled e with a kind and a message.  The kind says what
 * happened (the input was invalid, something was not found, is in
 * conflict, ...); it is mapped to an answer in exactly two places:
 * nb_err_status() for an HTTP status (app_fail() in app.h writes the body
 * in the program's format) and nb_err_exit() for a nestboxctl exit
 * status.  A store or domain function never chooses a status code.
 *
 * The message is for humans: it names the field or the thing, never a
 * server path, and is shown to the client as it is.  It is cut (never
 * overflowed) at NB_ERR_MSG_MAX - 1 bytes.
 *
 * e may be NULL (the caller only wants -1).  A success leaves e alone.
 */
#ifndef NB_ERR_H
#define NB_ERR_H

#include <stdarg.h>

#define NB_ERR_MSG_MAX 512

enum nb_errkind {
	NB_OK = 0,
	NB_INVALID,		/* 400: the input breaks a rule; exit 1 */
	NB_UNAUTHORIZED,	/* 401: no or bad credentials */
	NB_FORBIDDEN,		/* 403: known, but not allowed */
	NB_NOT_FOUND,		/* 404 */
	NB_CONFLICT,		/* 409: exists already, in use; exit 3 */
	NB_TOO_LARGE,		/* 413: a body or file over its limit */
	NB_TIMEOUT,		/* 408: the client sent too slowly */
	NB_LENGTH_REQUIRED,	/* 411: a body without Content-Length */
	NB_RANGE,		/* 416: an unsatisfiable Range */
	NB_TOO_MANY,		/* 429: over a rate limit: retry later (RFC 6585 4) */
	NB_UNAVAILABLE,		/* 503: store busy, disk full: retry */
	NB_INTERNAL,		/* 500: a bug or an impossible state */
	NB_BAD_GATEWAY,		/* 502: an upstream this server relays failed (RFC 9110 15.6.3) */
	NB_METHOD,		/* 405: the resource exists, not this method now (RFC 9110 15.5.6) */
	NB_NOT_ACCEPTABLE,	/* 406: no representation the client accepts (RFC 9110 15.5.7) */
	NB_GONE,		/* 410: existed, closed for good (RFC 9110 15.5.11) */
	NB_UNSUPPORTED_TYPE,	/* 415: a body of a media type the resource does not take
				 * (RFC 9110 15.5.16) */
	NB_NKINDS
};

struct nb_err {
	enum nb_errkind kind;
	char msg[NB_ERR_MSG_MAX];
};

/* Sets e (when not NULL) to kind and the formatted message; returns -1 so
 * that `return nb_fail(e, NB_CONFLICT, "version %s exists", v);` reads
 * as one statement.  kind NB_OK is a programming error: stored as
 * NB_INTERNAL. */
int nb_fail(struct nb_err *e, enum nb_errkind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int nb_vfail(struct nb_err *e, enum nb_errkind kind, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Prefixes the message with "<what>: " (context added by a caller);
 * returns -1.  A NULL or NB_OK e is left alone. */
int nb_err_prefix(struct nb_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Empties e: kind NB_OK, message "". */
void nb_err_clear(struct nb_err *e);

/* The HTTP status of a kind (200 for NB_OK, 500 for an unknown one). */
int nb_err_status(enum nb_errkind kind);
/* nestboxctl's exit status of a kind: 0 for NB_OK, 3 for NB_CONFLICT
 * (README: "refused (409, exit status 3)"), 1 for every other failure.
 * (2 stays the usage error of the command line, not an error kind.) */
int nb_err_exit(enum nb_errkind kind);
/* A short lower-case name ("conflict"), for logs and tests. */
const char *nb_errkind_name(enum nb_errkind kind);

#endif
