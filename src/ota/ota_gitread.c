/*
 * Reading a repository for the API: trees (as GitHub lists them: every
 * entry in git's pre-order, directories before their contents), annotated
 * tags and blobs.  Read-only; libgit2 does the object format.
 */
#include "ota.h"

#include "ota_git.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct walk {
	struct arena *a;
	git_odb *odb;
	struct ota_treeent *v;
	int n, cap, failed, sizes;
};

static int add_entry(struct walk *w, const char *root, const git_tree_entry *e)
{
	struct ota_treeent *t;
	git_object_t type = git_tree_entry_type(e);

	if (w->n == w->cap) {
		int cap = w->cap ? w->cap * 2 : 64;
		struct ota_treeent *v = arena_alloc(w->a, sizeof(*v) * (size_t)cap);
		if (w->n)
			memcpy(v, w->v, sizeof(*v) * (size_t)w->n);
		w->v = v;
		w->cap = cap;
	}
	t = &w->v[w->n];
	memset(t, 0, sizeof(*t));
	t->path = arena_cat(w->a, root, git_tree_entry_name(e), NULL);
	git_oid_tostr(t->sha1, sizeof(t->sha1), git_tree_entry_id(e));
	t->mode = (unsigned)git_tree_entry_filemode_raw(e);
	t->type = type == GIT_OBJECT_BLOB ? 'b' : type == GIT_OBJECT_TREE ? 't' : 'c';
	if (t->type == 'b' && w->sizes) {
		size_t len;
		git_object_t ot;
		if (git_odb_read_header(&len, &ot, w->odb, git_tree_entry_id(e)) < 0)
			return -1;
		t->size = len;
	}
	w->n++;
	return 0;
}

static int walk_cb(const char *root, const git_tree_entry *e, void *p)
{
	struct walk *w = p;

	if (add_entry(w, root, e) < 0) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

static int tree_of(git_repository *repo, const char *sha, git_tree **tree)
{
	git_object *obj = NULL, *peeled = NULL;
	git_oid oid;
	int rc = -1;

	if (!ota_sha_ok(sha) || git_oid_fromstr(&oid, sha) < 0 ||
	    git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY) < 0)
		return -1;
	/* a commit or a tree id, as GitHub takes; not a tag or blob */
	if (git_object_type(obj) == GIT_OBJECT_COMMIT || git_object_type(obj) == GIT_OBJECT_TREE)
		rc = git_object_peel(&peeled, obj, GIT_OBJECT_TREE);
	git_object_free(obj);
	*tree = (git_tree *)peeled;
	return rc < 0 ? -1 : 0;
}

int ota_git_tree(struct ota_git *g, struct arena *a, const char *sha, int flags,
		 char *tree, struct ota_treeent **out, int *n)
{
	struct walk w = { a, NULL, NULL, 0, 0, 0, !(flags & OTA_TREE_NO_SIZE) };
	git_tree *t = NULL;
	int rc = -1;
	size_t i;

	if (tree_of(g->repo, sha, &t) < 0 || git_repository_odb(&w.odb, g->repo) < 0)
		goto out;
	git_oid_tostr(tree, OTA_SHA1_HEX, git_tree_id(t));
	if (flags & OTA_TREE_RECURSIVE) {
		if (git_tree_walk(t, GIT_TREEWALK_PRE, walk_cb, &w) < 0 || w.failed)
			goto out;
	} else {
		for (i = 0; i < git_tree_entrycount(t); i++)
			if (add_entry(&w, "", git_tree_entry_byindex(t, i)) < 0)
				goto out;
	}
	*out = w.v;
	*n = w.n;
	rc = 0;
out:
	git_odb_free(w.odb);
	git_tree_free(t);
	return rc;
}

int ota_git_tag(struct ota_git *g, struct arena *a, const char *sha, struct ota_tagobj *t)
{
	git_tag *tag = NULL;
	const git_signature *s;
	git_oid oid;

	if (!ota_sha_ok(sha) || git_oid_fromstr(&oid, sha) < 0 ||
	    git_tag_lookup(&tag, g->repo, &oid) < 0)
		return -1;
	memset(t, 0, sizeof(*t));
	snprintf(t->sha, sizeof(t->sha), "%s", sha);
	git_oid_tostr(t->target, sizeof(t->target), git_tag_target_id(tag));
	t->tag = arena_strdup(a, git_tag_name(tag));
	t->message = arena_strdup(a, git_tag_message(tag) ? git_tag_message(tag) : "");
	t->target_type = git_object_type2string(git_tag_target_type(tag));
	s = git_tag_tagger(tag);
	t->tagger_name = arena_strdup(a, s && s->name ? s->name : "");
	t->tagger_email = arena_strdup(a, s && s->email ? s->email : "");
	t->tagger_time = s ? (long long)s->when.time : 0;
	git_tag_free(tag);
	return 0;
}

int ota_git_resolve(struct ota_git *g, const char *hex, char *full)
{
	char lower[OTA_SHA1_HEX];
	git_object *obj = NULL;
	git_oid oid;
	size_t n = strlen(hex), i;
	int rc;

	if (n < OTA_SHA_SHORT_MIN || n > 40)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)hex[i]))
			return -1;
		lower[i] = (char)tolower((unsigned char)hex[i]);
	}
	if (git_oid_fromstrn(&oid, lower, n) < 0)
		return -1;
	rc = git_object_lookup_prefix(&obj, g->repo, &oid, n, GIT_OBJECT_ANY);
	if (rc == GIT_EAMBIGUOUS)
		return -2;
	if (rc < 0)
		return -1;
	git_oid_tostr(full, OTA_SHA1_HEX, git_object_id(obj));
	git_object_free(obj);
	return 0;
}

const char *ota_git_blob(struct ota_git *g, struct arena *a, const char *sha, size_t *n)
{
	git_blob *b = NULL;
	git_oid oid;
	char *out;

	if (!ota_sha_ok(sha) || git_oid_fromstr(&oid, sha) < 0 ||
	    git_blob_lookup(&b, g->repo, &oid) < 0)
		return NULL;
	*n = (size_t)git_blob_rawsize(b);
	out = arena_alloc(a, *n + 1);
	memcpy(out, git_blob_rawcontent(b), *n);
	out[*n] = '\0';
	git_blob_free(b);
	return out;
}
