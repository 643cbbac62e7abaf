/*
 * fsutil.h - small file-system helpers with the durability rules in one
 * place: a file that others may read is written to a temporary name in the
 * same directory, fsynced, renamed over, and the directory fsynced, so a
 * crash leaves either the old or the new file, never half of one.
 */
#ifndef NB_FSUTIL_H
#define NB_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>
#include "arena.h"

int fs_mkdirs(const char *path, mode_t mode);
int fs_fsync_dir(const char *dir);
/* Opens "<path>.tmp.<pid>.<rand>" for writing; tmp receives its name. */
int fs_tmp_open(const char *path, char *tmp, size_t tmplen);
/* fsync(fd), close, rename tmp over path, fsync the directory. */
int fs_commit(int fd, const char *tmp, const char *path);
int fs_write_atomic(const char *path, const void *p, size_t n);
int fs_write_all(int fd, const void *p, size_t n);
/* Reads a whole small file; NULL if missing, unreadable or over max. */
char *fs_read_small(struct arena *a, const char *path, size_t max, size_t *len);
/* The directory part of path, in the arena. */
char *fs_dirname(struct arena *a, const char *path);

#endif
