/*
 * test_ota.c - the OTA updater module (src/ota/):
 *  - the client's path rules (ota_path_ok, ota_path_hidden) and the name,
 *    ref and sha predicates;
 *  - ota.fcgi's real route table (src/cgi/ota.fcgi.c, included without
 *    main): it passes route_table_check, its declared fields give the
 *    handlers checked values and a refused one is 400 "invalid <field>";
 *  - the store's error kinds: a missing row NB_NOT_FOUND, a release tag
 *    recorded twice NB_CONFLICT;
 *  - crc32 and Python's json.dumps string form against values CPython
 *    printed (json.dumps, zlib.crc32);
 *  - manifest.json byte for byte and its HMAC-SHA256 signature against
 *    CPython's json.dumps(sort_keys=True, separators=(",", ":")) + hmac;
 *  - git object ids through libgit2: the blobs and tree of a set of files
 *    against `git write-tree` on the same files, and the commit's tree;
 *  - the source readers: a tar.gz in memory (top directory dropped, hidden
 *    files left out) and the refusals with the path named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/lib/hash.h"
#include "../../src/lib/path.h"
#include "../../src/ota/ota.h"
#define NB_NO_MAIN
#include "../../src/cgi/ota.fcgi.c"
#include "unit_routes.h"
#include "unit_store.h"

static void paths(void **state)
{
	(void)state;
	assert_true(ota_path_ok("main.py"));
	assert_true(ota_path_ok("lib/sub/a.py"));
	assert_true(ota_path_ok(".github/ci.yml"));	/* tree mode takes it */
	assert_true(ota_path_ok("lib/\xc3\xbc.py"));
	assert_false(ota_path_ok(""));
	assert_false(ota_path_ok("/etc/passwd"));
	assert_false(ota_path_ok("../x"));
	assert_false(ota_path_ok("a/../x"));
	assert_false(ota_path_ok("a/./x"));
	assert_false(ota_path_ok("a//x"));
	assert_false(ota_path_ok("a/"));
	assert_false(ota_path_ok("."));
	assert_false(ota_path_ok("a\\b"));
	assert_false(ota_path_ok("a\nb"));
	assert_false(ota_path_ok("bad\xff"));
	assert_true(ota_path_hidden(".env"));
	assert_true(ota_path_hidden("a/.git/config"));
	assert_false(ota_path_hidden("a/b.c/d"));
}

/* A name as the raw route takes it (PATH_SEG_MAX bytes) and a path as deep
 * as it can serve (OTA_PATH_SEGS names): one byte or one name more is
 * refused, with the rule named. */
static void path_limits(void **state)
{
	char name[PATH_SEG_MAX + 2], deep[2 * OTA_PATH_SEGS + 3];
	int i;

	(void)state;
	memset(name, 'a', PATH_SEG_MAX);
	name[PATH_SEG_MAX] = '\0';
	assert_true(ota_path_ok(name));
	name[PATH_SEG_MAX] = 'b';
	name[PATH_SEG_MAX + 1] = '\0';
	assert_false(ota_path_ok(name));
	assert_non_null(strstr(ota_path_fault(name), "256"));
	for (i = 0; i < OTA_PATH_SEGS; i++)
		memcpy(deep + 2 * i, "d/", 2);
	deep[2 * OTA_PATH_SEGS - 1] = '\0';
	assert_true(ota_path_ok(deep));
	deep[2 * OTA_PATH_SEGS - 1] = '/';
	memcpy(deep + 2 * OTA_PATH_SEGS, "x", 2);
	assert_false(ota_path_ok(deep));
	assert_non_null(strstr(ota_path_fault(deep), "27"));
	assert_int_equal(OTA_PATH_SEGS + OTA_RAW_PREFIX_SEGS, PATH_MAX_SEGS);
}

static void names(void **state)
{
	(void)state;
	/* GitHub's rules: owners alphanumeric with single inner hyphens, <= 39 */
	assert_true(ota_owner_ok("acme-co-7"));
	assert_true(ota_owner_ok("a"));
	assert_false(ota_owner_ok(""));
	assert_false(ota_owner_ok(".git"));
	assert_false(ota_owner_ok("-acme"));
	assert_false(ota_owner_ok("acme-"));
	assert_false(ota_owner_ok("ac--me"));
	assert_false(ota_owner_ok("ac_me"));
	assert_false(ota_owner_ok("a.b"));
	assert_true(ota_owner_ok("abcdefghijabcdefghijabcdefghijabcdefghi"));
	assert_false(ota_owner_ok("abcdefghijabcdefghijabcdefghijabcdefghij"));
	/* repository names: [A-Za-z0-9._-], <= 100, as GitHub names them */
	assert_true(ota_repo_name_ok("acme-co.x_1"));
	assert_true(ota_repo_name_ok(".github"));
	assert_true(ota_repo_name_ok("a..b"));
	assert_false(ota_repo_name_ok(""));
	assert_false(ota_repo_name_ok("."));
	assert_false(ota_repo_name_ok(".."));
	assert_false(ota_repo_name_ok("..."));
	assert_false(ota_repo_name_ok("-x"));
	assert_false(ota_repo_name_ok("app.git"));
	assert_false(ota_repo_name_ok("app.GIT"));
	assert_false(ota_repo_name_ok("app.wiki"));
	assert_false(ota_repo_name_ok("a b"));
	assert_false(ota_repo_name_ok("x/y"));
	assert_true(ota_repo_ok("acme", "app"));
	assert_false(ota_repo_ok(".git", "x"));
	/* new tags and branches: nothing git reads as another thing */
	assert_true(ota_ref_new_ok("v1.2.0+build"));
	assert_true(ota_ref_new_ok("RELEASE"));
	assert_true(ota_ref_new_ok("head"));
	assert_true(ota_ref_new_ok("b917a726"));
	assert_false(ota_ref_new_ok("HEAD"));
	assert_false(ota_ref_new_ok("FETCH_HEAD"));
	assert_false(ota_ref_new_ok("ORIG_HEAD"));
	assert_false(ota_ref_new_ok("CHERRY_PICK_HEAD"));
	assert_false(ota_ref_new_ok("AUTO_MERGE"));
	assert_false(ota_ref_new_ok("b917a726c93f902e43291d9009d6488385133b67"));
	assert_false(ota_ref_new_ok("B917A726C93F902E43291D9009D6488385133B67"));
	assert_false(ota_ref_new_ok("v1.lock"));
}

/* Any bytes of a name as text a JSON string may hold. */
static void shown_paths(void **state)
{
	struct arena a;
	const char *s;

	(void)state;
	arena_init(&a);
	assert_string_equal(ota_path_show(&a, "lib/\xc3\xa9t\xc3\xa9.py", 100), "lib/\xc3\xa9t\xc3\xa9.py");
	assert_string_equal(ota_path_show(&a, "a\xff\x01" "b", 100), "a\\xff\\x01b");
	/* a sequence cut short, an overlong form, a surrogate: each byte escaped */
	assert_string_equal(ota_path_show(&a, "\xc3", 100), "\\xc3");
	assert_string_equal(ota_path_show(&a, "\xc0\xaf", 100), "\\xc0\\xaf");
	assert_string_equal(ota_path_show(&a, "\xed\xa0\x80", 100), "\\xed\\xa0\\x80");
	/* cut on a character's boundary, never inside one */
	s = ota_path_show(&a, "\xc3\xa9\xc3\xa9\xc3\xa9", 5);
	assert_string_equal(s, "\xc3\xa9\xc3\xa9...");
	arena_free(&a);
	assert_true(ota_ref_ok("v1.2.0+build"));
	assert_false(ota_ref_ok(".hidden"));
	assert_false(ota_ref_ok("-x"));
	assert_false(ota_ref_ok("a..b"));
	assert_false(ota_ref_ok("v1.lock"));
	assert_false(ota_ref_ok("v1/x"));
	assert_true(ota_sha_ok("b917a726c93f902e43291d9009d6488385133b67"));
	assert_false(ota_sha_ok("B917A726C93F902E43291D9009D6488385133B67"));
	assert_false(ota_sha_ok("b917a726"));
	assert_true(ota_asset_name_ok("manifest.json"));
	assert_false(ota_asset_name_ok("other.json"));
}

static void crc_and_pystr(void **state)
{
	struct arena a;
	struct buf b;

	(void)state;
	assert_int_equal(ota_crc32(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(ota_crc32(ota_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
	arena_init(&a);
	buf_init(&b, &a);
	assert_int_equal(ota_json_pystr(&b, "a\"b\\c\n\t\x01\x7f/\xc3\xa9\xf0\x9f\x98\x80"), 0);
	/* python3 -c 'print(json.dumps("a\"b\\c\n\t\x01\x7f/\u00e9\U0001F600"))' */
	assert_string_equal(buf_cstr(&b),
			    "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f/\\u00e9\\ud83d\\ude00\"");
	buf_init(&b, &a);
	assert_int_equal(ota_json_pystr(&b, "bad\xc3"), -1);
	arena_free(&a);
}

/* CPython's json.dumps(m, sort_keys=True, separators=(",", ":")) of the same manifest */
static const char py_manifest[] =
	"{\"deletes\":[\"old.py\"],\"files\":[{\"crc32\":929602277,\"path\":\"lib/\\u00fc.py\","
	"\"sha256\":\"d32c4022e219602c82a4773b3d9a90438cfdd1aca3fc6955903a287051414484\","
	"\"size\":6},{\"crc32\":1021386246,\"path\":\"main.py\",\"sha256\":"
	"\"cc42155088fca5730758db72b2a5bca33112a941dfaa2d43098ec422ce4ea213\",\"size\":9}],"
	"\"generated_at\":\"2026-01-01T00:00:00Z\",\"post_update\":\"main.py\","
	"\"version\":\"v1.2\"}";
/* hmac.new(b"secret", py_manifest, hashlib.sha256).hexdigest() */
static const char py_sig[] = "8b68fa3936cda93a700e47192cc266644df282ed1403aefca8bd1fe6d1731193";

static void fill_manifest(struct ota_manifest *m, struct ota_mfile *f, const char **del)
{
	static const char *const data[2] = { "u = 1\n", "print(1)\n" };
	int i;

	f[0].path = "lib/\xc3\xbc.py";
	f[1].path = "main.py";
	for (i = 0; i < 2; i++) {
		f[i].size = strlen(data[i]);
		f[i].crc32 = ota_crc32(0, data[i], f[i].size);
		hash_hex(HASH_SHA256, data[i], f[i].size, f[i].sha256);
	}
	del[0] = "old.py";
	memset(m, 0, sizeof(*m));
	m->version = "v1.2";
	m->generated_at = "2026-01-01T00:00:00Z";
	m->post_update = "main.py";
	m->files = f;
	m->nfiles = 2;
	m->deletes = del;
	m->ndeletes = 1;
}

static void manifest_and_signature(void **state)
{
	struct ota_manifest m;
	struct ota_mfile f[2];
	const char *del[1];
	struct arena a;
	char *s, want[1024];
	size_t cut;

	(void)state;
	arena_init(&a);
	fill_manifest(&m, f, del);
	assert_string_equal(ota_manifest_json(&a, &m, NULL), py_manifest);
	assert_string_equal(ota_manifest_json(&a, &m, ""), py_manifest);
	s = ota_manifest_json(&a, &m, "secret");
	/* the signature sits between post_update and version, in key order */
	cut = strlen(py_manifest) - strlen(",\"version\":\"v1.2\"}");
	snprintf(want, sizeof(want), "%.*s,\"signature\":\"%s\",\"version\":\"v1.2\"}", (int)cut,
		 py_manifest, py_sig);
	assert_string_equal(s, want);
	f[1].path = "bad\xff";
	assert_null(ota_manifest_json(&a, &m, NULL));
	arena_free(&a);
}

static struct conf *test_conf(const char *dir)
{
	char text[512];
	struct nb_err e;
	struct conf *c = NULL;

	snprintf(text, sizeof(text), "server:\n  var_dir: %s\n", dir);
	assert_int_equal(conf_parse(core_conf_keys, text, strlen(text), "test.yaml", &c, &e), 0);
	return c;
}

static void git_ids(void **state)
{
	char dir[] = "/tmp/nb-ota-XXXXXX", commit[OTA_SHA1_HEX], tree[OTA_SHA1_HEX];
	char blob[HASH_HEX_MAX], cmd[256];
	struct ota_files f;
	struct ota_treeent *e;
	struct ota_git *g;
	struct app app;
	struct arena a;
	struct ota_settings set;
	struct nb_err err;
	int n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&app, 0, sizeof(app));
	app.conf = test_conf(dir);
	snprintf(app.set.var_dir, sizeof(app.set.var_dir), "%s", dir);
	ota_settings_read(&app, &set);
	ota_git_global_init();
	arena_init(&a);
	ota_files_init(&f, &a, 10, 1 << 20);
	assert_int_equal(ota_files_add(&f, "main.py", "print(1)\n", 9, 1, &err), 0);
	assert_int_equal(ota_files_add(&f, "lib/a.py", "A = 1\n", 6, 0, &err), 0);
	assert_int_equal(ota_files_add(&f, "lib/a.py/x", "", 0, 0, &err), -1);
	assert_int_equal(err.kind, NB_INVALID);
	assert_null(ota_git_open(&set, "acme", "none", 0, &err));
	assert_int_equal(err.kind, NB_NOT_FOUND);
	g = ota_git_open(&set, "acme", "app", 1, &err);
	assert_non_null(g);
	assert_int_equal(ota_git_commit_files(g, &f, "", "v1", commit, &err), 0);
	assert_int_equal(ota_git_tree(g, &a, commit, 1, tree, &e, &n), 0);
	/* `git write-tree` of main.py (100755) and lib/a.py */
	assert_string_equal(tree, "24b2686e5cd31aa6c8a9fe960a06c482fb4313c4");
	assert_int_equal(n, 3);
	assert_string_equal(e[0].path, "lib");
	assert_int_equal(e[0].type, 't');
	assert_string_equal(e[1].path, "lib/a.py");
	assert_string_equal(e[1].sha1, "76f516f79f036a434d6f258ab067f5cb5cb9c95a");
	assert_int_equal(e[1].size, 6);
	assert_string_equal(e[2].path, "main.py");
	assert_int_equal(e[2].mode, 0100755);
	hash_git_blob_hex("print(1)\n", 9, blob);
	assert_string_equal(e[2].sha1, blob);
	/* the tree id also answers, and a blob id is neither commit nor tree */
	assert_int_equal(ota_git_tree(g, &a, tree, 0, tree, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ota_git_tree(g, &a, blob, 1, tree, &e, &n), -1);
	ota_git_close(g);
	arena_free(&a);
	conf_free(app.conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A tar.gz of (name, data) pairs, in memory. */
static size_t make_tgz(char *out, size_t cap, const char *const *names, int n)
{
	struct archive *w = archive_write_new();
	size_t used = 0;
	int i;

	archive_write_set_format_pax_restricted(w);
	archive_write_add_filter_gzip(w);
	archive_write_open_memory(w, out, cap, &used);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_size(e, 3);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_write_header(w, e);
		archive_write_data(w, "abc", 3);
		archive_entry_free(e);
	}
	archive_write_close(w);
	archive_write_free(w);
	return used;
}

static void archives(void **state)
{
	static const char *const good[] = { "app-1/main.py", "app-1/.env", "app-1/lib/u.py" };
	static const char *const bad[] = { "main.py", "lib/../x.py" };
	static char buf[65536];
	struct ota_files f;
	struct arena a;
	struct nb_err err;
	size_t n;

	(void)state;
	arena_init(&a);
	n = make_tgz(buf, sizeof(buf), good, 3);
	ota_files_init(&f, &a, 10, 1 << 20);
	assert_int_equal(ota_read_archive_mem(&f, buf, n, &err), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].path, "main.py");
	assert_string_equal(f.v[1].path, "lib/u.py");
	assert_int_equal(f.nskipped, 1);
	assert_string_equal(f.skipped[0], ".env");	/* as in the release */
	n = make_tgz(buf, sizeof(buf), bad, 2);
	ota_files_init(&f, &a, 10, 1 << 20);
	assert_int_equal(ota_read_archive_mem(&f, buf, n, &err), -1);
	assert_int_equal(err.kind, NB_INVALID);
	assert_non_null(strstr(err.msg, "lib/../x.py"));
	ota_files_init(&f, &a, 1, 1 << 20);
	n = make_tgz(buf, sizeof(buf), good, 3);
	assert_int_equal(ota_read_archive_mem(&f, buf, n, &err), -1);
	assert_int_equal(err.kind, NB_TOO_LARGE);
	assert_non_null(strstr(err.msg, "too large"));
	ota_files_init(&f, &a, 10, 1 << 20);
	assert_int_equal(ota_read_archive_mem(&f, "not an archive", 14, &err), -1);
	/* a cut archive publishes nothing */
	n = make_tgz(buf, sizeof(buf), good, 3);
	ota_files_init(&f, &a, 10, 1 << 20);
	assert_int_equal(ota_read_archive_mem(&f, buf, n / 2, &err), -1);
	arena_free(&a);
}

/* Routes uri ("/path?query") in ota.fcgi's table as a GET, with a zeroed
 * app as app.c's defaults: req_check's result. */
static int run(const char *uri, struct http_req *r, struct nb_err *e)
{
	static const struct app app;

	return ut_route_check(&A, &app, ota_routes, ota_nroutes, "GET", uri, r, e);
}

#define SHA "b917a726c93f902e43291d9009d6488385133b67"

static void routes_declared(void **state)
{
	struct http_req r;
	struct nb_err e;

	(void)state;
	assert_int_equal(route_table_check(ota_routes, ota_nroutes, &e), 0);
	assert_int_equal(run("/ota/api/repos/acme/app/releases/12", &r, &e), 0);
	assert_string_equal(req_str(&r, "owner"), "acme");
	assert_string_equal(req_str(&r, "repo"), "app");
	assert_int_equal(req_int(&r, "id", 0), 12);
	assert_int_equal(run("/ota/api/repos/acme/app/git/trees/" SHA "?recursive", &r, &e), 0);
	assert_string_equal(req_str(&r, "sha"), SHA);
	assert_true(req_has(&r, "recursive"));
	assert_int_equal(run("/ota/api/repos/acme/app/git/trees/" SHA, &r, &e), 0);
	assert_false(req_has(&r, "recursive"));
	assert_int_equal(run("/ota/raw/acme/app/v1.0/lib/a.py", &r, &e), 0);
	assert_string_equal(req_str(&r, "ref"), "v1.0");
	assert_string_equal(req_str(&r, "path"), "lib/a.py");
	assert_int_equal(run("/ota/download/acme/app/v1/manifest.json", &r, &e), 0);
	assert_string_equal(req_str(&r, "file"), "manifest.json");
}

static void routes_refuse_naming_the_field(void **state)
{
	static const struct { const char *uri, *msg; } bad[] = {
		{ "/ota/api/repos/acme/app/releases/012", "invalid id" },
		{ "/ota/api/repos/acme/app/releases/assets/1234567890123456789", "invalid id" },
		/* a tree by id or, as GitHub takes it, by ref: not a name git refuses */
		{ "/ota/api/repos/acme/app/git/trees/..x", "invalid sha" },
		{ "/ota/api/repos/acme/app/git/tags/" "B917A726C93F902E43291D9009D6488385133B67",
		  "invalid sha" },
		{ "/ota/api/repos/acme/app/git/ref/tags/..x", "invalid tag" },
		{ "/ota/api/repos/acme/app/git/refs/heads/-x", "invalid branch" },
		{ "/ota/api/repos/ac%20me/app/releases/latest", "invalid owner" },
		{ "/ota/api/repos/acme/a~b/releases", "invalid repo" },
		{ "/ota/download/acme/app/v1/other.json", "invalid file" },
		{ "/ota/raw/acme/app/v1.lock/main.py", "invalid ref" },
	};
	struct http_req r;
	struct nb_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run(bad[i].uri, &r, &e), -1);
		assert_int_equal(e.kind, NB_INVALID);
		assert_string_equal(e.msg, bad[i].msg);
	}
}

#define SHA256_ZERO "0000000000000000000000000000000000000000000000000000000000000000"

static void store_error_kinds(void **state)
{
	char dir[] = "/tmp/nb-ota-XXXXXX", cmd[256], name[64];
	struct ota_release rel, got;
	struct ota_repo repo;
	struct app app;
	struct nb_err e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&app, 0, sizeof(app));
	assert_int_equal(ut_store_open(dir, 1000, &app.db), 0);
	assert_int_equal(ota_repo_get(&app, "acme", "app", &repo, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ota_repo_ensure(&app, "acme", "app", &repo, &e), 0);
	assert_int_equal(ota_release_latest(&app, repo.id, &got, &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	assert_int_equal(ota_token_check(&app, repo.id, "nope", name, sizeof(name), &e), -1);
	assert_int_equal(e.kind, NB_NOT_FOUND);
	memset(&rel, 0, sizeof(rel));
	rel.repo_id = repo.id;
	snprintf(rel.tag, sizeof(rel.tag), "v1");
	snprintf(rel.commit, sizeof(rel.commit), SHA);
	assert_int_equal(ota_release_put(&app, &rel, &e), 0);
	assert_int_equal(ota_release_by_tag(&app, repo.id, "v1", &got, &e), 0);
	assert_int_equal(got.id, rel.id);
	/* a release is recorded once: the second is a conflict, never a 500 */
	assert_int_equal(ota_release_put(&app, &rel, &e), -1);
	assert_int_equal(e.kind, NB_CONFLICT);
	assert_non_null(strstr(e.msg, "v1"));
	/* gc's question: known, not known, or the store cannot say (then the
	 * blob is kept: a failed step is never "not known") */
	assert_int_equal(ota_blob_known(&app, SHA256_ZERO, &e), 0);
	assert_int_equal(db_exec(app.db, "ALTER TABLE ota_blobs RENAME TO b_away"), 0);
	e.kind = NB_OK;
	assert_int_equal(ota_blob_known(&app, SHA256_ZERO, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	assert_int_equal(db_exec(app.db, "ALTER TABLE ota_releases RENAME TO r_away"), 0);
	assert_int_equal(ota_release_by_tag(&app, repo.id, "v1", &got, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	db_close(app.db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The rollout's place of a board: sha256("<tag>\n<key>"), first 32 bits,
 * mod 100; the expected values are Python hashlib's. */
static void rollout_bucket(void **state)
{
	char h[HASH_HEX_MAX], key[80];

	(void)state;
	hash_hex(HASH_SHA256, "tok", 3, h);
	snprintf(key, sizeof(key), "t:%s", h);
	assert_int_equal(ota_rollout_bucket("v2", key), 82);
	assert_int_equal(ota_rollout_bucket("v1.0", "a:127.0.0.1"), 65);
	assert_int_equal(ota_rollout_bucket("v2", "a:10.0.0.7"), 22);
	/* the tag is part of it: another release picks other boards first */
	assert_int_not_equal(ota_rollout_bucket("v3", key), 82);
}

/* A release v1 (prev) and v2 of two files each, the second one empty. */
static void two_releases(struct app *app, struct ota_repo *repo, struct ota_release *v1,
			 struct ota_release *v2)
{
	struct ota_blobrow b = { .size = 3 };
	const char *commits[2] = { SHA, "1111111111111111111111111111111111111111" };
	struct ota_release *rel[2] = { v1, v2 };
	struct nb_err e;
	int i;

	assert_int_equal(ota_repo_ensure(app, "acme", "app", repo, &e), 0);
	snprintf(b.sha1, sizeof(b.sha1), "%s", SHA);
	snprintf(b.sha256, sizeof(b.sha256), "%064d", 0);
	assert_int_equal(ota_blob_put(app, &b, &e), 0);
	b.size = 0;
	b.sha1[0] = 'c';
	assert_int_equal(ota_blob_put(app, &b, &e), 0);
	for (i = 0; i < 2; i++) {
		memset(rel[i], 0, sizeof(*rel[i]));
		rel[i]->repo_id = repo->id;
		snprintf(rel[i]->tag, sizeof(rel[i]->tag), "v%d", i + 1);
		snprintf(rel[i]->commit, sizeof(rel[i]->commit), "%s", commits[i]);
		snprintf(rel[i]->manifest, sizeof(rel[i]->manifest), "%064d", 1);
		assert_int_equal(ota_release_put(app, rel[i], &e), 0);
		assert_int_equal(ota_file_put(app, repo->id, commits[i], "a.py", SHA, &e), 0);
		assert_int_equal(ota_file_put(app, repo->id, commits[i], "b.py", b.sha1, &e), 0);
		assert_int_equal(ota_file_put(app, repo->id, commits[i], ".hidden", SHA, &e), 0);
	}
}

/* Fetch counting: a retry counts once, a new pass starts again, the
 * commit is complete with every file the mode fetches. */
static void board_fetch_counting(void **state)
{
	struct ota_who who = { .key = "t:x", .name = "board-1", .addr = "10.0.0.1",
			       .agent = "ota-updater" };
	struct ota_who other = { .key = "a:10.0.0.9", .name = "10.0.0.9", .addr = "10.0.0.9",
				 .agent = "" };
	struct ota_release v1, v2;
	struct ota_boardrow b;
	struct ota_repo repo;
	static struct ota o;	/* ota.fcgi's state: its settings */
	struct app app;
	struct nb_err e;
	long long count;
	char *dir;
	int n;

	(void)state;
	memset(&app, 0, sizeof(app));
	o.set.max_boards = 1;
	app.domain = &o;
	assert_int_equal(ut_store_fixture(&dir, &app.db, NULL, 0), 0);
	two_releases(&app, &repo, &v1, &v2);
	/* manifest mode: a.py and b.py (not .hidden); tree mode: a.py, .hidden */
	assert_int_equal(ota_file_count(&app, repo.id, SHA, 1, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ota_file_count(&app, repo.id, SHA, 0, &n, &e), 0);
	assert_int_equal(n, 2);
	ota_board_fetched(&app, &repo, &who, "v1", SHA, 1, "a.py");
	ota_board_fetched(&app, &repo, &who, "v1", SHA, 1, "a.py");	/* a retry */
	assert_int_equal(ota_board_get(&app, repo.id, "t:x", &b, &e), 0);
	assert_int_equal(b.fetch_n, 1);
	assert_int_equal(b.fetch_total, 2);
	assert_string_equal(b.done_commit, "");
	assert_string_equal(b.name, "board-1");
	ota_board_fetched(&app, &repo, &who, "v1", SHA, 1, "b.py");
	assert_int_equal(ota_board_get(&app, repo.id, "t:x", &b, &e), 0);
	assert_string_equal(b.done_commit, SHA);
	assert_string_equal(b.done_ref, "v1");
	/* a new pass over v2 that stops half-way: v1 stays the complete one */
	ota_board_fetched(&app, &repo, &who, "v2", v2.commit, 1, "a.py");
	assert_int_equal(ota_board_get(&app, repo.id, "t:x", &b, &e), 0);
	assert_string_equal(b.done_commit, SHA);
	assert_string_equal(b.fetch_commit, v2.commit);
	assert_int_equal(b.fetch_n, 1);
	/* ota.max_boards 1: a second board is served, not recorded; the first
	 * is still kept up to date */
	ota_board_fetched(&app, &repo, &other, "v1", SHA, 1, "a.py");
	ota_board_seen(&app, &repo, &other);
	assert_int_equal(ota_board_get(&app, repo.id, "a:10.0.0.9", &b, &e), -1);
	assert_int_equal(ota_board_count(&app, repo.id, &count, &e), 0);
	assert_int_equal(count, 1);
	ota_board_fetched(&app, &repo, &who, "v2", v2.commit, 1, "b.py");
	assert_int_equal(ota_board_get(&app, repo.id, "t:x", &b, &e), 0);
	assert_string_equal(b.done_commit, v2.commit);
	ut_store_close(app.db, dir);
}

/* releases/latest per board: the stage, pause, and no downgrade. */
static void rollout_rule(void **state)
{
	struct ota_who in = { .key = "a:10.0.0.7", .addr = "10.0.0.7", .agent = "" };
	struct ota_who out = { .key = "a:10.0.0.2", .addr = "10.0.0.2", .agent = "" };
	struct ota_release v1, v2, got;
	struct ota_rollout ro;
	struct ota_repo repo;
	static struct ota o;	/* ota.fcgi's state: its settings */
	struct app app;
	struct nb_err e;
	char *dir;

	(void)state;
	memset(&app, 0, sizeof(app));
	o.set.max_boards = 100;
	app.domain = &o;
	assert_int_equal(ut_store_fixture(&dir, &app.db, NULL, 0), 0);
	two_releases(&app, &repo, &v1, &v2);
	/* no rollout row: every board gets the newest */
	assert_int_equal(ota_release_for(&app, &repo, &out, &got, &e), 0);
	assert_string_equal(got.tag, "v2");
	ro = (struct ota_rollout){ .repo_id = repo.id, .release_id = v2.id, .prev_id = v1.id,
				   .percent = 50 };
	assert_int_equal(ota_rollout_put(&app, &ro, &e), 0);
	/* buckets for v2 (hashlib): 10.0.0.7 is 22 (in at 50%), 10.0.0.2 is 90 (out) */
	assert_int_equal(ota_rollout_bucket("v2", in.key), 22);
	assert_int_equal(ota_rollout_bucket("v2", out.key), 90);
	assert_int_equal(ota_release_for(&app, &repo, &in, &got, &e), 0);
	assert_string_equal(got.tag, "v2");
	assert_int_equal(ota_release_for(&app, &repo, &out, &got, &e), 0);
	assert_string_equal(got.tag, "v1");
	/* paused: the board that started v2 keeps it, no other gets it */
	ota_board_fetched(&app, &repo, &in, "v2", v2.commit, 1, "a.py");
	assert_int_equal(ota_rollout_change(&app, repo.id, 100, 1, &ro, &e), 0);
	assert_int_equal(ota_release_for(&app, &repo, &in, &got, &e), 0);
	assert_string_equal(got.tag, "v2");
	assert_int_equal(ota_release_for(&app, &repo, &out, &got, &e), 0);
	assert_string_equal(got.tag, "v1");
	assert_int_equal(ota_rollout_change(&app, repo.id, -1, 0, &ro, &e), 0);
	assert_int_equal(ota_release_for(&app, &repo, &out, &got, &e), 0);
	assert_string_equal(got.tag, "v2");
	/* a stage outside 0..100 is refused and changes nothing */
	assert_int_equal(ota_rollout_change(&app, repo.id, 101, -1, &ro, &e), -1);
	assert_int_equal(e.kind, NB_INVALID);
	assert_int_equal(ota_rollout_get(&app, repo.id, &ro, &e), 0);
	assert_int_equal(ro.percent, 100);
	/* a store that cannot say whether a board has the release is an error,
	 * never a guess that would take it from the board */
	assert_int_equal(ota_rollout_change(&app, repo.id, 0, -1, &ro, &e), 0);
	assert_int_equal(db_exec(app.db, "DROP TABLE ota_boards"), 0);
	assert_int_equal(ota_release_for(&app, &repo, &in, &got, &e), -1);
	assert_int_equal(e.kind, NB_UNAVAILABLE);
	ut_store_close(app.db, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paths),
		cmocka_unit_test(path_limits),
		cmocka_unit_test(names),
		cmocka_unit_test(shown_paths),
		cmocka_unit_test(crc_and_pystr),
		cmocka_unit_test(manifest_and_signature),
		cmocka_unit_test(git_ids),
		cmocka_unit_test(archives),
		ut_routes_test(routes_declared),
		ut_routes_test(routes_refuse_naming_the_field),
		cmocka_unit_test(store_error_kinds),
		cmocka_unit_test(rollout_bucket),
		cmocka_unit_test(board_fetch_counting),
		cmocka_unit_test(rollout_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
