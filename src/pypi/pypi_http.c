/*
 * The program's set-up and what every handler shares: the root user and
 * root/pypi at first start, who is asking (Basic, +login tokens), the
 * index a URL names, and the breadth-first walk through bases.
 */
#include "pypi.h"
#include "../lib/auth.h"
#include "../lib/tmpl.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Like devpi's DEVPISERVER_ROOT_PASSWD: root is made once, with
 * pypi.root_password (NESTBOX_PYPI__ROOT_PASSWORD); an empty one leaves
 * root without a usable password ("!" is no argon2 hash) until an
 * operator sets one.  root/pypi comes with root, as in devpi, so an
 * operator who deleted it does not see it come back.
 */
int pypi_bootstrap(struct app *app, char *err, size_t errlen)
{
	const char *pw = conf_str(app->conf, "pypi.root_password");
	char hash[AUTH_HASH_MAX] = "!";
	struct pypi_index ix;
	int rc;

	if (*pw && auth_hash_password(pw, hash, sizeof(hash)) < 0) {
		snprintf(err, errlen, "cannot hash pypi.root_password");
		return -1;
	}
	if (db_begin(app->db) < 0) {
		snprintf(err, errlen, "store busy: %s", db_errmsg(app->db));
		return -1;
	}
	rc = pypi_user_add(app, "root", hash, "");
	if (rc == 0 && !conf_bool(app->conf, "pypi.no_root_pypi")) {
		memset(&ix, 0, sizeof(ix));
		ix.user = "root";
		ix.name = "pypi";
		ix.type = "mirror";
		ix.volatile_ = 0;
		ix.mirror_url = conf_str(app->conf, "pypi.root_mirror_url");
		ix.title = "PyPI";
		ix.mirror_cache_expiry = 1800;
		rc = pypi_index_put(app, &ix, 1);
	}
	if (rc < 0 || db_commit(app->db) < 0) {
		db_rollback(app->db);
		snprintf(err, errlen, "cannot create the root user: %s", db_errmsg(app->db));
		return -1;
	}
	return 0;
}

int pypi_init(struct app *app, char *err, size_t errlen)
{
	struct pypi *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	app->domain = p;
	p->xsendfile = conf_bool(app->conf, "server.xsendfile");
	p->max_upload = conf_int(app->conf, "pypi.max_upload");
	if (tmpl_load_dir(&p->tmpl, conf_str(app->conf, "admin.templates"), err, errlen) < 0)
		return -1;
	return pypi_bootstrap(app, err, errlen);
}

void pypi_fini(struct app *app)
{
	struct pypi *p = app->domain;

	if (p)
		tmpl_free(p->tmpl);
	free(p);
	app->domain = NULL;
}

/* base64 of "user:secret" into user and secret (in a); 0 or -1. */
static int split_b64(struct arena *a, const char *b64, const char **user, const char **secret)
{
	size_t n = strlen(b64), pad = 0;
	unsigned char *out;
	int len;
	char *colon;

	if (n == 0 || n % 4 || n > 4096)
		return -1;
	out = arena_alloc(a, n / 4 * 3 + 1);
	len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (len < 0)
		return -1;
	pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
	len -= (int)pad;
	out[len] = '\0';
	if (memchr(out, '\0', (size_t)len) || !(colon = strchr((char *)out, ':')))
		return -1;
	*colon = '\0';
	*user = (const char *)out;
	*secret = colon + 1;
	return 0;
}

/* 1 when secret is a live +login token of user. */
static int token_ok(struct app *app, struct http_req *r, const char *user, const char *secret)
{
	char th[HASH_HEX_MAX];
	const char *owner;

	auth_token_hash(secret, th);
	owner = pypi_token_user(app, r->a, th);
	return owner && !strcmp(owner, user);
}

const char *pypi_auth_user(struct app *app, struct http_req *r, int *bad)
{
	const char *h = http_header(r, "X-Devpi-Auth"), *user, *secret;
	struct pypi_user u;

	*bad = 0;
	if (h) {
		if (split_b64(r->a, h, &user, &secret) == 0 && token_ok(app, r, user, secret))
			return user;
		*bad = 1;
		return NULL;
	}
	h = http_header(r, "Authorization");
	if (!h)
		return NULL;
	if (strncasecmp(h, "Basic ", 6) || split_b64(r->a, h + 6, &user, &secret) < 0 ||
	    pypi_user_get(app, r->a, user, &u) < 0) {
		*bad = 1;
		return NULL;
	}
	if (token_ok(app, r, user, secret) || auth_verify_password(u.pw_hash, secret))
		return user;
	*bad = 1;
	return NULL;
}

void pypi_challenge(struct app *app, struct http_resp *w, const char *msg)
{
	app_error(app, w, 401, msg);
	http_set_header(w, "WWW-Authenticate", "Basic realm=\"pypi\"");
}

int pypi_list_has(const char *list, const char *item)
{
	size_t il = strlen(item);
	const char *p = list;

	while (p && *p) {
		const char *c = strchr(p, ','), *e = c ? c : p + strlen(p);
		while (*p == ' ')
			p++;
		if ((size_t)(e - p) == il && !strncmp(p, item, il))
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

struct pypi_index *pypi_req_index(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct pypi_index *ix = arena_zalloc(r->a, sizeof(*ix));

	if (pypi_index_get(app, r->a, http_param(r, "user"), http_param(r, "index"), ix) < 0) {
		app_error(app, w, 404, "no such index");
		return NULL;
	}
	return ix;
}

static int seen(struct pypi_index *v, int n, long long id)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return 1;
	return 0;
}

/* Appends the bases of v[at] that are new; returns the new count. */
static int add_bases(struct app *app, struct arena *a, struct pypi_index *v, int n, int at)
{
	const char *p = v[at].bases;

	while (p && *p && n < PYPI_MAX_BASES) {
		const char *c = strchr(p, ','), *e = c ? c : p + strlen(p);
		char *spec = arena_strndup(a, p, (size_t)(e - p)), *slash = strchr(spec, '/');
		struct pypi_index b;
		if (slash) {
			*slash = '\0';
			if (pypi_index_get(app, a, spec, slash + 1, &b) == 0 && !seen(v, n, b.id))
				v[n++] = b;
		}
		p = c ? c + 1 : NULL;
	}
	return n;
}

/*
 * devpi's rule: bases are searched breadth-first, and mirrors come after
 * every stage, so a private project is always found before a public one.
 */
int pypi_resolve(struct app *app, struct arena *a, const struct pypi_index *ix,
		 struct pypi_index **out)
{
	struct pypi_index *bfs = arena_alloc(a, sizeof(*bfs) * PYPI_MAX_BASES);
	struct pypi_index *v = arena_alloc(a, sizeof(*v) * PYPI_MAX_BASES);
	int n = 1, i, k = 0;

	bfs[0] = *ix;
	for (i = 0; i < n; i++)
		n = add_bases(app, a, bfs, n, i);
	for (i = 0; i < n; i++)
		if (!strcmp(bfs[i].type, "stage"))
			v[k++] = bfs[i];
	for (i = 0; i < n; i++)
		if (strcmp(bfs[i].type, "stage"))
			v[k++] = bfs[i];
	*out = v;
	return k;
}
