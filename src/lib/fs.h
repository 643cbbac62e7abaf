/*
 * fs.h - small file-system helpers with the durability rules in one
 * place: a file that others may read is written to a temporary name in the
 * same directory, fsynced, renamed over, and the directory fsynced, so a
 * crash leaves either the old or the new file, never half of one.
 */
#ifndef NB_FS_H
#define NB_FS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "arena.h"

/* Seconds a temporary file is left alone before it counts as abandoned:
 * an upload or import in progress keeps writing, so its mtime is fresh. */
#define FS_TMP_GRACE 3600

/*
 * mkdir(path, mode) made durable: when it made the directory, its parent
 * is fsynced, or a crash could lose the new entry and with it whatever is
 * later committed inside (fs_commit fsyncs only the file's own
 * directory).  1 when it made path, 0 when path existed (EEXIST, whatever
 * it is), -1 with errno; when only the fsync failed the directory is
 * removed again, so that a retry makes and syncs it anew.
 */
int fs_mkdir_synced(const char *path, mode_t mode);
/* Makes path and each missing directory above it, each with
 * fs_mkdir_synced.  0, or -1 with errno (ENOTDIR: a file is in the way). */
int fs_mkdirs(const char *path, mode_t mode);
int fs_fsync_dir(const char *dir);
/* Opens "<path>.tmp.<pid>.<rand>" for writing; tmp receives its name. */
int fs_tmp_open(const char *path, char *tmp, size_t tmplen);
/* fsync(fd), close, rename tmp over path, fsync the directory.  0, or -1
 * with errno after closing fd and removing tmp all the same (the caller
 * owns neither any more). */
int fs_commit(int fd, const char *tmp, const char *path);
int fs_write_atomic(const char *path, const void *p, size_t n);
int fs_write_all(int fd, const void *p, size_t n);
/* Reads a whole small file; NULL if missing, unreadable or over max. */
char *fs_read_small(struct arena *a, const char *path, size_t max, size_t *len);
/* The directory part of path, in the arena. */
char *fs_dirname(struct arena *a, const char *path);
/*
 * The length of the top directory ("name/", slash included) that each of
 * the n paths path(v, 0) .. path(v, n - 1) starts with; 0 when they do not
 * all share one, or n is 0.  An archive of one directory ("pkg-1.0/...")
 * is published without it.
 */
size_t fs_common_top(int n, const char *(*path)(const void *v, int i), const void *v);

/*
 * The directories nestbox owns are a trust boundary: nothing below them is
 * read, listed, written or removed through a symbolic link.  root is opened
 * as configured (a link there is the operator's own choice); every component
 * of rel is opened relative to its parent with O_NOFOLLOW, so a link below
 * root fails (ELOOP or ENOTDIR) instead of leading outside it.  rel is
 * "a/b/c" with no empty, "." or ".." component (else EINVAL); "" is root.
 */

/* fd of root/rel opened with flags (| O_NOFOLLOW | O_CLOEXEC, mode 0644
 * when creating); every component but the last must be a directory.  For
 * rel "" the fd of root itself (O_DIRECTORY).  -1 with errno on failure. */
int fs_open_beneath(const char *root, const char *rel, int flags);
/* Opens a regular file name in dirfd for reading, never through a link
 * and never blocking on a FIFO; st receives its fstat.  -1 with errno
 * (ELOOP for a link, EINVAL for anything that is not a regular file). */
int fs_open_regular_at(int dirfd, const char *name, struct stat *st);
/* As fs_open_regular_at, for root/rel. */
int fs_open_regular_beneath(const char *root, const char *rel, struct stat *st);
/* 1 when name in dirfd is itself a regular file (fstatat without following
 * a link; st may be NULL), else 0. */
int fs_regular_at(int dirfd, const char *name, struct stat *st);
/* fs_tmp_open, fs_commit and fs_write_atomic relative to a directory fd:
 * tmp receives the temporary's name inside dirfd. */
int fs_tmp_openat(int dirfd, const char *name, char *tmp, size_t tmplen);
int fs_commitat(int fd, int dirfd, const char *tmp, const char *name);
/*
 * fs_commitat from one directory into another: fsyncs fd, closes it
 * (always, also when the fsync fails), renames tmp in tmpdir to name in
 * dirfd and fsyncs dirfd.  0, or -1 with errno and tmp removed, name as
 * it was.  The two directories must be on one filesystem.
 */
int fs_commit_into(int fd, int tmpdir, const char *tmp, int dirfd, const char *name);
int fs_write_atomicat(int dirfd, const char *name, const void *p, size_t n);
/*
 * Removes the abandoned temporaries in root/rel: regular files whose name
 * starts with prefix and holds ".tmp." (the fs_tmp_open pattern; prefix
 * NULL: any name but a hidden one, for a directory that holds nothing
 * else), whose mtime is max_age seconds old or more.  Links (the directory or an entry)
 * are never followed and never removed.  Returns how many were removed;
 * 0 when the directory is missing.  Meant for start-up and gc, e.g.
 * fs_clean_tmp(app->set.var_dir, "tmp", "upload.tmp.", FS_TMP_GRACE).
 */
int fs_clean_tmp(const char *root, const char *rel, const char *prefix, long max_age);
/* Replaces path with a symbolic link to target: a temporary link beside
 * it renamed over, so a reader sees the old link or the new one.  0, or
 * -1 with errno (no temporary left). */
int fs_symlink_atomic(const char *target, const char *path);
/*
 * Calls fn(ctx, parent, name) for each entry two levels below root,
 * <root>/<a>/<name>, whatever it is (a file, a link, a directory: not
 * opened), no name starting with '.' at either level and no link of the
 * first level followed; parent is an open descriptor of <a> (to remove
 * name with unlinkat).  Returns the sum of fn's returns; 0 when root
 * cannot be opened (nothing there yet).
 */
int fs_each2(const char *root, int (*fn)(void *ctx, int parent, const char *name),
	     void *ctx);
/*
 * fs_each2 for the directories only, name being only when only is not
 * NULL, not following a link: fn(ctx, parent, name, dir) gets dir, an
 * open O_DIRECTORY descriptor of <root>/<a>/<name> that fn owns (closes,
 * or fdopendir's and closedir's).  Returns the sum of fn's returns.  For
 * the static trees of <kind>/<name>/<version> files.
 */
int fs_each_dir2(const char *root, const char *only,
		 int (*fn)(void *ctx, int parent, const char *name, int dir), void *ctx);

#endif
