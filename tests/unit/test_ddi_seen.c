/*
 * test_ddi_seen.c - the batched last_seen writes (ddi_seen_* in
 * src/ddi/ddi_store.c): a batch lands in one transaction; when the store
 * stays locked by another writer, a full queue drops entries instead of
 * writing past its end (run under ASan by `make asan`), and what is queued
 * is written once the lock is gone.
 */
#include <sqlite3.h>
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
	char *dir;
	struct app app;
	sqlite3 *other;		/* a second connection, to hold the write lock */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[PATH_MAX];
	int i;

	f->dir = ut_mkdtemp();
	snprintf(path, sizeof(path), "%s/nestbox.db", f->dir);
	/* a short busy timeout: the locked case must not wait long */
	if (ut_store_open(f->dir, 50, &f->app.db) < 0 || sqlite3_open(path, &f->other) != SQLITE_OK)
		return -1;
	for (i = 1; i <= 400; i++) {
		char cid[32];
		snprintf(cid, sizeof(cid), "dev-%03d", i);
		if (ddi_device_add(&f->app, "DEFAULT", cid, "", NULL, NULL, 0, NULL) < 0)
			return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sqlite3_close(f->other);
	ut_store_close(f->app.db, f->dir);
	free(f);
	return 0;
}

static long long seen_count(struct fx *f)
{
	sqlite3_stmt *st;
	long long n = -1;

	sqlite3_prepare_v2(f->other, "SELECT count(*) FROM ddi_devices WHERE last_seen > 0", -1,
			   &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void queue_all(struct fx *f, struct ddi_seen *q, int from, int to)
{
	struct ddi_device d;
	int i;

	for (i = from; i <= to; i++) {
		char cid[32];
		snprintf(cid, sizeof(cid), "dev-%03d", i);
		assert_int_equal(ddi_device_get(&f->app, "DEFAULT", cid, &d, NULL), 1);
		ddi_seen_queue(&f->app, q, &d, "192.0.2.1");
		ddi_seen_queue(&f->app, q, &d, "192.0.2.1");	/* queued once */
	}
}

static void test_batch_written(void **state)
{
	struct fx *f = *state;
	struct ddi_seen *q = calloc(1, sizeof(*q));

	queue_all(f, q, 1, 10);
	assert_int_equal(q->n, 10);
	assert_int_equal(seen_count(f), 0);		/* nothing written per poll */
	ddi_seen_flush(&f->app, q);
	assert_int_equal(q->n, 0);
	assert_int_equal(seen_count(f), 10);
	free(q);
}

static void test_locked_store_drops_not_overflows(void **state)
{
	struct fx *f = *state;
	struct ddi_seen *q = calloc(1, sizeof(*q));

	assert_int_equal(sqlite3_exec(f->other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	queue_all(f, q, 1, 400);			/* more than the queue holds */
	assert_true(q->n <= DDI_SEEN_MAX);
	assert_int_equal(q->n, DDI_SEEN_MAX);
	assert_int_equal(sqlite3_exec(f->other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	ddi_seen_flush(&f->app, q);
	assert_int_equal(q->n, 0);
	assert_int_equal(seen_count(f), DDI_SEEN_MAX);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batch_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_store_drops_not_overflows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
