/* The /list and /update handlers. */
#include "mkbox.h"
#include "../lib/tar.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mkbox_init(struct app *app, char *err, size_t errlen)
{
	struct mkbox *m = calloc(1, sizeof(*m));

	(void)err;
	(void)errlen;
	if (!m)
		return -1;
	mkbox_image_path(app, m->image_path, sizeof(m->image_path));
	m->xsendfile = conf_bool(app->conf, "server.xsendfile");
	app->domain = m;
	return 0;
}

void mkbox_fini(struct app *app)
{
	struct mkbox *m = app->domain;

	if (m)
		mkbox_listcache_free(m->list);
	free(app->domain);
	app->domain = NULL;
}

const char *mkbox_image_path(struct app *app, char *out, size_t n)
{
	return app_path(app, "mkbox.image_path", "images", out, n);
}

static void tar_headers(struct http_resp *w)
{
	http_set_header(w, "Content-Type", "application/x-tar");
	http_set_header(w, "Content-Disposition", "attachment; filename=\"update.tar\"");
}

/* The common tail of both /update forms. */
static void answer(struct app *app, struct http_req *r, struct http_resp *w,
		   const char *box, const char *image, const char *have)
{
	struct mkbox *m = app->domain;
	struct mkbox_build b;
	char hex[HASH_HEX_MAX], path[PATH_MAX];
	static const char empty[TAR_RECORD];

	if (!image || mkbox_build_find(m->image_path, box, image, &b) < 0) {
		w->status = 400;	/* the original answers unknown images so */
		return;
	}
	tar_headers(w);
	if (have && strcmp(have, b.build_id) == 0) {
		http_fixed(w, 200, empty, sizeof(empty));
		return;
	}
	if (mkbox_tar_get(app, box, image, &b, hex) < 0 ||
	    blob_path(&app->blobs, hex, path, sizeof(path)) < 0 ||
	    http_file(r, w, path, "application/x-tar", m->xsendfile) != 0) {
		app_error(app, w, 503, "update tar not available, try again");
		return;
	}
}

void mkbox_update(struct app *app, struct http_req *r, struct http_resp *w)
{
	answer(app, r, w, http_param(r, "box"), http_param(r, "image"),
	       http_param(r, "build"));
}

void mkbox_update_query(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct mkbox *m = app->domain;
	const struct query *q = &r->query;
	const char *name = query_get(q, "name");
	const char *image = mkbox_query_image(r->a, m->image_path, name,
					      query_get(q, "board"), query_get(q, "branch"),
					      query_get(q, "version"));
	const char *have = query_get(q, "build_id");

	answer(app, r, w, name ? name : "", image, have && *have ? have : NULL);
}
