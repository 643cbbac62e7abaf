/* GET /update/:box/:image[/:build] and GET /update?name=&board=...: the
 * update tar of an image build (update.fcgi). */
#include "mkbox.h"
#include "../lib/tar.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tar_headers(struct http_resp *w)
{
	http_set_header(w, "Content-Type", "application/x-tar");
	http_set_header(w, "Content-Disposition", "attachment; filename=\"update.tar\"");
}

/*
 * The common tail of both /update forms.  An unknown image (or an
 * incomplete query) is 400 with an empty body: what the original server
 * answers and box scripts expect, so it is an answer, not an error value.
 * Reaching here for a known build means the front end missed its static
 * tree (the watcher, nestbox-mkbox-watch, had not published the build yet,
 * or is not running): the answer is read from the image directory.
 */
static int answer(struct app *app, struct http_req *r, struct http_resp *w,
		  const char *box, const char *image, const char *have, struct nb_err *e)
{
	struct mkbox *m = app->domain;
	struct mkbox_build b;
	char hex[HASH_HEX_MAX];
	static const char empty[TAR_RECORD];

	if (!box || !image || mkbox_build_find(m->set.image_path, box, image, &b) < 0) {
		w->status = 400;
		return 0;
	}
	tar_headers(w);
	if (have && strcmp(have, b.build_id) == 0) {
		http_fixed(w, 200, empty, sizeof(empty));
		return 0;
	}
	if (mkbox_tar_get(app, box, image, &b, hex, e) < 0)
		return -1;
	/* a tar just composed that cannot be sent is the store's fault, not a 404 */
	if (blob_send(&app->blobs, r, w, hex, "application/x-tar", m->set.xsendfile, 0, "", e) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "update tar not available, try again");
	return 0;
}

int mkbox_update(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	/* /update/:box/:image and /update/:box/:image/:build share this handler */
	return answer(app, r, w, req_str(r, "box"), req_str(r, "image"),
		      req_has(r, "build") ? req_str(r, "build") : NULL, e);
}

int mkbox_update_query(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e)
{
	struct mkbox *m = app->domain;
	const char *name = req_str(r, "name");
	const char *image = mkbox_query_image(r->a, m->set.image_path, name,
					      req_str(r, "board"), req_str(r, "branch"),
					      req_str(r, "version"));

	return answer(app, r, w, name, image, req_str(r, "build_id"), e);
}
