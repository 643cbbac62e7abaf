/*
 * test_ddi_store_reads.c - the DDI store functions that took over the
 * statements of the device API, rollouts, the software repository and
 * nestboxctl (src/ddi/ddi_rollout_store.c, ddi_software_store.c,
 * ddi_store.c): each answers plain structs as its comment in ddi.h says.
 */
#include <sqlite3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "unit_util.h"
#include "unit_store.h"
#include "../../src/core/core.h"
#include "../../src/ddi/ddi.h"

static int setup(void **state)
{
	static const char *const rows[] = {
		"INSERT INTO ddi_software(id, name, version, kind, filename, size, sha1, md5,"
		" sha256, created) VALUES (1, 'core', '2.0', 'swu', 'a.swu', 7, 'h1', 'h5', 'h256', 0),"
		" (2, 'any', '3.0', 'raucb', 'b.raucb', 9, '', '', '', 0)",
		"INSERT INTO ddi_software_compat VALUES (1, 'board-a', ''), (1, '', '3'),"
		" (1, 'board-c', '3')",
		"INSERT INTO ddi_devices(id, tenant, controller_id, name, tags, hw_model, hw_revision,"
		" sw_version, feed, attributes, state, auto_confirm, auto_confirm_by,"
		" auto_confirm_remark, auto_confirm_at, created) VALUES"
		" (1, 'T2', 'gw', 'Front', 'a,b', 'board-a', '1', '1.0', 'prod',"
		"  '{\"hw_boardname\":\"board-a\"}', 'running', 1, 'ops', 'night', 1234, 0),"
		" (2, 'DEFAULT', 'gw', '', '', 'board-z', '', '1.5', 'prod', '', 'registered',"
		"  0, '', '', 0, 0),"
		" (3, 'DEFAULT', 'cam', '', '', '', '', '', 'lab', '', 'registered', 0, '', '', 0, 0)",
		"INSERT INTO ddi_rollouts(id, name, feed, software_id, state, created, updated)"
		" VALUES (1, 'r1', 'prod', 1, 'running', 0, 0), (2, 'r2', 'lab', 2, 'finished', 0, 0)",
		"INSERT INTO ddi_actions(id, device_id, software_id, rollout_id, status, progress,"
		" created, updated) VALUES (1, 1, 2, NULL, 'finished', 100, 0, 0),"
		" (2, 1, 1, 1, 'running', 40, 0, 0), (3, 3, 1, 1, 'waiting', 0, 0, 0)",
		"INSERT INTO ddi_action_status(action_id, ts, execution, finished, details) VALUES"
		" (2, 0, 'proceeding', 'none', 'step 1\n'), (2, 0, 'proceeding', 'none', 'step 2\n')",
	};

	return ut_app_setup(state, rows, sizeof(rows) / sizeof(rows[0]));
}

/* Devices read back: attributes, auto-confirm, the first tenant, all by id. */
static void test_device_reads(void **state)
{
	struct ut_app *f = *state;
	struct ddi_device_row *rows;
	struct ddi_autoconfirm ac;
	struct nb_err e;
	char tenant[DDI_FEED_MAX + 1];

	const char *attrs;

	assert_int_equal(ddi_device_attrs_text(&f->app, &f->a, 1, &attrs, &e), 0);
	assert_string_equal(attrs, "{\"hw_boardname\":\"board-a\"}");
	assert_int_equal(ddi_device_attrs_text(&f->app, &f->a, 2, &attrs, &e), 0);
	assert_string_equal(attrs, "");
	assert_int_equal(ddi_device_attrs_text(&f->app, &f->a, 99, &attrs, &e), 0);
	assert_string_equal(attrs, "");
	assert_int_equal(ddi_device_autoconfirm_get(&f->app, &f->a, 1, &ac, &e), 0);
	assert_string_equal(ac.by, "ops");
	assert_string_equal(ac.remark, "night");
	assert_int_equal(ac.at, 1234);
	assert_int_equal(ddi_device_autoconfirm_get(&f->app, &f->a, 99, &ac, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	/* the same controller id in two tenants: the first device's */
	assert_int_equal(ddi_device_first_tenant(&f->app, "gw", tenant, sizeof(tenant), &e), 0);
	assert_string_equal(tenant, "T2");
	assert_int_equal(ddi_device_first_tenant(&f->app, "nope", tenant, sizeof(tenant), &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_string_equal(e.msg, "no device nope");
	assert_string_equal(tenant, "");
	assert_int_equal(ddi_device_roster(&f->app, &f->a, &rows, &e), 3);
	assert_string_equal(rows[0].cid, "cam");
	assert_string_equal(rows[1].cid, "gw");
	assert_string_equal(rows[2].cid, "gw");
	assert_true(!strcmp(rows[1].tenant, "T2") ? rows[1].id == 1 : rows[1].id == 2);
	assert_string_equal(rows[1].id == 1 ? rows[1].name : rows[2].name, "Front");
	assert_string_equal(rows[1].id == 1 ? rows[1].tags : rows[2].tags, "a,b");
}

/* A device's actions, newest first, with the software's version. */
static void test_action_history(void **state)
{
	struct ut_app *f = *state;
	struct ddi_action_entry *v;
	struct nb_err e;

	assert_int_equal(ddi_action_history(&f->app, &f->a, 1, &v, &e), 2);
	assert_int_equal(v[0].a.id, 2);
	assert_string_equal(v[0].a.status, "running");
	assert_int_equal(v[0].a.progress, 40);
	assert_int_equal(v[0].a.rollout_id, 1);
	assert_string_equal(v[0].version, "2.0");
	assert_int_equal(v[1].a.rollout_id, 0);
	assert_string_equal(v[1].version, "3.0");
	assert_int_equal(ddi_action_history(&f->app, &f->a, 2, &v, &e), 0);
}

/* The catalogue, by id, each software with its own compatibility entries. */
static void test_software_catalogue(void **state)
{
	struct ut_app *f = *state;
	struct ddi_software_entry *v;
	struct nb_err e;

	assert_int_equal(ddi_software_catalogue(&f->app, &f->a, &v, &e), 2);
	assert_int_equal(v[0].s.id, 1);
	assert_int_equal(v[0].s.size, 7);
	assert_string_equal(v[0].s.sha256, "h256");
	assert_string_equal(v[0].kind, "swu");
	/* by board, then revision; "" is any */
	assert_int_equal(v[0].ncompat, 3);
	assert_string_equal(v[0].compat[0].board, "");
	assert_string_equal(v[0].compat[0].revision, "3");
	assert_string_equal(v[0].compat[1].board, "board-a");
	assert_string_equal(v[0].compat[1].revision, "");
	assert_string_equal(v[0].compat[2].board, "board-c");
	assert_string_equal(v[0].compat[2].revision, "3");
	assert_string_equal(v[1].kind, "raucb");
	assert_int_equal(v[1].ncompat, 0);
}

/* Collects what ddi_software_version_each hands over ("board/revision;"), walks on. */
static int collect(void *ctx, const char *board, const char *revision)
{
	char *out = ctx;

	snprintf(out + strlen(out), 256 - strlen(out), "%s/%s;", board ? board : "NULL",
		 revision ? revision : "NULL");
	return 0;
}

static int stop_at_first(void *ctx, const char *board, const char *revision)
{
	(void)board;
	(void)revision;
	++*(int *)ctx;
	return 7;
}

/* Entries of a version, NULL for software without any; the walk stops on non-zero. */
static void test_software_version_each(void **state)
{
	struct ut_app *f = *state;
	char seen[256] = "";
	int calls = 0;

	assert_int_equal(ddi_software_version_each(&f->app, "3.0", collect, seen, NULL), 0);
	assert_string_equal(seen, "NULL/NULL;");
	seen[0] = '\0';
	assert_int_equal(ddi_software_version_each(&f->app, "2.0", collect, seen, NULL), 0);
	assert_int_equal(strlen(seen), strlen("board-a/;/3;board-c/3;"));
	assert_int_equal(ddi_software_version_each(&f->app, "2.0", stop_at_first, &calls, NULL), 7);
	assert_int_equal(calls, 1);
	calls = 0;
	assert_int_equal(ddi_software_version_each(&f->app, "9.9", stop_at_first, &calls, NULL), 0);
	assert_int_equal(calls, 0);
}

/* A row with its URL and entries; the id is new. */
static void test_software_insert(void **state)
{
	struct ut_app *f = *state;
	struct swu_compat c[2] = { { "b", "" }, { "b", "" } };	/* a repeat is kept once */
	struct ddi_software s = { 0 }, got;
	struct ddi_software_entry *v;
	struct nb_err e;
	long long id;

	strcpy(s.name, "n");
	strcpy(s.version, "4.0");
	strcpy(s.filename, "n.swu");
	strcpy(s.url, "https://cdn.example/n.swu");
	s.size = 5;
	assert_int_equal(db_begin(f->app.db), 0);
	id = ddi_software_insert(&f->app, &s, "swu", "desc", c, 2, &e);
	assert_int_equal(db_commit(f->app.db), 0);
	assert_true(id > 2);
	assert_int_equal(ddi_software_get(&f->app, id, &got, &e), 0);
	assert_string_equal(got.url, "https://cdn.example/n.swu");
	assert_int_equal(ddi_software_catalogue(&f->app, &f->a, &v, &e), 3);
	assert_int_equal(v[2].ncompat, 1);
	assert_string_equal(v[2].compat[0].board, "b");
	assert_int_equal(v[1].ncompat, 0);	/* the entries went to their own software */
	assert_int_equal(v[0].ncompat, 3);
}

/* Rollout rows: put_* change only a running or paused one; close says why not. */
static void test_rollout_rows(void **state)
{
	struct ut_app *f = *state;
	struct ddi_rollout r;
	struct nb_err e;
	int withdrawn = -1;

	assert_int_equal(ddi_rollout_put_percent(&f->app, 1, 30, &e), 1);
	assert_int_equal(ddi_rollout_put_percent(&f->app, 2, 30, &e), 0);	/* finished */
	assert_int_equal(ddi_rollout_put_state(&f->app, 1, "paused", &e), 1);
	assert_int_equal(ddi_rollout_get(&f->app, 1, &r, NULL), 0);
	assert_string_equal(r.pause_reason, "paused by an operator");
	assert_int_equal(r.percent, 30);
	assert_int_equal(ddi_rollout_put_limits(&f->app, 1, 3, 50, &e), 1);
	assert_int_equal(ddi_rollout_put_limits(&f->app, 2, 3, 50, &e), 0);	/* finished */
	assert_int_equal(ddi_rollout_put_limits(&f->app, 99, 3, 50, &e), 0);
	assert_int_equal(ddi_rollout_close(&f->app, 2, "canceled", &withdrawn, &e), 1);
	assert_int_equal(withdrawn, 0);
	assert_int_equal(ddi_rollout_close(&f->app, 1, "canceled", &withdrawn, &e), 0);
	assert_int_equal(withdrawn, 2);		/* one waiting canceled, one running canceling */
	assert_int_equal(ddi_rollout_get(&f->app, 1, &r, NULL), 0);
	assert_string_equal(r.state, "canceled");
	assert_int_equal(ddi_rollout_close(&f->app, 1, "finished", &withdrawn, &e), 1);
}

/*
 * The compatibility table replaced by a view whose rows fail when stepped
 * (json() of a board that is not JSON): statements over it prepare, and
 * their first step is the store's error, as a disk error midway would be.
 */
static void compat_fails_on_step(struct ut_app *f)
{
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE ddi_software_compat RENAME TO c_away"), 0);
	assert_int_equal(db_exec(f->app.db, "CREATE VIEW ddi_software_compat AS SELECT software_id,"
				 " json(board || '{') AS board, revision FROM c_away"), 0);
}

/* A software that is not there is NB_NOT_FOUND; a store that fails is
 * NB_UNAVAILABLE, never "not there" or "not compatible". */
static void test_software_kinds(void **state)
{
	struct ut_app *f = *state;
	struct ddi_software s;
	struct ddi_device d = { .id = 1, .assigned = 0 };
	struct nb_err e = { NB_OK, "" };
	char seen[256] = "";

	assert_int_equal(ddi_software_get(&f->app, 99, &s, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_string_equal(e.msg, "no software 99");
	assert_int_equal(ddi_software_owned(&f->app, &d, 2, &e), 1);
	assert_int_equal(ddi_software_owned(&f->app, &d, 99, &e), 0);
	assert_int_equal(ddi_software_latest(&f->app, "board-z", "", &e), 2);
	/* a failed step of the walk is the store's failure, not "no overlap" */
	compat_fails_on_step(f);
	nb_err_clear(&e);
	assert_int_equal(ddi_software_version_each(&f->app, "2.0", collect, seen, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE ddi_software RENAME TO s_away"), 0);
	nb_err_clear(&e);
	assert_int_equal(ddi_software_get(&f->app, 1, &s, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_software_latest(&f->app, "board-z", "", &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE ddi_actions RENAME TO a_away"), 0);
	nb_err_clear(&e);
	assert_int_equal(ddi_software_owned(&f->app, &d, 2, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_software_rerank(&f->app, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	/* gc keeps a blob the store cannot vouch for */
	nb_err_clear(&e);
	assert_int_equal(ddi_software_blob_known(&f->app, "h256", &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
}

/* Deleting software whose use cannot be checked is a store error (503),
 * not "in use" (409). */
static void test_software_delete_kinds(void **state)
{
	struct ut_app *f = *state;
	struct nb_err e = { NB_OK, "" };

	assert_int_equal(ddi_software_delete(&f->app, 99, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ddi_software_delete(&f->app, 1, &e), -1);
	assert_int_equal(e.kind, NB_CONFLICT);
	/* software 3 is used by nothing; the rollouts cannot be read */
	assert_int_equal(db_exec(f->app.db, "INSERT INTO ddi_software(id, name, version, kind,"
				 " filename, size, sha1, md5, sha256, created)"
				 " VALUES (3, 'free', '4.0', 'swu', 'c.swu', 1, '', '', '', 0)"), 0);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE ddi_rollouts RENAME TO r_away"), 0);
	assert_int_equal(db_exec(f->app.db, "CREATE VIEW ddi_rollouts AS SELECT json(name || '{')"
				 " AS software_id FROM r_away"), 0);
	nb_err_clear(&e);
	assert_int_equal(ddi_software_delete(&f->app, 3, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(ut_q1(f->app.db, "SELECT count(*) FROM ddi_software"), 3);
}

/* The registry's functions: a device that is not there is NB_NOT_FOUND
 * (or a 0 "none"), a bad argument NB_INVALID, nothing open to cancel
 * NB_CONFLICT; a store that fails is NB_UNAVAILABLE, never "none" or "". */
static void test_device_kinds(void **state)
{
	struct ut_app *f = *state;
	struct ddi_device d;
	struct nb_err e = { NB_OK, "" };
	const char *attrs = "x";
	char tags[256], tenant[DDI_FEED_MAX + 1];

	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "nope", &d, &e), 0);
	assert_int_equal(ddi_device_set_mode(&f->app, 99, "latest", 0, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ddi_device_set_mode(&f->app, 1, "sideways", 0, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_int_equal(ddi_device_set_field(&f->app, 99, "feed", "beta", &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ddi_device_set_field(&f->app, 1, "colour", "red", &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_int_equal(ddi_device_delete(&f->app, 99, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ddi_device_tags(&f->app, 99, tags, sizeof(tags), &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ddi_action_cancel(&f->app, 2, &e), -1);	/* nothing open */
	assert_int_equal(e.kind, NB_CONFLICT);
	assert_int_equal(ddi_action_cancel(&f->app, 3, &e), 0);		/* its waiting one */
	assert_int_equal(ddi_device_auto_confirm(&f->app, 99, 1, "ops", "", &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE ddi_devices RENAME TO d_away"), 0);
	nb_err_clear(&e);
	assert_int_equal(ddi_device_get(&f->app, "T2", "gw", &d, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	/* configData must not merge into "" when the stored attributes cannot be read */
	assert_int_equal(ddi_device_attrs_text(&f->app, &f->a, 1, &attrs, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_device_first_tenant(&f->app, "gw", tenant, sizeof(tenant), &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_device_tags(&f->app, 1, tags, sizeof(tags), &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_device_set_mode(&f->app, 1, "latest", 0, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_device_delete(&f->app, 1, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
}

/* Actions and the decision: "none" is 0 (or NB_NOT_FOUND for an action
 * asked for by id), a store that fails is -1 NB_UNAVAILABLE: never "no
 * candidate", "nothing running" or "never failed" made from a failed read. */
static void test_action_kinds(void **state)
{
	struct ut_app *f = *state;
	struct ddi_device d;
	struct ddi_action a;
	struct ddi_candidate c;
	struct ddi_explained x;
	struct nb_err e = { NB_OK, "" };
	const char *lines[DDI_HISTORY_MAX];

	assert_int_equal(ddi_device_get(&f->app, "T2", "gw", &d, &e), 1);
	assert_int_equal(ddi_action_get(&f->app, 1, 99, &a, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_string_equal(e.msg, "no such action");
	assert_int_equal(ddi_action_get(&f->app, 3, 2, &a, &e), -1);	/* another device's */
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ddi_action_open(&f->app, 1, &a, &e), 1);
	assert_int_equal(a.id, 2);
	assert_int_equal(ddi_action_open(&f->app, 2, &a, &e), 0);
	assert_int_equal(ddi_candidate_lookup(&f->app, &d, &c, &e), 1);	/* rollout 1 */
	assert_int_equal(c.rollout_id, 1);
	assert_int_equal(ddi_running_count(&f->app, &e), 2);
	/* the rollout's compatibility cannot be read: not "no candidate" */
	compat_fails_on_step(f);
	nb_err_clear(&e);
	assert_int_equal(ddi_candidate_lookup(&f->app, &d, &c, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_explain(&f->app, &f->a, &d, 0, &x, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE ddi_actions RENAME TO a_away"), 0);
	nb_err_clear(&e);
	assert_int_equal(ddi_running_count(&f->app, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_failed_before(&f->app, 1, 1, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_action_open(&f->app, 1, &a, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_action_get(&f->app, 1, 2, &a, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE ddi_action_status RENAME TO s_away"), 0);
	nb_err_clear(&e);
	assert_int_equal(ddi_action_messages(&f->app, &f->a, 2, -1, lines, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
}

/* The rules' functions say why a change was not made: no such rollout
 * (NB_NOT_FOUND), one that ended (NB_CONFLICT), a bad value (NB_INVALID);
 * the store's failure is NB_UNAVAILABLE, never "not found" or a short list. */
static void test_rollout_kinds(void **state)
{
	struct ut_app *f = *state;
	struct ddi_rollout v[4];
	struct nb_err e = { NB_OK, "" };

	assert_int_equal(ddi_rollout_set_state(&f->app, 99, "paused", &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ddi_rollout_set_state(&f->app, 2, "paused", &e), -1);
	assert_int_equal(e.kind, NB_CONFLICT);
	assert_string_equal(e.msg, "rollout 2 is finished: it changes no more");
	assert_int_equal(ddi_rollout_set_state(&f->app, 1, "sideways", &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_int_equal(ddi_rollout_stage(&f->app, 1, 0, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_int_equal(ddi_rollout_stage(&f->app, 1, 50, &e), 0);
	assert_int_equal(ddi_rollout_limits(&f->app, 99, 1, 1, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ddi_rollout_list(&f->app, v, 4, 0, &e), 2);
	assert_int_equal(ddi_rollout_active(&f->app, v, 4, &e), 1);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE ddi_rollouts RENAME TO r_away"), 0);
	nb_err_clear(&e);
	assert_int_equal(ddi_rollout_set_state(&f->app, 1, "paused", &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_rollout_limits(&f->app, 1, 1, 1, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_rollout_list(&f->app, v, 4, 0, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	nb_err_clear(&e);
	assert_int_equal(ddi_rollout_result(&f->app, 1, 0, 1, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
}

/* A missing rollout is NB_NOT_FOUND; a store that cannot be read is
 * NB_UNAVAILABLE (a 503 on the pages, not a 404). */
static void test_rollout_get_kinds(void **state)
{
	struct ut_app *f = *state;
	struct ddi_rollout r;
	struct nb_err e = { NB_OK, "" };

	assert_int_equal(ddi_rollout_get(&f->app, 99, &r, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_string_equal(e.msg, "no rollout 99");
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE ddi_rollouts RENAME TO r_away"), 0);
	assert_int_equal(ddi_rollout_get(&f->app, 1, &r, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_string_equal(e.msg, "cannot read rollout 1");
}

struct walk {
	char seen[256];
};

static void take(void *ctx, struct ddi_rollout_devrow *row)
{
	struct walk *w = ctx;

	snprintf(w->seen + strlen(w->seen), sizeof(w->seen) - strlen(w->seen),
		 "%lld:%s:%s:%d:%d;", row->d.id, row->status, row->details, row->compatible,
		 row->has_attrs);
}

/* A rollout's devices: its feed's and those with its actions, each with its newest one. */
static void test_rollout_dev_each(void **state)
{
	struct ut_app *f = *state;
	struct ddi_rollout r;
	struct walk w = { "" };
	struct nb_err e;

	assert_int_equal(ddi_rollout_get(&f->app, 1, &r, NULL), 0);
	assert_int_equal(ddi_rollout_dev_each(&f->app, &r, take, &w, &e), 3);
	assert_string_equal(w.seen, "1:running:step 2\n:1:1;2:::0:0;3:waiting::0:0;");
}

/*
 * A store made before schema step 17 (the poll's covering index and
 * has_attrs): after the migration the poll's lookup reads each device as
 * before, has_attrs follows the attributes (migrated rows, new rows,
 * changed attributes) and the statement reads the index alone.
 */
static void test_device_get_after_step_17(void **state)
{
	static const char *const old_rows[] = {
		"INSERT INTO ddi_software(id, name, version, kind, filename, size, sha1, md5,"
		" sha256, created) VALUES (1, 'core', '2.0', 'swu', 'a.swu', 7, '', '', '', 0)",
		"INSERT INTO ddi_devices(id, tenant, controller_id, token_hash, hw_model, hw_revision,"
		" sw_version, feed, mode, assigned, force, state, attributes, last_seen, auto_confirm,"
		" held, created) VALUES"
		" (1, 'DEFAULT', 'with', 'th1', 'board-a', '1', '1.0', 'prod', 'assigned', 1, 1,"
		"  'running', '{\"hw_boardname\":\"board-a\"}', 77, 1, 0, 0),"
		" (2, 'DEFAULT', 'without', '', '', '', '', 'default', 'rollout', NULL, 0,"
		"  'registered', '', 0, 0, 1, 0)",
		"INSERT INTO ddi_actions(id, device_id, software_id, status, progress, created,"
		" updated) VALUES (5, 1, 1, 'running', 40, 0, 0)",
	};
	struct ut_app *f = *state;
	struct ddi_device d;
	struct nb_err e;
	char path[PATH_MAX];
	size_t i;

	/* f's store is replaced by one at step 16 */
	db_close(f->app.db);
	snprintf(path, sizeof(path), "%s/old.db", f->dir);
	assert_int_equal(db_open(path, 1000, core_schema, 16, &f->app.db, &e), 0);
	for (i = 0; i < sizeof(old_rows) / sizeof(old_rows[0]); i++)
		assert_int_equal(db_exec(f->app.db, old_rows[i]), 0);
	db_close(f->app.db);
	assert_int_equal(db_open(path, 1000, core_schema, core_schema_steps, &f->app.db, &e), 0);
	assert_int_equal(db_version(f->app.db), core_schema_steps);

	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "with", &d, NULL), 1);
	assert_int_equal(d.id, 1);
	assert_string_equal(d.token_hash, "th1");
	assert_string_equal(d.hw_model, "board-a");
	assert_string_equal(d.hw_revision, "1");
	assert_string_equal(d.sw_version, "1.0");
	assert_string_equal(d.feed, "prod");
	assert_string_equal(d.mode, "assigned");
	assert_int_equal(d.assigned, 1);
	assert_int_equal(d.force, 1);
	assert_string_equal(d.state, "running");
	assert_int_equal(d.has_attrs, 1);
	assert_int_equal(d.last_seen, 77);
	assert_int_equal(d.auto_confirm, 1);
	assert_int_equal(d.last.id, 5);
	assert_string_equal(d.last.status, "running");
	assert_int_equal(d.last.progress, 40);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "without", &d, NULL), 1);
	assert_int_equal(d.has_attrs, 0);
	assert_int_equal(d.held, 1);
	assert_int_equal(d.last.id, 0);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "nope", &d, NULL), 0);

	/* the attributes written later, by the device or by an insert */
	assert_int_equal(ddi_device_attributes(&f->app, &d, "{\"a\":\"1\"}", NULL, NULL, NULL, NULL), 0);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "without", &d, NULL), 1);
	assert_int_equal(d.has_attrs, 1);
	assert_int_equal(db_exec(f->app.db, "UPDATE ddi_devices SET attributes = '' WHERE id = 2"), 0);
	assert_int_equal(db_exec(f->app.db, "UPDATE ddi_devices SET has_attrs = 1 WHERE id = 2"), 0);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "without", &d, NULL), 1);
	assert_int_equal(d.has_attrs, 0);
	assert_int_equal(db_exec(f->app.db, "INSERT INTO ddi_devices(tenant, controller_id,"
				 " attributes, created) VALUES ('DEFAULT', 'new', '{}', 0),"
				 " ('DEFAULT', 'bare', '', 0)"), 0);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "new", &d, NULL), 1);
	assert_int_equal(d.has_attrs, 1);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "bare", &d, NULL), 1);
	assert_int_equal(d.has_attrs, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_app_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_device_reads),
		T(test_action_history),
		T(test_software_catalogue),
		T(test_software_version_each),
		T(test_software_insert),
		T(test_rollout_rows),
		T(test_rollout_get_kinds),
		T(test_rollout_dev_each),
		T(test_software_kinds),
		T(test_software_delete_kinds),
		T(test_device_kinds),
		T(test_action_kinds),
		T(test_rollout_kinds),
		T(test_device_get_after_step_17),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
