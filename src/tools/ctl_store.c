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
#include <stdlib.h>
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
 * Only `nestboxctl init` creates a store: a command run in the wrong
 * directory or with the wrong configuration must not report success into
 * a new, empty store that the server never reads.
 */
int ctl_open(struct app *app)
{
	/* the store's path found exactly as the programs find it (app.h) */
	struct app_settings *s = malloc(sizeof(*s));
	const char *dbp = s ? s->db_path : "";
	struct nb_err e;
	struct conf *conf;

	if (!s || conf_load(core_spec.keys, &conf, &e) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", s ? e.msg : "out of memory");
		free(s);
		return -1;
	}
	app_settings_read(conf, s);
	if (access(dbp, F_OK) != 0) {
		fprintf(stderr, "nestboxctl: no store at %s (configuration: %s);\n"
			"  `nestboxctl init` creates one, or set NESTBOX_CONFIG to the server's "
			"configuration\n", dbp, conf_origin(conf));
		conf_free(conf);
		free(s);
		return -1;
	}
	conf_free(conf);
	free(s);
	return ctl_create(app);
}

int ctl_create(struct app *app)
{
	struct nb_err e;

	if (app_open(app, "nestboxctl", &core_spec, &e) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", e.msg);
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
	struct mkbox_settings ms;

	optind = 1;
	if (ctl_getopt("init", argc, argv, none) != -1 ||
	    ctl_operands("init", argc, argv, 0, 0, "") < 0)
		return 2;
	if (ctl_create(&app) < 0)
		return 1;
	mkbox_settings_read(&app, &ms);
	if (fs_mkdirs(ms.image_path, 0755) < 0) {
		perror(ms.image_path);
		app_close(&app);
		return 1;
	}
	printf("nestbox: state in %s\n  config:   %s\n  database: %s (schema %d)\n"
	       "  blobs:    %s\n  images:   %s\n", app.set.var_dir,
	       *conf_file(app.conf) ? conf_file(app.conf) : "(none found, defaults)",
	       app.set.db_path, db_version(app.db), app.blobs.dir, ms.image_path);
	app_close(&app);
	return 0;
}

/* Reads only the configuration: showing it needs no store. */
int cmd_config(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	const char *name, *value;
	struct conf *conf;
	struct nb_err e;
	int i, secret;

	optind = 1;
	if (ctl_getopt("config", argc, argv, none) != -1 ||
	    ctl_operands("config", argc, argv, 0, 0, "") < 0)
		return 2;
	if (conf_load(core_spec.keys, &conf, &e) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", e.msg);
		return 1;
	}
	printf("# %s\n", *conf_file(conf) ? conf_file(conf) : "(no file: defaults)");
	for (i = 0; conf_entry(conf, i, &name, &value, &secret); i++)
		printf("%s = %s\n", name, secret && *value ? "********" : value);
	conf_free(conf);
	return 0;
}
