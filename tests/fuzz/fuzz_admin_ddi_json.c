/*
 * fuzz_admin_ddi_json - the admin API's JSON bodies (admin_rollout_parse,
 * admin_url_parse, admin_stage_parse, admin_password_parse) and the device list filters
 * (admin_dev_filter_parse over a fuzzed query string).
 *
 * Invariants (abort() when broken): a parsed rollout has a feed of 1..63
 * bytes, software_id >= 1, percent 1..100 and limits -1 or within range;
 * a parsed URL is non-empty; a parsed stage is 1..100; a parsed password
 * is 8..255 bytes and keep_tokens 0 or 1; every refusal says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/admin/admin_ddi.h"

/* A refusal says why: kind NB_INVALID and a message, or abort(). */
static void refused(const struct nb_err *e)
{
	if (e->kind != NB_INVALID || !e->msg[0])
		abort();
}

static void rollout(const char *d, size_t n)
{
	struct ddi_rollout r;
	struct nb_err err;

	if (admin_rollout_parse(d, n, &r, &err) == 0) {
		size_t fl = strnlen(r.feed, sizeof(r.feed));
		if (fl == 0 || fl >= sizeof(r.feed) || strnlen(r.name, sizeof(r.name)) >= sizeof(r.name) ||
		    r.software_id < 1 || r.percent < 1 || r.percent > 100 ||
		    r.max_failures < -1 || r.max_failure_rate < -1 || r.max_failure_rate > 100)
			abort();
	} else {
		refused(&err);
	}
}

static void url_and_stage(struct arena *a, const char *d, size_t n)
{
	const char *url, *name;
	struct nb_err err;
	int pct = 0;

	if (admin_url_parse(a, d, n, &url, &name, &err) == 0) {
		if (!url || !*url || !name)
			abort();
	} else {
		refused(&err);
	}
	nb_err_clear(&err);
	if (admin_stage_parse(d, n, &pct, &err) == 0) {
		if (pct < 1 || pct > 100)
			abort();
	} else {
		refused(&err);
	}
}

static void password(struct arena *a, const char *d, size_t n)
{
	const char *pw = NULL;
	struct nb_err err;
	int keep = -1;

	if (admin_password_parse(a, d, n, &pw, &keep, &err) == 0) {
		if (!pw || strlen(pw) < ADMIN_PASSWORD_MIN || strlen(pw) > ADMIN_PASSWORD_MAX ||
		    (keep != 0 && keep != 1))
			abort();
	} else {
		refused(&err);
	}
}

static void filters(struct arena *a, const char *d, size_t n)
{
	struct query q;
	struct admin_dev_filter f;
	struct nb_err err;

	if (n > QUERY_RAW_MAX || query_parse(a, d, n, &q, &err) < 0)
		return;
	nb_err_clear(&err);
	if (admin_dev_filter_parse(&q, 1700000000, &f, &err) == 0) {
		if (f.after < 0 || (f.seen_lo >= 0 && f.seen_lo > f.seen_hi))
			abort();
	} else {
		refused(&err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;

	arena_init(&a);
	rollout((const char *)data, size);
	url_and_stage(&a, (const char *)data, size);
	password(&a, (const char *)data, size);
	filters(&a, (const char *)data, size);
	arena_free(&a);
	return 0;
}
