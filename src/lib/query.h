/*
 * query.h - application/x-www-form-urlencoded parsing (query strings and
 * small form bodies).  Keys and values are percent- and '+'-decoded into
 * the arena; a malformed escape or an embedded NUL rejects the whole
 * string, because a handler must never see half-decoded input.
 */
#ifndef NB_QUERY_H
#define NB_QUERY_H

#include <stddef.h>
#include "arena.h"

struct nb_err;

/* Bounds of one string: enough for the admin's bulk form, whose selection
 * is a full page of device ids (admin.page_size, at most 1000) beside its
 * other fields; a form past them is refused naming the bound (http.c). */
#define QUERY_MAX_PAIRS 1024
#define QUERY_RAW_MAX 65536

struct query_pair {
	const char *key, *val;
};

struct query {
	struct query_pair *v;
	int n;
};

/* Parses raw[0..len) into out (pairs in the arena, in their order; empty
 * pairs as in "a=1&&b=2" skipped).  Returns 0, or -1 with e (may be NULL)
 * set to NB_INVALID and a short reason for the client ("bad escape in
 * query string"). */
int query_parse(struct arena *a, const char *raw, size_t len,
		struct query *out, struct nb_err *e);
/* The first value of key, or NULL. */
const char *query_get(const struct query *q, const char *key);

#endif
