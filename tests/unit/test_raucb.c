/*
 * test_raucb.c - reading RAUC bundles.  Bundles are built here, in a
 * temporary directory: the squashfs by mksquashfs (squashfs-tools) from a
 * directory holding manifest.raucm and a small image, then a detached CMS
 * signature of it by `openssl cms -sign` with a throw-away P-256 key, then
 * the signature's size as a big-endian uint64, the shape `rauc bundle`
 * writes; and once by Debian's rauc itself, in both its plain and verity
 * formats.  Building them here keeps every variant (no version, broken
 * ini, symlinked or oversized manifest, other compressors) next to the
 * test that reads it, instead of as binary files nobody can read.
 * Everything is read both from the file and from memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/ddi/raucb.h"
#include "unit_util.h"

static char *tmp;		/* the group's directory: key, cert, bundles */
static int seq;			/* numbers the input directories */

struct bundle {
	char *p;
	size_t n;
	char path[512];
};

static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int group_setup(void **state)
{
	(void)state;
	tmp = ut_mkdtemp();
	run("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	    " -keyout key.pem -out cert.pem -subj /CN=raucb-test -days 2 >/dev/null 2>&1", tmp);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ut_rmtree(tmp);
	return 0;
}

static void bundle_free(struct bundle *b)
{
	free(b->p);
	b->p = NULL;
}

/* A fresh input directory with this manifest (none when NULL) and an image. */
static char *input(const char *manifest)
{
	static char dir[512];
	char path[600];

	snprintf(dir, sizeof(dir), "%s/in%d", tmp, ++seq);
	run("mkdir -p %s && head -c 3000 /dev/urandom > %s/rootfs.img", dir, dir);
	snprintf(path, sizeof(path), "%s/manifest.raucm", dir);
	if (manifest)
		assert_int_equal(ut_write(path, manifest, strlen(manifest)), 0);
	return dir;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/* fs, then sig, then the sig's size: a plain-format bundle, in memory and on disk */
static void assemble(const char *fs, size_t nfs, const char *sig, size_t nsig, struct bundle *b)
{
	b->n = nfs + nsig + 8;
	b->p = malloc(b->n);
	assert_non_null(b->p);
	memcpy(b->p, fs, nfs);
	memcpy(b->p + nfs, sig, nsig);
	put_be64((unsigned char *)b->p + nfs + nsig, nsig);
	snprintf(b->path, sizeof(b->path), "%s/b%d.raucb", tmp, ++seq);
	assert_int_equal(ut_write(b->path, b->p, b->n), 0);
}

/* mksquashfs of dir (extra options: mksquashfs's), signed. */
static void build(const char *dir, const char *opts, struct bundle *b)
{
	char fs[600], sig[600], *f, *s;
	size_t nf = 0, ns = 0;

	snprintf(fs, sizeof(fs), "%s.sqfs", dir);
	snprintf(sig, sizeof(sig), "%s.sig", dir);
	run("mksquashfs %s %s -noappend -all-root -quiet -no-progress %s >/dev/null", dir, fs,
	    opts ? opts : "");
	run("openssl cms -sign -binary -in %s -signer %s/cert.pem -inkey %s/key.pem"
	    " -outform DER -out %s", fs, tmp, tmp, sig);
	f = ut_read(fs, &nf);
	s = ut_read(sig, &ns);
	assert_non_null(f);
	assert_non_null(s);
	assemble(f, nf, s, ns, b);
	free(f);
	free(s);
}

static void build_manifest(const char *manifest, struct bundle *b)
{
	build(input(manifest), NULL, b);
}

/* Reads b from memory and from its file; both must agree on the outcome. */
static int read_both(const struct bundle *b, const char *sep, struct swu_info *out,
		     struct nb_err *err)
{
	struct swu_info *again = calloc(1, sizeof(*again));
	struct nb_err err2 = { NB_OK, "" };
	int rc, rc2;

	assert_non_null(again);
	rc = raucb_read_mem(b->p, b->n, sep, out, err);
	rc2 = raucb_read_file(b->path, sep, again, &err2);
	assert_int_equal(rc, rc2);
	if (rc == 0) {
		assert_string_equal(again->version, out->version);
		assert_string_equal(again->compat[0].board, out->compat[0].board);
	} else {
		assert_string_equal(err->msg, err2.msg);
	}
	free(again);
	return rc;
}

static void expect_fail(const struct bundle *b, const char *sep, const char *why)
{
	struct swu_info *info = calloc(1, sizeof(*info));
	struct nb_err err = { NB_OK, "" };

	assert_non_null(info);
	assert_int_equal(read_both(b, sep, info, &err), -1);
	if (!strstr(err.msg, why))
		fail_msg("error \"%s\" does not say \"%s\"", err.msg, why);
	assert_null(strchr(err.msg, '\n'));
	free(info);
}

static const char manifest_ok[] =
	"# a RAUC manifest\n"
	"[update]\n"
	"compatible=acme-gizmo-rev2\n"
	"version = 2024.05.1\n"
	"description=Gizmo firmware\n"
	"build=20240501\n"
	"\n"
	"[image.rootfs]\n"
	"filename=rootfs.img\n"
	"version=not-this-one\n";

static void test_valid(void **state)
{
	struct swu_info *info = calloc(1, sizeof(*info));
	struct bundle b;
	struct nb_err err = { NB_OK, "" };

	(void)state;
	assert_non_null(info);
	build_manifest(manifest_ok, &b);
	assert_int_equal(read_both(&b, NULL, info, &err), 0);
	assert_string_equal(info->version, "2024.05.1");
	assert_string_equal(info->description, "Gizmo firmware");
	assert_int_equal(info->ncompat, 1);
	assert_string_equal(info->compat[0].board, "acme-gizmo-rev2");
	assert_string_equal(info->compat[0].revision, "");
	/* "" and no separator read the same */
	assert_int_equal(read_both(&b, "", info, &err), 0);
	assert_string_equal(info->compat[0].board, "acme-gizmo-rev2");
	/* a separator splits the compatible at its last occurrence */
	assert_int_equal(read_both(&b, "-rev", info, &err), 0);
	assert_string_equal(info->compat[0].board, "acme-gizmo");
	assert_string_equal(info->compat[0].revision, "2");
	bundle_free(&b);
	free(info);
}

/* What Debian's rauc writes, in both formats, reads the same. */
static void test_rauc_formats(void **state)
{
	static const char *fmt[] = { "plain", "verity" };
	struct swu_info *info = calloc(1, sizeof(*info));
	char manifest[256];
	struct nb_err err = { NB_OK, "" };
	struct bundle b = { 0 };
	size_t i;

	(void)state;
	assert_non_null(info);
	for (i = 0; i < 2; i++) {
		const char *dir;
		snprintf(manifest, sizeof(manifest), "[update]\ncompatible=gizmo\nversion=1.%zu\n\n"
			 "[bundle]\nformat=%s\n\n[image.rootfs]\nfilename=rootfs.img\n", i, fmt[i]);
		dir = input(manifest);
		snprintf(b.path, sizeof(b.path), "%s/%s.raucb", tmp, fmt[i]);
		/* verity wants more than one 4 KiB block of squashfs */
		run("head -c 6000 /dev/urandom >> %s/rootfs.img && rauc bundle --cert %s/cert.pem"
		    " --key %s/key.pem %s %s >/dev/null 2>&1", dir, tmp, tmp, dir, b.path);
		b.p = ut_read(b.path, &b.n);
		assert_non_null(b.p);
		assert_int_equal(read_both(&b, NULL, info, &err), 0);
		assert_string_equal(info->version, i ? "1.1" : "1.0");
		assert_string_equal(info->compat[0].board, "gizmo");
		bundle_free(&b);
	}
	free(info);
}

static void test_compressors(void **state)
{
	static const char *comp[] = { "gzip", "xz", "zstd", "lz4" };
	struct swu_info *info = calloc(1, sizeof(*info));
	struct bundle b;
	char opts[64];
	struct nb_err err = { NB_OK, "" };
	size_t i;

	(void)state;
	assert_non_null(info);
	for (i = 0; i < sizeof(comp) / sizeof(comp[0]); i++) {
		snprintf(opts, sizeof(opts), "-comp %s", comp[i]);
		build(input(manifest_ok), opts, &b);
		if (read_both(&b, NULL, info, &err) < 0)
			fail_msg("%s: %s", comp[i], err.msg);
		assert_string_equal(info->version, "2024.05.1");
		bundle_free(&b);
	}
	/* Debian's libsquashfs leaves LZO out */
	build(input(manifest_ok), "-comp lzo", &b);
	expect_fail(&b, NULL, "squashfs compressor 3 is not supported");
	bundle_free(&b);
	/* fragments off and small blocks: the manifest comes from data blocks */
	build(input(manifest_ok), "-no-fragments -b 4096", &b);
	assert_int_equal(read_both(&b, NULL, info, &err), 0);
	assert_string_equal(info->description, "Gizmo firmware");
	bundle_free(&b);
	free(info);
}

static void split_is(const char *compatible, const char *sep, const char *board,
		     const char *rev)
{
	struct swu_info *info = calloc(1, sizeof(*info));
	char text[256];
	struct nb_err err = { NB_OK, "" };

	assert_non_null(info);
	snprintf(text, sizeof(text), "[update]\ncompatible=%s\nversion=1\n", compatible);
	if (raucb_manifest(text, strlen(text), sep, info, &err) < 0)
		fail_msg("%s: %s", compatible, err.msg);
	assert_int_equal(info->ncompat, 1);
	assert_string_equal(info->compat[0].board, board);
	assert_string_equal(info->compat[0].revision, rev);
	free(info);
}

/* The split alone (a bundle read with "-rev": test_valid). */
static void test_separator(void **state)
{
	(void)state;
	split_is("board-rev2", "-rev", "board", "2");
	split_is("a-rev1-rev2", "-rev", "a-rev1", "2");		/* the last one */
	split_is("board", "-rev", "board", "");			/* not there */
	split_is("-rev2", "-rev", "-rev2", "");			/* no board: kept whole */
	split_is("board-rev", "-rev", "board-rev", "");		/* no revision: kept whole */
	split_is("board/1.0", "/", "board", "1.0");
	split_is("board-rev2", NULL, "board-rev2", "");
}

/* GLib's key-file rules, which RAUC reads manifests with */
static void test_ini_details(void **state)
{
	static const char text[] =
		"\xef\xbb\xbf[update]\n"
		"; a comment\n"
		"compatible = gizmo ; not a comment in GLib\n"
		"version=1.0\r\n"
		"version=1.1\n"
		"[update]\n"
		"description=%s\n";
	struct swu_info *info = calloc(1, sizeof(*info));
	char desc[1000], *buf;
	struct nb_err err = { NB_OK, "" };

	(void)state;
	assert_non_null(info);
	memset(desc, 'd', sizeof(desc) - 1);
	desc[sizeof(desc) - 1] = '\0';
	assert_true(asprintf(&buf, text, desc) > 0);
	assert_int_equal(raucb_manifest(buf, strlen(buf), NULL, info, &err), 0);
	assert_string_equal(info->compat[0].board, "gizmo ; not a comment in GLib");
	assert_string_equal(info->version, "1.1");	/* the last one wins */
	/* a 1000-character line is one line, kept whole */
	assert_string_equal(info->description, desc);
	free(buf);
	free(info);
}

static void manifest_fails(const char *text, size_t len, const char *why)
{
	struct swu_info *info = calloc(1, sizeof(*info));
	struct nb_err err = { NB_OK, "" };

	assert_non_null(info);
	assert_int_equal(raucb_manifest(text, len, NULL, info, &err), -1);
	if (!strstr(err.msg, why))
		fail_msg("error \"%s\" does not say \"%s\"", err.msg, why);
	free(info);
}

#define MANIFEST_FAILS(text, why) manifest_fails(text, sizeof(text) - 1, why)

/* a description longer than is kept is refused, not cut (issue 11) */
static void test_description_bound(void **state)
{
	static const char head[] = "[update]\ncompatible=gizmo\nversion=1\ndescription=";
	char *text = malloc(sizeof(head) + 2002);

	(void)state;
	assert_non_null(text);
	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'd', 2000);
	memcpy(text + sizeof(head) - 1 + 2000, "\n", 2);
	manifest_fails(text, strlen(text), "[update] description is too long (at most 1023 bytes)");
	free(text);
}

static void test_manifest_refusals(void **state)
{
	char big[400];

	(void)state;
	MANIFEST_FAILS("[update]\ncompatible=x\n", "no [update] version");
	MANIFEST_FAILS("[update]\nversion=1\n", "no [update] compatible");
	MANIFEST_FAILS("[update]\nversion=\ncompatible=x\n", "no [update] version");
	MANIFEST_FAILS("[update]\ncompatible=\nversion=1\n", "no [update] compatible");
	MANIFEST_FAILS("[other]\nversion=1\ncompatible=x\n", "no [update] version");
	MANIFEST_FAILS("version=1\ncompatible=x\n", "no [update] version");
	MANIFEST_FAILS("[update]\nversion=1\ncompatible=x\nthis is no ini\n",
		       "manifest.raucm:4: not a");
	MANIFEST_FAILS("[update\nversion=1\ncompatible=x\n", "manifest.raucm:1:");
	MANIFEST_FAILS("[update]\nversion=1\0\ncompatible=x\n", "binary");
	MANIFEST_FAILS("", "no [update] version");
	snprintf(big, sizeof(big), "[update]\ncompatible=x\nversion=%0100d\n", 1);
	manifest_fails(big, strlen(big), "version is too long");
	snprintf(big, sizeof(big), "[update]\nversion=1\ncompatible=%0280d\n", 1);
	manifest_fails(big, strlen(big), "compatible is too long");
}

/* A manifest of 64 KiB is read; a byte more is refused, before it is read. */
static void test_manifest_size(void **state)
{
	size_t n = RAUCB_MANIFEST_MAX + 1, head;
	struct swu_info *info = calloc(1, sizeof(*info));
	char *text = malloc(n), path[600];
	struct nb_err err = { NB_OK, "" };
	const char *dir;
	struct bundle b;

	(void)state;
	assert_non_null(info);
	assert_non_null(text);
	head = (size_t)sprintf(text, "[update]\ncompatible=x\nversion=1\n#");
	memset(text + head, 'c', n - head);
	assert_int_equal(raucb_manifest(text, n - 1, NULL, info, &err), 0);
	assert_int_equal(raucb_manifest(text, n, NULL, info, &err), -1);
	assert_non_null(strstr(err.msg, "too large"));
	dir = input(NULL);
	snprintf(path, sizeof(path), "%s/manifest.raucm", dir);
	assert_int_equal(ut_write(path, text, n), 0);
	build(dir, NULL, &b);
	expect_fail(&b, NULL, "manifest.raucm is larger than 65536 bytes");
	bundle_free(&b);
	free(text);
	free(info);
}

static void test_not_a_manifest(void **state)
{
	struct bundle b;
	const char *dir;

	(void)state;
	build_manifest(NULL, &b);
	expect_fail(&b, NULL, "no manifest.raucm");
	bundle_free(&b);
	/* a symlink could point anywhere inside the image (or at nothing) */
	dir = input(NULL);
	run("printf '[update]\\ncompatible=x\\nversion=1\\n' > %s/real && ln -s real %s/manifest.raucm",
	    dir, dir);
	build(dir, NULL, &b);
	expect_fail(&b, NULL, "manifest.raucm is not a regular file");
	bundle_free(&b);
	dir = input(NULL);
	run("mkdir %s/manifest.raucm", dir);
	build(dir, NULL, &b);
	expect_fail(&b, NULL, "manifest.raucm is not a regular file");
	bundle_free(&b);
	/* only the root's manifest counts */
	dir = input(NULL);
	run("mkdir %s/sub && printf '[update]\\ncompatible=x\\nversion=1\\n' > %s/sub/manifest.raucm",
	    dir, dir);
	build(dir, NULL, &b);
	expect_fail(&b, NULL, "no manifest.raucm");
	bundle_free(&b);
	build_manifest("[update]\ncompatible=x\n", &b);
	expect_fail(&b, NULL, "no [update] version");
	bundle_free(&b);
	build_manifest("[update]\ncompatible=x\nversion 1\n", &b);
	expect_fail(&b, NULL, "manifest.raucm:3:");
	bundle_free(&b);
}

static void test_wrong_magic(void **state)
{
	struct bundle b;

	(void)state;
	build_manifest(manifest_ok, &b);
	memcpy(b.p, "sqsh", 4);			/* big-endian squashfs: not RAUC's */
	assert_int_equal(ut_write(b.path, b.p, b.n), 0);
	expect_fail(&b, NULL, "no squashfs magic");
	memcpy(b.p, "0707", 4);
	assert_int_equal(ut_write(b.path, b.p, b.n), 0);
	expect_fail(&b, NULL, "no squashfs magic");
	b.n = 3;
	assert_int_equal(ut_write(b.path, b.p, b.n), 0);
	expect_fail(&b, NULL, "no squashfs magic");
	b.n = 0;
	assert_int_equal(ut_write(b.path, b.p, b.n), 0);
	expect_fail(&b, NULL, "no squashfs magic");
	bundle_free(&b);
}

static void cut_to(struct bundle *b, size_t n)
{
	b->n = n;
	assert_int_equal(ut_write(b->path, b->p, b->n), 0);
}

static void test_truncated(void **state)
{
	struct bundle b;
	size_t full, n;

	(void)state;
	build_manifest(manifest_ok, &b);
	full = b.n;
	cut_to(&b, full / 2);
	expect_fail(&b, NULL, "truncated");
	cut_to(&b, 100);
	expect_fail(&b, NULL, "truncated");
	cut_to(&b, 50);
	expect_fail(&b, NULL, "truncated: too short");
	/* every cut fails, never crashes */
	for (n = 4; n < full; n += 97) {
		struct swu_info *info = calloc(1, sizeof(*info));
		struct nb_err err = { NB_OK, "" };
		assert_non_null(info);
		assert_int_equal(raucb_read_mem(b.p, n, NULL, info, &err), -1);
		assert_true(err.msg[0] != '\0');
		free(info);
	}
	bundle_free(&b);
}

static void test_signature(void **state)
{
	struct bundle b, c;
	uint64_t nsig = 0;
	size_t i, fs;

	(void)state;
	build_manifest(manifest_ok, &b);
	for (i = 0; i < 8; i++)
		nsig = nsig << 8 | (unsigned char)b.p[b.n - 8 + i];
	fs = b.n - 8 - (size_t)nsig;
	/* stripped: the squashfs alone ends in its padding, a size of 0 */
	cut_to(&b, fs);
	expect_fail(&b, NULL, "unsigned or truncated RAUC bundle");
	/* garbage of the same size */
	b.n = fs + nsig + 8;
	for (i = fs; i < fs + nsig; i++)
		b.p[i] = (char)(i * 7 + 1);
	cut_to(&b, b.n);
	expect_fail(&b, NULL, "the signature is not CMS signed data");
	/* a size larger than RAUC allows, or than the file */
	put_be64((unsigned char *)b.p + b.n - 8, RAUCB_SIG_MAX + 1);
	cut_to(&b, b.n);
	expect_fail(&b, NULL, "does not fit");
	put_be64((unsigned char *)b.p + b.n - 8, UINT64_MAX);
	cut_to(&b, b.n);
	expect_fail(&b, NULL, "does not fit");
	/* a valid signature that claims part of the squashfs as its own */
	bundle_free(&b);
	build_manifest(manifest_ok, &b);
	for (i = 0, nsig = 0; i < 8; i++)
		nsig = nsig << 8 | (unsigned char)b.p[b.n - 8 + i];
	assemble(b.p, 200, b.p + b.n - 8 - nsig, nsig, &c);
	expect_fail(&c, NULL, "truncated: the squashfs needs");
	bundle_free(&c);
	bundle_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_rauc_formats),
		cmocka_unit_test(test_compressors),
		cmocka_unit_test(test_separator),
		cmocka_unit_test(test_ini_details),
		cmocka_unit_test(test_description_bound),
		cmocka_unit_test(test_manifest_refusals),
		cmocka_unit_test(test_manifest_size),
		cmocka_unit_test(test_not_a_manifest),
		cmocka_unit_test(test_wrong_magic),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_signature),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
