/*
 * nestboxctl - the administration command line.  Each command is one
 * function with its own --help; the table at the bottom lists them all.
 */
#include "../core/core.h"
#include "../lib/fsutil.h"
#include "../mkbox/mkbox.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cmd {
	const char *name, *sub;
	int (*fn)(int argc, char **argv);
	const char *usage, *help;
};

static const struct cmd cmds[];

static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static int open_app(struct app *app)
{
	char err[1024];

	if (app_open(app, "nestboxctl", &core_spec, err, sizeof(err)) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", err);
		return -1;
	}
	return 0;
}

static int cmd_init(int argc, char **argv)
{
	struct app app;
	char images[PATH_MAX], dbp[PATH_MAX];

	(void)argc;
	(void)argv;
	if (open_app(&app) < 0)
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
	       app_path(&app, "db.path", "nestbox.db", dbp, sizeof(dbp)),
	       db_version(app.db), app.blobs.dir, images);
	app_close(&app);
	return 0;
}

static int cmd_image_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "box", required_argument, NULL, 'b' },
		{ "board", required_argument, NULL, 'B' },
		{ "branch", required_argument, NULL, 'r' },
		{ "version", required_argument, NULL, 'v' },
		{ "level", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct mkbox_import o = { 0 };
	struct app app;
	char images[PATH_MAX], image[512], err[1024];
	int c, level = -1, threads = -1, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': o.box = optarg; break;
		case 'B': o.board = optarg; break;
		case 'r': o.branch = optarg; break;
		case 'v': o.version = optarg; break;
		case 'l': level = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || !o.box || !o.board) {
		fprintf(stderr, "usage: nestboxctl image import <file.img> --box B --board X "
			"[--branch BR] [--version V]\n");
		return 2;
	}
	if (open_app(&app) < 0)
		return 1;
	o.file = argv[optind];
	o.image_path = mkbox_image_path(&app, images, sizeof(images));
	o.level = level >= 0 ? level : (int)conf_int(app.conf, "mkbox.zstd_level");
	o.threads = threads >= 0 ? threads : (int)conf_int(app.conf, "mkbox.zstd_threads");
	if (o.threads == 0)
		o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	o.progress = isatty(2);
	rc = mkbox_import_image(&o, image, sizeof(image), err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "nestboxctl: import failed: %s\n", err);
	else
		printf("%s/%s\n", o.box, image);
	app_close(&app);
	return rc < 0 ? 1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints one box's builds: box/image, buildID, size, time. */
static void list_box(const char *images, const char *box, const char *search)
{
	char dir[PATH_MAX], *names[4096];
	struct dirent *e;
	DIR *d;
	int n = 0, i;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", images, box) >= sizeof(dir) ||
	    !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) && n < 4096) {
		size_t l = strlen(e->d_name);
		if (l > 8 && !strcmp(e->d_name + l - 8, ".img.zst") && e->d_name[0] != '.' &&
		    (!search || strstr(e->d_name, search)))
			names[n++] = strndup(e->d_name, l - 8);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(char *), cmp_str);
	for (i = 0; i < n; i++) {
		struct mkbox_build b;
		char when[32] = "-";
		if (mkbox_build_find(images, box, names[i], &b) == 0) {
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
				 gmtime(&b.zst_st.st_mtime));
			printf("%s/%s\t%s\t%lld\t%s\n", box, names[i], b.build_id,
			       (long long)b.zst_st.st_size, when);
		} else {
			printf("%s/%s\t(no buildID)\t-\t-\n", box, names[i]);
		}
		free(names[i]);
	}
}

static int cmd_image_list(int argc, char **argv)
{
	struct app app;
	char images[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (argc > 2) {
		fprintf(stderr, "usage: nestboxctl image list [search]\n");
		return 2;
	}
	if (open_app(&app) < 0)
		return 1;
	mkbox_image_path(&app, images, sizeof(images));
	d = opendir(images);
	if (!d) {
		perror(images);
		app_close(&app);
		return 1;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			list_box(images, e->d_name, argc == 2 ? argv[1] : NULL);
	closedir(d);
	app_close(&app);
	return 0;
}

struct gc_ctx {
	struct app *app;
	long grace;
	time_t now;
	int removed;
	unsigned long long freed;
};

static int gc_blob(void *p, const char *hex, uint64_t size, long mtime)
{
	struct gc_ctx *g = p;

	if (g->now - mtime < g->grace || mkbox_tar_refs(g->app, hex))
		return 0;
	if (blob_remove(&g->app->blobs, hex) == 0) {
		g->removed++;
		g->freed += size;
	}
	return 0;
}

static int cmd_gc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "grace", required_argument, NULL, 'g' }, { NULL, 0, NULL, 0 }
	};
	struct app app;
	struct gc_ctx g = { .grace = 3600, .now = time(NULL) };
	char images[PATH_MAX];
	int c, rows, tmps;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'g')
			return 2;
		g.grace = atol(optarg);
	}
	if (open_app(&app) < 0)
		return 1;
	g.app = &app;
	rows = mkbox_tar_prune(&app);
	blob_foreach(&app.blobs, gc_blob, &g);
	tmps = blob_clean_tmp(&app.blobs, g.grace);
	tmps += mkbox_clean_tmp(mkbox_image_path(&app, images, sizeof(images)), g.grace);
	printf("gc: %d stale cache rows, %d blobs (%llu bytes), %d temp files removed\n",
	       rows < 0 ? 0 : rows, g.removed, g.freed, tmps);
	app_close(&app);
	return rows < 0 ? 1 : 0;
}

static int cmd_config(int argc, char **argv)
{
	struct app app;
	const char *name, *value;
	int i, secret;

	(void)argc;
	(void)argv;
	if (open_app(&app) < 0)
		return 1;
	printf("# %s\n", *conf_file(app.conf) ? conf_file(app.conf) : "(no file: defaults)");
	for (i = 0; conf_entry(app.conf, i, &name, &value, &secret); i++)
		printf("%s = %s\n", name, secret && *value ? "********" : value);
	app_close(&app);
	return 0;
}

static const struct cmd cmds[] = {
	{ "init", NULL, cmd_init, "nestboxctl init",
	  "Creates the state directory, the database and the blob store, and says where." },
	{ "image", "import", cmd_image_import,
	  "nestboxctl image import <file.img> --box B --board X [--branch BR] [--version V]"
	  " [--level N] [--threads N]",
	  "Compresses a raw disk image with zstd and publishes <image>.img.zst, .img.sha256\n"
	  "and .img.buildID into <image_path>/<box>/, exactly as the mkbox pipeline does.\n"
	  "The image is named <box>-<board>[-<branch>][-<version>]." },
	{ "image", "list", cmd_image_list, "nestboxctl image list [search]",
	  "Lists every build in the image directory: box/image, buildID, size, time." },
	{ "gc", NULL, cmd_gc, "nestboxctl gc [--grace SECONDS]",
	  "Drops cached update tars of builds that are gone, unreferenced blobs and\n"
	  "abandoned temp files older than the grace period (default 3600 s)." },
	{ "config", NULL, cmd_config, "nestboxctl config",
	  "Prints the effective configuration (file, then environment), secrets masked." },
	{ NULL, NULL, NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	const struct cmd *c;

	fprintf(f, "usage: nestboxctl <command> [options]   (each command takes --help)\n\n");
	for (c = cmds; c->name; c++)
		fprintf(f, "  %s\n", c->usage);
	fprintf(f, "\nConfiguration: $NESTBOX_CONFIG, /etc/nestbox/nestbox.yaml or ./etc/nestbox.yaml,\n"
		   "then NESTBOX_<SECTION>__<KEY> variables.\n");
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (c = cmds; c->name; c++) {
		int skip = 1;
		if (strcmp(c->name, argv[1]))
			continue;
		if (c->sub) {
			if (argc < 3 || strcmp(c->sub, argv[2]))
				continue;
			skip = 2;
		}
		if (wants_help(argc, argv)) {
			printf("usage: %s\n\n%s\n", c->usage, c->help);
			return 0;
		}
		return c->fn(argc - skip, argv + skip);
	}
	if (argc >= 2 && wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "nestboxctl: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
