/*
 * The gate every fetch from a mirror's upstream passes (pages and
 * files): src/lib/upstream_gate.h's breaker per host and fetch slots,
 * its state under <var_dir>/pypi-mirror, at most pypi.mirror_fetches
 * fetches at once: the front end gives pypi.fcgi more processes than
 * that, so some are always free for private indexes and cached pages.
 */
#include "pypi.h"

#include <stdio.h>

#include "../lib/http.h"

int pypi_gate_enter(const struct pypi_settings *s, const char *url, struct upstream_gate *g,
		    struct nb_err *e)
{
	char dir[4200];
	struct upstream_gate_conf c = {
		dir, s->mirror_fetches,
		((s->connect_timeout > 0 ? s->connect_timeout : 5) +
		 (s->timeout > 0 ? s->timeout : 20)) * 1000L,
	};

	snprintf(dir, sizeof(dir), "%s/pypi-mirror", s->var_dir);
	return upstream_gate_enter(&c, url, g, e);
}

void pypi_error_write(struct http_resp *w, int status, enum nb_errkind kind, const char *msg)
{
	(void)kind;
	http_json_error(w, status, msg);
	if (status == 503)	/* the store or an upstream: pip waits and asks again */
		http_set_header(w, "Retry-After", PYPI_RETRY_AFTER);
}
