/*
 * Publishing a hosted package from a directory, an archive (anything
 * libarchive reads) or a single .py file.  With a package.json its urls
 * name the files ([destination, source], sources inside the package) and
 * its deps are kept; without one every .py file is published under its
 * relative path.  Versions are immutable; "latest" follows the highest.
 */
#include "mip.h"
#include "../lib/bytes.h"
#include "../lib/fs.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define PUB_MAX_FILES 500
#define PUB_MAX_BYTES MIP_PACKAGE_MAX

struct srcfile {
	const char *path;
	char *data;
	size_t len;
};

struct srcset {
	struct arena *a;
	struct srcfile v[PUB_MAX_FILES];
	int n;
	size_t total;
	const char *err;
};

static int add_file(struct srcset *s, const char *path, char *data, size_t len)
{
	if (s->n == PUB_MAX_FILES || s->total + len > PUB_MAX_BYTES) {
		s->err = "the package is too large (500 files, 64 MiB at most)";
		return -1;
	}
	if (!mip_dest_ok(path)) {
		s->err = arena_printf(s->a, "%s: not a plain relative path", path);
		return -1;
	}
	s->v[s->n].path = arena_strdup(s->a, path);
	s->v[s->n].data = data;
	s->v[s->n].len = len;
	s->total += len;
	s->n++;
	return 0;
}

static int read_dir(struct srcset *s, const char *root, const char *rel, int depth)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
	if (depth > 8 || !(d = opendir(dir))) {
		s->err = "cannot read the package directory";
		return -1;
	}
	while (rc == 0 && (e = readdir(d))) {
		char p[PATH_MAX], r[PATH_MAX];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;	/* .git and friends are not package content */
		if ((size_t)snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= sizeof(r) ||
		    (size_t)snprintf(p, sizeof(p), "%s/%s", root, r) >= sizeof(p) || lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = read_dir(s, root, r, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			size_t n;
			char *data = fs_read_small(s->a, p, PUB_MAX_BYTES, &n);
			rc = data ? add_file(s, r, data, n) : -1;
			if (!data)
				s->err = "a file is unreadable or too large";
		}
	}
	closedir(d);
	return rc;
}

/* Drops "./" and one directory every entry shares (tarballs of "pkg-1.0/"). */
static void strip_top(struct srcset *s)
{
	const char *slash = s->n ? strchr(s->v[0].path, '/') : NULL;
	size_t l;
	int i;

	if (!slash)
		return;
	l = (size_t)(slash - s->v[0].path) + 1;
	for (i = 0; i < s->n; i++)
		if (strncmp(s->v[i].path, s->v[0].path, l))
			return;
	for (i = 0; i < s->n; i++)
		s->v[i].path += l;
}

/* Reads every regular entry of the opened ar into s; what names the
 * archive in a refusal ("pkg.tar.gz", "the upload"). */
static int read_entries(struct srcset *s, struct archive *ar, const char *what)
{
	struct archive_entry *e;
	int rc = 0, any = 0;

	while (rc == 0) {
		int h = archive_read_next_header(ar, &e);
		const char *p;
		la_int64_t size;
		char *data;
		if (h == ARCHIVE_EOF)
			break;
		if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
			/* a cut archive must not publish its first half */
			s->err = any ? "the archive is truncated or corrupt"
				     : arena_printf(s->a, "%s: not a readable archive", what);
			rc = -1;
			break;
		}
		p = archive_entry_pathname(e);
		size = archive_entry_size(e);
		any = 1;
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		while (p && p[0] == '.' && p[1] == '/')
			p += 2;
		if (!p || size < 0 || (size_t)size > PUB_MAX_BYTES) {
			s->err = "an archive entry is too large";
			rc = -1;
			break;
		}
		data = arena_alloc(s->a, (size_t)size + 1);
		if (archive_read_data(ar, data, (size_t)size) != size) {
			s->err = "the archive is truncated or corrupt";
			rc = -1;
			break;
		}
		data[size] = '\0';
		rc = add_file(s, p, data, (size_t)size);
	}
	if (rc == 0 && !any) {
		s->err = arena_printf(s->a, "%s: not a readable archive", what);
		rc = -1;
	}
	strip_top(s);
	return rc;
}

/* An archive in a file (nestboxctl) or in memory (an upload: len bytes
 * at data, file NULL) into s; 0, or -1 with s->err. */
static int read_archive(struct srcset *s, const char *file, const void *data, size_t len)
{
	struct archive *ar = archive_read_new();
	const char *what = file ? file : "the upload";
	int rc;

	archive_read_support_filter_all(ar);
	archive_read_support_format_all(ar);
	if ((file ? archive_read_open_filename(ar, file, 65536) :
	     archive_read_open_memory(ar, data, len)) != ARCHIVE_OK) {
		s->err = arena_printf(s->a, "%s: not a readable archive", what);
		archive_read_free(ar);
		return -1;
	}
	rc = read_entries(s, ar, what);
	archive_read_free(ar);
	return rc;
}

static struct srcfile *find_src(struct srcset *s, const char *path)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].path, path))
			return &s->v[i];
	return NULL;
}

/* The shortest prefix of 8 or more digits naming only this file. */
static const char *short_hash(struct app *app, struct arena *a, const char *hex)
{
	char other[HASH_HEX_MAX];
	size_t n;

	for (n = 8; n < 64; n += 2) {
		char *p = arena_strndup(a, hex, n);
		if (mip_file_find(app, p, other, NULL) == MIP_FOUND)
			return p;
	}
	return hex;
}

struct item {
	const char *dest;
	char src[HASH_HEX_MAX], mpy[HASH_HEX_MAX];
};

static char *package_json(struct app *app, struct arena *a, const struct item *it, int n,
			  const struct mip_pkgjson *pj, const char *version, int compiled)
{
	cJSON *o = cJSON_CreateObject(), *h = cJSON_AddArrayToObject(o, "hashes"), *d;
	char *s, *out;
	int i;

	cJSON_AddNumberToObject(o, "v", 1);
	for (i = 0; i < n; i++) {
		cJSON *pair = cJSON_CreateArray();
		const char *dest = it[i].dest;
		if (compiled && it[i].mpy[0]) {
			size_t l = strlen(dest);
			dest = arena_printf(a, "%.*s.mpy", (int)(l - 3), dest);
		}
		cJSON_AddItemToArray(pair, cJSON_CreateString(dest));
		cJSON_AddItemToArray(pair, cJSON_CreateString(
			short_hash(app, a, compiled && it[i].mpy[0] ? it[i].mpy : it[i].src)));
		cJSON_AddItemToArray(h, pair);
	}
	if (pj && pj->ndeps) {
		d = cJSON_AddArrayToObject(o, "deps");
		for (i = 0; i < pj->ndeps; i++) {
			cJSON *pair = cJSON_CreateArray();
			cJSON_AddItemToArray(pair, cJSON_CreateString(pj->deps[i].a));
			if (*pj->deps[i].b)
				cJSON_AddItemToArray(pair, cJSON_CreateString(pj->deps[i].b));
			cJSON_AddItemToArray(d, pair);
		}
	}
	cJSON_AddStringToObject(o, "version", version);
	s = cJSON_PrintUnformatted(o);
	out = arena_strdup(a, s);
	cJSON_free(s);
	cJSON_Delete(o);
	return out;
}

/*
 * Hosted package JSON never changes but for "latest" at a publish (a file
 * only on a store no other host writes: mip_store_shared), so the front
 * end serves it as a file: <var>/mip-static/mip/package/<flavour>/
 * <name>/<version>.json (etc/nestbox-lighttpd.conf).  Without the file
 * the program answers from the store, so a failure here costs speed only.
 */
static void static_json(struct app *app, struct arena *a, const char *name,
			const char *flavour, const char *version, const char *json)
{
	char *dir = arena_printf(a, "%s/mip-static/mip/package/%s/%s", app->set.var_dir, flavour, name);

	if (fs_mkdirs(dir, 0755) == 0)
		fs_write_atomic(arena_printf(a, "%s/%s.json", dir, version), json, strlen(json));
}

int mip_store_shared(struct app *app)
{
	return db_is_pg(app->db);
}

/* fs_each_dir2's step: removes the name's latest.json. */
static int drop_latest_step(void *ctx, int parent, const char *name, int dir)
{
	int n = unlinkat(dir, "latest.json", 0) == 0;

	(void)ctx, (void)parent, (void)name;
	close(dir);
	return n;
}

/* Removes <root>/<flavour>/<name>/latest.json for every flavour and name. */
static int drop_latest(const char *root)
{
	return fs_each_dir2(root, NULL, drop_latest_step, NULL);
}

/* fs_each2's step: removes one link. */
static int drop_link_step(void *ctx, int parent, const char *name)
{
	(void)ctx;
	return unlinkat(parent, name, 0) == 0;
}

/* Removes every <root>/<hh>/<prefix> link of mip_store.c's file links. */
static int drop_links(const char *root)
{
	return fs_each2(root, drop_link_step, NULL);
}

int mip_static_unshare(struct app *app)
{
	struct arena a;
	int n;

	if (!mip_store_shared(app))
		return 0;
	arena_init(&a);
	n = drop_latest(arena_printf(&a, "%s/mip-static/mip/package", app->set.var_dir)) +
	    drop_links(arena_printf(&a, "%s/mip-static/mip/file", app->set.var_dir)) +
	    mip_index_unshare(app) + mip_proxy_drop(app, NULL);
	arena_free(&a);
	return n;
}

/* The files to publish: package.json's urls, or every .py file. */
static int select_items(struct srcset *s, struct mip_pkgjson *pj, struct item **out,
			int *n, struct nb_err *e)
{
	struct srcfile *pjf = find_src(s, "package.json");
	int i;

	*out = arena_zalloc(s->a, sizeof(**out) * PUB_MAX_FILES);
	*n = 0;
	memset(pj, 0, sizeof(*pj));
	if (pjf) {
		if (mip_pkgjson_parse(s->a, pjf->data, pjf->len, pj, e) < 0)
			return nb_err_prefix(e, "package.json");
		for (i = 0; i < pj->nurls; i++) {
			if (!mip_dest_ok(pj->urls[i].b) || !find_src(s, pj->urls[i].b))
				return nb_fail(e, NB_INVALID, "package.json: %s is not a file of the "
					       "package (hosted packages hold their own files)",
					       pj->urls[i].b);
			(*out)[(*n)].dest = pj->urls[i].a;
			(*out)[(*n)++].src[0] = '\0';
		}
		return 0;
	}
	for (i = 0; i < s->n; i++) {
		size_t l = strlen(s->v[i].path);
		if (l > 3 && !strcmp(s->v[i].path + l - 3, ".py"))
			(*out)[(*n)++].dest = s->v[i].path;
	}
	if (*n == 0)
		return nb_fail(e, NB_INVALID, "no package.json and no .py files to publish");
	return 0;
}

/* Stores each file, compiles the compilable ones. */
static int store_items(struct app *app, const struct mip *m, struct srcset *s,
		       struct mip_pkgjson *pj, struct item *it, int n, struct nb_err *e)
{
	int i;

	for (i = 0; i < n; i++) {
		const char *src = pj->nurls ? pj->urls[i].b : it[i].dest;
		struct srcfile *f = find_src(s, src);
		if (mip_file_put(app, f->data, f->len, "hosted", NULL, it[i].src, e) < 0)
			return nb_err_prefix(e, "cannot store %s", src);
		if (m->cc.ok && mip_compilable(it[i].dest)) {
			if (mip_compile(app, &m->cc, it[i].src, it[i].dest, it[i].mpy, e) < 0)
				return -1;
			if (mip_file_pin(app, it[i].mpy, e) < 0)
				return -1;
		}
	}
	return 0;
}

/* record's transaction and the package JSON's static copies. */
static int record_rows(struct app *app, struct arena *a, const struct mip_hosted_row *h,
		       const char *flavour, const char *py, const char *mpy, struct nb_err *e)
{
	int high, rc;

	if (db_begin(app->db) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "database busy");
	/* a "highest" read from part of the versions would move "latest"
	 * backwards: no answer, no publish */
	if ((high = mip_hosted_highest(app, h->name, h->version, e)) < 0 ||
	    mip_hosted_add(app, h, e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	rc = mip_pkg_put(app, "hosted", h->name, "py", h->version, py, NULL, NULL, -1, e) |
	     mip_pkg_put(app, "hosted", h->name, flavour, h->version, mpy, NULL, NULL, -1, e);
	if (rc == 0 && high)
		rc = mip_pkg_put(app, "hosted", h->name, "py", "latest", py, NULL, NULL, -1, e) |
		     mip_pkg_put(app, "hosted", h->name, flavour, "latest", mpy, NULL, NULL, -1, e);
	if (rc == 0 && db_commit(app->db) < 0)
		rc = -1;
	if (rc < 0) {
		nb_fail(e, NB_UNAVAILABLE, "cannot record the package: %s", db_errmsg(app->db));
		db_rollback(app->db);
		return -1;
	}
	/* after the commit: a static copy never runs ahead of the store */
	static_json(app, a, h->name, "py", h->version, py);
	static_json(app, a, h->name, flavour, h->version, mpy);
	/* "latest" changes at a publish on any host sharing the store: only
	 * a store no other host writes (SQLite) keeps it as a file */
	if (high && !mip_store_shared(app)) {
		static_json(app, a, h->name, "py", "latest", py);
		static_json(app, a, h->name, flavour, "latest", mpy);
	}
	/* the name is ours now: the front end must not send upstream's */
	mip_proxy_drop(app, h->name);
	return 0;
}

/* The hosted row and its package JSON (py and flavour; "latest" too when
 * it is the highest version), in one transaction; then the static copies. */
static int record(struct app *app, const struct mip *m, struct arena *a,
		  const struct mip_hosted_row *h, const char *flavour, const char *py,
		  const char *mpy, struct nb_err *e)
{
	/* the index's copy waits for the commit (and lists it) */
	int hold = mip_index_hold(app);
	int rc = record_rows(app, a, h, flavour, py, mpy, e);

	mip_index_release(app, m, hold);
	return rc;
}

/* The rules name and version must follow before anything is read:
 * 0, or -1 with e (NB_INVALID, NB_CONFLICT). */
static int publish_check(struct app *app, const char *name, const char *version,
			 struct nb_err *e)
{
	/* stored and served whole, or refused with the limit named */
	if (strlen(name) > MIP_NAME_MAX || strlen(version) > MIP_VERSION_MAX) {
		int nm = strlen(name) > MIP_NAME_MAX;
		return nb_fail(e, NB_INVALID, "the %s is %zu bytes, at most %d",
			       nm ? "name" : "version", strlen(nm ? name : version),
			       nm ? MIP_NAME_MAX : MIP_VERSION_MAX);
	}
	if (!mip_name_ok(name) || !mip_version_ok(version) || !strcmp(version, "latest"))
		return nb_fail(e, NB_INVALID, "a name is letters, digits and - _ . ; a version "
			       "likewise (and not \"latest\")");
	switch (mip_hosted_exists(app, name, version, e)) {
	case 0:
		return 0;
	case 1:
		return nb_fail(e, NB_CONFLICT, "%s %s is published already: versions are immutable",
			       name, version);
	default:
		return -1;	/* the store cannot say: never published over */
	}
}

/* Stores the files read into s and records name version (a's strings). */
static int publish_set(struct app *app, const struct mip *m, struct arena *a,
		       struct srcset *s, const char *name, const char *version,
		       const char *description, struct nb_err *e)
{
	struct mip_pkgjson pj;
	struct item *it;
	int n;
	char flavour[8];

	if (select_items(s, &pj, &it, &n, e) < 0 || store_items(app, m, s, &pj, it, n, e) < 0)
		return -1;
	snprintf(flavour, sizeof(flavour), "%d", m->cc.ok ? m->cc.major : 6);
	return record(app, m, a, &(struct mip_hosted_row){ name, version, description, n, s->total,
						  (long long)time(NULL) },
		      flavour, package_json(app, a, it, n, &pj, version, 0),
		      package_json(app, a, it, n, &pj, version, m->cc.ok), e);
}

/* Where a package's bytes are: a directory or a file at path, or an
 * upload in memory (path NULL); with as, one source file named as. */
struct pub_src {
	const char *path;
	int dir;
	const char *as;
	char *p;		/* the upload's bytes (path NULL) */
	size_t len;		/* bytes of the upload */
};

/* Reads src's files into s: 0, or nonzero with s->err (or nothing) set. */
static int read_src(struct srcset *s, const struct pub_src *src)
{
	char *data = src->p;
	size_t len = src->len;

	if (src->dir)
		return read_dir(s, src->path, "", 0);
	/* the length read, not stat's: the file may have changed since */
	if (src->as && src->path &&
	    !(data = fs_read_small(s->a, src->path, PUB_MAX_BYTES, &len))) {
		s->err = "cannot read the package: not a regular file of 64 MiB at most";
		return -1;
	}
	if (src->as)
		return add_file(s, src->as, data ? data : "", len);
	return read_archive(s, src->path, data ? data : "", len);
}

/* The publish of mip_publish and mip_publish_upload once publish_check
 * has passed: src read into a set of its own arena, then stored. */
static int publish_src(struct app *app, const struct mip *m, const struct pub_src *src,
		       const char *name, const char *version, const char *description,
		       struct nb_err *e)
{
	struct arena a;
	struct srcset *s;
	int rc = -1;

	arena_init(&a);
	s = arena_zalloc(&a, sizeof(*s));
	s->a = &a;
	if (read_src(s, src))
		nb_fail(e, NB_INVALID, "%s", s->err ? s->err : "cannot read the package");
	else
		rc = publish_set(app, m, &a, s, name, version, description, e);
	arena_free(&a);
	return rc;
}

int mip_publish(struct app *app, const struct mip *m, const char *path, const char *as,
		const char *name, const char *version, const char *description, struct nb_err *e)
{
	struct pub_src src = { path, 0, as, NULL, 0 };
	struct stat st;

	if (publish_check(app, name, version, e) < 0)
		return -1;
	if (stat(path, &st) < 0)
		return nb_fail(e, NB_INVALID, "cannot read the package: %s", strerror(errno));
	src.dir = S_ISDIR(st.st_mode);
	if (!as && !src.dir && strlen(path) > 3 && !strcmp(path + strlen(path) - 3, ".py"))
		src.as = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	return publish_src(app, m, &src, name, version, description, e);
}

int mip_upload_add(struct mip_upload *u, const char *p, size_t n, struct nb_err *e)
{
	/* MIP_UPLOAD_MAX counts the NUL that makes one source file a string */
	return bytes_add(&u->p, &u->len, &u->cap, MIP_UPLOAD_MAX - 1, p, n,
			 "the package is too large (500 files, 64 MiB at most)", e);
}

void mip_upload_free(struct mip_upload *u)
{
	free(u->p);
	memset(u, 0, sizeof(*u));
}

int mip_publish_upload(struct app *app, const struct mip *m, const struct mip_upload *u,
		       const char *as, const char *name, const char *version,
		       const char *description, struct nb_err *e)
{
	/* one source file is the bytes themselves: kept in u, not copied */
	struct pub_src src = { NULL, 0, as, u->p, u->len };

	if (publish_check(app, name, version, e) < 0)
		return -1;
	return publish_src(app, m, &src, name, version, description, e);
}
