/*
 * What every GitHub shape of ota.fcgi shares (protocols/ota-github.md):
 * field names and types are GitHub's; every answer has an exact
 * Content-Length (http_send), an ETag and 304 on If-None-Match, and no
 * redirect.  Links are absolute, from http_base_url.  A private repository
 * answers 404 without a read token, as GitHub does.
 */
#include "ota_http.h"
#include "../lib/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *ota_auth_token(struct http_req *r)
{
	const char *h = http_header(r, "Authorization");

	if (!h)
		return NULL;
	if (!strncasecmp(h, "token ", 6))
		return h + 6;
	if (!strncasecmp(h, "bearer ", 7))
		return h + 7;
	return NULL;
}

int ota_repo_for(struct app *app, struct http_req *r, struct ota_repo *repo, struct nb_err *e)
{
	const char *tok;
	char name[128];

	if (ota_repo_get(app, req_str(r, "owner"), req_str(r, "repo"), repo, e) < 0)
		return -1;
	if (!repo->private)
		return 0;
	tok = ota_auth_token(r);
	if (!tok || !*tok)
		return nb_fail(e, NB_NOT_FOUND, "repository not found");
	/* a wrong token is NB_NOT_FOUND too: the repository does not exist */
	return ota_token_check(app, repo->id, tok, name, sizeof(name), e);
}

/* status with GitHub's error body: {"message":msg,"documentation_url":…} */
static void github_error(struct http_resp *w, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddStringToObject(o, "documentation_url", "https://docs.github.com/rest");
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	http_bytes(w, status, "application/json; charset=utf-8", s ? s : "{}", s ? strlen(s) : 2);
	free(s);
}

void ota_error_write(struct http_resp *w, int status, enum nb_errkind kind, const char *msg)
{
	/* a 404 says only what GitHub says: a private repository stays unnamed */
	github_error(w, status, kind == NB_NOT_FOUND ? "Not Found" : msg);
}

int ota_api_refuse(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	const char *allow = ota_route_allow(app, r);

	if (!allow)
		return nb_fail(e, NB_NOT_FOUND, "Not Found");
	/* answered here: the Allow header goes with the program's 405 */
	nb_fail(e, NB_METHOD, "Method Not Allowed");
	app_fail(app, r, w, e);
	http_set_header(w, "Allow", allow);
	return 0;
}

/* 1 when If-None-Match names etag (RFC 9110 13.1.2: a list, weak
 * comparison, or "*"): the library's matcher, here too so that a blob's
 * 304 is answered before its bytes are opened. */
static int etag_matches(struct http_req *r, const char *etag)
{
	const char *h = http_header(r, "If-None-Match");

	return h && http_etag_match(h, etag);
}

void ota_answer_text(struct http_req *r, struct http_resp *w, const char *s, size_t n,
		     const char *etag)
{
	http_set_header(w, "ETag", etag);
	if (etag_matches(r, etag))
		http_bytes(w, 304, "application/json; charset=utf-8", "", 0);
	else
		http_bytes(w, 200, "application/json; charset=utf-8", s, n);
}

int ota_answer_json(struct http_req *r, struct http_resp *w, cJSON *o, struct nb_err *e)
{
	char *s = cJSON_PrintUnformatted(o), hex[HASH_HEX_MAX];

	cJSON_Delete(o);
	if (!s)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	hash_hex(HASH_SHA1, s, strlen(s), hex);
	ota_answer_text(r, w, s, strlen(s), arena_cat(r->a, "\"", hex, "\"", NULL));
	free(s);
	return 0;
}

int ota_answer_blob(struct app *app, struct http_req *r, struct http_resp *w,
		    const char *sha256, const char *ctype, struct nb_err *e)
{
	const struct ota *o = app->domain;
	const char *etag = arena_cat(r->a, "\"", sha256, "\"", NULL);

	http_set_header(w, "ETag", etag);
	if (etag_matches(r, etag)) {
		http_bytes(w, 304, ctype, "", 0);
		return 0;
	}
	return blob_send(&app->blobs, r, w, sha256, ctype, o->set.xsendfile, 0, "file not found", e);
}

const char *ota_api_url(struct app *app, struct http_req *r, const struct ota_repo *repo)
{
	return arena_cat(r->a, http_base_url(r, app->set.base_url), "/ota/api/repos/", repo->owner,
			 "/", repo->name, NULL);
}

/* A query number as GitHub reads it: dflt when absent or not a number. */
static long long query_num(struct http_req *r, const char *name, long long dflt)
{
	const char *s = req_str(r, name);
	char *end;
	long long v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtoll(s, &end, 10);
	return *end || errno ? dflt : v;
}

void ota_page(struct http_req *r, long long *skip, int *max)
{
	long long per = query_num(r, "per_page", 30), page = query_num(r, "page", 1);

	per = per < 1 ? 1 : per > 100 ? 100 : per;
	/* far pages are empty, never an overflow */
	page = page < 1 ? 1 : page > 1000000000LL ? 1000000000LL : page;
	*max = (int)per;
	*skip = (page - 1) * per;
}

const char *ota_iso_time(struct arena *a, long long t)
{
	char out[32];
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return arena_strdup(a, out);
}
