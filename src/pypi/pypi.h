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
 *
 * One file per resource of pypi.fcgi (src/cgi/pypi.fcgi.c has the table):
 *   /pypi/+login                               pypi_login.c
 *   /pypi/{user}                               pypi_user.c
 *   /pypi/{user}/{index} (GET, PUT, PATCH, DELETE)   pypi_index.c
 *   /pypi/{user}/{index}/ (POST, twine)        pypi_upload.c
 *   /pypi/{user}/{index}/+simple/              pypi_simple.c
 *   /pypi/{user}/{index}/+simple/{project}/    pypi_simple_project.c
 *   /pypi/{user}/{index}/+f/{h3}/{h13}/{file}  pypi_file.c
 *   /pypi/{user}/{index}/{project}             pypi_project.c
 *   /pypi/{user}/{index}/{project}/{version}   pypi_version.c
 * and what they share: pypi_settings.c (settings, start-up), pypi_http.c
 * (who asks, the index a URL names, bases, JSON answers), pypi_name.c
 * (rules and the routes' validators), pypi_meta.c, pypi_store.c.
 *
 * Errors travel as struct nb_err (err.h); handlers return -1 with it and
 * the program answers JSON (app_fail).  A 401 is answered by
 * pypi_challenge() and a 406 by pypi_negotiate(), through app_fail too, so
 * they carry the Basic challenge twine and pip need, and Vary.
 */
#ifndef NB_PYPI_H
#define NB_PYPI_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/app.h"
#include "../lib/hash.h"
#include "../lib/req.h"
#include "../lib/upstream_gate.h"

#define PYPI_PREFIX "/pypi"
#define PYPI_NAME_MAX 128		/* user, index and project names */
#define PYPI_FIELD_MAX 4096		/* one upload form field */
#define PYPI_META_MAX (1 << 20)		/* a METADATA / PKG-INFO file */
#define PYPI_MAX_BASES 16		/* indexes one stage may inherit, transitively */
#define PYPI_TITLE_MAX 256		/* an index title, bytes */
#define PYPI_EMAIL_MAX 256		/* a user's email, bytes */
#define PYPI_REASON_MAX 1023		/* a yank reason, bytes */

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
/*
 * The one check of a free text field that pages, feeds and logs show
 * (an index title, a yank reason, a user's email): at most max bytes of
 * UTF-8, one line, no control character (C0, DEL, C1: a newline forges a
 * log line, an escape reaches a terminal).  0, or -1 with NB_INVALID
 * naming field.  Every door (HTTP, nestboxctl, the admin pages, import)
 * reaches it through the store's writers.
 */
int pypi_text_check(const char *field, const char *s, size_t max, struct nb_err *e);
/* A hash path segment: exactly n lowercase hex digits. */
int pypi_hash3_ok(const char *s);
int pypi_hash13_ok(const char *s);

/*
 * The routes' validators (req.h) over the predicates above, for the
 * table in src/cgi/pypi.fcgi.c and its fuzz target.  Pure on raw; a
 * refusal is the router's 400 "invalid <field>".
 */
int pypi_ident_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e);
int pypi_project_valid(const struct app *app, const struct req_field *f, const char *raw,
		       struct req_value *out, struct nb_err *e);
int pypi_version_valid(const struct app *app, const struct req_field *f, const char *raw,
		       struct req_value *out, struct nb_err *e);
int pypi_filename_valid(const struct app *app, const struct req_field *f, const char *raw,
			struct req_value *out, struct nb_err *e);
int pypi_hash3_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e);
int pypi_hash13_valid(const struct app *app, const struct req_field *f, const char *raw,
		      struct req_value *out, struct nb_err *e);

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
 * NULL for wheels) says where it ends.  0, or -1 with NB_INVALID.
 */
int pypi_fname_parse(const char *filename, const char *project,
		     struct pypi_fname *out, struct nb_err *e);

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
 * not read).  Strings live in a.  0, or -1 with NB_INVALID (no Name or
 * Version, a malformed header line, a NUL byte).
 */
int pypi_meta_parse(struct arena *a, const char *text, size_t len,
		    struct pypi_meta *out, struct nb_err *e);
/*
 * Reads the core metadata file of a wheel ("<x>.dist-info/METADATA" at
 * the top) or an sdist ("<top>/PKG-INFO") from the file open on fd (read
 * from its start; the caller keeps and closes fd), through libarchive.
 * *text and *len receive its bytes (in a).  0, or -1 with NB_INVALID.
 */
int pypi_meta_read(struct arena *a, int fd, enum pypi_kind kind,
		   char **text, size_t *len, struct nb_err *e);
/* The same over bytes in memory (tests, fuzzing). */
int pypi_meta_read_mem(struct arena *a, const void *p, size_t n, enum pypi_kind kind,
		       char **text, size_t *len, struct nb_err *e);

/* -- the store (pypi_store.c): 0 or a count, or -1 with e -- */

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

/* NB_NOT_FOUND "no such user". */
int pypi_user_get(struct app *app, struct arena *a, const char *name, struct pypi_user *out,
		  struct nb_err *e);
/* NB_CONFLICT when the user exists already. */
int pypi_user_add(struct app *app, const char *name, const char *pw_hash, const char *email,
		  struct nb_err *e);
/* Changes the password hash and/or email (NULL: kept); NB_NOT_FOUND.  A
 * new password hash deletes the user's +login tokens in the same
 * transaction.  NB_INVALID for an email pypi_text_check refuses. */
int pypi_user_set(struct app *app, const char *name, const char *pw_hash, const char *email,
		  struct nb_err *e);
/* Removes a user with its indexes, their files' rows and its tokens;
 * NB_NOT_FOUND; NB_CONFLICT naming the index of another user that has
 * one of them as a base (nothing is deleted then). */
int pypi_user_del(struct app *app, const char *name, struct nb_err *e);

/* NB_NOT_FOUND "no such index". */
int pypi_index_get(struct app *app, struct arena *a, const char *user, const char *name,
		   struct pypi_index *out, struct nb_err *e);
/* The indexes of user (NULL: all), ordered by user and name; the count. */
int pypi_index_list(struct app *app, struct arena *a, const char *user,
		    struct pypi_index **out, struct nb_err *e);
/* Inserts (create; NB_CONFLICT when it exists) or updates (NB_NOT_FOUND)
 * one index by (user, name). */
int pypi_index_put(struct app *app, const struct pypi_index *ix, int create,
		   struct nb_err *e);
/* Removes an index with its files' rows; NB_NOT_FOUND; NB_CONFLICT
 * naming an index that has it as a base (nothing is deleted then). */
int pypi_index_del(struct app *app, const char *user, const char *name, struct nb_err *e);

/* The files of one project (normalized name) on one index, oldest first; the count. */
int pypi_files_of(struct app *app, struct arena *a, long long index_id, const char *project,
		  struct pypi_file **out, struct nb_err *e);
/* Normalized project names of one index, sorted, NULL-terminated; the count. */
int pypi_projects_of(struct app *app, struct arena *a, long long index_id,
		     const char ***out, struct nb_err *e);
/* NB_NOT_FOUND "no such file on this index". */
int pypi_file_by_name(struct app *app, struct arena *a, long long index_id,
		      const char *filename, struct pypi_file *out, struct nb_err *e);
/* Inserts (NB_CONFLICT when the name is taken) or (replace) overwrites
 * the row for f->filename on f->index_id. */
int pypi_file_put(struct app *app, const struct pypi_file *f, int replace, struct nb_err *e);
/* Yanks (reason non-NULL) or unyanks every file of a version; the count. */
int pypi_version_yank(struct app *app, long long index_id, const char *project,
		      const char *version, const char *reason, struct nb_err *e);
/* Deletes the rows of a version (all of a project when version NULL); the count. */
int pypi_version_del(struct app *app, long long index_id, const char *project,
		     const char *version, struct nb_err *e);
/* 1 while some row names the blob as a file, its metadata or a mirrored
 * file, 0 when none does; -1 with e NB_UNAVAILABLE when the store cannot
 * say (gc and the upload's clean-up then keep it). */
int pypi_blob_used(struct app *app, const char *hex, struct nb_err *e);

/* Login tokens (POST /+login), stored hashed; expires in seconds. */
int pypi_token_add(struct app *app, const char *user, const char *token_hash, long long expires,
		   struct nb_err *e);
/* 1 with *user (arena a) the user a token belongs to while unexpired, 0
 * when it is unknown or expired; -1 with e NB_UNAVAILABLE when the store
 * cannot say (the client is answered 503, not refused). */
int pypi_token_user(struct app *app, struct arena *a, const char *token_hash, const char **user,
		    struct nb_err *e);

/* -- the mirror's upstream pages (pypi_mirror_parse.c): pure -- */

/* One file link of an upstream project page. */
struct pypi_link {
	const char *filename;		/* passes pypi_filename_ok */
	const char *url;		/* absolute http(s), without its fragment */
	const char *sha256;		/* 64 lowercase hex; "" when the upstream gave none */
	const char *requires_python;	/* "" when none */
	const char *yanked;		/* NULL: not yanked; else the reason ("": none given) */
	long long size;			/* bytes (PEP 700), -1 when not known */
};

/*
 * ref resolved against base (RFC 3986 5.2): both must be http(s), and
 * neither may hold a space or a control byte.  The URL in a, or NULL.
 */
char *pypi_url_join(struct arena *a, const char *base, const char *ref);
/*
 * The file links of a project page fetched from base: PEP 691 JSON
 * (json non-zero) or PEP 503 HTML (anchors; href, data-requires-python,
 * data-yanked, "#sha256=" in the href).  Links that break the rules of
 * struct pypi_link are left out.  The count (v in a), or -1 with
 * NB_BAD_GATEWAY when a JSON page is not one.
 */
int pypi_upstream_page(struct arena *a, const char *base, const char *body, size_t len,
		       int json, struct pypi_link **out, struct nb_err *e);
/* The project list (PEP 691 "projects", or the HTML anchors' text), as
 * valid normalized names, NULL-terminated in a; the count, or -1 with
 * NB_BAD_GATEWAY. */
int pypi_upstream_list(struct arena *a, const char *body, size_t len, int json,
		       const char ***out, struct nb_err *e);

/* -- the mirror's store (pypi_mirror_store.c) -- */

/* An upstream page as cached: validators, when, and the last failure. */
struct pypi_mpage {
	const char *etag, *last_modified, *error;
	const char *body;		/* the project list: names, one a line; pages: "" */
	long long fetched_ms;		/* the last 200 or 304; 0: never (no copy) */
	long long failed_ms;		/* the last failure since, 0: none */
};

/* What the admin fragment shows of one mirror index. */
struct pypi_mirror_status {
	long long files, bytes;
	long long pages;		/* pages with a good copy */
	long long stale_pages;		/* pages whose last refresh failed (with or without a copy) */
	long long refreshed_ms, failed_ms;	/* the latest good refresh, the latest failure */
	const char *last_error;		/* of the latest failure still unresolved, or "" */
};

long long pypi_now_ms(void);
/* NB_NOT_FOUND when the page was never fetched. */
int pypi_mpage_get(struct app *app, struct arena *a, long long index_id, const char *project,
		   struct pypi_mpage *out, struct nb_err *e);
/* A page fetched now (200): the row and its links replaced together. */
int pypi_mpage_put(struct app *app, long long index_id, const char *project,
		   const struct pypi_mpage *pg, const struct pypi_link *v, int n,
		   struct nb_err *e);
/* A 304 (error NULL: fetched now) or a failure (error: why) on a page;
 * a failure on a page never fetched makes its row (no copy). */
int pypi_mpage_mark(struct app *app, long long index_id, const char *project,
		    const char *error, struct nb_err *e);
/* Forgets a page and its links (the upstream answered 404). */
int pypi_mpage_del(struct app *app, long long index_id, const char *project,
		   struct nb_err *e);
/* The links of the cached page, or (cached_only) of the files fetched. */
int pypi_mlinks_of(struct app *app, struct arena *a, long long index_id, const char *project,
		   int cached_only, struct pypi_link **out, struct nb_err *e);
/* One link by file name from the pages (cached 0) or the files fetched
 * (cached 1), with its project; NB_NOT_FOUND. */
int pypi_mlink_get(struct app *app, struct arena *a, long long index_id, const char *filename,
		   int cached, struct pypi_link *out, const char **project, struct nb_err *e);
/* The projects with a file fetched (offline's list) and, with pages_too,
 * those with a page cached; sorted, NULL-terminated; the count. */
int pypi_mfile_projects(struct app *app, struct arena *a, long long index_id, int pages_too,
			const char ***out, struct nb_err *e);
/* Records a file fetched and stored (l->size its bytes), used now. */
int pypi_mfile_put(struct app *app, long long index_id, const char *project,
		   const struct pypi_link *l, struct nb_err *e);
/* Marks a file used now (the least recently used go first). */
void pypi_mfile_touch(struct app *app, long long index_id, const char *filename);
/* Bytes of every mirrored file into *n: 0, or -1 with e NB_UNAVAILABLE
 * when the store cannot say. */
int pypi_mfile_bytes(struct app *app, long long *n, struct nb_err *e);
/* Forgets the least recently used mirrored file other than the one
 * kept; 1 with *sha256 its blob, 0 when there is none, -1. */
int pypi_mfile_evict_one(struct app *app, struct arena *a, long long keep_index,
			 const char *keep_filename, const char **sha256, struct nb_err *e);
int pypi_mirror_status_of(struct app *app, struct arena *a, long long index_id,
			  struct pypi_mirror_status *out, struct nb_err *e);

/* -- the mirror (pypi_mirror.c, pypi_mirror_file.c) -- */

/*
 * The files of project on the mirror index mx as rows for a simple page
 * (URLs to this index's +f), the page refreshed from the upstream as
 * mirror_cache_expiry and pypi.offline say.  *state: "fresh" (fetched
 * now), "revalidated" (304), "cached" (not yet expired), "stale" (the
 * upstream failed or is being asked by another request: the last good
 * copy), "offline" (files already cached only).  The count (0: the
 * upstream does not know the project), or -1 with NB_BAD_GATEWAY (the
 * upstream failed just now and nothing is cached) or NB_UNAVAILABLE (it
 * failed lately, or is busy, or another request is fetching the page,
 * and nothing is cached; or the store failed): never waits on another
 * request's fetch.
 */
int pypi_mirror_project(struct app *app, struct arena *a, const struct pypi_index *mx,
			const char *project, struct pypi_file **out, const char **state,
			struct nb_err *e);
/* The mirror's project list the same way (NULL-terminated, sorted); when
 * the upstream fails and no list is cached, the projects this mirror has
 * pages or files of, "stale". */
int pypi_mirror_names(struct app *app, struct arena *a, const struct pypi_index *mx,
		      const char ***out, const char **state, struct nb_err *e);
/* GET of a file on a mirror index: from the blob store, or fetched once
 * from the upstream (through the gate) and checked against the page's
 * sha256 first; a second request while it is fetched: NB_UNAVAILABLE. */
int pypi_mirror_file_get(struct app *app, struct http_req *r, struct http_resp *w,
			 const struct pypi_index *mx, struct nb_err *e);
struct pypi_settings;
/*
 * An exclusive lock on <var_dir>/pypi-mirror/<sha256(key)>.lock, waited
 * for at most wait_ms (0: not at all): one fetch of a page or file at a
 * time across the FastCGI processes.  The fd (closing it unlocks), or -1
 * when busy or impossible.
 */
int pypi_mirror_lock(const struct pypi_settings *s, const char *key, long wait_ms);
/*
 * The gate of every upstream fetch (src/lib/upstream_gate.h), its state
 * under <var_dir>/pypi-mirror: nothing is fetched from a host that failed
 * less than a few seconds ago, nor beyond pypi.mirror_fetches fetches at
 * once across the processes; it never waits.  pypi_gate_enter: 0 (the
 * fetch may run; upstream_gate_leave after it, failed non-zero on a
 * timeout, a transport error or a 5xx), or -1 with NB_UNAVAILABLE
 * (answered 503 with Retry-After; a cached copy may stand in).
 */
int pypi_gate_enter(const struct pypi_settings *s, const char *url, struct upstream_gate *g,
		    struct nb_err *e);
/* Seconds a 503 of pypi.fcgi asks its client to wait (Retry-After). */
#define PYPI_RETRY_AFTER "5"
struct http_resp;
/* pypi.fcgi's error answer (app->fail_write): the JSON error, and a
 * Retry-After on a 503 (the store busy, an upstream unavailable or busy). */
void pypi_error_write(struct http_resp *w, int status, enum nb_errkind kind, const char *msg);
/* Evicts least recently used mirrored files until the mirrored bytes
 * fit pypi.cache_max (0: no cap), never the one just fetched.  Best
 * effort after the answer: a store that fails stops it, said on stderr. */
void pypi_mirror_evict(struct app *app, struct arena *a, long long keep_index,
		       const char *keep_filename);

/* -- settings and start-up (pypi_settings.c) -- */

/* What pypi.fcgi and nestboxctl read from the configuration, once. */
struct pypi_settings {
	char root_password[1024];	/* pypi.root_password; "": root cannot log in */
	int no_root_pypi;		/* pypi.no_root_pypi */
	char root_mirror_url[1024];	/* pypi.root_mirror_url */
	long long max_upload;		/* pypi.max_upload, bytes */
	char templates[4096];		/* admin.templates (the simple pages) */
	int xsendfile;			/* server.xsendfile */
	int offline;			/* pypi.offline: never contact an upstream */
	long long cache_max;		/* pypi.cache_max, bytes of mirrored files; 0: no cap */
	long connect_timeout;		/* pypi.mirror_connect_timeout, seconds */
	long timeout;			/* pypi.mirror_timeout, seconds */
	char var_dir[4096];		/* server.var_dir: the fetch locks */
	long mirror_fetches;		/* pypi.mirror_fetches: upstream fetches at once */
	int user_mirrors;		/* pypi.user_mirrors: others than root set mirror_url */
};

/* Fills s from app->conf and app->set (start-up, not per request). */
void pypi_settings_read(const struct app *app, struct pypi_settings *s);

struct tmpl_set;

/* pypi.fcgi's per-process state (app->domain). */
struct pypi {
	struct pypi_settings set;
	struct tmpl_set *tmpl;
};

/* Creates root (s->root_password) and root/pypi unless root exists; 0 or -1. */
int pypi_bootstrap(struct app *app, const struct pypi_settings *s, struct nb_err *e);
/* app_def hooks: settings, templates, bootstrap. */
int pypi_init(struct app *app, struct nb_err *e);
void pypi_fini(struct app *app);

/* -- what the handlers share (pypi_http.c) -- */

/*
 * The authenticated user of a request into *user: Basic (password or a
 * +login token) or X-Devpi-Auth; NULL when anonymous.  0, or -1 with
 * NB_UNAUTHORIZED when credentials came but were wrong, NB_UNAVAILABLE
 * when the store could not check them (never a 401 then).
 */
int pypi_auth_user(struct app *app, struct http_req *r, const char **user, struct nb_err *e);
/* The caller, when root or owner (NULL owner: root only); -1 with
 * NB_UNAUTHORIZED (anonymous, wrong) or NB_FORBIDDEN. */
int pypi_need_owner(struct app *app, struct http_req *r, const char *owner, const char **user,
		    struct nb_err *e);
/*
 * Answers e through app_fail (the program's one mapping of a kind to a
 * status and its JSON body), then adds the header name: value, which an
 * error a handler returns would not carry; 0 (answered).
 */
int pypi_fail_header(struct app *app, struct http_req *r, struct http_resp *w,
		     const struct nb_err *e, const char *name, const char *value);
/*
 * A handler's last step: rc passed on, except that an NB_UNAUTHORIZED
 * error is answered here with the Basic challenge twine and pip
 * understand (pypi_fail_header: WWW-Authenticate); 0 then.
 */
int pypi_challenge(struct app *app, struct http_req *r, struct http_resp *w, int rc,
		   const struct nb_err *e);
/* 1 when user (NULL: anonymous) may upload to ix: devpi's acl_upload, and root. */
int pypi_may_upload(const struct pypi_index *ix, const char *user);
/* 1 when item is in the comma-separated list. */
int pypi_list_has(const char *list, const char *item);
/* The index named by the route's user and index fields, or NULL with
 * NB_NOT_FOUND. */
struct pypi_index *pypi_req_index(struct app *app, struct http_req *r, struct nb_err *e);
/* The same for a change of its releases: the caller must be its owner
 * or allowed to upload (NB_UNAUTHORIZED, NB_FORBIDDEN). */
struct pypi_index *pypi_req_writable(struct app *app, struct http_req *r, struct nb_err *e);
/*
 * The indexes a request on ix reads, breadth-first through bases, stages
 * before mirrors, each once, ix first (at most PYPI_MAX_BASES), into *out:
 * the count, or -1 with e NB_UNAVAILABLE when a base could not be read (a
 * base deleted since is skipped, as devpi does).
 */
int pypi_resolve(struct app *app, struct arena *a, const struct pypi_index *ix,
		 struct pypi_index **out, struct nb_err *e);

struct cJSON;
/* devpi's answer {"type": type, "result": result} (result is consumed). */
void pypi_json_send(struct http_resp *w, int status, const char *type, struct cJSON *result);
/* devpi's {"message": msg}. */
void pypi_json_message(struct http_resp *w, int status, const char *msg);
/* Any JSON value as the body (o is consumed). */
void pypi_json_answer(struct http_resp *w, int status, struct cJSON *o);
/* The request body as a JSON object (empty body: {}), or NULL with e. */
struct cJSON *pypi_json_body(struct http_req *r, size_t max, struct nb_err *e);

/* -- the handlers, one file per resource (see the top) -- */

/* devpi's config object of an index (pypi_index.c). */
struct cJSON *pypi_index_json(struct arena *a, const struct pypi_index *ix);

#define PYPI_JSON_TYPE "application/vnd.pypi.simple.v1+json"

/* The format by Accept, with Vary; PYPI_NONE after answering
 * NB_NOT_ACCEPTABLE (406, PEP 691) with Vary (pypi_fail_header). */
enum pypi_fmt pypi_negotiate(struct app *app, struct http_req *r, struct http_resp *w);
/* A PEP 691 JSON page (o is consumed). */
void pypi_send_simple_json(struct http_resp *w, struct cJSON *o);
/* The project list of ix (and its stage bases) in fmt (pypi_simple.c). */
int pypi_project_list(struct app *app, struct http_req *r, struct http_resp *w,
		      const struct pypi_index *ix, enum pypi_fmt fmt, struct nb_err *e);
/* A simple page as HTML through the template tmpl (data is consumed). */
int pypi_send_html(struct app *app, struct http_resp *w, const char *tmpl, struct cJSON *data,
		   struct nb_err *e);
/* The same with the template set named (a page rendered outside a request). */
int pypi_render_html(struct tmpl_set *set, struct http_resp *w, const char *tmpl,
		     struct cJSON *data, struct nb_err *e);
/* One project page of ix in fmt into w (Content-Type set; the bytes
 * pypi_simple_project answers): the count of files (0: no such project,
 * w untouched) or -1 with e.  *dynamic is 1 when the page has a mirror in
 * its chain (it changes with the upstream).  set: the HTML templates. */
int pypi_project_render(struct app *app, struct tmpl_set *set, struct arena *a,
			const struct pypi_index *ix, const char *project, enum pypi_fmt fmt,
			struct http_resp *w, int *dynamic, struct nb_err *e);

/* -- project pages as static files (pypi_static.c) -- */

/* Rewrites (or, without set, removes) the static pages of project
 * (normalized) on the index index_id and on every index whose bases
 * include it; after the change is committed.  0 or -1 (logged: the
 * change stands, and a page left stale is removed). */
int pypi_static_project(struct app *app, struct tmpl_set *set, long long index_id,
			const char *project);
/* Removes every static page (an index's bases, type or existence changed,
 * or an import); the program rewrites each on its next miss.  0 or -1. */
int pypi_static_reset(struct app *app);
/* The miss: the page w the program just answered for ix, kept unless a
 * newer one is there already.  Nothing on a shared store or a dynamic page.
 * 1 when this call put the file there (the caller checks it is still
 * current: pypi_static_forget otherwise), else 0. */
int pypi_static_keep(struct app *app, struct arena *a, const struct pypi_index *ix,
		     const char *project, enum pypi_fmt fmt, const struct http_resp *w);
/*
 * Removes the page pypi_static_keep kept for (ix, project, fmt) (on a
 * shared store, nothing): the miss's read turned out older than a change
 * that committed while it was written.
 */
void pypi_static_forget(struct app *app, struct arena *a, const struct pypi_index *ix,
			const char *project, enum pypi_fmt fmt);
/* At start: on a store other hosts share (PostgreSQL) removes the tree
 * a SQLite past left; 0 or -1. */
int pypi_static_unshare(struct app *app);

int pypi_login_post(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* Any other method on /pypi/+login: 405 with Allow: POST (not the 400 of
 * /pypi/{user}, whose pattern the path matches too: "+login" is no user). */
int pypi_login_other(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e);
int pypi_user_get_h(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int pypi_user_put_h(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int pypi_user_patch_h(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e);
int pypi_user_del_h(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int pypi_index_get_h(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e);
int pypi_index_put_h(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e);
int pypi_index_patch_h(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e);
int pypi_index_del_h(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e);
int pypi_upload(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int pypi_simple_root(struct app *app, struct http_req *r, struct http_resp *w,
		     struct nb_err *e);
int pypi_simple_redirect(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e);
int pypi_simple_project(struct app *app, struct http_req *r, struct http_resp *w,
			struct nb_err *e);
int pypi_simple_project_redirect(struct app *app, struct http_req *r, struct http_resp *w,
				 struct nb_err *e);
int pypi_file_get(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int pypi_project_get_h(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e);
int pypi_project_del_h(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e);
int pypi_version_del_h(struct app *app, struct http_req *r, struct http_resp *w,
		       struct nb_err *e);
int pypi_version_patch_h(struct app *app, struct http_req *r, struct http_resp *w,
			 struct nb_err *e);

/*
 * Deletes a version (NULL: the whole project) of ix; a non-volatile
 * index needs force (NB_FORBIDDEN otherwise); NB_NOT_FOUND when nothing
 * matched.  The count of files deleted (their blobs go by gc).
 */
int pypi_release_del(struct app *app, struct arena *a, const struct pypi_index *ix,
		     const char *project, const char *version, int force, struct nb_err *e);
/* DELETE of a project (version NULL) or a version, answered: the
 * caller's rights (pypi_req_writable), ?force, {"deleted": count}. */
int pypi_release_del_req(struct app *app, struct http_req *r, struct http_resp *w,
			 const char *version, struct nb_err *e);
/* devpi's ?force: the bare word or a true value (req_v_bool, REQ_EMPTY). */
int pypi_req_force(const struct http_req *r);

#endif
