/*
 * utf8.h - checking that outside bytes are well-formed UTF-8 text.
 *
 * Device feedback, names and identifiers are stored and shown as text;
 * bytes that are not UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF) are refused at the edge instead of stored.
 */
#ifndef NB_UTF8_H
#define NB_UTF8_H

#include <stddef.h>

/* 1 when s[0..n) is well-formed UTF-8 without NUL bytes, else 0. */
int utf8_valid(const char *s, size_t n);

#endif
