/*
 * pypi.h - the Python package index (pypi.fcgi, under /pypi), a
 * replacement for devpi-server: users, their indexes, twine uploads and
 * the simple API pip reads.  Wire facts: protocols/pypi-index.md.
 *
 * URLs are devpi's behind one prefix: /pypi/{user}/{index}/+simple/…,
 * /pypi/{user}/{index}/+f/{h[:3]}/{h[3:16]}/{filename}, uploads POSTed to
 * /pypi/{user}/{index}/.  The prefix keeps the index out of the other
 * programs' URL space (/list, /admin, /{tenant}/controller/v1, …).
 *
 * Users are a realm of their own (pypi_users), not the admin users: a
 * package publisher (a CI job, a developer) must not gain any power over
 * the device fleet, and devpi scripts create and delete index users
 * freely.  Passwords are argon2id (src/lib/auth.h).
 *
 * Files live in the blob store (content-addressed) and are sent by the
 * front end (X-Sendfile).  The store (pypi_store.c) holds every SQL
 * statement of this domain and hands out plain structs.
 */
#ifndef NB_PYPI_H
#define NB_PYPI_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/app.h"
#include "../lib/hash.h"

#define PYPI_PREFIX "/pypi"
#define PYPI_NAME_MAX 128		/* user, index and project names */
#define PYPI_FIELD_MAX 4096		/* one upload form field */
#define PYPI_META_MAX (1 << 20)		/* a METADATA / PKG-INFO file */
#define PYPI_MAX_BASES 16		/* indexes one stage may inherit, transitively */

/* -- names, versions, filenames (pypi_name.c): pure functions -- */

/* PEP 503: lowercase, every run of '-', '_', '.' becomes one '-'. */
char *pypi_normalize(struct arena *a, const char *name);
/* 1 when name is already in PEP 503 normal form. */
int pypi_is_normal(const char *name);
/* A PEP 508 project name: ASCII letters/digits, '-', '_', '.' inside. */
int pypi_project_ok(const char *s);
/* A devpi user or index name: [A-Za-z0-9_.-], not starting with '+'. */
int pypi_ident_ok(const char *s);
/* A PEP 440-shaped version: [A-Za-z0-9.+!_-], starting with a digit or 'v'. */
int pypi_version_ok(const char *s);
/* A file name as pip sees it in a link: no '/', printable, not dot-led. */
int pypi_filename_ok(const char *s);
/* A hash path segment: exactly n lowercase hex digits. */
int pypi_hash3_ok(const char *s);
int pypi_hash13_ok(const char *s);

enum pypi_kind { PYPI_WHEEL, PYPI_SDIST };

/* What a distribution's file name says (PEP 427 wheels, sdists). */
struct pypi_fname {
	enum pypi_kind kind;
	char name[PYPI_NAME_MAX];	/* as in the file name (wheels escape '-' as '_') */
	char version[PYPI_NAME_MAX];
};

/*
 * Splits a distribution file name: wheels are {name}-{ver}[-{build}]-
 * {py}-{abi}-{plat}.whl; sdists {name}-{ver}.tar.gz|.zip|.tar.bz2, where
 * the name itself may hold '-', so the project name (project, may be
 * NULL for wheels) says where it ends.  0, or -1 with *why.
 */
int pypi_fname_parse(const char *filename, const char *project,
		     struct pypi_fname *out, const char **why);

/* What the client accepts for a simple page (PEP 691 negotiation). */
enum pypi_fmt { PYPI_HTML, PYPI_JSON, PYPI_NONE };
/* Parses an Accept header (NULL: HTML) and picks the format by q-value. */
enum pypi_fmt pypi_accept(const char *accept);

/* -- core metadata (pypi_meta.c) -- */

struct pypi_meta {
	const char *metadata_version, *name, *version, *summary, *requires_python;
	const char **requires_dist;	/* NULL-terminated */
	int nrequires_dist;
};

/*
 * Parses a METADATA / PKG-INFO text (RFC 822 headers, continuation lines
 * folded; the body after the first empty line is the description and is
 * not read).  Strings live in a.  0, or -1 with *why (no Name or
 * Version, a malformed header line, a NUL byte).
 */
int pypi_meta_parse(struct arena *a, const char *text, size_t len,
		    struct pypi_meta *out, const char **why);
/*
 * Reads the core metadata file of a wheel ("<x>.dist-info/METADATA" at
 * the top) or an sdist ("<top>/PKG-INFO") from the file open on fd (read
 * from its start; the caller keeps and closes fd), through libarchive.
 * *text and *len receive its bytes (in a).  0, or -1 with *why.
 */
int pypi_meta_read(struct arena *a, int fd, enum pypi_kind kind,
		   char **text, size_t *len, const char **why);
/* The same over bytes in memory (tests, fuzzing). */
int pypi_meta_read_mem(struct arena *a, const void *p, size_t n, enum pypi_kind kind,
		       char **text, size_t *len, const char **why);

/* -- the store (pypi_store.c) -- */

struct pypi_index {
	long long id;
	const char *user, *name, *type;		/* type: "stage" or "mirror" */
	int volatile_;
	const char *bases, *acl_upload, *mirror_whitelist;	/* comma-separated */
	const char *mirror_url, *title;
	long long mirror_cache_expiry;		/* seconds */
};

struct pypi_file {
	long long id, index_id, size, uploaded_ms;
	const char *project, *name, *version, *filename, *sha256, *md5;
	const char *requires_python, *summary, *requires_dist;	/* newline-separated */
	const char *metadata_sha256;		/* "" when the file has none */
	const char *yanked;			/* NULL: not yanked; else the reason */
	const char *user, *index;		/* the owning index, for URLs */
};

struct pypi_user {
	const char *name, *email, *pw_hash;
};

int pypi_user_get(struct app *app, struct arena *a, const char *name, struct pypi_user *out);
/* 0; 1 when the user exists already; -1 on a store error. */
int pypi_user_add(struct app *app, const char *name, const char *pw_hash, const char *email);
int pypi_user_set(struct app *app, const char *name, const char *pw_hash, const char *email);
/* Removes a user with its indexes and their files' rows; 0, 1 none, -1. */
int pypi_user_del(struct app *app, const char *name);
/* Names of all users, NULL-terminated, in a. */
const char **pypi_user_list(struct app *app, struct arena *a);

int pypi_index_get(struct app *app, struct arena *a, const char *user, const char *name,
		   struct pypi_index *out);
/* Every index, ordered by user and name, into *out; returns the count or -1. */
int pypi_index_list(struct app *app, struct arena *a, const char *user,
		    struct pypi_index **out);
/* Inserts (create) or updates (replace) one index by (user, name); 0 or -1. */
int pypi_index_put(struct app *app, const struct pypi_index *ix, int create);
int pypi_index_del(struct app *app, const char *user, const char *name);

/* The files of one project (normalized name) on one index, newest version last. */
int pypi_files_of(struct app *app, struct arena *a, long long index_id, const char *project,
		  struct pypi_file **out);
/* Normalized project names of one index, sorted, NULL-terminated. */
const char **pypi_projects_of(struct app *app, struct arena *a, long long index_id);
int pypi_file_by_name(struct app *app, struct arena *a, long long index_id,
		      const char *filename, struct pypi_file *out);
/* Inserts or (replace) overwrites the row for f->filename on f->index_id. */
int pypi_file_put(struct app *app, const struct pypi_file *f, int replace);
/* Yanks (reason non-NULL) or unyanks every file of a version; count or -1. */
int pypi_version_yank(struct app *app, long long index_id, const char *project,
		      const char *version, const char *reason);
/* Deletes the rows of a version (all of a project when version NULL); count or -1. */
int pypi_version_del(struct app *app, long long index_id, const char *project,
		     const char *version);
/* 1 while some row names the blob as a file or its metadata (gc). */
int pypi_blob_used(struct app *app, const char *hex);

/* Login tokens (POST /+login), stored hashed; expires in seconds. */
int pypi_token_add(struct app *app, const char *user, const char *token_hash, long long expires);
/* The user a token belongs to while unexpired, or NULL. */
const char *pypi_token_user(struct app *app, struct arena *a, const char *token_hash);

/* -- the program (pypi_http.c, pypi_simple.c, pypi_upload.c, pypi_api.c) -- */

struct tmpl_set;

struct pypi {
	struct tmpl_set *tmpl;
	int xsendfile;
	long long max_upload;
};

/* Creates root (pypi.root_password) and root/pypi unless they exist. */
int pypi_bootstrap(struct app *app, char *err, size_t errlen);
int pypi_init(struct app *app, char *err, size_t errlen);
void pypi_fini(struct app *app);

/*
 * The authenticated user of a request: Basic (password or a +login
 * token) or X-Devpi-Auth; NULL when anonymous.  *bad is set when
 * credentials came but were wrong (answer 401, not "anonymous").
 */
const char *pypi_auth_user(struct app *app, struct http_req *r, int *bad);
/* Answers 401 with the Basic challenge twine and pip understand. */
void pypi_challenge(struct app *app, struct http_resp *w, const char *msg);
/* 1 when user (NULL: anonymous) may upload to ix: devpi's acl_upload, and root. */
int pypi_may_upload(const struct pypi_index *ix, const char *user);
/* 1 when item is in the comma-separated list. */
int pypi_list_has(const char *list, const char *item);
/* The index named by the request's :user and :index, or NULL after a 404. */
struct pypi_index *pypi_req_index(struct app *app, struct http_req *r, struct http_resp *w);

/* Answers the project list of ix (and its stage bases) in fmt. */
void pypi_project_list(struct app *app, struct http_req *r, struct http_resp *w,
		       const struct pypi_index *ix, enum pypi_fmt fmt);
void pypi_simple_root(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_simple_project(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_simple_redirect(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_file_get(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_upload(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_index_get_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_index_put_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_index_patch_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_index_del_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_user_get_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_user_put_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_user_patch_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_user_del_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_login_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_project_get_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_version_del_h(struct app *app, struct http_req *r, struct http_resp *w);
void pypi_version_patch_h(struct app *app, struct http_req *r, struct http_resp *w);

/*
 * The indexes a request on ix reads, breadth-first through bases, stages
 * before mirrors, each once, ix first (at most PYPI_MAX_BASES).
 */
int pypi_resolve(struct app *app, struct arena *a, const struct pypi_index *ix,
		 struct pypi_index **out);

#endif
