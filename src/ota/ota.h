/*
 * ota.h - the MicroPython OTA updater's GitHub shapes (ota.fcgi, under /ota).
 *
 * Boards running the updater (github.com/0x687931/ota) fetch releases,
 * refs, trees and raw files from GitHub; nestbox answers the same shapes
 * from its own store, so a board only has its two base URLs changed:
 *   API  {base}/ota/api/repos/{o}/{r}/...       (api.github.com)
 *   raw  {base}/ota/raw/{o}/{r}/{ref}/{path}     (raw.githubusercontent.com)
 * Every repository is a bare git repository under ota.git_dir written
 * through libgit2, so the ids a board sees are git's own; the file bytes
 * also live content-addressed (sha256) in the blob store, and the tables
 * (ota_store.c) map (repository, commit, path) to them.  Wire facts:
 * protocols/ota-github.md.  This module must not write git's object
 * format by hand, nor put SQL anywhere but ota_store.c.
 */
#ifndef NB_OTA_H
#define NB_OTA_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/app.h"
#include "../lib/req.h"

#define OTA_SHA1_HEX 41		/* 40 hex digits + NUL */
#define OTA_NAME_MAX 100	/* GitHub's limit for repository names (and room for an owner) */
#define OTA_OWNER_MAX 39	/* GitHub's limit for account names */
#define OTA_REF_MAX 100		/* tag and branch names */

/* The ota.* settings, read once at start (etc/nestbox.yaml). */
struct ota_settings {
	char git_dir[4096];	/* ota.git_dir; "": <var_dir>/ota/git */
	int max_files;		/* ota.max_files: files of one release */
	size_t max_bytes;	/* ota.max_bytes: bytes of one release */
	int xsendfile;		/* server.xsendfile */
	int rollout_start;	/* ota.rollout_start: percent, 0..100 */
	long long max_boards;	/* ota.max_boards: inventory rows per repository, >= 1 */
};

/* -- names and paths (ota_path.c) -- */
/*
 * GitHub's names (ota_path.c gives the sources): an owner is 1-39 ASCII
 * letters, digits and single hyphens, not at either end; a repository
 * name 1-100 of [A-Za-z0-9._-], not dots only, not starting with '-', not
 * ending in ".git" or ".wiki".  1 or 0; ota_repo_ok: both.
 */
int ota_owner_ok(const char *s);
int ota_repo_name_ok(const char *s);
int ota_repo_ok(const char *owner, const char *name);
/* A tag or branch name: 1-100 of [A-Za-z0-9._+-], not starting with '.'
 * or '-', no "..", not ending in ".lock" (git's ref rules, one segment). */
int ota_ref_ok(const char *s);
/* A name a new tag or branch may take (git-check-ref-format's rules as
 * ota_ref_ok, and none git reads as something else): not HEAD or another
 * of git's root refs (FETCH_HEAD, ORIG_HEAD, ...: capitals and '_' ending
 * in HEAD), not 40 hex digits (an object id). */
int ota_ref_new_ok(const char *s);
/* The two rules as phrases for messages. */
#define OTA_REPO_RULE \
	"repo must be owner/name as on GitHub (owner: letters, digits and single '-'," \
	" at most 39; name: letters, digits, '.', '_', '-', at most 100, not dots only," \
	" not starting with '-' or ending in .git)"
#define OTA_REF_RULE \
	"1-100 of letters, digits, '.', '_', '-', '+', not starting with '.' or '-', no" \
	" '..', not ending in '.' or .lock, not HEAD or another of git's own names, not" \
	" 40 hex digits"
/* 40 lowercase hex digits (a git object id). */
int ota_sha_ok(const char *s);
/*
 * A file path the client accepts (protocols/ota-github.md, "Paths") and
 * the raw route can serve: 1-1024 bytes, no leading '/', no empty, "." or
 * ".." segment, no '\\', control byte or invalid UTF-8; each name at most
 * PATH_SEG_MAX (256) bytes and at most OTA_PATH_SEGS names, the router's
 * limits (lib/path.h) for /ota/raw/:owner/:repo/:ref/<path>.  The one rule
 * of publishing and of the raw route.  ota_path_ok: 1 or 0;
 * ota_path_fault: NULL, or the rule broken as a phrase for a message.
 */
#define OTA_PATH_MAX 1024
#define OTA_RAW_PREFIX_SEGS 5	/* "ota", "raw", owner, repo, ref */
#define OTA_PATH_SEGS 27	/* PATH_MAX_SEGS (32) - OTA_RAW_PREFIX_SEGS */
#define OTA_STR_(x) #x
#define OTA_STR(x) OTA_STR_(x)
int ota_path_ok(const char *p);
const char *ota_path_fault(const char *p);
/*
 * For a program's catch-all route ("*" method, last in its table): the
 * methods the other routes take for r's path ("GET, POST"), or NULL when
 * none matches it (a 404 rather than a 405), so that the catch-all answers
 * in the program's own error shape what the router would answer in text.
 */
const char *ota_route_allow(const struct app *app, struct http_req *r);
/*
 * p as a message or an answer may show it: valid UTF-8 text, each byte
 * that is no part of a well-formed character, or a control byte, written
 * as "\xNN"; cut at a character's boundary after about max bytes, with
 * "...".  In the arena.  A name from an archive or a directory is any
 * bytes: only this form of it reaches JSON.
 */
const char *ota_path_show(struct arena *a, const char *p, size_t max);
#define OTA_SHOWN_MAX 160	/* bytes of a path in a message */
/* 1 when a segment of p starts with '.': kept out of manifests (the client
 * refuses hidden paths in manifest mode) and out of uploaded trees. */
int ota_path_hidden(const char *p);
/* zlib's crc32 (the manifest's crc32 field), continuing from crc. */
uint32_t ota_crc32(uint32_t crc, const void *p, size_t n);
/*
 * s as a JSON string exactly as Python's json.dumps writes it with
 * ensure_ascii (the manifest signature is computed over that text):
 * '"' and '\\' escaped, \b \f \n \r \t, other bytes outside ' '..'~' as
 * \u00XX or, for UTF-8 sequences, \uXXXX (surrogate pairs above U+FFFF).
 * Returns 0, or -1 for invalid UTF-8.
 */
int ota_json_pystr(struct buf *b, const char *s);

/* -- sources: a directory or an archive, read into memory (ota_source.c) -- */
struct ota_file {
	const char *path;
	const char *data;
	size_t len;
	int exec;		/* mode 100755 */
};

struct ota_files {
	struct arena *a;
	struct ota_file *v;
	int n, cap, max;
	size_t total, max_bytes;
	/* what was left out (hidden files, links, fifos, devices) and why, a
	 * phrase for the publisher's message */
	const char **skipped, **skip_why;
	int nskipped;
};

void ota_files_init(struct ota_files *f, struct arena *a, int max, size_t max_bytes);
/*
 * Adds one file.  Hidden paths are left out (noted in skipped); a path the
 * client refuses or a duplicate fails with NB_INVALID, a set over its
 * limits with NB_TOO_LARGE.  Likewise for the readers below (an unreadable
 * or corrupt source: NB_INVALID).
 */
int ota_files_add(struct ota_files *f, const char *path, const char *data, size_t len,
		  int exec, struct nb_err *e);
int ota_read_dir(struct ota_files *f, const char *dir, struct nb_err *e);
/* A tar (any compression) or zip archive, from memory (what a fuzzer and
 * an upload feed) or from a file; one top directory shared by every entry
 * is dropped ("app-1.0/"). */
int ota_read_archive_mem(struct ota_files *f, const void *p, size_t n, struct nb_err *e);
int ota_read_archive(struct ota_files *f, const char *file, struct nb_err *e);
/*
 * An uploaded archive, kept in memory as the multipart parser hands it
 * over (no staging file: the upload is written once, as the release's
 * blobs, and read once, by ota_read_archive_mem).  Bounded by
 * ota_upload_max: the release's own limit (ota.max_bytes) and room for an
 * archive's headers (a tar or zip entry's, with a path of OTA_PATH_MAX
 * bytes, per file of ota.max_files).  ota_upload_add: appends n bytes; 0,
 * or -1 with e NB_TOO_LARGE past u->max, NB_UNAVAILABLE out of memory.
 * ota_upload_free: gives the bytes back (a zeroed struct with max set is
 * empty).
 */
#define OTA_ENTRY_OVERHEAD (4 * OTA_PATH_MAX)	/* bytes of headers per file */
struct ota_upload {
	char *p;
	size_t len, cap, max;
};
size_t ota_upload_max(const struct ota_settings *s);
int ota_upload_add(struct ota_upload *u, const char *p, size_t n, struct nb_err *e);
void ota_upload_free(struct ota_upload *u);

/* -- manifest (ota_manifest.c) -- */
struct ota_mfile {
	const char *path;
	uint64_t size;
	char sha256[65];
	uint32_t crc32;
};

struct ota_manifest {
	const char *version, *generated_at, *post_update;	/* post_update NULL: none */
	const struct ota_mfile *files;
	int nfiles;
	const char *const *deletes;
	int ndeletes;
};

/*
 * The manifest.json body: Python-canonical JSON (sorted keys, "," and ":"
 * separators, ASCII) with "signature" = hex HMAC-SHA256 over that same
 * text without the signature when key is non-NULL, keyed with the key's
 * bytes: what the client's _verify_manifest_signature recomputes.
 * Returns the NUL-terminated text or NULL (invalid UTF-8 in a string).
 */
char *ota_manifest_json(struct arena *a, const struct ota_manifest *m, const char *key);

/* -- git objects through libgit2 (ota_git.c) -- */
struct ota_treeent {
	const char *path;
	char sha1[OTA_SHA1_HEX];
	unsigned mode;		/* 0100644, 0100755, 040000, 0120000, 0160000 */
	int type;		/* 'b'lob, 't'ree, 'c'ommit (submodule) */
	uint64_t size;		/* blobs */
};

struct ota_tagobj {
	char sha[OTA_SHA1_HEX], target[OTA_SHA1_HEX];
	const char *tag, *message, *tagger_name, *tagger_email;
	long long tagger_time;
	const char *target_type;	/* "commit", "tree", ... */
};

struct ota_git;		/* one open bare repository */

/* Once per process, before anything else here. */
void ota_git_global_init(void);
/*
 * Opens (create: also creates) the bare repository
 * <s->git_dir>/<owner>/<name>.git; NULL with e: NB_NOT_FOUND (no such
 * repository), NB_INVALID (a bad name), NB_UNAVAILABLE (cannot create).
 */
struct ota_git *ota_git_open(const struct ota_settings *s, const char *owner, const char *name,
			     int create, struct nb_err *e);
void ota_git_close(struct ota_git *g);
/* Builds blobs, trees and a commit from files (parent: "" for none). */
int ota_git_commit_files(struct ota_git *g, const struct ota_files *f, const char *parent,
			 const char *message, char *commit, struct nb_err *e);
/*
 * Copies a commit (with its tree and blobs, not its history) from a local
 * git repository, keeping its id.  ref is what `git rev-parse` takes
 * (NULL: HEAD).  When ref names an annotated tag, *tagobj receives the
 * tag object's id (also copied), else "".
 */
int ota_git_import(struct ota_git *g, struct arena *a, const char *src, const char *ref,
		   char *commit, char *tagobj, struct nb_err *e);
/* An annotated tag object for commit; its id into tagobj. */
int ota_git_make_tag(struct ota_git *g, const char *tag, const char *commit,
		     const char *message, char *tagobj, struct nb_err *e);
/* Points refs/<kind>/<name> at sha (kind "tags" or "heads"). */
int ota_git_set_ref(struct ota_git *g, const char *kind, const char *name, const char *sha);
/*
 * The tree of a commit or tree id, every entry (flags OTA_TREE_RECURSIVE)
 * or the top level; *tree receives the tree's id.  Blob sizes are read
 * from each object's header, one read per blob, unless OTA_TREE_NO_SIZE
 * (sizes 0: the caller knows them from the store).  0, or -1 when sha
 * names neither.
 */
#define OTA_TREE_RECURSIVE 1
#define OTA_TREE_NO_SIZE 2
int ota_git_tree(struct ota_git *g, struct arena *a, const char *sha, int flags,
		 char *tree, struct ota_treeent **out, int *n);
/* An annotated tag object; 0, or -1 when sha is not one. */
int ota_git_tag(struct ota_git *g, struct arena *a, const char *sha, struct ota_tagobj *t);
/*
 * The object an id names, in full, as git takes an id: 7-40 hex digits of
 * either case (an abbreviation, as GitHub takes one for a sha).  0, -1
 * when it names none (or is no id), -2 when it names more than one.
 */
#define OTA_SHA_SHORT_MIN 7
int ota_git_resolve(struct ota_git *g, const char *hex, char *full);
/* A blob's bytes (a copy in the arena), or NULL. */
const char *ota_git_blob(struct ota_git *g, struct arena *a, const char *sha, size_t *n);

/* -- the store (ota_store.c): plain rows, all SQL of the ota_ tables -- */
struct ota_repo {
	long long id;
	char owner[OTA_NAME_MAX + 1], name[OTA_NAME_MAX + 1];
	int private;
	char sign_key[129];	/* "" when manifests are unsigned */
	long long created;
};

struct ota_release {
	long long id, repo_id;
	char tag[OTA_REF_MAX + 1];
	char commit[OTA_SHA1_HEX], tag_sha[OTA_SHA1_HEX];	/* tag_sha "" when lightweight */
	char manifest[65];		/* sha256 of manifest.json in the blob store; "" tree mode */
	long long manifest_size, published;	/* published: seconds since the epoch */
	char version[OTA_REF_MAX + 1];
};

struct ota_branch {
	char name[OTA_REF_MAX + 1], commit[OTA_SHA1_HEX];
	long long updated;
};

struct ota_blobrow {
	char sha1[OTA_SHA1_HEX], sha256[65];
	uint64_t size;
	uint32_t crc32;
};

struct ota_filerow {
	const char *path;
	struct ota_blobrow b;
};

/*
 * Each returns 0, or -1 with e: NB_NOT_FOUND for a row that is not there
 * ("release not found"), NB_UNAVAILABLE when the store is busy or
 * failing, NB_CONFLICT for a row that exists already (a release's tag).
 */
int ota_repo_get(struct app *app, const char *owner, const char *name, struct ota_repo *r,
		 struct nb_err *e);
/* Finds or creates (public) the repository. */
int ota_repo_ensure(struct app *app, const char *owner, const char *name, struct ota_repo *r,
		    struct nb_err *e);
/* The private flag's row only; ota_repo_set_private (ota_static.c) also
 * adds or removes the repository's static answers. */
int ota_repo_store_private(struct app *app, long long id, int private, struct nb_err *e);
int ota_repo_set_key(struct app *app, long long id, const char *key, struct nb_err *e);
/* Repositories in (owner, name) order, into an arena array. */
int ota_repo_list(struct app *app, struct arena *a, struct ota_repo **out, int *n,
		  struct nb_err *e);

/* A read token's name for this repository (token in clear, stored hashed);
 * NB_NOT_FOUND when it is not one of the repository's tokens. */
int ota_token_check(struct app *app, long long repo_id, const char *token, char *name, size_t n,
		    struct nb_err *e);
int ota_token_add(struct app *app, long long repo_id, const char *name, const char *token,
		  struct nb_err *e);

int ota_release_latest(struct app *app, long long repo_id, struct ota_release *rel,
		       struct nb_err *e);
int ota_release_by_tag(struct app *app, long long repo_id, const char *tag,
		       struct ota_release *rel, struct nb_err *e);
int ota_release_by_id(struct app *app, long long repo_id, long long id, struct ota_release *rel,
		      struct nb_err *e);
/* Newest first, at most max, after the skip newest. */
int ota_release_list(struct app *app, struct arena *a, long long repo_id, long long skip,
		     int max, struct ota_release **out, int *n, struct nb_err *e);
int ota_branch_get(struct app *app, long long repo_id, const char *name, struct ota_branch *b,
		   struct nb_err *e);

/* A blob known by its git id. */
int ota_blob_get(struct app *app, const char *sha1, struct ota_blobrow *row, struct nb_err *e);
/* gc: 1 while a blob-store file (sha256) is an OTA file or manifest, 0
 * when it is not; -1 with e NB_UNAVAILABLE when the store cannot say (gc
 * then keeps it). */
int ota_blob_known(struct app *app, const char *sha256, struct nb_err *e);
/* The file at path in a published commit. */
int ota_file_get(struct app *app, long long repo_id, const char *commit, const char *path,
		 struct ota_blobrow *row, struct nb_err *e);
/* Every file of a published commit, in path order. */
int ota_file_list(struct app *app, struct arena *a, long long repo_id, const char *commit,
		  struct ota_filerow **out, int *n, struct nb_err *e);

/* Writes of one publication, inside one transaction (ota_publish.c). */
int ota_blob_put(struct app *app, const struct ota_blobrow *row, struct nb_err *e);
int ota_file_put(struct app *app, long long repo_id, const char *commit, const char *path,
		 const char *sha1, struct nb_err *e);
/* NB_CONFLICT when the tag is published already. */
int ota_release_put(struct app *app, struct ota_release *rel, struct nb_err *e);
int ota_branch_put(struct app *app, long long repo_id, const char *name, const char *commit,
		   struct nb_err *e);

/* -- tokens, boards and rollouts (ota_board_store.c) -- */
struct ota_tokenrow {
	long long id, created;
	char name[101];
};

/* A repository's read tokens (never their secret), oldest first. */
int ota_token_list(struct app *app, struct arena *a, long long repo_id, struct ota_tokenrow **out,
		   int *n, struct nb_err *e);
/* Deletes token id of the repository; NB_NOT_FOUND when it is none of its. */
int ota_token_revoke(struct app *app, long long repo_id, long long id, struct nb_err *e);

/*
 * Who asks (ota_board.c): key is "t:" + sha256 hex of the token the board
 * sent when it is one of the repository's read tokens (name: the token's
 * name), else "a:" + its address (name: the address), whatever other
 * token it sent: keys are the server's, never a board's choice.
 */
struct ota_who {
	char key[80], name[101];
	const char *addr, *agent;
	int unknown;		/* the store could not say whose token it is */
};

/* One board of a repository as the inventory keeps it. */
struct ota_boardrow {
	long long id, repo_id, first_seen, last_seen, done_at;
	char key[80], name[101], address[64], agent[128];
	char fetch_commit[OTA_SHA1_HEX], fetch_ref[OTA_REF_MAX + 1], fetch_path[256];
	int fetch_n, fetch_total;
	char done_commit[OTA_SHA1_HEX], done_ref[OTA_REF_MAX + 1];
};

/* The board's row: 0, or -1 with NB_NOT_FOUND (never seen) or NB_UNAVAILABLE. */
int ota_board_get(struct app *app, long long repo_id, const char *key, struct ota_boardrow *b,
		  struct nb_err *e);
/* Inserts or replaces every column of b (by repo_id and key). */
int ota_board_put(struct app *app, const struct ota_boardrow *b, struct nb_err *e);
/* A repository's boards (repo_id 0: every repository's), the most recently
 * seen first, at most max. */
int ota_board_list(struct app *app, struct arena *a, long long repo_id, int max,
		   struct ota_boardrow **out, int *n, struct nb_err *e);
/* A repository's boards. */
int ota_board_count(struct app *app, long long repo_id, long long *n, struct nb_err *e);
/* Boards whose last complete fetch is commit. */
int ota_board_count_on(struct app *app, long long repo_id, const char *commit, long long *n,
		       struct nb_err *e);
/*
 * The files a board fetches for commit (ota_board.c's "complete"): in
 * manifest mode every file but hidden ones (the manifest's list), in tree
 * mode every non-empty file (the client skips empty blobs).
 */
int ota_file_count(struct app *app, long long repo_id, const char *commit, int manifest_mode,
		   int *n, struct nb_err *e);

/* The staged rollout of a repository's newest release. */
struct ota_rollout {
	long long repo_id, release_id, prev_id, updated;
	int percent, paused;
};

int ota_rollout_get(struct app *app, long long repo_id, struct ota_rollout *ro,
		    struct nb_err *e);
/* Inserts or replaces the repository's rollout. */
int ota_rollout_put(struct app *app, const struct ota_rollout *ro, struct nb_err *e);
/* Branches in name order. */
int ota_branch_list(struct app *app, struct arena *a, long long repo_id, struct ota_branch **out,
		    int *n, struct nb_err *e);

/* -- the inventory and the rollout rule (ota_board.c) -- */
/* Who r is, for repo (the token is looked up by its hash only). */
void ota_who_of(struct app *app, struct http_req *r, const struct ota_repo *repo,
		struct ota_who *who);
/*
 * A check (releases/latest, a branch tip): records last_seen, address and
 * user agent, writing only when one changed or last_seen is a minute old.
 * Errors are logged, never answered: the board's check goes on.
 */
void ota_board_seen(struct app *app, const struct ota_repo *repo, const struct ota_who *who);
/*
 * A raw file served: counts it towards commit (ref as the board named
 * it); the commit is the board's "last fetched completely" once it has
 * fetched as many files as ota_file_count says.  One write per new file.
 */
void ota_board_fetched(struct app *app, const struct ota_repo *repo, const struct ota_who *who,
		       const char *ref, const char *commit, int manifest_mode, const char *path);
/* A board's place in a rollout of tag, 0..99: the first 32 bits of
 * sha256("<tag>\n<key>") mod 100, stable for the board and the release. */
int ota_rollout_bucket(const char *tag, const char *key);
/*
 * The release releases/latest gives this board: the newest, unless its
 * rollout leaves the board out (paused, or its bucket at or above the
 * percent) and the board has not fetched it yet: then the previous one.
 */
int ota_release_for(struct app *app, const struct ota_repo *repo, const struct ota_who *who,
		    struct ota_release *rel, struct nb_err *e);
/* ota_release_for's two steps: the newest release and its rollout
 * (*has_ro 0: none) as the store has them, ... */
int ota_latest_read(struct app *app, long long repo_id, struct ota_release *rel,
		    struct ota_rollout *ro, int *has_ro, struct nb_err *e);
/* ... and the rule applied for one board: rel (the newest in, the board's
 * out), ro NULL when there is no rollout. */
int ota_rollout_pick(struct app *app, const struct ota_repo *repo, const struct ota_who *who,
		     const struct ota_rollout *ro, struct ota_release *rel, struct nb_err *e);
/*
 * Operator changes of a rollout (nestboxctl, admin): percent -1 keeps it,
 * pause 1 pauses, 0 resumes, -1 keeps.  NB_NOT_FOUND without a release,
 * NB_INVALID for a percent outside 0..100.  ro receives the result.
 */
int ota_rollout_change(struct app *app, long long repo_id, int percent, int pause,
		       struct ota_rollout *ro, struct nb_err *e);

/* -- publishing (ota_publish.c) -- */
struct ota_pub {
	const char *owner, *name;
	const char *tag;		/* publish: the release's tag */
	const char *branch;		/* push: the branch */
	const char *src, *src_ref;	/* a directory, an archive or a git repository [ref] */
	const struct ota_upload *upload; /* or an archive in memory (src NULL) */
	const char *version;		/* manifest version; NULL: the tag */
	const char *post_update;	/* a file of the release, or NULL */
	const char *message;		/* annotated tag message; NULL: lightweight */
	int no_manifest;		/* tree mode */
	/* out */
	char commit[OTA_SHA1_HEX], tag_sha[OTA_SHA1_HEX];
	int nfiles, nstored;		/* files, and blobs new to the store */
	const char **skipped, **skip_why; /* left out of the release, and why (ota_files) */
	int nskipped;
	int unchanged;			/* push: the tree is the branch tip's, nothing written */
	const char *src_name;		/* how messages name src (NULL: src as given) */
};

/* 0, or -1 with e: NB_CONFLICT when the tag is published already (releases
 * never change), NB_INVALID for a bad name or source, NB_UNAVAILABLE. */
int ota_publish(struct app *app, const struct ota_settings *s, struct arena *a,
		struct ota_pub *p, struct nb_err *e);
int ota_push(struct app *app, const struct ota_settings *s, struct arena *a, struct ota_pub *p,
	     struct nb_err *e);

/* -- static answers for the front end (ota_static.c) -- */
/*
 * Writes the answers of a public repository's release that need no token
 * and no board (git/ref[s]/tags/{tag}, releases/tags/{tag}, git/tags/{tag
 * object}, git/trees/{commit}?recursive) under <var_dir>/ota-static, with
 * ota.fcgi's bytes; nothing when the repository is private or
 * server.base_url is empty.  0, or -1 when one could not be written (its
 * requests then go to ota.fcgi; the reason is on stderr).
 */
int ota_static_release(struct app *app, const struct ota_settings *s, struct arena *a,
		       const struct ota_repo *repo, const struct ota_release *rel);
/* The same for a pushed commit's recursive tree (the developer channel). */
int ota_static_commit(struct app *app, const struct ota_settings *s, struct arena *a,
		      const struct ota_repo *repo, const char *commit);
/*
 * Sets a repository private (its static answers are removed: a private
 * repository answers 404 without a token) or public (its releases' and
 * branches' static answers are written).  0, or -1 with e: the store's
 * errors, NB_UNAVAILABLE when a private repository's files stay.  s: the
 * caller's ota settings, read once at its start (ota_settings_read).
 */
int ota_repo_set_private(struct app *app, const struct ota_settings *s, long long id,
			 int private, struct nb_err *e);
/* Removes one directory tree (if any), never following a link; 0 or -1
 * (the reason on stderr). */
int ota_remove_tree(const char *dir);
/* On a store other hosts share (PostgreSQL), where no static answer is
 * written, removes <var_dir>/ota-static/ota left from a SQLite past; 0 or
 * -1 (ota_init calls it). */
int ota_static_unshare(struct app *app);

/* -- settings and process state (ota_settings.c) -- */
/*
 * ota.fcgi's per-process caches of releases/latest (ota_latest.c): a
 * repository's newest release and rollout, valid while the store's data
 * version (db_data_version) is the one they were read at; and release
 * objects as rendered JSON, by release id and base URL (a published
 * release never changes).
 */
#define OTA_CACHE 8
struct ota_latest_entry {
	int used, has_ro;
	unsigned version;
	long long repo_id;
	struct ota_release rel;
	struct ota_rollout ro;
};

struct ota_body_entry {
	long long rel_id;
	char *base, *body;	/* malloc'd: they outlive requests */
	size_t len;
	char etag[136];		/* '"' + the body's SHA-1 hex + '"' */
};

/* ota.fcgi's per-process state (app->domain). */
struct ota {
	struct ota_settings set;
	struct ota_latest_entry latest[OTA_CACHE];
	struct ota_body_entry body[OTA_CACHE];
	int latest_next, body_next;
};

/* Fills s from app->conf and app->set (at start-up, never per request). */
void ota_settings_read(const struct app *app, struct ota_settings *s);
/* 0, or -1 with e (NB_INVALID) naming the key whose value is out of its range. */
int ota_settings_check(const struct ota_settings *s, struct nb_err *e);
int ota_init(struct app *app, struct nb_err *e);
void ota_fini(struct app *app);

/* -- HTTP: one file per resource (src/cgi/ota.fcgi.c routes to them) -- */
/* ota_releases.c: releases/latest, releases/tags/:tag, releases/:id (one
 * release: ota_release), releases and tags (the lists, paged as GitHub:
 * ?page, ?per_page) */
int ota_release(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int ota_releases(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ota_asset.c: releases/assets/:id and /ota/download/:owner/:repo/:tag/:file
 * (the manifest asset: JSON, or its bytes) */
int ota_asset(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ota_refs.c: git/ref(s)/tags/:tag, git/ref(s)/heads/:branch */
int ota_ref_tag(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
int ota_ref_head(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ota_tags.c: git/tags/:sha */
int ota_tag(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ota_trees.c: git/trees/:sha[?recursive] */
int ota_tree(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ota_raw.c: /ota/raw/:owner/:repo/:ref/<path> */
int ota_raw(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ota_http.c: the rest of /ota/api (the routes' last): GitHub's 404, or a
 * 405 with Allow when another method has a route there */
int ota_api_refuse(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* ota.fcgi's error format (app->fail_write, set by ota_init): every
 * error of the program in GitHub's shape, {"message":msg,
 * "documentation_url":…} with status (the board reads only the status);
 * NB_NOT_FOUND says only "Not Found", so a private repository stays
 * unnamed (protocols/ota-github.md). */
void ota_error_write(struct http_resp *w, int status, enum nb_errkind kind, const char *msg);

/*
 * Validators of ota.fcgi's declared input (req.h; ota_path.c), public for
 * tests/fuzz: an owner (ota_owner_ok), a repository name
 * (ota_repo_name_ok), a tag, branch or ref (ota_ref_ok), a git id
 * (ota_sha_ok), an asset name ("manifest.json").  A refusal is 400
 * "invalid <field>".
 */
int ota_owner_valid(const struct app *app, const struct req_field *f, const char *raw,
		    struct req_value *out, struct nb_err *e);
int ota_repo_valid(const struct app *app, const struct req_field *f, const char *raw,
		   struct req_value *out, struct nb_err *e);
int ota_ref_valid(const struct app *app, const struct req_field *f, const char *raw,
		  struct req_value *out, struct nb_err *e);
int ota_sha_valid(const struct app *app, const struct req_field *f, const char *raw,
		  struct req_value *out, struct nb_err *e);
int ota_asset_name_valid(const struct app *app, const struct req_field *f, const char *raw,
			 struct req_value *out, struct nb_err *e);
/* An asset's file name: exactly "manifest.json". */
int ota_asset_name_ok(const char *s);

#endif
