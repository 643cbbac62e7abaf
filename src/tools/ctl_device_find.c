/*
 * nestboxctl device list | bulk: finding devices as the devices page
 * finds them (its filters through admin_dev_filter_parse, the rows through
 * ddi_device_search: no SQL of its own), and acting on what was found with
 * the page's bulk actions (ddi_device_bulk), after a confirmation.
 */
#include "ctl.h"
#include "../admin/admin.h"
#include "../admin/admin_ddi.h"
#include "../ddi/ddi.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The page's search and filters, by the names of its query fields. */
enum { F_Q, F_STATE, F_FEED, F_MODEL, F_VERSION, F_SEEN, F_COUNT };
static const char *const find_keys[F_COUNT] = { "q", "state", "feed", "model", "version",
						"seen" };
static const char *const find_opt_names[F_COUNT] = { "--search", "--state", "--feed",
						     "--model", "--version", "--seen" };
/* what the page's route takes of each (admin.fcgi.c DEVICE_SEARCH) */
static const size_t find_max[F_COUNT] = { 255, 0, DDI_FEED_MAX, 255, 255, 0 };

/* the options device list and bulk share: val is the filter's index + 1 */
#define FIND_OPTIONS \
	{ "search", required_argument, NULL, 1 + F_Q }, \
	{ "state", required_argument, NULL, 1 + F_STATE }, \
	{ "feed", required_argument, NULL, 1 + F_FEED }, \
	{ "model", required_argument, NULL, 1 + F_MODEL }, \
	{ "version", required_argument, NULL, 1 + F_VERSION }, \
	{ "seen", required_argument, NULL, 1 + F_SEEN }

/* What a search asked for: the filters as given (NULL: any), the order and the page. */
struct find {
	const char *v[F_COUNT];
	int sort, desc, given;		/* given: some filter was */
	long long page, limit;		/* limit 0: every device */
};

/* Takes option c (a filter's val) into f; 0, or 2 after a usage error. */
static int find_opt(const char *cmd, struct find *f, int c, const char *arg)
{
	int i = c - 1;

	if (i == F_STATE && ctl_word(cmd, "--state", admin_dev_states, arg) < 0)
		return 2;
	if (i == F_SEEN && ctl_word(cmd, "--seen", admin_seen_words, arg) < 0)
		return 2;
	f->v[i] = arg;
	f->given = 1;
	return 0;
}

/* The filters' text as the page's fields take it: 1, or 0 after saying why not. */
static int find_text_ok(const struct find *f)
{
	for (int i = 0; i < F_COUNT; i++)
		if (find_max[i] && f->v[i] && !ctl_text_ok(find_opt_names[i], f->v[i], 0, find_max[i]))
			return 0;
	return 1;
}

/* f as the page's search s: its filters read by the page's parser (so a
 * filter means the same in both), one page of f->limit rows from row offset. */
static void find_search(const struct find *f, struct admin_dev_filter *af, long long offset,
			long long limit, struct ddi_search *s)
{
	struct query_pair pairs[F_COUNT];
	struct query q = { pairs, 0 };
	struct nb_err e;

	for (int i = F_STATE; i < F_COUNT; i++)
		if (f->v[i])
			pairs[q.n++] = (struct query_pair){ (char *)find_keys[i], (char *)f->v[i] };
	admin_dev_filter_parse(&q, (long long)time(NULL), af, &e);	/* checked by find_opt */
	*s = (struct ddi_search){ f->v[F_Q] && *f->v[F_Q] ? f->v[F_Q] : NULL, af->state,
		af->feed, af->model, af->version, af->seen_lo, af->seen_hi, 0,
		(enum ddi_sort)f->sort, f->desc, offset, limit };
}

/*
 * The rows f matches from row offset: at most f->limit, or all of them
 * when it is 0; *out in a, *total how many match in all.  The count, or
 * -1 with e.
 */
static int find_rows(struct app *app, struct arena *a, const struct find *f, long long offset,
		     struct ddi_device_row **out, long long *total, struct nb_err *e)
{
	struct admin_dev_filter af;
	struct ddi_search s;
	long long limit = f->limit;

	find_search(f, &af, offset, 0, &s);
	if (!limit && ddi_device_search(app, &s, NULL, 0, total, e) < 0)
		return -1;
	limit = limit ? limit : *total;
	*out = arena_alloc(a, sizeof(**out) * (size_t)(limit + 1));
	if (!*out)
		return nb_fail(e, NB_UNAVAILABLE, "out of memory");
	s.limit = limit;
	return ddi_device_search(app, &s, *out, (int)limit, total, e);
}

static const struct ctl_col device_cols[] = {
	{ "controller_id", "DEVICE", CTL_TEXT, 0, NULL, NULL },
	{ "state", "STATE", CTL_TEXT, 0, NULL, NULL },
	{ "version", "VERSION", CTL_TEXT, 0, NULL, NULL },
	{ "mode", "MODE", CTL_TEXT, 0, NULL, NULL },
	{ "board", "BOARD", CTL_TEXT, 0, NULL, NULL },
	{ "last_seen", "LAST SEEN", CTL_TIME, 0, "never", NULL },
	{ "feed", "FEED", CTL_TEXT, CTL_NOT_TSV, NULL, NULL },
	{ "name", "NAME", CTL_TEXT, CTL_NOT_TSV, NULL, NULL },
	{ "tags", "TAGS", CTL_TEXT, CTL_NOT_TSV, NULL, NULL },
	{ "tenant", "TENANT", CTL_TEXT, CTL_JSON_ONLY, NULL, NULL },
};

/* One device's row of device list, in device_cols' order. */
static void put_device(struct ctl_list *l, struct arena *a, const struct ddi_device_row *d)
{
	ctl_put_text(l, d->cid);
	ctl_put_text(l, d->state);
	ctl_put_text(l, d->sw_version);
	ctl_put_text(l, d->mode);
	ctl_put_text(l, arena_printf(a, "%s:%s", d->hw_model, d->hw_revision));
	ctl_put_int(l, d->last_seen);
	ctl_put_text(l, d->feed);
	ctl_put_text(l, d->name);
	ctl_put_text(l, d->tags);
	ctl_put_text(l, d->tenant);
}

#define LIST "device list"

/* device list's options into f (and --json); 0, or 2 after a usage error. */
static int list_args(int argc, char **argv, struct find *f, int *json)
{
	static const struct option opts[] = {
		FIND_OPTIONS, { "sort", required_argument, NULL, 'o' },
		{ "desc", no_argument, NULL, 'd' }, { "page", required_argument, NULL, 'p' },
		{ "limit", required_argument, NULL, 'l' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int c, bad = 0;

	optind = 1;
	while (!bad && (c = ctl_getopt(LIST, argc, argv, opts)) != -1) {
		if (c == 'o')
			bad = (f->sort = ctl_word(LIST, "--sort", ddi_sort_words, optarg)) < 0;
		else if (c == 'd')
			f->desc = 1;
		else if (c == 'p')
			bad = ctl_number(LIST, "--page", optarg, 1, 1000000000, &f->page) < 0;
		else if (c == 'l')
			bad = ctl_number(LIST, "--limit", optarg, 1, 100000, &f->limit) < 0;
		else if (c == 'j')
			*json = 1;
		else if (c > 0 && c <= F_COUNT)
			bad = find_opt(LIST, f, c, optarg) != 0;
		else
			return 2;
	}
	return bad || ctl_operands(LIST, argc, argv, 0, 0, "") < 0 ? 2 : 0;
}

/*
 * "showing 1–50 of 63": on a terminal under the table; piped or as JSON on
 * standard error (the lines and the array stay what scripts read), and
 * only when a page was asked for.
 */
static void say_shown(enum ctl_format fmt, const struct find *f, long long offset, int n,
		      long long total)
{
	FILE *out = fmt == CTL_TABLE ? stdout : stderr;

	if (fmt != CTL_TABLE && !f->page && !f->limit)
		return;
	if (n > 0)
		fprintf(out, "showing %lld\u2013%lld of %lld\n", offset + 1, offset + n, total);
	else if (total > 0)
		fprintf(out, "showing none of %lld: page %lld is past the last (%lld)\n", total,
			f->page, (total + f->limit - 1) / f->limit);
	else
		fprintf(out, "no device matches\n");
}

int ctl_cmd_device_list(int argc, char **argv)
{
	struct find f = { .sort = DDI_SORT_CID };
	struct ddi_device_row *rows;
	struct ctl_list l;
	struct nb_err e;
	struct app app;
	struct arena a;
	long long total = 0, offset;
	int json = 0, rc, n, i;

	if (list_args(argc, argv, &f, &json))
		return 2;
	if (!find_text_ok(&f))
		return 1;
	if (ctl_open(&app) < 0)
		return 1;
	if (f.page && !f.limit)
		f.limit = admin_page_size(&app);	/* the page's own size */
	offset = f.page ? (f.page - 1) * f.limit : 0;
	arena_init(&a);
	ctl_list_init(&l, device_cols, 10, ctl_format_pick(json), time(NULL), &a);
	n = find_rows(&app, &a, &f, offset, &rows, &total, &e);
	for (i = 0; i < n; i++)
		put_device(&l, &a, &rows[i]);
	rc = ctl_list_end(&l, n < 0 ? ctl_fail(LIST, &e) : 0, stdout);
	if (n >= 0)
		say_shown(l.fmt, &f, offset, n, total);
	arena_free(&a);
	app_close(&app);
	return rc;
}

/* -- device bulk -- */

#define BULK "device bulk"

/* What device bulk was asked: the action and its argument, the selection. */
struct bulk {
	enum ddi_bulk_op op;
	const char *arg;		/* feed FEED, mode MODE */
	long long sw;			/* assign SOFTWARE_ID */
	const char **ids;		/* --id, as given */
	int nids, yes;
	struct find f;
};

/* The operands: ACTION and, for assign, feed and mode, its argument; 0 or 2. */
static int bulk_operands(int argc, char **argv, struct bulk *b)
{
	static const char *const modes[] = { "rollout", "latest", "pinned", NULL };
	int op, want;

	if (ctl_operands(BULK, argc, argv, 1, 2, "an action") < 0 ||
	    (op = ctl_word(BULK, "the action", admin_bulk_ops, argv[optind])) < 0)
		return 2;
	b->op = (enum ddi_bulk_op)op;
	want = b->op == DDI_BULK_CANCEL || b->op == DDI_BULK_DELETE ? 1 : 2;
	if (argc - optind != want)
		return want == 1 ? ctl_usage_error(BULK, "unexpected argument '%s'", argv[optind + 1])
				 : ctl_usage_error(BULK, "%s needs %s", argv[optind],
						   b->op == DDI_BULK_ASSIGN ? "a software id" :
						   b->op == DDI_BULK_FEED ? "a feed" : "a mode");
	b->arg = want == 2 ? argv[optind + 1] : NULL;
	if (b->op == DDI_BULK_ASSIGN)
		return ctl_number(BULK, "the software id", b->arg, 1, 999999999999999999LL,
				  &b->sw) < 0 ? 2 : 0;
	if (b->op == DDI_BULK_MODE && !strcmp(b->arg, "assigned"))
		return ctl_usage_error(BULK, "mode assigned is set by: device bulk assign "
				       "SOFTWARE_ID");
	if (b->op == DDI_BULK_MODE && ctl_word(BULK, "the mode", modes, b->arg) < 0)
		return 2;
	return 0;
}

/* device bulk's options and operands into b; 0, or 2 after a usage error. */
static int bulk_args(int argc, char **argv, struct bulk *b, struct arena *a)
{
	static const struct option opts[] = {
		FIND_OPTIONS, { "id", required_argument, NULL, 'i' },
		{ "yes", no_argument, NULL, 'y' }, { NULL, 0, NULL, 0 }
	};
	int c, bad = 0;

	b->ids = arena_alloc(a, sizeof(*b->ids) * (size_t)argc);
	optind = 1;
	while (!bad && (c = ctl_getopt_rep(BULK, argc, argv, opts, "i")) != -1) {
		if (c == 'i')
			b->ids[b->nids++] = optarg;
		else if (c == 'y')
			b->yes = 1;
		else if (c > 0 && c <= F_COUNT)
			bad = find_opt(BULK, &b->f, c, optarg) != 0;
		else
			return 2;
	}
	if (bad || bulk_operands(argc, argv, b))
		return 2;
	if (b->nids && b->f.given)
		return ctl_usage_error(BULK, "--id or a search, not both");
	if (!b->nids && !b->f.given)
		return ctl_usage_error(BULK, "needs the devices: --id CID (again for each) or a "
				       "search (--search, --state, --feed, --model, --version, --seen)");
	return 0;
}

/* 1 when the action would change device d (an open action: waiting or running). */
static int would_change(const struct bulk *b, const struct ddi_device *d)
{
	switch (b->op) {
	case DDI_BULK_ASSIGN:
		return strcmp(d->mode, "assigned") || d->assigned != b->sw || d->held;
	case DDI_BULK_FEED: return strcmp(d->feed, b->arg) != 0;
	case DDI_BULK_MODE: return strcmp(d->mode, b->arg) || d->held;
	case DDI_BULK_CANCEL:
		return d->last.id && (!strcmp(d->last.status, "waiting") ||
				      !strcmp(d->last.status, "running"));
	case DDI_BULK_DELETE: return 1;
	}
	return 0;
}

/* Adds device d to *v (n of them) when it is not there yet. */
static void add_unique(struct ddi_device *v, int *n, const struct ddi_device *d)
{
	for (int i = 0; i < *n; i++)
		if (v[i].id == d->id)
			return;
	v[(*n)++] = *d;
}

/*
 * The selected devices into *out (in a): by --id (each must exist) or all
 * the search matches.  Their count, or -1 with e (an invalid or unknown id, the store).
 */
static int bulk_select(struct app *app, struct arena *a, struct bulk *b, struct ddi_device **out,
		       struct nb_err *e)
{
	struct ddi_device_row *rows;
	struct ddi_device d;
	long long total;
	int i, n = 0, nrows, rc;

	if (b->nids) {
		*out = arena_alloc(a, sizeof(**out) * (size_t)b->nids);
		for (i = 0; i < b->nids; i++) {
			if (ctl_find_device(app, b->ids[i], &d, e) < 0)
				return -1;
			add_unique(*out, &n, &d);
		}
		return n;
	}
	b->f.sort = DDI_SORT_CID;
	if ((nrows = find_rows(app, a, &b->f, 0, &rows, &total, e)) < 0)
		return -1;
	*out = arena_alloc(a, sizeof(**out) * (size_t)(nrows + 1));
	for (i = 0; i < nrows; i++) {
		if ((rc = ddi_device_get(app, rows[i].tenant, rows[i].cid, &d, e)) < 0)
			return -1;
		if (rc)
			(*out)[n++] = d;	/* one deleted meanwhile is left out */
	}
	return n;
}

/* The feed or mode the action sets, or NULL (as the page's bulk form has it). */
static const char *bulk_target(const struct bulk *b)
{
	return b->op == DDI_BULK_FEED || b->op == DDI_BULK_MODE ? b->arg : NULL;
}

/* "set the feed of 3 devices to beta": what the action does (done 0) or did (1) to n. */
static const char *bulk_said(struct arena *a, const struct bulk *b, long n, int done)
{
	static const char *const verbs[2][5] = {
		{ "assign software %lld to", "set the feed of", "set the mode of",
		  "cancel the open actions of", "delete" },
		{ "assigned software %lld to", "set the feed of", "set the mode of",
		  "canceled the open actions of", "deleted" },
	};
	const char *to = bulk_target(b);

	return arena_printf(a, "%s %ld device%s%s%s", b->op == DDI_BULK_ASSIGN ?
			    arena_printf(a, verbs[done][b->op], b->sw) : verbs[done][b->op],
			    n, n == 1 ? "" : "s", to ? " to " : "", to ? to : "");
}

/* The devices of v (n), one a line, under what is (done 0) or was done to them. */
static void bulk_list(struct arena *a, const struct bulk *b, const struct ddi_device *v, int n,
		      int done)
{
	printf("%s%s:\n", done ? "" : "would ", ctl_printable(a, bulk_said(a, b, n, done)));
	for (int i = 0; i < n; i++)
		printf("  %s\n", ctl_printable(a, v[i].cid));
}

/* Devices named in a bulk action's audit row, as the page names them. */
#define BULK_NAMED 5

/* "dev-1, dev-2, …": the controller ids of the first BULK_NAMED of v (n). */
static const char *bulk_names(struct arena *a, const struct ddi_device *v, int n)
{
	const char *s = "";
	int i;

	for (i = 0; i < n && i < BULK_NAMED; i++)
		s = arena_printf(a, "%s%s%s", s, i ? ", " : "", v[i].cid);
	return i < n ? arena_printf(a, "%s, …", s) : s;
}

/*
 * Applies b to the n devices of v that it changes (ids in ids), in one
 * transaction, says what it changed and writes the audit row the page's
 * bulk form writes.  The exit status.
 */
static int bulk_apply(struct app *app, struct arena *a, const struct bulk *b,
		      const struct ddi_device *v, const long long *ids, int n)
{
	struct nb_err e;
	long changed = ddi_device_bulk(app, b->op, ids, n, b->arg, b->sw, &e);

	if (changed < 0)
		return ctl_fail("nothing changed", &e);
	bulk_list(a, b, v, n, 1);
	ctl_audit(app, arena_printf(a, "devices %s", admin_bulk_ops[b->op]), "%s",
		  admin_bulk_said(app, a, b->op, b->sw, bulk_target(b), changed,
				  bulk_names(a, v, n)));
	return 0;
}

/* The devices of v (n) the action changes, kept in v; their ids into ids.  Their count. */
static int bulk_changing(const struct bulk *b, struct ddi_device *v, int n, long long *ids)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		if (would_change(b, &v[i])) {
			v[k] = v[i];
			ids[k++] = v[i].id;
		}
	return k;
}

int ctl_cmd_device_bulk(int argc, char **argv)
{
	struct bulk b = { 0 };
	struct ddi_device *v;
	struct nb_err e;
	struct app app;
	struct arena a;
	long long *ids;
	int rc = 1, n, selected;

	arena_init(&a);
	if ((rc = bulk_args(argc, argv, &b, &a)) == 0 &&
	    (!find_text_ok(&b.f) || (b.op == DDI_BULK_FEED &&
				     !ctl_text_ok("--feed", b.arg, 1, DDI_FEED_MAX)) ||
	     ctl_open(&app) < 0))
		rc = 1;
	if (rc) {
		arena_free(&a);
		return rc;
	}
	if ((selected = bulk_select(&app, &a, &b, &v, &e)) < 0) {
		rc = ctl_fail(NULL, &e);
	} else {
		ids = arena_alloc(&a, sizeof(*ids) * (size_t)(selected + 1));
		n = bulk_changing(&b, v, selected, ids);
		rc = 0;
		if (n == 0)
			printf("unchanged: none of the %d selected devices would change\n", selected);
		else if (b.yes)
			rc = bulk_apply(&app, &a, &b, v, ids, n);
		else {
			bulk_list(&a, &b, v, n, 0);
			rc = ctl_usage_error(BULK, "would change %d device%s; add --yes", n,
					     n == 1 ? "" : "s");
		}
	}
	arena_free(&a);
	app_close(&app);
	return rc;
}
