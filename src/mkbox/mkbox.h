/*
 * mkbox.h - the mkbox image-update protocol (/list, /update) and image
 * import.  The image directory written by the mkbox build pipeline is the
 * source of truth and is read as it is on every request, so a new build
 * is served without a restart; the store only caches the composed update
 * tar of each build, keyed on the buildID and the files' sizes and times.
 * Wire facts: shared/protocols/mkbox-update.md.
 */
#ifndef NB_MKBOX_H
#define NB_MKBOX_H

#include <limits.h>
#include <sys/stat.h>

#include "../lib/app.h"

#define MKBOX_NAME_MAX 200
#define MKBOX_BUILD_ID_MAX 128

struct mkbox_listcache;

struct mkbox {
	char image_path[PATH_MAX];
	int xsendfile;
	struct mkbox_listcache *list;	/* the last /list scan (mkbox_list.c) */
};

void mkbox_listcache_free(struct mkbox_listcache *c);

/* A build as found in the image directory. */
struct mkbox_build {
	char zst[PATH_MAX], sha[PATH_MAX];
	char build_id[MKBOX_BUILD_ID_MAX + 1];
	struct stat zst_st, sha_st;
};

/* Route validator: a box, board, branch, version or image name. */
int mkbox_name_ok(const char *s);
int mkbox_init(struct app *app, char *err, size_t errlen);
void mkbox_fini(struct app *app);
const char *mkbox_image_path(struct app *app, char *out, size_t n);

/* Fills b for <box>/<image>; 0, or -1 when missing or without buildID. */
int mkbox_build_find(const char *image_path, const char *box, const char *image,
		     struct mkbox_build *b);
/* The buildID inside a .img.buildID text: up to the first blank. */
int mkbox_build_id_parse(const char *text, size_t len, char *out, size_t n);
/* The image name for the query form; NULL when incomplete or invalid. */
const char *mkbox_query_image(struct arena *a, const char *image_path,
			      const char *name, const char *board,
			      const char *branch, const char *version);

/* Composes the update tar of a build into the blob store. */
int mkbox_tar_compose(const struct blob_store *bs, const char *image,
		      const struct mkbox_build *b, char *hex, unsigned long long *size);
/* The cached tar's blob for a build, composing it on a miss. */
int mkbox_tar_get(struct app *app, const char *box, const char *image,
		  const struct mkbox_build *b, char *hex);

/* One build of the catalogue; build_id is NULL when it has no .buildID. */
struct mkbox_entry {
	const char *box, *image, *build_id;
	long long size, mtime;
	char sha256[65];	/* of the .img.zst, from .img.sha256; "" if unknown */
};

/* Every build in the image directory (optionally filtered by a substring
 * of the image name), sorted by box and image. */
int mkbox_catalog(struct arena *a, const char *image_path, const char *search,
		  struct mkbox_entry **out, size_t *count);
/* Removes a build's three files, buildID first; 0, or -1 if none existed. */
int mkbox_image_delete(const char *image_path, const char *box, const char *image);

/* Composes a new build's update tar at import, so the first box to ask
 * gets a lookup too; a failure only defers the work to that request. */
int mkbox_tar_precompute(struct app *app, const char *image_path, const char *box,
			 const char *image);

/* gc: removes temp files of killed imports older than max_age seconds. */
int mkbox_clean_tmp(const char *image_path, long max_age);
/* gc: drops cache rows of builds that are gone; returns how many. */
int mkbox_tar_prune(struct app *app);
/* gc: 1 while a blob is a cached tar. */
int mkbox_tar_refs(struct app *app, const char *hex);

void mkbox_list(struct app *app, struct http_req *r, struct http_resp *w);
void mkbox_update(struct app *app, struct http_req *r, struct http_resp *w);
void mkbox_update_query(struct app *app, struct http_req *r, struct http_resp *w);

/* Import of a raw image, as the mkbox pipeline writes it. */
struct mkbox_import {
	const char *image_path, *file;
	const char *box, *board, *branch, *version;
	int level, threads, progress;
};
int mkbox_import_image(const struct mkbox_import *o, char *image, size_t n,
		       char *err, size_t errlen);

#endif
