/*
 * twine's upload: POST /pypi/{user}/{index}/ as multipart/form-data with
 * Basic auth.  The body is parsed as it streams in; the "content" part
 * goes straight into a blob-store temp file (never into memory), and
 * becomes visible only after its digests, file name and core metadata
 * were checked.  Answers as twine expects them (protocols/pypi-index.md):
 * 200 empty, 401 with a Basic challenge, 403, 400, 409.  The callbacks
 * (pypi_up_*) are public for the fuzz target of the form.
 */
#include "pypi.h"
#include "pypi_ops.h"
#include "../lib/multipart.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The form fields read (everything else is ignored: metadata comes from the file). */
enum { F_NAME, F_VERSION, F_ACTION, F_SHA256, F_MD5, F_COUNT, F_CONTENT = 100 };
static const char *const field_names[F_COUNT] = {
	"name", "version", ":action", "sha256_digest", "md5_digest"
};
/* The fields that may come once (the ones read, and the file): a second
 * "version" or "content" would say two things at once.  Others repeat
 * by design (classifiers, requires_dist). */
static const char *const once_names[] = {
	"name", "version", ":action", "sha256_digest", "md5_digest", "content", NULL
};

struct up {
	char val[F_COUNT][PYPI_FIELD_MAX + 1];
	int cur;			/* field, F_CONTENT, or -1 */
	size_t cur_len;
	int have_file;
	char filename[256];
	struct blob_writer *bw;
	struct hash_ctx md5;
	const char *why;		/* a callback's refusal, for the parser's caller */
	char why_buf[200];		/* why, when it names a field */
	unsigned long long seen;	/* once_names seen (multipart_once) */
	int store_failed;		/* why is the blob store's failure, not the form's */
};

/* Fields to parse an upload form (shared with the fuzz target). */
int pypi_up_begin(void *ctx, const struct multipart_part *p)
{
	struct up *u = ctx;
	int i;

	u->cur = -1;
	u->cur_len = 0;
	for (i = 0; once_names[i]; i++)
		if (!strcmp(p->name, once_names[i]) &&
		    multipart_once(&u->seen, i, once_names[i], NULL) < 0) {
			snprintf(u->why_buf, sizeof(u->why_buf),
				 "the form field \"%s\" is given twice", once_names[i]);
			u->why = u->why_buf;
			return -1;
		}
	if (!strcmp(p->name, "content")) {
		/* twine sends the file's base name; a path is no name of ours
		 * to cut silently (the parser cut it: filename_path) */
		if (p->filename_path) {
			u->why = "the file name may not hold a path ('/' or '\\')";
			return -1;
		}
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
			u->store_failed = 1;
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

static const struct multipart_callbacks up_cb = { pypi_up_begin, pypi_up_data, pypi_up_end };

/* Streams the body through the parser; 0, or -1 with e. */
static int receive(struct http_req *r, struct up *u, long long max, struct nb_err *e)
{
	struct multipart *m = arena_alloc(r->a, sizeof(*m));
	char boundary[MP_BOUNDARY_MAX + 1], *buf = arena_alloc(r->a, 65536);
	long long left = r->content_length;

	if (multipart_boundary(http_header(r, "Content-Type"), boundary, sizeof(boundary), e) < 0)
		return -1;
	if (left < 0)
		return nb_fail(e, NB_LENGTH_REQUIRED, "Content-Length required");
	if (left > max)
		return nb_fail(e, NB_TOO_LARGE, "the upload is larger than pypi.max_upload");
	multipart_init(m, boundary, &up_cb, u);
	while (left > 0) {
		long n = http_read_some(r, buf, left > 65536 ? 65536 : (size_t)left);
		if (n <= 0)
			return nb_fail(e, NB_INVALID, "the upload is incomplete");
		if (multipart_feed(m, buf, (size_t)n, e) < 0) {	/* a callback's own reason first */
			if (u->store_failed)	/* ours, not the client's: 503, retry */
				return nb_fail(e, NB_UNAVAILABLE, "%s", u->why);
			return u->why ? nb_fail(e, NB_INVALID, "%s", u->why) : -1;
		}
		left -= n;
	}
	return multipart_finish(m, e);
}

/* Lowercase hex of at most 64 digits, or NULL for an absent field. */
static const char *digest_field(char *v)
{
	char *p;

	for (p = v; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return *v ? v : NULL;
}

/* The file's name, form and metadata agree; f gets name, version and
 * the metadata fields (strings in a).  0, or -1 with NB_INVALID. */
static int check_names(struct arena *a, struct up *u, const struct pypi_fname *fn,
		       const struct pypi_meta *meta, struct pypi_file *f, struct nb_err *e)
{
	struct buf deps;
	int i;

	if (!pypi_project_ok(meta->name) || !pypi_version_ok(meta->version))
		return nb_fail(e, NB_INVALID, "the metadata's Name or Version is not a valid "
			       "project name or version");
	f->project = pypi_normalize(a, meta->name);
	if (strcmp(pypi_normalize(a, fn->name), f->project) || strcmp(fn->version, meta->version))
		return nb_fail(e, NB_INVALID,
			       "the file name does not carry the name and version of its metadata");
	if ((u->val[F_NAME][0] && strcmp(pypi_normalize(a, u->val[F_NAME]), f->project)) ||
	    (u->val[F_VERSION][0] && strcmp(u->val[F_VERSION], meta->version)))
		return nb_fail(e, NB_INVALID,
			       "the form's name or version differs from the file's metadata");
	buf_init(&deps, a);
	for (i = 0; i < meta->nrequires_dist; i++)
		buf_printf(&deps, "%s%s", i ? "\n" : "", meta->requires_dist[i]);
	f->name = meta->name;
	f->version = meta->version;
	f->summary = meta->summary;
	f->requires_python = meta->requires_python;
	f->requires_dist = buf_cstr(&deps);
	return 0;
}

/* Stores a wheel's METADATA as a blob (PEP 658); its hash in *hex. */
static int store_metadata(struct app *app, struct arena *a, const char *text, size_t len,
			  const char **hex, struct nb_err *e)
{
	struct blob_writer w;
	char *h = arena_alloc(a, HASH_HEX_MAX);

	if (blob_writer_open(&app->blobs, &w) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot store the metadata (disk full?)");
	if (blob_writer_write(&w, text, len) < 0 || blob_writer_commit(&w, NULL, h) < 0) {
		blob_writer_abort(&w);
		return nb_fail(e, NB_UNAVAILABLE, "cannot store the metadata (disk full?)");
	}
	*hex = h;
	return 0;
}

/*
 * Checks the file against its name, the form and its own metadata; fills
 * f (strings in a) and, for a wheel, stores METADATA as a blob.  0, or
 * -1 with e.
 */
static int check_file(struct app *app, struct arena *a, struct up *u, int tmp,
		      struct pypi_file *f, struct nb_err *e)
{
	struct pypi_fname fn;
	struct pypi_meta meta;
	char *text;
	size_t len;

	if (pypi_fname_parse(u->filename, u->val[F_NAME][0] ? u->val[F_NAME] : NULL, &fn, e) < 0 ||
	    pypi_dist_read(a, tmp, &fn, &text, &len, e) < 0 ||
	    pypi_meta_parse(a, text, len, &meta, e) < 0 ||
	    check_names(a, u, &fn, &meta, f, e) < 0)
		return -1;
	f->metadata_sha256 = "";
	if (fn.kind == PYPI_WHEEL)
		return store_metadata(app, a, text, len, &f->metadata_sha256, e);
	return 0;
}

/*
 * A file of f's project on the index whose name differs from f's only in
 * case: 1 with NB_CONFLICT naming it, 0 when none, -1 with e.  pip saves
 * a download under its link's name, so on a case-insensitive disk (macOS,
 * Windows) two such names are one file; and the wheel spec's names are
 * case-sensitive text that a reader normalizes (PEP 427, PEP 503), so the
 * two would be one distribution with two contents.
 */
static int case_twin(struct app *app, struct arena *a, const struct pypi_file *f,
		     struct nb_err *e)
{
	struct pypi_file *v;
	int n = pypi_files_of(app, a, f->index_id, f->project, &v, e), i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].filename, f->filename) && !strcasecmp(v[i].filename, f->filename)) {
			nb_fail(e, NB_CONFLICT, "the file %s is here already: a name that differs "
				"only in case is the same file on a case-insensitive disk",
				v[i].filename);
			return 1;
		}
	return n < 0 ? -1 : 0;
}

/*
 * Records the file in one transaction: an identical re-upload changes
 * nothing (200), a different file under an existing name is a conflict
 * on a non-volatile index and replaces the old one on a volatile index.
 */
static int record(struct app *app, struct arena *a, const struct pypi_index *ix,
		  struct pypi_file *f, struct nb_err *e)
{
	struct pypi_file old;
	struct nb_err why;
	int have;

	if (db_begin(app->db) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy");
	/* a file the store cannot look up is no answer, not "a new name" */
	have = pypi_file_by_name(app, a, ix->id, f->filename, &old, &why) == 0;
	if (!have && why.kind != NB_NOT_FOUND) {
		db_rollback(app->db);
		if (e)
			*e = why;
		return -1;
	}
	if (have && !strcmp(old.sha256, f->sha256)) {
		db_commit(app->db);
		return 0;
	}
	if (!have && case_twin(app, a, f, e) != 0) {
		db_rollback(app->db);
		return -1;
	}
	if (have && !ix->volatile_) {
		db_rollback(app->db);
		return nb_fail(e, NB_CONFLICT,
			       "a different file of this name exists on this non-volatile index");
	}
	if (pypi_file_put(app, f, have, e) < 0) {
		db_rollback(app->db);
		return -1;
	}
	if (db_commit(app->db) < 0) {
		db_rollback(app->db);
		return nb_fail(e, NB_UNAVAILABLE, "cannot record the upload");
	}
	return 0;
}

int pypi_upload_stage(const struct pypi_index *ix, struct nb_err *e)
{
	if (strcmp(ix->type, "stage"))
		return nb_fail(e, NB_FORBIDDEN, "a mirror index takes no uploads");
	return 0;
}

/* Who may upload (into *user, NULL when anonymous): 0, or -1 with
 * NB_UNAUTHORIZED / NB_FORBIDDEN. */
static int upload_auth(struct app *app, struct http_req *r, const struct pypi_index *ix,
		       const char **userp, struct nb_err *e)
{
	const char *user;

	if (pypi_auth_user(app, r, userp, e) < 0)
		return -1;
	if (pypi_upload_stage(ix, e) < 0)
		return -1;
	user = *userp;
	if (pypi_may_upload(ix, user))
		return 0;
	if (!user)
		return nb_fail(e, NB_UNAUTHORIZED, "log in to upload to this index");
	return nb_fail(e, NB_FORBIDDEN, "this user may not upload to this index (acl_upload)");
}

/* A refused upload leaves no blob behind that no row names (one the store
 * cannot say of is kept: gc removes it later). */
static void drop_unused(struct app *app, const char *hex)
{
	if (hex && *hex && pypi_blob_used(app, hex, NULL) == 0)
		blob_remove(&app->blobs, hex);
}

/* The digests the form gave, against the file's. */
static int check_md5(struct up *u, char *md5, struct nb_err *e)
{
	const char *want = digest_field(u->val[F_MD5]);

	hash_final_hex(&u->md5, md5);
	if (want && strcmp(want, md5))
		return nb_fail(e, NB_INVALID, "md5_digest does not match the file");
	return 0;
}

/* After the body: checks, stores and records (strings in a); 0 or -1 with e. */
static int finish(struct app *app, struct arena *a, struct up *u, struct blob_writer *bw,
		  const struct pypi_index *ix, struct tmpl_set *set, struct nb_err *e)
{
	struct pypi_file *f = arena_zalloc(a, sizeof(*f));
	char md5[HASH_HEX_MAX], *sha = arena_alloc(a, HASH_HEX_MAX);
	int rc, fd;

	if (check_md5(u, md5, e) < 0)
		return -1;
	f->filename = arena_strdup(a, u->filename);
	/* the upload as written so far, read back through the writer's own
	 * temp directory (never a path that a link could redirect) */
	fd = openat(bw->tmpdir, bw->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot read the upload back");
	rc = check_file(app, a, u, fd, f, e);
	close(fd);
	if (rc < 0)
		return -1;
	f->size = (long long)bw->size;
	if (blob_writer_commit(bw, digest_field(u->val[F_SHA256]), sha) < 0) {
		int mismatch = errno == EBADMSG;
		drop_unused(app, f->metadata_sha256);
		return nb_fail(e, mismatch ? NB_INVALID : NB_UNAVAILABLE, "%s", mismatch ?
			       "sha256_digest does not match the file" :
			       "cannot store the upload (disk full?)");
	}
	f->sha256 = sha;
	f->md5 = arena_strdup(a, md5);
	f->index_id = ix->id;
	if ((rc = record(app, a, ix, f, e)) < 0) {
		drop_unused(app, sha);
		drop_unused(app, f->metadata_sha256);
	} else {
		pypi_static_project(app, set, ix->id, f->project);
	}
	return rc;
}

/* The form as twine sends it: :action file_upload with one file. */
static int check_form(const struct up *u, struct nb_err *e)
{
	if (strcmp(u->val[F_ACTION], "file_upload"))
		return nb_fail(e, NB_INVALID, "the form's :action is not file_upload");
	if (!u->have_file)
		return nb_fail(e, NB_INVALID, "the form has no 'content' file");
	return 0;
}

static int upload(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct pypi *p = app->domain;
	struct pypi_index *ix;
	struct up *u;
	struct blob_writer *bw;
	const char *me;
	int rc;

	if (!(ix = pypi_req_index(app, r, e)) || upload_auth(app, r, ix, &me, e) < 0)
		return -1;
	u = arena_zalloc(r->a, sizeof(*u));
	bw = arena_zalloc(r->a, sizeof(*bw));
	u->cur = -1;
	if (blob_writer_open(&app->blobs, bw) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot create a temporary file");
	if (hash_init(&u->md5, HASH_MD5) < 0) {
		blob_writer_abort(bw);
		return nb_fail(e, NB_INTERNAL, "no md5");
	}
	u->bw = bw;
	rc = receive(r, u, p->set.max_upload, e);
	/* "submit" (register) needs nothing stored: the upload carries all */
	if (rc == 0 && !strcmp(u->val[F_ACTION], "submit"))
		rc = 1;
	else if (rc == 0)
		rc = check_form(u, e);
	if (rc == 0)
		rc = finish(app, r->a, u, bw, ix, p->tmpl, e);
	else
		hash_free(&u->md5);
	if (bw->fd >= 0 && bw->tmp[0])
		blob_writer_abort(bw);
	if (rc < 0)
		return -1;
	if (rc == 0)
		pypi_audit(app, me, "pypi upload", "%s/%s %s", ix->user, ix->name, u->filename);
	http_bytes(w, 200, "text/plain; charset=utf-8", "", 0);
	return 0;
}

/* POST /pypi/{user}/{index}/ */
int pypi_upload(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	return pypi_challenge(app, r, w, upload(app, r, w, e), e);
}

/* Streams fd into the upload's temp blob as the form's "content" part would. */
static int copy_in(struct arena *a, struct up *u, int fd, struct nb_err *e)
{
	char *buf = arena_alloc(a, 65536);
	ssize_t n;

	while ((n = read(fd, buf, 65536)) > 0)
		if (pypi_up_data(u, buf, (size_t)n) < 0)
			return nb_fail(e, NB_UNAVAILABLE, "%s", u->why);
	if (n < 0)
		return nb_fail(e, NB_INVALID, "cannot read the file: %s", strerror(errno));
	return 0;
}

int pypi_upload_fd(struct app *app, struct arena *a, const struct pypi_index *ix,
		   const char *filename, int fd, struct nb_err *e)
{
	struct up *u = arena_zalloc(a, sizeof(*u));
	struct blob_writer *bw = arena_zalloc(a, sizeof(*bw));
	int rc;

	if (pypi_upload_stage(ix, e) < 0)
		return -1;
	if (strlen(filename) >= sizeof(u->filename))
		return nb_fail(e, NB_INVALID, "the file name is too long");
	snprintf(u->filename, sizeof(u->filename), "%s", filename);
	u->cur = F_CONTENT;
	u->have_file = 1;
	if (blob_writer_open(&app->blobs, bw) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "cannot create a temporary file");
	if (hash_init(&u->md5, HASH_MD5) < 0) {
		blob_writer_abort(bw);
		return nb_fail(e, NB_INTERNAL, "no md5");
	}
	u->bw = bw;
	rc = copy_in(a, u, fd, e);
	if (rc == 0)
		rc = finish(app, a, u, bw, ix, NULL, e);	/* no templates here */
	else
		hash_free(&u->md5);
	if (bw->fd >= 0 && bw->tmp[0])
		blob_writer_abort(bw);
	return rc;
}
