/*
 * core.h - what every nestbox program shares beyond the generic library:
 * the declared configuration keys and the store's schema steps.
 */
#ifndef NB_CORE_H
#define NB_CORE_H

#include "../lib/app.h"

extern const struct conf_key core_conf_keys[];
extern const char *const core_schema[];
extern const int core_schema_steps;
/* PostgreSQL's steps (schema_pg.c): as many, the same tables and columns */
extern const char *const core_schema_pg[];
extern const int core_schema_pg_steps;
extern const struct app_store_spec core_spec;

#endif
