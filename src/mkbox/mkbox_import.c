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

/* The kind of a failed write into the image directory: something in the
 * way of the build is the operator's to clear (conflict), the rest is the
 * store failing (unavailable). */
static enum nb_errkind fail_kind(int e)
{
	return e == EISDIR || e == ENOTDIR || e == ELOOP || e == EEXIST || e == ENOTEMPTY ?
	       NB_CONFLICT : NB_UNAVAILABLE;
}

/* A message naming "<box>/<name>", never the server's absolute path. */
static int fail(struct nb_err *e, const char *box, const char *name, int errnum)
{
	return nb_fail(e, fail_kind(errnum), "%s/%s: %s", box, name, strerror(errnum));
}

/* Opens (creating it) the box directory, never through a link: an import
 * must not write outside the image directory. */
static int box_open(const struct mkbox_import *o, struct nb_err *e)
{
	char dir[PATH_MAX];
	struct stat st;
	int dfd;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", o->image_path, o->box) >= sizeof(dir))
		return nb_fail(e, NB_INVALID, "image path too long");
	if (fs_mkdirs(o->image_path, 0755) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot create the image directory: %s",
			       strerror(errno));
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return nb_fail(e, fail_kind(errno), "box %s: %s", o->box, strerror(errno));
	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
		return nb_fail(e, NB_CONFLICT, "box %s is a symbolic link in the image directory: "
			       "links are not followed", o->box);
	dfd = fs_open_beneath(o->image_path, o->box, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return nb_fail(e, NB_CONFLICT, "box %s in the image directory is not a directory",
			       o->box);
	return dfd;
}

/* Opens the input file; label names it in messages. */
static int input_open(const struct mkbox_import *o, struct stat *st, struct nb_err *e)
{
	const char *label = o->label ? o->label : o->file;
	int in = open(o->file, O_RDONLY | O_CLOEXEC);

	/* an empty image would be served as a build a box installs */
	if (in < 0 || fstat(in, st) < 0 || !S_ISREG(st->st_mode) || st->st_size == 0) {
		nb_fail(e, NB_INVALID, "%s: %s", label, in < 0 ? strerror(errno) :
			!S_ISREG(st->st_mode) ? "not a regular file" : "empty (an image has at least one byte)");
		if (in >= 0)
			close(in);
		return -1;
	}
	return in;
}

/* Compresses in into <image>.img.zst in the box; the sums into c. */
static int write_zst(int dfd, int in, const struct mkbox_import *o, const char *image,
		     struct import_ctx *c, struct nb_err *e)
{
	char name[MKBOX_NAME_MAX + 16], tmp[NAME_MAX + 1], why[256];

	snprintf(name, sizeof(name), "%s.img.zst", image);
	if ((c->fd = fs_tmp_openat(dfd, name, tmp, sizeof(tmp))) < 0)
		return fail(e, o->box, name, errno);
	hash_init(&c->raw, HASH_SHA256);
	hash_init(&c->zst, HASH_SHA256);
	if (zst_compress_fd(in, o->level, o->threads, on_raw, on_out, c, why, sizeof(why)) < 0) {
		close(c->fd);
		unlinkat(dfd, tmp, 0);
		hash_free(&c->raw);
		hash_free(&c->zst);
		return nb_fail(e, NB_UNAVAILABLE, "compressing %s/%s: %s", o->box, name, why);
	}
	if (c->progress)
		fprintf(stderr, "\rcompressing: 100%% (%llu MiB)            \n", c->total >> 20);
	if (fs_commitat(c->fd, dfd, tmp, name) < 0) {
		hash_free(&c->raw);
		hash_free(&c->zst);
		return fail(e, o->box, name, errno);
	}
	return 0;
}

static int write_small(int dfd, const char *box, const char *image, const char *ext,
		       const char *text, struct nb_err *e)
{
	char name[MKBOX_NAME_MAX + 16];

	snprintf(name, sizeof(name), "%s%s", image, ext);
	if (fs_write_atomicat(dfd, name, text, strlen(text)) < 0)
		return fail(e, box, name, errno);
	return 0;
}

/* Writes .img.sha256, then a fresh .img.buildID. */
static int write_sums(int dfd, const char *box, const char *image, struct import_ctx *c,
		      struct nb_err *e)
{
	char rawhex[HASH_HEX_MAX], zhex[HASH_HEX_MAX], text[1024];
	unsigned char rnd[32];
	int i;

	hash_final_hex(&c->raw, rawhex);
	hash_final_hex(&c->zst, zhex);
	snprintf(text, sizeof(text), "%s  %s.img\n%s  %s.img.zst\n", rawhex, image, zhex, image);
	if (write_small(dfd, box, image, ".img.sha256", text, e) < 0)
		return -1;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return nb_fail(e, NB_UNAVAILABLE, "no randomness for the buildID");
	for (i = 0; i < 32; i++)
		snprintf(text + 2 * i, 3, "%02x", rnd[i]);
	snprintf(text + 64, sizeof(text) - 64, "  %s.img\n", image);
	return write_small(dfd, box, image, ".img.buildID", text, e);
}

int mkbox_image_import(const struct mkbox_import *o, char *image, size_t n,
		       struct nb_err *e)
{
	struct import_ctx c = { .fd = -1, .progress = o->progress };
	struct stat st;
	int in, dfd, rc;

	if (!o->box || !o->board || !image_name(image, n, o))
		return nb_fail(e, NB_INVALID, "box, board, branch and version may hold only "
			       "letters, digits and . _ - + ~ (and box and board are required)");
	if ((in = input_open(o, &st, e)) < 0)
		return -1;
	c.total = (unsigned long long)st.st_size;
	if ((dfd = box_open(o, e)) < 0) {
		close(in);
		return -1;
	}
	rc = write_zst(dfd, in, o, image, &c, e);
	close(in);
	if (rc == 0)
		rc = write_sums(dfd, o->box, image, &c, e);
	close(dfd);
	return rc < 0 ? -1 : 0;
}
