/*
 * Importing a raw disk image the way the mkbox build pipeline publishes
 * it: <image>.img.zst, then <image>.img.sha256 (raw and compressed sums),
 * then <image>.img.buildID (a fresh random value).  Each file is written
 * to a temporary name, fsynced and renamed; the buildID goes last because
 * a new buildID is what tells boxes there is a new build.
 */
#include "mkbox.h"
#include "../lib/fsutil.h"
#include "../lib/zst.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct import_ctx {
	int fd;
	struct hash_ctx raw, zst;
	unsigned long long done, total;
	int progress;
	time_t last;
};

static void on_raw(void *p, const void *b, size_t n)
{
	struct import_ctx *c = p;
	time_t now;

	hash_update(&c->raw, b, n);
	c->done += n;
	if (!c->progress || (now = time(NULL)) == c->last)
		return;
	c->last = now;
	fprintf(stderr, "\rcompressing: %3llu%% (%llu of %llu MiB)",
		c->total ? c->done * 100 / c->total : 100, c->done >> 20, c->total >> 20);
}

static int on_out(void *p, const void *b, size_t n)
{
	struct import_ctx *c = p;

	hash_update(&c->zst, b, n);
	return fs_write_all(c->fd, b, n);
}

static const char *image_name(char *out, size_t n, const struct mkbox_import *o)
{
	const char *parts[] = { o->box, o->board, o->branch, o->version };
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < 4; i++) {
		if (!parts[i] || !*parts[i])
			continue;
		if (!mkbox_name_ok(parts[i]))
			return NULL;
		len += (size_t)snprintf(out + len, n - len, "%s%s", len ? "-" : "", parts[i]);
		if (len >= n)
			return NULL;
	}
	return mkbox_name_ok(out) ? out : NULL;
}

static int write_small(const char *dir, const char *image, const char *ext,
		       const char *text, char *err, size_t errlen)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s%s", dir, image, ext);
	if (fs_write_atomic(p, text, strlen(text)) < 0) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		return -1;
	}
	return 0;
}

int mkbox_import_image(const struct mkbox_import *o, char *image, size_t n,
		       char *err, size_t errlen)
{
	struct import_ctx c = { .fd = -1, .progress = o->progress };
	char dir[PATH_MAX], zpath[PATH_MAX], tmp[PATH_MAX], rawhex[HASH_HEX_MAX],
	     zhex[HASH_HEX_MAX], text[1024];
	unsigned char rnd[32];
	struct stat st;
	int in, i;

	if (!o->box || !o->board || !image_name(image, n, o)) {
		snprintf(err, errlen, "box, board, branch and version may hold only "
			 "letters, digits and . _ - + ~ (and box and board are required)");
		return -1;
	}
	in = open(o->file, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", o->file, in < 0 ? strerror(errno) : "not a regular file");
		if (in >= 0)
			close(in);
		return -1;
	}
	c.total = (unsigned long long)st.st_size;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", o->image_path, o->box) >= sizeof(dir) ||
	    (size_t)snprintf(zpath, sizeof(zpath), "%s/%s.img.zst", dir, image) >= sizeof(zpath)) {
		snprintf(err, errlen, "image path too long");
		close(in);
		return -1;
	}
	if (fs_mkdirs(dir, 0755) < 0 || (c.fd = fs_tmp_open(zpath, tmp, sizeof(tmp))) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		close(in);
		return -1;
	}
	hash_init(&c.raw, HASH_SHA256);
	hash_init(&c.zst, HASH_SHA256);
	if (zst_compress_fd(in, o->level, o->threads, on_raw, on_out, &c, err, errlen) < 0) {
		close(in);
		close(c.fd);
		unlink(tmp);
		hash_free(&c.raw);
		hash_free(&c.zst);
		return -1;
	}
	close(in);
	if (c.progress)
		fprintf(stderr, "\rcompressing: 100%% (%llu MiB)            \n", c.total >> 20);
	hash_final_hex(&c.raw, rawhex);
	hash_final_hex(&c.zst, zhex);
	if (fs_commit(c.fd, tmp, zpath) < 0) {
		snprintf(err, errlen, "%s: %s", zpath, strerror(errno));
		return -1;
	}
	snprintf(text, sizeof(text), "%s  %s.img\n%s  %s.img.zst\n", rawhex, image, zhex, image);
	if (write_small(dir, image, ".img.sha256", text, err, errlen) < 0)
		return -1;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		snprintf(err, errlen, "no randomness for the buildID");
		return -1;
	}
	for (i = 0; i < 32; i++)
		snprintf(text + 2 * i, 3, "%02x", rnd[i]);
	snprintf(text + 64, sizeof(text) - 64, "  %s.img\n", image);
	return write_small(dir, image, ".img.buildID", text, err, errlen);
}
