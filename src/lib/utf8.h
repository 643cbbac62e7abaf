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
/*
 * Writes in[0..n) to out[0..outsz) as well-formed UTF-8: each maximal
 * ill-formed part (a stray byte, a sequence cut short, an overlong form,
 * a surrogate; Unicode 15 section 3.9, "U+FFFD Substitution of Maximal
 * Subparts") becomes U+FFFD (EF BF BD), a NUL byte ends the text.  The
 * result is cut at a character boundary to fit and NUL-terminated
 * (outsz >= 1).  Returns its length in bytes.  For text from outside that
 * is shown rather than refused: error messages that quote a name.
 */
size_t utf8_repair(char *out, size_t outsz, const char *in, size_t n);

#endif
