/*
 * test_admin_ddi_input.c - what the DDI admin pages and API accept: route
 * ids, form numbers, feeds, the device list filters and the JSON bodies,
 * with each rejected input checked on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/admin/admin_ddi.h"

static void test_ids_and_numbers(void **state)
{
	long v = 0;

	(void)state;
	assert_true(admin_id_ok("1"));
	assert_true(admin_id_ok("123456789012345678"));
	assert_false(admin_id_ok(""));
	assert_false(admin_id_ok("1234567890123456789"));
	assert_false(admin_id_ok("12a"));
	assert_false(admin_id_ok("-1"));
	assert_int_equal(admin_int("42", 1, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(admin_int("0", 1, 100, &v), -1);
	assert_int_equal(admin_int("101", 1, 100, &v), -1);
	assert_int_equal(admin_int("4x", 1, 100, &v), -1);
	assert_int_equal(admin_int(" 4", 1, 100, &v), -1);
	assert_int_equal(admin_int("", 1, 100, &v), -1);
	assert_int_equal(admin_int(NULL, 1, 100, &v), -1);
	assert_int_equal(admin_int("99999999999999999999", 0, 100, &v), -1);
	assert_true(admin_label_ok("beta-1", 63));
	assert_false(admin_label_ok("", 63));
	assert_false(admin_label_ok("a\nb", 63));
	assert_false(admin_label_ok(NULL, 63));
}

static struct query q_of(struct arena *a, const char *s)
{
	struct query q;
	struct nb_err err;

	assert_int_equal(query_parse(a, s, strlen(s), &q, &err), 0);
	return q;
}

static void test_filters(void **state)
{
	struct arena a;
	struct admin_dev_filter f;
	struct query q;
	struct nb_err err;

	(void)state;
	arena_init(&a);
	q = q_of(&a, "state=error&feed=&model=board-a&seen=hour&after=7");
	assert_int_equal(admin_dev_filter_parse(&q, 10000, &f, &err), 0);
	assert_string_equal(f.state, "error");
	assert_null(f.feed);			/* an empty field is no filter */
	assert_string_equal(f.model, "board-a");
	assert_int_equal(f.seen_lo, 10000 - 3600);
	assert_int_equal(f.after, 7);
	q = q_of(&a, "seen=never");
	assert_int_equal(admin_dev_filter_parse(&q, 10000, &f, &err), 0);
	assert_true(f.seen_lo == 0 && f.seen_hi == 0);
	q = q_of(&a, "seen=old");
	assert_int_equal(admin_dev_filter_parse(&q, 100000, &f, &err), 0);
	assert_true(f.seen_lo == 1 && f.seen_hi == 100000 - 86400 - 1);
	q = q_of(&a, "");
	assert_int_equal(admin_dev_filter_parse(&q, 100000, &f, &err), 0);
	assert_true(f.seen_lo < 0 && f.after == 0);
	q = q_of(&a, "seen=soon");
	assert_int_equal(admin_dev_filter_parse(&q, 100000, &f, &err), -1);
	assert_int_equal(err.kind, NB_INVALID);
	assert_string_equal(err.msg, "seen must be hour, day, old or never");
	q = q_of(&a, "after=-3");
	assert_int_equal(admin_dev_filter_parse(&q, 100000, &f, &err), -1);
	q = q_of(&a, "after=x");
	assert_int_equal(admin_dev_filter_parse(&q, 100000, &f, &err), -1);
	assert_int_equal(err.kind, NB_INVALID);
	assert_string_equal(err.msg, "after must be a device id");
	arena_free(&a);
}

/* admin_rollout_parse on s; a refusal must be NB_INVALID with a message. */
static int rollout(const char *s, struct ddi_rollout *r)
{
	struct nb_err err;
	int rc;

	nb_err_clear(&err);
	rc = admin_rollout_parse(s, strlen(s), r, &err);
	assert_true(rc == 0 || (err.kind == NB_INVALID && err.msg[0]));
	return rc;
}

/* Asserts body s is refused as invalid with exactly the message want. */
#define assert_rollout_refused(s, want) do {				\
	struct ddi_rollout r_;						\
	struct nb_err e_;						\
	assert_int_equal(admin_rollout_parse((s), strlen(s), &r_, &e_), -1); \
	assert_int_equal(e_.kind, NB_INVALID);				\
	assert_string_equal(e_.msg, (want));				\
} while (0)

static void test_rollout_body(void **state)
{
	struct ddi_rollout r;

	(void)state;
	assert_int_equal(rollout("{\"feed\":\"beta\",\"software_id\":3,\"percent\":20,"
				 "\"max_failures\":2,\"max_failure_rate\":30,\"name\":\"n\"}", &r), 0);
	assert_string_equal(r.feed, "beta");
	assert_string_equal(r.name, "n");
	assert_true(r.software_id == 3 && r.percent == 20 && r.max_failures == 2 &&
		    r.max_failure_rate == 30);
	assert_int_equal(rollout("{\"feed\":\"f\",\"software_id\":1}", &r), 0);
	assert_true(r.percent == 100 && r.max_failures == -1 && r.max_failure_rate == -1);
	assert_int_equal(rollout("{\"software_id\":1}", &r), -1);
	assert_int_equal(rollout("{\"feed\":\"\",\"software_id\":1}", &r), -1);
	assert_int_equal(rollout("{\"feed\":5,\"software_id\":1}", &r), -1);
	assert_int_equal(rollout("{\"feed\":\"f\"}", &r), -1);
	assert_int_equal(rollout("{\"feed\":\"f\",\"software_id\":\"1\"}", &r), -1);
	assert_int_equal(rollout("{\"feed\":\"f\",\"software_id\":0}", &r), -1);
	assert_int_equal(rollout("{\"feed\":\"f\",\"software_id\":1,\"percent\":0}", &r), -1);
	assert_int_equal(rollout("{\"feed\":\"f\",\"software_id\":1,\"percent\":50.5}", &r), -1);
	assert_int_equal(rollout("{\"feed\":\"f\",\"software_id\":1,\"max_failures\":-1}", &r), -1);
	assert_int_equal(rollout("{\"feed\":\"f\",\"software_id\":1,\"max_failure_rate\":101}",
				 &r), -1);
	assert_int_equal(rollout("{\"feed\":\"f\",\"software_id\":1,\"name\":[]}", &r), -1);
	assert_int_equal(rollout("{\"feed\":\"0123456789012345678901234567890123456789"
				 "012345678901234567890123\",\"software_id\":1}", &r), -1);
	assert_int_equal(rollout("[]", &r), -1);
	assert_int_equal(rollout("{broken", &r), -1);
	assert_rollout_refused("[]", "the body must be a JSON object");
	assert_rollout_refused("{\"software_id\":1}", "feed must be a string of 1-63 bytes");
	assert_rollout_refused("{\"feed\":\"f\",\"software_id\":1,\"name\":[]}",
			       "name must be a string of at most 127 bytes");
	assert_rollout_refused("{\"feed\":\"f\"}", "software_id must be a software's id");
	assert_rollout_refused("{\"feed\":\"f\",\"software_id\":1,\"percent\":0}",
			       "percent must be 1-100");
	assert_rollout_refused("{\"feed\":\"f\",\"software_id\":1,\"max_failure_rate\":101}",
			       "max_failures must be 0 or more, max_failure_rate 0-100");
}

static void test_url_and_stage(void **state)
{
	struct arena a;
	const char *url, *name;
	struct nb_err err;
	int pct = 0;

	(void)state;
	arena_init(&a);
	assert_int_equal(admin_url_parse(&a, "{\"url\":\"http://x/a.swu\"}", 24, &url, &name, &err), 0);
	assert_string_equal(url, "http://x/a.swu");
	assert_string_equal(name, "");
	assert_int_equal(admin_url_parse(&a, "{\"url\":\"\"}", 10, &url, &name, &err), -1);
	assert_int_equal(admin_url_parse(&a, "{\"url\":1}", 9, &url, &name, &err), -1);
	assert_int_equal(err.kind, NB_INVALID);
	assert_string_equal(err.msg, "url must be a string of at most 1023 bytes");
	assert_int_equal(admin_url_parse(&a, "{\"url\":\"u\",\"name\":1}", 20, &url, &name, &err), -1);
	assert_string_equal(err.msg, "name must be a string of at most 255 bytes");
	assert_int_equal(admin_url_parse(&a, "1", 1, &url, &name, &err), -1);
	assert_int_equal(err.kind, NB_INVALID);
	assert_string_equal(err.msg, "the body must be a JSON object");
	assert_int_equal(admin_stage_parse("{\"percent\":40}", 14, &pct, &err), 0);
	assert_int_equal(pct, 40);
	assert_int_equal(admin_stage_parse("{}", 2, &pct, &err), -1);
	assert_int_equal(admin_stage_parse("{\"percent\":101}", 15, &pct, &err), -1);
	assert_int_equal(admin_stage_parse("{\"percent\":\"5\"}", 15, &pct, &err), -1);
	assert_int_equal(err.kind, NB_INVALID);
	assert_string_equal(err.msg, "percent must be 1-100");
	arena_free(&a);
}

/* The API's password body: 8..255 bytes, keep_tokens a boolean defaulting to false. */
static void test_password_body(void **state)
{
	struct arena a;
	const char *pw;
	struct nb_err err;
	char big[400];
	int keep = -1;

	(void)state;
	arena_init(&a);
#define PW(s) admin_password_parse(&a, s, strlen(s), &pw, &keep, &err)
	assert_int_equal(PW("{\"password\":\"long-enough\"}"), 0);
	assert_string_equal(pw, "long-enough");
	assert_int_equal(keep, 0);
	assert_int_equal(PW("{\"password\":\"long-enough\",\"keep_tokens\":true}"), 0);
	assert_int_equal(keep, 1);
	assert_int_equal(PW("{\"password\":\"long-enough\",\"keep_tokens\":null}"), 0);
	assert_int_equal(keep, 0);
	nb_err_clear(&err);
	assert_int_equal(PW("{\"password\":\"short\"}"), -1);
	assert_int_equal(err.kind, NB_INVALID);
	assert_string_equal(err.msg, "password must be a string of 8 to 255 bytes");
	assert_int_equal(PW("{\"password\":5}"), -1);
	assert_int_equal(PW("{}"), -1);
	assert_int_equal(PW("[]"), -1);
	assert_int_equal(PW("x"), -1);
	assert_int_equal(PW("{\"password\":\"long-enough\",\"keep_tokens\":1}"), -1);
	assert_string_equal(err.msg, "keep_tokens must be true or false");
	snprintf(big, sizeof(big), "{\"password\":\"%0255d\"}", 0);
	assert_int_equal(PW(big), 0);
	snprintf(big, sizeof(big), "{\"password\":\"%0256d\"}", 0);
	assert_int_equal(PW(big), -1);
#undef PW
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_numbers),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_rollout_body),
		cmocka_unit_test(test_url_and_stage),
		cmocka_unit_test(test_password_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
