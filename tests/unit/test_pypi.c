/*
 * test_pypi.c - the Python index's pure rules: PEP 503 normalization,
 * project/version/file-name validators, wheel and sdist file names, the
 * PEP 691 Accept negotiation, core metadata parsing, and finding METADATA
 * / PKG-INFO inside archives built here with libarchive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "../../src/pypi/pypi.h"

static void test_normalize(void **state)
{
	struct arena a;

	(void)state;
	arena_init(&a);
	assert_string_equal(pypi_normalize(&a, "Friendly-Bard"), "friendly-bard");
	assert_string_equal(pypi_normalize(&a, "FRIENDLY._-bard"), "friendly-bard");
	assert_string_equal(pypi_normalize(&a, "friendly__bard"), "friendly-bard");
	assert_string_equal(pypi_normalize(&a, "a.b_c-d"), "a-b-c-d");
	assert_true(pypi_is_normal("friendly-bard"));
	assert_false(pypi_is_normal("Friendly-Bard"));
	assert_false(pypi_is_normal("friendly_bard"));
	assert_false(pypi_is_normal("friendly--bard"));
	arena_free(&a);
}

static void test_validators(void **state)
{
	(void)state;
	assert_true(pypi_project_ok("a"));
	assert_true(pypi_project_ok("Nb.Fancy_Name-2"));
	assert_false(pypi_project_ok(""));
	assert_false(pypi_project_ok("-lead"));
	assert_false(pypi_project_ok("trail."));
	assert_false(pypi_project_ok("sp ace"));
	assert_false(pypi_project_ok("caf\xc3\xa9"));
	assert_true(pypi_version_ok("1.0"));
	assert_true(pypi_version_ok("1!2.0rc1.post3.dev4+local.7"));
	assert_true(pypi_version_ok("v1.0"));
	assert_false(pypi_version_ok("x1"));
	assert_false(pypi_version_ok("1.0/2"));
	assert_false(pypi_version_ok(""));
	assert_true(pypi_ident_ok("root"));
	assert_false(pypi_ident_ok("+simple"));
	assert_false(pypi_ident_ok("a b"));
	assert_true(pypi_filename_ok("nb_app-1.0-py3-none-any.whl"));
	assert_false(pypi_filename_ok("../x.whl"));
	assert_false(pypi_filename_ok(".hidden.whl"));
	assert_true(pypi_hash3_ok("0af"));
	assert_false(pypi_hash3_ok("0AF"));
	assert_true(pypi_hash13_ok("0123456789abc"));
	assert_false(pypi_hash13_ok("0123456789ab"));
}

static void test_fname(void **state)
{
	struct pypi_fname f;
	const char *why;

	(void)state;
	assert_int_equal(pypi_fname_parse("nb_app-1.0-py3-none-any.whl", NULL, &f, &why), 0);
	assert_int_equal(f.kind, PYPI_WHEEL);
	assert_string_equal(f.name, "nb_app");
	assert_string_equal(f.version, "1.0");
	assert_int_equal(pypi_fname_parse("x-2.0-1build-cp311-cp311-linux_x86_64.whl", NULL, &f, &why), 0);
	assert_string_equal(f.version, "2.0");
	/* an sdist's name may hold '-': the project says where it ends */
	assert_int_equal(pypi_fname_parse("nb-good-1.0.tar.gz", "nb-good", &f, &why), 0);
	assert_int_equal(f.kind, PYPI_SDIST);
	assert_string_equal(f.name, "nb-good");
	assert_string_equal(f.version, "1.0");
	assert_int_equal(pypi_fname_parse("nb-good-1.0.zip", NULL, &f, &why), 0);
	assert_string_equal(f.name, "nb-good");
	assert_string_equal(f.version, "1.0");
	/* refused */
	assert_int_equal(pypi_fname_parse("nb-1.0-py3.whl", NULL, &f, &why), -1);
	assert_int_equal(pypi_fname_parse("a-b-c-d-e-f-g.whl", NULL, &f, &why), -1);
	assert_int_equal(pypi_fname_parse("-1.0-py3-none-any.whl", NULL, &f, &why), -1);
	assert_int_equal(pypi_fname_parse("nb.tar.gz", NULL, &f, &why), -1);
	assert_int_equal(pypi_fname_parse("nb-1.0.exe", NULL, &f, &why), -1);
	assert_int_equal(pypi_fname_parse("nb-1.0/x.tar.gz", NULL, &f, &why), -1);
	assert_non_null(why);
}

static void test_accept(void **state)
{
	(void)state;
	assert_int_equal(pypi_accept(NULL), PYPI_HTML);
	assert_int_equal(pypi_accept(""), PYPI_HTML);
	assert_int_equal(pypi_accept("application/vnd.pypi.simple.v1+json, "
				     "application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"),
			 PYPI_JSON);
	assert_int_equal(pypi_accept("text/html"), PYPI_HTML);
	assert_int_equal(pypi_accept("*/*"), PYPI_HTML);
	assert_int_equal(pypi_accept("application/vnd.pypi.simple.v1+json;q=0.2, text/html"),
			 PYPI_HTML);
	assert_int_equal(pypi_accept("application/vnd.pypi.simple.latest+json"), PYPI_JSON);
	assert_int_equal(pypi_accept("application/vnd.pypi.simple.v1+json;q=0"), PYPI_NONE);
	assert_int_equal(pypi_accept("application/json"), PYPI_NONE);
	assert_int_equal(pypi_accept("application/vnd.pypi.simple.v1+json;q=bad"), PYPI_NONE);
	assert_int_equal(pypi_accept(",,;;q=,"), PYPI_NONE);
}

static void test_meta_parse(void **state)
{
	static const char text[] =
		"Metadata-Version: 2.1\r\nName: nb-app\nVersion: 2.0\n"
		"Summary: first line\n  continued\n"
		"Requires-Python: >=3.8\nRequires-Dist: a>=1\nrequires-dist: b; extra == \"x\"\n"
		"\nName: not-a-header (the description)\n";
	struct pypi_meta m;
	const char *why;
	struct arena a;

	(void)state;
	arena_init(&a);
	assert_int_equal(pypi_meta_parse(&a, text, sizeof(text) - 1, &m, &why), 0);
	assert_string_equal(m.name, "nb-app");
	assert_string_equal(m.version, "2.0");
	assert_string_equal(m.metadata_version, "2.1");
	assert_string_equal(m.summary, "first line\ncontinued");
	assert_string_equal(m.requires_python, ">=3.8");
	assert_int_equal(m.nrequires_dist, 2);
	assert_string_equal(m.requires_dist[1], "b; extra == \"x\"");
	assert_null(m.requires_dist[2]);
	assert_int_equal(pypi_meta_parse(&a, "Name: x\n", 8, &m, &why), -1);	/* no Version */
	assert_int_equal(pypi_meta_parse(&a, "Name x\nVersion: 1\n", 18, &m, &why), -1);
	assert_int_equal(pypi_meta_parse(&a, " Name: x\n", 9, &m, &why), -1);
	assert_int_equal(pypi_meta_parse(&a, "Name: x\0\nVersion: 1\n", 20, &m, &why), -1);
	assert_int_equal(pypi_meta_parse(&a, "", 0, &m, &why), -1);
	arena_free(&a);
}

/* An archive in memory with the given entries (format zip or tar.gz). */
static size_t build(char *out, size_t cap, int zip, const char *const *names,
		    const char *const *texts, int n)
{
	struct archive *w = archive_write_new();
	size_t used = 0;
	int i;

	if (zip) {
		archive_write_set_format_zip(w);
	} else {
		archive_write_set_format_pax_restricted(w);
		archive_write_add_filter_gzip(w);
	}
	assert_int_equal(archive_write_open_memory(w, out, cap, &used), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_size(e, (la_int64_t)strlen(texts[i]));
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_write_header(w, e);
		archive_write_data(w, texts[i], strlen(texts[i]));
		archive_entry_free(e);
	}
	archive_write_close(w);
	archive_write_free(w);
	return used;
}

static void test_meta_read(void **state)
{
	static char buf[65536];
	const char *const wn[] = { "x/__init__.py", "x-1.0.dist-info/METADATA", "x-1.0.dist-info/WHEEL" };
	const char *const wt[] = { "", "Name: x\nVersion: 1.0\n", "Wheel-Version: 1.0\n" };
	const char *const sn[] = { "x-1.0/setup.py", "x-1.0/PKG-INFO", "x-1.0/sub/PKG-INFO" };
	const char *const st[] = { "", "Name: x\nVersion: 1.0\n", "" };
	const char *const deep[] = { "a/b.dist-info/METADATA" };
	const char *why;
	struct arena a;
	char *text;
	size_t len, n;

	(void)state;
	arena_init(&a);
	n = build(buf, sizeof(buf), 1, wn, wt, 3);
	assert_int_equal(pypi_meta_read_mem(&a, buf, n, PYPI_WHEEL, &text, &len, &why), 0);
	assert_string_equal(text, "Name: x\nVersion: 1.0\n");
	n = build(buf, sizeof(buf), 0, sn, st, 3);
	assert_int_equal(pypi_meta_read_mem(&a, buf, n, PYPI_SDIST, &text, &len, &why), 0);
	assert_int_equal(len, strlen(st[1]));
	/* a tar.gz is no wheel; METADATA must sit at the top of a .dist-info */
	assert_int_equal(pypi_meta_read_mem(&a, buf, n, PYPI_WHEEL, &text, &len, &why), -1);
	n = build(buf, sizeof(buf), 1, deep, wt + 1, 1);
	assert_int_equal(pypi_meta_read_mem(&a, buf, n, PYPI_WHEEL, &text, &len, &why), -1);
	assert_int_equal(pypi_meta_read_mem(&a, "junk", 4, PYPI_SDIST, &text, &len, &why), -1);
	assert_non_null(why);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_fname),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_meta_parse),
		cmocka_unit_test(test_meta_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
