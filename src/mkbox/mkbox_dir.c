/* Reading the mkbox image directory. */
#include "mkbox.h"
#include "../lib/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int mkbox_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MKBOX_NAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
		      c == '+' || c == '~'))
			return 0;
	}
	return 1;
}

int mkbox_name_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return mkbox_name_ok(raw) ? 0 : -1;
}

int mkbox_build_id_parse(const char *text, size_t len, char *out, size_t n)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			break;
		if (c < 0x20 || c == 0x7f)
			return -1;
	}
	if (i == 0 || i >= n)
		return -1;
	memcpy(out, text, i);
	out[i] = '\0';
	return 0;
}

/* The file name inside the box of a "<box>/<file>" path. */
static const char *base_of(const char *rel)
{
	const char *slash = strrchr(rel, '/');

	return slash ? slash + 1 : rel;
}

/* Reads the buildID of <image> from the open box directory. */
static int read_build_id(int dfd, const char *image, char *out, size_t n, struct stat *st)
{
	char name[MKBOX_NAME_MAX + 16], text[512];
	ssize_t got;
	int fd;

	snprintf(name, sizeof(name), "%s.img.buildID", image);
	/* plain read(2): this runs on every /update, stdio buffers cost more */
	fd = fs_open_regular_at(dfd, name, st);
	if (fd < 0)
		return -1;
	got = read(fd, text, sizeof(text));
	close(fd);
	return got < 0 ? -1 : mkbox_build_id_parse(text, (size_t)got, out, n);
}

int mkbox_build_find(const char *image_path, const char *box, const char *image,
		     struct mkbox_build *b)
{
	int dfd, rc = -1;

	if (!mkbox_name_ok(box) || !mkbox_name_ok(image) ||
	    (size_t)snprintf(b->root, sizeof(b->root), "%s", image_path) >= sizeof(b->root))
		return -1;
	snprintf(b->zst, sizeof(b->zst), "%s/%s.img.zst", box, image);
	snprintf(b->sha, sizeof(b->sha), "%s/%s.img.sha256", box, image);
	dfd = fs_open_beneath(image_path, box, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return -1;
	if (read_build_id(dfd, image, b->build_id, sizeof(b->build_id), &b->bid_st) == 0 &&
	    fs_regular_at(dfd, base_of(b->zst), &b->zst_st) &&
	    fs_regular_at(dfd, base_of(b->sha), &b->sha_st))
		rc = 0;
	close(dfd);
	return rc;
}

int mkbox_image_exists(const char *image_path, const char *box, const char *image)
{
	char name[MKBOX_NAME_MAX + 16];
	int dfd = fs_open_beneath(image_path, box, O_RDONLY | O_DIRECTORY), rc;

	if (dfd < 0)
		return 0;
	snprintf(name, sizeof(name), "%s.img.zst", image);
	rc = fs_regular_at(dfd, name, NULL);
	close(dfd);
	return rc;
}

const char *mkbox_query_image(struct arena *a, const char *image_path,
			      const char *name, const char *board,
			      const char *branch, const char *version)
{
	const char *ver = version && *version ? version : NULL;
	const char *img;

	if (!name || !*name || !board || !*board || !mkbox_name_ok(name) ||
	    !mkbox_name_ok(board) || (ver && !mkbox_name_ok(ver)))
		return NULL;
	if (branch && *branch) {
		if (!mkbox_name_ok(branch))
			return NULL;
		return arena_printf(a, "%s-%s-%s%s%s", name, board, branch,
				    ver ? "-" : "", ver ? ver : "");
	}
	/* no branch: the master image if there is one, else main */
	img = arena_printf(a, "%s-%s-master%s%s", name, board, ver ? "-" : "", ver ? ver : "");
	if (mkbox_image_exists(image_path, name, img))
		return img;
	return arena_printf(a, "%s-%s-main%s%s", name, board, ver ? "-" : "", ver ? ver : "");
}

/* Removes temp files of killed imports ("<name>.tmp.<pid>.<hex>") older
 * than max_age, in each real box directory: a linked box is not ours. */
int mkbox_clean_tmp(const char *image_path, long max_age)
{
	DIR *top = opendir(image_path);
	struct dirent *b;
	int n = 0;

	while (top && (b = readdir(top)))
		if (b->d_name[0] != '.')
			n += fs_clean_tmp(image_path, b->d_name, "", max_age);
	if (top)
		closedir(top);
	return n;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct mkbox_entry *x = a, *y = b;
	int c = strcmp(x->box, y->box);

	return c ? c : strcmp(x->image, y->image);
}

/* Reads the sha256 of the .img.zst (the second line of .img.sha256). */
void mkbox_zst_sum(const char *root, const char *rel, char *out)
{
	char text[512], *nl;
	struct stat st;
	int fd = fs_open_regular_beneath(root, rel, &st);
	ssize_t n;

	out[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	nl = strchr(text, '\n');
	if (nl && strlen(nl + 1) >= 64) {
		memcpy(out, nl + 1, 64);
		out[64] = '\0';
		if (!hash_is_hex(out, 64))
			out[0] = '\0';
	}
}

/* Appends the builds of one real box directory to the catalogue. */
static void catalog_box(struct arena *a, const char *image_path, const char *box,
			const char *search, struct mkbox_entry **v, size_t *n, size_t *cap)
{
	int dfd = fs_open_beneath(image_path, box, O_RDONLY | O_DIRECTORY);
	struct dirent *e;
	DIR *d;

	if (dfd < 0)
		return;		/* a link or a file: not a box */
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct mkbox_build bd;
		struct mkbox_entry *x;
		char *image;

		if (l <= 8 || strcmp(e->d_name + l - 8, ".img.zst") || e->d_name[0] == '.' ||
		    !fs_regular_at(dfd, e->d_name, NULL))
			continue;
		image = arena_strndup(a, e->d_name, l - 8);
		if ((search && *search && !strstr(image, search)) || !mkbox_name_ok(image))
			continue;
		if (*n == *cap) {
			struct mkbox_entry *nv = arena_alloc(a, sizeof(*nv) * (*cap = *cap ? *cap * 2 : 64));
			if (*n)
				memcpy(nv, *v, sizeof(*nv) * *n);
			*v = nv;
		}
		x = &(*v)[(*n)++];
		memset(x, 0, sizeof(*x));
		x->box = arena_strdup(a, box);
		x->image = image;
		if (mkbox_build_find(image_path, box, image, &bd) == 0) {
			x->build_id = arena_strdup(a, bd.build_id);
			x->size = (long long)bd.zst_st.st_size;
			x->mtime = (long long)bd.zst_st.st_mtime;
			mkbox_zst_sum(bd.root, bd.sha, x->sha256);
		}
	}
	closedir(d);
}

int mkbox_catalog(struct arena *a, const char *image_path, const char *search,
		  struct mkbox_entry **out, size_t *count)
{
	DIR *top = opendir(image_path);
	struct dirent *b;
	struct mkbox_entry *v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	*count = 0;
	if (!top)
		return -1;
	while ((b = readdir(top)))
		if (b->d_name[0] != '.' && mkbox_name_ok(b->d_name))
			catalog_box(a, image_path, b->d_name, search, &v, &n, &cap);
	closedir(top);
	if (n)
		qsort(v, n, sizeof(*v), cmp_entry);
	*out = v;
	*count = n;
	return 0;
}

int mkbox_image_delete(const char *var_dir, const char *image_path, const char *box,
		       const char *image, struct nb_err *e)
{
	static const char *const ext[] = { ".img.buildID", ".img.sha256", ".img.zst" };
	char name[MKBOX_NAME_MAX + 16], dir[PATH_MAX];
	int i, gone = 0, dfd, failed = 0;

	if (!mkbox_name_ok(box) || !mkbox_name_ok(image))
		return nb_fail(e, NB_NOT_FOUND, "no such image");
	if ((dfd = fs_open_beneath(image_path, box, O_RDONLY | O_DIRECTORY)) < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV
			       ? nb_fail(e, NB_NOT_FOUND, "no such image")
			       : nb_fail(e, NB_UNAVAILABLE, "cannot open the box %s: %s", box,
					 strerror(errno));
	/* the buildID first: without it the build is no longer served; a link
	 * is left alone (it was never served), and so is its target */
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s%s", image, ext[i]);
		if (!fs_regular_at(dfd, name, NULL))
			continue;
		if (unlinkat(dfd, name, 0) == 0)
			gone++;
		else
			failed = errno;
	}
	fsync(dfd);
	close(dfd);
	/* the front end stops sending the build's answers and the old /list
	 * now, not when the watcher sees the removal */
	if (gone)
		mkbox_static_touch(var_dir, image_path, box, image);
	if (failed)
		return nb_fail(e, NB_UNAVAILABLE, "cannot remove %s/%s: %s", box, image,
			       strerror(failed));
	if (!gone)
		return nb_fail(e, NB_NOT_FOUND, "no such image");
	snprintf(dir, sizeof(dir), "%s/%s", image_path, box);
	rmdir(dir);	/* only succeeds when the box has no builds left; never a link */
	return 0;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int mkbox_build_same(const struct mkbox_build *a, const struct mkbox_build *b)
{
	return !strcmp(a->build_id, b->build_id) && same_file(&a->zst_st, &b->zst_st) &&
	       same_file(&a->sha_st, &b->sha_st) && same_file(&a->bid_st, &b->bid_st);
}
