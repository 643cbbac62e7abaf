/*
 * test_ddi_decide.c - the update decision table (src/ddi/ddi_decide.c):
 * every row of protocols/hawkbit-ddi.md's "Update decision per poll", and
 * the staged-rollout bucket: deterministic, 0..99, spread over devices,
 * and different per rollout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/ddi/ddi.h"

static struct ddi_candidate cand(const char *version, long long rollout, int percent,
				 int failed)
{
	struct ddi_candidate c;

	memset(&c, 0, sizeof(c));
	c.software_id = 7;
	c.rollout_id = rollout;
	c.percent = percent;
	c.failed_before = failed;
	snprintf(c.version, sizeof(c.version), "%s", version);
	return c;
}

static enum ddi_verdict run(const char *mode, const char *installed, int attrs, int force,
			    const struct ddi_candidate *c, long running, long max)
{
	struct ddi_decide_in in = { mode, installed, "DEFAULT", "dev-1", attrs, force, c,
				    running, max };

	return ddi_decide(&in);
}

static void test_table(void **state)
{
	struct ddi_candidate v2 = cand("2.0", 0, 100, 0), v1 = cand("1.0", 0, 100, 0);
	struct ddi_candidate failed = cand("2.0", 0, 100, 1), none = cand("", 0, 100, 0);
	struct ddi_candidate r_all = cand("2.0", 5, 100, 0);

	(void)state;
	none.software_id = 0;
	/* no attributes yet: nothing, whatever else is true */
	assert_int_equal(run("latest", "1.0", 0, 1, &v2, 0, 0), DDI_NO_ATTRIBUTES);
	/* pinned never moves, even forced */
	assert_int_equal(run("pinned", "1.0", 1, 1, &v2, 0, 0), DDI_PINNED);
	assert_int_equal(run("latest", "1.0", 1, 0, NULL, 0, 0), DDI_NO_SOFTWARE);
	assert_int_equal(run("assigned", "1.0", 1, 0, &none, 0, 0), DDI_NO_SOFTWARE);
	/* same version: up to date, unless forced */
	assert_int_equal(run("assigned", "2.0", 1, 0, &v2, 0, 0), DDI_UP_TO_DATE);
	assert_int_equal(run("assigned", "2.0", 1, 1, &v2, 0, 0), DDI_OFFER);
	assert_int_equal(run("latest", "2.0.0", 1, 0, &v2, 0, 0), DDI_UP_TO_DATE);
	/* older software: an assignment goes back, latest and rollouts do not */
	assert_int_equal(run("assigned", "2.0", 1, 0, &v1, 0, 0), DDI_OFFER);
	assert_int_equal(run("latest", "2.0", 1, 0, &v1, 0, 0), DDI_UP_TO_DATE);
	assert_int_equal(run("rollout", "2.0", 1, 0, &v1, 0, 0), DDI_UP_TO_DATE);
	assert_int_equal(run("rollout", "1.0", 1, 0, &r_all, 0, 0), DDI_OFFER);
	assert_int_equal(run("latest", "1.0", 1, 0, &v2, 0, 0), DDI_OFFER);
	/* a device that failed this software: not again until forced */
	assert_int_equal(run("rollout", "1.0", 1, 0, &failed, 0, 0), DDI_FAILED_BEFORE);
	assert_int_equal(run("rollout", "1.0", 1, 1, &failed, 0, 0), DDI_OFFER);
	/* ddi.max_concurrent_updates: 0 is no limit */
	assert_int_equal(run("latest", "1.0", 1, 0, &v2, 3, 3), DDI_FLEET_BUSY);
	assert_int_equal(run("latest", "1.0", 1, 0, &v2, 2, 3), DDI_OFFER);
	assert_int_equal(run("latest", "1.0", 1, 0, &v2, 1000, 0), DDI_OFFER);
	assert_int_equal(run("latest", "1.0", 1, 1, &v2, 3, 3), DDI_FLEET_BUSY);
}

/*
 * Version order, not string order: pairs where the two disagree ("1.10" <
 * "1.9" as strings), and pre-releases, which sort before their release
 * (SWUpdate compares non-numeric versions as semver).
 */
static void test_version_order(void **state)
{
	struct ddi_candidate v110 = cand("1.10", 0, 100, 0), v19 = cand("1.9", 0, 100, 0);
	struct ddi_candidate r110 = cand("1.10", 5, 100, 0), r19 = cand("1.9", 5, 100, 0);
	struct ddi_candidate rel = cand("1.0", 0, 100, 0), rc = cand("1.0-rc1", 0, 100, 0);
	struct ddi_candidate rel3 = cand("1.0.0", 5, 100, 0), rc3 = cand("1.0.0-rc.2", 5, 100, 0);
	struct ddi_candidate v2 = cand("2.0", 0, 100, 0);

	(void)state;
	/* latest: 1.9 installed is offered 1.10; 1.10 installed is not offered 1.9 */
	assert_int_equal(run("latest", "1.9", 1, 0, &v110, 0, 0), DDI_OFFER);
	assert_int_equal(run("latest", "1.10", 1, 0, &v19, 0, 0), DDI_UP_TO_DATE);
	assert_int_equal(run("latest", "1.10.0", 1, 0, &v110, 0, 0), DDI_UP_TO_DATE);
	/* the same in rollout mode */
	assert_int_equal(run("rollout", "1.9", 1, 0, &r110, 0, 0), DDI_OFFER);
	assert_int_equal(run("rollout", "1.10", 1, 0, &r19, 0, 0), DDI_UP_TO_DATE);
	/* an operator's assignment goes either way */
	assert_int_equal(run("assigned", "1.10", 1, 0, &v19, 0, 0), DDI_OFFER);
	/* a pre-release is older than its release, in every mode that orders */
	assert_int_equal(run("latest", "1.0-rc1", 1, 0, &rel, 0, 0), DDI_OFFER);
	assert_int_equal(run("latest", "1.0", 1, 0, &rc, 0, 0), DDI_UP_TO_DATE);
	assert_int_equal(run("rollout", "1.0.0-rc.2", 1, 0, &rel3, 0, 0), DDI_OFFER);
	assert_int_equal(run("rollout", "1.0.0", 1, 0, &rc3, 0, 0), DDI_UP_TO_DATE);
	assert_int_equal(run("rollout", "1.0", 1, 0, &rc3, 0, 0), DDI_UP_TO_DATE);
	/* a longer number is a larger one, whatever its first digit */
	assert_int_equal(run("latest", "10.0", 1, 0, &v2, 0, 0), DDI_UP_TO_DATE);
	assert_int_equal(run("latest", "1.10-rc1", 1, 0, &v2, 0, 0), DDI_OFFER);
}

static void test_stage(void **state)
{
	struct ddi_candidate r;
	int b = ddi_stage_bucket("DEFAULT", "dev-1", 5);

	(void)state;
	r = cand("2.0", 5, b, 0);		/* bucket == percent: outside */
	assert_int_equal(run("rollout", "1.0", 1, 0, &r, 0, 0), DDI_NOT_IN_STAGE);
	r.percent = b + 1;
	assert_int_equal(run("rollout", "1.0", 1, 0, &r, 0, 0), DDI_OFFER);
	r.percent = 100;
	assert_int_equal(run("rollout", "1.0", 1, 0, &r, 0, 0), DDI_OFFER);
	/* staging applies only to rollouts */
	r.rollout_id = 0;
	r.percent = 0;
	assert_int_equal(run("latest", "1.0", 1, 0, &r, 0, 0), DDI_OFFER);
}

/* 10,000 devices: every bucket used, none far from 1%, stable, per rollout. */
static void test_bucket_spread(void **state)
{
	int count[100] = { 0 }, i, same = 0;
	char cid[32];

	(void)state;
	for (i = 0; i < 10000; i++) {
		int b;
		snprintf(cid, sizeof(cid), "device-%05d", i);
		b = ddi_stage_bucket("DEFAULT", cid, 1);
		assert_true(b >= 0 && b < 100);
		assert_int_equal(b, ddi_stage_bucket("DEFAULT", cid, 1));
		count[b]++;
		same += b == ddi_stage_bucket("DEFAULT", cid, 2);
	}
	for (i = 0; i < 100; i++)
		if (count[i] < 50 || count[i] > 150)
			fail_msg("bucket %d holds %d of 10000 devices", i, count[i]);
	/* a different rollout orders the fleet differently (about 1% agree) */
	assert_true(same < 300);
	/* the tenant is part of the identity */
	for (i = 0, same = 0; i < 1000; i++) {
		snprintf(cid, sizeof(cid), "device-%05d", i);
		same += ddi_stage_bucket("A", cid, 1) == ddi_stage_bucket("B", cid, 1);
	}
	assert_true(same < 100);
}

static void test_verdict_text(void **state)
{
	int v;

	(void)state;
	for (v = DDI_OFFER; v <= DDI_FLEET_BUSY; v++)
		assert_string_not_equal(ddi_verdict_text((enum ddi_verdict)v), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_version_order),
		cmocka_unit_test(test_stage),
		cmocka_unit_test(test_bucket_spread),
		cmocka_unit_test(test_verdict_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
