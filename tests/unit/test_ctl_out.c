/*
 * test_ctl_out.c - nestboxctl's list printer: relative times with the
 * absolute time, human sizes, and one list in its three forms (a table
 * with a header row, the old TSV lines, JSON with stable keys), control
 * characters never reaching a terminal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tools/ctl_out.c"

#define NOW 1700000000LL	/* 2023-11-14 22:13:20 UTC */

static void test_when_is_relative_with_the_absolute_time(void **state)
{
	char b[96];

	(void)state;
	assert_string_equal(ctl_when(b, sizeof(b), NOW, NOW - 10), "just now (2023-11-14 22:13 UTC)");
	assert_string_equal(ctl_when(b, sizeof(b), NOW, NOW - 300), "5 min ago (2023-11-14 22:08 UTC)");
	assert_string_equal(ctl_when(b, sizeof(b), NOW, NOW - 7200), "2 h ago (2023-11-14 20:13 UTC)");
	assert_string_equal(ctl_when(b, sizeof(b), NOW, NOW - 86400), "1 day ago (2023-11-13 22:13 UTC)");
	assert_string_equal(ctl_when(b, sizeof(b), NOW, NOW - 3 * 86400 - 60),
			    "3 days ago (2023-11-11 22:12 UTC)");
	assert_string_equal(ctl_when(b, sizeof(b), NOW, NOW - 90 * 86400),
			    "3 months ago (2023-08-16 22:13 UTC)");
	assert_string_equal(ctl_when(b, sizeof(b), NOW, NOW - 800 * 86400),
			    "2 years ago (2021-09-05 22:13 UTC)");
	/* a clock behind the device's or the store's */
	assert_string_equal(ctl_when(b, sizeof(b), NOW, NOW + 600), "in 10 min (2023-11-14 22:23 UTC)");
}

/* A show command's time: the list cell's form, "never" printed the same. */
static void test_time_takes_the_lists_form(void **state)
{
	char b[96];

	(void)state;
	assert_string_equal(ctl_time(b, sizeof(b), CTL_TABLE, NOW, NOW - 300, "never"),
			    "5 min ago (2023-11-14 22:08 UTC)");
	assert_string_equal(ctl_time(b, sizeof(b), CTL_TSV, NOW, NOW - 300, "never"),
			    "2023-11-14 22:08:20");
	assert_string_equal(ctl_time(b, sizeof(b), CTL_TSV, NOW, 0, "never"), "never");
	assert_string_equal(ctl_time(b, sizeof(b), CTL_TABLE, NOW, -1, "-"), "-");
}

static void test_sizes_are_human(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(ctl_size(b, sizeof(b), 0), "0 B");
	assert_string_equal(ctl_size(b, sizeof(b), 1023), "1023 B");
	assert_string_equal(ctl_size(b, sizeof(b), 1536), "1.5 KiB");
	assert_string_equal(ctl_size(b, sizeof(b), 1LL << 20), "1.0 MiB");
	assert_string_equal(ctl_size(b, sizeof(b), 5LL << 30), "5.0 GiB");
}

static const struct ctl_col cols[] = {
	{ "name", "NAME", CTL_TEXT, 0, NULL, NULL },
	{ "files", "FILES", CTL_INT, 0, NULL, "files" },
	{ "size", "SIZE", CTL_BYTES, 0, NULL, NULL },
	{ "seen", "LAST SEEN", CTL_TIME, CTL_NOT_TSV, "never", NULL },
	{ "sha256", "SHA256", CTL_HASH, 0, NULL, NULL },
	{ "note", "NOTE", CTL_TEXT, CTL_JSON_ONLY, NULL, NULL },
};

static const char hash[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* The two rows every form is printed from, in form fmt, as text. */
static char *render(enum ctl_format fmt, struct arena *a)
{
	struct ctl_list l;
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	ctl_list_init(&l, cols, 6, fmt, NOW, a);
	ctl_put_text(&l, "alpha");
	ctl_put_int(&l, 3);
	ctl_put_int(&l, 2048);
	ctl_put_int(&l, NOW - 300);
	ctl_put_text(&l, hash);
	ctl_put_text(&l, "x");
	ctl_put_text(&l, "b\x1b[2Jad\tname");
	ctl_put_int(&l, 0);
	ctl_put_int(&l, 10);
	ctl_put_int(&l, 0);
	ctl_put_text(&l, NULL);
	ctl_put_text(&l, NULL);
	assert_int_equal(ctl_list_print(&l, f), 0);
	fclose(f);
	return out;
}

static void test_table_has_a_header_and_aligned_readable_cells(void **state)
{
	struct arena a;
	char *out;

	(void)state;
	arena_init(&a);
	out = render(CTL_TABLE, &a);
	assert_string_equal(out,
		"NAME          FILES  SIZE     LAST SEEN                         SHA256\n"
		"alpha         3      2.0 KiB  5 min ago (2023-11-14 22:08 UTC)  0123456789ab\n"
		"b?[2Jad?name  0      10 B     never                             -\n");
	free(out);
	arena_free(&a);
}

static void test_tsv_keeps_the_old_lines(void **state)
{
	struct arena a;
	char *out;

	(void)state;
	arena_init(&a);
	out = render(CTL_TSV, &a);
	assert_string_equal(out, "alpha\t3 files\t2048\t0123456789ab\n"
				 "b?[2Jad?name\t0 files\t10\t-\n");
	free(out);
	arena_free(&a);
}

static void test_json_has_stable_keys_and_raw_values(void **state)
{
	struct arena a;
	cJSON *v, *r;
	char *out;

	(void)state;
	arena_init(&a);
	out = render(CTL_JSON, &a);
	v = cJSON_Parse(out);
	assert_non_null(v);
	assert_int_equal(cJSON_GetArraySize(v), 2);
	r = cJSON_GetArrayItem(v, 0);
	assert_string_equal(cJSON_GetObjectItem(r, "name")->valuestring, "alpha");
	assert_int_equal(cJSON_GetObjectItem(r, "files")->valuedouble, 3);
	assert_int_equal(cJSON_GetObjectItem(r, "size")->valuedouble, 2048);
	assert_true(cJSON_GetObjectItem(r, "seen")->valuedouble == (double)(NOW - 300));
	assert_string_equal(cJSON_GetObjectItem(r, "sha256")->valuestring, hash);
	assert_string_equal(cJSON_GetObjectItem(r, "note")->valuestring, "x");
	r = cJSON_GetArrayItem(v, 1);
	assert_string_equal(cJSON_GetObjectItem(r, "name")->valuestring, "b\x1b[2Jad\tname");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "seen")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "sha256")));
	cJSON_Delete(v);
	free(out);
	arena_free(&a);
}

/* A list of form fmt holding cell (NULL: none), ended by ctl_list_end
 * with the command's status rc: what that returns; *out (malloc'd) what
 * it printed.  The list holds nothing outside the arena afterwards. */
static int end_list(enum ctl_format fmt, const char *cell, int rc, char **out)
{
	struct ctl_list l;
	struct arena a;
	size_t n = 0;
	FILE *f = open_memstream(out, &n);

	arena_init(&a);
	ctl_list_init(&l, cols, 6, fmt, NOW, &a);
	if (cell)
		ctl_put_text(&l, cell);
	rc = ctl_list_end(&l, rc, f);
	assert_null(l.json);
	fclose(f);
	arena_free(&a);
	return rc;
}

/* An empty list in each form: JSON's empty array, no TSV line, the
 * table's header alone. */
static void test_empty_list(void **state)
{
	static const struct { enum ctl_format fmt; const char *out; } v[] = {
		{ CTL_JSON, "[]\n" },
		{ CTL_TSV, "" },
		{ CTL_TABLE, "NAME  FILES  SIZE  LAST SEEN  SHA256\n" },
	};
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(end_list(v[i].fmt, NULL, 0, &out), 0);
		assert_string_equal(out, v[i].out);
		free(out);
	}
}

/* A list's end: printed when its rows were read (0, or 1 when the file
 * cannot be written), else dropped unprinted with the command's status
 * kept and its JSON tree freed (the rows of a failed command, which
 * every list command freed by hand or not at all). */
static void test_end_prints_or_drops(void **state)
{
	struct ctl_list l;
	struct arena a;
	char *out;
	FILE *f;

	(void)state;
	assert_int_equal(end_list(CTL_JSON, "dropped", 3, &out), 3);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(end_list(CTL_TSV, "dropped", 1, &out), 1);
	assert_string_equal(out, "");
	free(out);
	/* a file that cannot be written: 1, the exit status of a closed pipe */
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	arena_init(&a);
	ctl_list_init(&l, cols, 6, CTL_TABLE, NOW, &a);	/* a header at least */
	assert_int_equal(ctl_list_end(&l, 0, f), 1);
	fclose(f);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_when_is_relative_with_the_absolute_time),
		cmocka_unit_test(test_time_takes_the_lists_form),
		cmocka_unit_test(test_sizes_are_human),
		cmocka_unit_test(test_table_has_a_header_and_aligned_readable_cells),
		cmocka_unit_test(test_tsv_keeps_the_old_lines),
		cmocka_unit_test(test_json_has_stable_keys_and_raw_values),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_end_prints_or_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
