/*
 * Checks of JSON text that cJSON lets through: a key given twice in one
 * object (cJSON keeps both, lookups answer the first) and a \u0000
 * escape (cJSON cuts the string there, so "a\u0000.whl" would read as
 * "a").  Every JSON body of the pypi API and the export document pass
 * through them.
 */
#include "pypi_ops.h"

#include <string.h>

#include <cjson/cJSON.h>

const char *pypi_json_dup_key(const cJSON *o)
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
		if ((k = pypi_json_dup_key(c)))
			return k;
	}
	return NULL;
}

int pypi_json_has_nul(const char *p, size_t n)
{
	size_t i;

	/* a backslash outside a string is no JSON: the parser refuses it */
	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\\')
			continue;
		if (p[i + 1] == 'u' && i + 5 < n && !memcmp(p + i + 2, "0000", 4))
			return 1;
		i++;		/* the escaped character, "\\\\" included */
	}
	return 0;
}
