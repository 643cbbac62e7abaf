/*
 * ota_store.h - what the two SQL files of the ota domain (ota_store.c,
 * ota_board_store.c) share: reading a list, a count and a one-row lookup
 * with the domain's errors (NB_NOT_FOUND, NB_UNAVAILABLE; err.h).  Not for
 * use outside those two files: everything else goes through ota.h.
 */
#ifndef NB_OTA_STORE_H
#define NB_OTA_STORE_H

#include "../lib/db.h"
#include "../lib/err.h"

/* The store could not answer (busy, I/O): NB_UNAVAILABLE, the caller may
 * retry.  Returns -1. */
int ota_store_unavailable(struct nb_err *e);
/* The result of a one-row lookup stepped to rc: 0 for a row, else -1 with
 * NB_NOT_FOUND ("<what> not found") or NB_UNAVAILABLE. */
int ota_store_one(int rc, const char *what, struct nb_err *e);
/*
 * Every row of st (prepared and bound, or NULL when it did not prepare),
 * read by fn into an array of size-byte elements in a (db_rows): *v (NULL
 * when none) and their number in *n; 0, or -1 with NB_UNAVAILABLE (*n 0).
 */
int ota_store_rows(struct db_stmt *st, struct arena *a, size_t size, db_row_fn *fn, void **v,
		   int *n, struct nb_err *e);
/* The integer of st's one row (a count; st bound, or NULL when it did not
 * prepare) into *n: 0, or -1 with NB_UNAVAILABLE (*n 0).  Resets st. */
int ota_store_count(struct db_stmt *st, long long *n, struct nb_err *e);

#endif
