/* nestboxctl image import, image list, gc */
#include "ctl.h"
#include "../lib/fsutil.h"
#include "../mip/mip.h"
#include "../ota/ota.h"
#include "../pypi/pypi.h"
#include "../mkbox/mkbox.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cmd_image_import(int argc, char **argv)
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
	char images[PATH_MAX], image[512];
	struct nb_err e;
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
	if (ctl_open(&app) < 0)
		return 1;
	o.file = argv[optind];
	o.image_path = mkbox_image_path(&app, images, sizeof(images));
	o.level = level >= 0 ? level : (int)conf_int(app.conf, "mkbox.zstd_level");
	o.threads = threads >= 0 ? threads : (int)conf_int(app.conf, "mkbox.zstd_threads");
	if (o.threads == 0)
		o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	o.progress = isatty(2);
	rc = mkbox_image_import(&o, image, sizeof(image), &e);
	if (rc) {
		fprintf(stderr, "nestboxctl: import failed: %s\n", e.msg);
	} else {
		mkbox_tar_precompute(&app, images, o.box, image);
		printf("%s/%s\n", o.box, image);
	}
	app_close(&app);
	/* every failed import exits 1, as the pipelines calling it expect
	 * (test_mkbox checks it), not nb_err_exit's 3 for a conflict */
	return rc ? 1 : 0;
}

int cmd_image_list(int argc, char **argv)
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
	if (ctl_open(&app) < 0)
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

/* gc: 1 while a blob is an image of the software repository. */
static int software_known(struct app *app, const char *hex)
{
	sqlite3_stmt *st = db_stmt(app->db, "SELECT 1 FROM ddi_software WHERE sha256=?");
	int rc;

	if (!st)
		return 1;	/* when unsure, keep */
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc != SQLITE_DONE;
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

	if (g->now - mtime < g->grace || mkbox_tar_refs(g->app, hex) || mip_file_known(g->app, hex) ||
	    software_known(g->app, hex) || ota_blob_known(g->app, hex) ||
	    pypi_blob_used(g->app, hex))
		return 0;
	if (blob_remove(&g->app->blobs, hex) == 0) {
		g->removed++;
		g->freed += size;
	}
	return 0;
}

int cmd_gc(int argc, char **argv)
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
	if (ctl_open(&app) < 0)
		return 1;
	g.app = &app;
	rows = mkbox_tar_prune(&app);
	blob_foreach(&app.blobs, gc_blob, &g);
	tmps = blob_clean_tmp(&app.blobs, g.grace);
	tmps += mkbox_clean_tmp(mkbox_image_path(&app, images, sizeof(images)), g.grace);
	/* admin uploads a killed program left behind */
	tmps += fs_clean_tmp(app.var_dir, "tmp", "upload.tmp.", g.grace);
	printf("gc: %d stale cache rows, %d blobs (%llu bytes), %d temp files removed\n",
	       rows < 0 ? 0 : rows, g.removed, g.freed, tmps);
	app_close(&app);
	return rows < 0 ? 1 : 0;
}
