/*
 * test_ddi_fleet.c - the operator's view of the fleet (src/ddi/ddi_fleet.h)
 * against a store with the core schema: counts by state, one device by id
 * and by tenant and controller id, its actions newest first with the
 * device's last word, an action's history oldest first, the software list
 * with its boards and use counts, paged, the choices and counts, recent
 * failures and stale devices.  Rows are plain values copied into the
 * caller's arena (they outlive the statement and later queries), and a
 * store that cannot be read is an error, never an empty list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "unit_util.h"
#include "unit_store.h"
#include "../../src/core/core.h"
#include "../../src/ddi/ddi_fleet.h"

static int setup(void **state)
{
	static const char *const rows[] = {
		"INSERT INTO ddi_software(id, name, version, kind, filename, size, sha1, md5,"
		" sha256, created, url) VALUES"
		" (1, 'os', '1.0', 'swu', 'os-1.swu', 1048576, '', '', 'aa11', 1000, ''),"
		" (2, 'os', '2.0', 'raucb', 'os-2.raucb', 512, '', '', 'bb22', 2000,"
		"  'https://example.org/os-2.raucb')",
		"INSERT INTO ddi_software_compat VALUES (2, 'pi4', ''), (2, '', 'b')",
		"INSERT INTO ddi_devices(id, tenant, controller_id, name, hw_model, sw_version,"
		" feed, mode, state, attributes, last_seen, last_addr, created, assigned, force,"
		" auto_confirm) VALUES"
		" (1, 'DEFAULT', 'dev-a', 'Kitchen', 'pi4', '1.0', 'beta', 'rollout', 'error',"
		"  '{\"serial\":\"42\",\"n\":7}', 5000, '10.0.0.1', 100, NULL, 0, 1),"
		" (2, 'DEFAULT', 'dev-b', '', 'pi3', '2.0', 'beta', 'assigned', 'finished',"
		"  '', 100, '10.0.0.2', 200, 2, 1, 0),"
		" (3, 'acme', 'dev-a', '', '', '', 'default', 'rollout', 'registered',"
		"  '', 0, '', 300, NULL, 0, 0)",
		"INSERT INTO ddi_rollouts(id, name, feed, software_id, created, updated)"
		" VALUES (1, 'r1', 'beta', 2, 10, 10)",
		"INSERT INTO ddi_actions(id, device_id, software_id, status, progress, created,"
		" updated, rollout_id) VALUES"
		" (10, 1, 1, 'finished', 100, 1100, 1200, NULL),"
		" (11, 1, 2, 'error', 40, 2100, 2200, 1),"
		" (12, 1, 2, 'waiting', 0, 3100, 3100, 1),"
		" (13, 2, 2, 'error', 0, 2300, 2400, NULL)",
		"INSERT INTO ddi_action_status(id, action_id, ts, execution, finished, details)"
		" VALUES (1, 11, 2150, 'proceeding', 'none', 'downloading'),"
		" (2, 11, 2200, 'closed', 'failure', 'step 1\nno space left\n'),"
		" (3, 10, 1200, 'closed', 'success', 'done')",
	};

	return ut_app_setup(state, rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_state_counts(void **state)
{
	struct ut_app *f = *state;
	struct ddi_fleet_count *v;
	long long total;
	int n = ddi_fleet_state_counts(&f->app, &f->a, &v, &total, NULL);

	assert_int_equal(n, 3);			/* by state's name */
	assert_string_equal(v[0].state, "error");
	assert_string_equal(v[1].state, "finished");
	assert_string_equal(v[2].state, "registered");
	assert_int_equal(v[0].n + v[1].n + v[2].n, 3);
	assert_int_equal(total, 3);
}

static void test_device_by_id_and_key(void **state)
{
	struct ut_app *f = *state;
	struct ddi_fleet_device d, d2;
	struct ddi_fleet_action *x;

	assert_int_equal(ddi_fleet_device(&f->app, &f->a, 1, NULL, NULL, &d, NULL), 1);
	/* another read with the same statements must not change the first one's rows */
	assert_int_equal(ddi_fleet_device(&f->app, &f->a, 2, NULL, NULL, &d2, NULL), 1);
	assert_true(ddi_fleet_actions(&f->app, &f->a, 2, &x, NULL) >= 0);
	assert_int_equal(d.id, 1);
	assert_string_equal(d.tenant, "DEFAULT");
	assert_string_equal(d.cid, "dev-a");
	assert_string_equal(d.name, "Kitchen");
	assert_string_equal(d.hw_model, "pi4");
	assert_string_equal(d.hw_revision, "");
	assert_string_equal(d.sw_version, "1.0");
	assert_string_equal(d.feed, "beta");
	assert_string_equal(d.mode, "rollout");
	assert_string_equal(d.state, "error");
	assert_string_equal(d.attributes, "{\"serial\":\"42\",\"n\":7}");
	assert_string_equal(d.last_addr, "10.0.0.1");
	assert_int_equal(d.last_seen, 5000);
	assert_int_equal(d.created, 100);
	assert_int_equal(d.assigned, 0);	/* NULL: none */
	assert_int_equal(d.force, 0);
	assert_int_equal(d.auto_confirm, 1);
	assert_string_equal(d2.cid, "dev-b");
	assert_int_equal(d2.assigned, 2);
	assert_int_equal(d2.force, 1);

	/* the same controller id in another tenant is another device */
	assert_int_equal(ddi_fleet_device(&f->app, &f->a, 0, "acme", "dev-a", &d, NULL), 1);
	assert_int_equal(d.id, 3);
	assert_int_equal(d.last_seen, 0);
	assert_int_equal(ddi_fleet_device(&f->app, &f->a, 0, "DEFAULT", "dev-a", &d, NULL), 1);
	assert_int_equal(d.id, 1);
	assert_int_equal(ddi_fleet_device(&f->app, &f->a, 0, "DEFAULT", "nope", &d, NULL), 0);
	assert_int_equal(ddi_fleet_device(&f->app, &f->a, 99, NULL, NULL, &d, NULL), 0);
	/* an id wins over a key; a key without an id is not matched by id */
	assert_int_equal(ddi_fleet_device(&f->app, &f->a, 2, "acme", "dev-a", &d, NULL), 1);
	assert_int_equal(d.id, 2);
}

static void test_actions_and_log(void **state)
{
	struct ut_app *f = *state;
	struct ddi_fleet_action *x;
	struct ddi_fleet_status *s;
	int n = ddi_fleet_actions(&f->app, &f->a, 1, &x, NULL);

	assert_int_equal(n, 3);			/* newest first, only the device's */
	assert_int_equal(x[0].id, 12);
	assert_string_equal(x[0].status, "waiting");
	assert_null(x[0].details);		/* never answered */
	assert_int_equal(x[0].rollout_id, 1);
	assert_int_equal(x[1].id, 11);
	assert_string_equal(x[1].details, "step 1\nno space left\n");	/* the latest */
	assert_int_equal(x[1].progress, 40);
	assert_int_equal(x[1].created, 2100);
	assert_int_equal(x[1].updated, 2200);
	assert_int_equal(x[1].software_id, 2);
	assert_string_equal(x[1].software, "os");
	assert_string_equal(x[1].version, "2.0");
	assert_int_equal(x[2].id, 10);
	assert_int_equal(x[2].rollout_id, 0);	/* NULL: not of a rollout */
	assert_string_equal(x[2].details, "done");
	assert_int_equal(ddi_fleet_actions(&f->app, &f->a, 3, &x, NULL), 0);

	n = ddi_fleet_action_log(&f->app, &f->a, 11, &s, NULL);
	assert_int_equal(n, 2);			/* oldest first */
	assert_int_equal(s[0].ts, 2150);
	assert_string_equal(s[0].execution, "proceeding");
	assert_string_equal(s[0].finished, "none");
	assert_string_equal(s[0].details, "downloading");
	assert_string_equal(s[1].finished, "failure");
	assert_int_equal(ddi_fleet_action_log(&f->app, &f->a, 12, &s, NULL), 0);
}

static void test_software(void **state)
{
	struct ut_app *f = *state;
	struct ddi_fleet_software *v;
	struct ddi_fleet_choice *c;
	int n = ddi_fleet_software(&f->app, &f->a, 0, 100, &v, NULL);

	assert_int_equal(n, 2);			/* newest first */
	assert_int_equal(v[0].id, 2);
	assert_string_equal(v[0].kind, "raucb");
	assert_string_equal(v[0].filename, "os-2.raucb");
	assert_string_equal(v[0].url, "https://example.org/os-2.raucb");
	assert_int_equal(v[0].size, 512);
	assert_int_equal(v[0].created, 2000);
	assert_int_equal(v[0].actions, 3);
	assert_int_equal(v[0].rollouts, 1);
	/* the boards in the table's key order, '*' for "any" */
	assert_string_equal(v[0].compat, "*:b, pi4:*");
	assert_string_equal(v[1].compat, "");	/* any board */
	assert_string_equal(v[1].sha256, "aa11");
	assert_int_equal(v[1].size, 1048576);
	assert_int_equal(v[1].actions, 1);
	assert_int_equal(v[1].rollouts, 0);
	n = ddi_fleet_software(&f->app, &f->a, 1, 1, &v, NULL);	/* the second page of one */
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, 1);
	assert_int_equal(ddi_fleet_software(&f->app, &f->a, 2, 1, &v, NULL), 0);

	assert_int_equal(ddi_fleet_software_choices(&f->app, &f->a, &c, NULL), 2);
	assert_int_equal(c[0].id, 2);
	assert_string_equal(c[0].name, "os");
	assert_string_equal(c[0].version, "2.0");
	assert_int_equal(ddi_fleet_software_count(&f->app, NULL), 2);
	assert_int_equal(ddi_fleet_rollout_count(&f->app, NULL), 1);
	/* beta: dev-a follows rollouts, dev-b is assigned */
	assert_int_equal(ddi_fleet_feed_rollout_devices(&f->app, "beta", NULL), 1);
	assert_int_equal(ddi_fleet_feed_rollout_devices(&f->app, "nofeed", NULL), 0);
}

static void test_failures_and_stale(void **state)
{
	struct ut_app *f = *state;
	struct ddi_fleet_failure *v;
	struct ddi_fleet_stale *s;
	long long count;
	int n = ddi_fleet_failures(&f->app, &f->a, 10, &v, NULL);

	assert_int_equal(n, 2);			/* newest first */
	assert_int_equal(v[0].action_id, 13);
	assert_string_equal(v[0].details, "");	/* the device never said why */
	assert_string_equal(v[0].cid, "dev-b");
	assert_int_equal(v[1].action_id, 11);
	assert_int_equal(v[1].updated, 2200);
	assert_int_equal(v[1].device_id, 1);
	assert_string_equal(v[1].version, "2.0");
	assert_int_equal(v[1].rollout_id, 1);
	assert_string_equal(v[1].details, "step 1\nno space left\n");
	assert_int_equal(ddi_fleet_failures(&f->app, &f->a, 1, &v, NULL), 1);

	/* seen once, not since 6000: the longest silent first; never seen is not stale */
	n = ddi_fleet_stale(&f->app, &f->a, 6000, 10, &s, &count, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(count, 2);
	assert_int_equal(s[0].id, 2);
	assert_int_equal(s[0].last_seen, 100);
	assert_string_equal(s[0].last_addr, "10.0.0.2");
	assert_string_equal(s[1].cid, "dev-a");
	assert_string_equal(s[1].name, "Kitchen");
	n = ddi_fleet_stale(&f->app, &f->a, 6000, 1, &s, &count, NULL);
	assert_int_equal(n, 1);			/* a page of one, the count of all */
	assert_int_equal(count, 2);
	assert_int_equal(ddi_fleet_stale(&f->app, &f->a, 50, 10, &s, &count, NULL), 0);
	assert_int_equal(count, 0);
}

/* A store that cannot be read is an error the page reports, not an empty fleet. */
static void test_unreadable_store(void **state)
{
	struct ut_app *f = *state;
	struct ddi_fleet_device d;
	struct ddi_fleet_software *v;
	struct ddi_fleet_stale *s;
	struct ddi_fleet_count *c;
	long long total, count;
	struct nb_err e;

	assert_int_equal(db_exec(f->app.db, "DROP TABLE ddi_devices"), 0);
	nb_err_clear(&e);
	assert_int_equal(ddi_fleet_device(&f->app, &f->a, 1, NULL, NULL, &d, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_fleet_stale(&f->app, &f->a, 6000, 10, &s, &count, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(db_exec(f->app.db, "DROP TABLE ddi_device_counts"), 0);
	assert_int_equal(db_exec(f->app.db, "DROP TABLE ddi_software_compat"), 0);
	nb_err_clear(&e);
	assert_int_equal(ddi_fleet_state_counts(&f->app, &f->a, &c, &total, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_fleet_software(&f->app, &f->a, 0, 10, &v, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_fleet_feed_rollout_devices(&f->app, "beta", &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_app_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_state_counts),
		T(test_device_by_id_and_key),
		T(test_actions_and_log),
		T(test_software),
		T(test_failures_and_stale),
		T(test_unreadable_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
