/*
 * nestboxctl init and config, and what every other command shares:
 * opening the installation's store (never creating one) and refusing a
 * value that its field cannot hold.
 */
#include "ctl.h"
#include "../lib/fsutil.h"
#include "../mkbox/mkbox.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Where the configuration came from, for messages. */
static const char *conf_origin(const struct conf *c)
{
	return *conf_file(c) ? conf_file(c) :
	       "no configuration file found ($NESTBOX_CONFIG unset, no "
	       "/etc/nestbox/nestbox.yaml, no ./etc/nestbox.yaml)";
}

/*
 * The store's database path under this configuration, found exactly as
 * the programs find it (conf_load, then db.path or <var_dir>/nestbox.db).
 */
static const char *store_path(struct conf *conf, char *out, size_t n)
{
	struct app_settings s;

	app_settings_read(conf, &s);
	snprintf(out, n, "%s", s.db_path);
	return out;
}

/*
 * Only `nestboxctl init` creates a store: a command run in the wrong
 * directory or with the wrong configuration must not report success into
 * a new, empty store that the server never reads.
 */
int ctl_open(struct app *app)
{
	char err[1024], dbp[PATH_MAX];
	struct conf *conf;

	if (conf_load(core_spec.keys, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", err);
		return -1;
	}
	store_path(conf, dbp, sizeof(dbp));
	/* a PostgreSQL store is made by its operator: db_open applies the schema */
	if (!db_is_url(dbp) && access(dbp, F_OK) != 0) {
		fprintf(stderr, "nestboxctl: no store at %s (configuration: %s);\n"
			"  `nestboxctl init` creates one, or set NESTBOX_CONFIG to the server's "
			"configuration\n", dbp, conf_origin(conf));
		conf_free(conf);
		return -1;
	}
	conf_free(conf);
	return ctl_create(app);
}

int ctl_create(struct app *app)
{
	char err[1024];

	if (app_open(app, "nestboxctl", &core_spec, err, sizeof(err)) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", err);
		return -1;
	}
	return 0;
}

int ctl_field_ok(const char *option, const char *value, size_t min, size_t max)
{
	size_t n = strlen(value);

	if (n >= min && n <= max)
		return 1;
	if (min)
		fprintf(stderr, "nestboxctl: %s is %zu to %zu bytes (this one has %zu)\n", option,
			min, max, n);
	else
		fprintf(stderr, "nestboxctl: %s is at most %zu bytes (this one has %zu)\n", option,
			max, n);
	return 0;
}

int cmd_init(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	struct app app;
	char images[PATH_MAX];

	optind = 1;
	if (ctl_getopt("init", argc, argv, none) != -1 ||
	    ctl_operands("init", argc, argv, 0, 0, "") < 0)
		return 2;
	if (ctl_create(&app) < 0)
		return 1;
	mkbox_image_path(&app, images, sizeof(images));
	if (fs_mkdirs(images, 0755) < 0) {
		perror(images);
		app_close(&app);
		return 1;
	}
	printf("nestbox: state in %s\n  config:   %s\n  database: %s (schema %d)\n"
	       "  blobs:    %s\n  images:   %s\n", app.var_dir,
	       *conf_file(app.conf) ? conf_file(app.conf) : "(none found, defaults)",
	       db_is_pg(app.db) ? "PostgreSQL (db.url)" : app.set.db_path,
	       db_version(app.db), app.blobs.dir, images);
	app_close(&app);
	return 0;
}

/* Reads only the configuration: showing it needs no store. */
int cmd_config(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	const char *name, *value;
	struct conf *conf;
	char err[1024];
	int i, secret;

	optind = 1;
	if (ctl_getopt("config", argc, argv, none) != -1 ||
	    ctl_operands("config", argc, argv, 0, 0, "") < 0)
		return 2;
	if (conf_load(core_spec.keys, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", err);
		return 1;
	}
	printf("# %s\n", *conf_file(conf) ? conf_file(conf) : "(no file: defaults)");
	for (i = 0; conf_entry(conf, i, &name, &value, &secret); i++)
		printf("%s = %s\n", name, secret && *value ? "********" : value);
	conf_free(conf);
	return 0;
}
