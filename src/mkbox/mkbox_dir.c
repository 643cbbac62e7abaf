/* Reading the mkbox image directory. */
#include "mkbox.h"
#include "../lib/fsutil.h"

#include <dirent.h>
#include <stdio.h>
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
	FILE *f;
	size_t n;

	if (!mkbox_name_ok(box) || !mkbox_name_ok(image))
		return -1;
	if ((size_t)snprintf(idpath, sizeof(idpath), "%s/%s/%s.img.buildID", image_path,
			     box, image) >= sizeof(idpath))
		return -1;
	snprintf(b->zst, sizeof(b->zst), "%s/%s/%s.img.zst", image_path, box, image);
	snprintf(b->sha, sizeof(b->sha), "%s/%s/%s.img.sha256", image_path, box, image);
	f = fopen(idpath, "re");
	if (!f)
		return -1;
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (mkbox_build_id_parse(text, n, b->build_id, sizeof(b->build_id)) < 0)
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
