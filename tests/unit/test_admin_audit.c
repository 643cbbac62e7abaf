/*
 * The audit feed's store (src/core/audit_store.c) and the rollout groups'
 * classification (ddi_rollout_group), both without a server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../src/admin/admin_audit.h"
#include "../../src/ddi/ddi.h"
#include "unit_util.h"
#include "unit_store.h"

static void test_audit_write_list_filter_cursor(void **state)
{
	char *dir = ut_mkdtemp();
	struct audit_row v[4];
	struct db *db;
	struct nb_err e;
	char long_target[600];
	int n;

	(void)state;
	assert_int_equal(ut_store_open(dir, 1000, &db), 0);
	assert_int_equal(audit_list(db, NULL, 0, v, 4, &e), 0);
	assert_int_equal(audit_write(db, "ann", "page", "rollout pause", &e, "rollout %d", 1),
			 0);
	assert_int_equal(audit_write(db, "bob", "cli", "device delete", &e, "device x"), 0);
	memset(long_target, 'a', sizeof(long_target) - 1);
	long_target[sizeof(long_target) - 1] = '\0';
	assert_int_equal(audit_write(db, "ann", "api", "software add", &e, "%s", long_target),
			 0);
	n = audit_list(db, NULL, 0, v, 4, &e);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].via, "api");	/* newest first */
	assert_int_equal(strlen(v[0].target), AUDIT_TEXT_MAX);	/* cut, not refused */
	assert_string_equal(v[2].target, "rollout 1");
	n = audit_list(db, "ann", 0, v, 4, &e);
	assert_int_equal(n, 2);
	n = audit_list(db, NULL, v[0].id, v, 1, &e);	/* older than the newest of ann */
	assert_int_equal(n, 1);
	assert_string_equal(v[0].user, "bob");
	ut_store_close(db, dir);
}

static struct ddi_rollout ro(void)
{
	struct ddi_rollout r;

	memset(&r, 0, sizeof(r));
	r.id = 7;
	r.percent = 100;
	strcpy(r.state, "running");
	strcpy(r.version, "2.0");
	return r;
}

static struct ddi_rollout_dev dev(const char *mode, const char *version)
{
	struct ddi_rollout_dev d;

	memset(&d, 0, sizeof(d));
	strcpy(d.tenant, "DEFAULT");
	strcpy(d.cid, "dev-1");
	strcpy(d.mode, mode);
	strcpy(d.board, "board-b");
	strcpy(d.revision, "3.0");
	strcpy(d.version, version);
	return d;
}

static void test_rollout_groups(void **state)
{
	struct ddi_rollout r = ro();
	struct ddi_rollout_dev d = dev("rollout", "1.0");

	(void)state;
	assert_int_equal(ddi_rollout_group(&r, &d, "finished", "", 1, 1), DDI_RG_SUCCEEDED);
	assert_int_equal(ddi_rollout_group(&r, &d, "error", "Installing\nERROR: disk\n\n", 1, 1),
			 DDI_RG_FAILED);
	assert_string_equal(d.note, "ERROR: disk");
	assert_int_equal(ddi_rollout_group(&r, &d, "running", "", 1, 1), DDI_RG_WAITING);
	assert_string_equal(d.note, "no answer from the device");
	d.answered = 1;
	assert_int_equal(ddi_rollout_group(&r, &d, "running", "", 1, 1), DDI_RG_RUNNING);
	assert_string_equal(d.note, "installing");
	assert_int_equal(ddi_rollout_group(&r, &d, "canceling", "", 1, 1), DDI_RG_RUNNING);
	assert_int_equal(ddi_rollout_group(&r, &d, "waiting", "", 1, 1), DDI_RG_WAITING);
	assert_string_equal(d.note, "waiting for the device's consent");
	assert_int_equal(ddi_rollout_group(&r, &d, "", "", 1, 1), DDI_RG_WAITING);
	assert_int_equal(ddi_rollout_group(&r, &d, "", "", 0, 1), DDI_RG_NOT_ELIGIBLE);
	assert_string_equal(d.note, "no software for board board-b revision 3.0");
	assert_int_equal(ddi_rollout_group(&r, &d, "", "", 1, 0), DDI_RG_NOT_ELIGIBLE);
	r.percent = ddi_stage_bucket("DEFAULT", "dev-1", 7);	/* just outside the stage */
	assert_int_equal(ddi_rollout_group(&r, &d, "", "", 1, 1), DDI_RG_WAITING);
	assert_int_equal(strncmp(d.note, "outside the stage", 17), 0);
	r.percent = 100;
	strcpy(r.state, "paused");
	assert_int_equal(ddi_rollout_group(&r, &d, "", "", 1, 1), DDI_RG_WAITING);
	assert_string_equal(d.note, "the rollout is paused");
	d = dev("pinned", "1.0");
	assert_int_equal(ddi_rollout_group(&r, &d, "", "", 1, 1), DDI_RG_NOT_ELIGIBLE);
	d = dev("rollout", "2.0");
	r.percent = 100;
	assert_int_equal(ddi_rollout_group(&r, &d, "", "", 1, 1), DDI_RG_NOT_ELIGIBLE);
	assert_string_equal(d.note, "already runs 2.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_write_list_filter_cursor),
		cmocka_unit_test(test_rollout_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
