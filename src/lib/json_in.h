/*
 * json_in.h - JSON bodies from outside, read with cJSON, checked for
 * what cJSON lets through: a key given twice in one object (cJSON keeps
 * both and its lookups answer the first, so a body could say two things
 * at once: RFC 8259 §4 leaves the meaning to the reader, and nestbox
 * refuses it) and the escape \u0000 (cJSON ends a string there, so
 * "a\u0000.whl" would read as "a").  No domain in it.
 */
#ifndef NB_JSON_IN_H
#define NB_JSON_IN_H

#include <stddef.h>

#include "err.h"

struct cJSON;

/*
 * The body (len bytes, need not end in NUL) as a JSON object, or NULL with
 * e set (NB_INVALID, a message for the client): bytes that are not UTF-8,
 * a \u0000 escape or a \u without four hex digits, text that is no JSON
 * or not an object, anything but
 * blanks after the object ("{...}xyz", "{...}{...}": cJSON alone reads the
 * first value and ignores the rest), a key twice in one object at any depth.  The caller frees the tree (cJSON_Delete).
 */
struct cJSON *json_in_object(const char *body, size_t len, struct nb_err *e);

/* The first key that an object in the tree o (objects and arrays, at any
 * depth) holds twice, or NULL. */
const char *json_in_dup_key(const struct cJSON *o);

/* 1 when the JSON text p (n bytes) escapes a NUL character (\u0000);
 * 2 when a \u is not followed by four hex digits, which cJSON reads as
 * NUL too ("fin\uzz" would be the key "fin"; RFC 8259 §7 has no such
 * escape); else 0. */
int json_in_has_nul(const char *p, size_t n);

#endif
