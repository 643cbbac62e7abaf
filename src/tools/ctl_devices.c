/* nestboxctl device add | show | set | cancel | del: the DDI device registry
 * (device list and bulk: ctl_device_find.c) */
#include "ctl.h"
#include "../ddi/ddi.h"
#include "../ddi/ddi_fleet.h"
#include "../lib/auth.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <time.h>

/* hawkBit's controller-id rule (ddi_controller_id_ok): 0, or -1 with e NB_INVALID. */
static int cid_check(const char *cid, struct nb_err *e)
{
	if (ddi_controller_id_ok(cid))
		return 0;
	return nb_fail(e, NB_INVALID, "a controller id is 1 to %d bytes of UTF-8 without "
		       "whitespace, control characters or '/' (hawkBit's rule)", DDI_CID_MAX);
}

/* The update modes ddi_device_set_mode() takes; 1 when mode is one. */
static int mode_ok(const char *mode)
{
	return !strcmp(mode, "rollout") || !strcmp(mode, "latest") || !strcmp(mode, "assigned") ||
	       !strcmp(mode, "pinned");
}

/* --mode and --assign as given to device add or set: 0, or 2 after a
 * usage error (a mode that is none of the four, assigned without software). */
static int mode_args_ok(const char *cmd, const char *mode, long long assign)
{
	if (mode && !mode_ok(mode))
		return ctl_usage_error(cmd, "--mode is rollout, latest, assigned or pinned, not '%s'",
				       mode);
	if (mode && !strcmp(mode, "assigned") && assign <= 0)
		return ctl_usage_error(cmd, "--mode assigned needs --assign SOFTWARE_ID");
	return 0;
}

/* device add's options; 0, or the exit status after saying why not. */
static int add_args(int argc, char **argv, const char **token, const char **feed,
		    const char **mode, long long *assign, const char **tenant)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' }, { "feed", required_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' }, { "assign", required_argument, NULL, 'a' },
		{ "tenant", required_argument, NULL, 'T' }, { NULL, 0, NULL, 0 }
	};
	int c, bad = 0;

	optind = 1;
	while (!bad && (c = ctl_getopt("device add", argc, argv, opts)) != -1) {
		switch (c) {
		case 't': *token = optarg; break;
		case 'f': *feed = optarg; break;
		case 'm': *mode = optarg; break;
		case 'a':
			bad = ctl_number("device add", "--assign", optarg, 1, LLONG_MAX, assign) < 0;
			break;
		case 'T': *tenant = optarg; break;
		default: return 2;
		}
	}
	if (bad || ctl_operands("device add", argc, argv, 1, 1, "the controller id") < 0)
		return 2;
	return mode_args_ok("device add", *mode, *assign);
}

int ctl_cmd_device_add(int argc, char **argv)
{
	const char *token = NULL, *feed = NULL, *mode = "rollout", *tenant = "DEFAULT", *cid;
	long long assign = 0;
	char th[HASH_HEX_MAX] = "";
	struct ddi_device d;
	struct app app;
	struct nb_err e;
	int rc;

	if ((rc = add_args(argc, argv, &token, &feed, &mode, &assign, &tenant)))
		return rc;
	cid = argv[optind];
	if (cid_check(cid, &e) < 0)
		return ctl_fail(NULL, &e);
	if (!ctl_field_ok("--tenant", tenant, 1, sizeof(d.tenant) - 1) ||
	    (feed && !ctl_text_ok("--feed", feed, 1, sizeof(d.feed) - 1)))
		return 1;
	if (ctl_open(&app) < 0)
		return 1;
	if (token)
		auth_token_hash(token, th);
	rc = ddi_device_add(&app, tenant, cid, th, feed, mode, assign, &e);
	if (rc < 0) {
		fprintf(stderr, "nestboxctl: %s; nothing stored\n", e.msg);
	} else {
		printf("added %s\n", cid);	/* what scripts read, as before */
		if (ddi_device_get(&app, tenant, cid, &d, NULL) == 1)
			ctl_note("added device %s/%s (feed %s, mode %s)", d.tenant, d.cid,
				 ctl_sanitize(d.feed), d.mode);
		ctl_audit(&app, "device add", "%s/%s (mode %s)", tenant, cid, mode);
	}
	app_close(&app);
	return rc < 0 ? nb_err_exit(e.kind) : 0;
}

int ctl_find_device(struct app *app, const char *cid, struct ddi_device *d, struct nb_err *e)
{
	char tenant[DDI_FEED_MAX + 1];
	int rc;

	if (cid_check(cid, e) < 0 || ddi_device_first_tenant(app, cid, tenant, sizeof(tenant), e) < 0)
		return -1;
	/* deleted since the tenant was read: as if never found */
	if ((rc = ddi_device_get(app, tenant, cid, d, e)) == 0)
		return nb_fail(e, NB_NOT_FOUND, "no device %s", cid);
	return rc < 0 ? -1 : 0;
}

/* A command whose one operand is a controller id and which takes no
 * options: 0, or 2 after a usage error was printed. */
static int cid_operand(const char *cmd, int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };

	optind = 1;
	if (ctl_getopt(cmd, argc, argv, none) != -1 ||
	    ctl_operands(cmd, argc, argv, 1, 1, "the controller id") < 0)
		return 2;
	return 0;
}

/* device cancel and del: what each does to one device and how it says so. */
struct device_act {
	const char *cmd;
	int (*fn)(struct app *app, long long id, struct nb_err *e);	/* 0, or -1 with e */
	const char *done, *done_tail;	/* "<done> <tenant>/<cid><done_tail>" */
};

/* Runs act on the device argv names, says what it did and audits it; the exit status. */
static int device_act(const struct device_act *act, int argc, char **argv)
{
	struct ddi_device d;
	struct nb_err e;
	struct app app;
	char ctx[DDI_CID_MAX + 16];
	int rc;

	if (cid_operand(act->cmd, argc, argv))
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	if (ctl_find_device(&app, argv[optind], &d, &e) < 0) {
		rc = ctl_fail(NULL, &e);
	} else if (act->fn(&app, d.id, &e) < 0) {
		snprintf(ctx, sizeof(ctx), "device %s", d.cid);
		rc = ctl_fail(ctx, &e);
	} else {
		rc = 0;
		printf("%s %s/%s%s\n", act->done, ctl_sanitize(d.tenant), d.cid, act->done_tail);
		ctl_audit(&app, act->cmd, "%s/%s", d.tenant, d.cid);
	}
	app_close(&app);
	return rc;
}

int ctl_cmd_device_cancel(int argc, char **argv)
{
	static const struct device_act cancel = {
		"device cancel", ddi_action_cancel, "canceled the open action of", ""
	};
	return device_act(&cancel, argc, argv);
}

int ctl_cmd_device_del(int argc, char **argv)
{
	static const struct device_act del = {
		"device del", ddi_device_delete, "deleted device", " with its actions"
	};
	return device_act(&del, argc, argv);
}

/* What device set was asked to change (NULL, 0: unchanged). */
struct device_change {
	const char *mode, *feed, *name, *tags;
	long long assign;
	int force;
};

/* device set's options into c; 0, or the exit status after saying why not. */
static int set_args(int argc, char **argv, struct device_change *c)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' }, { "assign", required_argument, NULL, 'a' },
		{ "feed", required_argument, NULL, 'f' }, { "name", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'F' }, { "tags", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 }
	};
	int o, bad = 0;

	optind = 1;
	while (!bad && (o = ctl_getopt("device set", argc, argv, opts)) != -1) {
		switch (o) {
		case 'm': c->mode = optarg; break;
		case 'a':
			bad = ctl_number("device set", "--assign", optarg, 1, LLONG_MAX,
					 &c->assign) < 0;
			break;
		case 'f': c->feed = optarg; break;
		case 'n': c->name = optarg; break;
		case 'F': c->force = 1; break;
		case 'g': c->tags = optarg; break;
		default: return 2;
		}
	}
	/* --assign alone means assigned mode */
	if (c->assign && !c->mode)
		c->mode = "assigned";
	if (bad || ctl_operands("device set", argc, argv, 1, 1, "the controller id") < 0)
		return 2;
	if (mode_args_ok("device set", c->mode, c->assign))
		return 2;	/* said once (issue 14: it was said twice) */
	if (!c->mode && !c->feed && !c->name && !c->tags && !c->force)
		return ctl_usage_error("device set", "needs something to change");
	return 0;
}

/* Applies c to device d, in the order given; the changes made are said
 * in said ("mode latest, feed beta"); 0, or -1 with e (what failed). */
static int set_apply(struct app *app, const struct ddi_device *d, const struct device_change *c,
		     struct arena *a, char **said, struct nb_err *e)
{
	const char *sep = "";

	*said = "";
	if (c->mode) {
		if (ddi_device_set_mode(app, d->id, c->mode, c->assign, e) < 0)
			return -1;
		*said = c->assign ? arena_printf(a, "mode %s (software %lld)", c->mode, c->assign)
				  : arena_printf(a, "mode %s", c->mode);
		sep = ", ";
	}
	const char *field[] = { "feed", "name", "tags" }, *val[] = { c->feed, c->name, c->tags };
	for (int i = 0; i < 3; i++) {
		if (!val[i])
			continue;
		if (ddi_device_set_field(app, d->id, field[i], val[i], e) < 0)
			return -1;
		*said = arena_printf(a, "%s%s%s %s", *said, sep, field[i], val[i]);
		sep = ", ";
	}
	if (c->force && ddi_device_set_field(app, d->id, "force", "1", e) < 0)
		return -1;
	if (c->force)
		*said = arena_printf(a, "%s%soffered again", *said, sep);
	return 0;
}

/*
 * Leaves out of c what device d has already (the store's UPDATE matches
 * the row whatever its value, so the store cannot tell): a mode or
 * --force changes something only when it differs or ends a held cancel.
 * 0 (and *left how many changes remain), or -1 with e.
 */
static int drop_unchanged(struct app *app, struct arena *a, const struct ddi_device *d,
			  struct device_change *c, int *left, struct nb_err *e)
{
	struct ddi_fleet_device f;
	char tags[256];
	int rc = ddi_fleet_device(app, a, d->id, NULL, NULL, &f, e);

	if (rc == 0)
		return nb_fail(e, NB_NOT_FOUND, "no device %s", d->cid);	/* deleted meanwhile */
	if (rc < 0 || ddi_device_tags(app, d->id, tags, sizeof(tags), e) < 0)
		return -1;
	if (c->mode && !strcmp(c->mode, d->mode) && !d->held &&
	    (strcmp(c->mode, "assigned") || c->assign == d->assigned))
		c->mode = NULL;
	if (c->feed && !strcmp(c->feed, d->feed))
		c->feed = NULL;
	if (c->name && !strcmp(c->name, f.name))
		c->name = NULL;
	if (c->tags && !strcmp(c->tags, tags))
		c->tags = NULL;
	if (c->force && f.force && !d->held)
		c->force = 0;
	*left = !!c->mode + !!c->feed + !!c->name + !!c->tags + !!c->force;
	return 0;
}

int ctl_cmd_device_set(int argc, char **argv)
{
	struct device_change c = { 0 };
	struct ddi_device d;
	struct nb_err e;
	struct app app;
	struct arena a;
	char *said, ctx[DDI_CID_MAX + 16];
	int rc, left = 0;

	if ((rc = set_args(argc, argv, &c)))
		return rc;
	/* the sizes ddi_device_set_field() stores; checked here to say which */
	if ((c.feed && !ctl_text_ok("--feed", c.feed, 1, sizeof(d.feed) - 1)) ||
	    (c.name && !ctl_text_ok("--name", c.name, 0, 63)) ||
	    (c.tags && !ctl_text_ok("--tags", c.tags, 0, 255)))
		return 1;
	if (ctl_open(&app) < 0)
		return 1;
	if (ctl_find_device(&app, argv[optind], &d, &e) < 0) {
		app_close(&app);
		return ctl_fail(NULL, &e);
	}
	arena_init(&a);
	snprintf(ctx, sizeof(ctx), "device %s", d.cid);
	if (drop_unchanged(&app, &a, &d, &c, &left, &e) < 0) {
		rc = ctl_fail(ctx, &e);
		said = "";
	} else if (!left) {
		printf("unchanged device %s: it has that already\n", ctl_printable(&a, d.cid));
		said = "";
	} else if (set_apply(&app, &d, &c, &a, &said, &e) < 0) {
		rc = ctl_fail(ctx, &e);
	}
	if (*said) {
		/* what was applied before a failure is said too: it stays */
		printf("changed device %s: %s\n", ctl_printable(&a, d.cid), ctl_printable(&a, said));
		ctl_audit(&app, "device set", "%s/%s: %s", d.tenant, d.cid, said);
	}
	arena_free(&a);
	app_close(&app);
	return rc;
}

int ctl_cmd_device_show(int argc, char **argv)
{
	struct ddi_settings set;
	struct nb_err e = { NB_OK, "" };
	struct ddi_action_entry *acts;
	struct ddi_explained x;
	struct ddi_device d;
	struct app app;
	struct arena a;
	char when[96];
	int n, i;

	if (cid_operand("device show", argc, argv))
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	arena_init(&a);
	if (ddi_settings_read(&app, &set, &e) < 0 || ctl_find_device(&app, argv[optind], &d, &e) < 0 ||
	    ddi_explain(&app, &a, &d, set.max_running, &x, &e) < 0) {
		arena_free(&a);
		app_close(&app);
		return ctl_fail(NULL, &e);
	}
	/* what the device reported (version, board, status) is shown, never
	 * obeyed by the terminal, and cannot forge a line of its own;
	 * the decision's sentence is the one the device page and the admin API show */
	printf("device\t%s/%s\nstate\t%s\nlast_seen\t%s\nversion\t%s\nmode\t%s\nfeed\t%s\n"
	       "board\t%s:%s\ndecision\t%s\nreason\t%s\n", ctl_printable(&a, d.tenant),
	       ctl_printable(&a, d.cid), ctl_printable(&a, d.state),
	       /* as device list shows it: relative with the UTC time on a terminal */
	       ctl_time(when, sizeof(when), ctl_format_pick(0), time(NULL), d.last_seen, "never"),
	       ctl_printable(&a, d.sw_version), d.mode,
	       ctl_printable(&a, d.feed), ctl_printable(&a, d.hw_model),
	       ctl_printable(&a, d.hw_revision), ctl_printable(&a, x.text), ddi_verdict_key(x.v));
	n = ddi_action_history(&app, &a, d.id, &acts, &e);
	for (i = 0; i < n; i++)
		printf("action\t%lld\t%s\t%d%%\t%s\trollout %lld\n", acts[i].a.id,
		       ctl_printable(&a, acts[i].a.status), acts[i].a.progress,
		       ctl_printable(&a, acts[i].version), acts[i].a.rollout_id);
	arena_free(&a);
	app_close(&app);
	return n < 0 ? ctl_fail(NULL, &e) : 0;
}
