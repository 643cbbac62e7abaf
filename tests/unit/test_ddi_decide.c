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
	int v, w;

	(void)state;
	for (v = DDI_OFFER; v < DDI_VERDICT_COUNT; v++) {
		assert_string_not_equal(ddi_verdict_text((enum ddi_verdict)v), "?");
		assert_string_not_equal(ddi_verdict_key((enum ddi_verdict)v), "?");
		/* one key per reason: scripts tell them apart */
		for (w = DDI_OFFER; w < v; w++)
			assert_string_not_equal(ddi_verdict_key((enum ddi_verdict)v),
						ddi_verdict_key((enum ddi_verdict)w));
	}
	assert_string_equal(ddi_verdict_key(DDI_VERDICT_COUNT), "?");
}

/* ddi_decide_ctx and its sentence for a device (board-a rev 2, feed beta, 1.0). */
static enum ddi_verdict why(const char *mode, int attrs, const struct ddi_candidate *c,
			    const struct ddi_decide_ctx *ctx, char *text, size_t n)
{
	struct ddi_decide_in in = { mode, "1.0", "DEFAULT", "dev-1", attrs, 0, c, 0, 0 };
	enum ddi_verdict v = ddi_decide_ctx(&in, ctx);

	ddi_verdict_explain(&in, ctx, v, text, n);
	return v;
}

#define assert_contains(hay, needle) \
	do { if (!strstr((hay), (needle))) fail_msg("\"%s\" lacks \"%s\"", (hay), (needle)); } while (0)

/* Nothing for its mode: the specific reason, from what the store has instead. */
static void test_reasons_without_candidate(void **state)
{
	struct ddi_nocand f;
	struct ddi_decide_ctx ctx = { "board-a", "2", "beta", NULL, &f };
	struct ddi_decide_ctx noboard = { "", "", "beta", NULL, &f };
	static const struct swu_compat compat[] = { { "board-b", "" }, { "board-c", "3" } };
	char t[512];

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(why("rollout", 0, NULL, &ctx, t, sizeof(t)), DDI_NO_ATTRIBUTES);
	assert_contains(t, "hw_boardname (or hw_model), hw_revision and sw_version");
	/* attributes sent under other names: name the ones nestbox reads, and what it got */
	f.attributes = "{\"board\":\"b\",\"version\":\"1\"}";
	assert_int_equal(why("latest", 1, NULL, &noboard, t, sizeof(t)), DDI_NO_BOARD);
	assert_contains(t, "nestbox reads hw_boardname");
	assert_contains(t, "it sent board, version");
	assert_int_equal(why("rollout", 1, NULL, &ctx, t, sizeof(t)), DDI_NO_ROLLOUT);
	assert_contains(t, "no rollout is running on its feed beta");
	f.rollout_id = 4;
	snprintf(f.rollout_name, sizeof(f.rollout_name), "spring");
	snprintf(f.rollout_version, sizeof(f.rollout_version), "2.0");
	snprintf(f.rollout_state, sizeof(f.rollout_state), "paused");
	snprintf(f.pause_reason, sizeof(f.pause_reason), "3 failures, at most 2");
	assert_int_equal(why("rollout", 1, NULL, &ctx, t, sizeof(t)), DDI_ROLLOUT_PAUSED);
	assert_contains(t, "rollout #4 spring (2.0) on feed beta is paused: 3 failures, at most 2");
	snprintf(f.rollout_state, sizeof(f.rollout_state), "running");
	assert_int_equal(why("rollout", 1, NULL, &ctx, t, sizeof(t)), DDI_NO_SOFTWARE);
	assert_contains(t, "rollout #4 spring (2.0) has no software for board board-a revision 2");
	memset(&f, 0, sizeof(f));
	assert_int_equal(why("latest", 1, NULL, &ctx, t, sizeof(t)), DDI_NO_SOFTWARE);
	assert_contains(t, "no software for board board-a revision 2 in latest mode");
	f.assigned_id = 9;
	snprintf(f.assigned_name, sizeof(f.assigned_name), "core");
	snprintf(f.assigned_version, sizeof(f.assigned_version), "3.1");
	f.compat = compat;
	f.ncompat = 1;
	assert_int_equal(why("assigned", 1, NULL, &ctx, t, sizeof(t)), DDI_ASSIGNED_OTHER_BOARD);
	assert_contains(t, "assigned software core 3.1 (#9) is for another board (board-b:*)");
	f.ncompat = 2;
	assert_int_equal(why("assigned", 1, NULL, &ctx, t, sizeof(t)), DDI_ASSIGNED_OTHER_BOARD);
	assert_contains(t, "is for another board (board-b:*, board-c:3)");
	/* without the facts (the poll), the same cases are only "no software" */
	assert_int_equal(why("assigned", 1, NULL, NULL, t, sizeof(t)), DDI_NO_SOFTWARE);
	assert_int_equal(why("rollout", 1, NULL, NULL, t, sizeof(t)), DDI_NO_SOFTWARE);
	assert_int_equal(why("pinned", 1, NULL, &ctx, t, sizeof(t)), DDI_PINNED);
}

/* An open action or a candidate: the reason names the versions, stage and action. */
static void test_reasons_with_candidate(void **state)
{
	struct ddi_candidate v2 = cand("2.0", 0, 100, 0), same = cand("1.0", 0, 100, 0);
	struct ddi_candidate stage = cand("2.0", 5, 0, 0), held = cand("2.0", 0, 100, 0);
	struct ddi_action open = { 12, 7, 0, "waiting", 0 };
	struct ddi_decide_ctx ctx = { "board-a", "2", "beta", NULL, NULL };
	char t[512];

	(void)state;
	held.canceled = 1;
	assert_int_equal(why("latest", 1, &v2, &ctx, t, sizeof(t)), DDI_OFFER);
	assert_contains(t, "update offered: 2.0 replaces 1.0");
	assert_int_equal(why("latest", 1, &same, &ctx, t, sizeof(t)), DDI_UP_TO_DATE);
	assert_contains(t, "up to date: it runs 1.0");
	assert_int_equal(why("rollout", 1, &stage, &ctx, t, sizeof(t)), DDI_NOT_IN_STAGE);
	assert_contains(t, "rollout stage not reached");
	assert_contains(t, "rollout #5 offers 2.0 to 0% of its feed");
	assert_int_equal(why("latest", 1, &held, &ctx, t, sizeof(t)), DDI_CANCELED);
	assert_contains(t, "canceled by an operator");
	/* an open action comes first, whatever else holds */
	ctx.open = &open;
	assert_int_equal(why("pinned", 0, NULL, &ctx, t, sizeof(t)), DDI_WAITING_CONSENT);
	assert_contains(t, "waiting for the device's consent to install (action #12)");
	snprintf(open.status, sizeof(open.status), "running");
	assert_int_equal(why("latest", 1, &v2, &ctx, t, sizeof(t)), DDI_UNDER_WAY);
	snprintf(open.status, sizeof(open.status), "canceling");
	assert_int_equal(why("latest", 1, &v2, &ctx, t, sizeof(t)), DDI_CANCELING);
	/* a small buffer is cut, never overrun */
	why("latest", 1, &v2, &ctx, t, 8);
	assert_int_equal(strlen(t), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_version_order),
		cmocka_unit_test(test_stage),
		cmocka_unit_test(test_bucket_spread),
		cmocka_unit_test(test_verdict_text),
		cmocka_unit_test(test_reasons_without_candidate),
		cmocka_unit_test(test_reasons_with_candidate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
