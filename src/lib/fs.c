#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int fs_mkdir_synced(const char *path, mode_t mode)
{
	char parent[PATH_MAX];
	size_t n = strlen(path);
	int e;

	if (mkdir(path, mode) < 0)
		return errno == EEXIST ? 0 : -1;
	while (n > 1 && path[n - 1] == '/')	/* "a/b/" is in "a" */
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	/* n: the parent's length; 0 for a name in the working directory */
	snprintf(parent, sizeof(parent), "%.*s", n ? (int)n : 1, n ? path : ".");
	if (fs_fsync_dir(parent) == 0)
		return 1;
	e = errno;
	rmdir(path);
	errno = e;
	return -1;
}

int fs_mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		char c = tmp[i];
		tmp[i] = '\0';
		int made = fs_mkdir_synced(tmp, mode);
		if (made < 0)
			return -1;
		if (made == 0) {
			struct stat st;
			/* an existing file in the way is not a directory we made */
			if (stat(tmp, &st) < 0 || !S_ISDIR(st.st_mode)) {
				errno = ENOTDIR;
				return -1;
			}
		}
		tmp[i] = c;
	}
	return 0;
}

int fs_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* "<path>.tmp.<pid>.<rand>": the pid tells whose it was, the random part
 * keeps two writers of one process apart. */
static int tmp_name(const char *path, char *tmp, size_t tmplen)
{
	unsigned int r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned)getpid() * 2654435761u;
	if ((size_t)snprintf(tmp, tmplen, "%s.tmp.%d.%08x", path, (int)getpid(), r) >= tmplen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Undoes a temporary file after a failed step: closes fd (unless -1) and
 * removes tmp (in dirfd; AT_FDCWD for a path), keeping the failure's
 * errno.  Returns -1. */
static int undo_tmp(int fd, int dirfd, const char *tmp)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = e;
	return -1;
}

int fs_tmp_open(const char *path, char *tmp, size_t tmplen)
{
	if (tmp_name(path, tmp, tmplen) < 0)
		return -1;
	return open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
}

int fs_commit(int fd, const char *tmp, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	/* the descriptor is the caller's no more, whatever fsync says */
	if (fsync(fd) < 0)
		return undo_tmp(fd, AT_FDCWD, tmp);
	if (close(fd) < 0 || rename(tmp, path) < 0)
		return undo_tmp(-1, AT_FDCWD, tmp);
	if (slash) {
		size_t dl = (size_t)(slash - path);
		if (dl == 0)
			dl = 1;
		snprintf(dir, sizeof(dir), "%.*s", (int)dl, path);
	} else {
		strcpy(dir, ".");
	}
	return fs_fsync_dir(dir);
}

int fs_write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

int fs_write_atomic(const char *path, const void *p, size_t n)
{
	char tmp[PATH_MAX];
	int fd = fs_tmp_open(path, tmp, sizeof(tmp));

	if (fd < 0)
		return -1;
	if (fs_write_all(fd, p, n) < 0)
		return undo_tmp(fd, AT_FDCWD, tmp);
	return fs_commit(fd, tmp, path);
}

char *fs_read_small(struct arena *a, const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *p;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return NULL;
	}
	p = arena_alloc(a, (size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	p[got] = '\0';
	if (len)
		*len = got;
	return p;
}

char *fs_dirname(struct arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return arena_strdup(a, ".");
	if (slash == path)
		return arena_strdup(a, "/");
	return arena_strndup(a, path, (size_t)(slash - path));
}

size_t fs_common_top(int n, const char *(*path)(const void *v, int i), const void *v)
{
	const char *first = n > 0 ? path(v, 0) : NULL;
	const char *slash = first ? strchr(first, '/') : NULL;
	size_t l;
	int i;

	if (!slash)
		return 0;
	l = (size_t)(slash - first) + 1;
	for (i = 1; i < n; i++)
		if (strncmp(path(v, i), first, l))
			return 0;
	return l;
}

/* One component of a relative path: not empty, ".", ".." or too long. */
static int component_ok(const char *p, size_t n)
{
	return n > 0 && n <= NAME_MAX && !(n == 1 && p[0] == '.') &&
	       !(n == 2 && p[0] == '.' && p[1] == '.');
}

int fs_open_beneath(const char *root, const char *rel, int flags)
{
	char comp[NAME_MAX + 1];
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	while (fd >= 0 && *rel) {
		const char *slash = strchr(rel, '/');
		size_t n = slash ? (size_t)(slash - rel) : strlen(rel);
		int nfd, e;

		if (!component_ok(rel, n)) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		memcpy(comp, rel, n);
		comp[n] = '\0';
		nfd = openat(fd, comp, (slash ? O_RDONLY | O_DIRECTORY : flags) |
			     O_NOFOLLOW | O_CLOEXEC, 0644);
		e = errno;
		close(fd);
		errno = e;
		fd = nfd;
		rel += n + (slash ? 1 : 0);
	}
	return fd;
}

/* fd when it is open on a regular file (st filled), else -1 with fd
 * closed and errno EINVAL (or open's errno when fd is -1). */
static int regular_or_close(int fd, struct stat *st)
{
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int fs_open_regular_at(int dirfd, const char *name, struct stat *st)
{
	/* O_NONBLOCK: opening a FIFO planted under the name must not hang */
	return regular_or_close(openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
				       O_CLOEXEC), st);
}

int fs_open_regular_beneath(const char *root, const char *rel, struct stat *st)
{
	return regular_or_close(fs_open_beneath(root, rel, O_RDONLY | O_NONBLOCK), st);
}

int fs_regular_at(int dirfd, const char *name, struct stat *st)
{
	struct stat tmp;

	if (!st)
		st = &tmp;
	return fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st->st_mode);
}

int fs_tmp_openat(int dirfd, const char *name, char *tmp, size_t tmplen)
{
	if (tmp_name(name, tmp, tmplen) < 0)
		return -1;
	return openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

int fs_commit_into(int fd, int tmpdir, const char *tmp, int dirfd, const char *name)
{
	if (fsync(fd) < 0)
		return undo_tmp(fd, tmpdir, tmp);
	/* renameat replaces a link under name itself, never its target */
	if (close(fd) < 0 || renameat(tmpdir, tmp, dirfd, name) < 0)
		return undo_tmp(-1, tmpdir, tmp);
	return fsync(dirfd);
}

int fs_commitat(int fd, int dirfd, const char *tmp, const char *name)
{
	return fs_commit_into(fd, dirfd, tmp, dirfd, name);
}

int fs_write_atomicat(int dirfd, const char *name, const void *p, size_t n)
{
	char tmp[NAME_MAX + 1];
	int fd = fs_tmp_openat(dirfd, name, tmp, sizeof(tmp));

	if (fd < 0)
		return -1;
	if (fs_write_all(fd, p, n) < 0)
		return undo_tmp(fd, dirfd, tmp);
	return fs_commitat(fd, dirfd, tmp, name);
}

/* 1 for "<prefix>...<name>.tmp.<pid>.<rand>", the names fs_tmp_open gives;
 * with no prefix, for any name but a hidden one. */
static int is_tmp_name(const char *name, const char *prefix)
{
	if (name[0] == '.')
		return 0;
	return !prefix || (strncmp(name, prefix, strlen(prefix)) == 0 && strstr(name, ".tmp."));
}

int fs_clean_tmp(const char *root, const char *rel, const char *prefix, long max_age)
{
	int fd = fs_open_beneath(root, rel, O_RDONLY | O_DIRECTORY), n = 0;
	time_t now = time(NULL);
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return 0;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		struct stat st;
		if (is_tmp_name(e->d_name, prefix) && fs_regular_at(fd, e->d_name, &st) &&
		    now - st.st_mtime >= max_age && unlinkat(fd, e->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int fs_each2(const char *root, int (*fn)(void *ctx, int parent, const char *name),
	     void *ctx)
{
	DIR *top = opendir(root), *mid;
	struct dirent *a, *b;
	int n = 0, fd;

	if (!top)
		return 0;
	while ((a = readdir(top))) {
		if (a->d_name[0] == '.' ||
		    (fd = openat(dirfd(top), a->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0)
			continue;
		if (!(mid = fdopendir(fd))) {
			close(fd);
			continue;
		}
		while ((b = readdir(mid)))
			if (b->d_name[0] != '.')
				n += fn(ctx, dirfd(mid), b->d_name);
		closedir(mid);
	}
	closedir(top);
	return n;
}

/* fs_each_dir2's walk as fs_each2's step: its arguments, and the step
 * that opens a directory of the name asked for. */
struct each_dir {
	const char *only;
	int (*fn)(void *ctx, int parent, const char *name, int dir);
	void *ctx;
};

static int each_dir_step(void *ctx, int parent, const char *name)
{
	const struct each_dir *d = ctx;
	int fd;

	if ((d->only && strcmp(name, d->only)) ||
	    (fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0)
		return 0;
	return d->fn(d->ctx, parent, name, fd);
}

int fs_each_dir2(const char *root, const char *only,
		 int (*fn)(void *ctx, int parent, const char *name, int dir), void *ctx)
{
	struct each_dir d = { only, fn, ctx };

	return fs_each2(root, each_dir_step, &d);
}

/* Replaces path with a symbolic link to target (a temporary link renamed
 * over, so a reader sees the old link or the new one). */
int fs_symlink_atomic(const char *target, const char *path)
{
	char tmp[PATH_MAX];

	if (tmp_name(path, tmp, sizeof(tmp)) < 0 || symlink(target, tmp) < 0)
		return -1;
	if (rename(tmp, path) < 0)
		return undo_tmp(-1, AT_FDCWD, tmp);
	return 0;
}
