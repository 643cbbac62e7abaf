/*
 * pypi.fcgi's start-up: the settings read once from the configuration
 * (the only conf_* calls of the domain), the templates of the simple
 * pages, and root with root/pypi at first start.
 */
#include "pypi.h"
#include "../lib/auth.h"
#include "../lib/tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pypi_settings_read(const struct app *app, struct pypi_settings *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->root_password, sizeof(s->root_password), "%s",
		 conf_str(app->conf, "pypi.root_password"));
	s->no_root_pypi = conf_bool(app->conf, "pypi.no_root_pypi");
	snprintf(s->root_mirror_url, sizeof(s->root_mirror_url), "%s",
		 conf_str(app->conf, "pypi.root_mirror_url"));
	s->max_upload = conf_int(app->conf, "pypi.max_upload");
	snprintf(s->templates, sizeof(s->templates), "%s", conf_str(app->conf, "admin.templates"));
	s->xsendfile = app->set.xsendfile;
	s->offline = conf_bool(app->conf, "pypi.offline");
	s->cache_max = conf_int(app->conf, "pypi.cache_max");
	s->connect_timeout = (long)conf_int(app->conf, "pypi.mirror_connect_timeout");
	s->timeout = (long)conf_int(app->conf, "pypi.mirror_timeout");
	snprintf(s->var_dir, sizeof(s->var_dir), "%s", app->set.var_dir);
	s->mirror_fetches = (long)conf_int(app->conf, "pypi.mirror_fetches");
	s->user_mirrors = conf_bool(app->conf, "pypi.user_mirrors");
}

/* root/pypi as devpi creates it: a mirror of s->root_mirror_url. */
static int add_root_pypi(struct app *app, const struct pypi_settings *s, struct nb_err *e)
{
	struct pypi_index ix;

	memset(&ix, 0, sizeof(ix));
	ix.user = "root";
	ix.name = "pypi";
	ix.type = "mirror";
	ix.volatile_ = 0;
	ix.mirror_url = s->root_mirror_url;
	ix.title = "PyPI";
	ix.mirror_cache_expiry = 1800;
	return pypi_index_put(app, &ix, 1, e);
}

/*
 * Like devpi's DEVPISERVER_ROOT_PASSWD: root is made once, with
 * pypi.root_password (NESTBOX_PYPI__ROOT_PASSWORD); an empty one leaves
 * root without a usable password ("!" is no argon2 hash) until an
 * operator sets one.  root/pypi comes with root, as in devpi, so an
 * operator who deleted it does not see it come back.
 */
int pypi_bootstrap(struct app *app, const struct pypi_settings *s, struct nb_err *e)
{
	char hash[AUTH_HASH_MAX] = "!";
	struct nb_err mine;
	struct pypi_user u;
	struct arena a;
	int rc;

	/*
	 * Made at an earlier start: a read, so that a program starting while
	 * another writer holds the store does not fail its start-up.
	 */
	arena_init(&a);
	rc = pypi_user_get(app, &a, "root", &u, NULL);
	arena_free(&a);
	db_read_end(app->db);
	if (rc == 0)
		return 0;
	if (*s->root_password && auth_hash_password(s->root_password, hash, sizeof(hash)) < 0)
		return nb_fail(e, NB_INTERNAL, "cannot hash pypi.root_password");
	if (db_begin(app->db) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the store is busy");
	rc = pypi_user_add(app, "root", hash, "", &mine);
	if (rc < 0 && mine.kind == NB_CONFLICT) {
		db_rollback(app->db);
		return 0;		/* made at an earlier start */
	}
	if (rc == 0 && !s->no_root_pypi)
		rc = add_root_pypi(app, s, &mine);
	if (rc == 0 && db_commit(app->db) < 0)
		rc = nb_fail(&mine, NB_UNAVAILABLE, "the store is busy");
	if (rc < 0) {
		db_rollback(app->db);
		if (e)
			*e = mine;
		return nb_err_prefix(e, "cannot create the root user");
	}
	return 0;
}

int pypi_init(struct app *app, struct nb_err *e)
{
	struct pypi *p = calloc(1, sizeof(*p));

	if (!p)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	app->domain = p;
	app->fail_write = pypi_error_write;
	pypi_settings_read(app, &p->set);
	if (tmpl_load_dir(&p->tmpl, p->set.templates, e) < 0 ||
	    pypi_bootstrap(app, &p->set, e) < 0)
		return -1;
	/* a static page another host could not remove must not outlive a
	 * move to a shared store */
	if (pypi_static_unshare(app) < 0)
		return nb_fail(e, NB_INTERNAL, "cannot remove %s/pypi-static (static pages are "
			       "not kept on a shared store)", app->set.var_dir);
	return 0;
}

void pypi_fini(struct app *app)
{
	struct pypi *p = app->domain;

	if (p)
		tmpl_free(p->tmpl);
	free(p);
	app->domain = NULL;
}
