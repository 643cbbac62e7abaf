/*
 * GET /list: the catalogue as "<box>/<image>" lines.  The scan of the
 * image directory is kept per process and reused while neither the
 * directory nor any box directory has changed (their mtimes), so a
 * request costs one stat per box instead of a directory walk; a build
 * the pipeline adds or removes changes its box directory and is seen at
 * once.  Only real box directories and regular .img.zst files are
 * listed: a symbolic link below the image directory is never followed.
 */
#include "mkbox.h"
#include "../lib/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mkbox_listcache {
	int valid;
	struct timespec top;
	size_t nbox, nline;
	struct mkbox_dirstamp *box;
	struct lc_line {
		char *text;		/* "<box>/<image>" */
		size_t image;		/* offset of the image name */
	} *line;
};

static int same(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

void mkbox_listcache_free(struct mkbox_listcache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nbox; i++)
		free(c->box[i].name);
	for (i = 0; i < c->nline; i++)
		free(c->line[i].text);
	free(c->box);
	free(c->line);
	free(c);
}

static int still_valid(const struct mkbox_listcache *c, const char *root)
{
	char p[PATH_MAX];
	struct stat st;
	size_t i;

	if (!c->valid || stat(root, &st) < 0 || !same(&st.st_mtim, &c->top))
		return 0;
	for (i = 0; i < c->nbox; i++) {
		/* lstat: a box replaced by a link changes what is listed */
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", root, c->box[i].name) >= sizeof(p) ||
		    lstat(p, &st) < 0 || !S_ISDIR(st.st_mode) || !same(&st.st_mtim, &c->box[i].mtime))
			return 0;
	}
	return 1;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct lc_line *)a)->text, ((const struct lc_line *)b)->text);
}

static void add_line(struct mkbox_listcache *c, size_t *cap, const char *box,
		     const char *file, size_t flen)
{
	struct lc_line *l;

	if (c->nline == *cap) {
		struct lc_line *nv = realloc(c->line, sizeof(*nv) * (*cap = *cap ? *cap * 2 : 64));
		if (!nv)
			return;
		c->line = nv;
	}
	l = &c->line[c->nline];
	if (asprintf(&l->text, "%s/%.*s", box, (int)(flen - 8), file) < 0)
		return;
	l->image = strlen(box) + 1;
	c->nline++;
}

/* Reads one box directory into the cache: a real directory, opened
 * without following a link, and only its regular .img.zst files. */
static void scan_box(struct mkbox_listcache *c, size_t *cap, const char *root, const char *box)
{
	struct stat st;
	struct dirent *e;
	struct mkbox_dirstamp *nb;
	int dfd = fs_open_beneath(root, box, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (dfd < 0)
		return;
	if (fstat(dfd, &st) < 0 || !(d = fdopendir(dfd))) {
		close(dfd);
		return;
	}
	nb = realloc(c->box, sizeof(*nb) * (c->nbox + 1));
	if (!nb) {
		closedir(d);
		return;
	}
	c->box = nb;
	nb[c->nbox].name = strdup(box);
	nb[c->nbox].mtime = st.st_mtim;
	c->nbox++;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 8 && e->d_name[0] != '.' && !strcmp(e->d_name + l - 8, ".img.zst") &&
		    fs_regular_at(dfd, e->d_name, NULL))
			add_line(c, cap, box, e->d_name, l);
	}
	closedir(d);
}

static struct mkbox_listcache *rebuild(const char *root)
{
	struct mkbox_listcache *c = calloc(1, sizeof(*c));
	struct stat st;
	struct dirent *e;
	size_t cap = 0;
	DIR *d;

	if (!c)
		return NULL;
	if (stat(root, &st) < 0 || !(d = opendir(root)))
		return c;	/* no directory: an empty list, not cached */
	c->top = st.st_mtim;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			scan_box(c, &cap, root, e->d_name);
	closedir(d);
	if (c->nline)
		qsort(c->line, c->nline, sizeof(*c->line), cmp_line);
	c->valid = 1;
	return c;
}

/* The lines whose image name holds search (NULL: all) into body. */
static void list_body(const struct mkbox_listcache *c, struct buf *body, const char *search)
{
	size_t i, shown = 0;

	for (i = 0; c && i < c->nline; i++) {
		const struct lc_line *l = &c->line[i];
		/* a plain substring of the image name, never a pattern */
		if (search && *search && !strstr(l->text + l->image, search))
			continue;
		buf_adds(body, l->text);
		buf_addc(body, '\n');
		shown++;
	}
	if (shown == 0)
		buf_addc(body, '\n');
}

int mkbox_list_body(const char *image_path, struct buf *out)
{
	struct mkbox_listcache *c = rebuild(image_path);
	int rc = -1;

	if (c && c->valid) {
		list_body(c, out, NULL);
		rc = 0;
	}
	mkbox_listcache_free(c);
	return rc;
}

/* The catalogue, or the lines whose image name holds search (NULL: all). */
static int list_answer(struct app *app, struct http_resp *w, const char *search)
{
	struct mkbox *m = app->domain;

	if (!m->list || !still_valid(m->list, m->set.image_path)) {
		mkbox_listcache_free(m->list);
		m->list = rebuild(m->set.image_path);
	}
	w->status = 200;
	http_set_header(w, "Content-Type", "text/plain; charset=utf-8");
	list_body(m->list, &w->body, search);
	return 0;	/* a missing directory is an empty list, not an error */
}

int mkbox_list(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	(void)r, (void)e;
	return list_answer(app, w, NULL);
}

int mkbox_list_search(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e)
{
	(void)e;
	return list_answer(app, w, req_str(r, "search"));
}
