/*
 * unit_store.h - a fresh store for the unit tests that need one:
 * <dir>/nestbox.db with the core schema applied.
 */
#ifndef NB_UNIT_STORE_H
#define NB_UNIT_STORE_H

#include <limits.h>
#include <stdio.h>

#include "../../src/core/core.h"

/* 0, or -1 after saying why on stderr. */
static inline int ut_store_open(const char *dir, int busy_ms, struct db **out)
{
	char path[PATH_MAX], err[256];

	snprintf(path, sizeof(path), "%s/nestbox.db", dir);
	if (db_open(path, busy_ms, core_schema, core_schema_steps, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "db_open %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

#endif
