/* The audit feed's rows (audit.h): the only SQL on admin_audit. */
#include "audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char sql_add[] =
	"INSERT INTO admin_audit(ts, \"user\", via, action, target) VALUES(?, ?, ?, ?, ?)";

int audit_write(struct db *db, const char *user, const char *via, const char *action,
		      struct nb_err *e, const char *target_fmt, ...)
{
	char target[AUDIT_TEXT_MAX + 1];
	struct db_stmt *st = db_stmt(db, sql_add);
	va_list ap;
	int rc;

	va_start(ap, target_fmt);
	vsnprintf(target, sizeof(target), target_fmt, ap);
	va_end(ap);
	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the audit feed is not writable");
	db_bind_int64(st, 1, (int64_t)time(NULL));
	db_bind_text(st, 2, user && *user ? user : "?", -1, DB_STATIC);
	db_bind_text(st, 3, via, -1, DB_STATIC);
	db_bind_text(st, 4, action, (int)strnlen(action, AUDIT_TEXT_MAX),
			  DB_STATIC);
	db_bind_text(st, 5, target, -1, DB_STATIC);
	rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE) {
		/* the change stands; the front end's error log keeps what was lost */
		fprintf(stderr, "nestbox: audit not written: %s %s %s %s\n", user, via, action,
			target);
		return nb_fail(e, NB_UNAVAILABLE, "the audit feed is not writable");
	}
	return 0;
}

static const char sql_list[] =
	"SELECT id, ts, \"user\", via, action, target FROM admin_audit"
	" WHERE (?1 IS NULL OR \"user\" = ?1) AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3";

int audit_list(struct db *db, const char *user, long long before,
		     struct audit_row *out, int max, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(db, sql_list);
	int n = 0, rc = DB_DONE;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	if (user)
		db_bind_text(st, 1, user, -1, DB_STATIC);
	db_bind_int64(st, 2, before > 0 ? before : 0);
	db_bind_int(st, 3, max);
	while (n < max && (rc = db_step(st)) == DB_ROW) {
		struct audit_row *a = &out[n++];
		a->id = db_column_int64(st, 0);
		a->ts = db_column_int64(st, 1);
		db_column_copy(st, 2, a->user, sizeof(a->user));
		db_column_copy(st, 3, a->via, sizeof(a->via));
		db_column_copy(st, 4, a->action, sizeof(a->action));
		db_column_copy(st, 5, a->target, sizeof(a->target));
	}
	if (n < max && rc != DB_DONE) {
		db_reset(st);
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
	}
	db_reset(st);
	return n;
}
