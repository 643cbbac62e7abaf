/*
 * The static tree the front end answers mkbox devices from, so that an
 * update check or /list costs a static file instead of a FastCGI round
 * trip (issue 15).  It is URL-keyed: the front end's mod_rewrite
 * (etc/nestbox-lighttpd.conf, apache-example.conf) maps a request to one
 * or two paths of it and reads nothing of the image directory.
 *
 * One writer keeps it, the watcher (nestbox-mkbox-watch, mkbox_watch.c),
 * which sees every change of the image directory through inotify (a
 * pipeline's copy, nestboxctl import, the admin upload alike), so no
 * request ever has to check freshness.  The tree of one watcher is
 * <var_dir>/mkbox-static/live.<pid>/ and holds:
 *
 *   empty.tar                     the no-update answer: 10240 zero bytes
 *   update/<box>/<image>/         exists while <image>.img.zst does (the
 *                                 query form's "is there a master image")
 *   update/<box>/<image>/id/<buildID>
 *                                 a link to empty.tar: the build's current ID
 *   update/<box>/<image>/update.tar
 *                                 a link to the build's update tar (blob)
 *   query/<box>/<board>/<version> a link to update/<box>/<image>/ of the
 *                                 query form's image without a branch:
 *                                 <box>-<board>-master-<version> if its
 *                                 .img.zst exists, else ...-main-...
 *   list                          the /list body
 *
 * The front end reaches it only through <var_dir>/mkbox-static/live, a
 * link to /proc/<watcher pid>/fd/<fd of live.<pid>>: the kernel removes
 * that path when the watcher dies however it dies, so a tree no process
 * keeps current is never read (every request then goes to the programs).
 * A build is published only when its three files are a consistent set
 * (the .img.sha256's line for the .img.zst is the .img.zst's sha256) and
 * unpublished at the first event that touches one of them; a publication
 * is a rename of a link, so a reader sees the old state or the new one.
 */
#include "mkbox.h"
#include "../lib/fs.h"
#include "../lib/tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define STATIC_DIR "mkbox-static"

int mkbox_static_id_ok(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > MKBOX_BUILD_ID_MAX || id[0] == '.' || id[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '~'))
			return 0;
	}
	return 1;
}

/* A name the front end also accepts in a URL: mkbox_name_ok without '+'
 * (a '+' may mean a space to one front end and not to the other). */
static int url_name_ok(const char *s)
{
	return mkbox_name_ok(s) && !strchr(s, '+');
}

/* Removes path and everything below it (links are removed, never followed). */
static void rm_tree(const char *path)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(path);

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    (size_t)snprintf(p, sizeof(p), "%s/%s", path, e->d_name) < sizeof(p) &&
		    unlink(p) < 0 && (errno == EISDIR || errno == EPERM))
			rm_tree(p);
	closedir(d);
	rmdir(path);
}

/* Removes the trees of watchers that are gone (live.<pid> whose pid does
 * not run, or runs as something else than a process holding it: the link
 * through /proc makes such a tree unreachable anyway). */
static void remove_dead(const char *top, long self)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(top);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid;
		if (strncmp(e->d_name, "live.", 5))
			continue;
		pid = strtol(e->d_name + 5, &end, 10);
		if (*end || pid == self || (pid > 0 && kill((pid_t)pid, 0) == 0))
			continue;
		snprintf(p, sizeof(p), "%s/%s", top, e->d_name);
		rm_tree(p);
	}
	closedir(d);
}

/* The layout of earlier versions (tar/, list.key, list-*.txt, images). */
static void remove_old_layout(const char *top)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(p, sizeof(p), "%s/tar", top);
	rm_tree(p);
	snprintf(p, sizeof(p), "%s/list.key", top);
	unlink(p);
	snprintf(p, sizeof(p), "%s/images", top);
	unlink(p);
	if (!(d = opendir(top)))
		return;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "list-", 5) == 0) {
			snprintf(p, sizeof(p), "%s/%s", top, e->d_name);
			unlink(p);
		}
	closedir(d);
}

int mkbox_static_prune(const char *var_dir, const char *image_path)
{
	char top[PATH_MAX];

	(void)image_path;	/* the live tree is the watcher's alone */
	if ((size_t)snprintf(top, sizeof(top), "%s/" STATIC_DIR, var_dir) >= sizeof(top))
		return -1;
	remove_old_layout(top);
	remove_dead(top, 0);
	return 0;
}

int mkbox_live_open(struct mkbox_live *l, const char *var_dir)
{
	static const char empty[TAR_RECORD];
	char top[PATH_MAX - 128], target[64], p[PATH_MAX];
	int e;

	l->fd = -1;
	if ((size_t)snprintf(top, sizeof(top), "%s/" STATIC_DIR, var_dir) >= sizeof(top) ||
	    fs_mkdirs(top, 0755) < 0)
		return -1;
	remove_old_layout(top);
	remove_dead(top, (long)getpid());
	snprintf(l->dir, sizeof(l->dir), "%s/live.%ld", top, (long)getpid());
	snprintf(l->link, sizeof(l->link), "%s/live", top);
	rm_tree(l->dir);
	if (mkdir(l->dir, 0755) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/empty.tar", l->dir);
	if (fs_write_atomic(p, empty, sizeof(empty)) == 0 &&
	    (l->fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		snprintf(target, sizeof(target), "/proc/%ld/fd/%d", (long)getpid(), l->fd);
		if (fs_symlink_atomic(target, l->link) == 0)
			return 0;
	}
	/* nothing of a tree that failed stays open or on disk */
	e = errno;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	rm_tree(l->dir);
	errno = e;
	return -1;
}

void mkbox_live_close(struct mkbox_live *l)
{
	char target[64], have[64];
	ssize_t n;

	/* the link only if it is still ours (a newer watcher may own it) */
	snprintf(target, sizeof(target), "/proc/%ld/fd/%d", (long)getpid(), l->fd);
	n = readlink(l->link, have, sizeof(have) - 1);
	if (n > 0 && (size_t)n == strlen(target) && memcmp(have, target, (size_t)n) == 0)
		unlink(l->link);
	rm_tree(l->dir);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* path = <tree>/update/<box>[/<image>[/<rest>]]; -1 when it does not fit */
static int entry_path(const struct mkbox_live *l, char *out, size_t n, const char *box,
		      const char *image, const char *rest)
{
	size_t k = (size_t)snprintf(out, n, "%s/update/%s%s%s%s%s", l->dir, box,
				    image ? "/" : "", image ? image : "",
				    rest ? "/" : "", rest ? rest : "");
	return k < n ? 0 : -1;
}

/* Points query/<box>/<board>/<version> at the image the query form without
 * a branch names (shared/protocols/mkbox-update.md: the ...-master-... image
 * if it exists, else ...-main-...), or removes it when neither exists. */
static void query_alias_set(const struct mkbox_live *l, const char *image_path, const char *box,
			    const char *board, const char *ver)
{
	char dir[PATH_MAX], p[PATH_MAX], master[512], main_[512], target[PATH_MAX];
	const char *pick = NULL;

	if (!url_name_ok(board) || !url_name_ok(ver) ||
	    (size_t)snprintf(master, sizeof(master), "%s-%s-master-%s", box, board, ver) >=
	    sizeof(master) ||
	    (size_t)snprintf(main_, sizeof(main_), "%s-%s-main-%s", box, board, ver) >= sizeof(main_) ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/query/%s/%s", l->dir, box, board) >= sizeof(dir) ||
	    (size_t)snprintf(p, sizeof(p), "%s/%s", dir, ver) >= sizeof(p))
		return;
	if (url_name_ok(master) && mkbox_image_exists(image_path, box, master))
		pick = master;
	else if (url_name_ok(master) && url_name_ok(main_) &&
		 mkbox_image_exists(image_path, box, main_))
		pick = main_;
	if (!pick) {
		unlink(p);
		return;
	}
	if ((size_t)snprintf(target, sizeof(target), "../../../update/%s/%s", box, pick) <
	    sizeof(target) && fs_mkdirs(dir, 0755) == 0)
		fs_symlink_atomic(target, p);
}

/* Refreshes every query alias <image> can be the answer of: one per place
 * where "-master-" or "-main-" splits it into <box>-<board>-...-<version>
 * (a board or version may hold such a word itself). */
static void query_alias(const struct mkbox_live *l, const char *image_path, const char *box,
			const char *image)
{
	char board[256];
	size_t nb = strlen(box);
	const char *p = image + nb + 1, *ver;

	if (strncmp(image, box, nb) || image[nb] != '-' || !image[nb + 1])
		return;
	while ((p = strchr(p + 1, '-'))) {
		if (!strncmp(p, "-master-", 8))
			ver = p + 8;
		else if (!strncmp(p, "-main-", 6))
			ver = p + 6;
		else
			continue;
		if ((size_t)(p - (image + nb + 1)) >= sizeof(board))
			return;
		memcpy(board, image + nb + 1, (size_t)(p - (image + nb + 1)));
		board[p - (image + nb + 1)] = '\0';
		query_alias_set(l, image_path, box, board, ver);
	}
}

void mkbox_live_unpublish(const struct mkbox_live *l, const char *image_path, const char *box,
			  const char *image)
{
	char p[PATH_MAX];

	if (!url_name_ok(box) || !url_name_ok(image))
		return;
	/* the tar first: with the ID gone too, every check is the program's */
	if (entry_path(l, p, sizeof(p), box, image, "update.tar") == 0)
		unlink(p);
	if (entry_path(l, p, sizeof(p), box, image, "id") == 0)
		rm_tree(p);
	/* the image's directory follows its .img.zst at once: the query
	 * form's choice of master or main reads it */
	if (entry_path(l, p, sizeof(p), box, image, NULL) < 0)
		return;
	if (!mkbox_image_exists(image_path, box, image))
		rmdir(p);
	else
		fs_mkdirs(p, 0755);
	query_alias(l, image_path, box, image);
}

int mkbox_static_touch(const char *var_dir, const char *image_path, const char *box,
		       const char *image)
{
	struct mkbox_live l;
	char p[PATH_MAX];

	(void)image_path;
	if ((size_t)snprintf(l.dir, sizeof(l.dir), "%s/" STATIC_DIR "/live", var_dir) >=
	    sizeof(l.dir) || !url_name_ok(box) || !url_name_ok(image))
		return -1;
	/* removals only, through the link (no watcher: no tree, nothing to
	 * do): what this process created there, its user would own, and the
	 * watcher might not be able to change */
	if (entry_path(&l, p, sizeof(p), box, image, "update.tar") == 0)
		unlink(p);
	if (entry_path(&l, p, sizeof(p), box, image, "id") == 0)
		rm_tree(p);
	snprintf(p, sizeof(p), "%s/list", l.dir);
	unlink(p);
	return 0;
}

void mkbox_live_drop_box(const struct mkbox_live *l, const char *box)
{
	char p[PATH_MAX];

	if (entry_path(l, p, sizeof(p), box, NULL, NULL) == 0)
		rm_tree(p);
	if ((size_t)snprintf(p, sizeof(p), "%s/query/%s", l->dir, box) < sizeof(p))
		rm_tree(p);
}

/* 1 when the build's .img.sha256 names the .img.zst's sha256: the three
 * files belong together (a half-copied .img.zst does not match). */
static int consistent(const char *image_path, const struct mkbox_build *b)
{
	char want[65], have[HASH_HEX_MAX], p[PATH_MAX];
	uint64_t size = 0;

	mkbox_zst_sum(b->root, b->sha, want);
	if (!want[0] || (size_t)snprintf(p, sizeof(p), "%s/%s", image_path, b->zst) >= sizeof(p) ||
	    hash_file_hex(HASH_SHA256, p, have, &size) < 0)
		return 0;
	return strcmp(want, have) == 0 && size == (uint64_t)b->zst_st.st_size;
}

/* Links the ID and then the tar of a consistent build; 0 or -1. */
static int publish(struct mkbox_live *l, struct app *app, const char *box, const char *image,
		   const struct mkbox_build *b)
{
	char p[PATH_MAX], hex[HASH_HEX_MAX], blob[PATH_MAX];
	struct mkbox_build again;

	if (mkbox_tar_get(app, box, image, b, hex, NULL) < 0 ||
	    blob_path(&app->blobs, hex, blob, sizeof(blob)) < 0 || blob[0] != '/')
		return -1;	/* S3, or a relative var_dir: the program answers */
	/* composed from what was checked: the files did not change since */
	if (mkbox_build_find(b->root, box, image, &again) < 0 || !mkbox_build_same(b, &again))
		return -1;
	if (entry_path(l, p, sizeof(p), box, image, "id") < 0 || fs_mkdirs(p, 0755) < 0 ||
	    entry_path(l, p, sizeof(p), box, image, "id/") < 0 ||
	    strlen(p) + strlen(b->build_id) >= sizeof(p))
		return -1;
	strcat(p, b->build_id);
	/* the ID before the tar: an update tar is never the answer to it */
	if (fs_symlink_atomic("../../../../empty.tar", p) < 0 ||
	    entry_path(l, p, sizeof(p), box, image, "update.tar") < 0)
		return -1;
	return fs_symlink_atomic(blob, p);
}

int mkbox_live_image(struct mkbox_live *l, struct app *app, const char *image_path,
		     const char *box, const char *image)
{
	struct mkbox_build b;

	if (!url_name_ok(box) || !url_name_ok(image))
		return -1;
	mkbox_live_unpublish(l, image_path, box, image);
	if (!mkbox_image_exists(image_path, box, image) || mkbox_build_find(image_path, box, image, &b) < 0 ||
	    !mkbox_static_id_ok(b.build_id) || !consistent(image_path, &b))
		return 0;	/* gone or incomplete: the program answers (400 or its tar) */
	return publish(l, app, box, image, &b) < 0 ? -1 : 1;
}

int mkbox_live_list(struct mkbox_live *l, const char *image_path)
{
	char p[PATH_MAX];
	struct arena a;
	struct buf body;
	int rc = -1;

	arena_init(&a);
	buf_init(&body, &a);
	if (mkbox_list_body(image_path, &body) == 0 &&
	    (size_t)snprintf(p, sizeof(p), "%s/list", l->dir) < sizeof(p))
		rc = fs_write_atomic(p, body.p, body.len);
	arena_free(&a);
	return rc;
}

void mkbox_live_unlist(const struct mkbox_live *l)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/list", l->dir);
	unlink(p);
}
