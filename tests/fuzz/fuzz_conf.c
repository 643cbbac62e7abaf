/*
 * fuzz_conf - conf_parse() of the input as a YAML configuration with the
 * real key table, then every key read back with conf_str() and conf_free().
 *
 * Invariants (abort() when broken): success gives a conf and an empty err (NB_OK),
 * failure gives NULL and a message; every declared key has a value, an
 * integer key holds a whole integer and a boolean key a known word.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"

static int bool_word(const char *v)
{
	static const char *const w[] = { "true", "false", "yes", "no", "on", "off",
					 "1", "0" };
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (!strcmp(v, w[i]))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = (struct conf *)1;
	struct nb_err err;
	const struct conf_key *k;
	const char *name, *value;
	int i, secret;

	memset(&err, 'x', sizeof(err));
	if (conf_parse(core_conf_keys, (const char *)data, size, "fuzz.yaml", &c,
		       &err) < 0) {
		if (c || !memchr(err.msg, '\0', sizeof(err.msg)) || !err.msg[0] ||
		    err.kind != NB_INVALID)
			abort();
		return 0;
	}
	if (!c || err.kind != NB_OK || err.msg[0] || strcmp(conf_file(c), "fuzz.yaml"))
		abort();
	for (k = core_conf_keys; k->name; k++) {
		const char *v = conf_str(c, k->name);
		char *end;

		if (!v)
			abort();
		if (k->type == CONF_INT) {
			errno = 0;
			(void)strtoll(v, &end, 10);
			if (errno || !*v || *end)
				abort();
			(void)conf_int(c, k->name);
		} else if (k->type == CONF_BOOL) {
			if (!bool_word(v))
				abort();
			(void)conf_bool(c, k->name);
		}
	}
	for (i = 0; conf_entry(c, i, &name, &value, &secret); i++)
		if (!name || !value || value != conf_str(c, name))
			abort();
	if (i != (int)(k - core_conf_keys))
		abort();
	conf_free(c);
	return 0;
}
