/*
 * nestboxctl pypi export <dir> | import <dir>: the whole Python index as
 * a directory an operator can move or back up: <dir>/pypi.json (the
 * document of pypi_ops.h, built and read by src/pypi/pypi_ops_doc.c) and
 * <dir>/files/<sha256>, each file's bytes and each wheel's METADATA.
 *
 * Import reads the same shape back into a store that holds nothing but
 * what pypi.fcgi's first start makes (root, root/pypi): every blob is
 * hash-checked as it enters the blob store, then every row is written in
 * one transaction, so a refused import leaves the store as it was
 * (blobs already copied are unreferenced and go at the next gc).
 */
#include "ctl_pypi.h"
#include "../lib/fs.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSON_MAX (256L << 20)

/* "exported 2 users, 3 indexes, 9 files to DIR" (what "export" or
 * "import" moved, as root lists it), and its audit row. */
static void say_moved(struct app *app, const cJSON *root, const char *what, const char *dir)
{
	printf("%sed %d users, %d indexes, %d files %s %s\n", what,
	       cJSON_GetArraySize(cJSON_GetObjectItem(root, "users")),
	       cJSON_GetArraySize(cJSON_GetObjectItem(root, "indexes")),
	       cJSON_GetArraySize(cJSON_GetObjectItem(root, "files")),
	       !strcmp(what, "export") ? "to" : "from", dir);
	ctl_audit(app, !strcmp(what, "export") ? "pypi export" : "pypi import", "%s", dir);
}

/* Prints e (ctx: what it concerns) for a step that fails with -1. */
static int say(const char *ctx, const struct nb_err *e)
{
	ctl_fail(ctx, e);
	return -1;
}

/* -- export -- */

/* dir is new or an empty directory, created with dir/files; 0 or -1 (printed). */
static int export_dir(const char *dir)
{
	char files[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (fs_mkdirs(dir, 0755) < 0 || !(d = opendir(dir))) {
		fprintf(stderr, "nestboxctl: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	if (n) {
		fprintf(stderr, "nestboxctl: %s is not empty: export writes into a new directory\n",
			dir);
		return -1;
	}
	snprintf(files, sizeof(files), "%s/files", dir);
	if (fs_mkdirs(files, 0755) < 0) {
		fprintf(stderr, "nestboxctl: %s: %s\n", files, strerror(errno));
		return -1;
	}
	return 0;
}

/* Copies blob hex to dir/files/hex (once), fsynced; 0 or -1 (printed). */
static int export_blob(struct app *app, const char *dir, const char *hex)
{
	char src[PATH_MAX], dst[PATH_MAX], tmp[PATH_MAX], buf[65536];
	int in, out;
	ssize_t n = 0;

	snprintf(dst, sizeof(dst), "%s/files/%s", dir, hex);
	if (!*hex || access(dst, F_OK) == 0)
		return 0;
	if (blob_path(&app->blobs, hex, src, sizeof(src)) < 0 ||
	    (in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		fprintf(stderr, "nestboxctl: the blob %s is missing from the store\n", hex);
		return -1;
	}
	if ((out = fs_tmp_open(dst, tmp, sizeof(tmp))) < 0) {
		close(in);
		fprintf(stderr, "nestboxctl: %s: %s\n", dst, strerror(errno));
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0 && fs_write_all(out, buf, (size_t)n) == 0)
		;
	close(in);
	if (n != 0 || fs_commit(out, tmp, dst) < 0) {
		int err = errno;	/* the failure's, before close and unlink change it */
		if (n != 0)
			close(out);
		unlink(tmp);
		fprintf(stderr, "nestboxctl: cannot copy %s: %s\n", hex, strerror(err));
		return -1;
	}
	return 0;
}

/* The files of one index into arr, their blobs into dir; 0 or -1. */
static int export_files(struct app *app, struct arena *a, const struct pypi_index *ix,
			const char *dir, cJSON *arr)
{
	const char **projects;
	struct pypi_file *f;
	struct nb_err e;
	int n, i;

	if (pypi_projects_of(app, a, ix->id, &projects, &e) < 0)
		return say(NULL, &e);
	for (; *projects; projects++) {
		if ((n = pypi_files_of(app, a, ix->id, *projects, &f, &e)) < 0)
			return say(NULL, &e);
		for (i = 0; i < n; i++) {
			if (export_blob(app, dir, f[i].sha256) < 0 ||
			    export_blob(app, dir, f[i].metadata_sha256) < 0)
				return -1;
			cJSON_AddItemToArray(arr, pypi_doc_file_json(a, &f[i]));
		}
	}
	return 0;
}

/* users, indexes and files into root (blobs into dir); 0 or -1. */
static int export_all(struct app *app, struct arena *a, const char *dir, cJSON *root)
{
	cJSON *users = cJSON_AddArrayToObject(root, "users");
	cJSON *indexes = cJSON_AddArrayToObject(root, "indexes");
	cJSON *files = cJSON_AddArrayToObject(root, "files");
	const char **names;
	struct pypi_index *v;
	struct nb_err e;
	int n, i;

	if (pypi_user_list(app, a, &names, &e) < 0)
		return say(NULL, &e);
	for (; *names; names++) {
		struct pypi_user u;
		if (pypi_user_get(app, a, *names, &u, &e) < 0)
			return say(*names, &e);
		cJSON_AddItemToArray(users, pypi_doc_user_json(&u));
	}
	if ((n = pypi_index_list(app, a, NULL, &v, &e)) < 0)
		return say(NULL, &e);
	for (i = 0; i < n; i++) {
		cJSON_AddItemToArray(indexes, pypi_doc_index_json(a, &v[i]));
		if (export_files(app, a, &v[i], dir, files) < 0)
			return -1;
	}
	return 0;
}

int ctl_cmd_pypi_export(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	char path[PATH_MAX];
	struct app app;
	struct arena a;
	cJSON *root;
	char *text;
	int rc = 1;

	optind = 1;
	if (ctl_getopt("pypi", argc, argv, none) != -1 ||
	    ctl_operands("pypi", argc, argv, 1, 1, "the directory to export into") < 0)
		return 2;
	if (ctl_pypi_open(&app) < 0)
		return 1;
	if (export_dir(argv[optind]) < 0) {
		app_close(&app);
		return 1;
	}
	arena_init(&a);
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "format", PYPI_DOC_FORMAT);
	cJSON_AddNumberToObject(root, "format_version", PYPI_DOC_VERSION);
	db_read_begin(app.db);		/* one snapshot of every row */
	if (export_all(&app, &a, argv[optind], root) == 0) {
		text = cJSON_Print(root);
		snprintf(path, sizeof(path), "%s/pypi.json", argv[optind]);
		if (text && fs_write_atomic(path, text, strlen(text)) == 0)
			rc = 0;
		else
			fprintf(stderr, "nestboxctl: cannot write %s\n", path);
		free(text);
	}
	db_read_end(app.db);
	if (!rc) {
		say_moved(&app, root, "export", argv[optind]);
	}
	cJSON_Delete(root);
	arena_free(&a);
	app_close(&app);
	return rc;
}

/* -- import -- */

/* dir/files/hex into the blob store, hash-checked (size when size >= 0); 0 or -1 with e. */
static int import_blob(struct app *app, const char *dir, const char *hex, long long size,
		       struct nb_err *e)
{
	char path[PATH_MAX], buf[65536], got[HASH_HEX_MAX];
	struct blob_writer w;
	ssize_t n;
	int fd;

	if (!*hex || blob_exists(&app->blobs, hex))
		return 0;
	snprintf(path, sizeof(path), "%s/files/%s", dir, hex);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return nb_fail(e, NB_INVALID, "%s: %s", path, strerror(errno));
	if (blob_writer_open(&app->blobs, &w) < 0) {
		close(fd);
		return nb_fail(e, NB_UNAVAILABLE, "cannot write the blob store");
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 && blob_writer_write(&w, buf, (size_t)n) == 0)
		;
	close(fd);
	if (n != 0 || (size >= 0 && (long long)w.size != size)) {
		blob_writer_abort(&w);
		return nb_fail(e, NB_INVALID, "%s: %s", path, n ? "cannot be read" :
			       "its size is not the size the export names");
	}
	if (blob_writer_commit(&w, hex, got) < 0)
		return nb_fail(e, NB_INVALID, "%s does not hash to its name", path);
	return 0;
}

/* Every file entry checked and its blobs stored; 0 or -1 with e. */
static int import_blobs(struct app *app, struct arena *a, const char *dir, const cJSON *files,
			struct nb_err *e)
{
	char user[PYPI_NAME_MAX], index[PYPI_NAME_MAX];
	const cJSON *o;
	struct pypi_file f;

	cJSON_ArrayForEach(o, files)
		if (pypi_doc_file(a, o, &f, user, index, e) < 0 ||
		    import_blob(app, dir, f.sha256, f.size, e) < 0 ||
		    import_blob(app, dir, f.metadata_sha256, -1, e) < 0)
			return -1;
	return 0;
}

static int import_users(struct app *app, const cJSON *users, struct nb_err *e)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, users) {
		struct pypi_user u;
		if (pypi_doc_user(o, &u, e) < 0 || pypi_ops_user_import(app, &u, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * Indexes through devpi's config rules (pypi_index_config): all of them
 * first without bases, then the bases, which must name imported indexes.
 */
static int import_indexes(struct app *app, struct arena *a, const cJSON *indexes,
			  struct nb_err *e)
{
	const cJSON *o;
	int pass;

	for (pass = 0; pass < 2; pass++)
		cJSON_ArrayForEach(o, indexes) {
			const char *user, *name;
			struct pypi_index ix;
			cJSON *cfg;
			int rc;
			if (pypi_doc_index(o, &user, &name, e) < 0)
				return -1;
			if (pass == 0)
				pypi_index_defaults(&ix, user, name);
			else if (pypi_index_get(app, a, user, name, &ix, e) < 0)
				return -1;
			cfg = cJSON_Duplicate(o, 1);
			/* the entry's names are no config keys */
			cJSON_DeleteItemFromObject(cfg, "user");
			cJSON_DeleteItemFromObject(cfg, "name");
			if (pass == 0)
				cJSON_DeleteItemFromObject(cfg, "bases");
			rc = pypi_index_config(app, a, &ix, cfg, e);
			cJSON_Delete(cfg);
			if (rc < 0 || pypi_index_put(app, &ix, pass == 0, e) < 0)
				return nb_err_prefix(e, "index %s/%s", user, name);
		}
	return 0;
}

static int import_rows(struct app *app, struct arena *a, const cJSON *files, struct nb_err *e)
{
	char user[PYPI_NAME_MAX], index[PYPI_NAME_MAX];
	const cJSON *o;
	struct pypi_index ix;
	struct pypi_file f;

	cJSON_ArrayForEach(o, files) {
		if (pypi_doc_file(a, o, &f, user, index, e) < 0 ||
		    pypi_index_get(app, a, user, index, &ix, e) < 0)
			return nb_err_prefix(e, "file %s", f.filename ? f.filename : "?");
		f.index_id = ix.id;
		if (pypi_file_put(app, &f, 0, e) < 0 ||
		    (f.yanked && pypi_ops_file_yank(app, ix.id, f.filename, f.yanked, e) < 0))
			return nb_err_prefix(e, "file %s", f.filename ? f.filename : "?");
	}
	return 0;
}

/* The rows, in one transaction that first finds the store still empty. */
static int import_store(struct app *app, struct arena *a, const cJSON *root, struct nb_err *e)
{
	int used;

	if (db_begin(app->db) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy");
	used = pypi_ops_store_used(app, e);
	if (used > 0)
		nb_fail(e, NB_CONFLICT, "the store already holds Python index users, indexes "
			"or files: import needs an empty store (a new one from nestboxctl init)");
	if (used != 0 || pypi_ops_indexes_clear(app, e) < 0 ||
	    import_users(app, cJSON_GetObjectItem(root, "users"), e) < 0 ||
	    import_indexes(app, a, cJSON_GetObjectItem(root, "indexes"), e) < 0 ||
	    import_rows(app, a, cJSON_GetObjectItem(root, "files"), e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	if (db_commit(app->db) < 0) {
		db_rollback(app->db);
		return nb_fail(e, NB_UNAVAILABLE, "cannot commit the import");
	}
	pypi_static_reset(app);		/* pages rebuilt by pypi.fcgi on their misses */
	return 0;
}

/* dir/pypi.json parsed and of this format; NULL with e. */
static cJSON *read_export(struct arena *a, const char *dir, struct nb_err *e)
{
	char *path = arena_cat(a, dir, "/pypi.json", NULL), *text;
	size_t len;
	cJSON *root;

	if (!(text = fs_read_small(a, path, JSON_MAX, &len))) {
		nb_fail(e, NB_INVALID, "cannot read %s", path);
		return NULL;
	}
	if (!(root = pypi_doc_parse(text, len, e)))
		nb_err_prefix(e, "%s", path);
	return root;
}

int ctl_cmd_pypi_import(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	struct app app;
	struct nb_err e;
	struct arena a;
	cJSON *root;
	int rc = 0, used;

	optind = 1;
	if (ctl_getopt("pypi", argc, argv, none) != -1 ||
	    ctl_operands("pypi", argc, argv, 1, 1, "the directory to import from") < 0)
		return 2;
	arena_init(&a);
	if (!(root = read_export(&a, argv[optind], &e))) {
		arena_free(&a);
		return ctl_fail(NULL, &e);
	}
	/* not ctl_pypi_open: root comes from the export, not from this start */
	if (ctl_open(&app) < 0) {
		cJSON_Delete(root);
		arena_free(&a);
		return 1;
	}
	/* refused before any blob is copied; import_store checks again */
	used = pypi_ops_store_used(&app, &e);
	if (used > 0)
		nb_fail(&e, NB_CONFLICT, "the store already holds Python index users, indexes or "
			"files: import needs an empty store (a new one from nestboxctl init)");
	if (used != 0 ||
	    import_blobs(&app, &a, argv[optind], cJSON_GetObjectItem(root, "files"), &e) < 0 ||
	    import_store(&app, &a, root, &e) < 0)
		rc = ctl_fail("import", &e);
	if (!rc) {
		say_moved(&app, root, "import", argv[optind]);
	}
	cJSON_Delete(root);
	arena_free(&a);
	app_close(&app);
	return rc;
}
