/*
 * mip.h - the MicroPython mip package index (mip-index.fcgi, under /mip).
 *
 * Three sources of packages, one wire format (v2 index):
 *   hosted    published here with nestboxctl / the admin page; immutable
 *   upstream  proxied from mip.upstream, cached with revalidation
 *   github    /mip/github|gitlab/<org>/<repo>[@ref][/py][/tree/<ref>][/<path>]:
 *             the repo's package.json rewritten into a package served from
 *             here, its files revalidated after mip.cache_ttl
 * Every file is stored content-addressed and checked against its sha256
 * (mip itself never checks what it downloads).  The mpy flavour is
 * compiled with mpy-cross when configured.  Wire facts: protocols/mip.md.
 */
#ifndef NB_MIP_H
#define NB_MIP_H

#include <limits.h>
#include <stddef.h>

#include "../lib/app.h"
#include "../lib/req.h"
#include "../lib/upstream_gate.h"

#define MIP_MAX_ENTRIES 1000
#define MIP_JSON_MAX (1 << 20)
/* Longest accepted values (bytes): refused with the limit named, never cut. */
#define MIP_NAME_MAX 100	/* a package, org or repository name */
#define MIP_VERSION_MAX 63	/* a version or ref */
#define MIP_DEST_MAX 255	/* a destination path on the board */

struct mip_pair {
	const char *a, *b;
};

/* A package.json (urls, deps, version) or an index package JSON (hashes). */
struct mip_pkgjson {
	const char *version;		/* "" when absent */
	struct mip_pair *urls;		/* [destination, source] */
	int nurls;
	struct mip_pair *deps;		/* [name or URL, version ("" = latest)] */
	int ndeps;
	struct mip_pair *hashes;	/* [destination, sha256 prefix] */
	int nhashes;
};

struct mip_compiler {
	int ok, major;
	char path[PATH_MAX];
	char version[256];		/* the --version line: part of the cache key */
	char flags[32];			/* "-O2": part of the cache key */
	char why[256];			/* when not ok */
};

/* The mip.* settings, read once at start (mip_settings_read). */
struct mip_settings {
	char mpy_cross[PATH_MAX];	/* mip.mpy_cross: "" or the compiler */
	int opt;			/* mip.opt: -O level */
	char upstream[1024], github_raw[1024], gitlab_raw[1024];
	int offline;			/* mip.offline: serve only what is stored */
	long ttl, timeout;		/* mip.cache_ttl, mip.fetch_timeout (seconds) */
	long long cache_max, max_file;	/* bytes */
	long fetches;			/* mip.upstream_fetches: 1..MIP_FETCHES_MAX */
};

/* The domain: its settings and the probed compiler (app->domain of
 * mip-index.fcgi, struct admin's mip for the admin pages). */
struct mip {
	struct mip_settings set;
	struct mip_compiler cc;
};

/* -- parsing and checks (mip_json.c) -- */
/* 0, or -1 with e NB_INVALID saying what is wrong (fuzzed: fuzz_mip_json.c). */
int mip_pkgjson_parse(struct arena *a, const char *text, size_t len,
		      struct mip_pkgjson *out, struct nb_err *e);
/* A destination path on the board: relative, no "." or "..", printable. */
int mip_dest_ok(const char *p);
int mip_name_ok(const char *s);
int mip_version_ok(const char *s);
/* Orders versions: numeric parts numerically ("1.10" > "1.9"). */
int mip_version_cmp(const char *a, const char *b);
/* 1 for a bytecode-only .mpy header of this major version. */
int mip_mpy_header_ok(const unsigned char *p, size_t n, int major);
/* "… mpy-cross emitting mpy v6.3" -> 6, or -1. */
int mip_mpy_version_parse(const char *s);
/* A flavour segment: "py" or a number. */
int mip_flavour_ok(const char *s);
int mip_hash_prefix_ok(const char *s);

/* -- route validators (req.h; mip_valid.c): pure, no allocation but
 * mip_repo_valid's spec, in the request's arena -- */
int mip_flavour_valid(const struct app *app, const struct req_field *f, const char *raw,
		      struct req_value *out, struct nb_err *e);
int mip_name_valid(const struct app *app, const struct req_field *f, const char *raw,
		   struct req_value *out, struct nb_err *e);
/* "<version>.json": not .json is 404 (no such package path), a bad
 * version 400 "invalid version". */
int mip_pkgfile_valid(const struct app *app, const struct req_field *f, const char *raw,
		      struct req_value *out, struct nb_err *e);
/* :hh, two lowercase hex digits; :hash, 4 to 64 (mip_hash_prefix_ok). */
int mip_hh_valid(const struct app *app, const struct req_field *f, const char *raw,
		 struct req_value *out, struct nb_err *e);
int mip_hash_valid(const struct app *app, const struct req_field *f, const char *raw,
		   struct req_value *out, struct nb_err *e);
/* What follows /mip/github/ or /mip/gitlab/: text without control bytes
 * that is either a file by hash (mip_repo_file_of; out->p NULL) or a
 * spec mip_repo_spec_parse takes (out->p the struct mip_repo_spec).  A bad
 * spec is 400 "invalid <field>: <why>", no <org>/<repo> a 404. */
int mip_repo_valid(const struct app *app, const struct req_field *f, const char *raw,
		   struct req_value *out, struct nb_err *e);
/* The sha256 hex of a "<...>/files/<sha256>" repository path (package JSON
 * cached before its URLs were absolute named its files so), or NULL. */
const char *mip_repo_file_of(const char *rest);

/*
 * -- the store (mip_store.c) --
 * Every function that reads or writes a row takes e last and answers -1
 * with e NB_UNAVAILABLE when the store fails (a statement that cannot be
 * prepared, a step that fails, checked after a loop by db_reset): never
 * "not there", never a list cut short.  "Found or not" is a 1/0 answer
 * beside that -1.  The void ones are bookkeeping whose loss changes no
 * answer (a use time, a cache row's expiry, an upstream's last state, a
 * compile cache entry: the work is done again).
 */
enum { MIP_NONE = 0, MIP_FOUND = 1, MIP_AMBIGUOUS = 2 };
/* Stores n bytes as a blob (hex: its sha256) and its row of origin.  0,
 * or -1 with e: NB_INVALID when the sha256 does not start with
 * expect_prefix (nothing is kept), NB_UNAVAILABLE (disk or store). */
int mip_file_put(struct app *app, const void *p, size_t n, const char *origin,
		 const char *expect_prefix, char *hex, struct nb_err *e);
/* The file a hash prefix names (into hex): MIP_FOUND, MIP_NONE (no row,
 * or its blob is gone), MIP_AMBIGUOUS (several), or -1 with e. */
int mip_file_find(struct app *app, const char *prefix, char *hex, struct nb_err *e);
void mip_file_touch(struct app *app, const char *hex);
/* 1 when any version of the name is hosted here: such a name is never
 * looked up upstream (a key lookup on the primary key); 0, or -1 with e
 * (then the caller must not ask upstream either). */
int mip_hosted_has(struct app *app, const char *name, struct nb_err *e);
/* Marks a file as part of a hosted package: never evicted.  0, or -1 with
 * e (a pin lost would let the cache evict a hosted package's file). */
int mip_file_pin(struct app *app, const char *hex, struct nb_err *e);
/* gc: 1 while a blob is a mip file, 0 when not, -1 with e (gc keeps it). */
int mip_file_known(struct app *app, const char *hex, struct nb_err *e);
/* Reads a blob into memory (small files only). */
char *mip_file_read(struct app *app, struct arena *a, const char *hex, size_t *n);
struct mip_pkgrow {
	const char *json, *etag, *last_modified;
	long long fetched, expires;
};
/* The package JSON row of (origin, name, flavour, version) into *row
 * (arena a): 1, 0 when there is none, or -1 with e. */
int mip_pkg_get(struct app *app, const char *origin, const char *name,
		const char *flavour, const char *version, struct arena *a,
		struct mip_pkgrow *row, struct nb_err *e);
/* Inserts or replaces that row, expiring after ttl seconds (< 0: never);
 * 0, or -1 with e. */
int mip_pkg_put(struct app *app, const char *origin, const char *name,
		const char *flavour, const char *version, const char *json,
		const char *etag, const char *lm, long ttl, struct nb_err *e);
void mip_pkg_extend(struct app *app, const char *origin, const char *name,
		    const char *flavour, const char *version, long ttl);
void mip_upstream_note(struct app *app, const char *origin, const char *error);
/*
 * The gate of every fetch from an upstream (the index, a raw host), in
 * src/lib/upstream_gate.h, its state under <var_dir>/mip-upstream: a host
 * that failed (a timeout, a transport error, a 5xx) is left alone a few
 * seconds, and at most mip.upstream_fetches fetches run at once across
 * the processes (the front end gives mip-index.fcgi more), never waited
 * for.  0 (fetch, then upstream_gate_leave), or -1 with e NB_UNAVAILABLE:
 * the caller answers a stored copy, else 503 (mip_error_write:
 * Retry-After).
 */
#define MIP_RETRY_AFTER "5"	/* seconds, in a 503's Retry-After */
int mip_gate_enter(struct app *app, const char *url, struct upstream_gate *g, struct nb_err *e);
/* mip-index.fcgi's error answer (app->fail_write): the text, and a
 * Retry-After on a 503 (an upstream unavailable or busy, the store busy). */
void mip_error_write(struct http_resp *w, int status, enum nb_errkind kind, const char *msg);
/* Drops least recently used fetched files while their bytes are over max,
 * never one whose hash appears in keep (what the current request just
 * stored); returns the bytes freed, or -1 with e when the store failed
 * (said on stderr too: a request that evicts after answering drops e). */
long long mip_evict(struct app *app, long long max, const char *keep, struct nb_err *e);
/* Forgets every proxied and fetched package row (they are fetched again):
 * 0, or -1 with e. */
int mip_expire_all(struct app *app, struct nb_err *e);

/* Hosted packages: one row of mip_hosted. */
struct mip_hosted_row {
	const char *name, *version, *description;
	int files;
	long long size, published;	/* bytes, unix seconds */
};
enum mip_hosted_order { MIP_HOSTED_BY_KEY, MIP_HOSTED_NEWEST, MIP_HOSTED_OLDEST };
/* 1 when name/version is published, 0 when not, or -1 with e. */
int mip_hosted_exists(struct app *app, const char *name, const char *version,
		      struct nb_err *e);
/* 1 when version is above every published one of name, 0 when not, or -1
 * with e (a step failed: part of the versions was read). */
int mip_hosted_highest(struct app *app, const char *name, const char *version,
		       struct nb_err *e);
/* 0, or -1 with e: NB_CONFLICT (published already), NB_UNAVAILABLE. */
int mip_hosted_add(struct app *app, const struct mip_hosted_row *h, struct nb_err *e);
/* Rows into *out (arena a), limit -1 for all; the count, or -1 with e. */
int mip_hosted_list(struct app *app, struct arena *a, enum mip_hosted_order order, long limit,
		    long offset, struct mip_hosted_row **out, struct nb_err *e);
/* Proxied and fetched package JSON (not a repository's raw files). */
struct mip_cached_row {
	const char *origin, *name, *flavour, *version;
	long long fetched, expires, bytes;	/* unix seconds; bytes of JSON */
};
/* Newest first, at most limit; the count, or -1 with e. */
int mip_cached_list(struct app *app, struct arena *a, long limit, long offset,
		    struct mip_cached_row **out, struct nb_err *e);
/* The number of those rows into *n: 0, or -1 with e. */
int mip_cached_count(struct app *app, long long *n, struct nb_err *e);
/* The admin page's counts. */
struct mip_counts {
	long long hosted;		/* mip_hosted rows (name, version) */
	long long cached;		/* as mip_cached_count */
	long long cache_files, cache_bytes;	/* fetched and compiled files, not hosted ones */
};
/* Every count into *c: 0, or -1 with e (a count the store could not read
 * is never shown as 0). */
int mip_counts(struct app *app, struct mip_counts *c, struct nb_err *e);
#define MIP_ORIGINS_MAX 8
struct mip_upstream_row {
	const char *origin, *error;
	long long last_ok, last_error;	/* unix seconds, 0: never */
};
/* One row per origin; the count, or -1 with e. */
int mip_upstream_list(struct app *app, struct arena *a, struct mip_upstream_row **out,
		      struct nb_err *e);
/* The compile cache: 1 and out (a sha256) on a hit, 0 on a miss, or -1
 * with e. */
int mip_compiled_get(struct app *app, const char *src, const char *compiler, const char *flags,
		     char *out, struct nb_err *e);
void mip_compiled_put(struct app *app, const char *src, const char *compiler, const char *flags,
		      const char *out);

/* -- compiling (mip_compile.c) -- */
int mip_compiler_probe(struct mip_compiler *cc, const char *path, int opt);
/* The .mpy for a stored source; 0, or -1 with e (NB_INVALID: the source
 * does not compile; NB_UNAVAILABLE: cannot store it).  Never a bad file. */
int mip_compile(struct app *app, const struct mip_compiler *cc, const char *src_hex,
		const char *dest, char *out_hex, struct nb_err *e);
/* boot.py and main.py are run from source by the board: never compiled. */
int mip_compilable(const char *dest);

/* -- publishing (mip_publish.c) -- */
/* Publishes path (a directory, an archive, or one .py source file) as
 * name version.  as: the name one source file is published under;
 * NULL: path is a source
 * file when it ends in .py, under its own name.  0, or -1 with e:
 * NB_CONFLICT when the version exists (immutable), NB_INVALID for a bad
 * name, version or package, NB_UNAVAILABLE. */
int mip_publish(struct app *app, const struct mip *m, const char *path, const char *as,
		const char *name, const char *version, const char *description,
		struct nb_err *e);
/*
 * An upload, kept in memory as the multipart parser hands it over (no
 * staging file: its files are written once, as blobs, by the publish).
 * Bounded by MIP_UPLOAD_MAX: the package's own limit and room for an
 * archive's headers (tar: 1 KiB a file at most, 500 files).
 * mip_upload_add: appends n bytes; 0, or -1 with e NB_TOO_LARGE past the
 * bound, NB_UNAVAILABLE out of memory.  mip_upload_free: gives it back
 * (a zeroed struct is empty).  mip_publish_upload: publishes u's bytes
 * (an archive, or with as the one source file named as) as mip_publish
 * does, with its errors.
 */
#define MIP_PACKAGE_MAX (64u << 20)	/* bytes of all files of a package */
#define MIP_UPLOAD_MAX (MIP_PACKAGE_MAX + (1u << 20))
struct mip_upload {
	char *p;		/* NUL-terminated after len bytes */
	size_t len, cap;
};
int mip_upload_add(struct mip_upload *u, const char *p, size_t n, struct nb_err *e);
void mip_upload_free(struct mip_upload *u);
int mip_publish_upload(struct app *app, const struct mip *m, const struct mip_upload *u,
		       const char *as, const char *name, const char *version,
		       const char *description, struct nb_err *e);

/* -- settings and hooks (mip_settings.c) -- */
/* conf_* of mip.*, once; no side effects. */
void mip_settings_read(const struct app *app, struct mip_settings *s);
/* The most fetches at once mip.upstream_fetches may allow: each is a lock
 * file every fetch may try, and a front end runs a few processes. */
#define MIP_FETCHES_MAX 64
/* 0, or -1 with e (NB_INVALID) naming the key whose value is out of its
 * range; what reads the settings to fetch checks them at start. */
int mip_settings_check(const struct mip_settings *s, struct nb_err *e);
/* mip_settings_read and the compiler probe (a missing one is said on stderr). */
void mip_open(const struct app *app, struct mip *m);
/* mip_open under its older name, for src/admin/admin_core.c. */
void mip_settings(struct app *app, struct mip *m);
int mip_init(struct app *app, struct nb_err *e);
void mip_fini(struct app *app);

/*
 * -- the resources of mip-index.fcgi, one file each --
 * GET /mip/index.json                         mip_index.c
 * GET /mip/package/<flavour>/<name>/<v>.json  mip_package.c
 * GET /mip/file/<hh>/<hash prefix>            mip_file.c
 * GET /mip/github|gitlab/<org>/<repo>...      mip_repo.c
 * Typed handlers (route.h): 0 answered, or -1 with e.  A mip function
 * reports a failing upstream or raw host (unreachable, or an answer that
 * is not usable) as NB_BAD_GATEWAY (502: the source this gateway relays
 * failed, RFC 9110 15.6.3), and the store's own failure as NB_UNAVAILABLE
 * (503: try again), each where it happens.
 */
int mip_index(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* The bytes of GET /mip/index.json (arena a, *len of them): {"v": 2,
 * "updated": unix seconds now, "packages": [{name, version (the highest),
 * description, versions: {"py": [...], "<mpy major>": [...]}}]}, the
 * hosted packages by name (mip_index.c; protocols/mip.md).  NULL with e
 * NB_UNAVAILABLE when the store cannot be read: never a shorter index. */
char *mip_index_json(struct app *app, const struct mip *m, struct arena *a, size_t *len,
		     struct nb_err *e);
/*
 * The front end's copy of the index, <var_dir>/mip-static/mip/index.json,
 * around a change of the hosted packages: mip_index_hold before the
 * change's transaction removes the copy and returns a lock (an fd), or -1
 * when none is kept (a shared store, or the lock failed: said on stderr);
 * mip_index_release after the commit or rollback rewrites the copy from
 * the store under that lock and gives it back (-1: nothing to do).  A
 * failure leaves no copy, and the program answers.
 */
int mip_index_hold(struct app *app);
void mip_index_release(struct app *app, const struct mip *m, int hold);
/* Removes the copy (a shared store keeps none); 1 when there was one. */
int mip_index_unshare(struct app *app);
int mip_package(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int mip_file(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int mip_repo_github(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int mip_repo_gitlab(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* Serves a stored file by its full sha256; 0, or -1 with e NB_NOT_FOUND. */
int mip_file_send(struct app *app, struct http_req *r, struct http_resp *w, const char *hex,
		  struct nb_err *e);

/* -- proxied package JSON (mip_proxy.c) -- */
struct mip_proxy_key {
	const char *flavour, *name, *version;	/* checked by the route's validators */
};
enum { MIP_PROXY_STALE = 1 };
/* The upstream URL of k's package JSON (arena a): "<upstream>/package/
 * <flavour>/<name>/<version>.json", the index layout mip.install asks
 * (micropython-lib mip/__init__.py: {index}/package/{mpy}/{name}/{version}.json).  k's pieces are the route's checked values, so each
 * stays one segment (tests/fuzz/fuzz_mip_routes.c). */
char *mip_proxy_url(struct arena *a, const char *upstream, const struct mip_proxy_key *k);
/*
 * Upstream's package JSON for k into *json (arena a): the cached row while
 * fresh (unless force), else revalidated against mip.upstream.  0 fresh,
 * MIP_PROXY_STALE (upstream failed, the expired row is served), or -1 with
 * e NB_NOT_FOUND (upstream has none; offline with nothing cached),
 * NB_BAD_GATEWAY (unreachable with nothing cached, or a malformed answer)
 * or NB_UNAVAILABLE (the store failed).
 * A fresh answer is also written for the front end (mip_proxy.c says where).
 */
int mip_proxy_get(struct app *app, struct arena *a, const struct mip_proxy_key *k, int force,
		  const char **json, struct nb_err *e);
struct mip_proxy_counts {
	int refreshed, failed;
};
/* The refresh job: revalidates every proxied row that expires within
 * ahead seconds (so the front end keeps sending it); 0, or -1 when the
 * store cannot be read.  Nothing is asked when mip.offline. */
int mip_proxy_refresh(struct app *app, long ahead, struct mip_proxy_counts *c);
/* Removes the front end's copies of name's proxied JSON (NULL: every
 * name's), as when name becomes hosted; returns how many. */
int mip_proxy_drop(struct app *app, const char *name);
/* Removes the front end's copies of proxied JSON under var_dir that expire
 * within the margin after now (unix seconds), so that none is sent after
 * its row expired; returns how many.  No store access: run every second. */
int mip_proxy_sweep(const char *var_dir, long long now);
/* 1 when other hosts may write the same store (PostgreSQL, db.url): the
 * front end's copies of answers a write can change (a hosted package's
 * "latest", the index, proxied JSON, the links of unambiguous file
 * prefixes) are
 * then not kept, as no host can remove another's (tests/e2e/test_two_hosts.py). */
int mip_store_shared(struct app *app);
/* On a shared store, removes such copies left from before (a SQLite
 * past); returns how many (mip_init calls it). */
int mip_static_unshare(struct app *app);

/* -- repositories (mip_repo.c) -- */
/* What follows /mip/github/ or /mip/gitlab/ (fuzzed: fuzz_mip_routes.c). */
struct mip_repo_spec {
	const char *org, *name;
	const char *path;		/* "" for the top of the repository */
	const char *ref;		/* "HEAD" when none is given */
	int py;				/* 1: sources, for mip.install(url, mpy=False) */
};
/* "<org>/<repo>[@ref][/py][/tree/<ref>][/<path>][/package.json]" -> *sp
 * (arena strings); 0, or -1 with e NB_NOT_FOUND (no <org>/<repo>) or
 * NB_INVALID (a bad name, path or ref, two refs). */
int mip_repo_spec_parse(struct arena *a, const char *rest, struct mip_repo_spec *sp,
			struct nb_err *e);
/* Builds (or finds cached) the package JSON of a repository in a flavour
 * ("py", "mpy"): files as "files/<sha256>", deps as package.json wrote
 * them.  0, or -1 with e: NB_NOT_FOUND (no package.json; offline and not
 * cached), NB_BAD_GATEWAY (the raw host failed or served something
 * unusable), NB_UNAVAILABLE (the store failed). */
int mip_repo_package(struct app *app, struct http_req *r, const char *host,
		     const struct mip_repo_spec *sp, const char *flavour,
		     const char **json, struct nb_err *e);
/* That JSON with absolute URLs of this server (server.base_url, else the
 * request's Host and port); py: github: deps in the source flavour. */
const char *mip_repo_render(struct app *app, struct http_req *r, const char *json, int py);

#endif
