/* The error value: constructors and the two mappings (HTTP, exit status). */
#include "err.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

/*
 * The message as it is kept: well-formed UTF-8, cut to fit.  Messages
 * quote what came from outside (a file name, a field, an upstream's
 * answer) and are written into JSON strings and HTML as they are; a byte
 * that is no UTF-8 becomes U+FFFD here, once, for every writer.
 */
static void set_msg(struct nb_err *e, const char *text)
{
	utf8_repair(e->msg, sizeof(e->msg), text, strlen(text));
}

int nb_vfail(struct nb_err *e, enum nb_errkind kind, const char *fmt, va_list ap)
{
	char text[NB_ERR_MSG_MAX];

	if (!e)
		return -1;
	e->kind = kind > NB_OK && kind < NB_NKINDS ? kind : NB_INTERNAL;
	vsnprintf(text, sizeof(text), fmt, ap);
	set_msg(e, text);
	return -1;
}

int nb_fail(struct nb_err *e, enum nb_errkind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nb_vfail(e, kind, fmt, ap);
	va_end(ap);
	return -1;
}

int nb_err_prefix(struct nb_err *e, const char *fmt, ...)
{
	char head[NB_ERR_MSG_MAX], text[NB_ERR_MSG_MAX];
	va_list ap;

	if (!e || e->kind == NB_OK)
		return -1;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	/* cut, as nb_fail cuts (a character cut in two is repaired) */
	if (snprintf(text, sizeof(text), "%s: %s", head, e->msg) >= (int)sizeof(text))
		text[sizeof(text) - 1] = '\0';
	set_msg(e, text);
	return -1;
}

void nb_err_clear(struct nb_err *e)
{
	e->kind = NB_OK;
	e->msg[0] = '\0';
}

/* One table: kind, HTTP status, exit status, name. */
static const struct {
	int status, exit;
	const char *name;
} kinds[NB_NKINDS] = {
	[NB_OK] = { 200, 0, "ok" },
	[NB_INVALID] = { 400, 1, "invalid" },
	[NB_UNAUTHORIZED] = { 401, 1, "unauthorized" },
	[NB_FORBIDDEN] = { 403, 1, "forbidden" },
	[NB_NOT_FOUND] = { 404, 1, "not found" },
	[NB_CONFLICT] = { 409, 3, "conflict" },
	[NB_TOO_LARGE] = { 413, 1, "too large" },
	[NB_TIMEOUT] = { 408, 1, "timeout" },
	[NB_LENGTH_REQUIRED] = { 411, 1, "length required" },
	[NB_RANGE] = { 416, 1, "range not satisfiable" },
	[NB_TOO_MANY] = { 429, 1, "too many" },
	[NB_UNAVAILABLE] = { 503, 1, "unavailable" },
	[NB_INTERNAL] = { 500, 1, "internal" },
	[NB_BAD_GATEWAY] = { 502, 1, "bad gateway" },
	[NB_METHOD] = { 405, 1, "method not allowed" },
	[NB_NOT_ACCEPTABLE] = { 406, 1, "not acceptable" },
	[NB_GONE] = { 410, 1, "gone" },
	[NB_UNSUPPORTED_TYPE] = { 415, 1, "unsupported media type" },
};

int nb_err_status(enum nb_errkind kind)
{
	return kind >= NB_OK && kind < NB_NKINDS ? kinds[kind].status : 500;
}

int nb_err_exit(enum nb_errkind kind)
{
	return kind >= NB_OK && kind < NB_NKINDS ? kinds[kind].exit : 1;
}

const char *nb_errkind_name(enum nb_errkind kind)
{
	return kind >= NB_OK && kind < NB_NKINDS ? kinds[kind].name : "internal";
}

