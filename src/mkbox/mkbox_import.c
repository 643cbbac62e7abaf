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

/* The status of a failed write into the image directory: something in the
 * way of the build is the operator's to clear (409), the rest is the
 * store failing (503). */
static int fail_status(int e)
{
	return e == EISDIR || e == ENOTDIR || e == ELOOP || e == EEXIST || e == ENOTEMPTY ?
	       409 : 503;
}

/* A message naming "<box>/<name>", never the server's absolute path. */
static int fail(char *err, size_t errlen, const char *box, const char *name, int e)
{
	snprintf(err, errlen, "%s/%s: %s", box, name, strerror(e));
	return fail_status(e);
}

/* Opens (creating it) the box directory, never through a link: an import
 * must not write outside the image directory. */
static int box_open(const struct mkbox_import *o, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;
	int dfd;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", o->image_path, o->box) >= sizeof(dir)) {
		snprintf(err, errlen, "image path too long");
		return -400;
	}
	if (fs_mkdirs(o->image_path, 0755) < 0) {
		snprintf(err, errlen, "cannot create the image directory: %s", strerror(errno));
		return -503;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "box %s: %s", o->box, strerror(errno));
		return -fail_status(errno);
	}
	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "box %s is a symbolic link in the image directory: "
			 "links are not followed", o->box);
		return -409;
	}
	dfd = fs_open_beneath(o->image_path, o->box, O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		snprintf(err, errlen, "box %s in the image directory is not a directory", o->box);
		return -409;
	}
	return dfd;
}

/* Opens the input file; label names it in messages. */
static int input_open(const struct mkbox_import *o, struct stat *st, char *err, size_t errlen)
{
	const char *label = o->label ? o->label : o->file;
	int in = open(o->file, O_RDONLY | O_CLOEXEC);

	if (in < 0 || fstat(in, st) < 0 || !S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: %s", label, in < 0 ? strerror(errno) : "not a regular file");
		if (in >= 0)
			close(in);
		return -1;
	}
	return in;
}

/* Compresses in into <image>.img.zst in the box; the sums into c. */
static int write_zst(int dfd, int in, const struct mkbox_import *o, const char *image,
		     struct import_ctx *c, char *err, size_t errlen)
{
	char name[MKBOX_NAME_MAX + 16], tmp[NAME_MAX + 1], why[256];

	snprintf(name, sizeof(name), "%s.img.zst", image);
	if ((c->fd = fs_tmp_openat(dfd, name, tmp, sizeof(tmp))) < 0)
		return fail(err, errlen, o->box, name, errno);
	hash_init(&c->raw, HASH_SHA256);
	hash_init(&c->zst, HASH_SHA256);
	if (zst_compress_fd(in, o->level, o->threads, on_raw, on_out, c, why, sizeof(why)) < 0) {
		close(c->fd);
		unlinkat(dfd, tmp, 0);
		hash_free(&c->raw);
		hash_free(&c->zst);
		snprintf(err, errlen, "compressing %s/%s: %s", o->box, name, why);
		return 503;
	}
	if (c->progress)
		fprintf(stderr, "\rcompressing: 100%% (%llu MiB)            \n", c->total >> 20);
	if (fs_commitat(c->fd, dfd, tmp, name) < 0) {
		hash_free(&c->raw);
		hash_free(&c->zst);
		return fail(err, errlen, o->box, name, errno);
	}
	return 0;
}

static int write_small(int dfd, const char *box, const char *image, const char *ext,
		       const char *text, char *err, size_t errlen)
{
	char name[MKBOX_NAME_MAX + 16];

	snprintf(name, sizeof(name), "%s%s", image, ext);
	if (fs_write_atomicat(dfd, name, text, strlen(text)) < 0)
		return fail(err, errlen, box, name, errno);
	return 0;
}

/* Writes .img.sha256, then a fresh .img.buildID. */
static int write_sums(int dfd, const char *box, const char *image, struct import_ctx *c,
		      char *err, size_t errlen)
{
	char rawhex[HASH_HEX_MAX], zhex[HASH_HEX_MAX], text[1024];
	unsigned char rnd[32];
	int i, st;

	hash_final_hex(&c->raw, rawhex);
	hash_final_hex(&c->zst, zhex);
	snprintf(text, sizeof(text), "%s  %s.img\n%s  %s.img.zst\n", rawhex, image, zhex, image);
	if ((st = write_small(dfd, box, image, ".img.sha256", text, err, errlen)))
		return st;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		snprintf(err, errlen, "no randomness for the buildID");
		return 503;
	}
	for (i = 0; i < 32; i++)
		snprintf(text + 2 * i, 3, "%02x", rnd[i]);
	snprintf(text + 64, sizeof(text) - 64, "  %s.img\n", image);
	return write_small(dfd, box, image, ".img.buildID", text, err, errlen);
}

int mkbox_import_image(const struct mkbox_import *o, char *image, size_t n,
		       char *err, size_t errlen)
{
	struct import_ctx c = { .fd = -1, .progress = o->progress };
	struct stat st;
	int in, dfd, rc;

	if (!o->box || !o->board || !image_name(image, n, o)) {
		snprintf(err, errlen, "box, board, branch and version may hold only "
			 "letters, digits and . _ - + ~ (and box and board are required)");
		return 400;
	}
	if ((in = input_open(o, &st, err, errlen)) < 0)
		return 400;
	c.total = (unsigned long long)st.st_size;
	if ((dfd = box_open(o, err, errlen)) < 0) {
		close(in);
		return -dfd;
	}
	rc = write_zst(dfd, in, o, image, &c, err, errlen);
	close(in);
	if (rc == 0)
		rc = write_sums(dfd, o->box, image, &c, err, errlen);
	close(dfd);
	return rc;
}
