/* GET /healthz: 200 when the store answers and the directories are usable. */
#include "log_state.h"
#include "../mkbox/mkbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

static int check(cJSON *o, const char *name, int ok, const char *why)
{
	cJSON_AddStringToObject(o, name, ok ? "ok" : why);
	return ok;
}

/* The file that running name would execute, as posix_spawnp finds it (a
 * name with a '/' is a path; else the first executable regular file of
 * that name in $PATH, or in the C library's default path when unset):
 * 0 with out and st filled, or -1 when there is none. */
static int health_locate(const char *name, char *out, size_t n, struct stat *st)
{
	char dflt[256];
	const char *dirs = getenv("PATH"), *p, *end;

	if (strchr(name, '/'))
		return snprintf(out, n, "%s", name) < (int)n && stat(out, st) == 0 &&
		       S_ISREG(st->st_mode) && access(out, X_OK) == 0 ? 0 : -1;
	if (!dirs && confstr(_CS_PATH, dflt, sizeof(dflt)) > 0)
		dirs = dflt;
	for (p = dirs ? dirs : ""; *p; p = *end ? end + 1 : end) {
		int len, dl;

		end = strchr(p, ':');
		end = end ? end : p + strlen(p);
		dl = (int)(end - p);	/* an empty entry is the current directory */
		len = snprintf(out, n, "%.*s/%s", dl ? dl : 1, dl ? p : ".", name);
		if (len > 0 && (size_t)len < n && stat(out, st) == 0 && S_ISREG(st->st_mode) &&
		    access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

static int health_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* mip.mpy_cross probed as mip_compiler_probe does, but run only when its
 * file is new or changed (a compiler installed, upgraded or removed after
 * start is still seen); the answer in *cc, the probe's return value. */
static int health_compiler(struct health_probe *pr, const char *name, int opt,
			   const struct mip_compiler **cc)
{
	char path[PATH_MAX];
	struct stat st;

	*cc = &pr->cc;
	if (!*name || health_locate(name, path, sizeof(path), &st) < 0) {
		/* nothing to run: said without running anything */
		memset(pr, 0, sizeof(*pr));
		if (*name)
			snprintf(pr->cc.why, sizeof(pr->cc.why), "%s not found or not an mpy-cross", name);
		else
			snprintf(pr->cc.why, sizeof(pr->cc.why), "no compiler configured (mip.mpy_cross)");
		return -1;
	}
	if (!pr->done || strcmp(path, pr->path) || !health_same_file(&st, &pr->st)) {
		pr->rc = mip_compiler_probe(&pr->cc, path, opt);
		snprintf(pr->path, sizeof(pr->path), "%s", path);
		pr->st = st;
		pr->done = 1;
	}
	return pr->rc;
}

int log_healthz(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e)
{
	struct log_domain *d = app->domain;
	const struct log_settings *set = &d->set;
	const struct mip_compiler *cc;
	cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
	int ok = 1;
	char *s;

	(void)e;
	ok &= check(c, "database", db_version(app->db) >= 1, "unreadable");
	ok &= check(c, "blobs", access(app->blobs.dir, W_OK) == 0, "not writable");
	ok &= check(c, "mkbox_images", access(set->image_path, R_OK | X_OK) == 0,
		    "missing or unreadable");
	{
		/* informational: without mpy-cross the index still works, with
		 * sources; looked up per request, as a compiler installed later
		 * counts, and run only when its file changed (health_compiler) */
		if (health_compiler(&d->mpy, set->mpy_cross, set->mip_opt, &cc) == 0)
			cJSON_AddStringToObject(c, "mip_compiler", cc->version);
		else
			cJSON_AddStringToObject(c, "mip_compiler", arena_printf(r->a,
				"missing (%s): the mpy flavour serves sources", cc->why));
	}
	cJSON_AddStringToObject(o, "status", ok ? "ok" : "degraded");
	cJSON_AddItemToObject(o, "checks", c);
	s = cJSON_PrintUnformatted(o);
	http_bytes(w, ok ? 200 : 503, "application/json", s, strlen(s));
	buf_addc(&w->body, '\n');
	cJSON_free(s);
	cJSON_Delete(o);
	return 0;
}
