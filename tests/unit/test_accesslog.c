/*
 * test_accesslog.c - the front end's access-log line (src/log/accesslog.h):
 * lighttpd's and Apache's lines as they write them, escapes, absent
 * fields, one test per refused shape, and the pump from a pipe into the
 * store (hot rows, a refused line skipped, the last line without newline)
 * and a last flush that fails said as the pump's error.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../src/log/accesslog.h"
#include "unit_util.h"
#include "unit_store.h"

#define REST " \"GET /list/abc?x=1 HTTP/1.1\" 200 17 345 \"127.0.0.1\" \"box-script\""

static int parse(const char *line, struct reqlog_entry *e, int *hot, struct nb_err *why)
{
	return accesslog_parse(line, strlen(line), e, hot, why);
}

static void test_lighttpd_line(void **state)
{
	struct reqlog_entry e;
	struct nb_err why = { NB_OK, "" };	/* a success leaves it alone */
	int hot;

	(void)state;
	assert_int_equal(parse("\"1796059302149\" \"list\" \"list /list/:search\"" REST, &e, &hot, &why), 0);
	assert_int_equal(why.kind, NB_OK);
	assert_int_equal(e.ts_ms, 1796059302149LL);
	assert_string_equal(e.program, "list");
	assert_string_equal(e.route, "/list/:search");
	assert_int_equal(hot, 0);
	assert_string_equal(e.method, "GET");
	assert_string_equal(e.path, "/list/abc?x=1");
	assert_int_equal(e.status, 200);
	assert_int_equal(e.bytes, 17);
	assert_int_equal(e.dur_us, 345);
	assert_string_equal(e.remote, "127.0.0.1");
	assert_string_equal(e.ua, "box-script");
}

/* The operator a program named (X-Nestbox-User), after the user agent;
 * "-" (no header) is none, and a line without the field (a front end
 * configured before it) is read as before. */
static void test_user_field(void **state)
{
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	(void)state;
	assert_int_equal(parse("\"5\" \"admin\" \"admin /users\"" REST " \"ann@ops\"", &e, &hot,
			       &why), 0);
	assert_string_equal(e.ua, "box-script");
	assert_string_equal(e.user, "ann@ops");
	assert_int_equal(parse("\"5\" \"admin\" \"admin /users\"" REST " \"-\"", &e, &hot, &why), 0);
	assert_string_equal(e.user, "");
	assert_int_equal(parse("\"5\" \"list\" \"-\"" REST, &e, &hot, &why), 0);
	assert_string_equal(e.user, "");
	assert_int_equal(parse("\"5\" \"admin\" \"-\"" REST " \"a\\\"b\\x41\"", &e, &hot, &why), 0);
	assert_string_equal(e.user, "a\"bA");
}

/* A static file or a dead program's 500: no route; no program, no agent,
 * no body ("-" from both front ends). */
static void test_absent_fields(void **state)
{
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	(void)state;
	assert_int_equal(parse("\"5\" \"-\" \"-\" \"GET /static/a.css HTTP/1.1\" 304 - 12"
			       " \"::1\" \"-\"", &e, &hot, &why), 0);
	assert_string_equal(e.program, ACCESSLOG_NO_PROGRAM);
	assert_string_equal(e.route, "-");
	assert_int_equal(e.bytes, 0);
	assert_string_equal(e.ua, "");
	assert_string_equal(e.remote, "::1");
}

static void test_hot_route(void **state)
{
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	(void)state;
	assert_int_equal(parse("\"5\" \"ddi\" \"ddi /:tenant/controller/v1/:id hot\"" REST, &e,
			       &hot, &why), 0);
	assert_int_equal(hot, 1);
	assert_string_equal(e.route, "/:tenant/controller/v1/:id");
	/* " hot" alone is a label, not a flag on an empty one */
	assert_int_equal(parse("\"5\" \"ddi\" \"ddi  hot\"" REST, &e, &hot, &why), 0);
	assert_int_equal(hot, 0);
	assert_string_equal(e.route, " hot");
}

/* The answering program names itself: a miss rewritten from a static URL
 * space is the program's; an empty program keeps the URL space's. */
static void test_program_from_answer(void **state)
{
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	(void)state;
	assert_int_equal(parse("\"5\" \"static\" \"mip /mip/file/*\"" REST, &e, &hot, &why), 0);
	assert_string_equal(e.program, "mip");
	assert_string_equal(e.route, "/mip/file/*");
	assert_int_equal(parse("\"5\" \"static\" \" /x\"" REST, &e, &hot, &why), 0);
	assert_string_equal(e.program, "static");
	assert_string_equal(e.route, "/x");
}

/* lighttpd's \xHH and Apache's \" \\ \t forms; a NUL becomes '?'. */
static void test_escapes(void **state)
{
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	(void)state;
	assert_int_equal(parse("\"5\" \"a\" \"-\" \"GET /p HTTP/1.1\" 200 1 1 \"h\""
			       " \"x\\\"y\\\\z\\t\\xC3\\xA4\\x00!\"", &e, &hot, &why), 0);
	assert_string_equal(e.ua, "x\"y\\z\t\xc3\xa4?!");
}

/* Values longer than the row's fields are cut, not refused. */
static void test_long_values_cut(void **state)
{
	char line[2048];
	char ua[1000];
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	(void)state;
	memset(ua, 'u', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	snprintf(line, sizeof(line), "\"5\" \"a\" \"-\" \"GET /p HTTP/1.1\" 200 1 1 \"h\" \"%s\"", ua);
	assert_int_equal(parse(line, &e, &hot, &why), 0);
	assert_int_equal(strlen(e.ua), sizeof(e.ua) - 1);
}

/* A request line the front end could not read is kept as it came. */
static void test_odd_request_line(void **state)
{
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	(void)state;
	assert_int_equal(parse("\"5\" \"-\" \"-\" \"garbage\" 400 0 1 \"h\" \"-\"", &e, &hot, &why), 0);
	assert_string_equal(e.method, "-");
	assert_string_equal(e.path, "garbage");
	/* a WebDAV method is longer than GET's kin: kept whole (RFC 4918) */
	assert_int_equal(parse("\"5\" \"-\" \"-\" \"PROPFIND /admin HTTP/1.1\" 405 0 1 \"h\" \"-\"",
			       &e, &hot, &why), 0);
	assert_string_equal(e.method, "PROPFIND");
	assert_int_equal(parse("\"5\" \"-\" \"-\" \"VERSION-CONTROL / HTTP/1.1\" 405 0 1 \"h\" \"-\"",
			       &e, &hot, &why), 0);
	assert_string_equal(e.method, "VERSION-CONTROL");
}

/*
 * A method no one registered is logged as it was sent: cut to the entry's
 * 23 bytes and made printable ASCII (Apache writes the request line as it
 * came, a byte outside ASCII's printable range escaped as \xHH); the
 * empty method and target of lighttpd's 501 line are "-".
 */
static void test_unknown_method(void **state)
{
	char line[1024], junk[201];
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	(void)state;
	assert_int_equal(parse("\"5\" \"-\" \"-\" \"FOO /list HTTP/1.1\" 501 0 1 \"h\" \"-\"",
			       &e, &hot, &why), 0);
	assert_string_equal(e.method, "FOO");
	assert_string_equal(e.path, "/list");
	memset(junk, 'J', 200);
	junk[200] = '\0';
	junk[0] = 'q';
	snprintf(line, sizeof(line), "\"5\" \"-\" \"-\" \"%s /x HTTP/1.1\" 501 0 1 \"h\" \"-\"", junk);
	assert_int_equal(parse(line, &e, &hot, &why), 0);
	assert_int_equal(strlen(e.method), 23);
	assert_memory_equal(e.method, junk, 23);
	assert_string_equal(e.path, "/x");
	/* control bytes, a byte that is no UTF-8, an escaped quote */
	assert_int_equal(parse("\"5\" \"-\" \"-\" \"G\\x01T\\xff\\x7f\\\"\\t /x HTTP/1.1\" 501 0 1 \"h\" \"-\"",
			       &e, &hot, &why), 0);
	assert_string_equal(e.method, "G?T??\"?");
	/* lighttpd keeps no method it does not know: "  HTTP/1.1" */
	assert_int_equal(parse("\"5\" \"-\" \"-\" \"  HTTP/1.1\" 501 353 1 \"h\" \"-\"", &e, &hot,
			       &why), 0);
	assert_string_equal(e.method, "-");
	assert_string_equal(e.path, "-");
	assert_int_equal(e.status, 501);
}

static void refused(const char *line, const char *want)
{
	struct reqlog_entry e;
	struct nb_err why = { NB_OK, "" };
	int hot;

	if (accesslog_parse(line, strlen(line), &e, &hot, &why) != -1 || why.kind != NB_INVALID ||
	    strcmp(why.msg, want))
		fail_msg("%s: got %s, want %s", line, why.kind ? why.msg : "(accepted)", want);
}

static void test_refused_lines(void **state)
{
	(void)state;
	refused("", "bad time field");
	refused("\"\" \"a\" \"-\"" REST, "bad time field");
	refused("\"12x\" \"a\" \"-\"" REST, "bad time field");
	refused("\"1234567890123456\" \"a\" \"-\"" REST, "bad time field");
	refused("5 \"a\" \"-\"" REST, "bad time field");
	refused("\"5\"\"a\" \"-\"" REST, "bad time field");
	refused("\"5\" a \"-\"" REST, "bad program field");
	refused("\"5\" \"a", "bad program field");
	refused("\"5\" \"a\" \"\\q\"" REST, "bad route field");
	refused("\"5\" \"a\" \"\\x4\"" REST, "bad route field");
	refused("\"5\" \"a\" \"-\" GET / 200 1 1 \"h\" \"u\"", "bad request field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 99 1 1 \"h\" \"u\"", "bad status field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 1000 1 1 \"h\" \"u\"", "bad status field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" x 1 1 \"h\" \"u\"", "bad status field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 200 99999999999999999999 1 \"h\" \"u\"",
		"bad bytes field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 200 1  1 \"h\" \"u\"", "bad duration field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 200 1 1 h \"u\"", "bad remote field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 200 1 1 \"h\" \"u", "bad user-agent field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 200 1 1 \"h\" \"u\" extra", "bad user field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 200 1 1 \"h\" \"u\" \"ann", "bad user field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 200 1 1 \"h\" \"u\" \"ann\" ", "bad user field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 200 1 1 \"h\" \"u\" \"a\\q\"", "bad user field");
	refused("\"5\" \"a\" \"-\" \"GET / H\" 200 1 1 \"h\"", "bad remote field");
}

static void test_refused_nul_and_length(void **state)
{
	static const char nul[] = "\"5\" \"a\0\" \"-\"" REST;
	char *big = malloc(ACCESSLOG_LINE_MAX + 2);
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	(void)state;
	assert_int_equal(accesslog_parse(nul, sizeof(nul) - 1, &e, &hot, &why), -1);
	assert_string_equal(why.msg, "NUL byte in line");
	memset(big, 'a', ACCESSLOG_LINE_MAX + 1);
	assert_int_equal(accesslog_parse(big, ACCESSLOG_LINE_MAX + 1, &e, &hot, &why), -1);
	assert_string_equal(why.msg, "line too long");
	free(big);
}

/* The pump over a pipe: rows, a hot success counted without a row, a hot
 * error with one, a refused line and an over-long one skipped, the last
 * line (no newline) kept, everything written at EOF. */
static void test_pump(void **state)
{
	char *dir = ut_mkdtemp();
	struct db *db;
	struct reqlog *l = malloc(sizeof(*l));
	volatile sig_atomic_t stop = 0;
	int fds[2];
	char *big = malloc(ACCESSLOG_LINE_MAX + 10);
	static const char lines[] =
		"\"5\" \"list\" \"/list\" \"GET /list HTTP/1.1\" 200 3 10 \"h\" \"-\"\n"
		"\"5\" \"ddi\" \"ddi /poll hot\" \"GET /t/controller/v1/d HTTP/1.1\" 200 3 10 \"h\" \"-\"\n"
		"not a line\n"
		"\"5\" \"ddi\" \"ddi /poll hot\" \"GET /t/controller/v1/d HTTP/1.1\" 401 3 10 \"h\" \"-\"\n";
	static const char last[] =
		"\"5\" \"admin\" \"-\" \"POST /admin/images HTTP/1.1\" 500 0 10 \"h\" \"-\" \"ann\"";

	(void)state;
	assert_int_equal(ut_store_open(dir, 1000, &db), 0);
	reqlog_init(l, 64, 1000000, 1000, 0);
	assert_int_equal(pipe(fds), 0);
	memset(big, 'x', ACCESSLOG_LINE_MAX + 9);
	big[ACCESSLOG_LINE_MAX + 9] = '\n';
	assert_int_equal(write(fds[1], lines, sizeof(lines) - 1), (ssize_t)sizeof(lines) - 1);
	assert_int_equal(write(fds[1], big, ACCESSLOG_LINE_MAX + 10), ACCESSLOG_LINE_MAX + 10);
	assert_int_equal(write(fds[1], last, sizeof(last) - 1), (ssize_t)sizeof(last) - 1);
	close(fds[1]);
	assert_int_equal(accesslog_pump(fds[0], l, db, 0, &stop, NULL), 2);
	close(fds[0]);
	assert_int_equal(ut_q1(db, "SELECT count(*) FROM request_log"), 3);
	assert_int_equal(ut_q1(db, "SELECT count(*) FROM request_log WHERE program='ddi'"
			    " AND status=401 AND route='/poll'"), 1);
	assert_int_equal(ut_q1(db, "SELECT count(*) FROM request_log WHERE program='admin'"
			    " AND status=500 AND path='/admin/images' AND user='ann'"), 1);
	assert_int_equal(ut_q1(db, "SELECT count(*) FROM request_log WHERE user=''"), 2);
	assert_int_equal(ut_q1(db, "SELECT sum(count) FROM metrics_requests WHERE program='ddi'"), 2);
	free(big);
	free(l);
	ut_store_close(db, dir);
}

/*
 * The last flush failing loses its rows: the pump answers -1 with the
 * error value naming them (nestbox-accesslog says it and exits 1), never
 * the count of refused lines as if all went in.
 */
static void test_pump_last_flush_fails(void **state)
{
	char *dir = ut_mkdtemp();
	struct db *db;
	struct reqlog *l = malloc(sizeof(*l));
	volatile sig_atomic_t stop = 0;
	struct nb_err err;
	int fds[2];
	static const char lines[] =
		"\"5\" \"list\" \"/list\" \"GET /list HTTP/1.1\" 200 3 10 \"h\" \"-\"\n"
		"\"5\" \"list\" \"/list\" \"GET /list HTTP/1.1\" 404 3 10 \"h\" \"-\"\n";

	(void)state;
	assert_int_equal(ut_store_open(dir, 1000, &db), 0);
	assert_int_equal(db_exec(db, "ALTER TABLE metrics_requests RENAME TO metrics_away"), 0);
	reqlog_init(l, 64, 1000000, 1000, 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], lines, sizeof(lines) - 1), (ssize_t)sizeof(lines) - 1);
	close(fds[1]);
	assert_int_equal(accesslog_pump(fds[0], l, db, 0, &stop, &err), -1);
	close(fds[0]);
	assert_int_equal(err.kind, NB_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "request log not written (2 rows): request counter"));
	assert_int_equal(ut_q1(db, "SELECT count(*) FROM request_log"), 0);
	free(l);
	ut_store_close(db, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lighttpd_line),
		cmocka_unit_test(test_user_field),
		cmocka_unit_test(test_absent_fields),
		cmocka_unit_test(test_hot_route),
		cmocka_unit_test(test_program_from_answer),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_long_values_cut),
		cmocka_unit_test(test_odd_request_line),
		cmocka_unit_test(test_unknown_method),
		cmocka_unit_test(test_refused_lines),
		cmocka_unit_test(test_refused_nul_and_length),
		cmocka_unit_test(test_pump),
		cmocka_unit_test(test_pump_last_flush_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
