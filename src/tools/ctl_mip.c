/* nestboxctl mip publish | list */
#include "ctl.h"
#include "../mip/mip.h"

#include <getopt.h>
#include <stdio.h>

int cmd_mip_publish(int argc, char **argv)
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
	struct nb_err e = { 0 };
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
	if (ctl_open(&app) < 0)
		return 1;
	mip_open(&app, &m);
	rc = mip_publish(&app, &m, argv[optind], name, version, desc, &e);
	if (rc < 0)
		fprintf(stderr, "nestboxctl: publish failed: %s\n", e.msg);
	else
		printf("published %s %s\n", name, version);
	app_close(&app);
	return rc < 0 ? nb_err_exit(e.kind) : 0;
}

int cmd_mip_list(int argc, char **argv)
{
	struct app app;
	struct arena a;
	struct mip_hosted_row *h;
	int n;

	(void)argc;
	(void)argv;
	if (ctl_open(&app) < 0)
		return 1;
	arena_init(&a);
	n = mip_hosted_list(&app, &a, MIP_HOSTED_OLDEST, -1, 0, &h);
	for (int i = 0; i < n; i++)
		printf("%s\t%s\t%d files\t%lld bytes\n", h[i].name, h[i].version, h[i].files,
		       h[i].size);
	arena_free(&a);
	app_close(&app);
	return n < 0;
}
