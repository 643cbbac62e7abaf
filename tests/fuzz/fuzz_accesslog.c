/*
 * fuzz_accesslog - accesslog_parse() on the input as one access-log line
 * (user agents and paths are outside bytes the front end copies in).
 *
 * Invariants (abort() when broken): on success every string field ends
 * within its array, the status is 100..999, bytes and duration are not
 * negative, the method is 1..23 bytes of printable ASCII (as sent, cut and
 * with any other byte made '?'; "-" when the line had none), the path is
 * not empty, and why is untouched; a line holding a NUL or longer than
 * ACCESSLOG_LINE_MAX is refused; on failure why names the field.  The
 * same input parses the same way twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/log/accesslog.h"

#define ENDS(f) (memchr((f), '\0', sizeof(f)) != NULL)

/* 1 when s is 1..23 bytes, each in '!'..'~' */
static int printable_method(const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < '!' || (unsigned char)s[i] > '~')
			return 0;
	return n >= 1 && n <= 23;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reqlog_entry e, again;
	struct nb_err why = { NB_OK, "" }, why2;
	int hot, hot2;
	int rc = accesslog_parse((const char *)data, size, &e, &hot, &why);

	if (rc == 0) {
		if (why.kind != NB_OK || !ENDS(e.program) || !ENDS(e.method) || !ENDS(e.route) ||
		    !ENDS(e.path) || !ENDS(e.remote) || !ENDS(e.ua) || e.status < 100 ||
		    e.status > 999 || e.bytes < 0 || e.dur_us < 0 || (hot != 0 && hot != 1))
			abort();
		if (memchr(data, '\0', size) || size > ACCESSLOG_LINE_MAX)
			abort();
		if (!printable_method(e.method) || !e.path[0])
			abort();
	} else if (rc != -1 || why.kind != NB_INVALID || !why.msg[0]) {
		abort();
	}
	if (accesslog_parse((const char *)data, size, &again, &hot2, &why2) != rc ||
	    (rc == 0 && (memcmp(&e, &again, sizeof(e)) || hot != hot2)))
		abort();
	return 0;
}
