/*
 * The mip.* settings, read once at start by mip-index.fcgi (mip_init), the
 * admin pages and nestboxctl; and the program's init and fini hooks.
 */
#include "mip.h"
#include "../lib/buf.h"
#include "../lib/fs.h"
#include "../lib/http.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mip_settings_read(const struct app *app, struct mip_settings *s)
{
	snprintf(s->mpy_cross, sizeof(s->mpy_cross), "%s", conf_str(app->conf, "mip.mpy_cross"));
	s->opt = (int)conf_int(app->conf, "mip.opt");
	snprintf(s->upstream, sizeof(s->upstream), "%s", conf_str(app->conf, "mip.upstream"));
	snprintf(s->github_raw, sizeof(s->github_raw), "%s", conf_str(app->conf, "mip.github_raw"));
	snprintf(s->gitlab_raw, sizeof(s->gitlab_raw), "%s", conf_str(app->conf, "mip.gitlab_raw"));
	s->offline = conf_bool(app->conf, "mip.offline");
	s->ttl = (long)conf_int(app->conf, "mip.cache_ttl");
	s->timeout = (long)conf_int(app->conf, "mip.fetch_timeout");
	s->cache_max = conf_int(app->conf, "mip.cache_max");
	s->max_file = conf_int(app->conf, "mip.max_file");
	s->fetches = (long)conf_int(app->conf, "mip.upstream_fetches");
}

int mip_settings_check(const struct mip_settings *s, struct nb_err *e)
{
	if (s->fetches < 1 || s->fetches > MIP_FETCHES_MAX)
		return nb_fail(e, NB_INVALID, "mip.upstream_fetches: 1..%d fetches at once (not %ld)",
			       MIP_FETCHES_MAX, s->fetches);
	return 0;
}

/*
 * Without a compiler the mpy flavour serves sources: said once per state
 * directory, not by every process that starts (each FastCGI process, a
 * front end that starts one per request, every nestboxctl command).  The
 * marker <var_dir>/mip-compiler.said is created with O_EXCL, so one of
 * the processes starting at once says it; it goes when a compiler is
 * found, so that one lost later is said again.  /healthz always tells.
 */
static void say_no_compiler(const struct app *app, const struct mip_compiler *cc, int missing)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/mip-compiler.said", app->set.var_dir) >=
	    sizeof(path))
		return;
	if (!missing) {
		unlink(path);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return;		/* said already */
	/* a state directory we cannot write: said every time, as before */
	fprintf(stderr, "nestbox[%s]: %s: the mpy flavour serves sources\n", app->program,
		cc->why);
	if (fd >= 0) {
		if (fs_write_all(fd, cc->why, strlen(cc->why)) < 0)
			unlink(path);	/* say it again next time */
		close(fd);
	}
}

void mip_open(const struct app *app, struct mip *m)
{
	mip_settings_read(app, &m->set);
	say_no_compiler(app, &m->cc, mip_compiler_probe(&m->cc, m->set.mpy_cross, m->set.opt) < 0);
}

/* The admin program still calls it by its older name (src/admin/admin_core.c). */
void mip_settings(struct app *app, struct mip *m)
{
	mip_open(app, m);
}

int mip_init(struct app *app, struct nb_err *e)
{
	struct mip *m = calloc(1, sizeof(*m));

	if (!m)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	mip_open(app, m);
	if (mip_settings_check(&m->set, e) < 0) {
		free(m);
		return -1;
	}
	app->domain = m;
	app->fail_write = mip_error_write;
	mip_static_unshare(app);
	return 0;
}

void mip_fini(struct app *app)
{
	free(app->domain);
	app->domain = NULL;
}

int mip_gate_enter(struct app *app, const char *url, struct upstream_gate *g, struct nb_err *e)
{
	struct mip *m = app->domain;
	char dir[PATH_MAX];
	/* fetch_get's whole bound, and the connection's */
	struct upstream_gate_conf c = { dir, m->set.fetches,
					((m->set.timeout > 0 ? m->set.timeout : 20) + 5) * 1000L };

	snprintf(dir, sizeof(dir), "%.*s/mip-upstream", PATH_MAX - 32, app->set.var_dir);
	return upstream_gate_enter(&c, url, g, e);
}

void mip_error_write(struct http_resp *w, int status, enum nb_errkind kind, const char *msg)
{
	(void)kind;
	http_text(w, status, msg);
	buf_addc(&w->body, '\n');
	if (status == 503)	/* mip and devices' scripts may ask again */
		http_set_header(w, "Retry-After", MIP_RETRY_AFTER);
}
