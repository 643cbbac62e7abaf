#include "tar.h"

#include <stdio.h>
#include <string.h>

/* Zero-padded octal filling width-1 digits plus a NUL; callers keep v in range. */
static void octal(char *field, size_t width, uint64_t v)
{
	size_t i = width - 1;

	field[i] = '\0';
	while (i-- > 0) {
		field[i] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

static void ustar_block(char *b, const char *name, uint64_t size, uint64_t mtime,
			unsigned mode, char type)
{
	unsigned sum = 0;
	size_t i;

	memset(b, 0, TAR_BLOCK);
	memcpy(b, name, strnlen(name, 100));
	octal(b + 100, 8, mode);
	octal(b + 108, 8, 0);
	octal(b + 116, 8, 0);
	octal(b + 124, 12, size);
	octal(b + 136, 12, mtime);
	b[156] = type;
	memcpy(b + 257, "ustar", 6);
	memcpy(b + 263, "00", 2);
	memcpy(b + 265, "root", 4);
	memcpy(b + 297, "root", 4);
	memset(b + 148, ' ', 8);
	for (i = 0; i < TAR_BLOCK; i++)
		sum += (unsigned char)b[i];
	snprintf(b + 148, 8, "%06o", sum);
	b[155] = ' ';
}

/* A pax record is "<len> key=value\n" where len counts itself. */
static size_t pax_record(char *out, size_t cap, const char *key, const char *val)
{
	size_t body = strlen(key) + strlen(val) + 3, len = body + 1, digits;

	for (;;) {
		digits = (size_t)snprintf(NULL, 0, "%zu", len);
		if (body + digits == len)
			break;
		len = body + digits;
	}
	if (len >= cap)
		return 0;
	snprintf(out, cap, "%zu %s=%s\n", len, key, val);
	return len;
}

size_t tar_header(char *out, const char *name, uint64_t size, uint64_t mtime,
		  unsigned mode)
{
	size_t nl = strlen(name), off = 0;
	const uint64_t ustar_max = 077777777777ULL;

	if (nl == 0 || nl > 255)
		return 0;
	if (nl >= 100 || size > ustar_max) {
		char rec[2 * TAR_BLOCK];
		size_t rl = 0;
		if (nl >= 100)
			rl += pax_record(rec, sizeof(rec), "path", name);
		if (size > ustar_max) {
			char num[32];
			snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
			rl += pax_record(rec + rl, sizeof(rec) - rl, "size", num);
		}
		ustar_block(out, "././@PaxHeader", rl, mtime, 0644, 'x');
		memset(out + TAR_BLOCK, 0, 2 * TAR_BLOCK);
		memcpy(out + TAR_BLOCK, rec, rl);
		off = TAR_BLOCK + ((rl + TAR_BLOCK - 1) / TAR_BLOCK) * TAR_BLOCK;
	}
	ustar_block(out + off, name, size > ustar_max ? 0 : size, mtime, mode, '0');
	return off + TAR_BLOCK;
}

size_t tar_member_pad(uint64_t size)
{
	return (size_t)((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);
}

uint64_t tar_end_pad(uint64_t written)
{
	uint64_t total = written + 2 * TAR_BLOCK;

	total = (total + TAR_RECORD - 1) / TAR_RECORD * TAR_RECORD;
	return total - written;
}
