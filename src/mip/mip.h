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

struct mip {
	struct mip_compiler cc;
	char upstream[1024], github_raw[1024], gitlab_raw[1024];
	int offline;
	long ttl, timeout;
	long long cache_max, max_file;
};

/* -- parsing and checks (mip_json.c) -- */
int mip_pkgjson_parse(struct arena *a, const char *text, size_t len,
		      struct mip_pkgjson *out, const char **err);
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

/* -- the store (mip_store.c) -- */
enum { MIP_FOUND = 0, MIP_NONE = -1, MIP_AMBIGUOUS = -2 };
int mip_file_put(struct app *app, const void *p, size_t n, const char *origin,
		 const char *expect_prefix, char *hex);
int mip_file_find(struct app *app, const char *prefix, char *hex);
void mip_file_touch(struct app *app, const char *hex);
/* 1 when any version of the name is hosted here: such a name is never
 * looked up upstream (a key lookup on the primary key). */
int mip_hosted_has(struct app *app, const char *name);
/* Marks a file as part of a hosted package: never evicted. */
void mip_file_pin(struct app *app, const char *hex);
/* gc: 1 while a blob is a mip file. */
int mip_file_known(struct app *app, const char *hex);
/* Reads a blob into memory (small files only). */
char *mip_file_read(struct app *app, struct arena *a, const char *hex, size_t *n);
struct mip_pkgrow {
	const char *json, *etag, *last_modified;
	long long fetched, expires;
};
int mip_pkg_get(struct app *app, const char *origin, const char *name,
		const char *flavour, const char *version, struct arena *a,
		struct mip_pkgrow *row);
int mip_pkg_put(struct app *app, const char *origin, const char *name,
		const char *flavour, const char *version, const char *json,
		const char *etag, const char *lm, long ttl);
void mip_pkg_extend(struct app *app, const char *origin, const char *name,
		    const char *flavour, const char *version, long ttl);
void mip_upstream_note(struct app *app, const char *origin, const char *error);
/* Drops least recently used fetched files over cache_max, never one whose
 * hash appears in keep (what the current request just stored); returns bytes freed. */
long long mip_evict(struct app *app, long long max, const char *keep);
/* Forgets every proxied and fetched package row (they are fetched again). */
int mip_expire_all(struct app *app);

/* -- compiling (mip_compile.c) -- */
int mip_compiler_probe(struct mip_compiler *cc, const char *path, int opt);
/* The .mpy for a stored source; 0, or -1 with err (never a bad file). */
int mip_compile(struct app *app, const struct mip_compiler *cc, const char *src_hex,
		const char *dest, char *out_hex, char *err, size_t errlen);
/* boot.py and main.py are run from source by the board: never compiled. */
int mip_compilable(const char *dest);

/* -- publishing (mip_publish.c) -- */
/* 0; -2 when the version exists (immutable); -1 with err otherwise. */
int mip_publish(struct app *app, const struct mip *m, const char *path, const char *name,
		const char *version, const char *description, char *err, size_t errlen);

/* -- HTTP (mip_http.c, mip_github.c) -- */
/* Reads the mip.* settings and probes the compiler. */
void mip_settings(struct app *app, struct mip *m);
int mip_init(struct app *app, char *err, size_t errlen);
void mip_fini(struct app *app);
void mip_index(struct app *app, struct http_req *r, struct http_resp *w);
void mip_package(struct app *app, struct http_req *r, struct http_resp *w);
void mip_file(struct app *app, struct http_req *r, struct http_resp *w);
void mip_repo(struct app *app, struct http_req *r, struct http_resp *w);
/* What follows /mip/github/ or /mip/gitlab/ (fuzzed: fuzz_mip_routes.c). */
struct mip_repo_spec {
	const char *org, *name;
	const char *path;		/* "" for the top of the repository */
	const char *ref;		/* "HEAD" when none is given */
	int py;				/* 1: sources, for mip.install(url, mpy=False) */
};
/* "<org>/<repo>[@ref][/py][/tree/<ref>][/<path>][/package.json]" -> *sp
 * (arena strings); 0, or -1 with *status 404 (no <org>/<repo>) or 400
 * (a bad name, path or ref, two refs) and a static *err. */
int mip_repo_spec_parse(struct arena *a, const char *rest, struct mip_repo_spec *sp,
			int *status, const char **err);
/* Builds (or finds cached) the package JSON of a repository in a flavour
 * ("py", "mpy"): files as "files/<sha256>", deps as package.json wrote
 * them.  0, or -1 with *status (400/404/502) and err. */
int mip_repo_package(struct app *app, struct http_req *r, const char *host,
		     const struct mip_repo_spec *sp, const char *flavour,
		     const char **json, int *status, char *err, size_t errlen);
/* That JSON with absolute URLs of this server (server.base_url, else the
 * request's Host and port); py: github: deps in the source flavour. */
const char *mip_repo_render(struct app *app, struct http_req *r, const char *json, int py);

#endif
