/*
 * test_conf.c - the YAML configuration with a key table of its own:
 * defaults, each type (str, int, bool, path resolved against the file's
 * directory, list in flow and block style), the exact error texts (file,
 * line and key) for unknown keys, duplicates, wrong types, lists where a
 * scalar belongs, a non-mapping top level or section, YAML syntax errors
 * and several documents; empty and comment-only files; conf_entry; and
 * conf_apply_env with a fake envp (NESTBOX_SECTION__KEY, unknown keys,
 * type checks, the plain alias variable and NESTBOX_ winning over it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../src/lib/conf.h"

/* A directory that does not exist, so paths are joined, not canonicalized. */
#define DIR_ "/nonexistent-nb-unit"
#define FNAME DIR_ "/nestbox.yaml"

static const struct conf_key keys[] = {
	{ "server.name", CONF_STR, "nestbox", NULL, 0, "a string" },
	{ "server.port", CONF_INT, "8080", NULL, 0, "an integer" },
	{ "server.debug", CONF_BOOL, "false", NULL, 0, "a bool" },
	{ "server.dir", CONF_PATH, "var", NULL, 0, "a path" },
	{ "server.token", CONF_STR, NULL, NULL, 1, "a secret" },
	{ "mkbox.image_path", CONF_PATH, "", "IMAGE_PATH", 0, "a path with an alias" },
	{ "mkbox.boards", CONF_LIST, "a,b", NULL, 0, "a list" },
	{ NULL, 0, NULL, NULL, 0, NULL }
};

static struct nb_err E;	/* the last refusal: NB_INVALID with a message */

/* Parses text (must succeed) and returns the conf. */
static struct conf *parse_ok(const char *text)
{
	struct conf *c = NULL;

	nb_err_clear(&E);
	if (conf_parse(keys, text, strlen(text), FNAME, &c, &E) != 0)
		fail_msg("conf_parse failed: %s", E.msg);
	assert_non_null(c);
	return c;
}

/* Parses text, expects failure, returns the error text. */
static const char *parse_err(const char *text)
{
	struct conf *c = (struct conf *)&c;	/* must be reset to NULL */

	nb_err_clear(&E);
	assert_int_equal(conf_parse(keys, text, strlen(text), FNAME, &c, &E), -1);
	assert_null(c);
	assert_int_equal(E.kind, NB_INVALID);
	assert_true(E.msg[0] != '\0');
	return E.msg;
}

static void assert_defaults(const struct conf *c)
{
	assert_string_equal(conf_str(c, "server.name"), "nestbox");
	assert_int_equal(conf_int(c, "server.port"), 8080);
	assert_int_equal(conf_bool(c, "server.debug"), 0);
	assert_string_equal(conf_str(c, "server.debug"), "false");
	assert_string_equal(conf_str(c, "server.dir"), DIR_ "/var");
	assert_string_equal(conf_str(c, "server.token"), "");
	assert_string_equal(conf_str(c, "mkbox.image_path"), "");
	assert_string_equal(conf_str(c, "mkbox.boards"), "a,b");
}

static void test_empty_file_gives_defaults(void **state)
{
	struct conf *c = parse_ok("");

	(void)state;
	assert_defaults(c);
	assert_string_equal(conf_file(c), FNAME);
	conf_free(c);
}

static void test_comment_only_file_gives_defaults(void **state)
{
	struct conf *c = parse_ok("# nothing here\n\n# still nothing\n");

	(void)state;
	assert_defaults(c);
	conf_free(c);
}

static void test_empty_section(void **state)
{
	struct conf *c = parse_ok("server:\nmkbox:\n");

	(void)state;
	assert_defaults(c);
	conf_free(c);
}

static void test_values_of_each_type(void **state)
{
	struct conf *c = parse_ok(
		"# comment\n"
		"server:\n"
		"  name: box server\n"
		"  port: 9090\n"
		"  debug: yes\n"
		"  dir: data/x\n"
		"  token: 's3cret'\n"
		"mkbox:\n"
		"  image_path: /srv/images\n"
		"  boards: [esp32, rp2040, 'stm32']\n");

	(void)state;
	assert_string_equal(conf_str(c, "server.name"), "box server");
	assert_int_equal(conf_int(c, "server.port"), 9090);
	assert_int_equal(conf_bool(c, "server.debug"), 1);
	assert_string_equal(conf_str(c, "server.dir"), DIR_ "/data/x");
	assert_string_equal(conf_str(c, "server.token"), "s3cret");
	assert_string_equal(conf_str(c, "mkbox.image_path"), "/srv/images");
	assert_string_equal(conf_str(c, "mkbox.boards"), "esp32,rp2040,stm32");
	conf_free(c);
}

static void test_bool_spellings(void **state)
{
	const char *yes[] = { "true", "yes", "on", "1" };
	const char *no[] = { "false", "no", "off", "0" };
	char text[64];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		struct conf *c;
		snprintf(text, sizeof(text), "server:\n  debug: %s\n", yes[i]);
		c = parse_ok(text);
		assert_int_equal(conf_bool(c, "server.debug"), 1);
		conf_free(c);
		snprintf(text, sizeof(text), "server:\n  debug: %s\n", no[i]);
		c = parse_ok(text);
		assert_int_equal(conf_bool(c, "server.debug"), 0);
		conf_free(c);
	}
}

static void test_negative_and_large_int(void **state)
{
	struct conf *c = parse_ok("server:\n  port: -12\n");

	(void)state;
	assert_int_equal(conf_int(c, "server.port"), -12);
	conf_free(c);
	c = parse_ok("server:\n  port: 9223372036854775807\n");
	assert_true(conf_int(c, "server.port") == LLONG_MAX);
	conf_free(c);
}

static void test_block_list_and_single_item(void **state)
{
	struct conf *c = parse_ok("mkbox:\n  boards:\n    - p\n    - q r\n    - s\n");

	(void)state;
	assert_string_equal(conf_str(c, "mkbox.boards"), "p,q r,s");
	conf_free(c);
	c = parse_ok("mkbox:\n  boards: solo\n");
	assert_string_equal(conf_str(c, "mkbox.boards"), "solo");
	conf_free(c);
	c = parse_ok("mkbox:\n  boards: []\n");
	assert_string_equal(conf_str(c, "mkbox.boards"), "");
	conf_free(c);
}

static void test_long_list(void **state)
{
	char text[8192], want[4096];
	struct conf *c;
	int i;

	(void)state;
	strcpy(text, "mkbox:\n  boards:\n");
	want[0] = '\0';
	for (i = 0; i < 300; i++) {
		sprintf(text + strlen(text), "    - item%d\n", i);
		sprintf(want + strlen(want), "%sitem%d", i ? "," : "", i);
	}
	c = parse_ok(text);
	assert_string_equal(conf_str(c, "mkbox.boards"), want);
	conf_free(c);
}

static void test_unknown_key(void **state)
{
	(void)state;
	assert_string_equal(parse_err("server:\n  name: x\n  prot: 1\n"),
			    FNAME ":3: unknown key 'server.prot'");
	assert_string_equal(parse_err("bogus:\n  a: 1\n"),
			    FNAME ":2: unknown key 'bogus.a'");
	/* a key of the right name in the wrong section */
	assert_string_equal(parse_err("mkbox:\n\n  port: 1\n"),
			    FNAME ":3: unknown key 'mkbox.port'");
}

static void test_duplicate_key(void **state)
{
	(void)state;
	assert_string_equal(parse_err("server:\n  port: 1\n  port: 2\n"),
			    FNAME ":3: key 'server.port' given twice");
}

static void test_duplicate_key_across_repeated_section(void **state)
{
	struct conf *c = NULL;
	const char *text = "server:\n  port: 1\nmkbox:\n  boards: x\nserver:\n  port: 2\n";
	int rc;

	(void)state;
	nb_err_clear(&E);
	rc = conf_parse(keys, text, strlen(text), FNAME, &c, &E);
	conf_free(c);
	/* Regression (was a bug): the "given twice" bitmap is local to one section mapping
	 * (yp_section), and libyaml does not reject a repeated mapping key,
	 * so a section written twice silently overrides earlier keys: here
	 * server.port becomes 2 and no error is reported. */
	assert_int_equal(rc, -1);
	assert_non_null(strstr(E.msg, "server"));
}

static void test_wrong_types(void **state)
{
	(void)state;
	assert_string_equal(parse_err("server:\n  port: abc\n"),
			    FNAME ":2: key 'server.port': expected an integer, got 'abc'");
	assert_string_equal(parse_err("server:\n  port: 12abc\n"),
			    FNAME ":2: key 'server.port': expected an integer, got '12abc'");
	assert_string_equal(parse_err("server:\n  port: 1.5\n"),
			    FNAME ":2: key 'server.port': expected an integer, got '1.5'");
	assert_string_equal(parse_err("server:\n  port:\n"),
			    FNAME ":2: key 'server.port': expected an integer, got ''");
	assert_string_equal(parse_err("server:\n  port: 99999999999999999999\n"),
			    FNAME ":2: key 'server.port': expected an integer, got '99999999999999999999'");
	assert_string_equal(parse_err("server:\n  debug: maybe\n"),
			    FNAME ":2: key 'server.debug': expected true or false, got 'maybe'");
	assert_string_equal(parse_err("server:\n  debug: TRUE\n"),
			    FNAME ":2: key 'server.debug': expected true or false, got 'TRUE'");
}

static void test_list_where_scalar_belongs(void **state)
{
	(void)state;
	assert_string_equal(parse_err("server:\n  name: [a, b]\n"),
			    FNAME ":2: key 'server.name' takes one value, not a list");
	assert_string_equal(parse_err("server:\n  port:\n    - 1\n"),
			    FNAME ":2: key 'server.port' takes one value, not a list");
}

static void test_bad_list_items(void **state)
{
	(void)state;
	assert_string_equal(parse_err("mkbox:\n  boards:\n    - a\n    - b,c\n"),
			    FNAME ":4: list items may not contain ','");
	assert_string_equal(parse_err("mkbox:\n  boards:\n    - a\n    - {x: 1}\n"),
			    FNAME ":4: lists may hold only plain values");
	assert_string_equal(parse_err("mkbox:\n  boards: [[a]]\n"),
			    FNAME ":2: lists may hold only plain values");
}

static void test_mapping_as_value(void **state)
{
	(void)state;
	assert_string_equal(parse_err("server:\n  name:\n    first: x\n"),
			    FNAME ":3: expected a value");
}

static void test_top_level_not_mapping(void **state)
{
	(void)state;
	assert_string_equal(parse_err("- a\n- b\n"),
			    FNAME ":1: the top level must be a mapping of sections");
	assert_string_equal(parse_err("# header\njust words\n"),
			    FNAME ":2: the top level must be a mapping of sections");
}

static void test_section_not_mapping(void **state)
{
	(void)state;
	assert_string_equal(parse_err("server: 5\n"),
			    FNAME ":1: section 'server' must be a mapping of keys");
	assert_string_equal(parse_err("server:\n  - a\n"),
			    FNAME ":2: section 'server' must be a mapping of keys");
}

static void test_yaml_syntax_error_names_line(void **state)
{
	const char *e;

	(void)state;
	e = parse_err("server:\n  name: x\n  port: [1, 2\n");
	assert_int_equal(strncmp(e, FNAME ":4: YAML syntax error: ", strlen(FNAME ":4: YAML syntax error: ")), 0);
	e = parse_err("server:\n  name: 'unterminated\n");
	assert_int_equal(strncmp(e, FNAME ":3: YAML syntax error: ", strlen(FNAME ":3: YAML syntax error: ")), 0);
	e = parse_err("server:\n  name: x\n   port: 1\n");
	assert_int_equal(strncmp(e, FNAME ":3: YAML syntax error: ", strlen(FNAME ":3: YAML syntax error: ")), 0);
	assert_non_null(strstr(e, "mapping values are not allowed"));
}

static void test_two_documents(void **state)
{
	(void)state;
	assert_string_equal(parse_err("server:\n  port: 1\n---\nserver:\n  port: 2\n"),
			    FNAME ":3: only one YAML document is allowed");
}

static void test_conf_entry(void **state)
{
	struct conf *c = parse_ok("server:\n  token: hidden\n");
	const char *name, *value;
	int secret, i, n = 0, secrets = 0;

	(void)state;
	for (i = 0; conf_entry(c, i, &name, &value, &secret); i++) {
		assert_string_equal(name, keys[i].name);
		assert_string_equal(value, conf_str(c, name));
		n++;
		secrets += secret;
		if (!strcmp(name, "server.token")) {
			assert_int_equal(secret, 1);
			assert_string_equal(value, "hidden");
		}
	}
	assert_int_equal(n, 7);
	assert_int_equal(secrets, 1);
	assert_int_equal(conf_entry(c, -1, &name, &value, &secret), 0);
	assert_int_equal(conf_entry(c, 7, &name, &value, &secret), 0);
	conf_free(c);
}

/* -- environment ------------------------------------------------------- */

static void test_env_override(void **state)
{
	struct conf *c = parse_ok("server:\n  port: 1\n  name: file\n");
	char *envp[] = { "PATH=/usr/bin", "NESTBOX_SERVER__PORT=9999",
			 "NESTBOX_MKBOX__BOARDS=x,y", "NESTBOX_SERVER__DEBUG=on", NULL };

	(void)state;
	assert_int_equal(conf_apply_env(c, envp, &E), 0);
	assert_int_equal(conf_int(c, "server.port"), 9999);
	assert_int_equal(conf_bool(c, "server.debug"), 1);
	assert_string_equal(conf_str(c, "mkbox.boards"), "x,y");
	assert_string_equal(conf_str(c, "server.name"), "file");
	conf_free(c);
}

static void test_env_empty_and_null(void **state)
{
	struct conf *c = parse_ok("");
	char *none[] = { NULL };

	(void)state;
	assert_int_equal(conf_apply_env(c, none, &E), 0);
	assert_int_equal(conf_apply_env(c, NULL, &E), 0);
	assert_defaults(c);
	conf_free(c);
}

static void test_env_non_key_variables_ignored(void **state)
{
	struct conf *c = parse_ok("");
	char *envp[] = { "NESTBOX_CONFIG=/etc/other.yaml", "NESTBOX_X=1",
			 "NESTBOX_A=b__c", "XNESTBOX_SERVER__PORT=1", "NESTBOX_SERVER__PORT", NULL };

	(void)state;
	assert_int_equal(conf_apply_env(c, envp, &E), 0);
	assert_defaults(c);
	conf_free(c);
}

static void test_env_unknown_key(void **state)
{
	struct conf *c = parse_ok("");
	char *envp[] = { "NESTBOX_SERVER__PROT=1", NULL };
	char *envp2[] = { "NESTBOX_NOPE__PORT=1", NULL };

	(void)state;
	assert_int_equal(conf_apply_env(c, envp, &E), -1);
	assert_string_equal(E.msg, "environment NESTBOX_SERVER__PROT: unknown key 'server.prot'");
	assert_int_equal(conf_apply_env(c, envp2, &E), -1);
	assert_string_equal(E.msg, "environment NESTBOX_NOPE__PORT: unknown key 'nope.port'");
	conf_free(c);
}

static void test_env_wrong_type(void **state)
{
	struct conf *c = parse_ok("");
	char *envp[] = { "NESTBOX_SERVER__PORT=eighty", NULL };
	char *envp2[] = { "NESTBOX_SERVER__DEBUG=sure", NULL };

	(void)state;
	assert_int_equal(conf_apply_env(c, envp, &E), -1);
	assert_string_equal(E.msg, "NESTBOX_SERVER__PORT: key 'server.port': expected an integer, got 'eighty'");
	assert_int_equal(conf_apply_env(c, envp2, &E), -1);
	assert_string_equal(E.msg, "NESTBOX_SERVER__DEBUG: key 'server.debug': expected true or false, got 'sure'");
	assert_int_equal(conf_int(c, "server.port"), 8080);
	conf_free(c);
}

static void test_env_relative_path_uses_cwd(void **state)
{
	struct conf *c = parse_ok("");
	char *envp[] = { "NESTBOX_SERVER__DIR=nb-unit-no-such-dir/sub", NULL };
	char cwd[PATH_MAX], want[PATH_MAX + 64];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/nb-unit-no-such-dir/sub", cwd);
	assert_int_equal(conf_apply_env(c, envp, &E), 0);
	assert_string_equal(conf_str(c, "server.dir"), want);
	conf_free(c);
}

static void test_env_alias(void **state)
{
	struct conf *c = parse_ok("mkbox:\n  image_path: /from/file\n");
	char *envp[] = { "IMAGE_PATHX=/wrong", "XIMAGE_PATH=/wrong", "IMAGE_PATH=/from/alias", NULL };

	(void)state;
	assert_int_equal(conf_apply_env(c, envp, &E), 0);
	assert_string_equal(conf_str(c, "mkbox.image_path"), "/from/alias");
	conf_free(c);
}

static void test_env_nestbox_beats_alias(void **state)
{
	struct conf *c = parse_ok("");
	/* NESTBOX_ first in envp, so order alone would let the alias win */
	char *envp[] = { "NESTBOX_MKBOX__IMAGE_PATH=/from/nestbox", "IMAGE_PATH=/from/alias", NULL };
	char *envp2[] = { "IMAGE_PATH=/from/alias", "NESTBOX_MKBOX__IMAGE_PATH=/from/nestbox", NULL };

	(void)state;
	assert_int_equal(conf_apply_env(c, envp, &E), 0);
	assert_string_equal(conf_str(c, "mkbox.image_path"), "/from/nestbox");
	assert_int_equal(conf_apply_env(c, envp2, &E), 0);
	assert_string_equal(conf_str(c, "mkbox.image_path"), "/from/nestbox");
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file_gives_defaults),
		cmocka_unit_test(test_comment_only_file_gives_defaults),
		cmocka_unit_test(test_empty_section),
		cmocka_unit_test(test_values_of_each_type),
		cmocka_unit_test(test_bool_spellings),
		cmocka_unit_test(test_negative_and_large_int),
		cmocka_unit_test(test_block_list_and_single_item),
		cmocka_unit_test(test_long_list),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_duplicate_key_across_repeated_section),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_list_where_scalar_belongs),
		cmocka_unit_test(test_bad_list_items),
		cmocka_unit_test(test_mapping_as_value),
		cmocka_unit_test(test_top_level_not_mapping),
		cmocka_unit_test(test_section_not_mapping),
		cmocka_unit_test(test_yaml_syntax_error_names_line),
		cmocka_unit_test(test_two_documents),
		cmocka_unit_test(test_conf_entry),
		cmocka_unit_test(test_env_override),
		cmocka_unit_test(test_env_empty_and_null),
		cmocka_unit_test(test_env_non_key_variables_ignored),
		cmocka_unit_test(test_env_unknown_key),
		cmocka_unit_test(test_env_wrong_type),
		cmocka_unit_test(test_env_relative_path_uses_cwd),
		cmocka_unit_test(test_env_alias),
		cmocka_unit_test(test_env_nestbox_beats_alias),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
