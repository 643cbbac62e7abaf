/*
 * What a publisher hands in, read into memory as (path, bytes) pairs: a
 * directory or an archive (tar in any compression, zip: what libarchive
 * reads).  Paths the client would refuse, or the raw route could not
 * serve, fail the publication here, with the path named; hidden files
 * (".gitignore", ".github/") are left out and listed, because the client
 * refuses them in manifest mode, and so are links, fifos and devices, each
 * with its reason.  No message names the source itself: the caller does
 * (an upload is "the upload", never the server's temporary file).
 */
#include "ota.h"
#include "../lib/bytes.h"
#include "../lib/fs.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void ota_files_init(struct ota_files *f, struct arena *a, int max, size_t max_bytes)
{
	memset(f, 0, sizeof(*f));
	f->a = a;
	f->max = max;
	f->max_bytes = max_bytes;
}

/* Why a hidden path is left out (the publisher's message). */
static const char hidden_why[] = "hidden (the updater refuses hidden paths)";

/* Notes path as left out, and why (a phrase: "a symbolic link ..."). */
static void note_skipped(struct ota_files *f, const char *path, const char *why)
{
	const char **v = arena_alloc(f->a, sizeof(*v) * (size_t)(f->nskipped + 1));
	const char **w = arena_alloc(f->a, sizeof(*w) * (size_t)(f->nskipped + 1));

	if (f->nskipped) {
		memcpy(v, f->skipped, sizeof(*v) * (size_t)f->nskipped);
		memcpy(w, f->skip_why, sizeof(*w) * (size_t)f->nskipped);
	}
	v[f->nskipped] = arena_strdup(f->a, path);	/* shown by show_skipped */
	w[f->nskipped++] = why;
	f->skipped = v;
	f->skip_why = w;
}

/*
 * Why an entry that is no regular file and no directory is left out: the
 * client fetches files only, and a link's target or a device's numbers
 * would reach the board as a file's bytes.  Listed rather than refused: a
 * tarball of a working tree often holds a link that the board never needs.
 */
static const char *special_why(mode_t type)
{
	if (S_ISLNK(type))
		return "a symbolic link (the updater fetches files only: archive the file itself)";
	if (S_ISFIFO(type))
		return "a fifo (not a file)";
	if (S_ISSOCK(type))
		return "a socket (not a file)";
	if (S_ISCHR(type) || S_ISBLK(type))
		return "a device node (not a file)";
	return "not a regular file";
}

/* A path for a message: long ones cut (a message holds NB_ERR_MSG_MAX),
 * any bytes shown as text (ota_path_show). */
static const char *shown(struct ota_files *f, const char *path)
{
	return ota_path_show(f->a, path, OTA_SHOWN_MAX);
}

static int grow(struct ota_files *f)
{
	struct ota_file *v;
	int cap = f->cap ? f->cap * 2 : 64;

	v = arena_alloc(f->a, sizeof(*v) * (size_t)cap);
	if (f->n)
		memcpy(v, f->v, sizeof(*v) * (size_t)f->n);
	f->v = v;
	f->cap = cap;
	return 0;
}

int ota_files_add(struct ota_files *f, const char *path, const char *data, size_t len,
		  int exec, struct nb_err *e)
{
	const char *fault = ota_path_fault(path);
	int i;

	if (fault) {
		return nb_fail(e, NB_INVALID, "%s: a path the updater refuses or cannot fetch (%s)",
			       shown(f, path), fault);
	}
	if (ota_path_hidden(path)) {
		note_skipped(f, path, hidden_why);
		return 0;
	}
	if (f->n == f->max || len > f->max_bytes || f->total + len > f->max_bytes) {
		return nb_fail(e, NB_TOO_LARGE, "too large: at most %d files and %zu bytes", f->max,
			       f->max_bytes);
	}
	for (i = 0; i < f->n; i++) {
		size_t l = strlen(f->v[i].path);
		if (!strcmp(f->v[i].path, path) ||
		    (!strncmp(f->v[i].path, path, l) && path[l] == '/') ||
		    (!strncmp(f->v[i].path, path, strlen(path)) && f->v[i].path[strlen(path)] == '/')) {
			return nb_fail(e, NB_INVALID, "%s: given twice, or both a file and a"
				       " directory", shown(f, path));
		}
	}
	if (f->n == f->cap)
		grow(f);
	f->v[f->n].path = arena_strdup(f->a, path);
	f->v[f->n].data = data;
	f->v[f->n].len = len;
	f->v[f->n].exec = exec;
	f->total += len;
	f->n++;
	return 0;
}

static int read_dir_rel(struct ota_files *f, const char *root, const char *rel, int depth,
			struct nb_err *e)
{
	char dir[PATH_MAX];
	struct dirent *ent;
	DIR *d;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
	/* messages name paths inside the source only: the caller names it */
	if (depth > OTA_PATH_SEGS)
		return nb_fail(e, NB_INVALID, "%s: deeper than " OTA_STR(OTA_PATH_SEGS) " names",
			       shown(f, rel));
	if (!(d = opendir(dir)))
		return nb_fail(e, NB_INVALID, "%s%scannot read the directory", shown(f, rel),
			       *rel ? ": " : "");
	while (rc == 0 && (ent = readdir(d))) {
		char p[PATH_MAX], r[PATH_MAX];
		struct stat st;
		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		if ((size_t)snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", ent->d_name) >=
		    sizeof(r) || (size_t)snprintf(p, sizeof(p), "%s/%s", root, r) >= sizeof(p) ||
		    lstat(p, &st) < 0)
			continue;
		if (ent->d_name[0] == '.') {
			/* .git and friends, not a whole walk of them */
			note_skipped(f, r, hidden_why);
		} else if (S_ISDIR(st.st_mode)) {
			rc = read_dir_rel(f, root, r, depth + 1, e);
		} else if (S_ISREG(st.st_mode)) {
			size_t n;
			char *data = fs_read_small(f->a, p, f->max_bytes, &n);
			if (!data) {
				rc = nb_fail(e, NB_INVALID, "%s: unreadable or too large",
					     shown(f, r));
			} else {
				rc = ota_files_add(f, r, data, n, (st.st_mode & 0100) != 0, e);
			}
		} else {
			note_skipped(f, r, special_why(st.st_mode));
		}
	}
	closedir(d);
	return rc;
}

/* The paths left out, as an answer may carry them: shown, never obeyed
 * (any bytes become text, ota_path_show). */
static void show_skipped(struct ota_files *f)
{
	int i;

	for (i = 0; i < f->nskipped; i++)
		f->skipped[i] = ota_path_show(f->a, f->skipped[i], OTA_PATH_MAX);
}

int ota_read_dir(struct ota_files *f, const char *dir, struct nb_err *e)
{
	int rc = read_dir_rel(f, dir, "", 0, e);

	show_skipped(f);
	return rc;
}

/* Entry i of an archive: its files, then what was left out. */
static const char *entry_path(const void *p, int i)
{
	const struct ota_files *f = p;

	return i < f->n ? f->v[i].path : f->skipped[i - f->n];
}

/* Drops one directory every entry shares (tarballs of "app-1.0/"), from
 * the files and from what was left out alike: a path is reported as it is
 * in the release. */
static void strip_top(struct ota_files *f)
{
	size_t l = fs_common_top(f->n + f->nskipped, entry_path, f);
	int i;

	for (i = 0; l && i < f->n; i++)
		f->v[i].path += l;
	for (i = 0; l && i < f->nskipped; i++)
		f->skipped[i] += l;
}

/*
 * 1 when an archive entry is no file to publish: a directory (implied by
 * its files) silently, anything else but a regular file noted in skipped.
 * A hard link is a regular entry naming an earlier one, with no bytes of
 * its own.
 */
static int skip_entry(struct ota_files *f, struct archive_entry *ent, const char *p)
{
	mode_t type = archive_entry_filetype(ent);

	if (type == AE_IFDIR)
		return 1;
	if (archive_entry_hardlink(ent)) {
		note_skipped(f, p ? p : "", "a hard link (the updater fetches files only: archive"
			     " the file itself)");
		return 1;
	}
	if (type != AE_IFREG) {
		note_skipped(f, p ? p : "", special_why(type));
		return 1;
	}
	return 0;
}

static int read_entries(struct ota_files *f, struct archive *ar, struct nb_err *e)
{
	struct archive_entry *ent;
	int any = 0;

	for (;;) {
		int h = archive_read_next_header(ar, &ent);
		const char *p;
		la_int64_t size;
		char *data;
		if (h == ARCHIVE_EOF)
			break;
		if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
			/* a cut archive must not publish its first half */
			return nb_fail(e, NB_INVALID, "%s", any ? "the archive is truncated or corrupt"
							     : "not a readable archive");
		}
		any = 1;
		p = archive_entry_pathname(ent);
		while (p && p[0] == '.' && p[1] == '/')
			p += 2;
		if (skip_entry(f, ent, p))
			continue;
		size = archive_entry_size(ent);
		if (!p || size < 0 || (uint64_t)size > f->max_bytes) {
			return nb_fail(e, NB_INVALID, "an archive entry is too large or has no name");
		}
		data = arena_alloc(f->a, (size_t)size + 1);
		if (archive_read_data(ar, data, (size_t)size) != size) {
			return nb_fail(e, NB_INVALID, "the archive is truncated or corrupt");
		}
		if (ota_files_add(f, p, data, (size_t)size,
				  (archive_entry_perm(ent) & 0100) != 0, e) < 0)
			return -1;
	}
	/* an archive of no entries reads as one: the publisher refuses an
	 * empty release with its own message */
	strip_top(f);
	show_skipped(f);
	return 0;
}

static struct archive *reader(void)
{
	struct archive *ar = archive_read_new();

	/* in-process decompressors only: filter_all would also run external
	 * programs (lrzip, lzop, grzip) on bytes from outside */
	archive_read_support_filter_gzip(ar);
	archive_read_support_filter_bzip2(ar);
	archive_read_support_filter_xz(ar);
	archive_read_support_filter_lzma(ar);
	archive_read_support_filter_zstd(ar);
	archive_read_support_filter_compress(ar);
	archive_read_support_format_tar(ar);
	archive_read_support_format_gnutar(ar);
	archive_read_support_format_zip(ar);
	return ar;
}

int ota_read_archive_mem(struct ota_files *f, const void *p, size_t n, struct nb_err *e)
{
	struct archive *ar = reader();
	int rc;

	if (archive_read_open_memory(ar, p, n) != ARCHIVE_OK) {
		archive_read_free(ar);
		return nb_fail(e, NB_INVALID, "not a readable archive");
	}
	rc = read_entries(f, ar, e);
	archive_read_free(ar);
	return rc;
}

/* The file's name is the caller's to give (a server's temporary file is
 * "the upload" to its client): no message here names it. */
int ota_read_archive(struct ota_files *f, const char *file, struct nb_err *e)
{
	struct archive *ar = reader();
	int rc;

	if (archive_read_open_filename(ar, file, 65536) != ARCHIVE_OK) {
		archive_read_free(ar);
		return nb_fail(e, NB_INVALID, "not a readable archive");
	}
	rc = read_entries(f, ar, e);
	archive_read_free(ar);
	return rc;
}

size_t ota_upload_max(const struct ota_settings *s)
{
	return s->max_bytes + (size_t)(s->max_files + 1) * OTA_ENTRY_OVERHEAD;
}

int ota_upload_add(struct ota_upload *u, const char *p, size_t n, struct nb_err *e)
{
	return bytes_add(&u->p, &u->len, &u->cap, u->max, p, n,
			 "the upload is too large (ota.max_bytes and the archive's headers)", e);
}

void ota_upload_free(struct ota_upload *u)
{
	free(u->p);
	u->p = NULL;
	u->len = u->cap = 0;
}
