/*
 * GET /mip/index.json: the v2 index of the hosted packages, and its copy
 * the front end sends itself.
 *
 * The copy is <var_dir>/mip-static/mip/index.json (etc/nestbox-lighttpd.conf,
 * apache-example.conf), kept only on a store no other host writes
 * (SQLite: mip_store_shared), as a publish on another host could not
 * rewrite this host's file.  A publish holds <var_dir>/mip-static/index.lock
 * from before its commit until the copy is rewritten from the store, so
 * two publishes at once leave a copy listing both, and a publish that
 * dies half-way leaves no copy: the program answers, a failure costs
 * speed only.
 */
#include "mip.h"
#include "../lib/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

/* A package's entry, its version lists ("py" and the mpy major) empty. */
static cJSON *entry(const struct mip *m, const struct mip_hosted_row *h)
{
	cJSON *o = cJSON_CreateObject(), *vs;
	char key[8];

	cJSON_AddStringToObject(o, "name", h->name);
	cJSON_AddStringToObject(o, "version", h->version);
	cJSON_AddStringToObject(o, "description", h->description);
	vs = cJSON_AddObjectToObject(o, "versions");
	cJSON_AddArrayToObject(vs, "py");
	snprintf(key, sizeof(key), "%d", m->cc.ok ? m->cc.major : 6);
	cJSON_AddArrayToObject(vs, key);
	return o;
}

char *mip_index_json(struct app *app, const struct mip *m, struct arena *a, size_t *len,
		     struct nb_err *e)
{
	struct mip_hosted_row *h;
	int n = mip_hosted_list(app, a, MIP_HOSTED_BY_KEY, -1, 0, &h, e);
	cJSON *o, *pk, *cur = NULL, *fl;
	char *s, *out;

	/* an index that could not be read is a 503, never an empty index */
	if (n < 0)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "v", 2);
	cJSON_AddNumberToObject(o, "updated", (double)time(NULL));
	pk = cJSON_AddArrayToObject(o, "packages");
	for (int i = 0; i < n; i++) {
		if (!i || strcmp(h[i].name, h[i - 1].name))
			cJSON_AddItemToArray(pk, cur = entry(m, &h[i]));
		/* versions listed in order; "version" is the highest */
		if (mip_version_cmp(h[i].version, cJSON_GetObjectItem(cur, "version")->valuestring) > 0)
			cJSON_SetValuestring(cJSON_GetObjectItem(cur, "version"), h[i].version);
		cJSON_ArrayForEach(fl, cJSON_GetObjectItem(cur, "versions"))
			cJSON_AddItemToArray(fl, cJSON_CreateString(h[i].version));
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s) {
		nb_fail(e, NB_UNAVAILABLE, "out of memory");
		return NULL;
	}
	*len = strlen(s);
	out = arena_strndup(a, s, *len);
	cJSON_free(s);
	return out;
}

int mip_index(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	size_t n;
	char *s = mip_index_json(app, app->domain, r->a, &n, e);

	if (!s)
		return -1;
	http_bytes(w, 200, "application/json", s, n);
	return 0;
}

/* <var_dir>/mip-static/mip/index.json, the copy (arena a). */
static const char *copy_path(struct app *app, struct arena *a)
{
	return arena_printf(a, "%s/mip-static/mip/index.json", app->set.var_dir);
}

/* Removes the copy; 1 when there was one, 0 when not, -1 (said on stderr)
 * when it stays: the front end may then send an index missing a package. */
static int drop_copy(const char *path)
{
	if (unlink(path) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	fprintf(stderr, "mip: cannot remove %s: %s\n", path, strerror(errno));
	return -1;
}

int mip_index_hold(struct app *app)
{
	struct arena a;
	int fd = -1;

	arena_init(&a);
	if (mip_store_shared(app)) {
		/* one left from a SQLite past would now miss this publish */
		drop_copy(copy_path(app, &a));
		arena_free(&a);
		return -1;
	}
	/* read-only is enough for flock: a lock file another user made
	 * (nestboxctl as root beside the front end's user) still locks */
	if (fs_mkdirs(arena_printf(&a, "%s/mip-static/mip", app->set.var_dir), 0755) < 0 ||
	    (fd = open(arena_printf(&a, "%s/mip-static/index.lock", app->set.var_dir),
		       O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
	    flock(fd, LOCK_EX) < 0) {
		fprintf(stderr, "mip: the index copy is not kept: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	/* the program answers until the copy is rewritten after the commit:
	 * never a copy without what this publish commits */
	drop_copy(copy_path(app, &a));
	arena_free(&a);
	return fd;
}

void mip_index_release(struct app *app, const struct mip *m, int hold)
{
	struct arena a;
	struct nb_err e;
	const char *path;
	char *s;
	size_t n;

	if (hold < 0)
		return;
	arena_init(&a);
	path = copy_path(app, &a);
	/* read with the lock held: everything committed before is in it */
	if (!(s = mip_index_json(app, m, &a, &n, &e)))
		fprintf(stderr, "mip: the index copy is not written: %s\n", e.msg);
	else if (fs_write_atomic(path, s, n) < 0)
		fprintf(stderr, "mip: cannot write %s: %s\n", path, strerror(errno));
	close(hold);
	arena_free(&a);
}

int mip_index_unshare(struct app *app)
{
	struct arena a;
	int n;

	arena_init(&a);
	n = drop_copy(copy_path(app, &a)) > 0;
	arena_free(&a);
	return n;
}
