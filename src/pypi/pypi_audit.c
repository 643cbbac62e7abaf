/*
 * The Python index's changes over HTTP (devpi's API, twine's upload) in
 * the operators' audit feed, beside those of nestboxctl pypi and the
 * admin pages, with the devpi user who made them as the actor.
 */
#include "pypi.h"
#include "pypi_ops.h"
#include "../core/audit.h"

#include <stdarg.h>
#include <stdio.h>

void pypi_audit(struct app *app, const char *user, const char *action,
		const char *target_fmt, ...)
{
	char target[AUDIT_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, target_fmt);
	vsnprintf(target, sizeof(target), target_fmt, ap);
	va_end(ap);
	/* a failed write is reported on stderr and does not undo the change */
	audit_write(app->db, user ? user : ":ANONYMOUS:", "api", action, NULL, "%s",
			  target);
}
