/*
 * test_pypi_mirror.c - the mirror's readers of an upstream's pages
 * (src/pypi/pypi_mirror_parse.c): URL resolution, PEP 503 HTML anchors
 * (entities, relative links, the sha256 fragment, data-yanked,
 * data-requires-python), PEP 691 JSON, the project list in both forms,
 * and what is left out (bad names, other schemes, bad hashes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../src/pypi/pypi.h"

#define H64A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H64B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define BASE "https://up.example/simple/nb-up/"

static void join_is(struct arena *a, const char *base, const char *ref, const char *want)
{
	char *got = pypi_url_join(a, base, ref);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void test_url_join(void **state)
{
	struct arena a;

	(void)state;
	arena_init(&a);
	join_is(&a, BASE, "../../packages/x.whl", "https://up.example/packages/x.whl");
	join_is(&a, BASE, "x.whl#sha256=1", "https://up.example/simple/nb-up/x.whl#sha256=1");
	join_is(&a, BASE, "/p/x.whl", "https://up.example/p/x.whl");
	join_is(&a, BASE, "//files.example/p/x.whl", "https://files.example/p/x.whl");
	join_is(&a, BASE, "http://files.example/a/./b/../x.whl", "http://files.example/a/./b/../x.whl");
	join_is(&a, BASE, "../../../../x.whl", "https://up.example/x.whl");
	join_is(&a, BASE, "./a/./b/../c", "https://up.example/simple/nb-up/a/c");
	join_is(&a, "http://h:8/simple", "x/", "http://h:8/x/");
	join_is(&a, "http://h:8", "x", "http://h:8/x");
	join_is(&a, BASE, "javascript:alert(1)", NULL);
	join_is(&a, BASE, "file:///etc/passwd", NULL);
	join_is(&a, BASE, "a b.whl", NULL);
	join_is(&a, BASE, "a\nb.whl", NULL);
	join_is(&a, "ftp://h/x/", "y", NULL);
	arena_free(&a);
}

static const char html_page[] =
	"<!DOCTYPE html><html><body><h1>Links for nb-up</h1>\n"
	"<a href=\"../../packages/nb_up-1.0-py3-none-any.whl#sha256=" H64A "\""
	" data-requires-python=\"&gt;=3.7, &lt;4\">nb_up-1.0-py3-none-any.whl</a><br/>\n"
	"<A HREF='https://files.example/nb_up-1.1.tar.gz#sha256=" H64B "' data-yanked"
	">  nb_up-1.1.tar.gz </A>\n"
	"<a href=\"nb_up-1.2.tar.gz#md5=00\" data-yanked=\"bad &amp; broken\">nb_up-1.2.tar.gz</a>\n"
	"<a href=\"../x/../evil.whl\">../evil.whl</a>\n"
	"<a href=\"javascript:x()\">nb_up-2.0.tar.gz</a>\n"
	"<abbr>not a link</abbr><a href=\"cut";

static void test_html_page(void **state)
{
	struct pypi_link *v;
	struct arena a;
	int n;

	(void)state;
	arena_init(&a);
	n = pypi_upstream_page(&a, BASE, html_page, strlen(html_page), 0, &v, NULL);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].filename, "nb_up-1.0-py3-none-any.whl");
	assert_string_equal(v[0].url, "https://up.example/packages/nb_up-1.0-py3-none-any.whl");
	assert_string_equal(v[0].sha256, H64A);
	assert_string_equal(v[0].requires_python, ">=3.7, <4");
	assert_null(v[0].yanked);
	assert_int_equal(v[0].size, -1);
	assert_string_equal(v[1].filename, "nb_up-1.1.tar.gz");	/* trimmed */
	assert_string_equal(v[1].url, "https://files.example/nb_up-1.1.tar.gz");
	assert_string_equal(v[1].sha256,
			    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_string_equal(v[1].yanked, "");
	assert_string_equal(v[1].requires_python, "");
	assert_string_equal(v[2].sha256, "");		/* md5 only: no name here */
	assert_string_equal(v[2].yanked, "bad & broken");
	arena_free(&a);
}

static const char json_page[] =
	"{\"meta\":{\"api-version\":\"1.1\"},\"name\":\"nb-up\",\"files\":["
	"{\"filename\":\"nb_up-1.0-py3-none-any.whl\",\"url\":\"../../p/nb_up-1.0-py3-none-any.whl\","
	"\"hashes\":{\"sha256\":\"" H64A "\"},\"requires-python\":\">=3.7\",\"size\":1234,"
	"\"yanked\":false},"
	"{\"filename\":\"nb_up-1.1.tar.gz\",\"url\":\"https://f.example/nb_up-1.1.tar.gz\","
	"\"hashes\":{\"sha256\":\"short\"},\"yanked\":\"broken\"},"
	"{\"filename\":\"nb_up-1.2.tar.gz\",\"url\":\"https://f.example/x\",\"yanked\":true},"
	"{\"filename\":\"/etc/passwd\",\"url\":\"https://f.example/x\"},"
	"{\"filename\":\"nb_up-1.3.tar.gz\",\"url\":7},"
	"\"not an object\"]}";

static void test_json_page(void **state)
{
	struct pypi_link *v;
	struct nb_err e;
	struct arena a;
	int n;

	(void)state;
	arena_init(&a);
	n = pypi_upstream_page(&a, BASE, json_page, strlen(json_page), 1, &v, &e);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].url, "https://up.example/p/nb_up-1.0-py3-none-any.whl");
	assert_string_equal(v[0].sha256, H64A);
	assert_string_equal(v[0].requires_python, ">=3.7");
	assert_int_equal(v[0].size, 1234);
	assert_null(v[0].yanked);
	assert_string_equal(v[1].sha256, "");
	assert_string_equal(v[1].yanked, "broken");
	assert_int_equal(v[1].size, -1);
	assert_string_equal(v[2].yanked, "");
	nb_err_clear(&e);
	assert_int_equal(pypi_upstream_page(&a, BASE, "[1]", 3, 1, &v, &e), -1);
	assert_int_equal(e.kind, NB_BAD_GATEWAY);
	assert_int_equal(pypi_upstream_page(&a, BASE, "{\"files\":", 9, 1, &v, &e), -1);
	/* an escape cJSON reads as NUL: the key would be "files" */
	{
		static const char nul[] = "{\"files\\u00zz\":[{\"filename\":\"a-1.tar.gz\","
			"\"url\":\"a-1.tar.gz\",\"hashes\":{}}]}";
		assert_int_equal(pypi_upstream_page(&a, BASE, nul, sizeof(nul) - 1, 1, &v, &e), -1);
	}
	arena_free(&a);
}

static void test_project_list(void **state)
{
	static const char html[] = "<html><a href=\"/simple/nb-one/\">nb-one</a>"
		"<a href=\"/simple/Nb_Two/\">Nb_Two</a><a href=\"x\">bad name!</a></html>";
	static const char json[] = "{\"meta\":{\"api-version\":\"1.0\"},\"projects\":["
		"{\"name\":\"Nb.Three\"},{\"name\":5},{\"nom\":\"x\"},{\"name\":\"-bad\"}]}";
	const char **v;
	struct nb_err e;
	struct arena a;

	(void)state;
	arena_init(&a);
	assert_int_equal(pypi_upstream_list(&a, html, strlen(html), 0, &v, NULL), 2);
	assert_string_equal(v[0], "nb-one");
	assert_string_equal(v[1], "nb-two");
	assert_null(v[2]);
	assert_int_equal(pypi_upstream_list(&a, json, strlen(json), 1, &v, NULL), 1);
	assert_string_equal(v[0], "nb-three");
	assert_null(v[1]);
	assert_int_equal(pypi_upstream_list(&a, "", 0, 0, &v, NULL), 0);
	assert_null(v[0]);
	nb_err_clear(&e);
	assert_int_equal(pypi_upstream_list(&a, "{}", 2, 1, &v, &e), -1);
	assert_int_equal(e.kind, NB_BAD_GATEWAY);
	arena_free(&a);
}

static void test_entities(void **state)
{
	static const char page[] =
		"<a href=\"x.whl\" data-requires-python=\"&#62;=3&#x2e;8&#0;&#xD800;&bogus;\">"
		"nb&#95;up-1.0.tar.gz</a>";
	struct pypi_link *v;
	struct arena a;

	(void)state;
	arena_init(&a);
	assert_int_equal(pypi_upstream_page(&a, BASE, page, strlen(page), 0, &v, NULL), 1);
	assert_string_equal(v[0].filename, "nb_up-1.0.tar.gz");
	/* NUL and surrogates are no characters: left as written */
	assert_string_equal(v[0].requires_python, ">=3.8&#0;&#xD800;&bogus;");
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_join),
		cmocka_unit_test(test_html_page),
		cmocka_unit_test(test_json_page),
		cmocka_unit_test(test_project_list),
		cmocka_unit_test(test_entities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
