/*
 * test_tar.c - tar writing: a short name gives one ustar block (magic,
 * octal mode/size/mtime, type '0', a valid checksum); names of 100 to
 * 255 bytes get a pax 'x' header whose "path=" record counts its own
 * length; sizes past ustar's 8 GiB get a pax "size=" record; member and
 * end padding (totals a multiple of 10240 with at least 1024 zero bytes,
 * an empty archive is 10240 bytes); and a written archive that GNU tar
 * lists and extracts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/lib/tar.h"
#include "unit_util.h"

/* Parses an octal field of a header (digits, then NUL or space). */
static uint64_t octal_field(const char *f, size_t width)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < width && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(f[i] - '0');
	assert_true(i < width);
	assert_true(f[i] == '\0' || f[i] == ' ');
	return v;
}

/* The sum of the header bytes with the checksum field taken as spaces. */
static unsigned checksum(const char *b)
{
	unsigned sum = 0;
	int i;

	for (i = 0; i < TAR_BLOCK; i++)
		sum += i >= 148 && i < 156 ? ' ' : (unsigned char)b[i];
	return sum;
}

static void assert_valid_ustar(const char *b, char type)
{
	assert_memory_equal(b + 257, "ustar\0", 6);
	assert_memory_equal(b + 263, "00", 2);
	assert_int_equal(b[156], type);
	/* checksum: six octal digits, NUL, space */
	assert_int_equal(b[154], '\0');
	assert_int_equal(b[155], ' ');
	assert_int_equal(octal_field(b + 148, 8), checksum(b));
}

static void test_short_name(void **state)
{
	char h[TAR_HEADER_MAX];
	size_t n;

	(void)state;
	memset(h, 0x55, sizeof(h));
	n = tar_header(h, "hello.img.zst", 1234, 1700000000, 0644);
	assert_int_equal(n, TAR_BLOCK);
	assert_string_equal(h, "hello.img.zst");
	assert_valid_ustar(h, '0');
	assert_memory_equal(h + 100, "0000644\0", 8);
	assert_memory_equal(h + 124, "00000002322\0", 12);	/* 1234 */
	assert_int_equal(octal_field(h + 124, 12), 1234);
	assert_int_equal(octal_field(h + 136, 12), 1700000000);
	assert_int_equal(octal_field(h + 108, 8), 0);
	assert_int_equal(octal_field(h + 116, 8), 0);
	assert_string_equal(h + 265, "root");
	assert_string_equal(h + 297, "root");
	/* the rest of the name field and the prefix are zero */
	assert_int_equal(h[13], '\0');
	assert_int_equal(h[99], '\0');
	assert_int_equal(h[345], '\0');
	assert_int_equal(h[511], '\0');
}

static void test_zero_size_and_mode(void **state)
{
	char h[TAR_HEADER_MAX];

	(void)state;
	assert_int_equal(tar_header(h, "x", 0, 0, 0755), TAR_BLOCK);
	assert_valid_ustar(h, '0');
	assert_memory_equal(h + 124, "00000000000\0", 12);
	assert_memory_equal(h + 100, "0000755\0", 8);
}

static void test_rejected_names(void **state)
{
	char h[TAR_HEADER_MAX], name[300];

	(void)state;
	assert_int_equal(tar_header(h, "", 1, 0, 0644), 0);
	memset(name, 'n', 256);
	name[256] = '\0';
	assert_int_equal(tar_header(h, name, 1, 0, 0644), 0);
	name[255] = '\0';
	assert_int_equal(tar_header(h, name, 1, 0, 0644), 3 * TAR_BLOCK);
}

static void test_99_chars_is_plain_ustar(void **state)
{
	char h[TAR_HEADER_MAX], name[100];

	(void)state;
	memset(name, 'a', 99);
	name[99] = '\0';
	assert_int_equal(tar_header(h, name, 5, 0, 0644), TAR_BLOCK);
	assert_valid_ustar(h, '0');
	assert_string_equal(h, name);
}

/* Checks the pax 'x' header + record + ustar block for a long name. */
static void check_long_name(size_t nl, size_t want_reclen)
{
	char h[TAR_HEADER_MAX], name[256], rec[600];
	size_t n, i, len;
	char *sp;

	for (i = 0; i < nl; i++)
		name[i] = (char)('a' + i % 26);
	name[nl] = '\0';
	memset(h, 0x55, sizeof(h));
	n = tar_header(h, name, 777, 1700000000, 0644);
	assert_int_equal(n, 3 * TAR_BLOCK);

	/* block 0: the pax extended header */
	assert_valid_ustar(h, 'x');
	assert_int_equal(octal_field(h + 124, 12), want_reclen);

	/* block 1: the record, "<len> path=<name>\n", zero-padded */
	snprintf(rec, sizeof(rec), "%zu path=%s\n", want_reclen, name);
	assert_int_equal(strlen(rec), want_reclen);
	assert_memory_equal(h + TAR_BLOCK, rec, want_reclen);
	len = strtoul(h + TAR_BLOCK, &sp, 10);
	assert_int_equal(*sp, ' ');
	assert_int_equal(len, want_reclen);
	assert_int_equal(h[TAR_BLOCK + len - 1], '\n');
	for (i = TAR_BLOCK + len; i < 2 * TAR_BLOCK; i++)
		if (h[i] != '\0')
			fail_msg("pax padding byte %zu is %d", i, h[i]);

	/* block 2: the member itself, name truncated, real size */
	assert_valid_ustar(h + 2 * TAR_BLOCK, '0');
	assert_memory_equal(h + 2 * TAR_BLOCK, name, 100);
	assert_int_equal(octal_field(h + 2 * TAR_BLOCK + 124, 12), 777);
}

static void test_long_name_pax(void **state)
{
	(void)state;
	/* 150: 3 digits + " path=" + 150 + "\n" = 160 */
	check_long_name(150, 160);
	check_long_name(100, 110);
	check_long_name(255, 265);
}

static void test_huge_size_pax(void **state)
{
	char h[TAR_HEADER_MAX];
	const uint64_t size = (uint64_t)1 << 33;	/* 8 GiB: one past ustar */
	static const char rec[] = "19 size=8589934592\n";

	(void)state;
	assert_int_equal(tar_header(h, "big.img", 077777777777ULL, 0, 0644), TAR_BLOCK);
	assert_int_equal(octal_field(h + 124, 12), 077777777777ULL);
	assert_int_equal(tar_header(h, "big.img", size, 0, 0644), 3 * TAR_BLOCK);
	assert_valid_ustar(h, 'x');
	assert_int_equal(octal_field(h + 124, 12), strlen(rec));
	assert_memory_equal(h + TAR_BLOCK, rec, strlen(rec));
	assert_valid_ustar(h + 2 * TAR_BLOCK, '0');
	assert_string_equal(h + 2 * TAR_BLOCK, "big.img");
	assert_int_equal(octal_field(h + 2 * TAR_BLOCK + 124, 12), 0);
}

static void test_member_pad(void **state)
{
	(void)state;
	assert_int_equal(tar_member_pad(0), 0);
	assert_int_equal(tar_member_pad(1), 511);
	assert_int_equal(tar_member_pad(511), 1);
	assert_int_equal(tar_member_pad(512), 0);
	assert_int_equal(tar_member_pad(513), 511);
	assert_int_equal(tar_member_pad((uint64_t)1 << 40), 0);
}

static void test_end_pad(void **state)
{
	uint64_t w;

	(void)state;
	assert_int_equal(tar_end_pad(0), TAR_RECORD);	/* empty archive */
	assert_int_equal(tar_end_pad(1024), 9216);
	assert_int_equal(tar_end_pad(9216), 1024);
	assert_int_equal(tar_end_pad(9728), 10752);
	assert_int_equal(tar_end_pad(10240), 10240);
	for (w = 0; w <= 5 * TAR_RECORD; w += TAR_BLOCK) {
		uint64_t p = tar_end_pad(w);
		assert_int_equal((w + p) % TAR_RECORD, 0);
		assert_true(p >= 2 * TAR_BLOCK);
		assert_true(p < TAR_RECORD + 2 * TAR_BLOCK);
	}
}

/* Appends one member (header, data, padding) to f. */
static void add_member(FILE *f, const char *name, const char *data, size_t n)
{
	char h[TAR_HEADER_MAX], zeros[TAR_BLOCK] = { 0 };
	size_t hl = tar_header(h, name, n, 1700000000, 0644);

	assert_true(hl > 0);
	assert_int_equal(fwrite(h, 1, hl, f), hl);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fwrite(zeros, 1, tar_member_pad(n), f), tar_member_pad(n));
}

static void test_gnu_tar_reads_archive(void **state)
{
	char *dir = ut_mkdtemp(), path[PATH_MAX], cmd[3 * PATH_MAX], longname[151];
	char zeros[TAR_RECORD + TAR_HEADER_MAX] = { 0 };
	FILE *f;
	long size;
	char *got, *list;
	size_t len;

	(void)state;
	memset(longname, 'L', 150);
	longname[150] = '\0';
	snprintf(path, sizeof(path), "%s/a.tar", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	add_member(f, "short.txt", "hello\n", 6);
	add_member(f, longname, "long name content", 17);
	size = ftell(f);
	assert_int_equal(fwrite(zeros, 1, tar_end_pad((uint64_t)size), f), tar_end_pad((uint64_t)size));
	size = ftell(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(size % TAR_RECORD, 0);

	snprintf(cmd, sizeof(cmd), "tar -tf '%s' > '%s/list' 2>&1", path, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/list", dir);
	list = ut_read(path, NULL);
	assert_non_null(list);
	snprintf(cmd, sizeof(cmd), "short.txt\n%s\n", longname);
	assert_string_equal(list, cmd);
	free(list);

	snprintf(cmd, sizeof(cmd), "mkdir '%s/x' && tar -xf '%s/a.tar' -C '%s/x'", dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/x/short.txt", dir);
	got = ut_read(path, &len);
	assert_non_null(got);
	assert_string_equal(got, "hello\n");
	free(got);
	snprintf(path, sizeof(path), "%s/x/%s", dir, longname);
	got = ut_read(path, &len);
	assert_non_null(got);
	assert_string_equal(got, "long name content");
	free(got);
	ut_rmtree(dir);
}

static void test_gnu_tar_reads_empty_archive(void **state)
{
	char *dir = ut_mkdtemp(), path[PATH_MAX], cmd[2 * PATH_MAX];
	char zeros[TAR_RECORD] = { 0 };
	char *list;

	(void)state;
	snprintf(path, sizeof(path), "%s/e.tar", dir);
	assert_int_equal(tar_end_pad(0), sizeof(zeros));
	assert_int_equal(ut_write(path, zeros, sizeof(zeros)), 0);
	snprintf(cmd, sizeof(cmd), "tar -tf '%s' > '%s/list' 2>&1", path, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/list", dir);
	list = ut_read(path, NULL);
	assert_string_equal(list, "");
	free(list);
	ut_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_name),
		cmocka_unit_test(test_zero_size_and_mode),
		cmocka_unit_test(test_rejected_names),
		cmocka_unit_test(test_99_chars_is_plain_ustar),
		cmocka_unit_test(test_long_name_pax),
		cmocka_unit_test(test_huge_size_pax),
		cmocka_unit_test(test_member_pad),
		cmocka_unit_test(test_end_pad),
		cmocka_unit_test(test_gnu_tar_reads_archive),
		cmocka_unit_test(test_gnu_tar_reads_empty_archive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
