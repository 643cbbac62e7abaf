/*
 * twine's upload: POST /pypi/{user}/{index}/ as multipart/form-data with
 * Basic auth.  The body is parsed as it streams in; the "content" part
 * goes straight into a blob-store temp file (never into memory), and
 * becomes visible only after its digests, file name and core metadata
 * were checked.  Answers as twine expects them (protocols/pypi-index.md):
 * 200 empty, 401 with a Basic challenge, 403, 400, 409.
 */
#include "pypi.h"
#include "../lib/multipart.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The form fields read (everything else is ignored: metadata comes from the file). */
enum { F_NAME, F_VERSION, F_ACTION, F_SHA256, F_MD5, F_COUNT, F_CONTENT = 100 };
static const char *const field_names[F_COUNT] = {
	"name", "version", ":action", "sha256_digest", "md5_digest"
};

struct up {
	char val[F_COUNT][PYPI_FIELD_MAX + 1];
	int cur;			/* field, F_CONTENT, or -1 */
	size_t cur_len;
	int have_file;
	char filename[256];
	struct blob_writer *bw;
	struct hash_ctx md5;
	const char *why;
};

/* Fields to parse an upload form (shared with the fuzz target). */
int pypi_up_begin(void *ctx, const struct mp_part *p)
{
	struct up *u = ctx;
	int i;

	u->cur = -1;
	u->cur_len = 0;
	if (!strcmp(p->name, "content")) {
		if (u->have_file || !p->filename[0]) {
			u->why = "one file per upload, in the 'content' part with a file name";
			return -1;
		}
		u->have_file = 1;
		u->cur = F_CONTENT;
		snprintf(u->filename, sizeof(u->filename), "%s", p->filename);
		return 0;
	}
	for (i = 0; i < F_COUNT; i++)
		if (!strcmp(p->name, field_names[i]))
			u->cur = i;
	if (u->cur >= 0)
		u->val[u->cur][0] = '\0';
	return 0;
}

int pypi_up_data(void *ctx, const char *p, size_t n)
{
	struct up *u = ctx;

	if (u->cur == F_CONTENT) {
		hash_update(&u->md5, p, n);
		if (u->bw && blob_writer_write(u->bw, p, n) < 0) {
			u->why = "cannot store the upload (disk full?)";
			return -1;
		}
		return 0;
	}
	if (u->cur < 0)
		return 0;
	if (u->cur_len + n > PYPI_FIELD_MAX) {
		u->why = "a form field is too long";
		return -1;
	}
	memcpy(u->val[u->cur] + u->cur_len, p, n);
	u->cur_len += n;
	u->val[u->cur][u->cur_len] = '\0';
	return 0;
}

int pypi_up_end(void *ctx)
{
	((struct up *)ctx)->cur = -1;
	return 0;
}

static const struct mp_callbacks up_cb = { pypi_up_begin, pypi_up_data, pypi_up_end };

/* Streams the body through the parser; 0 or an HTTP status (why in *why). */
static int receive(struct http_req *r, struct up *u, long long max, const char **why)
{
	struct multipart *m = arena_alloc(r->a, sizeof(*m));
	char boundary[MP_BOUNDARY_MAX + 1], *buf = arena_alloc(r->a, 65536);
	long long left = r->content_length;

	if (mp_boundary(http_env(r, "CONTENT_TYPE"), boundary, sizeof(boundary)) < 0) {
		*why = "expected a multipart/form-data upload";
		return 400;
	}
	if (left < 0) {
		*why = "Content-Length required";
		return 411;
	}
	if (left > max) {
		*why = "the upload is larger than pypi.max_upload";
		return 413;
	}
	mp_init(m, boundary, &up_cb, u);
	while (left > 0) {
		long n = http_read_some(r, buf, left > 65536 ? 65536 : (size_t)left);
		if (n <= 0 || mp_feed(m, buf, (size_t)n) < 0) {
			*why = u->why ? u->why : m->err ? m->err : "the upload is incomplete";
			return 400;
		}
		left -= n;
	}
	if (mp_finish(m) < 0) {
		*why = m->err ? m->err : "the upload is incomplete";
		return 400;
	}
	return 0;
}

/* devpi's acl_upload; root, its superuser, always may */
int pypi_may_upload(const struct pypi_index *ix, const char *user)
{
	if (pypi_list_has(ix->acl_upload, ":ANONYMOUS:"))
		return 1;
	return user && (!strcmp(user, "root") || pypi_list_has(ix->acl_upload, user) ||
			pypi_list_has(ix->acl_upload, ":AUTHENTICATED:"));
}

/* Lowercase hex of at most 64 digits, or NULL for an absent field. */
static const char *digest_field(char *v)
{
	char *p;

	for (p = v; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return *v ? v : NULL;
}

/*
 * Checks the file against its name, the form and its own metadata; fills
 * f (strings in a) and, for a wheel, stores METADATA as a blob.  0, or
 * 400 with *why.
 */
static int check_file(struct app *app, struct arena *a, struct up *u, int tmp,
		      struct pypi_file *f, const char **why)
{
	struct pypi_fname fn;
	struct pypi_meta meta;
	char *text;
	size_t len;
	struct buf deps;
	int i;

	if (pypi_fname_parse(u->filename, u->val[F_NAME][0] ? u->val[F_NAME] : NULL, &fn, why) < 0 ||
	    pypi_meta_read(a, tmp, fn.kind, &text, &len, why) < 0 ||
	    pypi_meta_parse(a, text, len, &meta, why) < 0)
		return 400;
	if (!pypi_project_ok(meta.name) || !pypi_version_ok(meta.version)) {
		*why = "the metadata's Name or Version is not a valid project name or version";
		return 400;
	}
	f->project = pypi_normalize(a, meta.name);
	if (strcmp(pypi_normalize(a, fn.name), f->project) || strcmp(fn.version, meta.version)) {
		*why = "the file name does not carry the name and version of its metadata";
		return 400;
	}
	if ((u->val[F_NAME][0] && strcmp(pypi_normalize(a, u->val[F_NAME]), f->project)) ||
	    (u->val[F_VERSION][0] && strcmp(u->val[F_VERSION], meta.version))) {
		*why = "the form's name or version differs from the file's metadata";
		return 400;
	}
	buf_init(&deps, a);
	for (i = 0; i < meta.nrequires_dist; i++)
		buf_printf(&deps, "%s%s", i ? "\n" : "", meta.requires_dist[i]);
	f->name = meta.name;
	f->version = meta.version;
	f->summary = meta.summary;
	f->requires_python = meta.requires_python;
	f->requires_dist = buf_cstr(&deps);
	f->metadata_sha256 = "";
	if (fn.kind == PYPI_WHEEL) {
		struct blob_writer w;
		char *hex = arena_alloc(a, HASH_HEX_MAX);
		if (blob_writer_open(&app->blobs, &w) < 0)
			return 503;
		if (blob_writer_write(&w, text, len) < 0 || blob_writer_commit(&w, NULL, hex) < 0) {
			blob_writer_abort(&w);
			*why = "cannot store the metadata (disk full?)";
			return 503;
		}
		f->metadata_sha256 = hex;
	}
	return 0;
}

/*
 * Records the file in one transaction: an identical re-upload changes
 * nothing (200), a different file under an existing name is 409 on a
 * non-volatile index and replaces the old one on a volatile index.
 */
static int record(struct app *app, struct arena *a, const struct pypi_index *ix,
		  struct pypi_file *f, const char **why)
{
	struct pypi_file old;
	int have, rc;

	if (db_begin(app->db) < 0) {
		*why = "the store is busy";
		return 503;
	}
	have = pypi_file_by_name(app, a, ix->id, f->filename, &old) == 0;
	if (have && !strcmp(old.sha256, f->sha256)) {
		db_commit(app->db);
		return 0;
	}
	if (have && !ix->volatile_) {
		db_rollback(app->db);
		*why = "a different file of this name exists on this non-volatile index";
		return 409;
	}
	rc = pypi_file_put(app, f, have);
	if (rc < 0 || db_commit(app->db) < 0) {
		db_rollback(app->db);
		*why = "cannot record the upload";
		return 503;
	}
	return 0;
}

/* Who may upload: 0, or the status already answered. */
static int upload_auth(struct app *app, struct http_req *r, struct http_resp *w,
		       const struct pypi_index *ix)
{
	int bad;
	const char *user = pypi_auth_user(app, r, &bad);

	if (bad) {
		pypi_challenge(app, w, "wrong user name or password");
		return 401;
	}
	if (strcmp(ix->type, "stage")) {
		app_error(app, w, 403, "a mirror index takes no uploads");
		return 403;
	}
	if (pypi_may_upload(ix, user))
		return 0;
	if (!user) {
		pypi_challenge(app, w, "log in to upload to this index");
		return 401;
	}
	app_error(app, w, 403, "this user may not upload to this index (acl_upload)");
	return 403;
}

/* After the body: checks, stores and records; 0 or a status with *why. */
static int finish(struct app *app, struct http_req *r, struct up *u, struct blob_writer *bw,
		  const struct pypi_index *ix, const char **why)
{
	struct pypi_file *f = arena_zalloc(r->a, sizeof(*f));
	const char *want_sha = digest_field(u->val[F_SHA256]);
	const char *want_md5 = digest_field(u->val[F_MD5]);
	char md5[HASH_HEX_MAX], *sha = arena_alloc(r->a, HASH_HEX_MAX);
	int st, fd;

	hash_final_hex(&u->md5, md5);
	if (want_md5 && strcmp(want_md5, md5)) {
		*why = "md5_digest does not match the file";
		return 400;
	}
	f->filename = arena_strdup(r->a, u->filename);
	/* the upload as written so far, read back through the writer's own
	 * temp directory (never a path that a link could redirect) */
	fd = openat(bw->tmpdir, bw->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		*why = "cannot read the upload back";
		return 503;
	}
	st = check_file(app, r->a, u, fd, f, why);
	close(fd);
	if (st != 0)
		return st;
	f->size = (long long)bw->size;
	if (blob_writer_commit(bw, want_sha, sha) < 0) {
		*why = errno == EBADMSG ? "sha256_digest does not match the file" :
		       "cannot store the upload (disk full?)";
		return errno == EBADMSG ? 400 : 503;
	}
	f->sha256 = sha;
	f->md5 = arena_strdup(r->a, md5);
	f->index_id = ix->id;
	st = record(app, r->a, ix, f, why);
	if (st && !pypi_blob_used(app, sha))
		blob_remove(&app->blobs, sha);	/* refused: leave nothing behind */
	if (st && *f->metadata_sha256 && !pypi_blob_used(app, f->metadata_sha256))
		blob_remove(&app->blobs, f->metadata_sha256);
	return st;
}

/* POST /pypi/{user}/{index}/ */
void pypi_upload(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi *p = app->domain;
	struct pypi_index *ix;
	struct up *u;
	struct blob_writer *bw;
	const char *why = NULL;
	int st;

	if (!(ix = pypi_req_index(app, r, w)) || upload_auth(app, r, w, ix))
		return;
	u = arena_zalloc(r->a, sizeof(*u));
	bw = arena_zalloc(r->a, sizeof(*bw));
	u->cur = -1;
	if (blob_writer_open(&app->blobs, bw) < 0 || hash_init(&u->md5, HASH_MD5) < 0) {
		app_error(app, w, 503, "cannot create a temporary file");
		return;
	}
	u->bw = bw;
	st = receive(r, u, p->max_upload, &why);
	if (!st && strcmp(u->val[F_ACTION], "file_upload")) {
		/* "submit" (register) needs nothing stored: the upload carries all */
		st = strcmp(u->val[F_ACTION], "submit") ? 400 : -1;
		why = "the form's :action is not file_upload";
	} else if (!st && !u->have_file) {
		st = 400;
		why = "the form has no 'content' file";
	}
	if (st == 0)
		st = finish(app, r, u, bw, ix, &why);
	else
		hash_free(&u->md5);
	if (bw->fd >= 0 && bw->tmp[0])
		blob_writer_abort(bw);
	if (st > 0)
		app_error(app, w, st, why);
	else
		http_bytes(w, 200, "text/plain; charset=utf-8", "", 0);
}
