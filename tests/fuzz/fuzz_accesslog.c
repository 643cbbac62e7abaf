/*
 * fuzz_accesslog - accesslog_parse() on the input as one access-log line
 * (user agents and paths are outside bytes the front end copies in).
 *
 * Invariants (abort() when broken): on success every string field ends
 * within its array, the status is 100..999, bytes and duration are not
 * negative, and why is NULL; a line holding a NUL or longer than
 * ACCESSLOG_LINE_MAX is refused; on failure why names the field.  The
 * same input parses the same way twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/log/accesslog.h"

#define ENDS(f) (memchr((f), '\0', sizeof(f)) != NULL)

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
	} else if (rc != -1 || why.kind != NB_INVALID || !why.msg[0]) {
		abort();
	}
	if (accesslog_parse((const char *)data, size, &again, &hot2, &why2) != rc ||
	    (rc == 0 && (memcmp(&e, &again, sizeof(e)) || hot != hot2)))
		abort();
	return 0;
}
