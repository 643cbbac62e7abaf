/*
 * The git side of a repository, through libgit2: one bare repository per
 * (owner, name) under ota.git_dir.  Blobs, trees, commits and annotated
 * tags are made by libgit2 or copied byte for byte from the publisher's
 * own repository, so every id a board sees is what `git hash-object` and
 * `git rev-parse` print on the developer's machine.
 */
#include "ota.h"
#include "../lib/auth.h"
#include "../lib/fs.h"

#include "ota_git.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ota_git_global_init(void)
{
	git_libgit2_init();
	/*
	 * A publisher's repository is often owned by another user than the one
	 * running nestboxctl (a CI checkout, root publishing): libgit2's
	 * safe.directory check would make it "not a git repository", and its
	 * working files would be published under new ids.  libgit2 runs no
	 * hooks or configured commands, which is what that check guards git
	 * against.
	 */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	/* a release is acknowledged once its objects and ref are written:
	 * libgit2 fsyncs neither unless told (off by default, as git's
	 * core.fsync), and a crash could then lose a published tag */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
}

/* what; returns -1.  libgit2's own reason names the server's files
 * ("failed to make directory '/var/...'"): it goes to the error log (the
 * front end's, or nestboxctl's stderr), not into the client's message. */
static int git_fail(struct nb_err *e, enum nb_errkind kind, const char *what)
{
	const git_error *ge = git_error_last();

	if (ge && ge->message)
		fprintf(stderr, "nestbox[ota]: %s: %s\n", what, ge->message);
	return nb_fail(e, kind, "%s", what);
}

/*
 * A new bare repository at path, whole or not at all: made beside it under
 * a temporary name (".tmp-<name>.<pid>.<random>": no repository's, as
 * those end in ".git") and renamed into place, so a publisher opening it
 * meanwhile never sees a half-made one.  When another publisher's rename
 * came first, theirs is opened.  The releases committed to it are
 * acknowledged, so its entry is made durable as a file's would be: the
 * owner's directory (fs_mkdirs: each new one's parent fsynced), the new
 * repository's directory fsynced before the rename, the owner's after.
 * 0, or -1.
 */
static int git_create(git_repository **repo, const char *path)
{
	const char *base = strrchr(path, '/') + 1;
	char tmp[4096 + 64], owner[4096], r[17];
	int rc;

	if (auth_random_hex(r, 8) < 0 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%.*s.tmp-%s.%ld.%s", (int)(base - path), path,
			     base, (long)getpid(), r) >= sizeof(tmp) ||
	    (size_t)snprintf(owner, sizeof(owner), "%.*s", (int)(base - path - 1), path) >=
		    sizeof(owner) ||
	    fs_mkdirs(owner, 0755) < 0)
		return -1;
	if (git_repository_init(repo, tmp, 1) < 0) {
		ota_remove_tree(tmp);
		return -1;
	}
	git_repository_free(*repo);
	*repo = NULL;
	if (fs_fsync_dir(tmp) < 0) {
		ota_remove_tree(tmp);
		return -1;
	}
	rc = rename(tmp, path);
	if (rc < 0)
		ota_remove_tree(tmp);	/* another came first (EEXIST, ENOTEMPTY) */
	else if (fs_fsync_dir(owner) < 0)
		return -1;	/* this publish fails; the next one opens it */
	return git_repository_open_bare(repo, path) < 0 ? -1 : 0;
}

struct ota_git *ota_git_open(const struct ota_settings *s, const char *owner, const char *name,
			     int create, struct nb_err *e)
{
	char path[4096];
	struct ota_git *g;
	git_repository *repo = NULL;

	if (!ota_repo_ok(owner, name) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s/%s.git", s->git_dir, owner, name) >=
		    sizeof(path)) {
		nb_fail(e, NB_INVALID, "bad repository name");
		return NULL;
	}
	if (git_repository_open_bare(&repo, path) < 0) {
		if (!create) {
			nb_fail(e, NB_NOT_FOUND, "no such repository");
			return NULL;
		}
		if (git_create(&repo, path) < 0) {
			git_fail(e, NB_UNAVAILABLE, "cannot create the git repository");
			return NULL;
		}
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		git_repository_free(repo);
		nb_fail(e, NB_INTERNAL, "out of memory");
		return NULL;
	}
	g->repo = repo;
	return g;
}

void ota_git_close(struct ota_git *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g);
}

static int parse_oid(git_oid *oid, const char *hex)
{
	return ota_sha_ok(hex) && git_oid_fromstr(oid, hex) == 0 ? 0 : -1;
}

static void oid_hex(const git_oid *oid, char *out)
{
	git_oid_tostr(out, OTA_SHA1_HEX, oid);
}

/* The tree of files, built by an in-memory index (libgit2 nests it). */
static int build_tree(git_repository *repo, const struct ota_files *f, git_oid *tree,
		      struct nb_err *e)
{
	git_index *idx = NULL;
	int i, rc = 0;

	if (git_index_new(&idx) < 0)
		return git_fail(e, NB_INTERNAL, "cannot make an index");
	for (i = 0; i < f->n && rc == 0; i++) {
		git_index_entry ent;
		memset(&ent, 0, sizeof(ent));
		ent.path = f->v[i].path;
		ent.mode = f->v[i].exec ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
		/* the blob first: an index without a repository takes only ids */
		rc = git_blob_create_from_buffer(&ent.id, repo, f->v[i].data, f->v[i].len);
		if (rc == 0)
			rc = git_index_add(idx, &ent);
	}
	if (rc == 0)
		rc = git_index_write_tree_to(tree, idx, repo);
	if (rc < 0)
		git_fail(e, NB_UNAVAILABLE, "cannot build the tree");
	git_index_free(idx);
	return rc < 0 ? -1 : 0;
}

int ota_git_commit_files(struct ota_git *g, const struct ota_files *f, const char *parent,
			 const char *message, char *commit, struct nb_err *e)
{
	git_oid tree_id, pid, cid;
	git_tree *tree = NULL;
	git_commit *par = NULL;
	git_signature *sig = NULL;
	const git_commit *parents[1];
	int rc = -1;

	if (build_tree(g->repo, f, &tree_id, e) < 0)
		return -1;
	if (git_tree_lookup(&tree, g->repo, &tree_id) < 0 ||
	    git_signature_now(&sig, "nestbox", "nestbox@localhost") < 0) {
		git_fail(e, NB_UNAVAILABLE, "cannot read the new tree");
		goto out;
	}
	/* history is kept where the parent is here; a missing one starts anew */
	if (parent && *parent && parse_oid(&pid, parent) == 0)
		git_commit_lookup(&par, g->repo, &pid);
	parents[0] = par;
	if (git_commit_create(&cid, g->repo, NULL, sig, sig, NULL, message, tree, par ? 1 : 0,
			      parents) < 0) {
		git_fail(e, NB_UNAVAILABLE, "cannot write the commit");
		goto out;
	}
	oid_hex(&cid, commit);
	rc = 0;
out:
	git_commit_free(par);
	git_tree_free(tree);
	git_signature_free(sig);
	return rc;
}

struct copy {
	git_odb *from, *to;
	int failed;
};

static int copy_obj(struct copy *c, const git_oid *id)
{
	git_odb_object *o = NULL;
	git_oid out;
	int rc;

	if (git_odb_exists(c->to, id))
		return 0;
	if (git_odb_read(&o, c->from, id) < 0)
		return -1;
	rc = git_odb_write(&out, c->to, git_odb_object_data(o), git_odb_object_size(o),
			   git_odb_object_type(o));
	git_odb_object_free(o);
	return rc < 0 || !git_oid_equal(&out, id) ? -1 : 0;
}

static int copy_entry(const char *root, const git_tree_entry *e, void *p)
{
	struct copy *c = p;
	git_object_t t = git_tree_entry_type(e);

	(void)root;
	/* a submodule's commit lives in another repository: the id is enough */
	if ((t == GIT_OBJECT_BLOB || t == GIT_OBJECT_TREE) && copy_obj(c, git_tree_entry_id(e)) < 0) {
		c->failed = 1;
		return -1;
	}
	return 0;
}

static int import_objects(git_repository *src, git_repository *dst, git_commit *cm,
			  const git_oid *tag, struct nb_err *e)
{
	struct copy c = { NULL, NULL, 0 };
	git_tree *tree = NULL;
	int rc = -1;

	if (git_repository_odb(&c.from, src) < 0 || git_repository_odb(&c.to, dst) < 0 ||
	    git_commit_tree(&tree, cm) < 0) {
		git_fail(e, NB_UNAVAILABLE, "cannot open the object databases");
		goto out;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, copy_entry, &c) < 0 || c.failed ||
	    copy_obj(&c, git_tree_id(tree)) < 0 || copy_obj(&c, git_commit_id(cm)) < 0 ||
	    (tag && copy_obj(&c, tag) < 0)) {
		git_fail(e, NB_UNAVAILABLE, "cannot copy the commit's objects");
		goto out;
	}
	rc = 0;
out:
	git_tree_free(tree);
	git_odb_free(c.from);
	git_odb_free(c.to);
	return rc;
}

int ota_git_import(struct ota_git *g, struct arena *a, const char *src, const char *ref,
		   char *commit, char *tagobj, struct nb_err *e)
{
	git_repository *s = NULL;
	git_object *obj = NULL, *peeled = NULL;
	int rc = -1, annotated;

	(void)a;
	tagobj[0] = '\0';
	if (git_repository_open_ext(&s, src, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return nb_fail(e, NB_INVALID, "not a git repository");
	if (git_revparse_single(&obj, s, ref && *ref ? ref : "HEAD") < 0 ||
	    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		nb_fail(e, NB_INVALID, "the ref names no commit in that repository");
		goto out;
	}
	annotated = git_object_type(obj) == GIT_OBJECT_TAG;
	if (import_objects(s, g->repo, (git_commit *)peeled,
			   annotated ? git_object_id(obj) : NULL, e) < 0)
		goto out;
	oid_hex(git_object_id(peeled), commit);
	if (annotated)
		oid_hex(git_object_id(obj), tagobj);
	rc = 0;
out:
	git_object_free(peeled);
	git_object_free(obj);
	git_repository_free(s);
	return rc;
}

int ota_git_make_tag(struct ota_git *g, const char *tag, const char *commit,
		     const char *message, char *tagobj, struct nb_err *e)
{
	git_oid cid, tid;
	git_object *target = NULL;
	git_signature *sig = NULL;
	int rc = -1;

	if (parse_oid(&cid, commit) < 0 ||
	    git_object_lookup(&target, g->repo, &cid, GIT_OBJECT_COMMIT) < 0 ||
	    git_signature_now(&sig, "nestbox", "nestbox@localhost") < 0 ||
	    git_tag_annotation_create(&tid, g->repo, tag, target, sig, message) < 0) {
		git_fail(e, NB_UNAVAILABLE, "cannot write the tag");
		goto out;
	}
	oid_hex(&tid, tagobj);
	rc = 0;
out:
	git_object_free(target);
	git_signature_free(sig);
	return rc;
}

int ota_git_set_ref(struct ota_git *g, const char *kind, const char *name, const char *sha)
{
	char ref[OTA_REF_MAX + 16];
	git_reference *r = NULL;
	git_oid oid;
	int rc;

	if (parse_oid(&oid, sha) < 0)
		return -1;
	snprintf(ref, sizeof(ref), "refs/%s/%s", kind, name);
	rc = git_reference_create(&r, g->repo, ref, &oid, 1, "nestbox");
	git_reference_free(r);
	return rc < 0 ? -1 : 0;
}
