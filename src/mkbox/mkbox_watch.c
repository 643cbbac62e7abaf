/*
 * The watcher of the image directory (nestbox-mkbox-watch): the one writer
 * of the static tree (mkbox_static.c).  It follows the image directory
 * and each box directory with inotify; the first event that touches a
 * build's file unpublishes that build (and /list) at once, and once the
 * directory has been quiet for SETTLE_MS (or dirty for SETTLE_MAX_MS) the
 * touched builds are republished from their files, when consistent.
 * So a pipeline's copy, nestboxctl import and the admin upload all reach
 * the tree the same way, and nothing on the request path checks freshness.
 * An overflowed event queue or a replaced image directory starts over
 * from a full scan.
 */
#include "mkbox.h"
#include "../lib/clock.h"
#include "../lib/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* quiet time before republishing: a copy's writes come closer than this */
#define SETTLE_MS 100
/* ... but a steady trickle of events does not hold everything back */
#define SETTLE_MAX_MS 2000

#define BOX_EVENTS (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | \
		    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW)
#define ROOT_EVENTS (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | \
		     IN_DELETE_SELF | IN_MOVE_SELF)

struct box_watch {
	int wd;
	char name[MKBOX_NAME_MAX + 1];
};

struct touched {
	char box[MKBOX_NAME_MAX + 1];
	char image[MKBOX_NAME_MAX + 1];
};

struct watch {
	struct app *app;
	volatile sig_atomic_t *stop;
	const char *root;
	struct mkbox_live live;
	int ifd, root_wd;
	struct box_watch *box;
	size_t nbox, cap;
	struct touched *dirty;
	size_t ndirty, dcap;
	int list_dirty, rescan;
	long long since;	/* ms: when the oldest unsettled event came */
};

/* 1 when fd 0 is a pipe (a front end's): its end is the watcher's end. */
static int stdin_is_pipe(void)
{
	struct stat st;

	return fstat(0, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Waits up to ms (-1: no limit) for fd 0; 1 when its pipe has ended (the
 * front end that started the watcher is gone), else 0.  Nothing is ever
 * written to it: what comes is read and dropped. */
static int stdin_ended(int ms)
{
	struct pollfd p = { 0, POLLIN, 0 };
	char drain[512];

	if (!stdin_is_pipe())
		return poll(NULL, 0, ms), 0;
	return poll(&p, 1, ms) > 0 && read(0, drain, sizeof(drain)) == 0;
}

static void mark(struct watch *w)
{
	if (!w->since)
		w->since = clock_mono_ms();
}

/* The image a build file belongs to ("<image>.img.zst|sha256|buildID"),
 * copied to out; 0, or -1 for any other name (temp files, strays). */
static int image_of(const char *name, char *out, size_t n)
{
	static const char *const ext[] = { ".img.zst", ".img.sha256", ".img.buildID" };
	size_t len = strlen(name), i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i]);
		if (len > e && len - e < n && strcmp(name + len - e, ext[i]) == 0) {
			memcpy(out, name, len - e);
			out[len - e] = '\0';
			return mkbox_name_ok(out) ? 0 : -1;
		}
	}
	return -1;
}

/* Unpublishes the build now and remembers to look at it again. */
static void touch(struct watch *w, const char *box, const char *image)
{
	size_t i;

	mkbox_live_unpublish(&w->live, w->root, box, image);
	mkbox_live_unlist(&w->live);
	w->list_dirty = 1;
	mark(w);
	for (i = 0; i < w->ndirty; i++)
		if (!strcmp(w->dirty[i].box, box) && !strcmp(w->dirty[i].image, image))
			return;
	if (w->ndirty == w->dcap) {
		size_t cap = w->dcap ? 2 * w->dcap : 64;
		struct touched *p = realloc(w->dirty, cap * sizeof(*p));
		if (!p) {
			w->rescan = 1;	/* the full scan needs no list */
			return;
		}
		w->dirty = p, w->dcap = cap;
	}
	snprintf(w->dirty[w->ndirty].box, sizeof(w->dirty[0].box), "%s", box);
	snprintf(w->dirty[w->ndirty].image, sizeof(w->dirty[0].image), "%s", image);
	w->ndirty++;
}

static struct box_watch *box_by_wd(struct watch *w, int wd)
{
	size_t i;

	for (i = 0; i < w->nbox; i++)
		if (w->box[i].wd == wd)
			return &w->box[i];
	return NULL;
}

static struct box_watch *box_by_name(struct watch *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nbox; i++)
		if (!strcmp(w->box[i].name, name))
			return &w->box[i];
	return NULL;
}

/* Forgets a box (its directory went away) and drops its entries. */
static void box_gone(struct watch *w, struct box_watch *b)
{
	mkbox_live_drop_box(&w->live, b->name);
	mkbox_live_unlist(&w->live);
	w->list_dirty = 1;
	mark(w);
	inotify_rm_watch(w->ifd, b->wd);
	*b = w->box[--w->nbox];
}

/* Watches a box directory, then touches every build file in it (watch
 * first: a change during the scan is an event, not lost). */
static void box_add(struct watch *w, const char *name)
{
	char path[PATH_MAX], image[MKBOX_NAME_MAX + 1];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int wd;

	if (!mkbox_name_ok(name) || box_by_name(w, name) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", w->root, name) >= sizeof(path) ||
	    lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))	/* a linked box is not ours */
		return;
	if (w->nbox == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		struct box_watch *p = realloc(w->box, cap * sizeof(*p));
		if (!p)
			return;
		w->box = p, w->cap = cap;
	}
	if ((wd = inotify_add_watch(w->ifd, path, BOX_EVENTS | IN_ONLYDIR)) < 0)
		return;
	w->box[w->nbox].wd = wd;
	snprintf(w->box[w->nbox].name, sizeof(w->box[0].name), "%s", name);
	w->nbox++;
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d)))
		if (image_of(e->d_name, image, sizeof(image)) == 0)
			touch(w, name, image);
	closedir(d);
}

/* Starts over: no entry, no watch, then the whole directory read again. */
static int full_scan(struct watch *w)
{
	struct dirent *e;
	DIR *d;

	while (w->nbox)
		box_gone(w, &w->box[0]);
	w->ndirty = 0;
	w->rescan = 0;
	if ((w->root_wd = inotify_add_watch(w->ifd, w->root, ROOT_EVENTS | IN_ONLYDIR)) < 0) {
		w->rescan = 1;	/* not there (yet): try again at the next settle */
		mark(w);
		return 0;
	}
	if ((d = opendir(w->root))) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				box_add(w, e->d_name);
		closedir(d);
	}
	w->list_dirty = 1;
	mark(w);
	return 0;
}

static void root_event(struct watch *w, const struct inotify_event *ev)
{
	struct box_watch *b;

	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		w->rescan = 1;
		mark(w);
		return;
	}
	if (!ev->len)
		return;
	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		box_add(w, ev->name);
		mkbox_live_unlist(&w->live);
		w->list_dirty = 1;
		mark(w);
	} else if ((ev->mask & (IN_DELETE | IN_MOVED_FROM)) && (b = box_by_name(w, ev->name))) {
		box_gone(w, b);
	}
}

static void one_event(struct watch *w, const struct inotify_event *ev)
{
	char image[MKBOX_NAME_MAX + 1];
	struct box_watch *b;

	if (ev->mask & IN_Q_OVERFLOW) {
		w->rescan = 1;
		mark(w);
		return;
	}
	if (ev->wd == w->root_wd) {
		root_event(w, ev);
		return;
	}
	if (!(b = box_by_wd(w, ev->wd)))
		return;
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
		box_gone(w, b);
		return;
	}
	if (ev->len && image_of(ev->name, image, sizeof(image)) == 0)
		touch(w, b->name, image);
}

/* Reads the queued events; -1 when inotify itself fails. */
static int read_events(struct watch *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(w->ifd, buf, sizeof(buf));
	char *p;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	for (p = buf; p < buf + n;) {
		const struct inotify_event *ev = (const struct inotify_event *)p;
		one_event(w, ev);
		p += sizeof(*ev) + ev->len;
	}
	return 0;
}

/*
 * Writes /list, then republishes what the events touched (/list first: it
 * needs no update tar, and thousands of new builds take a while).  Events
 * are read between builds, so a change during a long settle unpublishes
 * at once and is settled next time.
 */
static void settle(struct watch *w)
{
	struct touched *work;
	size_t i, n;

	if (w->rescan)
		full_scan(w);
	w->since = 0;
	if (w->list_dirty && mkbox_live_list(&w->live, w->root) == 0)
		w->list_dirty = 0;
	work = w->dirty, n = w->ndirty;
	w->dirty = NULL, w->ndirty = w->dcap = 0;
	for (i = 0; i < n && !w->rescan && !*w->stop; i++) {
		read_events(w);
		if (!w->rescan &&
		    mkbox_live_image(&w->live, w->app, w->root, work[i].box, work[i].image) < 0)
			fprintf(stderr, "nestbox[mkbox-watch]: %s/%s not published: %s\n",
				work[i].box, work[i].image, strerror(errno));
	}
	free(work);
	if (w->rescan)
		mark(w);	/* no image directory to watch yet, or overflowed: again */
}


/* The loop: events, settles, until stop or the front end's pipe ends. */
static int loop(struct watch *w, volatile sig_atomic_t *stop)
{
	struct pollfd p[2] = { { w->ifd, POLLIN, 0 }, { 0, POLLIN, 0 } };
	nfds_t np = stdin_is_pipe() ? 2 : 1;
	char drain[512];

	while (!*stop) {
		int timeout = -1, n;
		if (w->since) {
			long long t = clock_mono_ms(), end = w->since + SETTLE_MAX_MS;
			timeout = SETTLE_MS;
			if (t >= end) {
				settle(w);
				continue;
			}
			if (end - t < timeout)
				timeout = (int)(end - t);
		}
		n = poll(p, np, timeout);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n == 0 && w->since)
			settle(w);
		if (n > 0 && (p[1].revents & (POLLIN | POLLHUP)) && read(0, drain, sizeof(drain)) == 0)
			return 0;	/* the front end is gone */
		if (n > 0 && (p[0].revents & POLLIN) && read_events(w) < 0)
			return -1;
	}
	return 0;
}

/*
 * 1 when the image directory is on a filesystem whose changes made by
 * another machine inotify never reports (NFS, SMB, FUSE, 9p, Ceph,
 * GlusterFS...): a tree kept from its events could go stale, so none is
 * kept and every check is the programs' (statfs(2)'s magic numbers).
 */
static int remote_fs(const char *path)
{
	static const unsigned long remote[] = {
		0x6969, 0xFF534D42, 0xFE534D42, 0x517B, 0x65735546, 0x01021997,
		0x00C36400, 0x47504653, 0x6B414653, 0x5346414F,
	};
	struct statfs f;
	size_t i;

	if (statfs(path, &f) < 0)
		return 0;	/* not there yet: watched as local, rescanned */
	for (i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
		if ((unsigned long)f.f_type == remote[i])
			return 1;
	return 0;
}

/* Waits for the end (stop, or the front end's pipe) doing nothing. */
static void idle(volatile sig_atomic_t *stop)
{
	while (!*stop && !stdin_ended(-1))
		;
}

int mkbox_watch_lock(const char *var_dir, volatile sig_atomic_t *stop)
{
	char p[PATH_MAX];
	int fd, said = 0;

	if ((size_t)snprintf(p, sizeof(p), "%s/mkbox-static", var_dir) >= sizeof(p) ||
	    fs_mkdirs(p, 0755) < 0 ||
	    (size_t)snprintf(p, sizeof(p), "%s/mkbox-static/watch.lock", var_dir) >= sizeof(p) ||
	    (fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (!said++)
			fprintf(stderr, "nestbox[mkbox-watch]: another watcher keeps %s/mkbox-static; "
				"waiting for its end\n", var_dir);
		if (*stop || stdin_ended(100)) {
			close(fd);
			return -2;
		}
	}
	return fd;
}

int mkbox_watch_run(struct app *app, const char *image_path, volatile sig_atomic_t *stop,
		    struct nb_err *e)
{
	struct watch w;
	int rc;

	if (remote_fs(image_path)) {
		fprintf(stderr, "nestbox[mkbox-watch]: %s is a network filesystem, whose changes from "
			"other machines inotify does not see: no static tree, the programs answer\n",
			image_path);
		idle(stop);
		return 0;
	}
	memset(&w, 0, sizeof(w));
	w.app = app, w.stop = stop, w.root = image_path;
	if ((w.ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "inotify: %s", strerror(errno));
	if (mkbox_live_open(&w.live, app->set.var_dir) < 0) {
		close(w.ifd);
		return nb_fail(e, NB_UNAVAILABLE, "cannot create %s/mkbox-static: %s",
			       app->set.var_dir, strerror(errno));
	}
	full_scan(&w);
	settle(&w);
	rc = loop(&w, stop);
	mkbox_live_close(&w.live);
	close(w.ifd);
	free(w.box);
	free(w.dirty);
	if (rc < 0)
		return nb_fail(e, NB_UNAVAILABLE, "watching %s: %s", image_path, strerror(errno));
	return 0;
}
