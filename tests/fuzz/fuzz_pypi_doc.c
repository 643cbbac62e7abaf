/*
 * fuzz_pypi_doc - the Python index's export document as `nestboxctl pypi
 * import` reads it (src/pypi/pypi_ops_doc.c, linked from scripts/fuzz.sh's
 * instrumented archive): the input is parsed as <dir>/pypi.json and every
 * user, index and file entry goes through its reader.  The input is also
 * tried as a "user/index" name.
 *
 * Invariants (abort() when broken):
 *  - a refusal is NB_INVALID with a message;
 *  - an accepted user has a valid name and a non-empty password hash;
 *  - an accepted file has valid names, a 64-digit lowercase sha256, sizes
 *    >= 0 and a valid owning index;
 *  - the same shape on both sides: an accepted file written back by the
 *    export's writer (pypi_doc_file_json) reads back equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../src/pypi/pypi_ops.h"

static void refused(const struct nb_err *e)
{
	if (e->kind != NB_INVALID || !e->msg[0])
		abort();
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* f written as export writes it, read back: the same values. */
static void round_trip(struct arena *a, struct pypi_file *f, const char *user,
		       const char *index)
{
	char u2[PYPI_NAME_MAX], i2[PYPI_NAME_MAX];
	struct pypi_file g;
	struct nb_err e;
	cJSON *o;

	f->user = user;
	f->index = index;
	o = pypi_doc_file_json(a, f);
	nb_err_clear(&e);
	if (pypi_doc_file(a, o, &g, u2, i2, &e) < 0)
		abort();
	if (strcmp(u2, user) || strcmp(i2, index) || strcmp(g.filename, f->filename) ||
	    strcmp(g.sha256, f->sha256) || g.size != f->size ||
	    g.uploaded_ms != f->uploaded_ms || strcmp(g.requires_dist, f->requires_dist) ||
	    !same(g.yanked, f->yanked) || strcmp(g.version, f->version))
		abort();
	cJSON_Delete(o);
}

static void files(struct arena *a, const cJSON *arr)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, arr) {
		char user[PYPI_NAME_MAX], index[PYPI_NAME_MAX];
		struct pypi_file f;
		struct nb_err e;
		size_t i;
		nb_err_clear(&e);
		if (pypi_doc_file(a, o, &f, user, index, &e) < 0) {
			refused(&e);
			continue;
		}
		if (!pypi_filename_ok(f.filename) || !pypi_version_ok(f.version) ||
		    !pypi_ident_ok(user) || !pypi_ident_ok(index) || strlen(f.sha256) != 64 ||
		    f.size < 0 || f.uploaded_ms < 0 || !f.requires_dist)
			abort();
		for (i = 0; i < 64; i++)
			if (!strchr("0123456789abcdef", f.sha256[i]))
				abort();
		round_trip(a, &f, user, index);
	}
}

static void users_and_indexes(const cJSON *root)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, cJSON_GetObjectItem(root, "users")) {
		struct pypi_user u;
		struct nb_err e;
		nb_err_clear(&e);
		if (pypi_doc_user(o, &u, &e) < 0)
			refused(&e);
		else if (!pypi_ident_ok(u.name) || !*u.pw_hash || !u.email)
			abort();
	}
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(root, "indexes")) {
		const char *user, *name;
		struct nb_err e;
		nb_err_clear(&e);
		if (pypi_doc_index(o, &user, &name, &e) < 0)
			refused(&e);
		else if (!pypi_ident_ok(user) || !pypi_ident_ok(name))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char user[PYPI_NAME_MAX], index[PYPI_NAME_MAX], *s;
	struct nb_err e;
	struct arena a;
	cJSON *root;

	arena_init(&a);
	s = arena_strndup(&a, (const char *)data, size);
	if (pypi_doc_split(s, user, index) == 0 && (!pypi_ident_ok(user) || !pypi_ident_ok(index)))
		abort();
	nb_err_clear(&e);
	root = pypi_doc_parse((const char *)data, size, &e);
	if (!root) {
		refused(&e);
	} else {
		users_and_indexes(root);
		files(&a, cJSON_GetObjectItem(root, "files"));
		cJSON_Delete(root);
	}
	arena_free(&a);
	return 0;
}
