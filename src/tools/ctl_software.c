/* nestboxctl software add | list | del: the DDI software repository */
#include "ctl.h"
#include "../ddi/ddi.h"

#include <stdio.h>
#include <time.h>

/* "3: name 1.0 (1.2 MiB)" into out for messages, printable (ctl_sanitize);
 * "3" when it cannot be read.  Returns out. */
static const char *described(struct app *app, long long id, char *out, size_t n)
{
	struct ddi_software s;
	char size[32];

	if (ddi_software_get(app, id, &s, NULL) < 0) {
		snprintf(out, n, "%lld", id);
		return out;
	}
	snprintf(out, n, "%lld: %s %s (%s%s)", id, s.name, s.version,
		 ctl_size(size, sizeof(size), s.size), s.url[0] ? ", external URL" : "");
	return ctl_sanitize(out);	/* name and version come from the uploaded image */
}

int ctl_cmd_software_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "url", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *url = NULL;
	struct ddi_software sw;	/* only for its field sizes */
	struct ddi_sw_settings set;
	char said[512];
	struct app app;
	struct nb_err e;
	long long id;
	int c;

	optind = 1;
	while ((c = ctl_getopt("software add", argc, argv, opts)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'u')
			url = optarg;
		else
			return 2;
	}
	if (ctl_operands("software add", argc, argv, url ? 0 : 1, url ? 0 : 1,
			 "a file or --url") < 0)
		return 2;
	/* what a software row holds (struct ddi_software): refused, never cut */
	if ((name && !ctl_text_ok("--name", name, 0, sizeof(sw.name) - 1)) ||
	    (url && !ctl_text_ok("--url", url, 1, sizeof(sw.url) - 1)))
		return 1;
	if (ctl_open(&app) < 0)
		return 1;
	nb_err_clear(&e);
	ddi_sw_settings_read(&app, &set);
	if (url)
		id = ddi_software_add_url(&app, &set, url, name, &e);
	else
		id = ddi_software_add_file(&app, &set, argv[optind], name, &e);
	if (id >= 0) {
		printf("%lld\n", id);	/* what scripts read: the id alone */
		ctl_note("added software %s", described(&app, id, said, sizeof(said)));
		ctl_audit(&app, "software add", "software %s", said);
	}
	app_close(&app);
	return id < 0 ? ctl_fail("software not added", &e) : 0;
}

static const struct ctl_col software_cols[] = {
	{ "id", "ID", CTL_INT, 0, NULL, NULL },
	{ "name", "NAME", CTL_TEXT, 0, NULL, NULL },
	{ "version", "VERSION", CTL_TEXT, 0, NULL, NULL },
	{ "kind", "KIND", CTL_TEXT, 0, NULL, NULL },
	{ "size", "SIZE", CTL_BYTES, 0, NULL, NULL },
	{ "sha256", "SHA256", CTL_HASH, 0, NULL, NULL },
	{ "url", "URL", CTL_TEXT, 0, NULL, NULL },
	{ "compat", "COMPATIBLE", CTL_TEXT, 0, NULL, NULL },
};

/* The compatibility column: "board:revision", the board or the revision
 * alone when the other is any, space-separated; "" for every board. */
static const char *compat_text(struct arena *a, const struct ddi_software_entry *r)
{
	struct buf b;
	int i;

	buf_init(&b, a);
	for (i = 0; i < r->ncompat; i++) {
		const struct swu_compat *c = &r->compat[i];
		buf_printf(&b, "%s%s%s%s", i ? " " : "", c->board,
			   *c->board && *c->revision ? ":" : "", c->revision);
	}
	return buf_cstr(&b);
}

/* One software's row of software list, in software_cols' order. */
static void put_software(struct ctl_list *l, struct arena *a, const struct ddi_software_entry *r)
{
	ctl_put_int(l, r->s.id);
	ctl_put_text(l, r->s.name);
	ctl_put_text(l, r->s.version);
	ctl_put_text(l, r->kind);
	ctl_put_int(l, r->s.size);
	ctl_put_text(l, r->s.sha256);
	ctl_put_text(l, r->s.url);
	ctl_put_text(l, compat_text(a, r));
}

/* software list's rows (ctl_rows_fn) */
static int software_rows(struct app *app, struct arena *a, struct ctl_list *l, struct nb_err *e)
{
	struct ddi_software_entry *rows;
	int n = ddi_software_catalogue(app, a, &rows, e);

	for (int i = 0; i < n; i++)
		put_software(l, a, &rows[i]);
	return n;
}

int ctl_cmd_software_list(int argc, char **argv)
{
	return ctl_list_run("software list", argc, argv, software_cols, 8, software_rows);
}

int ctl_cmd_software_del(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	struct app app;
	struct nb_err e;
	char said[512];
	long long id;
	int rc;

	optind = 1;
	if (ctl_getopt("software del", argc, argv, none) != -1 ||
	    ctl_operands("software del", argc, argv, 1, 1, "the software id") < 0 ||
	    ctl_number("software del", "the software id", argv[optind], 1, 999999999999999999LL,
		       &id) < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	described(&app, id, said, sizeof(said));	/* before it is gone */
	nb_err_clear(&e);
	rc = ddi_software_delete(&app, id, &e);
	if (rc == 0) {
		printf("deleted software %s\n", said);
		ctl_audit(&app, "software del", "software %s", said);
	}
	app_close(&app);
	snprintf(said, sizeof(said), "software %lld", id);
	return rc < 0 ? ctl_fail(said, &e) : 0;
}
