/*
 * test_pypi.c - the Python index's pure rules: PEP 503 normalization,
 * project/version/file-name validators, wheel and sdist file names, the
 * PEP 691 Accept negotiation, core metadata parsing, and finding METADATA
 * / PKG-INFO inside archives built here with libarchive; and the declared
 * input of pypi.fcgi's real route table (src/cgi/pypi.fcgi.c, included
 * without its main): checked values, refusals naming the field, ?force.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "unit_store.h"	/* first: the route table defines P, a name in sqlite3.h */

#define NB_NO_MAIN
#include "../../src/cgi/pypi.fcgi.c"
#include "../../src/pypi/pypi_ops.h"
#include "../../src/lib/json_in.h"
#include "unit_routes.h"

#include <cjson/cJSON.h>

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

/* The one check of the free text fields (titles, yank reasons, emails). */
static void test_text_check(void **state)
{
	static const char *const bad[] = { "a\nb", "a\rb", "\tx", "\x1b[31m", "a\x7f",
					   "a\xc2\x85" "b", "\xc2\x9b", "caf\xe9", NULL };
	struct nb_err e;
	int i;

	(void)state;
	assert_int_equal(pypi_text_check("title", "", 10, &e), 0);
	assert_int_equal(pypi_text_check("title", "\xc3\x89quipe \xe2\x80\x94 dev", 64, &e), 0);
	assert_int_equal(pypi_text_check("title", "\xc2\xa0nbsp", 64, &e), 0);
	for (i = 0; bad[i]; i++) {
		e.kind = NB_OK;
		assert_int_equal(pypi_text_check("title", bad[i], 64, &e), -1);
		assert_int_equal(e.kind, NB_INVALID);
		assert_non_null(strstr(e.msg, "title"));
	}
	assert_int_equal(pypi_text_check("email", "12345", 4, &e), -1);
	assert_non_null(strstr(e.msg, "email is longer than 4 bytes"));
}

static void test_fname(void **state)
{
	struct pypi_fname f;
	struct nb_err e;

	(void)state;
	assert_int_equal(pypi_fname_parse("nb_app-1.0-py3-none-any.whl", NULL, &f, &e), 0);
	assert_int_equal(f.kind, PYPI_WHEEL);
	assert_string_equal(f.name, "nb_app");
	assert_string_equal(f.version, "1.0");
	assert_int_equal(pypi_fname_parse("x-2.0-1build-cp311-cp311-linux_x86_64.whl", NULL, &f, &e), 0);
	assert_string_equal(f.version, "2.0");
	/* an sdist's name may hold '-': the project says where it ends */
	assert_int_equal(pypi_fname_parse("nb-good-1.0.tar.gz", "nb-good", &f, &e), 0);
	assert_int_equal(f.kind, PYPI_SDIST);
	assert_string_equal(f.name, "nb-good");
	assert_string_equal(f.version, "1.0");
	assert_int_equal(pypi_fname_parse("nb-good-1.0.zip", NULL, &f, &e), 0);
	assert_string_equal(f.name, "nb-good");
	assert_string_equal(f.version, "1.0");
	/* refused */
	assert_int_equal(pypi_fname_parse("nb-1.0-py3.whl", NULL, &f, &e), -1);
	assert_int_equal(pypi_fname_parse("a-b-c-d-e-f-g.whl", NULL, &f, &e), -1);
	assert_int_equal(pypi_fname_parse("-1.0-py3-none-any.whl", NULL, &f, &e), -1);
	assert_int_equal(pypi_fname_parse("nb.tar.gz", NULL, &f, &e), -1);
	assert_int_equal(pypi_fname_parse("nb-1.0.exe", NULL, &f, &e), -1);
	assert_int_equal(pypi_fname_parse("nb-1.0/x.tar.gz", NULL, &f, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_true(e.msg[0] != '\0');
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
	struct nb_err e;
	struct arena a;

	(void)state;
	arena_init(&a);
	assert_int_equal(pypi_meta_parse(&a, text, sizeof(text) - 1, &m, &e), 0);
	assert_string_equal(m.name, "nb-app");
	assert_string_equal(m.version, "2.0");
	assert_string_equal(m.metadata_version, "2.1");
	assert_string_equal(m.summary, "first line\ncontinued");
	assert_string_equal(m.requires_python, ">=3.8");
	assert_int_equal(m.nrequires_dist, 2);
	assert_string_equal(m.requires_dist[1], "b; extra == \"x\"");
	assert_null(m.requires_dist[2]);
	assert_int_equal(pypi_meta_parse(&a, "Name: x\n", 8, &m, &e), -1);	/* no Version */
	assert_int_equal(pypi_meta_parse(&a, "Name x\nVersion: 1\n", 18, &m, &e), -1);
	assert_int_equal(pypi_meta_parse(&a, " Name: x\n", 9, &m, &e), -1);
	assert_int_equal(pypi_meta_parse(&a, "Name: x\0\nVersion: 1\n", 20, &m, &e), -1);
	assert_int_equal(pypi_meta_parse(&a, "", 0, &m, &e), -1);
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
	const char *const wn[] = { "x/__init__.py", "x-1.0.dist-info/METADATA",
				   "x-1.0.dist-info/WHEEL", "x-1.0.dist-info/RECORD" };
	const char *const wt[] = { "", "Name: x\nVersion: 1.0\n", "Wheel-Version: 1.0\n", "" };
	const char *const sn[] = { "x-1.0/setup.py", "x-1.0/PKG-INFO", "x-1.0/sub/PKG-INFO" };
	const char *const st[] = { "", "Name: x\nVersion: 1.0\n", "" };
	const char *const deep[] = { "a/b.dist-info/METADATA" };
	struct nb_err e;
	struct arena a;
	char *text;
	size_t len, n;

	(void)state;
	arena_init(&a);
	n = build(buf, sizeof(buf), 1, wn, wt, 4);
	assert_int_equal(pypi_meta_read_mem(&a, buf, n, PYPI_WHEEL, &text, &len, &e), 0);
	assert_string_equal(text, "Name: x\nVersion: 1.0\n");
	/* cut short (no central directory) or without RECORD: no wheel */
	assert_int_equal(pypi_meta_read_mem(&a, buf, n - 22, PYPI_WHEEL, &text, &len, &e), -1);
	assert_non_null(strstr(e.msg, "not a valid wheel"));
	n = build(buf, sizeof(buf), 1, wn, wt, 3);
	assert_int_equal(pypi_meta_read_mem(&a, buf, n, PYPI_WHEEL, &text, &len, &e), -1);
	assert_non_null(strstr(e.msg, "RECORD"));
	n = build(buf, sizeof(buf), 0, sn, st, 3);
	assert_int_equal(pypi_meta_read_mem(&a, buf, n, PYPI_SDIST, &text, &len, &e), 0);
	assert_int_equal(len, strlen(st[1]));
	/* a .tar.gz without its last bytes (gzip trailer) is incomplete */
	assert_int_equal(pypi_meta_read_mem(&a, buf, n - 8, PYPI_SDIST, &text, &len, &e), -1);
	assert_non_null(strstr(e.msg, "not a valid sdist"));
	n = build(buf, sizeof(buf), 0, sn, st, 3);
	/* a tar.gz is no wheel; METADATA must sit at the top of a .dist-info */
	assert_int_equal(pypi_meta_read_mem(&a, buf, n, PYPI_WHEEL, &text, &len, &e), -1);
	n = build(buf, sizeof(buf), 1, deep, wt + 1, 1);
	assert_int_equal(pypi_meta_read_mem(&a, buf, n, PYPI_WHEEL, &text, &len, &e), -1);
	assert_int_equal(pypi_meta_read_mem(&a, "junk", 4, PYPI_SDIST, &text, &len, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_true(e.msg[0] != '\0');
	arena_free(&a);
}

static int nul(const char *s)
{
	return json_in_has_nul(s, strlen(s));
}

/* What cJSON lets through: a key twice (at any depth), a \u0000 escape. */
static void test_json_checks(void **state)
{
	static const char *const dup[] = {
		"{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"c\":2,\"b\":3}}", "[{\"k\":1,\"k\":1}]"
	};
	static const char *const fine[] = { "{\"a\":1,\"A\":2}", "{\"a\":{\"a\":1}}", "[]" };
	cJSON *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dup) / sizeof(dup[0]); i++) {
		assert_non_null(o = cJSON_Parse(dup[i]));
		assert_non_null(json_in_dup_key(o));
		cJSON_Delete(o);
	}
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		assert_non_null(o = cJSON_Parse(fine[i]));
		assert_null(json_in_dup_key(o));
		cJSON_Delete(o);
	}
	assert_int_equal(nul("{\"t\":\"a\\u0000\"}"), 1);
	/* an escaped backslash followed by the text u0000 is no NUL */
	assert_int_equal(nul("{\"t\":\"\\\\u0000\"}"), 0);
	assert_int_equal(nul("{\"t\":\"\\u0001\"}"), 0);
	/* a cut escape at the end reads no further than n */
	assert_int_equal(nul("\\u000"), 0);
}

/* Routes method and uri in pypi_routes: req_check's result. */
static int run(const char *method, const char *uri, struct http_req *r, struct nb_err *e)
{
	return ut_route_check(&A, &APP, pypi_routes, pypi_nroutes, method, uri, r, e);
}

static void test_table_is_consistent(void **state)
{
	struct nb_err e;

	(void)state;
	assert_int_equal(route_table_check(pypi_routes, pypi_nroutes, &e), 0);
}

static void test_routes_read_checked_values(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(run("GET", "/pypi/alice/dev/+f/0af/0123456789abc/nb_app-1.0-py3-none-any.whl",
			     &r, &e), 0);
	assert_string_equal(req_str(&r, "user"), "alice");
	assert_string_equal(req_str(&r, "index"), "dev");
	assert_string_equal(req_str(&r, "h3"), "0af");
	assert_string_equal(req_str(&r, "filename"), "nb_app-1.0-py3-none-any.whl");
	assert_int_equal(run("GET", "/pypi/alice/dev/+simple/Nb.Fancy_Name/", &r, &e), 0);
	assert_string_equal(req_str(&r, "project"), "Nb.Fancy_Name");
}

/* Each refusal is NB_INVALID naming the field, before any handler. */
static void test_routes_refuse_naming_the_field(void **state)
{
	static const char *const cases[][3] = {
		{ "GET", "/pypi/+bad/x/+simple/", "invalid user" },
		{ "GET", "/pypi/root/-x/+simple/", "invalid index" },
		{ "GET", "/pypi/root/pypi/+simple/-bad-/", "invalid project" },
		{ "GET", "/pypi/root/pypi/+f/xyz/0123456789abc/a.whl", "invalid h3" },
		{ "GET", "/pypi/root/pypi/+f/0af/0123456789ABC/a.whl", "invalid h13" },
		{ "GET", "/pypi/root/pypi/+f/0af/0123456789abc/.a.whl", "invalid filename" },
		{ "PATCH", "/pypi/root/pypi/nb/x1", "invalid version" },
		{ "DELETE", "/pypi/root/pypi/nb/1.0?force=maybe", "invalid force" },
		{ "DELETE", "/pypi/root/pypi/nb?force=%01", "invalid force" },
	};
	struct http_req r;
	struct nb_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run(cases[i][0], cases[i][1], &r, &e), -1);
		assert_int_equal(e.kind, NB_INVALID);
		assert_string_equal(e.msg, cases[i][2]);
	}
}

/* devpi's bare ?force forces; a false value or none does not. */
static void test_force(void **state)
{
	static const struct { const char *uri; int force; } cases[] = {
		{ "/pypi/a/b/nb/1.0?force", 1 }, { "/pypi/a/b/nb/1.0?force=", 1 },
		{ "/pypi/a/b/nb/1.0?force=true", 1 }, { "/pypi/a/b/nb?force=1", 1 },
		{ "/pypi/a/b/nb/1.0?force=false", 0 }, { "/pypi/a/b/nb?force=no", 0 },
		{ "/pypi/a/b/nb/1.0", 0 }, { "/pypi/a/b/nb", 0 },
	};
	struct http_req r;
	struct nb_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run("DELETE", cases[i].uri, &r, &e), 0);
		assert_int_equal(pypi_req_force(&r), cases[i].force);
	}
}

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const char *const store_rows[] = {
	"INSERT INTO pypi_users(name, pw_hash, created) VALUES('alice', 'x', 0)",
	"INSERT INTO pypi_indexes(id, user, name, type, created) VALUES(1, 'alice', 'dev',"
	" 'stage', 0)",
	"INSERT INTO pypi_files(index_id, project, name, version, filename, sha256, md5, size,"
	" uploaded) VALUES(1, 'nb-x', 'nb_x', '1.0', 'nb_x-1.0.tar.gz', '" HEX_A "', 'm', 1, 0)",
};

static int store_setup(void **state)
{
	return ut_app_setup(state, store_rows, sizeof(store_rows) / sizeof(store_rows[0]));
}

/* The store's answers: rows, none (0, or NB_NOT_FOUND), and a step that
 * fails (a table gone), which is NB_UNAVAILABLE (503), never an empty
 * list, "not used" (gc would remove the blob) or an unknown token (401). */
static void test_store_failures_are_unavailable(void **state)
{
	struct ut_app *f = *state;
	const char **names, *user;
	struct pypi_user u;
	struct nb_err e;

	assert_int_equal(pypi_user_list(&f->app, &f->a, &names, &e), 1);
	assert_string_equal(names[0], "alice");
	assert_null(names[1]);
	assert_int_equal(pypi_projects_of(&f->app, &f->a, 1, &names, &e), 1);
	assert_int_equal(pypi_blob_used(&f->app, HEX_A, &e), 1);
	assert_int_equal(pypi_blob_used(&f->app, HEX_B, &e), 0);
	assert_int_equal(pypi_token_user(&f->app, &f->a, HEX_B, &user, &e), 0);
	assert_int_equal(pypi_user_get(&f->app, &f->a, "bob", &u, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);

	assert_int_equal(db_exec(f->app.db, "ALTER TABLE pypi_files RENAME TO f_away"), 0);
	ut_fails_with(e, NB_UNAVAILABLE, pypi_projects_of(&f->app, &f->a, 1, &names, &e));
	ut_fails_with(e, NB_UNAVAILABLE, pypi_blob_used(&f->app, HEX_B, &e));
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE pypi_tokens RENAME TO t_away"), 0);
	ut_fails_with(e, NB_UNAVAILABLE, pypi_token_user(&f->app, &f->a, HEX_B, &user, &e));
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE pypi_users RENAME TO u_away"), 0);
	ut_fails_with(e, NB_UNAVAILABLE, pypi_user_list(&f->app, &f->a, &names, &e));
	assert_int_equal(pypi_user_get(&f->app, &f->a, "bob", &u, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
}

/* An index's bases are looked up in the store: a store that cannot say
 * is NB_UNAVAILABLE (try again), never "base does not exist" (400), and
 * never a cycle check that skipped what it could not read. */
static void test_index_bases_of_a_failed_store(void **state)
{
	struct ut_app *f = *state;
	struct pypi_index ix;
	cJSON *o = cJSON_Parse("{\"bases\": [\"alice/dev\"]}");
	struct nb_err e;

	pypi_index_defaults(&ix, "alice", "new");
	assert_int_equal(pypi_index_config(&f->app, &f->a, &ix, o, &e), 0);
	pypi_index_defaults(&ix, "alice", "new");
	cJSON_Delete(o);
	o = cJSON_Parse("{\"bases\": [\"alice/gone\"]}");
	assert_int_equal(pypi_index_config(&f->app, &f->a, &ix, o, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE pypi_indexes RENAME TO i_away"), 0);
	pypi_index_defaults(&ix, "alice", "new");
	e.kind = NB_OK;
	assert_int_equal(pypi_index_config(&f->app, &f->a, &ix, o, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	cJSON_Delete(o);
}

/* The mirror cache's size: a store that cannot count it is -1 with
 * NB_UNAVAILABLE (the eviction stops and says so), never 0 bytes. */
static void test_mirror_bytes_of_a_failed_store(void **state)
{
	struct ut_app *f = *state;
	long long n = -1;
	struct nb_err e;

	assert_int_equal(db_exec(f->app.db, "INSERT INTO pypi_mirror_files(index_id, filename,"
				 " project, url, sha256, size, fetched, used) VALUES(1, 'a.whl', 'a', 'u', '"
				 HEX_B "', 7, 0, 0)"), 0);
	assert_int_equal(pypi_mfile_bytes(&f->app, &n, &e), 0);
	assert_int_equal(n, 7);
	assert_int_equal(db_exec(f->app.db, "ALTER TABLE pypi_mirror_files RENAME TO m_away"), 0);
	e.kind = NB_OK;
	assert_int_equal(pypi_mfile_bytes(&f->app, &n, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_text_check),
		cmocka_unit_test(test_fname),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_meta_parse),
		cmocka_unit_test(test_meta_read),
		cmocka_unit_test(test_json_checks),
		cmocka_unit_test(test_table_is_consistent),
		ut_routes_test(test_routes_read_checked_values),
		ut_routes_test(test_routes_refuse_naming_the_field),
		cmocka_unit_test_setup_teardown(test_store_failures_are_unavailable, store_setup,
						ut_app_teardown),
		cmocka_unit_test_setup_teardown(test_mirror_bytes_of_a_failed_store, store_setup,
						ut_app_teardown),
		cmocka_unit_test_setup_teardown(test_index_bases_of_a_failed_store, store_setup,
						ut_app_teardown),
		ut_routes_test(test_force),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
