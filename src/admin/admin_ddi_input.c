/*
 * What operators send to the DDI pages and API, checked before anything
 * reads the store: route ids, list filters, form numbers and the API's
 * JSON bodies.  Pure functions, so the fuzz target can drive them alone.
 */
#include "admin_ddi.h"
#include "../lib/json_in.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int admin_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 18)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int admin_label_ok(const char *s, size_t max)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int admin_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!s || !*s || strlen(s) > 18)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || (*s != '-' && (*s < '0' || *s > '9')) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* An empty filter field means "any", as a form sends it. */
static const char *field(const struct query *q, const char *k)
{
	const char *v = query_get(q, k);

	return v && *v ? v : NULL;
}

int admin_dev_seen_range(const char *s, long long now, long long *lo, long long *hi)
{
	*lo = -1;
	if (!s)
		return 0;
	*hi = now + 86400;	/* a clock a little ahead still counts as recent */
	if (!strcmp(s, "hour"))
		*lo = now - 3600;
	else if (!strcmp(s, "day"))
		*lo = now - 86400;
	else if (!strcmp(s, "old"))
		*lo = 1, *hi = now - 86400 - 1;
	else if (!strcmp(s, "never"))
		*lo = *hi = 0;
	else
		return -1;
	return 0;
}

int admin_dev_filter_parse(const struct query *q, long long now, struct admin_dev_filter *f,
			 struct nb_err *e)
{
	const char *after = field(q, "after");
	long v = 0;

	memset(f, 0, sizeof(*f));
	f->state = field(q, "state");
	f->feed = field(q, "feed");
	f->model = field(q, "model");
	f->version = field(q, "version");
	f->seen = field(q, "seen");
	if (admin_dev_seen_range(f->seen, now, &f->seen_lo, &f->seen_hi) < 0)
		return nb_fail(e, NB_INVALID, "seen must be hour, day, old or never");
	if (after && admin_int(after, 0, 0x7fffffffffffffffL, &v) < 0)
		return nb_fail(e, NB_INVALID, "after must be a device id");
	f->after = v;
	return 0;
}

/* An integer member within lo..hi; dflt when absent.  0 or -1. */
static int json_int(const cJSON *o, const char *k, long lo, long hi, long dflt, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	double d;

	if (!v || cJSON_IsNull(v)) {
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || d < (double)lo || d > (double)hi)
		return -1;
	*out = (long)d;
	return 0;
}

/* A string member that fits n bytes (NUL included); NULL when absent. */
static int json_str(const cJSON *o, const char *k, size_t n, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= n)
		return -1;
	*out = v->valuestring;
	return 0;
}

int admin_rollout_parse(const char *body, size_t len, struct ddi_rollout *r, struct nb_err *e)
{
	cJSON *j = json_in_object(body, len, e);
	const char *feed, *name;
	long sid, pct, mf, mfr;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!j)
		return -1;
	if (json_str(j, "feed", sizeof(r->feed), &feed) < 0 || !feed || !*feed)
		nb_fail(e, NB_INVALID, "feed must be a string of 1-63 bytes");
	else if (json_str(j, "name", sizeof(r->name), &name) < 0)
		nb_fail(e, NB_INVALID, "name must be a string of at most 127 bytes");
	else if (json_int(j, "software_id", 1, 0x7fffffffL, 0, &sid) < 0 || sid == 0)
		nb_fail(e, NB_INVALID, "software_id must be a software's id");
	else if (json_int(j, "percent", 1, 100, 100, &pct) < 0)
		nb_fail(e, NB_INVALID, "percent must be 1-100");
	else if (json_int(j, "max_failures", 0, 1000000000L, -1, &mf) < 0 ||
		 json_int(j, "max_failure_rate", 0, 100, -1, &mfr) < 0)
		nb_fail(e, NB_INVALID, "max_failures must be 0 or more, max_failure_rate 0-100");
	else {
		snprintf(r->feed, sizeof(r->feed), "%s", feed);
		snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
		r->software_id = sid;
		r->percent = (int)pct;
		r->max_failures = (int)mf;
		r->max_failure_rate = (int)mfr;
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

int admin_url_parse(struct arena *a, const char *body, size_t len, const char **url,
		  const char **name, struct nb_err *e)
{
	cJSON *j = json_in_object(body, len, e);
	const char *u, *n;
	int rc = -1;

	*url = *name = NULL;
	if (!j)
		return -1;
	if (json_str(j, "url", 1024, &u) < 0 || !u || !*u)
		nb_fail(e, NB_INVALID, "url must be a string of at most 1023 bytes");
	else if (json_str(j, "name", 256, &n) < 0)
		nb_fail(e, NB_INVALID, "name must be a string of at most 255 bytes");
	else {
		*url = arena_strdup(a, u);
		*name = arena_strdup(a, n ? n : "");
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

int admin_stage_parse(const char *body, size_t len, int *percent, struct nb_err *e)
{
	cJSON *j = json_in_object(body, len, e);
	long p;
	int rc = -1;

	if (!j)
		return -1;
	if (json_int(j, "percent", 1, 100, 0, &p) < 0 || p == 0)
		nb_fail(e, NB_INVALID, "percent must be 1-100");
	else {
		*percent = (int)p;
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

int admin_password_parse(struct arena *a, const char *body, size_t len, const char **pw,
		       int *keep_tokens, struct nb_err *e)
{
	cJSON *j = json_in_object(body, len, e), *keep;
	const char *p;
	int rc = -1;

	*pw = NULL;
	*keep_tokens = 0;
	if (!j)
		return -1;
	keep = cJSON_GetObjectItemCaseSensitive(j, "keep_tokens");
	if (json_str(j, "password", ADMIN_PASSWORD_MAX + 1, &p) < 0 || !p ||
	    strlen(p) < ADMIN_PASSWORD_MIN)
		nb_fail(e, NB_INVALID, "password must be a string of 8 to 255 bytes");
	else if (keep && !cJSON_IsBool(keep) && !cJSON_IsNull(keep))
		nb_fail(e, NB_INVALID, "keep_tokens must be true or false");
	else {
		*pw = arena_strdup(a, p);
		*keep_tokens = cJSON_IsTrue(keep);
		rc = 0;
	}
	cJSON_Delete(j);
	return rc;
}

