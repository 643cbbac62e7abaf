/*
 * test_ddi_find.c - finding and changing devices in bulk
 * (src/ddi/ddi_store.c): ddi_device_search's substring search, filters,
 * sort and page with its total; ddi_device_bulk all or nothing;
 * ddi_nocand_facts, what explains a decision without a candidate.
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
		" sha256, created) VALUES (1, 'core', '2.0', 'swu', 'a.swu', 1, '', '', '', 0)",
		"INSERT INTO ddi_software_compat VALUES (1, 'board-a', ''), (1, 'board-c', '3')",
		"INSERT INTO ddi_devices(id, tenant, controller_id, name, tags, hw_model,"
		" sw_version, feed, attributes, state, created) VALUES"
		" (1, 'DEFAULT', 'gw-01', 'Front Door', 'lobby,cam', 'board-a', '1.0', 'prod',"
		"  '{\"hw_boardname\":\"board-a\",\"site\":\"hall-1\"}', 'registered', 0),"
		" (2, 'DEFAULT', 'gw-02', 'Back', '', 'board-a', '1.5', 'prod-eu', '{}', 'error', 0),"
		" (3, 'DEFAULT', 'sensor-9', '', 'lobby', 'board-b', '1.2', 'lab',"
		"  '{\"board\":\"board-b\",\"ver\":\"1\"}', 'registered', 0)",
		"INSERT INTO ddi_rollouts(id, name, feed, software_id, state, pause_reason, created,"
		" updated) VALUES (1, 'old', 'prod', 1, 'paused', 'too many failures', 0, 0)",
		"INSERT INTO ddi_actions(id, device_id, software_id, status, progress, created,"
		" updated) VALUES (1, 2, 1, 'running', 0, 0, 0)",
	};

	return ut_app_setup(state, rows, sizeof(rows) / sizeof(rows[0]));
}

/* The controller ids s finds, joined by spaces; *total how many match. */
static const char *find(struct ut_app *f, struct ddi_search s, long long *total)
{
	static char out[256];
	struct ddi_device_row rows[8];
	struct nb_err e;
	int n, i;

	if (!s.limit)
		s.limit = 8;
	if (!s.seen_lo)
		s.seen_lo = -1;
	n = ddi_device_search(&f->app, &s, rows, 8, total, &e);
	assert_true(n >= 0);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "",
			 rows[i].cid);
	return out;
}

static void test_search(void **state)
{
	struct ut_app *f = *state;
	long long total;

	/* controller id, name, tags and attributes, case-insensitive */
	assert_string_equal(find(f, (struct ddi_search){ .q = "GW-" }, &total), "gw-01 gw-02");
	assert_string_equal(find(f, (struct ddi_search){ .q = "door" }, &total), "gw-01");
	assert_string_equal(find(f, (struct ddi_search){ .q = "lobby" }, &total), "gw-01 sensor-9");
	assert_string_equal(find(f, (struct ddi_search){ .q = "hall-1" }, &total), "gw-01");
	assert_string_equal(find(f, (struct ddi_search){ .q = "%" }, &total), "");
	/* substring filters, an exact state */
	assert_string_equal(find(f, (struct ddi_search){ .feed = "prod" }, &total), "gw-01 gw-02");
	assert_string_equal(find(f, (struct ddi_search){ .model = "-b" }, &total), "sensor-9");
	assert_string_equal(find(f, (struct ddi_search){ .version = ".5" }, &total), "gw-02");
	assert_string_equal(find(f, (struct ddi_search){ .state = "err" }, &total), "");
	assert_string_equal(find(f, (struct ddi_search){ .state = "error" }, &total), "gw-02");
	/* sort and page; the total counts every match */
	assert_string_equal(find(f, (struct ddi_search){ .sort = DDI_SORT_VERSION, .desc = 1 },
				 &total), "gw-02 sensor-9 gw-01");
	assert_string_equal(find(f, (struct ddi_search){ .sort = DDI_SORT_NAME, .limit = 1,
						       .offset = 1 }, &total), "gw-02");
	assert_int_equal(total, 3);
	assert_string_equal(find(f, (struct ddi_search){ .after = 1 }, &total), "gw-02 sensor-9");
}

static void test_search_refuses_out_of_range(void **state)
{
	struct ut_app *f = *state;
	struct ddi_device_row rows[2];
	struct ddi_search s = { .sort = DDI_SORT_COUNT, .limit = 1, .seen_lo = -1 };
	long long total;
	struct nb_err e;

	assert_int_equal(ddi_device_search(&f->app, &s, rows, 2, &total, &e), -1);
	assert_int_equal(e.kind, NB_INTERNAL);
	s.sort = DDI_SORT_ID;
	s.limit = 3;		/* more than the room given */
	assert_int_equal(ddi_device_search(&f->app, &s, rows, 2, &total, &e), -1);
}

static const char *feeds(struct ut_app *f)
{
	static char out[128];
	struct db_stmt *st = db_stmt(f->app.db, "SELECT group_concat(feed || ':' || mode, ' ')"
				   " FROM (SELECT feed, mode FROM ddi_devices ORDER BY id)");

	out[0] = '\0';
	if (st && db_step(st) == DB_ROW && db_column_text(st, 0))
		snprintf(out, sizeof(out), "%s", db_column_text(st, 0));
	db_reset(st);
	return out;
}

static void test_bulk(void **state)
{
	struct ut_app *f = *state;
	long long two[] = { 1, 2 }, gone[] = { 1, 99 }, all[] = { 1, 2, 3 };
	struct nb_err e;

	assert_int_equal(ddi_device_bulk(&f->app, DDI_BULK_FEED, two, 2, "lab", 0, &e), 2);
	assert_string_equal(feeds(f), "lab:rollout lab:rollout lab:rollout");
	/* one device missing: nothing of the batch changes */
	assert_int_equal(ddi_device_bulk(&f->app, DDI_BULK_MODE, gone, 2, "pinned", 0, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_string_equal(feeds(f), "lab:rollout lab:rollout lab:rollout");
	assert_int_equal(ddi_device_bulk(&f->app, DDI_BULK_MODE, two, 2, "assigned", 0, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_int_equal(ddi_device_bulk(&f->app, DDI_BULK_FEED, two, 2, "", 0, &e), -1);
	assert_int_equal(ddi_device_bulk(&f->app, DDI_BULK_ASSIGN, two, 2, NULL, 5, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ddi_device_bulk(&f->app, DDI_BULK_ASSIGN, two, 2, NULL, 1, &e), 2);
	assert_string_equal(feeds(f), "lab:assigned lab:assigned lab:rollout");
	/* cancel counts the devices that had an open action */
	assert_int_equal(ddi_device_bulk(&f->app, DDI_BULK_CANCEL, all, 3, NULL, 0, &e), 1);
	assert_int_equal(ddi_device_bulk(&f->app, DDI_BULK_DELETE, all, 3, NULL, 0, &e), 3);
	assert_string_equal(feeds(f), "");
}

static void test_nocand_facts(void **state)
{
	struct ut_app *f = *state;
	struct ddi_device d;
	struct ddi_nocand w;
	struct arena a;
	char tags[256];

	arena_init(&a);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "gw-01", &d, NULL), 1);
	assert_int_equal(ddi_nocand_facts(&f->app, &a, &d, &w, NULL), 0);
	assert_int_equal(w.rollout_id, 1);
	assert_string_equal(w.rollout_state, "paused");
	assert_string_equal(w.pause_reason, "too many failures");
	/* the attributes as stored: the explanation names them */
	assert_string_equal(w.attributes, "{\"hw_boardname\":\"board-a\",\"site\":\"hall-1\"}");
	assert_int_equal(w.ncompat, 0);
	/* a running rollout of the feed comes before a paused one */
	assert_int_equal(db_exec(f->app.db, "INSERT INTO ddi_rollouts(id, name, feed, software_id,"
				 " created, updated) VALUES (2, 'new', 'prod', 1, 0, 0)"), 0);
	assert_int_equal(ddi_nocand_facts(&f->app, &a, &d, &w, NULL), 0);
	assert_int_equal(w.rollout_id, 2);
	assert_string_equal(w.rollout_state, "running");
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "sensor-9", &d, NULL), 1);
	assert_int_equal(ddi_nocand_facts(&f->app, &a, &d, &w, NULL), 0);
	assert_int_equal(w.rollout_id, 0);	/* no rollout on feed lab */
	assert_int_equal(ddi_device_set_mode(&f->app, d.id, "assigned", 1, NULL), 0);
	assert_int_equal(ddi_device_get(&f->app, "DEFAULT", "sensor-9", &d, NULL), 1);
	assert_int_equal(ddi_nocand_facts(&f->app, &a, &d, &w, NULL), 0);
	assert_int_equal(w.assigned_id, 1);
	/* its compatibility rows, by board and revision ("" any) */
	assert_int_equal(w.ncompat, 2);
	assert_string_equal(w.compat[0].board, "board-a");
	assert_string_equal(w.compat[0].revision, "");
	assert_string_equal(w.compat[1].board, "board-c");
	assert_string_equal(w.compat[1].revision, "3");
	assert_non_null(strstr(w.attributes, "\"board\""));
	assert_non_null(strstr(w.attributes, "\"ver\""));
	assert_int_equal(ddi_device_tags(&f->app, 1, tags, sizeof(tags), NULL), 0);
	assert_string_equal(tags, "lobby,cam");
	assert_int_equal(ddi_device_tags(&f->app, 99, tags, sizeof(tags), NULL), -1);
	arena_free(&a);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, ut_app_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_search),
		T(test_search_refuses_out_of_range),
		T(test_bulk),
		T(test_nocand_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
