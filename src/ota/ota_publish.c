/*
 * Publishing: a release (tag + commit + manifest.json) for the stable
 * channel, or a branch tip for the developer channel.  The source becomes
 * a commit in the repository's bare git repository first (built from a
 * directory or archive, or copied from a git repository with its id);
 * then every blob of that commit not yet known is stored content-addressed
 * in the blob store, so a new release stores only the files that changed.
 * The rows that make it visible to boards are written in one transaction
 * at the end: a failed publication leaves nothing a board can see.
 */
#include "ota.h"
#include "ota_git.h"
#include "../lib/hash.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct pubctx {
	struct app *app;
	struct arena *a;
	struct ota_pub *p;
	struct ota_repo repo;
	struct ota_git *g;
	struct ota_filerow *files;	/* every blob of the commit */
	int nfiles;
	struct ota_blobrow *fresh;	/* blobs new to the store */
	int nfresh;
	const struct ota_settings *set;
	struct nb_err *e;
	int git_src;			/* the source is a git repository */
	struct ota_files in;		/* else its files, read before anything is written */
};

static int is_git(const char *src)
{
	git_repository *r = NULL;
	int ok = git_repository_open_ext(&r, src, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0;

	git_repository_free(r);
	return ok;
}

struct gitcheck {
	struct arena *a;
	struct nb_err *e;
	int visible, failed;
};

/* One entry of a git source's tree: a link or a path boards cannot fetch
 * fails (the commit is kept as it is: nothing can be left out of it). */
static int gitcheck_entry(const char *root, const git_tree_entry *te, void *p)
{
	struct gitcheck *k = p;
	char path[OTA_PATH_MAX + 2];

	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		return 0;
	/* one byte over OTA_PATH_MAX is enough for ota_path_fault to refuse it */
	snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(te));
	if (git_tree_entry_filemode(te) == GIT_FILEMODE_LINK)
		nb_fail(k->e, NB_INVALID, "%s: a symbolic link in the commit (the updater"
			" fetches files only: commit the file itself)",
			ota_path_show(k->a, path, OTA_SHOWN_MAX));
	else if (!ota_path_ok(path))
		nb_fail(k->e, NB_INVALID, "%s: a path the updater refuses or cannot fetch (%s)",
			ota_path_show(k->a, path, OTA_SHOWN_MAX), ota_path_fault(path));
	else {
		k->visible += !ota_path_hidden(path);
		return 0;
	}
	k->failed = 1;
	return -1;
}

/*
 * A git source's commit, checked before anything is written (the import
 * comes after the repository's row): the ref names a commit, and its tree
 * holds a file to publish and nothing boards cannot fetch.
 */
static int check_git_source(struct pubctx *c)
{
	struct gitcheck k = { c->a, c->e, 0, 0 };
	git_repository *r = NULL;
	git_object *obj = NULL;
	git_tree *tree = NULL;
	int rc = -1;

	if (git_repository_open_ext(&r, c->p->src, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
	    git_revparse_single(&obj, r, c->p->src_ref && *c->p->src_ref ? c->p->src_ref
									: "HEAD") < 0 ||
	    git_object_peel((git_object **)&tree, obj, GIT_OBJECT_TREE) < 0)
		nb_fail(c->e, NB_INVALID, "the ref names no commit in that repository");
	else if (git_tree_walk(tree, GIT_TREEWALK_PRE, gitcheck_entry, &k) < 0 && !k.failed)
		nb_fail(c->e, NB_INVALID, "cannot read the commit's tree");
	else if (!k.failed && !k.visible)
		nb_fail(c->e, NB_INVALID, "the commit has no files to publish (hidden files are left"
			" out)");
	else
		rc = k.failed ? -1 : 0;
	git_tree_free(tree);
	git_object_free(obj);
	git_repository_free(r);
	return rc;
}

/* The files of a directory, an archive file or an upload (in memory) into
 * c->in; 0, or -1 with c->e (the readers' errors). */
static int read_files(struct pubctx *c, const char *name)
{
	struct ota_pub *p = c->p;
	struct stat st;

	ota_files_init(&c->in, c->a, c->set->max_files, c->set->max_bytes);
	if (p->upload)
		return ota_read_archive_mem(&c->in, p->upload->p, p->upload->len, c->e);
	if (stat(p->src, &st) < 0)
		return nb_fail(c->e, NB_INVALID, "%s: does not exist", name);
	return S_ISDIR(st.st_mode) ? ota_read_dir(&c->in, p->src, c->e)
				   : ota_read_archive(&c->in, p->src, c->e);
}

/*
 * Reads the source into c->in (a git repository is read when committed),
 * before the repository is touched: a source that is refused changes
 * nothing.  A post_update that names no file of the source is refused
 * here too.
 */
static int read_source(struct pubctx *c)
{
	struct ota_pub *p = c->p;
	const char *name = p->src_name ? p->src_name : p->src;
	int rc, i;

	if (!p->upload && is_git(p->src)) {
		c->git_src = 1;
		return check_git_source(c) < 0 ? nb_err_prefix(c->e, "%s", name) : 0;
	}
	if (p->src_ref)
		return nb_fail(c->e, NB_INVALID, "a ref is only taken with a git repository");
	rc = read_files(c, name);
	/* the readers name paths inside the source; the source is named here,
	 * as its publisher knows it (never a server's temporary file) */
	if (rc < 0)
		return nb_err_prefix(c->e, "%s", name);
	p->skipped = c->in.skipped;
	p->skip_why = c->in.skip_why;
	p->nskipped = c->in.nskipped;
	if (c->in.n == 0)
		return nb_fail(c->e, NB_INVALID, "%s: no files to publish (hidden files, links and"
			       " special files are left out)", name);
	for (i = 0; p->post_update && i < c->in.n; i++)
		if (!strcmp(c->in.v[i].path, p->post_update))
			return 0;
	return p->post_update ? nb_fail(c->e, NB_INVALID,
					"post_update names no file of the release") : 0;
}

/* The source as a commit in our repository; parent for built commits. */
static int source_commit(struct pubctx *c, const char *parent)
{
	struct ota_pub *p = c->p;

	if (c->git_src)
		return ota_git_import(c->g, c->a, p->src, p->src_ref, p->commit, p->tag_sha, c->e);
	return ota_git_commit_files(c->g, &c->in, parent, p->tag ? p->tag : p->branch, p->commit,
				    c->e);
}

/* Stores one blob's bytes in the blob store and fills its row. */
static int store_blob(struct pubctx *c, const char *sha1, struct ota_blobrow *row)
{
	struct blob_writer w;
	const char *data;
	size_t n;

	data = ota_git_blob(c->g, c->a, sha1, &n);
	if (!data || blob_writer_open(&c->app->blobs, &w) < 0)
		return -1;
	if (blob_writer_write(&w, data, n) < 0) {
		blob_writer_abort(&w);
		return -1;
	}
	if (blob_writer_commit(&w, NULL, row->sha256) < 0)
		return -1;
	snprintf(row->sha1, sizeof(row->sha1), "%s", sha1);
	row->size = n;
	row->crc32 = ota_crc32(0, data, n);
	return 0;
}

/* Every blob of the commit, stored when new. */
static int collect(struct pubctx *c)
{
	struct ota_treeent *t;
	char tree[OTA_SHA1_HEX];
	int n, i, visible = 0;

	/* sizes come with the stored rows or the bytes: no header read per blob */
	if (ota_git_tree(c->g, c->a, c->p->commit, OTA_TREE_RECURSIVE | OTA_TREE_NO_SIZE, tree, &t,
			 &n) < 0)
		return nb_fail(c->e, NB_INTERNAL, "cannot read the commit's tree");
	c->files = arena_alloc(c->a, sizeof(*c->files) * (size_t)(n + 1));
	c->fresh = arena_alloc(c->a, sizeof(*c->fresh) * (size_t)(n + 1));
	for (i = 0; i < n; i++) {
		struct ota_filerow *f = &c->files[c->nfiles];
		if (t[i].type != 'b')
			continue;
		/* a commit is kept as it is (its id is the board's): a link in it
		 * cannot be left out, and would reach boards as a file holding its
		 * target's name */
		if (t[i].mode == 0120000)
			return nb_fail(c->e, NB_INVALID, "%s: a symbolic link in the commit (the"
				       " updater fetches files only: commit the file itself)",
				       ota_path_show(c->a, t[i].path, OTA_SHOWN_MAX));
		if (!ota_path_ok(t[i].path))
			return nb_fail(c->e, NB_INVALID, "%s: a path the updater refuses or cannot"
				       " fetch (%s)", ota_path_show(c->a, t[i].path, OTA_SHOWN_MAX),
				       ota_path_fault(t[i].path));
		f->path = t[i].path;
		visible += !ota_path_hidden(f->path);
		if (ota_blob_get(c->app, t[i].sha1, &f->b, c->e) < 0) {
			if (c->e->kind != NB_NOT_FOUND)
				return -1;
			if (store_blob(c, t[i].sha1, &f->b) < 0)
				return nb_fail(c->e, NB_UNAVAILABLE,
					       "cannot store a file in the blob store");
			c->fresh[c->nfresh++] = f->b;
		}
		c->nfiles++;
	}
	c->p->nfiles = c->nfiles;
	c->p->nstored = c->nfresh;
	return visible ? 0 : nb_fail(c->e, NB_INVALID, "the commit has no files to publish"
				    " (hidden files are left out)");
}

/* Paths of the previous release's manifest that this one no longer has;
 * their count, or -1 with c->e. */
static int deletes(struct pubctx *c, const struct ota_release *prev, const char ***out)
{
	struct ota_filerow *old;
	const char **v;
	int n, i, j, k = 0;

	*out = NULL;
	if (!prev)
		return 0;
	if (ota_file_list(c->app, c->a, c->repo.id, prev->commit, &old, &n, c->e) < 0)
		return -1;
	v = arena_alloc(c->a, sizeof(*v) * (size_t)(n + 1));
	for (i = 0; i < n; i++) {
		int found = 0;
		if (ota_path_hidden(old[i].path))
			continue;
		for (j = 0; j < c->nfiles && !found; j++)
			found = !strcmp(c->files[j].path, old[i].path);
		if (!found)
			v[k++] = old[i].path;
	}
	*out = v;
	return k;
}

static void iso_time(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* manifest.json into the blob store; rel->manifest gets its name. */
static int manifest(struct pubctx *c, const struct ota_release *prev, struct ota_release *rel)
{
	struct ota_mfile *mf = arena_alloc(c->a, sizeof(*mf) * (size_t)(c->nfiles + 1));
	struct ota_manifest m;
	struct blob_writer w;
	char when[32], *json;
	int i, post = 0;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < c->nfiles; i++) {
		struct ota_mfile *f = &mf[m.nfiles];
		if (ota_path_hidden(c->files[i].path))
			continue;	/* the client refuses hidden paths in manifests */
		f->path = c->files[i].path;
		f->size = c->files[i].b.size;
		f->crc32 = c->files[i].b.crc32;
		snprintf(f->sha256, sizeof(f->sha256), "%s", c->files[i].b.sha256);
		post |= c->p->post_update && !strcmp(f->path, c->p->post_update);
		m.nfiles++;
	}
	if (c->p->post_update && !post)
		return nb_fail(c->e, NB_INVALID, "post_update names no file of the release");
	iso_time((time_t)rel->published, when, sizeof(when));
	m.version = rel->version;
	m.generated_at = when;
	m.post_update = c->p->post_update;
	m.files = mf;
	m.ndeletes = deletes(c, prev, (const char ***)&m.deletes);
	if (m.ndeletes < 0)
		return -1;
	json = ota_manifest_json(c->a, &m, c->repo.sign_key);
	if (!json)
		return nb_fail(c->e, NB_INVALID, "a path is not valid UTF-8");
	if (blob_writer_open(&c->app->blobs, &w) < 0)
		return nb_fail(c->e, NB_UNAVAILABLE, "cannot store manifest.json");
	if (blob_writer_write(&w, json, strlen(json)) < 0 || blob_writer_commit(&w, NULL, rel->manifest) < 0) {
		blob_writer_abort(&w);	/* its descriptors and temp file (again after commit: harmless) */
		return nb_fail(c->e, NB_UNAVAILABLE, "cannot store manifest.json");
	}
	rel->manifest_size = (long long)strlen(json);
	return 0;
}

/* The rows of the blobs and files, inside the caller's transaction. */
static int put_files(struct pubctx *c)
{
	int i;

	for (i = 0; i < c->nfresh; i++)
		if (ota_blob_put(c->app, &c->fresh[i], c->e) < 0)
			return -1;
	for (i = 0; i < c->nfiles; i++)
		if (ota_file_put(c->app, c->repo.id, c->p->commit, c->files[i].path,
				 c->files[i].b.sha1, c->e) < 0)
			return -1;
	return 0;
}

static void ctx_init(struct pubctx *c, struct app *app, const struct ota_settings *s,
		     struct arena *a, struct ota_pub *p, struct nb_err *e)
{
	memset(c, 0, sizeof(*c));
	c->app = app;
	c->set = s;
	c->a = a;
	c->p = p;
	c->e = e;
}

/* The names and the source are checked first (nothing written), then the
 * repository is found or created and its git repository opened. */
static int open_repo(struct pubctx *c, int (*names_ok)(struct pubctx *))
{
	struct ota_pub *p = c->p;

	if (!ota_repo_ok(p->owner, p->name))
		return nb_fail(c->e, NB_INVALID, "%s", OTA_REPO_RULE);
	if (names_ok(c) < 0 || read_source(c) < 0)
		return -1;
	if (ota_repo_ensure(c->app, p->owner, p->name, &c->repo, c->e) < 0)
		return nb_err_prefix(c->e, "cannot record the repository");
	c->g = ota_git_open(c->set, p->owner, p->name, 1, c->e);
	return c->g ? 0 : -1;
}

static int tag_names_ok(struct pubctx *c)
{
	const struct ota_pub *p = c->p;

	if (!p->tag || !ota_ref_new_ok(p->tag))
		return nb_fail(c->e, NB_INVALID, "bad tag (%s)", OTA_REF_RULE);
	if (p->version && !ota_ref_ok(p->version))
		return nb_fail(c->e, NB_INVALID, "bad tag or version (1-100 of letters, digits,"
			       " '.', '_', '-', '+')");
	return 0;
}

static int branch_name_ok(struct pubctx *c)
{
	if (!c->p->branch || !ota_ref_new_ok(c->p->branch))
		return nb_fail(c->e, NB_INVALID, "bad branch name (%s)", OTA_REF_RULE);
	return 0;
}

/* Uses the source's annotated tag when it carries the release's name,
 * else makes one when a message is given; else the tag is lightweight. */
static int tag_object(struct pubctx *c)
{
	struct ota_tagobj t;

	if (c->p->tag_sha[0] && (ota_git_tag(c->g, c->a, c->p->tag_sha, &t) < 0 ||
				 strcmp(t.tag, c->p->tag)))
		c->p->tag_sha[0] = '\0';
	if (!c->p->tag_sha[0] && c->p->message &&
	    ota_git_make_tag(c->g, c->p->tag, c->p->commit, c->p->message, c->p->tag_sha, c->e) < 0)
		return -1;
	return 0;
}

/* A release that exists: releases never change (exit 3 in nestboxctl). */
static int exists(struct nb_err *e, const char *tag)
{
	return nb_fail(e, NB_CONFLICT, "release %s exists (releases never change)", tag);
}

/*
 * The new release's rollout, at ota.rollout_start percent of the boards;
 * the others keep the previous release.  When the previous release's own
 * rollout had not reached every board, they keep what that one kept: a
 * half-rolled-out release never reaches everyone by being superseded.
 */
static int start_rollout(struct pubctx *c, const struct ota_release *prev,
			 const struct ota_release *rel)
{
	struct ota_rollout old, ro;

	memset(&ro, 0, sizeof(ro));
	ro.repo_id = c->repo.id;
	ro.release_id = rel->id;
	ro.percent = c->set->rollout_start;
	if (prev) {
		ro.prev_id = prev->id;
		if (ota_rollout_get(c->app, c->repo.id, &old, c->e) < 0) {
			if (c->e->kind != NB_NOT_FOUND)
				return -1;	/* unknown: never guess "complete" */
		} else if (old.release_id == prev->id && old.prev_id &&
			   (old.paused || old.percent < 100))
			ro.prev_id = old.prev_id;
	}
	return ota_rollout_put(c->app, &ro, c->e);
}

static int publish_rows(struct pubctx *c, struct ota_release *prev, int has_prev,
			struct ota_release *rel)
{
	if (!c->p->no_manifest && manifest(c, has_prev ? prev : NULL, rel) < 0)
		return -1;
	if (db_begin(c->app->db) < 0)
		return nb_fail(c->e, NB_UNAVAILABLE, "the store is busy");
	if (put_files(c) < 0 || ota_release_put(c->app, rel, c->e) < 0 ||
	    start_rollout(c, has_prev ? prev : NULL, rel) < 0) {
		db_rollback(c->app->db);
		/* a second publisher of the same tag won the race */
		return c->e->kind == NB_CONFLICT ? exists(c->e, rel->tag)
						 : nb_err_prefix(c->e, "cannot record the release");
	}
	if (db_commit(c->app->db) < 0)
		return nb_fail(c->e, NB_UNAVAILABLE, "cannot commit the release");
	return 0;
}

/* The checks before anything is written; the latest release into prev. */
static int publish_check(struct pubctx *c, struct ota_release *prev, int *has_prev)
{
	struct ota_release rel;
	struct ota_pub *p = c->p;

	if (ota_release_by_tag(c->app, c->repo.id, p->tag, &rel, c->e) == 0)
		return exists(c->e, p->tag);
	if (c->e->kind != NB_NOT_FOUND)
		return -1;
	*has_prev = ota_release_latest(c->app, c->repo.id, prev, c->e) == 0;
	return *has_prev || c->e->kind == NB_NOT_FOUND ? 0 : -1;
}

int ota_publish(struct app *app, const struct ota_settings *s, struct arena *a,
		struct ota_pub *p, struct nb_err *e)
{
	struct ota_release prev, rel;
	struct nb_err local;
	struct pubctx c;
	int rc, has_prev = 0;

	if (!e)
		e = &local;	/* the steps read the kind of what failed */
	ctx_init(&c, app, s, a, p, e);
	if ((rc = open_repo(&c, tag_names_ok)) < 0 || (rc = publish_check(&c, &prev, &has_prev)) < 0 ||
	    (rc = source_commit(&c, has_prev ? prev.commit : "")) < 0 || (rc = tag_object(&c)) < 0 ||
	    (rc = collect(&c)) < 0)
		goto out;
	memset(&rel, 0, sizeof(rel));
	rel.repo_id = c.repo.id;
	snprintf(rel.tag, sizeof(rel.tag), "%s", p->tag);
	snprintf(rel.version, sizeof(rel.version), "%s", p->version ? p->version : p->tag);
	snprintf(rel.commit, sizeof(rel.commit), "%s", p->commit);
	snprintf(rel.tag_sha, sizeof(rel.tag_sha), "%s", p->tag_sha);
	rel.published = (long long)time(NULL);
	if ((rc = publish_rows(&c, &prev, has_prev, &rel)) == 0) {
		ota_git_set_ref(c.g, "tags", p->tag, p->tag_sha[0] ? p->tag_sha : p->commit);
		/* the release is published: a file not written is a miss for ota.fcgi */
		ota_static_release(app, s, a, &c.repo, &rel);
	}
out:
	ota_git_close(c.g);
	return rc;
}

/* The branch's rows, in one transaction. */
static int push_rows(struct pubctx *c)
{
	if (db_begin(c->app->db) < 0)
		return nb_fail(c->e, NB_UNAVAILABLE, "the store is busy");
	if (put_files(c) < 0 || ota_branch_put(c->app, c->repo.id, c->p->branch, c->p->commit,
					       c->e) < 0) {
		db_rollback(c->app->db);
		return nb_err_prefix(c->e, "cannot record the branch");
	}
	if (db_commit(c->app->db) < 0)
		return nb_fail(c->e, NB_UNAVAILABLE, "cannot commit the branch");
	return 0;
}

/* 1 when the new commit's tree is tip's (a commit id, "" for a new branch). */
static int same_tree(struct pubctx *c, const char *tip)
{
	char a[OTA_SHA1_HEX], b[OTA_SHA1_HEX];
	struct ota_treeent *t;
	int n;

	return tip[0] && ota_git_tree(c->g, c->a, tip, OTA_TREE_NO_SIZE, a, &t, &n) == 0 &&
	       ota_git_tree(c->g, c->a, c->p->commit, OTA_TREE_NO_SIZE, b, &t, &n) == 0 &&
	       !strcmp(a, b);
}

int ota_push(struct app *app, const struct ota_settings *s, struct arena *a, struct ota_pub *p,
	     struct nb_err *e)
{
	struct ota_branch b;
	struct nb_err local;
	struct pubctx c;
	int rc;

	if (!e)
		e = &local;
	ctx_init(&c, app, s, a, p, e);
	if ((rc = open_repo(&c, branch_name_ok)) < 0)
		goto out;
	if (ota_branch_get(app, c.repo.id, p->branch, &b, e) < 0) {
		if (e->kind != NB_NOT_FOUND) {
			rc = -1;
			goto out;
		}
		b.commit[0] = '\0';	/* a new branch */
	}
	if ((rc = source_commit(&c, b.commit)) < 0)
		goto out;
	if (same_tree(&c, b.commit)) {
		p->unchanged = 1;	/* the tip stays: no commit that changes nothing */
		snprintf(p->commit, sizeof(p->commit), "%s", b.commit);
		goto out;
	}
	if ((rc = collect(&c)) < 0 || (rc = push_rows(&c)) < 0)
		goto out;
	ota_git_set_ref(c.g, "heads", p->branch, p->commit);
	ota_static_commit(app, s, a, &c.repo, p->commit);
out:
	ota_git_close(c.g);
	return rc;
}
