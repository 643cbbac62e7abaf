/*
 * The validators of mip-index.fcgi's declared input (src/cgi/mip-index.fcgi.c,
 * req.h): pure predicates on the raw text, no store; only the repository
 * spec is parsed, into the request's arena.  A refusal left without a
 * message is 400 "invalid <field>".
 */
#include "mip.h"

#include <stdio.h>
#include <string.h>

int mip_flavour_valid(const struct app *app, const struct req_field *f, const char *raw,
		      struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return mip_flavour_ok(raw) ? 0 : -1;
}

int mip_name_valid(const struct app *app, const struct req_field *f, const char *raw,
		   struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return mip_name_ok(raw) ? 0 : -1;
}

/* mip asks for <version>.json (protocols/mip.md); the version becomes a
 * store key and an upstream URL segment, so it must pass mip_version_ok. */
int mip_pkgfile_valid(const struct app *app, const struct req_field *f, const char *raw,
		      struct req_value *out, struct nb_err *e)
{
	char v[MIP_VERSION_MAX + 1];
	size_t n = strlen(raw);

	(void)app, (void)f, (void)out;
	if (n <= 5 || strcmp(raw + n - 5, ".json"))
		return nb_fail(e, NB_NOT_FOUND, "package JSON paths end in .json");
	if (n - 5 > MIP_VERSION_MAX)
		return nb_fail(e, NB_INVALID, "invalid version");
	memcpy(v, raw, n - 5);
	v[n - 5] = '\0';
	return mip_version_ok(v) ? 0 : nb_fail(e, NB_INVALID, "invalid version");
}

int mip_hh_valid(const struct app *app, const struct req_field *f, const char *raw,
		 struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return strlen(raw) == 2 && hash_is_hex(raw, 2) ? 0 : -1;
}

int mip_hash_valid(const struct app *app, const struct req_field *f, const char *raw,
		   struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out, (void)e;
	return mip_hash_prefix_ok(raw) ? 0 : -1;
}

const char *mip_repo_file_of(const char *rest)
{
	const char *f = strstr(rest, "/files/");

	while (f && strstr(f + 1, "/files/"))
		f = strstr(f + 1, "/files/");
	return f && strlen(f + 7) == 64 && hash_is_hex(f + 7, 64) ? f + 7 : NULL;
}

/* The repository spec is parsed here, once, so a bad one is the router's
 * 400 naming the field; the handler reads the struct (req_ptr). */
int mip_repo_valid(const struct app *app, const struct req_field *f, const char *raw,
		   struct req_value *out, struct nb_err *e)
{
	struct mip_repo_spec *sp;
	char why[sizeof(e->msg)];

	if (req_v_text(app, f, raw, out, e) < 0)
		return -1;
	if (mip_repo_file_of(raw))
		return 0;	/* a file by its hash: no spec needed (mip_repo.c) */
	if (!(sp = arena_alloc(out->a, sizeof(*sp))))
		return nb_fail(e, NB_INTERNAL, "out of memory");
	if (mip_repo_spec_parse(out->a, raw, sp, e) < 0) {
		if (e->kind != NB_INVALID)
			return -1;	/* no <org>/<repo>: 404, as any unknown path */
		snprintf(why, sizeof(why), "%s", e->msg);
		return nb_fail(e, NB_INVALID, "invalid %s: %s", f->name, why);
	}
	out->p = sp;
	return 0;
}
