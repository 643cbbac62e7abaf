/*
 * conf.h - the YAML configuration.
 *
 * The file is a mapping of sections to mappings of keys to scalars (or
 * lists of scalars).  Only keys declared in the caller's table are
 * accepted, each with a type, so a typo stops start-up with the file, the
 * line and the key named instead of being silently ignored.
 *
 * Lookup order: $NESTBOX_CONFIG, /etc/nestbox/nestbox.yaml,
 * ./etc/nestbox.yaml; none found means defaults.  Every key can then be
 * overridden by NESTBOX_<SECTION>__<KEY> (and a key may name one plain
 * variable of its own, like IMAGE_PATH, for drop-in use).  Relative paths
 * in the file are relative to the file's directory; in the environment,
 * to the working directory.
 */
#ifndef NB_CONF_H
#define NB_CONF_H

#include <stddef.h>

#include "err.h"

enum conf_type { CONF_STR, CONF_INT, CONF_BOOL, CONF_PATH, CONF_LIST };

struct conf_key {
	const char *name;	/* "section.key" */
	enum conf_type type;
	const char *def;	/* default as text; NULL means "" */
	const char *env_alias;	/* extra plain variable, or NULL */
	int secret;		/* masked when shown */
	const char *help;
};

struct conf;

/* Finds, parses and validates; 0, or -1 with err (NB_INVALID naming the
 * file, line and key, or the environment variable). */
int conf_load(const struct conf_key *keys, struct conf **out,
	      struct nb_err *err);
/* Parses a YAML text as if read from fname (no environment applied). */
int conf_parse(const struct conf_key *keys, const char *text, size_t len,
	       const char *fname, struct conf **out, struct nb_err *err);
/* Applies NESTBOX_* overrides from envp (NULL-terminated). */
int conf_apply_env(struct conf *c, char **envp, struct nb_err *err);
void conf_free(struct conf *c);

/* Lookups abort on an undeclared name: that is a programming error. */
const char *conf_str(const struct conf *c, const char *name);
long long conf_int(const struct conf *c, const char *name);
int conf_bool(const struct conf *c, const char *name);
const char *conf_file(const struct conf *c);	/* "" when none */
/* Iterates for display: returns 0 past the end. */
int conf_entry(const struct conf *c, int i, const char **name,
	       const char **value, int *secret);

#endif
