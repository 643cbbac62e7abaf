/*
 * test_swu.c - reading SWUpdate images: archives built here in memory
 * (newc 070701 and crc 070702 headers written by hand, so every field can
 * be broken on purpose) and by GNU cpio on disk.  A signed image gives its
 * version, description, signed_ and its members in order with their sizes
 * and data offsets; libconfig and JSON descriptions give the hardware
 * compatibility at the top level, under software.<board> and under
 * software.<board>.<collection>; entries past SWU_MAX_COMPAT are dropped;
 * and every rejection comes with its message.  libconfig's @include is
 * refused, a directory included no longer exit()s the process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/ddi/swu.h"
#include "unit_util.h"

#define NEWC "070701"
#define CRC "070702"

static const char desc_signed[] =
	"software =\n"
	"{\n"
	"\tversion = \"2.4.1\";\n"
	"\tdescription = \"Firmware for the test board\";\n"
	"\thardware-compatibility: [ \"1.0\", \"1.2\" ];\n"
	"\timages: (\n"
	"\t\t{\n"
	"\t\t\tfilename = \"rootfs.ext4\";\n"
	"\t\t\tdevice = \"/dev/mmcblk0p2\";\n"
	"\t\t\ttype = \"raw\";\n"
	"\t\t\tsha256 = \"@rootfs.ext4\";\n"
	"\t\t}\n"
	"\t);\n"
	"\tscripts: ( { filename = \"post.lua\"; type = \"lua\"; } );\n"
	"};\n";

static const char desc_json[] =
	"\n  {\n"
	"  \"software\": {\n"
	"    \"version\": \"3.0.0-rc1\",\n"
	"    \"description\": \"JSON described\",\n"
	"    \"hardware-compatibility\": [ \"any\" ],\n"
	"    \"images\": [ { \"filename\": \"rootfs.ext4\", \"device\": \"/dev/sda2\" } ],\n"
	"    \"boardA\": {\n"
	"      \"hardware-compatibility\": [ \"a1\", 7, \"a2\" ],\n"
	"      \"stable\": { \"hardware-compatibility\": [ \"a-stable\" ] }\n"
	"    },\n"
	"    \"boardB\": { \"alt\": { \"hardware-compatibility\": [ \"b-alt\" ] } }\n"
	"  }\n"
	"}\n";

/* -- an archive in memory ------------------------------------------------- */

struct ar {
	char *p;
	size_t n, cap;
};

static void ar_put(struct ar *a, const void *p, size_t n)
{
	if (a->n + n > a->cap) {
		size_t cap = a->cap ? a->cap : 4096;
		while (cap < a->n + n)
			cap *= 2;
		a->p = realloc(a->p, cap);
		assert_non_null(a->p);
		a->cap = cap;
	}
	memcpy(a->p + a->n, p, n);
	a->n += n;
}

static void ar_pad(struct ar *a)
{
	while (a->n % 4)
		ar_put(a, "", 1);
}

/*
 * One member: a header with namesize and filesize as given (the real
 * values when namesize is 0 and fsize NULL), the name bytes (nname of
 * them, a NUL counted in), the data and the paddings.  Returns the offset
 * of the data.
 */
static size_t ar_member_raw(struct ar *a, const char *magic, const char *name, size_t nname,
			    unsigned long namesize, const char *fsize, const void *data, size_t n)
{
	char h[256], sizebuf[9];
	unsigned long check = 0;
	size_t i, at;

	for (i = 0; i < n; i++)
		check += ((const unsigned char *)data)[i];
	snprintf(sizebuf, sizeof(sizebuf), "%08lX", (unsigned long)n);
	snprintf(h, sizeof(h), "%s%08X%08X%08X%08X%08X%08X%.8s%08X%08X%08X%08X%08lX%08lX", magic,
		 (unsigned)(a->n / 4 + 1), 0100644u, 0u, 0u, 1u, 1700000000u,
		 fsize ? fsize : sizebuf, 0u, 0u, 0u, 0u, namesize ? namesize : nname,
		 strcmp(magic, CRC) ? 0 : check & 0xffffffffUL);
	assert_int_equal(strlen(h), 110);
	ar_put(a, h, 110);
	ar_put(a, name, nname);
	ar_pad(a);
	at = a->n;
	ar_put(a, data, n);
	ar_pad(a);
	return at;
}

static size_t ar_add(struct ar *a, const char *magic, const char *name, const void *data,
		     size_t n)
{
	return ar_member_raw(a, magic, name, strlen(name) + 1, 0, NULL, data, n);
}

static void ar_trailer(struct ar *a, const char *magic)
{
	ar_add(a, magic, "TRAILER!!!", "", 0);
}

/* An archive of one sw-description, with the trailer. */
static void ar_desc_only(struct ar *a, const char *magic, const char *desc, size_t n)
{
	ar_add(a, magic, "sw-description", desc, n);
	ar_trailer(a, magic);
}

static char image[1001];		/* odd size: the data padding is exercised */
static char sig[256];

static void fill(void)
{
	size_t i;

	for (i = 0; i < sizeof(image); i++)
		image[i] = (char)(i * 7 + 3);
	for (i = 0; i < sizeof(sig); i++)
		sig[i] = (char)(255 - i);
}

/* The signed image: sw-description, sw-description.sig, rootfs.ext4, post.lua. */
static void ar_signed(struct ar *a, const char *magic, size_t off[4])
{
	fill();
	off[0] = ar_add(a, magic, "sw-description", desc_signed, strlen(desc_signed));
	off[1] = ar_add(a, magic, "sw-description.sig", sig, sizeof(sig));
	off[2] = ar_add(a, magic, "rootfs.ext4", image, sizeof(image));
	off[3] = ar_add(a, magic, "post.lua", "print(1)\n", 9);
	ar_trailer(a, magic);
}

/* Reads buf expecting failure, and checks the message. */
static void expect_err(const void *p, size_t n, const char *want)
{
	static struct swu_info info;
	struct nb_err err = { NB_OK, "" };

	assert_int_equal(swu_read_mem(p, n, &info, &err), -1);
	assert_string_equal(err.msg, want);
	/* a broken image is the client's fault (400), never the server's */
	assert_int_equal(err.kind, NB_INVALID);
}

static void expect_desc_err(const char *text, const char *want)
{
	static struct swu_info info;
	struct nb_err err = { NB_OK, "" };

	assert_int_equal(swu_describe(text, strlen(text), &info, &err), -1);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.kind, NB_INVALID);
}

static void assert_compat(const struct swu_info *info, int i, const char *board,
			  const char *revision)
{
	assert_true(i < info->ncompat);
	assert_string_equal(info->compat[i].board, board);
	assert_string_equal(info->compat[i].revision, revision);
}

/* -- images that are read -------------------------------------------------- */

static void check_signed(const char *magic)
{
	static struct swu_info info;
	struct ar a = { 0 };
	size_t off[4];
	struct nb_err err = { NB_OK, "" };

	ar_signed(&a, magic, off);
	assert_memory_equal(a.p, magic, 6);
	assert_int_equal(swu_read_mem(a.p, a.n, &info, &err), 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(info.version, "2.4.1");
	assert_string_equal(info.description, "Firmware for the test board");
	assert_int_equal(info.signed_, 1);
	assert_int_equal(info.nmember, 4);
	assert_string_equal(info.member[0].name, "sw-description");
	assert_string_equal(info.member[1].name, "sw-description.sig");
	assert_string_equal(info.member[2].name, "rootfs.ext4");
	assert_string_equal(info.member[3].name, "post.lua");
	assert_int_equal(info.member[0].size, strlen(desc_signed));
	assert_int_equal(info.member[1].size, sizeof(sig));
	assert_int_equal(info.member[2].size, sizeof(image));
	assert_int_equal(info.member[3].size, 9);
	/* the first data starts after the 110-byte header and "sw-description\0" */
	assert_int_equal(info.member[0].offset, 128);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(info.member[i].offset, off[i]);
		assert_int_equal(info.member[i].offset % 4, 0);
	}
	assert_memory_equal(a.p + info.member[0].offset, desc_signed, strlen(desc_signed));
	assert_memory_equal(a.p + info.member[1].offset, sig, sizeof(sig));
	assert_memory_equal(a.p + info.member[2].offset, image, sizeof(image));
	assert_memory_equal(a.p + info.member[3].offset, "print(1)\n", 9);
	assert_int_equal(info.ncompat, 2);
	assert_compat(&info, 0, "", "1.0");
	assert_compat(&info, 1, "", "1.2");
	free(a.p);
}

static void test_signed_newc(void **state)
{
	(void)state;
	check_signed(NEWC);
}

static void test_signed_crc(void **state)
{
	(void)state;
	check_signed(CRC);
}

static void test_unsigned(void **state)
{
	static struct swu_info info;
	struct ar a = { 0 };
	struct nb_err err = { NB_OK, "" };
	size_t off;

	fill();
	ar_add(&a, CRC, "sw-description", desc_signed, strlen(desc_signed));
	off = ar_add(&a, CRC, "rootfs.ext4", image, sizeof(image));
	ar_trailer(&a, CRC);
	(void)state;
	assert_int_equal(swu_read_mem(a.p, a.n, &info, &err), 0);
	assert_int_equal(info.signed_, 0);
	assert_int_equal(info.nmember, 2);
	assert_string_equal(info.member[1].name, "rootfs.ext4");
	assert_int_equal(info.member[1].offset, off);
	assert_int_equal(info.member[1].size, sizeof(image));
	assert_string_equal(info.version, "2.4.1");
	free(a.p);
}

/* newc and crc members in one archive, and bytes after the trailer */
static void test_mixed_magic_and_tail(void **state)
{
	static struct swu_info info;
	struct ar a = { 0 };
	char junk[700];
	struct nb_err err = { NB_OK, "" };

	(void)state;
	memset(junk, 0xa5, sizeof(junk));
	ar_add(&a, NEWC, "sw-description", desc_signed, strlen(desc_signed));
	ar_add(&a, CRC, "a", "x", 1);
	ar_add(&a, NEWC, "b", "", 0);
	ar_trailer(&a, CRC);
	ar_put(&a, junk, sizeof(junk));
	assert_int_equal(swu_read_mem(a.p, a.n, &info, &err), 0);
	assert_int_equal(info.nmember, 3);
	assert_string_equal(info.member[2].name, "b");
	assert_int_equal(info.member[2].size, 0);
	assert_true(info.member[2].offset > info.member[1].offset);
	free(a.p);
}

/* the longest name (namesize 256) and exactly SWU_MAX_MEMBERS members */
static void test_limits_accepted(void **state)
{
	static struct swu_info info;
	struct ar a = { 0 };
	char name[256];
	struct nb_err err = { NB_OK, "" };
	int i;

	(void)state;
	memset(name, 'n', 255);
	name[255] = '\0';
	ar_add(&a, NEWC, "sw-description", desc_signed, strlen(desc_signed));
	ar_add(&a, NEWC, name, "data", 4);
	for (i = 2; i < SWU_MAX_MEMBERS; i++) {
		char n[16];
		snprintf(n, sizeof(n), "m%d", i);
		ar_add(&a, NEWC, n, n, strlen(n));
	}
	ar_trailer(&a, NEWC);
	assert_int_equal(swu_read_mem(a.p, a.n, &info, &err), 0);
	assert_int_equal(info.nmember, SWU_MAX_MEMBERS);
	assert_string_equal(info.member[1].name, name);
	assert_memory_equal(a.p + info.member[1].offset, "data", 4);
	assert_string_equal(info.member[SWU_MAX_MEMBERS - 1].name, "m255");
	free(a.p);
}

/* a description of exactly SWU_DESC_MAX bytes is read */
static void test_desc_max_accepted(void **state)
{
	static struct swu_info info;
	struct ar a = { 0 };
	char *d = malloc(SWU_DESC_MAX);
	struct nb_err err = { NB_OK, "" };
	static const char head[] = "software = { version = \"big\"; };\n";

	(void)state;
	assert_non_null(d);
	memset(d, ' ', SWU_DESC_MAX);
	memcpy(d, head, strlen(head));
	d[SWU_DESC_MAX - 1] = '\n';
	ar_desc_only(&a, NEWC, d, SWU_DESC_MAX);
	assert_int_equal(swu_read_mem(a.p, a.n, &info, &err), 0);
	assert_string_equal(info.version, "big");
	assert_int_equal(info.member[0].size, SWU_DESC_MAX);
	free(d);
	free(a.p);
}

static void test_json_archive(void **state)
{
	static struct swu_info info;
	struct ar a = { 0 };
	struct nb_err err = { NB_OK, "" };

	(void)state;
	fill();
	ar_add(&a, NEWC, "sw-description", desc_json, strlen(desc_json));
	ar_add(&a, NEWC, "sw-description.sig", sig, sizeof(sig));
	ar_add(&a, NEWC, "rootfs.ext4", image, sizeof(image));
	ar_trailer(&a, NEWC);
	assert_int_equal(swu_read_mem(a.p, a.n, &info, &err), 0);
	assert_string_equal(info.version, "3.0.0-rc1");
	assert_string_equal(info.description, "JSON described");
	assert_int_equal(info.signed_, 1);
	assert_int_equal(info.nmember, 3);
	/* top level, then each board, then the board's collections; non-strings skipped */
	assert_int_equal(info.ncompat, 5);
	assert_compat(&info, 0, "", "any");
	assert_compat(&info, 1, "boardA", "a1");
	assert_compat(&info, 2, "boardA", "a2");
	assert_compat(&info, 3, "boardA", "a-stable");
	assert_compat(&info, 4, "boardB", "b-alt");
	free(a.p);
}

static void test_compat_libconfig(void **state)
{
	static struct swu_info info;
	static const char d[] =
		"software = {\n"
		"  version = \"1.0\";\n"
		"  hardware-compatibility = [ \"top\" ];\n"
		"  images: ( { filename = \"x\"; } );\n"
		"  boardA = {\n"
		"    hardware-compatibility = [ \"a1\", \"a2\" ];\n"
		"    images: ( { filename = \"a.img\"; device = \"/dev/sda\"; } );\n"
		"    stable = {\n"
		"      hardware-compatibility = [ \"a-stable\" ];\n"
		"      copy-1: { images: ( { filename = \"a.img\"; } ); };\n"
		"    };\n"
		"  };\n"
		"  boardB: {\n"
		"    alt = { hardware-compatibility = [ \"b-alt\" ]; };\n"
		"    /* not a string list: ignored */\n"
		"    hardware-compatibility = \"scalar\";\n"
		"  };\n"
		"};\n";
	struct nb_err err = { NB_OK, "" };

	(void)state;
	assert_int_equal(swu_describe(d, strlen(d), &info, &err), 0);
	assert_string_equal(info.version, "1.0");
	assert_string_equal(info.description, "");
	assert_int_equal(info.ncompat, 5);
	assert_compat(&info, 0, "", "top");
	assert_compat(&info, 1, "boardA", "a1");
	assert_compat(&info, 2, "boardA", "a2");
	assert_compat(&info, 3, "boardA", "a-stable");
	assert_compat(&info, 4, "boardB", "b-alt");
}

static void test_compat_json(void **state)
{
	static struct swu_info info;
	struct nb_err err = { NB_OK, "" };

	(void)state;
	assert_int_equal(swu_describe(desc_json, strlen(desc_json), &info, &err), 0);
	assert_int_equal(info.ncompat, 5);
	assert_compat(&info, 0, "", "any");
	assert_compat(&info, 4, "boardB", "b-alt");
}

/* entries past SWU_MAX_COMPAT are dropped, without an error */
static void test_compat_overflow(void **state)
{
	static struct swu_info info;
	char text[8192], json[8192];
	struct nb_err err = { NB_OK, "" };
	size_t n, m;
	int i;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "software = { version = \"9\"; board = { hardware-compatibility = [");
	m = (size_t)snprintf(json, sizeof(json), "{\"software\":{\"version\":\"9\",\"hardware-compatibility\":[");
	for (i = 0; i < SWU_MAX_COMPAT; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"r%d\"", i ? "," : "", i);
		m += (size_t)snprintf(json + m, sizeof(json) - m, "%s\"r%d\"", i ? "," : "", i);
	}
	/* exactly SWU_MAX_COMPAT entries are kept, all of them */
	snprintf(text + n, sizeof(text) - n, "]; }; };\n");
	snprintf(json + m, sizeof(json) - m, "]}}");
	assert_int_equal(swu_describe(text, strlen(text), &info, &err), 0);
	assert_int_equal(info.ncompat, SWU_MAX_COMPAT);
	assert_compat(&info, 0, "board", "r0");
	assert_compat(&info, SWU_MAX_COMPAT - 1, "board", "r63");
	assert_int_equal(swu_describe(json, strlen(json), &info, &err), 0);
	assert_int_equal(info.ncompat, SWU_MAX_COMPAT);
	assert_compat(&info, SWU_MAX_COMPAT - 1, "", "r63");
	/* one more is refused, naming the field and the limit (it was cut to 64) */
	snprintf(text + n, sizeof(text) - n, ",\"r64\"]; }; };\n");
	snprintf(json + m, sizeof(json) - m, ",\"r64\"]}}");
	expect_desc_err(text, "sw-description: more than 64 hardware-compatibility entries");
	expect_desc_err(json, "sw-description: more than 64 hardware-compatibility entries");
	/* an escape cJSON reads as NUL: the key would be "software" */
	expect_desc_err("{\"software\\u00zz\":{\"version\":\"1\"}}",
			"sw-description (JSON) has no software object");
}

/* 10,000 compatibility entries (issue 11): refused, not stored as 64 */
static void test_compat_ten_thousand(void **state)
{
	size_t cap = 16 + 10000 * 12 + 64, n, m;
	char *text = malloc(cap), *json = malloc(cap);
	int i;

	(void)state;
	assert_non_null(text);
	assert_non_null(json);
	n = (size_t)snprintf(text, cap, "software = { version = \"9\"; hardware-compatibility = [");
	m = (size_t)snprintf(json, cap, "{\"software\":{\"version\":\"9\",\"b\":{\"hardware-compatibility\":[");
	for (i = 0; i < 10000; i++) {
		n += (size_t)snprintf(text + n, cap - n, "%s\"%d\"", i ? "," : "", i);
		m += (size_t)snprintf(json + m, cap - m, "%s\"%d\"", i ? "," : "", i);
	}
	snprintf(text + n, cap - n, "]; };\n");
	snprintf(json + m, cap - m, "]}}}");
	expect_desc_err(text, "sw-description: more than 64 hardware-compatibility entries");
	expect_desc_err(json, "sw-description: more than 64 hardware-compatibility entries");
	free(text);
	free(json);
}

/*
 * Values longer than what is stored are refused with the field and the
 * limit named (a 5,000-character version was stored as 63 characters).
 */
static void test_field_bounds(void **state)
{
	static struct swu_info info;
	char *v = malloc(6000), *text = malloc(8000);
	struct nb_err err = { NB_OK, "" };

	(void)state;
	assert_non_null(v);
	assert_non_null(text);
	memset(v, '1', 5000);
	v[5000] = '\0';
	snprintf(text, 8000, "software = { version = \"%s\"; };", v);
	expect_desc_err(text, "sw-description: software.version is 5000 bytes, at most 63");
	snprintf(text, 8000, "{\"software\":{\"version\":\"%s\"}}", v);
	expect_desc_err(text, "sw-description: software.version is 5000 bytes, at most 63");
	/* 63 bytes fit, 64 do not */
	v[63] = '\0';
	snprintf(text, 8000, "software = { version = \"%s\"; };", v);
	assert_int_equal(swu_describe(text, strlen(text), &info, &err), 0);
	assert_string_equal(info.version, v);
	v[63] = '1';
	v[64] = '\0';
	snprintf(text, 8000, "software = { version = \"%s\"; };", v);
	expect_desc_err(text, "sw-description: software.version is 64 bytes, at most 63");
	/* a board (a group name) and a revision are hw_model and hw_revision */
	memset(v, 'b', 64);
	v[64] = '\0';
	snprintf(text, 8000, "software = { version = \"1\"; %s = { hardware-compatibility = "
		 "[\"1.0\"]; }; };", v);
	expect_desc_err(text, "sw-description: a hardware-compatibility board is 64 bytes, at most 63");
	snprintf(text, 8000, "{\"software\":{\"version\":\"1\",\"hardware-compatibility\":"
		 "[\"%s\"]}}", v);
	expect_desc_err(text, "sw-description: a hardware-compatibility revision is 64 bytes, "
			"at most 63");
	memset(v, 'd', 2000);
	v[2000] = '\0';
	snprintf(text, 8000, "software = { version = \"1\"; description = \"%s\"; };", v);
	expect_desc_err(text, "sw-description: software.description is 2000 bytes, at most 1023");
	v[1023] = '\0';
	snprintf(text, 8000, "software = { version = \"1\"; description = \"%s\"; };", v);
	assert_int_equal(swu_describe(text, strlen(text), &info, &err), 0);
	assert_string_equal(info.description, v);
	free(v);
	free(text);
}

/* swu_describe resets what an earlier call left */
static void test_describe_resets(void **state)
{
	static struct swu_info info;
	static const char d[] = "software = { version = \"2\"; };";
	struct nb_err err = { NB_OK, "" };

	(void)state;
	assert_int_equal(swu_describe(desc_json, strlen(desc_json), &info, &err), 0);
	assert_int_equal(swu_describe(d, strlen(d), &info, &err), 0);
	assert_string_equal(info.version, "2");
	assert_string_equal(info.description, "");
	assert_int_equal(info.ncompat, 0);
}

/* a text that is not NUL-terminated is read only up to len */
static void test_describe_len(void **state)
{
	static struct swu_info info;
	static const char d[] = "software = { version = \"5\"; };XXXX";
	static const char j[] = "{\"software\":{\"version\":\"6\"}}XXXX";
	struct nb_err err = { NB_OK, "" };

	(void)state;
	assert_int_equal(swu_describe(d, strlen(d) - 4, &info, &err), 0);
	assert_string_equal(info.version, "5");
	assert_int_equal(swu_describe(j, strlen(j) - 4, &info, &err), 0);
	assert_string_equal(info.version, "6");
}

/* GNU cpio writes the archives; swu_read_file reads them from disk */
static void check_cpio_tool(const char *format, const char *magic)
{
	static struct swu_info info;
	char *dir = ut_mkdtemp(), path[PATH_MAX], cmd[2 * PATH_MAX];
	struct nb_err err = { NB_OK, "" };
	char *got;
	size_t n;

	fill();
	snprintf(path, sizeof(path), "%s/sw-description", dir);
	assert_int_equal(ut_write(path, desc_signed, strlen(desc_signed)), 0);
	snprintf(path, sizeof(path), "%s/sw-description.sig", dir);
	assert_int_equal(ut_write(path, sig, sizeof(sig)), 0);
	snprintf(path, sizeof(path), "%s/rootfs.ext4", dir);
	assert_int_equal(ut_write(path, image, sizeof(image)), 0);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf 'sw-description\\nsw-description.sig\\nrootfs.ext4\\n' |"
		 " cpio -o --quiet -H %s > image.swu", dir, format);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/image.swu", dir);
	assert_int_equal(swu_read_file(path, &info, &err), 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(info.version, "2.4.1");
	assert_int_equal(info.signed_, 1);
	assert_int_equal(info.nmember, 3);
	assert_string_equal(info.member[0].name, "sw-description");
	assert_string_equal(info.member[1].name, "sw-description.sig");
	assert_string_equal(info.member[2].name, "rootfs.ext4");
	assert_int_equal(info.member[2].size, sizeof(image));
	got = ut_read(path, &n);
	assert_non_null(got);
	assert_memory_equal(got, magic, 6);
	assert_true((size_t)(info.member[2].offset + info.member[2].size) <= n);
	assert_memory_equal(got + info.member[0].offset, desc_signed, strlen(desc_signed));
	assert_memory_equal(got + info.member[1].offset, sig, sizeof(sig));
	assert_memory_equal(got + info.member[2].offset, image, sizeof(image));
	free(got);
	ut_rmtree(dir);
}

static void test_cpio_newc(void **state)
{
	(void)state;
	check_cpio_tool("newc", NEWC);
}

static void test_cpio_crc(void **state)
{
	(void)state;
	check_cpio_tool("crc", CRC);
}

/* -- rejections ------------------------------------------------------------- */

static void test_not_cpio(void **state)
{
	char junk[4096];
	struct ar a = { 0 };
	size_t i;

	(void)state;
	srand(42);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)rand();
	junk[0] = 'Z';
	expect_err(junk, sizeof(junk), "not a .swu: no cpio newc/crc header at byte 0");
	/* the old portable (odc) format is not taken */
	memcpy(junk, "070707", 6);
	expect_err(junk, sizeof(junk), "not a .swu: no cpio newc/crc header at byte 0");
	/*
	 * An empty file, or one shorter than a header, is reported as truncated
	 * rather than as not a .swu (the size is checked before the magic).
	 */
	expect_err("", 0, "truncated: the archive ends inside a member header");
	expect_err(junk, 109, "truncated: the archive ends inside a member header");
	/* a second header that is not one */
	ar_add(&a, NEWC, "sw-description", desc_signed, strlen(desc_signed));
	i = a.n;
	ar_put(&a, junk, 200);
	expect_err(a.p, a.n, "not a .swu: no cpio newc/crc header at byte 436");
	assert_int_equal(i, 436);
	free(a.p);
}

static void test_truncated_header(void **state)
{
	struct ar a = { 0 };
	size_t end;

	(void)state;
	ar_add(&a, NEWC, "sw-description", desc_signed, strlen(desc_signed));
	end = a.n;
	ar_add(&a, NEWC, "rootfs.ext4", "abcd", 4);
	/* cut inside the second header */
	expect_err(a.p, end + 50, "truncated: the archive ends inside a member header");
	/* no trailer at all */
	expect_err(a.p, a.n, "truncated: the archive ends inside a member header");
	free(a.p);
}

static void test_truncated_data(void **state)
{
	struct ar a = { 0 };
	size_t off[4];
	char want[128];

	(void)state;
	ar_signed(&a, NEWC, off);
	snprintf(want, sizeof(want), "truncated: rootfs.ext4 needs %zu bytes the file does not have",
		 sizeof(image));
	expect_err(a.p, off[2] + sizeof(image) - 1, want);
	expect_err(a.p, off[2], want);
	/* cut inside the first member's data, and in the padding before it */
	assert_int_equal(strlen(desc_signed), 308);
	expect_err(a.p, off[0] + 10,
		   "truncated: sw-description needs 308 bytes the file does not have");
	expect_err(a.p, 126, "truncated: sw-description needs 308 bytes the file does not have");
	free(a.p);
}

static void test_bad_names(void **state)
{
	struct ar a = { 0 };
	char name[300];

	(void)state;
	/* the name's last byte is not NUL */
	ar_member_raw(&a, NEWC, "sw-descriptionX", 15, 0, NULL, "x", 1);
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "corrupt member name at byte 0");
	a.n = 0;
	/* a NUL inside the name */
	ar_member_raw(&a, NEWC, "sw-de\0scription", 16, 0, NULL, "x", 1);
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "corrupt member name at byte 0");
	a.n = 0;
	/* namesize 0 and 1 */
	ar_member_raw(&a, NEWC, "", 1, 0, NULL, "x", 1);
	a.p[94 + 7] = '0';
	ar_trailer(&a, NEWC);
	assert_memory_equal(a.p + 94, "00000000", 8);
	expect_err(a.p, a.n, "corrupt cpio header at byte 0");
	a.n = 0;
	ar_member_raw(&a, NEWC, "", 1, 0, NULL, "x", 1);
	ar_trailer(&a, NEWC);
	assert_memory_equal(a.p + 94, "00000001", 8);
	expect_err(a.p, a.n, "corrupt cpio header at byte 0");
	a.n = 0;
	/* namesize 257: a 256-byte name */
	memset(name, 'q', 256);
	name[256] = '\0';
	ar_member_raw(&a, NEWC, name, 257, 0, NULL, "x", 1);
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "corrupt cpio header at byte 0");
	a.n = 0;
	/* a huge namesize */
	ar_member_raw(&a, NEWC, "sw-description", 15, 0xffffffffUL, NULL, "x", 1);
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "corrupt cpio header at byte 0");
	a.n = 0;
	/* the name runs past the end of the file */
	ar_member_raw(&a, NEWC, "sw-description", 15, 0, NULL, "", 0);
	expect_err(a.p, 110 + 8, "corrupt member name at byte 0");
	free(a.p);
}

static void test_bad_hex(void **state)
{
	struct ar a = { 0 };
	size_t at;

	(void)state;
	ar_member_raw(&a, NEWC, "sw-description", 15, 0, "0000001G", desc_signed,
		      strlen(desc_signed));
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "corrupt cpio header at byte 0");
	a.n = 0;
	ar_member_raw(&a, NEWC, "sw-description", 15, 0, " 0000010", desc_signed,
		      strlen(desc_signed));
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "corrupt cpio header at byte 0");
	a.n = 0;
	/* a non-hex digit in namesize, in a later member */
	ar_add(&a, NEWC, "sw-description", desc_signed, strlen(desc_signed));
	at = a.n;
	ar_add(&a, NEWC, "img", "abc", 3);
	a.p[at + 94] = 'x';
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "corrupt cpio header at byte 436");
	assert_int_equal(at, 436);
	/* lower-case hex is taken */
	a.n = 0;
	ar_member_raw(&a, NEWC, "sw-description", 15, 0, "0000000a", "0123456789", 10);
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "sw-description:1: syntax error");
	free(a.p);
}

static void test_first_not_desc(void **state)
{
	struct ar a = { 0 };

	(void)state;
	ar_add(&a, NEWC, "sw-description.sig", sig, sizeof(sig));
	ar_add(&a, NEWC, "sw-description", desc_signed, strlen(desc_signed));
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "not a .swu: the first member is not sw-description");
	a.n = 0;
	ar_add(&a, NEWC, "./sw-description", desc_signed, strlen(desc_signed));
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "not a .swu: the first member is not sw-description");
	/* only a trailer */
	a.n = 0;
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "not a .swu: the first member is not sw-description");
	free(a.p);
}

static void test_too_many_members(void **state)
{
	struct ar a = { 0 };
	int i;

	(void)state;
	ar_add(&a, NEWC, "sw-description", desc_signed, strlen(desc_signed));
	for (i = 1; i <= SWU_MAX_MEMBERS; i++)
		ar_add(&a, NEWC, "m", "", 0);
	ar_trailer(&a, NEWC);
	expect_err(a.p, a.n, "more than 256 members");
	free(a.p);
}

static void test_desc_too_large(void **state)
{
	struct ar a = { 0 };
	static struct swu_info info;
	char *d = malloc(SWU_DESC_MAX + 1);
	struct nb_err err = { NB_OK, "" };

	(void)state;
	assert_non_null(d);
	memset(d, ' ', SWU_DESC_MAX + 1);
	memcpy(d, "software = { version = \"1\"; };", 30);
	ar_desc_only(&a, NEWC, d, SWU_DESC_MAX + 1);
	expect_err(a.p, a.n, "sw-description is too large");
	assert_int_equal(swu_describe(d, SWU_DESC_MAX + 1, &info, &err), -1);
	assert_string_equal(err.msg, "sw-description is too large or binary");
	free(d);
	free(a.p);
}

static void test_desc_nul(void **state)
{
	struct ar a = { 0 };
	static const char d[] = "software = { version = \"1\"; };\0 trailing";
	static const char j[] = "{\"software\":{\"version\":\"1\"}}\0";
	static struct swu_info info;
	struct nb_err err = { NB_OK, "" };

	(void)state;
	ar_desc_only(&a, CRC, d, sizeof(d) - 1);
	expect_err(a.p, a.n, "sw-description is too large or binary");
	assert_int_equal(swu_describe(j, sizeof(j) - 1, &info, &err), -1);
	assert_string_equal(err.msg, "sw-description is too large or binary");
	free(a.p);
}

static void test_desc_syntax(void **state)
{
	struct ar a = { 0 };
	static const char d[] = "software =\n{\n\tversion = \"1\"\n\tdescription = ;\n};\n";
	static const char d2[] = "software = {\n version = \"1\";\n";

	(void)state;
	ar_desc_only(&a, NEWC, d, strlen(d));
	expect_err(a.p, a.n, "sw-description:4: syntax error");
	expect_desc_err(d2, "sw-description:3: syntax error");
	expect_desc_err("software = { version = \"1\"; }; }", "sw-description:1: syntax error");
	free(a.p);
}

static void test_no_software(void **state)
{
	struct ar a = { 0 };
	static const char d[] = "firmware = { version = \"1.0\"; };\n";

	(void)state;
	ar_desc_only(&a, NEWC, d, strlen(d));
	expect_err(a.p, a.n, "sw-description has no software group");
	expect_desc_err("software = \"1.0\";", "sw-description has no software group");
	expect_desc_err("software = ( { version = \"1.0\"; } );",
			"sw-description has no software group");
	expect_desc_err("", "sw-description has no software group");
	expect_desc_err("  \n\t", "sw-description has no software group");
	free(a.p);
}

static void test_no_version(void **state)
{
	struct ar a = { 0 };
	static const char d[] = "software = { description = \"no version\"; };\n";

	(void)state;
	ar_desc_only(&a, NEWC, d, strlen(d));
	expect_err(a.p, a.n, "sw-description has no software.version");
	expect_desc_err("software = { version = 1.0; };", "sw-description has no software.version");
	expect_desc_err("software = { version = \"\"; };", "sw-description has no software.version");
	expect_desc_err("software = { board = { version = \"1\"; }; };",
			"sw-description has no software.version");
	expect_desc_err("{\"software\":{\"version\":1}}", "sw-description has no software.version");
	expect_desc_err("{\"software\":{}}", "sw-description has no software.version");
	free(a.p);
}

static void test_json_no_software(void **state)
{
	struct ar a = { 0 };
	static const char d[] = "{ \"firmware\": { \"version\": \"1\" } }";

	(void)state;
	ar_desc_only(&a, NEWC, d, strlen(d));
	expect_err(a.p, a.n, "sw-description (JSON) has no software object");
	expect_desc_err("{\"software\": [ { \"version\": \"1\" } ]}",
			"sw-description (JSON) has no software object");
	expect_desc_err("{\"software\": \"1\"}", "sw-description (JSON) has no software object");
	expect_desc_err("{\"Software\": {\"version\": \"1\"}}",
			"sw-description (JSON) has no software object");
	/* a JSON syntax error reads as no software object */
	expect_desc_err("{\"software\": {\"version\": \"1\"", "sw-description (JSON) has no software object");
	expect_desc_err("{", "sw-description (JSON) has no software object");
	free(a.p);
}

static void test_read_file_missing(void **state)
{
	static struct swu_info info;
	char *dir = ut_mkdtemp(), path[PATH_MAX], want[PATH_MAX + 64];
	struct nb_err err = { NB_OK, "" };

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.swu", dir);
	/* the message never shows the server's path (an admin upload's temp file) */
	snprintf(want, sizeof(want), "cannot read the image: No such file or directory");
	assert_int_equal(swu_read_file(path, &info, &err), -1);
	assert_string_equal(err.msg, want);
	ut_rmtree(dir);
}

/* swu_read_file and swu_read_mem agree, failures included */
static void test_read_file_matches_mem(void **state)
{
	static struct swu_info fi, mi;
	char *dir = ut_mkdtemp(), path[PATH_MAX];
	struct nb_err ferr = { NB_OK, "" };
	struct nb_err merr = { NB_OK, "" };
	struct ar a = { 0 };
	size_t off[4];
	int i;

	(void)state;
	ar_signed(&a, CRC, off);
	snprintf(path, sizeof(path), "%s/x.swu", dir);
	assert_int_equal(ut_write(path, a.p, a.n), 0);
	assert_int_equal(swu_read_file(path, &fi, &ferr), 0);
	assert_int_equal(swu_read_mem(a.p, a.n, &mi, &merr), 0);
	assert_string_equal(fi.version, mi.version);
	assert_int_equal(fi.nmember, mi.nmember);
	for (i = 0; i < fi.nmember; i++) {
		assert_string_equal(fi.member[i].name, mi.member[i].name);
		assert_int_equal(fi.member[i].offset, mi.member[i].offset);
		assert_int_equal(fi.member[i].size, mi.member[i].size);
	}
	assert_int_equal(ut_write(path, a.p, off[2] + 5), 0);
	assert_int_equal(swu_read_file(path, &fi, &ferr), -1);
	assert_int_equal(swu_read_mem(a.p, off[2] + 5, &mi, &merr), -1);
	assert_string_equal(ferr.msg, merr.msg);
	free(a.p);
	ut_rmtree(dir);
}

/* -- libconfig's @include -------------------------------------------------- */

/*
 * libconfig's config_read_string() would follow "@include" to any file the
 * reading process can read (here one holding a version, which would be
 * taken as the image's), and its errors would tell whether a path exists.
 * SWUpdate forbids includes in sw-description; so does the reader.
 */
static void test_include_refused(void **state)
{
	static struct swu_info info;
	char *dir = ut_mkdtemp(), path[PATH_MAX], text[PATH_MAX + 64];
	struct nb_err err = { NB_OK, "" };
	static const char planted[] = "software = { version = \"from-the-server\"; };\n";
	struct ar a = { 0 };
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/planted.cfg", dir);
	assert_int_equal(ut_write(path, planted, strlen(planted)), 0);
	snprintf(text, sizeof(text), "@include \"%s\"\n", path);
	ar_desc_only(&a, NEWC, text, strlen(text));
	rc = swu_read_mem(a.p, a.n, &info, &err);
	free(a.p);
	ut_rmtree(dir);
	assert_int_equal(rc, -1);
	assert_string_equal(err.msg, "sw-description may not @include files");
	expect_desc_err("software = { version = \"1\"; };\n  @include \"/nonexistent\"\n",
			"sw-description may not @include files");
}

/*
 * "@include" of a directory made flex's scanner fail to read it, and its
 * YY_FATAL_ERROR printed "input in flex scanner failed" and called
 * exit(2): the process reading the .swu ended instead of refusing it.
 * Run in a child so that a regression cannot end this suite.
 */
static void test_include_directory_does_not_exit(void **state)
{
	static const char text[] = "software = { version = \"1\"; };\n@include \"/\"\n";
	struct ar a = { 0 };
	pid_t pid;
	int status = 0;

	(void)state;
	ar_desc_only(&a, NEWC, text, strlen(text));
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static struct swu_info info;
		struct nb_err err = { NB_OK, "" };
		/* keep flex's message out of the test output */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		_exit(swu_read_mem(a.p, a.n, &info, &err) == -1 ? 0 : 1);
	}
	free(a.p);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* 2 would be flex's exit(YY_EXIT_FAILURE) */
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_newc),
		cmocka_unit_test(test_signed_crc),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_mixed_magic_and_tail),
		cmocka_unit_test(test_limits_accepted),
		cmocka_unit_test(test_desc_max_accepted),
		cmocka_unit_test(test_json_archive),
		cmocka_unit_test(test_compat_libconfig),
		cmocka_unit_test(test_compat_json),
		cmocka_unit_test(test_compat_overflow),
		cmocka_unit_test(test_compat_ten_thousand),
		cmocka_unit_test(test_field_bounds),
		cmocka_unit_test(test_describe_resets),
		cmocka_unit_test(test_describe_len),
		cmocka_unit_test(test_cpio_newc),
		cmocka_unit_test(test_cpio_crc),
		cmocka_unit_test(test_not_cpio),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_truncated_data),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_hex),
		cmocka_unit_test(test_first_not_desc),
		cmocka_unit_test(test_too_many_members),
		cmocka_unit_test(test_desc_too_large),
		cmocka_unit_test(test_desc_nul),
		cmocka_unit_test(test_desc_syntax),
		cmocka_unit_test(test_no_software),
		cmocka_unit_test(test_no_version),
		cmocka_unit_test(test_json_no_software),
		cmocka_unit_test(test_read_file_missing),
		cmocka_unit_test(test_read_file_matches_mem),
		cmocka_unit_test(test_include_refused),
		cmocka_unit_test(test_include_directory_does_not_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
