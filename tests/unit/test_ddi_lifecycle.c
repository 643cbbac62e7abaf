/*
 * test_ddi_lifecycle.c - an action's life after an operator's cancel
 * (src/ddi/ddi_decide.c, ddi_store.c): a canceled software is not offered
 * again until an operator assigns again or forces; and the device's
 * reported messages for ?actionHistory=N, newest first as hawkBit answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit_util.h"
#include "unit_store.h"
#include "../../src/core/core.h"
#include "../../src/ddi/ddi.h"

struct fx {
	struct ut_app u;	/* first: ut_app_teardown closes it and frees the whole */
	struct ddi_device d;	/* the device "dev", as reload() read it */
};

static void reload(struct fx *f)
{
	assert_int_equal(ddi_device_get(&f->u.app, "DEFAULT", "dev", &f->d, NULL), 1);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	static const char *const rows[] = {
		"INSERT INTO ddi_software(id, name, version, kind, filename, size, sha1, md5,"
		" sha256, created) VALUES (1, 'a', '2.0', 'swu', 'a.swu', 1, '', '', '', 0),"
		" (2, 'b', '3.0', 'swu', 'b.swu', 1, '', '', '', 0)",
	};

	*state = f;
	if (!f || ut_app_open(&f->u, rows, sizeof(rows) / sizeof(rows[0])) < 0 ||
	    ddi_device_add(&f->u.app, "DEFAULT", "dev", "", NULL, "assigned", 1, NULL) < 0 ||
	    db_exec(f->u.app.db, "UPDATE ddi_devices SET attributes='{}', sw_version='1.0'") < 0)
		return -1;
	return 0;
}

static enum ddi_verdict verdict(struct fx *f)
{
	struct ddi_candidate c;
	struct ddi_decide_in in = { f->d.mode, f->d.sw_version, f->d.tenant, f->d.cid,
				    f->d.has_attrs, f->d.force, NULL, 0, 0 };

	reload(f);
	in.mode = f->d.mode;
	in.force = f->d.force;
	if (ddi_candidate_find(&f->u.app, &f->d, &c, NULL) == 1)
		in.cand = &c;
	return ddi_decide(&in);
}

/* the decision table: a canceled candidate waits for an operator */
static void test_decide_canceled(void **state)
{
	struct ddi_candidate c = { 1, 0, "2.0", 100, 0, 1 };
	struct ddi_decide_in in = { "assigned", "1.0", "DEFAULT", "dev", 1, 0, &c, 0, 0 };

	(void)state;
	assert_int_equal(ddi_decide(&in), DDI_CANCELED);
	in.mode = "rollout";
	assert_int_equal(ddi_decide(&in), DDI_CANCELED);
	in.force = 1;
	assert_int_equal(ddi_decide(&in), DDI_OFFER);
	in.force = 0;
	c.canceled = 0;
	assert_int_equal(ddi_decide(&in), DDI_OFFER);
	assert_string_equal(ddi_verdict_text(DDI_CANCELED),
			    "canceled by an operator (assign again or force to retry)");
}

/* a running action canceled and acknowledged, then assigned again */
static void test_cancel_stands_until_assigned(void **state)
{
	struct fx *f = *state;
	long long a;

	reload(f);
	assert_int_equal(verdict(f), DDI_OFFER);
	a = ddi_action_create(&f->u.app, f->d.id, 1, 0, "running", NULL);
	assert_true(a > 0);
	assert_int_equal(ddi_action_cancel(&f->u.app, f->d.id, NULL), 0);
	/* the device acknowledges: the action is canceled and the cancel held */
	assert_int_equal(ddi_action_canceled(&f->u.app, f->d.id, a, 1, -1, NULL), 0);
	reload(f);
	assert_string_equal(f->d.last.status, "canceled");
	assert_int_equal(verdict(f), DDI_CANCELED);
	/* another software is not held */
	assert_int_equal(ddi_device_set_mode(&f->u.app, f->d.id, "assigned", 2, NULL), 0);
	assert_int_equal(verdict(f), DDI_OFFER);
	/* the operator assigns the same software again: offered again */
	assert_int_equal(ddi_device_set_mode(&f->u.app, f->d.id, "assigned", 1, NULL), 0);
	assert_int_equal(verdict(f), DDI_OFFER);
}

/* a waiting action canceled at once holds too; force lifts it */
static void test_cancel_waiting_and_force(void **state)
{
	struct fx *f = *state;

	reload(f);
	assert_true(ddi_action_create(&f->u.app, f->d.id, 1, 0, "waiting", NULL) > 0);
	assert_int_equal(ddi_action_cancel(&f->u.app, f->d.id, NULL), 0);
	assert_int_equal(verdict(f), DDI_CANCELED);
	assert_int_equal(ddi_device_set_field(&f->u.app, f->d.id, "force", "1", NULL), 0);
	assert_int_equal(verdict(f), DDI_OFFER);
	/* a new action ends the hold: after it, the device is judged as any other */
	assert_true(ddi_action_create(&f->u.app, f->d.id, 1, 0, "running", NULL) > 0);
	assert_int_equal(ddi_device_set_field(&f->u.app, f->d.id, "force", "0", NULL), 0);
	assert_int_equal(verdict(f), DDI_OFFER);
}

static void messages_are(struct fx *f, long long action, int n, const char *want)
{
	const char *lines[DDI_HISTORY_MAX];
	struct arena a;
	struct buf b;
	int i, got;

	arena_init(&a);
	got = ddi_action_messages(&f->u.app, &a, action, n, lines, NULL);
	assert_true(got >= 0);
	buf_init(&b, &a);
	for (i = 0; i < got; i++)
		buf_printf(&b, "%s\"%s\"", i ? "," : "", lines[i]);
	assert_string_equal(arena_printf(&a, "[%s]", buf_cstr(&b)), want);
	arena_free(&a);
}

/* ?actionHistory=N: the device's details lines, newest report first */
static void test_action_history(void **state)
{
	struct fx *f = *state;
	long long a, b;
	int i;

	reload(f);
	a = ddi_action_create(&f->u.app, f->d.id, 1, 0, "running", NULL);
	b = ddi_action_create(&f->u.app, f->d.id, 2, 0, "running", NULL);
	assert_int_equal(ddi_action_log(&f->u.app, a, "proceeding", "none", "one\n", NULL), 0);
	assert_int_equal(ddi_action_log(&f->u.app, a, "proceeding", "none", "two\nthree\n", NULL), 0);
	assert_int_equal(ddi_action_log(&f->u.app, a, "proceeding", "none", "", NULL), 0);
	assert_int_equal(ddi_action_log(&f->u.app, b, "proceeding", "none", "other action\n", NULL),
			 0);
	assert_int_equal(ddi_action_log(&f->u.app, a, "confirmed", "none",
					"Update Server: auto-confirm turned on\n", NULL), 0);
	assert_int_equal(ddi_action_log(&f->u.app, a, "closed", "success", "four\n", NULL), 0);
	messages_are(f, a, 0, "[]");
	messages_are(f, a, 1, "[\"four\"]");
	messages_are(f, a, 3, "[\"four\",\"two\",\"three\"]");
	messages_are(f, a, -1, "[\"four\",\"two\",\"three\",\"one\"]");
	messages_are(f, a, 100, "[\"four\",\"two\",\"three\",\"one\"]");
	messages_are(f, b, -1, "[\"other action\"]");
	/* -1 is hawkBit's "all", bounded as hawkBit bounds it */
	for (i = 0; i < 150; i++)
		assert_int_equal(ddi_action_log(&f->u.app, b, "proceeding", "none", "x\n", NULL), 0);
	{
		const char *lines[DDI_HISTORY_MAX];
		struct arena ar;

		arena_init(&ar);
		assert_int_equal(ddi_action_messages(&f->u.app, &ar, b, -1, lines, NULL),
				 DDI_HISTORY_MAX);
		assert_string_equal(lines[DDI_HISTORY_MAX - 1], "x");
		arena_free(&ar);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_app_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_canceled),
		T(test_cancel_stands_until_assigned),
		T(test_cancel_waiting_and_force),
		T(test_action_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
