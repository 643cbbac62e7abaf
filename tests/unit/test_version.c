/*
 * test_version.c - version_cmp: SWUpdate's numeric form first (up to four
 * dot-separated numbers, missing fields are 0), then semver's rules
 * (pre-releases before their release, build metadata ignored), and a
 * total order: antisymmetric on every pair of the sample.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "../../src/lib/version.h"

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static const struct { const char *a, *b; int want; } cases[] = {
	/* SWUpdate's form */
	{ "1.2.3", "1.2.3", 0 }, { "1.2", "1.2.0", 0 }, { "1.2.0.0", "1.2", 0 },
	{ "1.10", "1.9", 1 }, { "2.0.0.1", "2.0.0", 1 }, { "0.9.99", "0.10.0", -1 },
	{ "1.01", "1.1", 0 }, { "65535.0", "65534.9", 1 },
	/* semver */
	{ "1.0.0-rc.1", "1.0.0", -1 }, { "1.0.0", "1.0.0-alpha", 1 },
	{ "1.0.0-alpha", "1.0.0-alpha.1", -1 }, { "1.0.0-alpha.1", "1.0.0-alpha.beta", -1 },
	{ "1.0.0-beta.2", "1.0.0-beta.11", -1 }, { "1.0.0-rc.1", "1.0.0-beta.11", 1 },
	{ "1.0.0+build.5", "1.0.0", 0 }, { "1.0.0-rc.1+b", "1.0.0-rc.1+c", 0 },
	{ "1.0.0-rc.1", "0.9.9", 1 },
	/* a pre-release against a release written with fewer or more fields:
	 * "1.0" and "1.0.0" are one version (SWUpdate's form), so their
	 * pre-releases sort before both (transitive, or sorting breaks) */
	{ "1.0-rc1", "1.0", -1 }, { "1.0.0-rc1", "1.0", -1 }, { "1.0-rc1", "1.0.0", -1 },
	{ "1.0-rc1", "1.0.0-rc1", 0 }, { "1.0.0.0-rc.2", "1.0-rc.1", 1 },
	{ "1.10-rc1", "1.9", 1 }, { "1.9", "1.10-rc1", -1 }, { "1.10-rc1", "1.10", -1 },
	/* five fields or letters: not SWUpdate's form, still ordered */
	{ "1.2.3.4.5", "1.2.3.4", 1 }, { "v1.10", "v1.9", 1 }, { "2.0a", "2.0b", -1 },
	{ "", "", 0 }, { "1", "", 1 }, { "99999999999999999999999", "1", 1 },
	{ "1.99999999999999999999999", "1.18446744073709551615", 0 },	/* both saturate */
	{ "1.184467440737095516150", "1.9", 1 },
};

static void test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = sign(version_cmp(cases[i].a, cases[i].b));
		int back = sign(version_cmp(cases[i].b, cases[i].a));
		if (got != cases[i].want || back != -cases[i].want)
			fail_msg("version_cmp(\"%s\", \"%s\") = %d (reverse %d), want %d",
				 cases[i].a, cases[i].b, got, back, cases[i].want);
	}
}

/* Sorting a shuffled list gives the release order operators expect. */
static void test_order(void **state)
{
	static const char *const want[] = {
		"0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11",
		"1.0.0-rc.1", "1.0.0", "1.0.1", "1.2", "1.9", "1.10-rc.1", "1.10", "2.0.0.1",
	};
	size_t n = sizeof(want) / sizeof(want[0]), i, j;

	(void)state;
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (sign(version_cmp(want[i], want[j])) != (i > j) - (i < j))
				fail_msg("\"%s\" vs \"%s\" out of order", want[i], want[j]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
