/*
 * test_ddi_scope.c - what a device may see and what enters the device
 * registry (src/ddi/ddi_store.c): artifacts only of the device's own
 * actions or assignment; ddi_device_add applies the controller-id rule and
 * the column bounds before anything is stored; self-registration in
 * setup/lax mode stops at its cap and its hourly rate, and is counted.
 */
#include <sqlite3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "unit_util.h"
#include "unit_store.h"
#include "../../src/core/core.h"
#include "../../src/ddi/ddi.h"

static int setup(void **state)
{
	/* three software rows; how they were ingested does not matter here */
	static const char *const rows[] = {
		"INSERT INTO ddi_software(id, name, version, kind, filename, size, sha1, md5,"
		" sha256, created) VALUES (1, 'a', '1.0', 'swu', 'a.swu', 1, '', '', '', 0),"
		" (2, 'b', '2.0', 'swu', 'b.swu', 1, '', '', '', 0),"
		" (3, 'c', '3.0', 'swu', 'c.swu', 1, '', '', '', 0)",
	};

	return ut_app_setup(state, rows, sizeof(rows) / sizeof(rows[0]));
}

static long long devices(struct ut_app *f)
{
	struct db_stmt *st = db_stmt(f->app.db, "SELECT count(*) FROM ddi_devices");
	long long n = -1;

	if (st && db_step(st) == DB_ROW)
		n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

/* ddi_device_add's error kind: NB_OK when stored */
static enum nb_errkind add(struct ut_app *f, const char *tenant, const char *cid, const char *th,
			   const char *feed, const char *mode, long long assigned)
{
	struct nb_err e;

	nb_err_clear(&e);
	if (ddi_device_add(&f->app, tenant, cid, th, feed, mode, assigned, &e) == 0)
		return NB_OK;
	assert_true(e.kind != NB_OK && e.msg[0]);
	return e.kind;
}

/* ddi_device_register's answer; a refusal has its kind and message */
static int reg(struct ut_app *f, const char *cid, enum ddi_origin o,
	       const struct ddi_self_limits *lim, enum nb_errkind want)
{
	struct nb_err e;
	int rc;

	nb_err_clear(&e);
	rc = ddi_device_register(&f->app, "DEFAULT", cid, "", o, lim, &e);
	assert_int_equal(e.kind, rc == 0 ? NB_OK : want);
	return rc;
}

/* hawkBit's rule: 1-256 bytes of UTF-8, no whitespace, no '/' */
static void test_device_add_id_rule(void **state)
{
	static const char *const bad[] = { "", "sp ace", "tab\there", "a/b", "new\nline",
		"\xff", "caf\xe9", "\xc0\xaf", "del\x7f" };
	struct ut_app *f = *state;
	struct ddi_device d;
	char id[300];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (add(f, "DEFAULT", bad[i], "", NULL, NULL, 0) != NB_INVALID)
			fail_msg("controller id '%s' was not refused", bad[i]);
	memset(id, 'x', 257);
	id[257] = '\0';
	assert_int_equal(add(f, "DEFAULT", id, "", NULL, NULL, 0), NB_INVALID);
	assert_int_equal(devices(f), 0);
	/* what the rule allows is stored and read back whole */
	id[256] = '\0';
	assert_int_equal(add(f, "DEFAULT", id, "", NULL, NULL, 0), NB_OK);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", id, &d, NULL), 1);
	assert_string_equal(d.cid, id);
	assert_int_equal(add(f, "DEFAULT", "star*", "", NULL, NULL, 0), NB_OK);
	assert_int_equal(add(f, "DEFAULT", "g\xc3\xa9r\xc3\xa4t-1", "", NULL, NULL,
					0), NB_OK);
	assert_int_equal(devices(f), 3);
}

/* columns read into fixed buffers are bounded at the door, not cut later */
static void test_device_add_bounds(void **state)
{
	struct ut_app *f = *state;
	struct ddi_device d;
	char long64[65];

	memset(long64, 'f', 64);
	long64[64] = '\0';
	assert_int_equal(add(f, long64, "d1", "", NULL, NULL, 0), NB_INVALID);
	assert_int_equal(add(f, "", "d1", "", NULL, NULL, 0), NB_INVALID);
	assert_int_equal(add(f, "DEFAULT", "d1", "", long64, NULL, 0), NB_INVALID);
	assert_int_equal(add(f, "DEFAULT", "d1", "", NULL, "sideways", 0), NB_INVALID);
	assert_int_equal(add(f, "DEFAULT", "d1", "nothex", NULL, NULL, 0), NB_INVALID);
	assert_int_equal(add(f, "DEFAULT", "d1", "", NULL, "assigned", 0), NB_INVALID);
	assert_int_equal(devices(f), 0);
	long64[63] = '\0';
	assert_int_equal(add(f, "DEFAULT", "d1", "", long64, "latest", 0), NB_OK);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "d1", &d, NULL), 1);
	assert_string_equal(d.feed, long64);
	/* an existing id is a conflict (nestboxctl's exit 3), a missing software not found */
	assert_int_equal(add(f, "DEFAULT", "d1", "", NULL, NULL, 0), NB_CONFLICT);
	assert_int_equal(add(f, "DEFAULT", "d2", "", NULL, "assigned", 99), NB_NOT_FOUND);
}

/* artifacts: only software of the device's own actions or its assignment */
static void test_software_owned(void **state)
{
	struct ut_app *f = *state;
	struct ddi_device a, b;

	assert_int_equal(add(f, "DEFAULT", "a", "", NULL, "assigned", 2), NB_OK);
	assert_int_equal(add(f, "DEFAULT", "b", "", NULL, NULL, 0), NB_OK);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "a", &a, NULL), 1);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "b", &b, NULL), 1);
	assert_true(ddi_action_create(&f->app, a.id, 1, 0, "running", NULL) > 0);
	assert_int_equal(ddi_software_owned(&f->app, &a, 1, NULL), 1);	/* its action */
	assert_int_equal(ddi_software_owned(&f->app, &a, 2, NULL), 1);	/* its assignment */
	assert_int_equal(ddi_software_owned(&f->app, &a, 3, NULL), 0);	/* neither */
	assert_int_equal(ddi_software_owned(&f->app, &a, 99, NULL), 0);
	/* another device's action or assignment is not b's */
	assert_int_equal(ddi_software_owned(&f->app, &b, 1, NULL), 0);
	assert_int_equal(ddi_software_owned(&f->app, &b, 2, NULL), 0);
	assert_int_equal(ddi_software_owned(&f->app, &b, 3, NULL), 0);
}

/* setup/lax self-registration: a cap and an hourly rate, counted */
static void test_self_register_limits(void **state)
{
	struct ut_app *f = *state;
	struct ddi_self_limits cap2 = { 2, 0 }, rate3 = { 0, 3 }, none = { 0, 0 };
	long long total = -1, hour = -1;
	char id[16];
	int i;

	/* operators' and gateways' devices do not count against it */
	assert_int_equal(add(f, "DEFAULT", "op", "", NULL, NULL, 0), NB_OK);
	assert_int_equal(reg(f, "gw", DDI_BY_GATEWAY, &cap2, NB_OK), 0);
	assert_int_equal(reg(f, "s1", DDI_BY_SELF, &cap2, NB_OK), 0);
	assert_int_equal(reg(f, "s2", DDI_BY_SELF, &cap2, NB_OK), 0);
	assert_int_equal(reg(f, "s3", DDI_BY_SELF, &cap2, NB_FORBIDDEN), -1);
	assert_int_equal(reg(f, "s3", DDI_BY_SELF, &rate3, NB_OK), 0);
	assert_int_equal(reg(f, "s4", DDI_BY_SELF, &rate3, NB_TOO_MANY), -1);
	assert_int_equal(ddi_self_registered(&f->app, (long long)time(NULL) - 3600, &total, &hour, NULL),
			 0);
	assert_int_equal(total, 3);
	assert_int_equal(hour, 3);
	/* an hour later the rate allows more; the cap still counts them all */
	assert_int_equal(db_exec(f->app.db, "UPDATE ddi_devices SET created = created - 7200"), 0);
	assert_int_equal(reg(f, "s4", DDI_BY_SELF, &rate3, NB_OK), 0);
	assert_int_equal(ddi_self_registered(&f->app, (long long)time(NULL) - 3600, &total, &hour, NULL),
			 0);
	assert_int_equal(total, 4);
	assert_int_equal(hour, 1);
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "n%d", i);
		assert_int_equal(reg(f, id, DDI_BY_SELF, &none, NB_OK), 0);
	}
	/* the controller-id rule holds here too */
	assert_int_equal(reg(f, "a b", DDI_BY_SELF, &none, NB_INVALID), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_app_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_device_add_id_rule),
		T(test_device_add_bounds),
		T(test_software_owned),
		T(test_self_register_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
