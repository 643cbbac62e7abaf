/*
 * nestboxctl - the administration command line.  Each command is one
 * function with its own --help; the table at the bottom lists them all.
 */
#include "../core/core.h"
#include "../lib/fsutil.h"
#include "../admin/admin.h"
#include "../lib/auth.h"
#include "../mip/mip.h"
#include "../mkbox/mkbox.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
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
	if (rc < 0) {
		fprintf(stderr, "nestboxctl: import failed: %s\n", err);
	} else {
		mkbox_tar_precompute(&app, images, o.box, image);
		printf("%s/%s\n", o.box, image);
	}
	app_close(&app);
	return rc < 0 ? 1 : 0;
}

static int cmd_image_list(int argc, char **argv)
{
	struct app app;
	struct arena a;
	struct mkbox_entry *v;
	char images[PATH_MAX];
	size_t n, i;

	if (argc > 2) {
		fprintf(stderr, "usage: nestboxctl image list [search]\n");
		return 2;
	}
	if (open_app(&app) < 0)
		return 1;
	arena_init(&a);
	if (mkbox_catalog(&a, mkbox_image_path(&app, images, sizeof(images)),
			  argc == 2 ? argv[1] : NULL, &v, &n) < 0) {
		perror(images);
		app_close(&app);
		return 1;
	}
	for (i = 0; i < n; i++) {
		char when[32] = "-";
		time_t t = (time_t)v[i].mtime;
		if (v[i].build_id)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&t));
		printf("%s/%s\t%s\t%lld\t%s\n", v[i].box, v[i].image,
		       v[i].build_id ? v[i].build_id : "(no buildID)", v[i].size, when);
	}
	arena_free(&a);
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

	if (g->now - mtime < g->grace || mkbox_tar_refs(g->app, hex) || mip_file_known(g->app, hex))
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


/* A password from the first line of stdin, or typed at a prompt without echo. */
static int read_password(const char *prompt, char *out, size_t n)
{
	struct termios old, quiet;
	int tty = isatty(0);
	size_t l;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(0, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &quiet);
	}
	if (!fgets(out, (int)n, stdin))
		out[0] = '\0';
	if (tty) {
		tcsetattr(0, TCSANOW, &old);
		fputc('\n', stderr);
	}
	l = strcspn(out, "\r\n");
	out[l] = '\0';
	if (l < 8) {
		fprintf(stderr, "nestboxctl: a password has at least 8 characters\n");
		return -1;
	}
	return 0;
}

static int set_user(struct app *app, const char *name, const char *role, const char *pw)
{
	struct admin_user u;
	char hash[AUTH_HASH_MAX];

	if (auth_hash_password(pw, hash, sizeof(hash)) < 0) {
		fprintf(stderr, "nestboxctl: cannot hash the password\n");
		return -1;
	}
	if (adm_user_get(app->db, name, &u, NULL, 0) == 0)
		return adm_user_set_password(app->db, u.id, hash);
	return adm_user_add(app->db, name, hash, role);
}

static int cmd_user_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 }
	};
	const char *role = "admin";
	struct admin_user u;
	struct app app;
	char pw[256];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r')
			return 2;
		role = optarg;
	}
	if (optind != argc - 1 || (strcmp(role, "admin") && strcmp(role, "readonly"))) {
		fprintf(stderr, "usage: nestboxctl user add NAME [--role admin|readonly]\n");
		return 2;
	}
	if (!admin_name_ok(argv[optind])) {
		fprintf(stderr, "nestboxctl: a user name is 1 to 64 letters, digits or . _ - @\n");
		return 1;
	}
	if (open_app(&app) < 0)
		return 1;
	if (adm_user_get(app.db, argv[optind], &u, NULL, 0) == 0) {
		fprintf(stderr, "nestboxctl: user '%s' exists already\n", argv[optind]);
		app_close(&app);
		return 1;
	}
	rc = read_password("password: ", pw, sizeof(pw)) < 0 ||
	     set_user(&app, argv[optind], role, pw) < 0;
	if (!rc)
		printf("added %s (%s)\n", argv[optind], role);
	app_close(&app);
	return rc;
}

static int cmd_user_passwd(int argc, char **argv)
{
	struct admin_user u;
	struct app app;
	char pw[256];
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: nestboxctl user passwd NAME\n");
		return 2;
	}
	if (open_app(&app) < 0)
		return 1;
	if (adm_user_get(app.db, argv[1], &u, NULL, 0) < 0)
		fprintf(stderr, "nestboxctl: no user '%s'\n", argv[1]);
	else if (read_password("new password: ", pw, sizeof(pw)) == 0 &&
		 set_user(&app, argv[1], u.role, pw) == 0)
		rc = 0;
	if (!rc)
		printf("password of %s changed; its sessions have ended\n", argv[1]);
	app_close(&app);
	return rc;
}

static int cmd_user_del(int argc, char **argv)
{
	struct admin_user u;
	struct app app;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: nestboxctl user del NAME\n");
		return 2;
	}
	if (open_app(&app) < 0)
		return 1;
	if (adm_user_get(app.db, argv[1], &u, NULL, 0) < 0 || adm_user_delete(app.db, u.id) < 0)
		fprintf(stderr, "nestboxctl: no user '%s'\n", argv[1]);
	else
		rc = 0;
	if (!rc)
		printf("deleted %s\n", argv[1]);
	app_close(&app);
	return rc;
}

static int cmd_user_list(int argc, char **argv)
{
	struct app app;
	cJSON *users, *u;

	(void)argc;
	(void)argv;
	if (open_app(&app) < 0)
		return 1;
	users = adm_user_list(app.db, 0, 1L << 30);
	cJSON_ArrayForEach(u, users)
		printf("%s\t%s\n", cJSON_GetObjectItem(u, "name")->valuestring,
		       cJSON_GetObjectItem(u, "role")->valuestring);
	cJSON_Delete(users);
	app_close(&app);
	return 0;
}

/*
 * For `make run`: the first admin.  With no users, creates "admin" with
 * $NESTBOX_ADMIN_PASSWORD or a random password and prints it once; with
 * $NESTBOX_ADMIN_PASSWORD set, (re)sets admin's password to it.
 */
static int cmd_user_first_admin(int argc, char **argv)
{
	const char *env = getenv("NESTBOX_ADMIN_PASSWORD");
	struct app app;
	char pw[80];
	int users;

	(void)argc;
	(void)argv;
	if (open_app(&app) < 0)
		return 1;
	users = adm_user_count(app.db, NULL);
	if (users > 0 && !(env && *env)) {
		printf("admin login: user admin (password as printed when it was created;"
		       " reset: nestboxctl user passwd admin)\n");
		app_close(&app);
		return 0;
	}
	if (env && *env)
		snprintf(pw, sizeof(pw), "%s", env);
	else if (auth_random_hex(pw, 12) < 0)
		return 1;
	if (strlen(pw) < 8 || set_user(&app, "admin", "admin", pw) < 0) {
		fprintf(stderr, "nestboxctl: cannot set the admin password (8 characters at least)\n");
		app_close(&app);
		return 1;
	}
	printf("admin login: user admin, password %s\n", pw);
	app_close(&app);
	return 0;
}

static int cmd_mip_publish(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'v' },
		{ "description", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *version = NULL, *desc = "";
	struct mip m;
	struct app app;
	char err[1024];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'v': version = optarg; break;
		case 'd': desc = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || !name || !version) {
		fprintf(stderr, "usage: nestboxctl mip publish <dir|archive|file.py> --name N --version V\n");
		return 2;
	}
	if (open_app(&app) < 0)
		return 1;
	mip_settings(&app, &m);
	rc = mip_publish(&app, &m, argv[optind], name, version, desc, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "nestboxctl: publish failed: %s\n", err);
	else
		printf("published %s %s\n", name, version);
	app_close(&app);
	return rc == -2 ? 3 : rc < 0 ? 1 : 0;
}

static int cmd_mip_list(int argc, char **argv)
{
	struct app app;
	sqlite3_stmt *st;

	(void)argc;
	(void)argv;
	if (open_app(&app) < 0)
		return 1;
	st = db_stmt(app.db, "SELECT name, version, files, size FROM mip_hosted ORDER BY name, published");
	while (st && sqlite3_step(st) == SQLITE_ROW)
		printf("%s\t%s\t%d files\t%lld bytes\n", (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2),
		       (long long)sqlite3_column_int64(st, 3));
	if (st)
		sqlite3_reset(st);
	app_close(&app);
	return 0;
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
	{ "user", "add", cmd_user_add, "nestboxctl user add NAME [--role admin|readonly]",
	  "Adds an admin-page user (role admin by default).  The password is read from\n"
	  "the first line of standard input, or asked for on a terminal." },
	{ "user", "passwd", cmd_user_passwd, "nestboxctl user passwd NAME",
	  "Sets a user's password (read as for user add) and ends the user's sessions." },
	{ "user", "del", cmd_user_del, "nestboxctl user del NAME",
	  "Deletes a user, with its sessions and API tokens." },
	{ "user", "list", cmd_user_list, "nestboxctl user list", "Lists users and roles." },
	{ "user", "first-admin", cmd_user_first_admin, "nestboxctl user first-admin",
	  "Creates the user admin when there are no users, with $NESTBOX_ADMIN_PASSWORD\n"
	  "or a random password, and prints it; with $NESTBOX_ADMIN_PASSWORD set it also\n"
	  "resets admin's password to it.  `make run` calls this." },
	{ "mip", "publish", cmd_mip_publish,
	  "nestboxctl mip publish <dir|archive|file.py> --name N --version V [--description D]",
	  "Publishes a MicroPython package on the index at /mip: a directory or archive\n"
	  "(tar, tar.gz, zip: what libarchive reads) with a package.json whose urls name\n"
	  "the files ([destination, source]; deps are kept), or without one every .py file.\n"
	  "Files are compiled to .mpy when mip.mpy_cross is set (not boot.py or main.py).\n"
	  "A published version never changes (exit status 3 when it exists)." },
	{ "mip", "list", cmd_mip_list, "nestboxctl mip list", "Lists the hosted packages." },
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
