/*
 * json_in.c - a JSON body from outside as a checked cJSON object
 * (json_in.h).  Driven by the fuzz targets of every body it reads
 * (tests/fuzz/fuzz_ddi_feedback.c, fuzz_admin_ddi_json.c, the pypi ones).
 */
#include "json_in.h"
#include "utf8.h"

#include <string.h>

#include <cjson/cJSON.h>

const char *json_in_dup_key(const cJSON *o)
{
	const cJSON *c, *d;
	const char *k;

	if (!cJSON_IsObject(o) && !cJSON_IsArray(o))
		return NULL;
	for (c = o->child; c; c = c->next) {
		if (cJSON_IsObject(o) && c->string)
			for (d = c->next; d; d = d->next)
				if (d->string && !strcmp(c->string, d->string))
					return c->string;
		if ((k = json_in_dup_key(c)))
			return k;
	}
	return NULL;
}

/* 1 when p holds four hex digits (RFC 8259 §7: \u then 4HEXDIG). */
static int hex4(const char *p)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
			return 0;
	return 1;
}

int json_in_has_nul(const char *p, size_t n)
{
	size_t i;

	/* a backslash outside a string is no JSON: the parser refuses it */
	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\\')
			continue;
		/* cJSON reads a \u whose four characters are not all hex digits
		 * as U+0000 too ("fin\uzzzz" would be the key "fin"), where
		 * RFC 8259 has no such escape */
		if (p[i + 1] == 'u' && i + 5 < n && !hex4(p + i + 2))
			return 2;
		if (p[i + 1] == 'u' && i + 5 < n && !memcmp(p + i + 2, "0000", 4))
			return 1;
		i++;		/* the escaped character, "\\\\" included */
	}
	return 0;
}

cJSON *json_in_object(const char *body, size_t len, struct nb_err *e)
{
	cJSON *j;
	const char *dup, *end = NULL;

	if (!utf8_valid(body, len)) {
		nb_fail(e, NB_INVALID, "the body is not UTF-8 text");
		return NULL;
	}
	switch (json_in_has_nul(body, len)) {
	case 1:
		nb_fail(e, NB_INVALID, "strings may not hold NUL (\\u0000)");
		return NULL;
	case 2:
		nb_fail(e, NB_INVALID, "a \\u escape takes four hex digits (RFC 8259)");
		return NULL;
	}
	j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		nb_fail(e, NB_INVALID, "the body must be a JSON object");
		return NULL;
	}
	/* cJSON stops after the first value: what follows must be blanks
	 * (RFC 8259 §2, ws); its require_null_terminated wants a NUL inside
	 * len, which a body read by length does not carry */
	while (end < body + len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (end != body + len) {
		cJSON_Delete(j);
		nb_fail(e, NB_INVALID, "the body holds more than one JSON value "
			"(bytes after the object at offset %zu)", (size_t)(end - body));
		return NULL;
	}
	if ((dup = json_in_dup_key(j))) {
		nb_fail(e, NB_INVALID, "the key \"%.64s\" is given twice", dup);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}
