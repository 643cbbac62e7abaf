/*
 * fuzz_nb_lower - the store's SQL function nb_lower (src/lib/db.c), which
 * decodes the UTF-8 of a device search and of the columns it reads, on
 * fuzzed bytes, through a SQLite store of its own (in memory).
 *
 * Invariants (abort() when broken): a result for any input (never NULL,
 * never an error); at most 3/2 of the input's bytes; ASCII input comes
 * back as its ASCII lowercase; lowering twice changes nothing more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/db.h"

static const char sql[] = "SELECT nb_lower(?)";

/* nb_lower(s[0..n)) into a malloc'd buffer, *len its bytes. */
static char *lower(struct db *db, const char *s, size_t n, size_t *len)
{
	struct db_stmt *st = db_stmt(db, sql);
	char *out;

	if (!st)
		abort();
	db_bind_text(st, 1, n ? s : "", (int)n, DB_TRANSIENT);
	if (db_step(st) != DB_ROW || !db_column_text(st, 0))
		abort();
	*len = (size_t)db_column_bytes(st, 0);
	out = malloc(*len + 1);
	memcpy(out, db_column_text(st, 0), *len);
	db_reset(st);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct db *db;
	struct nb_err e;
	size_t n, n2, i;
	char *once, *twice;
	int ascii = 1;

	if (!db && db_open(":memory:", 1000, NULL, 0, &db, &e) < 0)
		abort();
	if (size > 4096)
		return 0;
	once = lower(db, (const char *)data, size, &n);
	if (n > size * 3 / 2 + 3)
		abort();
	for (i = 0; i < size; i++)
		ascii &= data[i] < 0x80;
	for (i = 0; ascii && i < size; i++)
		if (once[i] != (data[i] >= 'A' && data[i] <= 'Z' ? data[i] + 32 : data[i]))
			abort();
	twice = lower(db, once, n, &n2);
	if (n2 != n || memcmp(once, twice, n))
		abort();
	free(once);
	free(twice);
	return 0;
}
