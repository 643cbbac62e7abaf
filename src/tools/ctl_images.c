/* nestboxctl image import, image list, gc */
#include "ctl.h"
#include "../ddi/ddi.h"
#include "../lib/fs.h"
#include "../mip/mip.h"
#include "../ota/ota.h"
#include "../pypi/pypi.h"
#include "../mkbox/mkbox.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IMPORT "image import"

/* image import's options into o, level and threads (-1: the settings');
 * 0, or 2 after a usage error was printed. */
static int import_args(int argc, char **argv, struct mkbox_import *o, long long *level,
		       long long *threads)
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
	int c, bad = 0;

	optind = 1;
	while (!bad && (c = ctl_getopt(IMPORT, argc, argv, opts)) != -1) {
		switch (c) {
		case 'b': o->box = optarg; break;
		case 'B': o->board = optarg; break;
		case 'r': o->branch = optarg; break;
		case 'v': o->version = optarg; break;
		/* zstd's levels; threads 0 is one per processor */
		case 'l': bad = ctl_number(IMPORT, "--level", optarg, 1, 22, level) < 0; break;
		case 't': bad = ctl_number(IMPORT, "--threads", optarg, 0, 256, threads) < 0; break;
		default: return 2;
		}
	}
	if (bad || ctl_operands(IMPORT, argc, argv, 1, 1, "the image file") < 0)
		return 2;
	if (!o->box || !o->board)
		return ctl_usage_error(IMPORT, "needs %s", !o->box ? "--box" : "--board");
	return 0;
}

int ctl_cmd_image_import(int argc, char **argv)
{
	struct mkbox_import o = { 0 };
	struct app app;
	struct mkbox_settings ms;
	char image[512];
	struct nb_err e;
	long long level = -1, threads = -1;
	int rc;

	if (import_args(argc, argv, &o, &level, &threads))
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	mkbox_settings_read(&app, &ms);
	o.file = argv[optind];
	o.image_path = ms.image_path;
	o.level = level >= 0 ? (int)level : ms.zstd_level;
	o.threads = threads >= 0 ? (int)threads : ms.zstd_threads;
	if (o.threads == 0)
		o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	o.progress = isatty(2);
	rc = mkbox_image_import(&o, image, sizeof(image), &e);
	if (rc) {
		fprintf(stderr, "nestboxctl: import failed: %s\n", e.msg);
	} else {
		mkbox_tar_precompute(&app, ms.image_path, o.box, image);
		/* stdout is what pipelines read: box/image alone */
		printf("%s/%s\n", o.box, image);
		ctl_audit(&app, "image import", "%s/%s", o.box, image);
		ctl_note("imported %s/%s into %s/%s/ (.img.zst, .img.sha256, .img.buildID)", o.box,
			 image, ms.image_path, o.box);
	}
	app_close(&app);
	/* every failed import exits 1, as the pipelines calling it expect
	 * (test_mkbox checks it), not nb_err_exit's 3 for a conflict */
	return rc ? 1 : 0;
}

static const struct ctl_col image_cols[] = {
	{ "image", "IMAGE", CTL_TEXT, 0, NULL, NULL },
	{ "build_id", "BUILD ID", CTL_HASH, CTL_TSV_FULL, "(no buildID)", NULL },
	{ "size", "SIZE", CTL_BYTES, 0, NULL, NULL },
	{ "built", "BUILT", CTL_TIME, 0, "-", NULL },
	{ "sha256", "SHA256", CTL_HASH, CTL_JSON_ONLY, NULL, NULL },
};

int ctl_cmd_image_list(int argc, char **argv)
{
	struct ctl_list l;
	struct app app;
	struct arena a;
	struct mkbox_entry *v;
	struct mkbox_settings ms;
	size_t n, i;
	int json, rc;

	if (ctl_list_opts("image list", argc, argv, 1, "", &json) < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	arena_init(&a);
	mkbox_settings_read(&app, &ms);
	if (mkbox_catalog(&a, ms.image_path, optind < argc ? argv[optind] : NULL, &v, &n) < 0) {
		perror(ms.image_path);
		arena_free(&a);
		app_close(&app);
		return 1;
	}
	ctl_list_init(&l, image_cols, 5, ctl_format_pick(json), time(NULL), &a);
	for (i = 0; i < n; i++) {
		ctl_put_text(&l, arena_printf(&a, "%s/%s", v[i].box, v[i].image));
		ctl_put_text(&l, v[i].build_id);
		ctl_put_int(&l, v[i].size);
		/* a build without buildID is never served: no build time */
		ctl_put_int(&l, v[i].build_id ? v[i].mtime : 0);
		ctl_put_text(&l, v[i].sha256[0] ? v[i].sha256 : NULL);
	}
	rc = ctl_list_print(&l, stdout);
	arena_free(&a);
	app_close(&app);
	return rc < 0;
}

int ctl_cmd_image_sync(int argc, char **argv)
{
	struct app app;
	struct mkbox_settings ms;
	int n;

	if (ctl_operands("image sync", argc, argv, 0, 0, "") < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	mkbox_settings_read(&app, &ms);
	n = mkbox_tar_sync(&app, ms.image_path);
	if (n < 0)
		fprintf(stderr, "nestboxctl: image sync: cannot read %s or write %s/mkbox-static\n",
			ms.image_path, app.set.var_dir);
	else
		ctl_note("%d builds answered by the front end from %s/mkbox-static", n,
			 app.set.var_dir);
	app_close(&app);
	return n < 0;
}

struct gc_ctx {
	struct app *app;
	long grace;
	time_t now;
	int removed, unsure;
	unsigned long long freed;
	struct nb_err e;	/* the first question a store could not answer */
};

/* 1 when a domain's row names the blob, 0 when none does, -1 with e when
 * a store cannot say.  DDI answers only yes or keep (1 in doubt). */
static int gc_used(struct app *app, const char *hex, struct nb_err *e)
{
	int (*const asks[])(struct app *, const char *, struct nb_err *) = {
		mkbox_tar_refs, mip_file_known, ota_blob_known, pypi_blob_used
	};
	size_t i;
	int rc;

	if ((rc = ddi_software_blob_known(app, hex, e)) != 0)
		return rc;
	for (i = 0; i < sizeof(asks) / sizeof(asks[0]); i++)
		if ((rc = asks[i](app, hex, e)) != 0)
			return rc;
	return 0;
}

/* A blob no row names, older than the grace time, is removed; one a store
 * could not answer for is kept and counted (the command then fails). */
static int gc_blob(void *p, const char *hex, uint64_t size, long mtime)
{
	struct gc_ctx *g = p;
	struct nb_err e;
	int rc;

	if (g->now - mtime < g->grace)
		return 0;
	if ((rc = gc_used(g->app, hex, &e)) < 0 && g->unsure++ == 0)
		g->e = e;
	if (rc != 0)
		return 0;
	if (blob_remove(&g->app->blobs, hex) == 0) {
		g->removed++;
		g->freed += size;
	}
	return 0;
}

int ctl_cmd_gc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "grace", required_argument, NULL, 'g' }, { NULL, 0, NULL, 0 }
	};
	struct app app;
	struct gc_ctx g = { .grace = 3600, .now = time(NULL) };
	struct mkbox_settings ms;
	long long grace = 3600;
	int c, rows, tmps, stat;

	optind = 1;
	while ((c = ctl_getopt("gc", argc, argv, opts)) != -1)
		if (c != 'g' || ctl_number("gc", "--grace", optarg, 0, 100LL * 365 * 86400, &grace) < 0)
			return 2;
	if (ctl_operands("gc", argc, argv, 0, 0, "") < 0)
		return 2;
	g.grace = (long)grace;
	if (ctl_open(&app) < 0)
		return 1;
	g.app = &app;
	mkbox_settings_read(&app, &ms);
	if ((rows = mkbox_tar_prune(&app, ms.image_path, &g.e)) < 0)
		ctl_fail("gc: stale cache rows", &g.e);
	stat = mkbox_static_prune(app.set.var_dir, ms.image_path);
	if (blob_foreach(&app.blobs, gc_blob, &g) < 0) {
		/* no listing, no sweep: say so rather than report nothing to do */
		fprintf(stderr, "nestboxctl gc: cannot list the blob store\n");
		app_close(&app);
		return 1;
	}
	tmps = blob_clean_tmp(&app.blobs, g.grace);
	tmps += mkbox_clean_tmp(ms.image_path, g.grace);
	/* admin uploads a killed program left behind */
	tmps += fs_clean_tmp(app.set.var_dir, "tmp", "upload.tmp.", g.grace);
	printf("gc: %d stale cache rows, %d blobs (%llu bytes), %d temp files, "
	       "%d stale static answers removed\n", rows < 0 ? 0 : rows, g.removed, g.freed, tmps,
	       stat < 0 ? 0 : stat);
	if (g.unsure) {
		nb_err_prefix(&g.e, "gc: %d blobs kept, their use unknown", g.unsure);
		ctl_fail(NULL, &g.e);
	}
	app_close(&app);
	return rows < 0 || g.unsure ? 1 : 0;
}
