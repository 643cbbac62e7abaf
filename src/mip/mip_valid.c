/*
 * The validators of mip-index.fcgi's declared input (src/cgi/mip-index.fcgi.c,
 * req.h): pure predicates on the raw text, no allocation, no store.  A
 * refusal left without a message is 400 "invalid <field>".
 */
#include "mip.h"

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
