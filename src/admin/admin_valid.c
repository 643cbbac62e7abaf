/*
 * The validators of admin.fcgi's declared input (src/cgi/admin.fcgi.c's
 * ROUTE_IN fields, req.h), all of them: pure predicates on the raw text,
 * no store, each refusal saying its rule (NB_INVALID, the router's 400
 * naming the field).  The handlers read only what these let through, as
 * typed values (req_str, req_int).  admin_valid.h declares them.
 */
#include "admin_ddi.h"

#include <string.h>
#include <time.h>

/* -- the users and tokens pages -- */

int admin_name_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e)
{
	(void)app, (void)f, (void)out;
	return admin_name_ok(raw) ? 0 : nb_fail(e, NB_INVALID, "a user name is 1 to 64 letters, "
						 "digits or . _ - @");
}

int admin_password_valid(const struct app *app, const struct req_field *f, const char *raw,
			 struct req_value *out, struct nb_err *e)
{
	size_t n = strlen(raw);

	(void)app, (void)f, (void)out;
	return n >= ADMIN_PASSWORD_MIN && n <= ADMIN_PASSWORD_MAX ? 0 :
	       nb_fail(e, NB_INVALID, "a password has 8 to 255 characters");
}

int admin_token_name_valid(const struct app *app, const struct req_field *f, const char *raw,
			   struct req_value *out, struct nb_err *e)
{
	(void)f;
	if (strlen(raw) <= 64 && req_v_text(app, f, raw, out, e) == 0)
		return 0;
	return nb_fail(e, NB_INVALID, "a token's name is 1 to 64 bytes without control "
		       "characters");
}

/* -- uploads: a mip package's ?file=, a DDI artifact's ?filename= -- */

int admin_mip_file_valid(const struct app *app, const struct req_field *f, const char *raw,
			 struct req_value *out, struct nb_err *e)
{
	size_t n = strlen(raw);

	(void)app, (void)out;
	if (n <= 3 || strcmp(raw + n - 3, ".py") || strchr(raw, '/') || !mip_dest_ok(raw))
		return nb_fail(e, NB_INVALID, "invalid %s: one .py file's name", f->name);
	return 0;
}

int admin_file_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 200 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._+~-", s[i])))
			return 0;
	return 1;
}

int admin_file_name_valid(const struct app *app, const struct req_field *f, const char *raw,
			  struct req_value *out, struct nb_err *e)
{
	(void)app, (void)out;
	if (!admin_file_name_ok(raw))
		return nb_fail(e, NB_INVALID, "invalid %s: 1 to 200 letters, digits or . _ + ~ - "
			       "(not first '.')", f->name);
	return 0;
}

/* -- the devices API: GET /admin/api/devices/:cid?tenant= -- */

int admin_cid_valid(const struct app *app, const struct req_field *f, const char *raw,
		    struct req_value *out, struct nb_err *e)
{
	(void)app, (void)out;
	/* the one controller-id rule (ddi.h), so a bad id is a 400, not a lookup */
	if (!ddi_controller_id_ok(raw))
		return nb_fail(e, NB_INVALID, "invalid %s: a controller id is 1 to 256 bytes of "
			       "UTF-8 without whitespace, control characters or '/'", f->name);
	return 0;
}

int admin_tenant_valid(const struct app *app, const struct req_field *f, const char *raw,
		       struct req_value *out, struct nb_err *e)
{
	(void)app, (void)out;
	if (!admin_label_ok(raw, DDI_FEED_MAX))
		return nb_fail(e, NB_INVALID, "invalid %s: 1 to %d bytes without control "
			       "characters", f->name, DDI_FEED_MAX);
	return 0;
}

/* -- the request log's filters -- */

/* n decimal digits at s into *v; 0, or -1. */
static int digits(const char *s, int n, int *v)
{
	int i;

	for (*v = i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * An HTML datetime-local value (UTC), as the filter's inputs send it:
 * "YYYY-MM-DDTHH:MM", then optionally ":SS" and ".fff" (browsers add them
 * with a step); counted to the minute.  out->i: Unix ms.  A date that
 * does not exist (2026-02-30) is refused, not moved to March.
 */
int admin_time_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e)
{
	int y, mo, d, h, mi, sec;
	size_t n = strlen(raw);
	struct tm tm = { 0 };
	time_t t;

	(void)app;
	if (n < 16 || raw[4] != '-' || raw[7] != '-' || raw[10] != 'T' || raw[13] != ':' ||
	    digits(raw, 4, &y) || digits(raw + 5, 2, &mo) || digits(raw + 8, 2, &d) ||
	    digits(raw + 11, 2, &h) || digits(raw + 14, 2, &mi) ||
	    (n > 16 && (raw[16] != ':' || n < 19 || digits(raw + 17, 2, &sec) || sec > 59 ||
			(n > 19 && (raw[19] != '.' || n > 23 ||
				    strspn(raw + 20, "0123456789") != n - 20 || n == 20)))))
		goto bad;
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi;
	t = timegm(&tm);
	/* timegm normalises: a field out of range shows as a different date */
	if (y < 1970 || tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
	    tm.tm_hour != h || tm.tm_min != mi)
		goto bad;
	out->i = (long long)t * 1000;
	return 0;
bad:
	return nb_fail(e, NB_INVALID, "invalid %s: a time like 2026-11-23T13:05 (UTC)", f->name);
}

/* "404" -> 404, "4xx" -> 4 (a class): 100..599 or 1..5 in out->i. */
int admin_status_valid(const struct app *app, const struct req_field *f, const char *raw,
		       struct req_value *out, struct nb_err *e)
{
	int v;

	(void)app;
	if (strlen(raw) == 3 && raw[0] >= '1' && raw[0] <= '5' && !strcmp(raw + 1, "xx")) {
		out->i = raw[0] - '0';
		return 0;
	}
	if (strlen(raw) == 3 && digits(raw, 3, &v) == 0 && v >= 100 && v <= 599) {
		out->i = v;
		return 0;
	}
	return nb_fail(e, NB_INVALID, "invalid %s: a code like 404 or a class like 5xx", f->name);
}

/* -- numbers within bounds: rollout percents and limits, list pages -- */

const struct admin_range admin_percent = { 1, 100 };
const struct admin_range admin_rate = { 0, 100 };
const struct admin_range admin_failures = { 0, 1000000000 };
const struct admin_range admin_page_range = { 1, 1000000 };
const struct admin_range admin_ota_percent = { 0, 100 };

int admin_range_valid(const struct app *app, const struct req_field *f, const char *raw,
		      struct req_value *out, struct nb_err *e)
{
	const struct admin_range *b = f->arg;
	long v;

	(void)app;
	if (admin_int(raw, (long)b->lo, (long)b->hi, &v) < 0 || (raw[0] == '0' && raw[1]))
		return nb_fail(e, NB_INVALID, "invalid %s: %lld to %lld", f->name, b->lo, b->hi);
	out->i = v;
	return 0;
}
