/*
 * Composing and caching the update tar of a build.  The tar is written
 * once into the blob store, so every later /update for the build is a
 * row lookup plus X-Sendfile.
 */
#include "mkbox.h"
#include "../lib/fs.h"
#include "../lib/tar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Copies exactly size bytes of fd into the blob, then the tar padding. */
static int copy_member(struct blob_writer *w, int fd, const char *name,
		       const struct stat *st)
{
	char hdr[TAR_HEADER_MAX], buf[65536];
	static const char zeros[TAR_BLOCK];
	size_t hl = tar_header(hdr, name, (uint64_t)st->st_size,
			       (uint64_t)st->st_mtime, 0644);
	off_t left = st->st_size;

	if (hl == 0 || blob_writer_write(w, hdr, hl) < 0)
		return -1;
	while (left > 0) {
		ssize_t n = read(fd, buf, left > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;	/* truncated under us: do not cache a short tar */
		if (blob_writer_write(w, buf, (size_t)n) < 0)
			return -1;
		left -= n;
	}
	return blob_writer_write(w, zeros, tar_member_pad((uint64_t)st->st_size));
}

int mkbox_tar_compose(const struct blob_store *bs, const char *image,
		      const struct mkbox_build *b, char *hex, unsigned long long *size)
{
	struct blob_writer w;
	char name[PATH_MAX], zeros[TAR_RECORD] = { 0 };
	struct stat zst, sha;
	/* opened again, as at find: never through a link placed since */
	int zfd = fs_open_regular_beneath(b->root, b->zst, &zst);
	int sfd = fs_open_regular_beneath(b->root, b->sha, &sha);
	int rc = -1;
	uint64_t end;

	/* the files found are the files read, or the cache key would lie */
	if (zfd < 0 || sfd < 0 || zst.st_ino != b->zst_st.st_ino ||
	    sha.st_ino != b->sha_st.st_ino || blob_writer_open(bs, &w) < 0)
		goto out;
	snprintf(name, sizeof(name), "%s.img.zst", image);
	if (copy_member(&w, zfd, name, &b->zst_st) < 0)
		goto fail;
	snprintf(name, sizeof(name), "%s.img.sha256", image);
	if (copy_member(&w, sfd, name, &b->sha_st) < 0)
		goto fail;
	end = tar_end_pad(w.size);
	while (end > 0) {
		size_t c = end > sizeof(zeros) ? sizeof(zeros) : (size_t)end;
		if (blob_writer_write(&w, zeros, c) < 0)
			goto fail;
		end -= c;
	}
	*size = w.size;
	rc = blob_writer_commit(&w, NULL, hex);
	goto out;
fail:
	blob_writer_abort(&w);
out:
	if (zfd >= 0)
		close(zfd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}

/* nanoseconds: two builds written within one second still differ */
static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* 1 when the cached row describes exactly this build (hex its blob). */
static int cached(struct app *app, const char *box, const char *image,
		  const struct mkbox_build *b, char *hex)
{
	struct mkbox_tar_row row;

	if (mkbox_store_tar_get(app->db, box, image, &row, NULL) != 1)
		return 0;
	if (strcmp(row.build_id, b->build_id) || !row.blob[0] ||
	    row.zst_size != (long long)b->zst_st.st_size ||
	    row.zst_mtime_ns != mtime_ns(&b->zst_st) ||
	    row.sha_size != (long long)b->sha_st.st_size ||
	    row.sha_mtime_ns != mtime_ns(&b->sha_st))
		return 0;
	memcpy(hex, row.blob, 65);
	return 1;
}

static int remember(struct app *app, const char *box, const char *image,
		    const struct mkbox_build *b, const char *hex, unsigned long long size)
{
	struct mkbox_tar_row row = {
		.zst_size = (long long)b->zst_st.st_size, .zst_mtime_ns = mtime_ns(&b->zst_st),
		.sha_size = (long long)b->sha_st.st_size, .sha_mtime_ns = mtime_ns(&b->sha_st),
		.size = (long long)size, .created = (long long)time(NULL),
	};

	snprintf(row.build_id, sizeof(row.build_id), "%s", b->build_id);
	snprintf(row.blob, sizeof(row.blob), "%s", hex);
	return mkbox_store_tar_put(app->db, box, image, &row, NULL);
}

int mkbox_tar_get(struct app *app, const char *box, const char *image,
		  const struct mkbox_build *b, char *hex, struct nb_err *e)
{
	unsigned long long size = 0;
	struct mkbox_build again;

	if (cached(app, box, image, b, hex) && blob_exists(&app->blobs, hex))
		return 0;
	if (mkbox_tar_compose(&app->blobs, image, b, hex, &size) < 0) {
		fprintf(stderr, "nestbox[%s]: cannot compose update tar for %s/%s: %s\n",
			app->program, box, image, strerror(errno));
		return nb_fail(e, NB_UNAVAILABLE, "update tar not available, try again");
	}
	/* the blob is durable before the row that points at it; a build
	 * replaced while it was composed (an import renames its files one by
	 * one, the watcher may compose meanwhile) is not remembered: its row
	 * would name a build no longer there, over the import's newer row */
	if (mkbox_build_find(b->root, box, image, &again) < 0 || !mkbox_build_same(b, &again))
		return 0;
	if (remember(app, box, image, b, hex, size) < 0)
		fprintf(stderr, "nestbox[%s]: update tar for %s/%s not cached: %s\n",
			app->program, box, image, db_errmsg(app->db));
	return 0;
}

int mkbox_tar_prune(struct app *app, const char *images, struct nb_err *e)
{
	struct arena a;
	struct mkbox_tar_key *v;
	size_t n, i;
	int removed = 0, rc = 0;

	arena_init(&a);
	if (mkbox_store_tar_keys(app->db, &a, &v, &n, e) < 0) {
		arena_free(&a);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct mkbox_build b;
		if (mkbox_build_find(images, v[i].box, v[i].image, &b) == 0 &&
		    !strcmp(b.build_id, v[i].build_id))
			continue;
		if ((rc = mkbox_store_tar_delete(app->db, &v[i], e)) < 0)
			break;
		removed += rc;
	}
	arena_free(&a);
	return rc < 0 ? -1 : removed;
}

int mkbox_tar_refs(struct app *app, const char *hex, struct nb_err *e)
{
	return mkbox_store_tar_refs(app->db, hex, e);
}

int mkbox_tar_precompute(struct app *app, const char *image_path, const char *box,
			 const char *image)
{
	struct mkbox_build b;
	char hex[HASH_HEX_MAX];

	/* no older answer from the tree once the import returns; the watcher
	 * then finds the tar made: the build is published sooner */
	mkbox_static_touch(app->set.var_dir, image_path, box, image);
	if (mkbox_build_find(image_path, box, image, &b) < 0 ||
	    mkbox_tar_get(app, box, image, &b, hex, NULL) < 0)
		return -1;
	return 0;
}

int mkbox_tar_sync(struct app *app, const char *image_path)
{
	struct arena a;
	struct mkbox_entry *v;
	size_t n, i;
	int done = 0;

	arena_init(&a);
	if (mkbox_catalog(&a, image_path, NULL, &v, &n) < 0) {
		arena_free(&a);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct mkbox_build b;
		char hex[HASH_HEX_MAX];

		if (v[i].build_id && mkbox_build_find(image_path, v[i].box, v[i].image, &b) == 0 &&
		    mkbox_tar_get(app, v[i].box, v[i].image, &b, hex, NULL) == 0)
			done++;
	}
	arena_free(&a);
	return done;
}
