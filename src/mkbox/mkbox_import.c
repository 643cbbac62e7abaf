/*
 * Importing a raw disk image the way the mkbox build pipeline publishes
 * it: <image>.img.zst, then <image>.img.sha256 (raw and compressed sums),
 * then <image>.img.buildID (a fresh random value).  Each file is written
 * to a temporary name, fsynced and renamed; the buildID goes last because
 * a new buildID is what tells boxes there is a new build.
 */
#include "mkbox.h"
#include "../lib/fs.h"
#include "../lib/zst.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* An import under way: the box directory, the .img.zst's temporary file,
 * the two sums and the compressor between them. */
struct mkbox_importer {
	int dfd, fd;
	char boxdir[PATH_MAX];		/* made by this import: removed if it fails, when empty */
	char box[MKBOX_NAME_MAX + 1], image[MKBOX_NAME_MAX + 1];
	char name[MKBOX_NAME_MAX + 16], tmp[NAME_MAX + 1];
	struct hash_ctx raw, zst;
	struct zst_stream *z;
	unsigned long long done, total;
	int progress;
	time_t last;
};

/* The compressor's output: summed, then written to the temporary file. */
static int on_out(void *p, const void *b, size_t n)
{
	struct mkbox_importer *im = p;

	hash_update(&im->zst, b, n);
	return fs_write_all(im->fd, b, n);
}

/* "compressing: 42% (...)" on stderr at most once a second (nestboxctl). */
static void show_progress(struct mkbox_importer *im)
{
	time_t now;

	if (!im->progress || (now = time(NULL)) == im->last)
		return;
	im->last = now;
	fprintf(stderr, "\rcompressing: %3llu%% (%llu of %llu MiB)",
		im->total ? im->done * 100 / im->total : 100, im->done >> 20, im->total >> 20);
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
 * must not write outside the image directory.  made receives its path
 * when this call created it ("" otherwise).  A new box directory (and a
 * new image directory) is made durable before anything is written in it:
 * the builds committed there are acknowledged, and a crash that lost the
 * directory's entry would lose them with it. */
static int box_open(const struct mkbox_import *o, char *made, size_t mn, struct nb_err *e)
{
	char dir[PATH_MAX];
	struct stat st;
	int dfd;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", o->image_path, o->box) >= sizeof(dir))
		return nb_fail(e, NB_INVALID, "image path too long");
	if (fs_mkdirs(o->image_path, 0755) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot create the image directory: %s",
			       strerror(errno));
	made[0] = '\0';
	switch (fs_mkdir_synced(dir, 0755)) {
	case 1:
		snprintf(made, mn, "%s", dir);
		break;
	case -1:
		return nb_fail(e, fail_kind(errno), "box %s: %s", o->box, strerror(errno));
	}
	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
		return nb_fail(e, NB_CONFLICT, "box %s is a symbolic link in the image directory: "
			       "links are not followed", o->box);
	dfd = fs_open_beneath(o->image_path, o->box, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return nb_fail(e, NB_CONFLICT, "box %s in the image directory is not a directory",
			       o->box);
	return dfd;
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
static int write_sums(int dfd, const char *box, const char *image, struct mkbox_importer *c,
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

/* Lets im go; its temporary file too unless it was committed (fd -1),
 * and a box directory it made for a build that failed (a refused upload
 * changes nothing). */
static void importer_free(struct mkbox_importer *im, int failed)
{
	if (im->fd >= 0) {
		close(im->fd);
		unlinkat(im->dfd, im->tmp, 0);
	}
	if (failed && im->boxdir[0])
		rmdir(im->boxdir);	/* only when empty: never a build of another */
	if (im->dfd >= 0)
		close(im->dfd);
	zst_free(im->z);
	hash_free(&im->raw);
	hash_free(&im->zst);
	free(im);
}

struct mkbox_importer *mkbox_import_begin(const struct mkbox_import *o, char *image, size_t n,
					  struct nb_err *e)
{
	struct mkbox_importer *im;

	if (!o->box || !o->board || !image_name(image, n, o)) {
		nb_fail(e, NB_INVALID, "box, board, branch and version may hold only "
			"letters, digits and . _ - + ~ (and box and board are required)");
		return NULL;
	}
	if (!(im = calloc(1, sizeof(*im)))) {
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
		return NULL;
	}
	im->fd = -1;
	im->progress = o->progress;
	hash_init(&im->raw, HASH_SHA256);
	hash_init(&im->zst, HASH_SHA256);
	snprintf(im->box, sizeof(im->box), "%s", o->box);
	snprintf(im->image, sizeof(im->image), "%s", image);
	snprintf(im->name, sizeof(im->name), "%s.img.zst", image);
	if ((im->dfd = box_open(o, im->boxdir, sizeof(im->boxdir), e)) < 0 ||
	    (im->fd = fs_tmp_openat(im->dfd, im->name, im->tmp, sizeof(im->tmp))) < 0) {
		if (im->dfd >= 0)
			fail(e, o->box, im->name, errno);
		importer_free(im, 1);
		return NULL;
	}
	if (!(im->z = zst_open(o->level, o->threads, on_out, im, e))) {
		importer_free(im, 1);
		return NULL;
	}
	return im;
}

int mkbox_import_write(struct mkbox_importer *im, const void *p, size_t n, struct nb_err *e)
{
	hash_update(&im->raw, p, n);
	im->done += n;
	show_progress(im);
	if (zst_write(im->z, p, n, e) < 0)
		return nb_err_prefix(e, "compressing %s/%s", im->box, im->name);
	return 0;
}

int mkbox_import_end(struct mkbox_importer *im, int ok, struct nb_err *e)
{
	int rc = -1;

	if (!ok) {
		importer_free(im, 1);
		return -1;
	}
	if (im->done == 0) {
		/* an empty image would be served as a build a box installs */
		importer_free(im, 1);
		return nb_fail(e, NB_INVALID, "the image is empty (an image has at least one byte)");
	}
	if (zst_finish(im->z, e) < 0) {
		nb_err_prefix(e, "compressing %s/%s", im->box, im->name);
	} else if (fs_commitat(im->fd, im->dfd, im->tmp, im->name) < 0) {
		im->fd = -1;	/* fs_commitat closed it, and removed the file on failure */
		fail(e, im->box, im->name, errno);
	} else {
		im->fd = -1;
		if (im->progress)
			fprintf(stderr, "\rcompressing: 100%% (%llu MiB)            \n",
				im->total >> 20);
		rc = write_sums(im->dfd, im->box, im->image, im, e);
	}
	importer_free(im, rc < 0);
	return rc;
}

/* Opens the input file; label names it in messages. */
static int input_open(const struct mkbox_import *o, struct stat *st, struct nb_err *e)
{
	const char *label = o->label ? o->label : o->file;
	int in = open(o->file, O_RDONLY | O_CLOEXEC);

	if (in < 0 || fstat(in, st) < 0 || !S_ISREG(st->st_mode)) {
		nb_fail(e, NB_INVALID, "%s: %s", label, in < 0 ? strerror(errno) : "not a regular file");
		if (in >= 0)
			close(in);
		return -1;
	}
	return in;
}

int mkbox_image_import(const struct mkbox_import *o, char *image, size_t n,
		       struct nb_err *e)
{
	struct mkbox_importer *im;
	struct stat st;
	char buf[1 << 17];
	ssize_t got;
	int in;

	if (!o->box || !o->board || !image_name(image, n, o))
		return nb_fail(e, NB_INVALID, "box, board, branch and version may hold only "
			       "letters, digits and . _ - + ~ (and box and board are required)");
	if ((in = input_open(o, &st, e)) < 0)
		return -1;
	if (!(im = mkbox_import_begin(o, image, n, e))) {
		close(in);
		return -1;
	}
	im->total = (unsigned long long)st.st_size;
	while ((got = read(in, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			nb_fail(e, NB_UNAVAILABLE, "reading %s: %s", o->label ? o->label : o->file,
				strerror(errno));
			break;
		}
		if (mkbox_import_write(im, buf, (size_t)got, e) < 0)
			break;
	}
	close(in);
	return mkbox_import_end(im, got == 0, e);
}
