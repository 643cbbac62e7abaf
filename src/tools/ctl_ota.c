/* nestboxctl ota publish | push | repo | token | key | list | boards | rollout */
#include "ctl.h"
#include "../lib/auth.h"
#include "../ota/ota.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct ota_opts {
	char owner[OTA_NAME_MAX + 1], name[OTA_NAME_MAX + 1];
	const char *tag, *branch, *version, *post_update, *message, *token_name;
	int no_manifest, private, public, remove;
	int pause, resume, json;
	const char *stage;
	const char *src, *ref;
};

static int split_repo(const char *s, struct ota_opts *o)
{
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) > OTA_NAME_MAX || strlen(slash + 1) > OTA_NAME_MAX)
		return -1;
	snprintf(o->owner, sizeof(o->owner), "%.*s", (int)(slash - s), s);
	snprintf(o->name, sizeof(o->name), "%s", slash + 1);
	return ota_repo_ok(o->owner, o->name) ? 0 : -1;
}

/* Options of every ota subcommand; positional source and ref after them
 * (at most nsrc: 2 publish and push, 0 the others).  0, or -1 after a
 * usage error was printed. */
static int parse(const char *cmd, int argc, char **argv, int nsrc, struct ota_opts *o)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' }, { "tag", required_argument, NULL, 't' },
		{ "branch", required_argument, NULL, 'b' }, { "version", required_argument, NULL, 'v' },
		{ "post-update", required_argument, NULL, 'p' },
		{ "message", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' }, { "no-manifest", no_argument, NULL, 'N' },
		{ "private", no_argument, NULL, 'P' }, { "public", no_argument, NULL, 'U' },
		{ "remove", no_argument, NULL, 'R' }, { "stage", required_argument, NULL, 's' },
		{ "pause", no_argument, NULL, 'Z' }, { "resume", no_argument, NULL, 'X' },
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = ctl_getopt(cmd, argc, argv, opts)) != -1) {
		switch (c) {
		case 'r':
			if (split_repo(optarg, o) < 0) {
				ctl_usage_error(cmd, "--" OTA_REPO_RULE);
				return -1;
			}
			break;
		case 't': o->tag = optarg; break;
		case 'b': o->branch = optarg; break;
		case 'v': o->version = optarg; break;
		case 'p': o->post_update = optarg; break;
		case 'm': o->message = optarg; break;
		case 'n': o->token_name = optarg; break;
		case 'N': o->no_manifest = 1; break;
		case 'P': o->private = 1; break;
		case 'U': o->public = 1; break;
		case 'R': o->remove = 1; break;
		case 's': o->stage = optarg; break;
		case 'Z': o->pause = 1; break;
		case 'X': o->resume = 1; break;
		case 'j': o->json = 1; break;
		default: return -1;
		}
	}
	if (!o->owner[0] && strcmp(cmd, "ota boards")) {
		ctl_usage_error(cmd, "needs --repo owner/name");
		return -1;
	}
	if (ctl_operands(cmd, argc, argv, nsrc ? 1 : 0, nsrc, "a source") < 0)
		return -1;
	o->src = optind < argc ? argv[optind] : NULL;
	o->ref = optind + 1 < argc ? argv[optind + 1] : NULL;
	return 0;
}

/* Prints e and returns its exit status (nb_err_exit: 3 for a conflict). */
static int fail(const struct nb_err *e, const char *what)
{
	char ctx[64];

	snprintf(ctx, sizeof(ctx), "%s failed", what);
	return ctl_fail(ctx, e);
}

static int publish(struct app *app, const struct ota_settings *s, struct ota_opts *o, int push)
{
	struct ota_pub p;
	struct nb_err e;
	struct arena a;
	int rc, i;

	memset(&p, 0, sizeof(p));
	p.owner = o->owner;
	p.name = o->name;
	p.tag = o->tag;
	p.branch = o->branch;
	p.src = o->src;
	p.src_ref = o->ref;
	p.version = o->version;
	p.post_update = o->post_update;
	p.message = o->message;
	p.no_manifest = o->no_manifest;
	arena_init(&a);
	rc = push ? ota_push(app, s, &a, &p, &e) : ota_publish(app, s, &a, &p, &e);
	/* the names are the archive's: shown, not obeyed */
	for (i = 0; i < p.nskipped; i++)
		fprintf(stderr, "nestboxctl: left out %s (%s)\n", ctl_printable(&a, p.skipped[i]),
			p.skip_why[i]);
	if (rc == 0 && p.unchanged) {
		printf("unchanged %s/%s %s at %s: the tree is the branch tip's\n", o->owner,
		       o->name, o->branch, p.commit);
	} else if (rc == 0) {
		printf("%s %s/%s %s at %s: %d files, %d new in the store\n",
		       push ? "pushed" : "published", o->owner, o->name, push ? o->branch : o->tag,
		       p.commit, p.nfiles, p.nstored);
		ctl_audit(app, push ? "ota push" : "ota publish", "%s/%s %s at %s", o->owner,
			  o->name, push ? o->branch : o->tag, p.commit);
	} else
		rc = fail(&e, push ? "push" : "publish");
	arena_free(&a);
	return rc;
}

/* ota key: a new manifest key (shown once), or --remove; ota token: a new
 * read token.  The secret is printed for the operator to hand on.  0, 1
 * after saying "unchanged" (--remove without a key), or -1 with e. */
static int secret_cmd(struct app *app, const struct ota_repo *r, struct ota_opts *o,
		      const char *what, struct nb_err *e)
{
	char secret[2 * AUTH_TOKEN_BYTES + 1];

	if (!strcmp(what, "key") && o->remove) {
		if (!r->sign_key[0]) {
			printf("unchanged %s/%s: its manifests are not signed\n", o->owner, o->name);
			return 1;
		}
		if (ota_repo_set_key(app, r->id, "", e) < 0)
			return -1;
		printf("removed the manifest key of %s/%s: its manifests are no longer signed\n",
		       o->owner, o->name);
		return 0;
	}
	if (auth_random_hex(secret, AUTH_TOKEN_BYTES) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "no random bytes");
	/* the board holds the same key (manifest_key): kept as it is */
	if (!strcmp(what, "key") ? ota_repo_set_key(app, r->id, secret, e) < 0
				 : ota_token_add(app, r->id, o->token_name ? o->token_name : "",
						 secret, e) < 0)
		return -1;
	printf("%s\n", secret);	/* what scripts read: the secret alone */
	if (!strcmp(what, "key"))
		ctl_note("new manifest key of %s/%s (shown once; the previous key no longer signs)",
			 o->owner, o->name);
	else
		ctl_note("new read token for %s/%s (%s) (shown once, kept hashed)", o->owner,
			 o->name, o->token_name ? o->token_name : "no name");
	return 0;
}

/* ota repo: creates the repository, or sets who may read it; says which,
 * or "unchanged" when it was so already (then nothing is audited). */
static int access_cmd(struct app *app, const struct ota_settings *set, struct ota_opts *o,
		      int existed, struct ota_repo *r)
{
	int want = o->private ? 1 : o->public ? 0 : r->private;
	const char *access = want ? "private" : "public";
	struct nb_err e;

	if (existed && want == r->private) {
		printf("unchanged %s/%s: %s already\n", o->owner, o->name, access);
		return 0;
	}
	if (want != r->private && ota_repo_set_private(app, set, r->id, want, &e) < 0)
		return fail(&e, "repo");
	printf("%s %s/%s %s\n", existed ? "made" : "created", o->owner, o->name, access);
	ctl_audit(app, "ota repo", "%s/%s %s", o->owner, o->name, access);
	return 0;
}

static int repo_cmd(struct app *app, const struct ota_settings *set, struct ota_opts *o,
		    const char *what)
{
	struct ota_repo r;
	struct nb_err e;
	int existed = ota_repo_get(app, o->owner, o->name, &r, &e) == 0, rc;

	if (!existed && e.kind != NB_NOT_FOUND)
		return fail(&e, what);
	if (!strcmp(what, "repo")) {
		if (!existed && ota_repo_ensure(app, o->owner, o->name, &r, &e) < 0)
			return fail(&e, what);
		return access_cmd(app, set, o, existed, &r);
	}
	/* only ota repo (and a publish) makes one: a misspelt --repo of a
	 * token or key must not make a repository nobody publishes to */
	if (!existed) {
		nb_fail(&e, NB_NOT_FOUND, "no repository %s/%s (nestboxctl ota repo --repo %s/%s"
			" makes one)", o->owner, o->name, o->owner, o->name);
		return fail(&e, what);
	}
	if ((rc = secret_cmd(app, &r, o, what, &e)) != 0)
		return rc < 0 ? fail(&e, what) : 0;	/* 1: unchanged, nothing audited */
	/* the secret itself never reaches the feed */
	ctl_audit(app, !strcmp(what, "key") ? "ota key" : "ota token", "%s/%s%s%s%s",
		  o->owner, o->name, !strcmp(what, "key") && o->remove ? ": key removed" : "",
		  !strcmp(what, "token") && o->token_name ? " for " : "",
		  !strcmp(what, "token") && o->token_name ? o->token_name : "");
	return 0;
}

static const struct ctl_col ota_cols[] = {
	{ "repo", "REPOSITORY", CTL_TEXT, 0, NULL, NULL },
	{ "access", "ACCESS", CTL_TEXT, 0, NULL, NULL },
	{ "signed", "SIGNED", CTL_TEXT, 0, NULL, NULL },
	{ "tag", "TAG", CTL_TEXT, 0, NULL, NULL },
	{ "commit", "COMMIT", CTL_HASH, 0, NULL, NULL },
	{ "manifest", "MANIFEST", CTL_TEXT, 0, NULL, NULL },
	{ "published", "PUBLISHED", CTL_TIME, 0, NULL, NULL },
};

/* One row of a repository, for one release (NULL: a repository without). */
static void list_row(struct ctl_list *l, struct arena *a, const struct ota_repo *r,
		     const struct ota_release *rel)
{
	ctl_put_text(l, arena_printf(a, "%s/%s", r->owner, r->name));
	ctl_put_text(l, r->private ? "private" : "public");
	ctl_put_text(l, r->sign_key[0] ? "yes" : "no");
	ctl_put_text(l, rel ? rel->tag : NULL);
	ctl_put_text(l, rel ? rel->commit : NULL);
	ctl_put_text(l, !rel ? NULL : rel->manifest[0] ? "manifest" : "tree mode");
	ctl_put_int(l, rel ? rel->published : 0);
}

/* One row per release (the newest 30 of each repository). */
static int list_cmd(struct app *app, int json)
{
	struct ota_release *rel;
	struct ota_repo *v;
	struct ctl_list l;
	struct nb_err e;
	struct arena a;
	int n, m, i, j, rc = 0;

	arena_init(&a);
	ctl_list_init(&l, ota_cols, 7, ctl_format_pick(json), time(NULL), &a);
	if (ota_repo_list(app, &a, &v, &n, &e) < 0)
		n = 0, rc = fail(&e, "list");
	for (i = 0; i < n && rc == 0; i++) {
		if (ota_release_list(app, &a, v[i].id, 0, 30, &rel, &m, &e) < 0) {
			rc = fail(&e, "list");
			break;
		}
		if (m == 0)
			list_row(&l, &a, &v[i], NULL);
		for (j = 0; j < m; j++)
			list_row(&l, &a, &v[i], &rel[j]);
	}
	rc = ctl_list_end(&l, rc, stdout);
	arena_free(&a);
	return rc;
}

/* publish, push, repo, token and key: what they share. */
static int run(const char *sub, int argc, char **argv)
{
	char cmd[16];
	struct ota_settings set;
	struct ota_opts o;
	struct app app;
	int rc, src = !strcmp(sub, "publish") || !strcmp(sub, "push");

	snprintf(cmd, sizeof(cmd), "ota %s", sub);
	if (parse(cmd, argc, argv, src ? 2 : 0, &o) < 0)
		return 2;
	if (!strcmp(sub, "publish") && !o.tag)
		return ctl_usage_error(cmd, "needs --tag");
	if (!strcmp(sub, "push") && !o.branch)
		return ctl_usage_error(cmd, "needs --branch");
	/* the names ota_publish would refuse, refused as the usage they are */
	if (src && o.tag && !ota_ref_new_ok(o.tag))
		return ctl_usage_error(cmd, "bad tag (" OTA_REF_RULE ")");
	if (src && o.branch && !ota_ref_new_ok(o.branch))
		return ctl_usage_error(cmd, "bad branch name (" OTA_REF_RULE ")");
	/* the inventory shows the name: an empty one names no board */
	if (o.token_name && !o.token_name[0])
		return ctl_usage_error(cmd, "--name must not be empty");
	if (ctl_open(&app) < 0)
		return 1;
	ota_settings_read(&app, &set);
	ota_git_global_init();
	if (src)
		rc = publish(&app, &set, &o, !strcmp(sub, "push"));
	else
		rc = repo_cmd(&app, &set, &o, sub);
	app_close(&app);
	return rc;
}

int ctl_cmd_ota_publish(int argc, char **argv)
{
	return run("publish", argc, argv);
}

int ctl_cmd_ota_push(int argc, char **argv)
{
	return run("push", argc, argv);
}

int ctl_cmd_ota_repo(int argc, char **argv)
{
	return run("repo", argc, argv);
}

int ctl_cmd_ota_token(int argc, char **argv)
{
	return run("token", argc, argv);
}

int ctl_cmd_ota_key(int argc, char **argv)
{
	return run("key", argc, argv);
}

int ctl_cmd_ota_list(int argc, char **argv)
{
	struct app app;
	int rc, json;

	if (ctl_list_opts("ota list", argc, argv, 0, "", &json) < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	rc = list_cmd(&app, json);
	app_close(&app);
	return rc;
}

static const struct ctl_col board_cols[] = {
	{ "repo", "REPOSITORY", CTL_TEXT, 0, NULL, NULL },
	{ "board", "BOARD", CTL_TEXT, 0, NULL, NULL },
	{ "address", "ADDRESS", CTL_TEXT, 0, NULL, NULL },
	{ "agent", "USER AGENT", CTL_TEXT, 0, NULL, NULL },
	{ "last_seen", "LAST SEEN", CTL_TIME, 0, NULL, NULL },
	{ "release", "RELEASE", CTL_TEXT, 0, NULL, NULL },
	{ "commit", "COMMIT", CTL_HASH, 0, NULL, NULL },
	{ "files", "FILES", CTL_TEXT, 0, NULL, NULL },
	{ "fetching", "FETCHING", CTL_TEXT, 0, NULL, NULL },
};

/* The release tag a board's ref names (NULL: a branch tip or commit id). */
static const char *release_of(struct app *app, long long repo_id, const char *ref,
			      const char *commit)
{
	struct ota_release rel;
	struct nb_err e;

	if (!ref[0] || ota_release_by_tag(app, repo_id, ref, &rel, &e) < 0 ||
	    strcmp(rel.commit, commit))
		return NULL;
	return ref;
}

static void board_line(struct app *app, struct ctl_list *l, struct arena *a,
		       const struct ota_repo *r, const struct ota_boardrow *b)
{
	int unfinished = b->fetch_commit[0] && strcmp(b->fetch_commit, b->done_commit);

	ctl_put_text(l, arena_printf(a, "%s/%s", r->owner, r->name));
	ctl_put_text(l, b->name);
	ctl_put_text(l, b->address);
	ctl_put_text(l, b->agent);
	ctl_put_int(l, b->last_seen);
	ctl_put_text(l, release_of(app, r->id, b->done_ref, b->done_commit));
	ctl_put_text(l, b->done_commit[0] ? b->done_commit : NULL);
	ctl_put_text(l, b->fetch_commit[0] ? arena_printf(a, "%d/%d", b->fetch_n, b->fetch_total)
					   : NULL);
	ctl_put_text(l, unfinished ? b->fetch_ref : NULL);
}

/* The boards of one repository (or of all), the most recently seen first. */
static int boards_cmd(struct app *app, const struct ota_opts *o)
{
	struct ota_boardrow *b;
	struct ota_repo *v, one;
	struct ctl_list l;
	struct nb_err e;
	struct arena a;
	int n, m, i, j, rc = 0;

	arena_init(&a);
	ctl_list_init(&l, board_cols, 9, ctl_format_pick(o->json), time(NULL), &a);
	if (o->owner[0]) {
		v = &one;
		n = 1;
		if (ota_repo_get(app, o->owner, o->name, &one, &e) < 0)
			n = 0, rc = fail(&e, "boards");
	} else if (ota_repo_list(app, &a, &v, &n, &e) < 0)
		n = 0, rc = fail(&e, "boards");
	for (i = 0; i < n && rc == 0; i++) {
		if (ota_board_list(app, &a, v[i].id, 100000, &b, &m, &e) < 0) {
			rc = fail(&e, "boards");
			break;
		}
		for (j = 0; j < m; j++)
			board_line(app, &l, &a, &v[i], &b[j]);
	}
	rc = ctl_list_end(&l, rc, stdout);
	arena_free(&a);
	return rc;
}

/* "acme/app v2 (after v1): 50% of the boards, running" */
static void rollout_print(struct app *app, const struct ota_repo *r, const struct ota_rollout *ro)
{
	struct ota_release rel, prev;
	struct nb_err e;

	if (ota_release_by_id(app, r->id, ro->release_id, &rel, &e) < 0)
		snprintf(rel.tag, sizeof(rel.tag), "?");
	if (!ro->prev_id || ota_release_by_id(app, r->id, ro->prev_id, &prev, &e) < 0) {
		printf("%s/%s %s: every board (no previous release)\n", r->owner, r->name, rel.tag);
		return;
	}
	printf("%s/%s %s (after %s): %d%% of the boards, %s\n", r->owner, r->name, rel.tag,
	       prev.tag, ro->percent, ro->paused ? "paused" : "running");
}

static int rollout_cmd(struct app *app, const struct ota_opts *o, int percent, int pause)
{
	struct ota_rollout ro;
	struct ota_repo r;
	struct nb_err e;
	char stage[32] = "";

	if (ota_repo_get(app, o->owner, o->name, &r, &e) < 0)
		return fail(&e, "rollout");
	/* the stage and pause asked for, when the rollout has them already: unchanged */
	if ((percent >= 0 || pause >= 0) && ota_rollout_get(app, r.id, &ro, &e) == 0 &&
	    (percent < 0 || percent == ro.percent) && (pause < 0 || pause == ro.paused)) {
		printf("unchanged %s/%s: its rollout is so already\n", o->owner, o->name);
		percent = pause = -1;
	}
	if (percent < 0 && pause < 0) {
		if (ota_rollout_get(app, r.id, &ro, &e) < 0)
			return fail(&e, "rollout");
	} else {
		if (ota_rollout_change(app, r.id, percent, pause, &ro, &e) < 0)
			return fail(&e, "rollout");
		if (percent >= 0)
			snprintf(stage, sizeof(stage), " stage %d%%", percent);
		ctl_audit(app, "ota rollout", "%s/%s%s%s%s", o->owner, o->name, stage,
			  pause == 1 ? " paused" : "", pause == 0 ? " resumed" : "");
	}
	rollout_print(app, &r, &ro);
	return 0;
}

int ctl_cmd_ota_boards(int argc, char **argv)
{
	struct ota_opts o;
	struct app app;
	int rc;

	if (parse("ota boards", argc, argv, 0, &o) < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	rc = boards_cmd(&app, &o);
	app_close(&app);
	return rc;
}

int ctl_cmd_ota_rollout(int argc, char **argv)
{
	struct ota_opts o;
	struct app app;
	long long pct = -1;
	int rc;

	if (parse("ota rollout", argc, argv, 0, &o) < 0)
		return 2;
	if (o.pause && o.resume)
		return ctl_usage_error("ota rollout", "takes one of --pause and --resume");
	if (o.stage && ctl_number("ota rollout", "--stage (a percent of the boards)", o.stage, 0,
				  100, &pct) < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	rc = rollout_cmd(&app, &o, (int)pct, o.pause ? 1 : o.resume ? 0 : -1);
	app_close(&app);
	return rc;
}
