/*
 * The export document of the Python index (pypi_ops.h): what `nestboxctl
 * pypi export` writes into <dir>/pypi.json and `import` reads back, built
 * and checked here so both sides share one shape.  Reading it is parsing
 * outside bytes (an operator may bring a directory from anywhere): every
 * entry is checked with the rules the index applies to the same values
 * at upload (names, versions, file names, hashes), and a refusal is
 * NB_INVALID naming the entry.  tests/fuzz/fuzz_pypi_doc.c drives it.
 */
#include "pypi_ops.h"
#include "../lib/json_in.h"

#include <string.h>

#include <cjson/cJSON.h>

static int hex64_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

/* o's string member key, or NULL (then *bad names it, if not set yet). */
static const char *str_of(const cJSON *o, const char *key, const char **bad)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	if (cJSON_IsString(v))
		return v->valuestring;
	if (!*bad)
		*bad = key;
	return NULL;
}

/* o's number member key as a whole number 0..2^53, or -1. */
static long long count_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);
	double d = cJSON_IsNumber(v) ? v->valuedouble : -1;

	return d >= 0 && d <= 9007199254740992.0 && d == (double)(long long)d ? (long long)d : -1;
}

int pypi_doc_split(const char *s, char *user, char *index)
{
	const char *slash = s ? strchr(s, '/') : NULL;

	if (!slash || (size_t)(slash - s) >= PYPI_NAME_MAX || strlen(slash + 1) >= PYPI_NAME_MAX)
		return -1;
	memcpy(user, s, (size_t)(slash - s));
	user[slash - s] = '\0';
	strcpy(index, slash + 1);
	return pypi_ident_ok(user) && pypi_ident_ok(index) ? 0 : -1;
}

cJSON *pypi_doc_parse(const char *text, size_t len, struct nb_err *e)
{
	struct nb_err why;
	cJSON *root = json_in_object(text, len, &why);
	const cJSON *fmt = cJSON_GetObjectItem(root, "format");

	if (!root) {
		nb_fail(e, NB_INVALID, "not a nestbox pypi export: %s", why.msg);
		return NULL;
	}
	if (!cJSON_IsObject(root) || !cJSON_IsString(fmt) ||
	    strcmp(fmt->valuestring, PYPI_DOC_FORMAT) ||
	    count_of(root, "format_version") != PYPI_DOC_VERSION ||
	    !cJSON_IsArray(cJSON_GetObjectItem(root, "users")) ||
	    !cJSON_IsArray(cJSON_GetObjectItem(root, "indexes")) ||
	    !cJSON_IsArray(cJSON_GetObjectItem(root, "files"))) {
		cJSON_Delete(root);
		nb_fail(e, NB_INVALID, "not a nestbox pypi export (format %s %d)", PYPI_DOC_FORMAT,
			PYPI_DOC_VERSION);
		return NULL;
	}
	return root;
}

int pypi_doc_user(const cJSON *o, struct pypi_user *u, struct nb_err *e)
{
	const char *bad = NULL;

	u->name = str_of(o, "name", &bad);
	u->email = str_of(o, "email", &bad);
	u->pw_hash = str_of(o, "pw_hash", &bad);
	if (bad)
		return nb_fail(e, NB_INVALID, "a user entry has no string \"%s\"", bad);
	if (!pypi_ident_ok(u->name) || strlen(u->name) >= PYPI_NAME_MAX ||
	    strlen(u->pw_hash) > 1024 || strlen(u->email) > 256)
		return nb_fail(e, NB_INVALID, "the user entry %.64s is not valid", u->name);
	/* what the store holds: an encoded argon2id hash, or "!" (no password
	 * yet); a plain password here would never match and must not be kept */
	if (strcmp(u->pw_hash, "!") && strncmp(u->pw_hash, "$argon2id$", 10))
		return nb_fail(e, NB_INVALID, "the user entry %.64s: pw_hash is not an argon2id "
			       "hash ($argon2id$...) nor \"!\"", u->name);
	return 0;
}

int pypi_doc_index(const cJSON *o, const char **user, const char **name, struct nb_err *e)
{
	const char *bad = NULL;

	*user = str_of(o, "user", &bad);
	*name = str_of(o, "name", &bad);
	if (bad || !pypi_ident_ok(*user) || !pypi_ident_ok(*name) ||
	    strlen(*user) >= PYPI_NAME_MAX || strlen(*name) >= PYPI_NAME_MAX)
		return nb_fail(e, NB_INVALID, "an index entry has no valid user and name");
	return 0;
}

/* Requires-Dist lines from a JSON array of strings; NULL when it is not one. */
static const char *lines_of(struct arena *a, const cJSON *deps)
{
	const cJSON *d;
	struct buf b;

	if (!cJSON_IsArray(deps))
		return NULL;
	buf_init(&b, a);
	cJSON_ArrayForEach(d, deps) {
		if (!cJSON_IsString(d) || !*d->valuestring || strchr(d->valuestring, '\n'))
			return NULL;
		buf_printf(&b, "%s%s", b.len ? "\n" : "", d->valuestring);
	}
	return buf_cstr(&b);
}

/*
 * The file name carries the entry's project and version, and the project
 * is its name in normal form, as an upload makes them; NULL or why not.
 */
static const char *file_names(struct arena *a, const struct pypi_file *f)
{
	struct pypi_fname fn;
	struct nb_err e;

	if (strcmp(pypi_normalize(a, f->name), f->project))
		return "its project is not its name in normal form";
	if (pypi_fname_parse(f->filename, f->name, &fn, &e) < 0)
		return "its filename is not a distribution's file name";
	if (strcmp(pypi_normalize(a, fn.name), f->project) || strcmp(fn.version, f->version))
		return "its filename does not carry its project and version";
	return NULL;
}

/* The checks of a file entry whose strings are all there. */
static int file_ok(const struct pypi_file *f)
{
	return pypi_project_ok(f->project) && pypi_project_ok(f->name) &&
	       pypi_version_ok(f->version) && pypi_filename_ok(f->filename) &&
	       strlen(f->filename) < 256 && hex64_ok(f->sha256) &&
	       (!*f->metadata_sha256 || hex64_ok(f->metadata_sha256)) && f->size >= 0 &&
	       f->uploaded_ms >= 0 && f->requires_dist;
}

int pypi_doc_file(struct arena *a, const cJSON *o, struct pypi_file *f, char *user,
		  char *index, struct nb_err *e)
{
	const char *bad = NULL, *ix = str_of(o, "index", &bad);
	const cJSON *y = cJSON_GetObjectItem(o, "yanked");

	memset(f, 0, sizeof(*f));
	f->project = str_of(o, "project", &bad);
	f->name = str_of(o, "name", &bad);
	f->version = str_of(o, "version", &bad);
	f->filename = str_of(o, "filename", &bad);
	f->sha256 = str_of(o, "sha256", &bad);
	f->md5 = str_of(o, "md5", &bad);
	f->requires_python = str_of(o, "requires_python", &bad);
	f->summary = str_of(o, "summary", &bad);
	f->metadata_sha256 = str_of(o, "metadata_sha256", &bad);
	if (bad)
		return nb_fail(e, NB_INVALID, "a file entry has no string \"%s\"", bad);
	f->size = count_of(o, "size");
	f->uploaded_ms = count_of(o, "uploaded_ms");
	f->requires_dist = lines_of(a, cJSON_GetObjectItem(o, "requires_dist"));
	if (!file_ok(f) || pypi_doc_split(ix, user, index) < 0 ||
	    !(cJSON_IsNull(y) || cJSON_IsString(y)))
		return nb_fail(e, NB_INVALID, "the file entry %.200s is not valid", f->filename);
	if ((bad = file_names(a, f)))
		return nb_fail(e, NB_INVALID, "the file entry %.200s: %s", f->filename, bad);
	f->yanked = cJSON_IsString(y) ? y->valuestring : NULL;
	return 0;
}

static cJSON *lines_json(struct arena *a, const char *s)
{
	cJSON *arr = cJSON_CreateArray();
	char *copy = arena_strdup(a, s), *tok, *save = NULL;

	for (tok = strtok_r(copy, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
		cJSON_AddItemToArray(arr, cJSON_CreateString(tok));
	return arr;
}

cJSON *pypi_doc_file_json(struct arena *a, const struct pypi_file *f)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "index", arena_cat(a, f->user, "/", f->index, NULL));
	cJSON_AddStringToObject(o, "project", f->project);
	cJSON_AddStringToObject(o, "name", f->name);
	cJSON_AddStringToObject(o, "version", f->version);
	cJSON_AddStringToObject(o, "filename", f->filename);
	cJSON_AddStringToObject(o, "sha256", f->sha256);
	cJSON_AddStringToObject(o, "md5", f->md5);
	cJSON_AddNumberToObject(o, "size", (double)f->size);
	cJSON_AddStringToObject(o, "requires_python", f->requires_python);
	cJSON_AddStringToObject(o, "summary", f->summary);
	cJSON_AddItemToObject(o, "requires_dist", lines_json(a, f->requires_dist));
	cJSON_AddStringToObject(o, "metadata_sha256", f->metadata_sha256);
	cJSON_AddNumberToObject(o, "uploaded_ms", (double)f->uploaded_ms);
	if (f->yanked)
		cJSON_AddStringToObject(o, "yanked", f->yanked);
	else
		cJSON_AddNullToObject(o, "yanked");
	return o;
}

cJSON *pypi_doc_user_json(const struct pypi_user *u)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", u->name);
	cJSON_AddStringToObject(o, "email", u->email);
	cJSON_AddStringToObject(o, "pw_hash", u->pw_hash);
	return o;
}

cJSON *pypi_doc_index_json(struct arena *a, const struct pypi_index *ix)
{
	cJSON *o = pypi_index_json(a, ix);

	cJSON_AddStringToObject(o, "user", ix->user);
	cJSON_AddStringToObject(o, "name", ix->name);
	/* a former mirror's URL, kept as the store keeps it */
	if (!cJSON_HasObjectItem(o, "mirror_url") && *ix->mirror_url) {
		cJSON_AddStringToObject(o, "mirror_url", ix->mirror_url);
		cJSON_AddNumberToObject(o, "mirror_cache_expiry", (double)ix->mirror_cache_expiry);
	}
	return o;
}
