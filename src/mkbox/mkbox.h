/*
 * mkbox.h - the mkbox image-update protocol (/list, /update) and image
 * import.  The image directory written by the mkbox build pipeline is the
 * source of truth and is read as it is on every request, so a new build
 * is served without a restart; the store only caches the composed update
 * tar of each build, keyed on the buildID and the files' sizes and times.
 * Wire facts: shared/protocols/mkbox-update.md.
 *
 * The image directory is a trust boundary: below image_path no symbolic
 * link is followed (fs.h's fs_open_beneath).  A box directory or a
 * build file that is a link is not listed, not served, not written
 * through and not deleted; image_path itself may be a link (the
 * operator's configuration names it).
 */
#ifndef NB_MKBOX_H
#define NB_MKBOX_H

#include <limits.h>
#include <signal.h>
#include <sys/stat.h>

#include "../lib/app.h"

#define MKBOX_NAME_MAX 200
#define MKBOX_BUILD_ID_MAX 128
/* "<box>/<image>.img.sha256" */
#define MKBOX_REL_MAX (2 * MKBOX_NAME_MAX + 16)

struct mkbox_listcache;

/* The mkbox.* settings (and server.xsendfile), read once at start. */
struct mkbox_settings {
	char image_path[PATH_MAX];	/* mkbox.image_path; "": <var_dir>/images */
	int xsendfile;			/* server.xsendfile */
	int zstd_level;			/* mkbox.zstd_level */
	int zstd_threads;		/* mkbox.zstd_threads; 0: one per core */
};

/* Fills s from app->conf and app->set (call at start-up, not per request). */
void mkbox_settings_read(const struct app *app, struct mkbox_settings *s);

/* list.fcgi's and update.fcgi's per-process state (app->domain). */
struct mkbox {
	struct mkbox_settings set;
	struct mkbox_listcache *list;	/* the last /list scan (mkbox_list.c) */
};

void mkbox_listcache_free(struct mkbox_listcache *c);

/* A build as found in the image directory: zst and sha are relative to
 * root ("<box>/<image>.img.zst"), to be opened with fs_open_*_beneath. */
struct mkbox_build {
	char root[PATH_MAX];
	char zst[MKBOX_REL_MAX], sha[MKBOX_REL_MAX];
	char build_id[MKBOX_BUILD_ID_MAX + 1];
	struct stat zst_st, sha_st, bid_st;	/* bid_st: the .img.buildID file */
};

/* 1 when s is a box, board, branch, version or image name: 1..200 of
 * letters, digits and . _ - + ~, not starting with . or - (no path). */
int mkbox_name_ok(const char *s);
/* The same as a declared-input validator (req.h). */
int mkbox_name_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e);
int mkbox_init(struct app *app, struct nb_err *e);
void mkbox_fini(struct app *app);

/* Fills b for <box>/<image>; 0, or -1 when missing, without buildID, or
 * when the box or one of the three files is not itself a directory or a
 * regular file (a link, a FIFO). */
int mkbox_build_find(const char *image_path, const char *box, const char *image,
		     struct mkbox_build *b);
/* 1 when two finds saw the same three files (inode, size, mtime in ns)
 * and buildID: nothing was replaced in between; else 0. */
int mkbox_build_same(const struct mkbox_build *a, const struct mkbox_build *b);
/* The buildID inside a .img.buildID text: up to the first blank. */
int mkbox_build_id_parse(const char *text, size_t len, char *out, size_t n);
/* The image name for the query form; NULL when incomplete or invalid. */
const char *mkbox_query_image(struct arena *a, const char *image_path,
			      const char *name, const char *board,
			      const char *branch, const char *version);

/* Composes the update tar of a build into the blob store. */
int mkbox_tar_compose(const struct blob_store *bs, const char *image,
		      const struct mkbox_build *b, char *hex, unsigned long long *size);
/* The cached tar's blob (hex) for a build, composing it on a miss (or
 * when the cache row cannot be read: it is only a cache).  0, or -1 with e
 * NB_UNAVAILABLE when the tar cannot be composed (the disk, the blob
 * store); a row that cannot be written is said on stderr only. */
int mkbox_tar_get(struct app *app, const char *box, const char *image,
		  const struct mkbox_build *b, char *hex, struct nb_err *e);

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
/* Removes a build's three files, buildID first: regular files only, in a
 * box that is a real directory, and takes the build and /list out of the
 * front end's static tree under var_dir at once (mkbox_static_touch), so
 * no static answer outlives the files.  0, or -1 with e: NB_NOT_FOUND
 * (no such build, or not a regular file), NB_UNAVAILABLE (a file could
 * not be removed: the server's fault, retry). */
int mkbox_image_delete(const char *var_dir, const char *image_path, const char *box,
		       const char *image, struct nb_err *e);
/* 1 when <box>/<image>.img.zst is a regular file in a real box directory
 * (no link followed on the way: fs_open_beneath), else 0. */
int mkbox_image_exists(const char *image_path, const char *box, const char *image);

/* Composes a new build's update tar at import, so the first box to ask
 * gets a lookup too; a failure only defers the work to that request. */
int mkbox_tar_precompute(struct app *app, const char *image_path, const char *box,
			 const char *image);

/*
 * The static tree (mkbox_static.c): <var_dir>/mkbox-static/live, from which
 * the front end answers /update and /list itself (etc/nestbox_static.lua;
 * the layout is described in mkbox_static.c).  Its one writer is the
 * watcher (nestbox-mkbox-watch, mkbox_watch.c), which follows every change
 * of the image directory; the link to the tree goes through the watcher's
 * /proc entry, so it vanishes with the watcher.
 */
/* a directory /list was read under, and its mtime then (list.fcgi's cache) */
struct mkbox_dirstamp {
	char *name;			/* a box directory; "" is image_path */
	struct timespec mtime;
};
struct mkbox_live {
	int fd;				/* the open tree: what the link names */
	char dir[PATH_MAX - 64];	/* <var_dir>/mkbox-static/live.<pid> */
	char link[PATH_MAX];		/* <var_dir>/mkbox-static/live */
};
/* Creates this process's empty tree and points the link at it (removing
 * the trees of watchers that are gone); 0, or -1 (errno). */
int mkbox_live_open(struct mkbox_live *l, const char *var_dir);
/* Removes the link (when still this tree's) and the tree. */
void mkbox_live_close(struct mkbox_live *l);
/* Republishes <box>/<image> from its files now: 1 published, 0 not (no
 * .img.zst, incomplete or inconsistent build: the program answers), -1 on
 * an error (the program answers too). */
int mkbox_live_image(struct mkbox_live *l, struct app *app, const char *image_path,
		     const char *box, const char *image);
/* Removes the build's ID and tar (its checks go to the program), and
 * makes the image's directory in the tree exist as its .img.zst does. */
void mkbox_live_unpublish(const struct mkbox_live *l, const char *image_path, const char *box,
			  const char *image);
/* What an import or upload does once the build's files are in place,
 * ahead of the watcher's event: unpublishes the build and /list in the
 * running watcher's tree (none: nothing); 0 or -1. */
int mkbox_static_touch(const char *var_dir, const char *image_path, const char *box,
		       const char *image);
/* Removes every entry of a box. */
void mkbox_live_drop_box(const struct mkbox_live *l, const char *box);
/* Writes the /list body read now; 0 or -1. */
int mkbox_live_list(struct mkbox_live *l, const char *image_path);
/* Removes the /list body (/list goes to the program). */
void mkbox_live_unlist(const struct mkbox_live *l);
/* 1 when a buildID can name a file of the tree ([A-Za-z0-9._~-],
 * 1..128, first a letter, digit, _ or ~): others are always answered by
 * the program. */
int mkbox_static_id_ok(const char *id);
/* gc: removes the tree layout of earlier versions and the trees of
 * watchers that are gone; 0 or -1. */
int mkbox_static_prune(const char *var_dir, const char *image_path);
/* The whole /list body (what GET /list answers), appended to out; 0 or -1. */
int mkbox_list_body(const char *image_path, struct buf *out);
/* The sha256 of the .img.zst named in <root>/<rel> (an .img.sha256):
 * 64 hex digits in out[65], or "" when it has none. */
void mkbox_zst_sum(const char *root, const char *rel, char *out);
/*
 * Waits until this process is the one watcher of <var_dir>'s static tree:
 * the lock <var_dir>/mkbox-static/watch.lock (flock), held while the
 * returned fd stays open.  A front end may run two at once (Apache starts
 * its piped loggers in each of its two start-up passes and ends the
 * first's soon): without the lock the slower could point the link at its
 * tree after the other did and, ending, remove it, leaving the front end
 * without a tree for its whole run.  Waiting, it says so once on stderr
 * and watches fd 0 and stop.  Returns the fd; -2 when stop was set or
 * fd 0's pipe ended before its turn; -1 (errno) when the lock cannot be
 * made.
 */
int mkbox_watch_lock(const char *var_dir, volatile sig_atomic_t *stop);
/* Follows the image directory until stop is set or fd 0 ends (the front
 * end that started the watcher is gone); 0, or -1 with e. */
int mkbox_watch_run(struct app *app, const char *image_path, volatile sig_atomic_t *stop,
		    struct nb_err *e);

/* The check of the pipeline's image directory (nestboxctl image sync, run
 * by a timer): composes the update tar of every build, so that neither the
 * watcher nor a box waits for it.  Returns the builds composed, or -1. */
int mkbox_tar_sync(struct app *app, const char *image_path);

/*
 * The store (mkbox_store.c, the only file with mkbox_tar's SQL): one row
 * per (box, image), the update tar last composed for it.  Functions
 * return -1 on a store error (db_errmsg() says it).
 */
struct mkbox_tar_row {
	char build_id[MKBOX_BUILD_ID_MAX + 1];	/* "" when the stored one does not fit */
	long long zst_size, zst_mtime_ns;	/* the .img.zst composed from */
	long long sha_size, sha_mtime_ns;	/* the .img.sha256 */
	char blob[65];		/* the tar's sha256 in hex; "" when not 64 digits */
	long long size;		/* the tar's bytes */
	long long created;	/* Unix seconds */
};
struct mkbox_tar_key {
	const char *box, *image, *build_id;
};
/*
 * Each returns -1 with e NB_UNAVAILABLE when the store fails (a statement
 * that cannot be prepared, a step that fails): never "no row".
 * mkbox_store_tar_get: the row of (box, image), 1 with *out filled, 0 when
 * there is none.  _put: inserts or replaces it; 0.  _keys: every row's key
 * (arena a) into *out and *n; 0.  _delete: deletes the row of k when it
 * still holds k's build; 1, 0 when not.  _refs: 1 while a row points at
 * blob hex, 0 when none does.
 */
int mkbox_store_tar_get(struct db *db, const char *box, const char *image,
			struct mkbox_tar_row *out, struct nb_err *e);
int mkbox_store_tar_put(struct db *db, const char *box, const char *image,
			const struct mkbox_tar_row *row, struct nb_err *e);
int mkbox_store_tar_keys(struct db *db, struct arena *a, struct mkbox_tar_key **out,
			 size_t *n, struct nb_err *e);
int mkbox_store_tar_delete(struct db *db, const struct mkbox_tar_key *k, struct nb_err *e);
int mkbox_store_tar_refs(struct db *db, const char *hex, struct nb_err *e);

/* gc: removes temp files of killed imports older than max_age seconds
 * (regular files in real box directories); returns how many. */
int mkbox_clean_tmp(const char *image_path, long max_age);
/* gc: drops cache rows of builds no longer in image_path; how many, or
 * -1 with e NB_UNAVAILABLE (the store failed). */
int mkbox_tar_prune(struct app *app, const char *image_path, struct nb_err *e);
/* gc: 1 while a blob is a cached tar, 0 when it is not; -1 with e
 * NB_UNAVAILABLE when the store cannot say (gc then keeps it). */
int mkbox_tar_refs(struct app *app, const char *hex, struct nb_err *e);

/* Typed handlers (route.h); their input is declared in src/cgi/list.fcgi.c
 * and src/cgi/update.fcgi.c. */
/* GET /list[/<search>]: "search" (any text, optional). */
int mkbox_list(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int mkbox_list_search(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e);
/* GET /update/<box>/<image>[/<build>]: "box", "image" (names), "build"
 * (any text, optional).  NB_UNAVAILABLE when the tar cannot be made. */
int mkbox_update(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* GET /update?name&board[&branch][&version][&build_id]: names, build_id
 * any text; all optional (an incomplete query is an unknown image). */
int mkbox_update_query(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e);

/* Import of a raw image, as the mkbox pipeline writes it.  label names
 * the file in error messages (NULL: file itself), so that a server's
 * temporary path is never shown to a client. */
struct mkbox_import {
	const char *image_path, *file, *label;
	const char *box, *board, *branch, *version;
	int level, threads, progress;
};
/* Imports o->file as <image> (written to image, n bytes).  0, or -1 with
 * e naming files relative to the image directory: NB_INVALID bad names
 * or input file, NB_CONFLICT the image directory has something else (a
 * link, a file, a directory) where the build goes, NB_UNAVAILABLE the
 * store failed (disk full, I/O). */
int mkbox_image_import(const struct mkbox_import *o, char *image, size_t n,
		       struct nb_err *e);

/*
 * The same import fed as the bytes arrive (an upload straight from the
 * request: nothing staged in a file).  begin checks the names (o->file is
 * not read), opens the box directory and the .img.zst's temporary file:
 * the importer, or NULL with e as above.  write compresses and sums n
 * more raw bytes (0, or -1 with e: NB_UNAVAILABLE).  end with ok commits
 * the .img.zst, then the sums and a new buildID (0, or -1 with e); with
 * !ok it removes the temporary and returns -1 (e untouched).  end always
 * frees the importer.
 */
struct mkbox_importer;
struct mkbox_importer *mkbox_import_begin(const struct mkbox_import *o, char *image, size_t n,
					  struct nb_err *e);
int mkbox_import_write(struct mkbox_importer *im, const void *p, size_t n, struct nb_err *e);
int mkbox_import_end(struct mkbox_importer *im, int ok, struct nb_err *e);

#endif
