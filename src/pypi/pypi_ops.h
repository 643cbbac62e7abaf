/*
 * pypi_ops.h - what the operators' doors to the Python index (nestboxctl
 * pypi, the admin pages under /admin/pypi) call beyond pypi.h: the
 * upload of a file already on disk through the same checks as twine's,
 * devpi's index config applied from any source, per-file yank and
 * delete, per-index sizes, and what export and import need.  The SQL is
 * in pypi_ops_store.c; nothing here answers HTTP.
 */
#ifndef NB_PYPI_OPS_H
#define NB_PYPI_OPS_H

#include "pypi.h"

struct cJSON;

/* -- pypi_upload.c -- */

/* NB_FORBIDDEN unless ix is a stage (a mirror takes no uploads). */
int pypi_upload_stage(const struct pypi_index *ix, struct nb_err *e);
/*
 * Uploads the distribution open on fd (read from its current offset to
 * its end) as filename onto ix, through the checks and the record of
 * twine's upload (pypi_upload.c): file name, metadata read from the
 * file, non-volatile conflicts (NB_CONFLICT), an identical file again is
 * 0.  No rights are checked: the caller is the operator.  0, or -1 with e.
 */
int pypi_upload_fd(struct app *app, struct arena *a, const struct pypi_index *ix,
		   const char *filename, int fd, struct nb_err *e);

/* -- pypi_audit.c -- */

/*
 * Records in the audit feed (admin_audit.h, via "api") that the devpi
 * user (NULL: anonymous) did action ("pypi upload") on target
 * ("alice/dev file.whl", printf-style, cut to AUDIT_TEXT_MAX).
 * Nothing is returned: a failed write goes to stderr (the error log).
 */
void pypi_audit(struct app *app, const char *user, const char *action,
		const char *target_fmt, ...) __attribute__((format(printf, 4, 5)));

/* -- pypi_http.c -- */

/* pypi_req_writable (pypi.h), with the user it let in in *user. */
struct pypi_index *pypi_req_writable_as(struct app *app, struct http_req *r, const char **user,
					struct nb_err *e);

/* -- pypi_meta.c -- */

/*
 * Reads the whole distribution open on fd (a wheel by its zip central
 * directory, an sdist .tar.gz/.tar.bz2/.zip to its end), so that a
 * truncated archive or a damaged entry (zip CRC) is refused, and returns
 * its core metadata (METADATA or PKG-INFO, at most PYPI_META_MAX bytes)
 * in text/len (in a).  A wheel must hold METADATA, WHEEL and RECORD in
 * the {name}-{version}.dist-info that fn's name and version name (PEP
 * 427).  0, or -1 with NB_INVALID "not a valid wheel|sdist: ...".
 */
int pypi_dist_read(struct arena *a, int fd, const struct pypi_fname *fn,
		   char **text, size_t *len, struct nb_err *e);

/* -- pypi_index.c -- */

/* A new stage index of user as devpi makes it: volatile, acl_upload the owner. */
void pypi_index_defaults(struct pypi_index *ix, const char *user, const char *name);
/*
 * Applies devpi's index config keys in o (type, volatile, bases,
 * acl_upload, mirror_whitelist, mirror_url, mirror_cache_expiry, title:
 * lists as JSON arrays or comma-separated strings, volatile a JSON
 * boolean) onto ix, and checks that every base exists.  Strings
 * in a.  0, or -1 with NB_INVALID naming the key, NB_CONFLICT (the bases
 * would make a cycle), NB_UNAVAILABLE (the store cannot read a base).
 */
int pypi_index_config(struct app *app, struct arena *a, struct pypi_index *ix,
		      const struct cJSON *o, struct nb_err *e);

/*
 * One config value typed as text (nestboxctl's key=value, the admin
 * form's fields) as pypi_index_config reads JSON: volatile "true" or
 * "false" (any case) a JSON boolean, anything else a string (a volatile
 * that is neither is then refused by name).  A new item.
 */
struct cJSON *pypi_config_text_value(const char *key, const char *v);

/* -- pypi_store.c -- */

/* Every user name, sorted, into *out (NULL-terminated, arena a): the
 * count, or -1 with e NB_UNAVAILABLE (a step failed: never a shorter list). */
int pypi_user_list(struct app *app, struct arena *a, const char ***out, struct nb_err *e);

/* -- pypi_ops_store.c: 0 or a count, or -1 with e (NB_UNAVAILABLE) -- */

/* What one index holds. */
struct pypi_index_stats {
	long long projects, files, bytes;
};

int pypi_ops_index_stats(struct app *app, long long index_id, struct pypi_index_stats *out,
			 struct nb_err *e);
/* Yanks (reason non-NULL, "" for no reason) or unyanks one file; the count (0 or 1). */
int pypi_ops_file_yank(struct app *app, long long index_id, const char *filename,
		       const char *reason, struct nb_err *e);
/* Deletes one file's row (its blob goes by gc); the count (0 or 1). */
int pypi_ops_file_del(struct app *app, long long index_id, const char *filename,
		      struct nb_err *e);
/*
 * 1 when the store holds anything an import would overwrite: a user
 * other than root, an index other than root/pypi, or a file; else 0
 * (what pypi.fcgi's first start leaves is empty).
 */
int pypi_ops_store_used(struct app *app, struct nb_err *e);
/* Removes every index (import, after pypi_ops_store_used said 0). */
int pypi_ops_indexes_clear(struct app *app, struct nb_err *e);
/* A user's row as exported: NB_CONFLICT when it exists and is not root,
 * root's password hash and email replaced. */
int pypi_ops_user_import(struct app *app, const struct pypi_user *u, struct nb_err *e);

/*
 * -- pypi_ops_doc.c: the export document (<dir>/pypi.json) --
 *
 * {"format": PYPI_DOC_FORMAT, "format_version": PYPI_DOC_VERSION,
 *  "users":   [{"name", "email", "pw_hash"}],
 *  "indexes": [{"user", "name", and devpi's indexconfig keys}],
 *  "files":   [{"index": "user/name", "project", "name", "version",
 *               "filename", "sha256", "md5", "size", "requires_python",
 *               "summary", "requires_dist": [...], "metadata_sha256",
 *               "uploaded_ms", "yanked": null or the reason}]}
 * The readers take outside bytes: 0, or -1 with NB_INVALID naming the
 * entry; strings point into the cJSON tree unless said otherwise.
 */
#define PYPI_DOC_FORMAT "nestbox-pypi"
#define PYPI_DOC_VERSION 1

/* text as a document of this format with its three arrays, or NULL with
 * e; the caller cJSON_Delete()s it. */
struct cJSON *pypi_doc_parse(const char *text, size_t len, struct nb_err *e);
int pypi_doc_user(const struct cJSON *o, struct pypi_user *u, struct nb_err *e);
int pypi_doc_index(const struct cJSON *o, const char **user, const char **name,
		   struct nb_err *e);
/* A file entry into f (requires_dist in a) and its index's names into
 * user and index (PYPI_NAME_MAX bytes each). */
int pypi_doc_file(struct arena *a, const struct cJSON *o, struct pypi_file *f, char *user,
		  char *index, struct nb_err *e);
/* "user/index" into its names (PYPI_NAME_MAX each); 0, or -1 when it is none. */
int pypi_doc_split(const char *s, char *user, char *index);
/* The entries as export writes them. */
struct cJSON *pypi_doc_user_json(const struct pypi_user *u);
struct cJSON *pypi_doc_index_json(struct arena *a, const struct pypi_index *ix);
struct cJSON *pypi_doc_file_json(struct arena *a, const struct pypi_file *f);

#endif
