/* Reading the mkbox image directory. */
#include "mkbox.h"
#include "../lib/fsutil.h"

#include <dirent.h>
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

int mkbox_build_find(const char *image_path, const char *box, const char *image,
		     struct mkbox_build *b)
{
	char idpath[PATH_MAX], text[512];
	ssize_t n;
	int fd;

	if (!mkbox_name_ok(box) || !mkbox_name_ok(image))
		return -1;
	if ((size_t)snprintf(idpath, sizeof(idpath), "%s/%s/%s.img.buildID", image_path,
			     box, image) >= sizeof(idpath))
		return -1;
	snprintf(b->zst, sizeof(b->zst), "%s/%s/%s.img.zst", image_path, box, image);
	snprintf(b->sha, sizeof(b->sha), "%s/%s/%s.img.sha256", image_path, box, image);
	/* plain read(2): this runs on every /update, stdio buffers cost more */
	fd = open(idpath, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || mkbox_build_id_parse(text, (size_t)n, b->build_id, sizeof(b->build_id)) < 0)
		return -1;
	if (stat(b->zst, &b->zst_st) < 0 || !S_ISREG(b->zst_st.st_mode) ||
	    stat(b->sha, &b->sha_st) < 0 || !S_ISREG(b->sha_st.st_mode))
		return -1;
	return 0;
}

static int image_exists(const char *image_path, const char *name, const char *image)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s/%s.img.zst", image_path, name, image);
	return stat(p, &st) == 0;
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
	if (image_exists(image_path, name, img))
		return img;
	return arena_printf(a, "%s-%s-main%s%s", name, board, ver ? "-" : "", ver ? ver : "");
}

/* Removes temp files of killed imports ("<name>.tmp.<pid>.<hex>") older than max_age. */
int mkbox_clean_tmp(const char *image_path, long max_age)
{
	DIR *top = opendir(image_path), *d;
	struct dirent *b, *e;
	time_t now = time(NULL);
	int n = 0;

	while (top && (b = readdir(top))) {
		char dir[PATH_MAX];
		if (b->d_name[0] == '.' ||
		    (size_t)snprintf(dir, sizeof(dir), "%s/%s", image_path, b->d_name) >= sizeof(dir) ||
		    !(d = opendir(dir)))
			continue;
		while ((e = readdir(d))) {
			char p[PATH_MAX];
			struct stat st;
			if (!strstr(e->d_name, ".tmp.") ||
			    (size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p))
				continue;
			if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
			    now - st.st_mtime >= max_age && unlink(p) == 0)
				n++;
		}
		closedir(d);
	}
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
static void zst_sum(const char *path, char *out)
{
	char text[512], *nl;
	FILE *f = fopen(path, "re");
	size_t n;

	out[0] = '\0';
	if (!f)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	nl = strchr(text, '\n');
	if (nl && strlen(nl + 1) >= 64) {
		memcpy(out, nl + 1, 64);
		out[64] = '\0';
		if (!hash_is_hex(out, 64))
			out[0] = '\0';
	}
}

int mkbox_catalog(struct arena *a, const char *image_path, const char *search,
		  struct mkbox_entry **out, size_t *count)
{
	DIR *top = opendir(image_path), *d;
	struct dirent *b, *e;
	struct mkbox_entry *v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	*count = 0;
	if (!top)
		return -1;
	while ((b = readdir(top))) {
		char dir[PATH_MAX];
		if (b->d_name[0] == '.' || !mkbox_name_ok(b->d_name) ||
		    (size_t)snprintf(dir, sizeof(dir), "%s/%s", image_path, b->d_name) >= sizeof(dir) ||
		    !(d = opendir(dir)))
			continue;
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);
			struct mkbox_build bd;
			struct mkbox_entry *x;
			if (l <= 8 || strcmp(e->d_name + l - 8, ".img.zst") || e->d_name[0] == '.')
				continue;
			char *image = arena_strndup(a, e->d_name, l - 8);
			if ((search && *search && !strstr(image, search)) || !mkbox_name_ok(image))
				continue;
			if (n == cap) {
				struct mkbox_entry *nv = arena_alloc(a, sizeof(*nv) * (cap = cap ? cap * 2 : 64));
				if (n)
					memcpy(nv, v, sizeof(*nv) * n);
				v = nv;
			}
			x = &v[n++];
			memset(x, 0, sizeof(*x));
			x->box = arena_strdup(a, b->d_name);
			x->image = image;
			if (mkbox_build_find(image_path, x->box, image, &bd) == 0) {
				x->build_id = arena_strdup(a, bd.build_id);
				x->size = (long long)bd.zst_st.st_size;
				x->mtime = (long long)bd.zst_st.st_mtime;
				zst_sum(bd.sha, x->sha256);
			}
		}
		closedir(d);
	}
	closedir(top);
	if (n)
		qsort(v, n, sizeof(*v), cmp_entry);
	*out = v;
	*count = n;
	return 0;
}

int mkbox_image_delete(const char *image_path, const char *box, const char *image)
{
	static const char *const ext[] = { ".img.buildID", ".img.sha256", ".img.zst" };
	char p[PATH_MAX], dir[PATH_MAX];
	int i, gone = 0;

	if (!mkbox_name_ok(box) || !mkbox_name_ok(image))
		return -1;
	/* the buildID first: without it the build is no longer served */
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s/%s%s", image_path, box, image, ext[i]);
		if (unlink(p) == 0)
			gone++;
	}
	snprintf(dir, sizeof(dir), "%s/%s", image_path, box);
	fs_fsync_dir(dir);
	rmdir(dir);	/* only succeeds when the box has no builds left */
	return gone ? 0 : -1;
}
