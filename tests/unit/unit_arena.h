/*
 * unit_arena.h - the arena of the unit tests of a module that allocates
 * per request: one arena, A, made fresh by ut_arena_setup and freed by
 * ut_arena_teardown (cmocka setup and teardown functions, for a group or
 * a test, or called from a test file's own).  Include after <cmocka.h>.
 */
#ifndef NB_UNIT_ARENA_H
#define NB_UNIT_ARENA_H

#include "../../src/lib/arena.h"

static struct arena A;

static inline int ut_arena_setup(void **state)
{
	(void)state;
	arena_init(&A);
	return 0;
}

static inline int ut_arena_teardown(void **state)
{
	(void)state;
	arena_free(&A);
	return 0;
}

#endif
