/*
 * The mip tables and the files in the blob store.  Errors (mip.h): a
 * statement that cannot be prepared or a step that fails is -1 with e
 * NB_UNAVAILABLE, never "not there"; found or not is a 1/0 answer.
 */
#include "mip.h"
#include "../lib/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The store failed (a statement that cannot be prepared, a step that
 * failed): -1 with e NB_UNAVAILABLE, never "not there". */
static int busy(struct nb_err *e)
{
	return nb_fail(e, NB_UNAVAILABLE, "the store is busy, try again");
}

/* A yes/no question's step: 1 for a row, 0 for none, else busy(e). */
static int yes_no(struct db_stmt *st, struct nb_err *e)
{
	int rc = db_step(st);

	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : busy(e);
}

static int done(struct db_stmt *st)
{
	int rc = db_step(st);

	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* The ncol columns of sql's one row into v[]: 0, or -1 with e (a count
 * the store could not read is no 0). */
static int mip_scalars(struct app *app, const char *sql, long long *v, int ncol,
		       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql);
	int rc, i;

	for (i = 0; i < ncol; i++)
		v[i] = 0;
	if (!st)
		return busy(e);
	if ((rc = db_step(st)) == DB_ROW)
		for (i = 0; i < ncol; i++)
			v[i] = db_column_int64(st, i);
	db_reset(st);
	return rc == DB_ROW ? 0 : busy(e);
}

/*
 * The front end serves cached files itself: <var>/mip-static/mip/file/
 * <hh>/<8 digits> is a link to the blob, made only while that prefix names
 * one file (a second file with the prefix removes it, and the program then
 * answers, with a 409).  A missing or dangling link falls back to the
 * program (etc/nestbox-lighttpd.conf).  The directories below <var> are
 * opened one by one without following a link (fs.h): a link planted in
 * place of mip-static or a fan-out directory is never written through.
 * On a store other hosts share there are no links: a second file stored
 * through another host could not remove this host's.
 */
#define STATIC_DIR "mip-static/mip/file"

/* fd of <var>/mip-static/mip/file/<hh> (hex's first two digits), made
 * first when create; -1 with errno (ELOOP or ENOTDIR for a planted link). */
static int static_dir(struct app *app, const char *hex, int create)
{
	static const char *const comp[] = { "mip-static", "mip", "file" };
	char hh[3];
	int fd, next;
	size_t i;

	if (strlen(hex) < 8) {
		errno = EINVAL;
		return -1;
	}
	memcpy(hh, hex, 2);
	hh[2] = '\0';
	if (!create) {
		char rel[sizeof(STATIC_DIR) + 3];
		snprintf(rel, sizeof(rel), STATIC_DIR "/%s", hh);
		return fs_open_beneath(app->set.var_dir, rel, O_RDONLY | O_DIRECTORY);
	}
	if ((fd = fs_open_beneath(app->set.var_dir, "", O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	for (i = 0; i < 4; i++) {
		const char *c = i < 3 ? comp[i] : hh;
		next = mkdirat(fd, c, 0755) < 0 && errno != EEXIST ? -1 :
		       openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if ((fd = next) < 0)
			return -1;
	}
	return fd;
}

/* Removes the static link of hex, never through a link above it. */
static void static_unlink(struct app *app, const char *hex)
{
	char name[9];
	int dfd = static_dir(app, hex, 0);

	if (dfd < 0)
		return;
	memcpy(name, hex, 8);
	name[8] = '\0';
	unlinkat(dfd, name, 0);
	close(dfd);
}

static void static_link(struct app *app, const char *hex)
{
	char blob[PATH_MAX], tmp[32], name[9], other[HASH_HEX_MAX];
	int dfd;

	/* on a shared store another host's file can make the prefix ambiguous
	 * behind this host's back: no links (mip_store_shared) */
	if (strlen(hex) < 8 || mip_store_shared(app))
		return;
	memcpy(name, hex, 8);
	name[8] = '\0';
	if (mip_file_find(app, name, other, NULL) != MIP_FOUND) {
		static_unlink(app, hex);
		return;
	}
	if (blob_path(&app->blobs, hex, blob, sizeof(blob)) < 0 ||
	    (dfd = static_dir(app, hex, 1)) < 0)
		return;		/* no link: the program answers instead */
	snprintf(tmp, sizeof(tmp), "%s.%d", name, (int)getpid());
	if (symlinkat(blob, dfd, tmp) < 0 || renameat(dfd, tmp, dfd, name) < 0)
		unlinkat(dfd, tmp, 0);
	close(dfd);
}

static const char sql_file_put[] =
	"INSERT INTO mip_files(sha256, size, origin, last_used, created) VALUES(?1,?2,?3,?4,?4)"
	" ON CONFLICT(sha256) DO UPDATE SET last_used=?4,"
	" origin = CASE WHEN mip_files.origin='hosted' THEN mip_files.origin"
	" ELSE excluded.origin END";

int mip_file_put(struct app *app, const void *p, size_t n, const char *origin,
		 const char *expect_prefix, char *hex, struct nb_err *e)
{
	struct blob_writer w;
	struct db_stmt *st;

	if (blob_writer_open(&app->blobs, &w) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot store the file (disk full?)");
	if (blob_writer_write(&w, p, n) < 0) {
		blob_writer_abort(&w);
		return nb_fail(e, NB_UNAVAILABLE, "cannot store the file (disk full?)");
	}
	if (expect_prefix) {
		/* check before the blob becomes visible: a mismatch leaves nothing */
		struct hash_ctx h;
		char got[HASH_HEX_MAX];
		hash_init(&h, HASH_SHA256);
		hash_update(&h, p, n);
		hash_final_hex(&h, got);
		if (strncmp(got, expect_prefix, strlen(expect_prefix)) != 0) {
			blob_writer_abort(&w);
			errno = EBADMSG;
			return nb_fail(e, NB_INVALID, "the file does not match its hash %s",
				       expect_prefix);
		}
	}
	if (blob_writer_commit(&w, NULL, hex) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot store the file (disk full?)");
	st = db_stmt(app->db, sql_file_put);
	if (!st)
		return busy(e);
	db_bind_text(st, 1, hex, -1, DB_TRANSIENT);
	db_bind_int64(st, 2, (int64_t)n);
	db_bind_text(st, 3, origin, -1, DB_STATIC);
	db_bind_int64(st, 4, clock_now_ms());
	if (done(st) < 0)
		return busy(e);
	static_link(app, hex);
	return 0;
}

/* A hash prefix is a key range: O(log n) on the primary key. */
static const char sql_file_find[] =
	"SELECT sha256 FROM mip_files WHERE sha256 >= ?1 AND sha256 < ?1 || 'g' LIMIT 2";

int mip_file_find(struct app *app, const char *prefix, char *hex, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_find);
	int n = 0;

	if (!st)
		return busy(e);
	db_bind_text(st, 1, prefix, -1, DB_STATIC);
	while (db_step(st) == DB_ROW) {
		if (n++ == 0)
			snprintf(hex, HASH_HEX_MAX, "%s", (const char *)db_column_text(st, 0));
	}
	/* a failed step is the store's failure, not "no such file" */
	if (db_reset(st) != DB_OK)
		return busy(e);
	if (n == 1 && !blob_exists(&app->blobs, hex))
		return MIP_NONE;
	return n == 0 ? MIP_NONE : n == 1 ? MIP_FOUND : MIP_AMBIGUOUS;
}

/* Hits write at most once an hour per file: reads stay reads.  (ms) */
static const char sql_file_touch[] =
	"UPDATE mip_files SET last_used=?2 WHERE sha256=?1 AND last_used < ?2 - 3600000";

void mip_file_touch(struct app *app, const char *hex)
{
	struct db_stmt *st = db_stmt(app->db, sql_file_touch);

	if (!st)
		return;
	db_bind_text(st, 1, hex, -1, DB_STATIC);
	db_bind_int64(st, 2, clock_now_ms());
	done(st);
}

/* Through blob_read (on the filesystem never through a link).  Small
 * files only (64 MiB); NULL on any failure. */
char *mip_file_read(struct app *app, struct arena *a, const char *hex, size_t *n)
{
	if (strlen(hex) != 64 || !hash_is_hex(hex, 64))
		return NULL;
	return blob_read(&app->blobs, a, hex, 64u << 20, n);
}

static const char sql_pkg_get[] =
	"SELECT json, etag, last_modified, fetched, expires FROM mip_packages"
	" WHERE origin=? AND name=? AND flavour=? AND version=?";

int mip_pkg_get(struct app *app, const char *origin, const char *name,
		const char *flavour, const char *version, struct arena *a,
		struct mip_pkgrow *row, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_pkg_get);
	int rc;

	if (!st)
		return busy(e);
	db_bind_text(st, 1, origin, -1, DB_STATIC);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	db_bind_text(st, 3, flavour, -1, DB_STATIC);
	db_bind_text(st, 4, version, -1, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW) {
		row->json = db_column_dup(a, st, 0);
		row->etag = db_column_dup(a, st, 1);
		row->last_modified = db_column_dup(a, st, 2);
		row->fetched = db_column_int64(st, 3);
		row->expires = db_column_int64(st, 4);
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : busy(e);
}

static const char sql_pkg_put[] =
	"INSERT INTO mip_packages(origin, name, flavour, version, json, etag,"
	" last_modified, fetched, expires) VALUES(?,?,?,?,?,?,?,?,?)"
	" ON CONFLICT(origin, name, flavour, version) DO UPDATE SET json=excluded.json,"
	" etag=excluded.etag, last_modified=excluded.last_modified, fetched=excluded.fetched,"
	" expires=excluded.expires";

int mip_pkg_put(struct app *app, const char *origin, const char *name,
		const char *flavour, const char *version, const char *json,
		const char *etag, const char *lm, long ttl, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_pkg_put);
	time_t now = time(NULL);

	if (!st)
		return busy(e);
	db_bind_text(st, 1, origin, -1, DB_STATIC);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	db_bind_text(st, 3, flavour, -1, DB_STATIC);
	db_bind_text(st, 4, version, -1, DB_STATIC);
	db_bind_text(st, 5, json, -1, DB_STATIC);
	db_bind_text(st, 6, etag ? etag : "", -1, DB_STATIC);
	db_bind_text(st, 7, lm ? lm : "", -1, DB_STATIC);
	db_bind_int64(st, 8, (int64_t)now);
	/* hosted rows never expire */
	db_bind_int64(st, 9, ttl < 0 ? (int64_t)1 << 62 : (int64_t)(now + ttl));
	return done(st) < 0 ? busy(e) : 0;
}

static const char sql_pkg_extend[] =
	"UPDATE mip_packages SET fetched=?5, expires=?6"
	" WHERE origin=?1 AND name=?2 AND flavour=?3 AND version=?4";

void mip_pkg_extend(struct app *app, const char *origin, const char *name,
		    const char *flavour, const char *version, long ttl)
{
	struct db_stmt *st = db_stmt(app->db, sql_pkg_extend);
	time_t now = time(NULL);

	if (!st)
		return;
	db_bind_text(st, 1, origin, -1, DB_STATIC);
	db_bind_text(st, 2, name, -1, DB_STATIC);
	db_bind_text(st, 3, flavour, -1, DB_STATIC);
	db_bind_text(st, 4, version, -1, DB_STATIC);
	db_bind_int64(st, 5, (int64_t)now);
	db_bind_int64(st, 6, (int64_t)(now + ttl));
	done(st);
}

static const char sql_up_ok[] =
	"INSERT INTO mip_upstream(origin, last_ok) VALUES(?1, ?2)"
	" ON CONFLICT(origin) DO UPDATE SET last_ok=?2";
static const char sql_up_err[] =
	"INSERT INTO mip_upstream(origin, last_error, error) VALUES(?1, ?2, ?3)"
	" ON CONFLICT(origin) DO UPDATE SET last_error=?2, error=?3";

void mip_upstream_note(struct app *app, const char *origin, const char *error)
{
	struct db_stmt *st = db_stmt(app->db, error ? sql_up_err : sql_up_ok);

	if (!st)
		return;
	db_bind_text(st, 1, origin, -1, DB_STATIC);
	db_bind_int64(st, 2, (int64_t)time(NULL));
	if (error)
		db_bind_text(st, 3, error, -1, DB_STATIC);
	done(st);
	if (error)
		fprintf(stderr, "nestbox[%s]: %s: %s\n", app->program, origin, error);
}

static const char sql_cache_size[] =
	"SELECT coalesce(sum(size), 0) FROM mip_files WHERE origin != 'hosted'";
static const char sql_lru[] =
	"SELECT sha256, size FROM mip_files WHERE origin != 'hosted' AND instr(?1, sha256) = 0"
	" ORDER BY last_used, created LIMIT 1";
static const char sql_file_del[] = "DELETE FROM mip_files WHERE sha256=?";
static const char sql_pkg_forget[] =
	"DELETE FROM mip_packages WHERE origin != 'hosted' AND instr(json, ?) > 0";

/* The store failed while evicting: -1 with e, said on stderr too, since
 * the requests that evict on the way drop e (their answer is made). */
static long long evict_failed(struct app *app, struct nb_err *e)
{
	fprintf(stderr, "nestbox[%s]: mip cache not evicted: %s\n", app->program,
		db_errmsg(app->db));
	return busy(e);
}

/* The least recently used fetched file not named in keep, into hex and
 * *size: 1, 0 when there is none, or -1 with e. */
static int lru_file(struct app *app, const char *keep, char *hex, long long *size,
		    struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_lru);
	int rc;

	if (!st)
		return busy(e);
	db_bind_text(st, 1, keep ? keep : "", -1, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW) {
		snprintf(hex, HASH_HEX_MAX, "%s", (const char *)db_column_text(st, 0));
		*size = db_column_int64(st, 1);
	}
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : busy(e);
}

/* Forgets one fetched file: the packages naming it, its row, its blob. */
static int evict_one(struct app *app, const char *hex, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_pkg_forget);

	/* a package naming the file must be fetched again, not served half */
	if (!st)
		return busy(e);
	db_bind_text(st, 1, hex, -1, DB_TRANSIENT);
	if (done(st) < 0 || !(st = db_stmt(app->db, sql_file_del)))
		return busy(e);
	db_bind_text(st, 1, hex, -1, DB_TRANSIENT);
	if (done(st) < 0)
		return busy(e);
	blob_remove(&app->blobs, hex);
	static_unlink(app, hex);
	return 0;
}

long long mip_evict(struct app *app, long long max, const char *keep, struct nb_err *e)
{
	long long total, freed = 0;

	if (mip_scalars(app, sql_cache_size, &total, 1, e) < 0)
		return evict_failed(app, e);
	while (total > max) {
		char hex[HASH_HEX_MAX];
		long long size = 0;
		int rc = lru_file(app, keep, hex, &size, e);
		if (rc == 0)
			break;
		if (rc < 0 || evict_one(app, hex, e) < 0)
			return evict_failed(app, e);
		total -= size;
		freed += size;
	}
	return freed;
}

static const char sql_expire_all[] =
	"UPDATE mip_packages SET expires=0 WHERE origin != 'hosted'";

int mip_expire_all(struct app *app, struct nb_err *e)
{
	/* the front end's copies go too, or it would send them until expiry */
	mip_proxy_drop(app, NULL);
	return db_exec(app->db, sql_expire_all) < 0 ? busy(e) : 0;
}

static const char sql_hosted_has[] =
	"SELECT 1 FROM mip_hosted WHERE name = ?1 LIMIT 1";

int mip_hosted_has(struct app *app, const char *name, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_hosted_has);

	if (!st)
		return busy(e);
	db_bind_text(st, 1, name, -1, DB_STATIC);
	return yes_no(st, e);
}

static const char sql_pin[] = "UPDATE mip_files SET origin='hosted' WHERE sha256=?";

int mip_file_pin(struct app *app, const char *hex, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_pin);

	if (!st)
		return busy(e);
	db_bind_text(st, 1, hex, -1, DB_STATIC);
	return done(st) < 0 ? busy(e) : 0;
}

static const char sql_known[] = "SELECT 1 FROM mip_files WHERE sha256=?";

int mip_file_known(struct app *app, const char *hex, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_known);

	if (!st)
		return busy(e);
	db_bind_text(st, 1, hex, -1, DB_STATIC);
	return yes_no(st, e);
}

/* -- hosted packages (mip_publish.c, mip_index.c, the admin page, nestboxctl) -- */

static const char sql_hosted_exists[] = "SELECT 1 FROM mip_hosted WHERE name=? AND version=?";

int mip_hosted_exists(struct app *app, const char *name, const char *version,
		      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_hosted_exists);

	if (!st)
		return busy(e);
	db_bind_text(st, 1, name, -1, DB_STATIC);
	db_bind_text(st, 2, version, -1, DB_STATIC);
	return yes_no(st, e);
}

static const char sql_hosted_versions[] = "SELECT version FROM mip_hosted WHERE name=?";

int mip_hosted_highest(struct app *app, const char *name, const char *version,
		       struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_hosted_versions);
	int high = 1;

	if (!st)
		return busy(e);
	db_bind_text(st, 1, name, -1, DB_STATIC);
	while (db_step(st) == DB_ROW)
		if (mip_version_cmp((const char *)db_column_text(st, 0), version) > 0)
			high = 0;
	/* a step that failed read only part of the versions: no answer */
	return db_reset(st) == DB_OK ? high : busy(e);
}

static const char sql_hosted_add[] =
	"INSERT INTO mip_hosted(name, version, published, files, size, description)"
	" VALUES(?,?,?,?,?,?)";

int mip_hosted_add(struct app *app, const struct mip_hosted_row *h, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_hosted_add);
	int rc;

	if (!st)
		return nb_fail(e, NB_UNAVAILABLE, "cannot record the package: database busy");
	db_bind_text(st, 1, h->name, -1, DB_STATIC);
	db_bind_text(st, 2, h->version, -1, DB_STATIC);
	db_bind_int64(st, 3, (int64_t)h->published);
	db_bind_int(st, 4, h->files);
	db_bind_int64(st, 5, (int64_t)h->size);
	db_bind_text(st, 6, h->description ? h->description : "", -1, DB_STATIC);
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	if (rc == DB_CONSTRAINT)
		return nb_fail(e, NB_CONFLICT, "%s %s is published already: versions are immutable",
			       h->name, h->version);
	return nb_fail(e, NB_UNAVAILABLE, "cannot record the package: %s", db_errmsg(app->db));
}

/* One statement per order: the index lists versions in key order, the admin
 * page newest first (paged), nestboxctl in publishing order. */
static const char *const sql_hosted_list[] = {
	[MIP_HOSTED_BY_KEY] = "SELECT name, version, files, size, published, description"
			      " FROM mip_hosted ORDER BY name LIMIT ? OFFSET ?",
	[MIP_HOSTED_NEWEST] = "SELECT name, version, files, size, published, description"
			      " FROM mip_hosted ORDER BY name, published DESC LIMIT ? OFFSET ?",
	[MIP_HOSTED_OLDEST] = "SELECT name, version, files, size, published, description"
			      " FROM mip_hosted ORDER BY name, published LIMIT ? OFFSET ?",
};

int mip_hosted_list(struct app *app, struct arena *a, enum mip_hosted_order order, long limit,
		    long offset, struct mip_hosted_row **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_hosted_list[order]);
	int n = 0, cap = 16;

	*out = arena_alloc(a, cap * sizeof(**out));
	if (!st)
		return busy(e);
	/* no limit (< 0): SQLite's LIMIT -1, which PostgreSQL refuses, as the largest */
	db_bind_int64(st, 1, limit < 0 ? INT64_MAX : limit);
	db_bind_int64(st, 2, offset);
	while (db_step(st) == DB_ROW) {
		struct mip_hosted_row *h;
		*out = arena_grow(a, *out, n, &cap, sizeof(**out));
		h = &(*out)[n++];
		h->name = db_column_dup(a, st, 0);
		h->version = db_column_dup(a, st, 1);
		h->files = db_column_int(st, 2);
		h->size = db_column_int64(st, 3);
		h->published = db_column_int64(st, 4);
		h->description = db_column_dup(a, st, 5);
	}
	return db_reset(st) == DB_OK ? n : busy(e);
}

/* -- the cache, for the admin page -- */

/* flavour 'raw' rows are a GitHub/GitLab package's files, not packages */
static const char sql_cached[] =
	"SELECT origin, name, flavour, version, fetched, expires, length(json) FROM mip_packages"
	" WHERE origin != 'hosted' AND flavour != 'raw' ORDER BY fetched DESC LIMIT ? OFFSET ?";
static const char sql_cached_n[] =
	"SELECT count(*) FROM mip_packages WHERE origin != 'hosted' AND flavour != 'raw'";
static const char sql_hosted_n[] = "SELECT count(*) FROM mip_hosted";
static const char sql_cache_use[] =
	"SELECT count(*), coalesce(sum(size), 0) FROM mip_files WHERE origin != 'hosted'";

int mip_cached_list(struct app *app, struct arena *a, long limit, long offset,
		    struct mip_cached_row **out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_cached);
	int n = 0;

	*out = arena_alloc(a, (size_t)(limit > 0 ? limit : 1) * sizeof(**out));
	if (!st)
		return busy(e);
	db_bind_int64(st, 1, limit);
	db_bind_int64(st, 2, offset);
	while (n < limit && db_step(st) == DB_ROW) {
		struct mip_cached_row *c = &(*out)[n++];
		c->origin = db_column_dup(a, st, 0);
		c->name = db_column_dup(a, st, 1);
		c->flavour = db_column_dup(a, st, 2);
		c->version = db_column_dup(a, st, 3);
		c->fetched = db_column_int64(st, 4);
		c->expires = db_column_int64(st, 5);
		c->bytes = db_column_int64(st, 6);
	}
	return db_reset(st) == DB_OK ? n : busy(e);
}

int mip_cached_count(struct app *app, long long *n, struct nb_err *e)
{
	return mip_scalars(app, sql_cached_n, n, 1, e);
}

int mip_counts(struct app *app, struct mip_counts *c, struct nb_err *e)
{
	long long use[2];

	if (mip_scalars(app, sql_hosted_n, &c->hosted, 1, e) < 0 ||
	    mip_cached_count(app, &c->cached, e) < 0 ||
	    mip_scalars(app, sql_cache_use, use, 2, e) < 0)
		return -1;
	c->cache_files = use[0];
	c->cache_bytes = use[1];
	return 0;
}

static const char sql_upstreams[] =
	"SELECT origin, last_ok, last_error, coalesce(error, '') FROM mip_upstream ORDER BY origin";

int mip_upstream_list(struct app *app, struct arena *a, struct mip_upstream_row **out,
		      struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_upstreams);
	int n = 0;

	/* one row per origin: upstream, github, gitlab */
	*out = arena_alloc(a, MIP_ORIGINS_MAX * sizeof(**out));
	if (!st)
		return busy(e);
	while (n < MIP_ORIGINS_MAX && db_step(st) == DB_ROW) {
		struct mip_upstream_row *u = &(*out)[n++];
		u->origin = db_column_dup(a, st, 0);
		u->last_ok = db_column_int64(st, 1);
		u->last_error = db_column_int64(st, 2);
		u->error = db_column_dup(a, st, 3);
	}
	return db_reset(st) == DB_OK ? n : busy(e);
}

/* -- the compile cache (mip_compile.c) -- */

static const char sql_compiled_get[] =
	"SELECT out FROM mip_compiled WHERE src=? AND compiler=? AND flags=?";
static const char sql_compiled_put[] =
	"INSERT INTO mip_compiled(src, compiler, flags, out) VALUES(?,?,?,?)"
	" ON CONFLICT(src, compiler, flags) DO UPDATE SET out=excluded.out";

int mip_compiled_get(struct app *app, const char *src, const char *compiler, const char *flags,
		     char *out, struct nb_err *e)
{
	struct db_stmt *st = db_stmt(app->db, sql_compiled_get);
	int rc;

	if (!st)
		return busy(e);
	db_bind_text(st, 1, src, -1, DB_STATIC);
	db_bind_text(st, 2, compiler, -1, DB_STATIC);
	db_bind_text(st, 3, flags, -1, DB_STATIC);
	if ((rc = db_step(st)) == DB_ROW)
		snprintf(out, HASH_HEX_MAX, "%s", (const char *)db_column_text(st, 0));
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : busy(e);
}

void mip_compiled_put(struct app *app, const char *src, const char *compiler, const char *flags,
		      const char *out)
{
	struct db_stmt *st = db_stmt(app->db, sql_compiled_put);

	if (!st)
		return;
	db_bind_text(st, 1, src, -1, DB_STATIC);
	db_bind_text(st, 2, compiler, -1, DB_STATIC);
	db_bind_text(st, 3, flags, -1, DB_STATIC);
	db_bind_text(st, 4, out, -1, DB_STATIC);
	done(st);
}
