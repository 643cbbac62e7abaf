/* nestboxctl ota publish | push | repo | token | key | list */
#include "ctl.h"
#include "../lib/auth.h"
#include "../ota/ota.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_ota(int argc, char **argv);

struct ota_opts {
	char owner[OTA_NAME_MAX + 1], name[OTA_NAME_MAX + 1];
	const char *tag, *branch, *version, *post_update, *message, *token_name;
	int no_manifest, private, public, remove;
	const char *src, *ref;
};

static int split_repo(const char *s, struct ota_opts *o)
{
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) > OTA_NAME_MAX || strlen(slash + 1) > OTA_NAME_MAX)
		return -1;
	snprintf(o->owner, sizeof(o->owner), "%.*s", (int)(slash - s), s);
	snprintf(o->name, sizeof(o->name), "%s", slash + 1);
	return ota_name_ok(o->owner) && ota_name_ok(o->name) ? 0 : -1;
}

/* Options of every ota subcommand; positional source and ref after them. */
static int parse(int argc, char **argv, struct ota_opts *o)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' }, { "tag", required_argument, NULL, 't' },
		{ "branch", required_argument, NULL, 'b' }, { "version", required_argument, NULL, 'v' },
		{ "post-update", required_argument, NULL, 'p' },
		{ "message", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' }, { "no-manifest", no_argument, NULL, 'N' },
		{ "private", no_argument, NULL, 'P' }, { "public", no_argument, NULL, 'U' },
		{ "remove", no_argument, NULL, 'R' }, { NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (split_repo(optarg, o) < 0) {
				fprintf(stderr, "nestboxctl: --repo must be owner/name"
						" (letters, digits, '.', '_', '-')\n");
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
		default: return -1;
		}
	}
	if (!o->owner[0]) {
		fprintf(stderr, "nestboxctl: --repo owner/name is required\n");
		return -1;
	}
	o->src = optind < argc ? argv[optind] : NULL;
	o->ref = optind + 1 < argc ? argv[optind + 1] : NULL;
	return optind + 2 < argc ? -1 : 0;
}

/* Prints e and returns its exit status (nb_err_exit: 3 for a conflict). */
static int fail(const struct nb_err *e, const char *what)
{
	fprintf(stderr, "nestboxctl: %s%s%s\n", what ? what : "", what ? " failed: " : "", e->msg);
	return nb_err_exit(e->kind);
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
	for (i = 0; i < p.nskipped; i++)
		fprintf(stderr, "nestboxctl: left out %s (hidden paths are refused by the updater)\n",
			p.skipped[i]);
	if (rc == 0)
		printf("%s %s/%s %s at %s: %d files, %d new in the store\n",
		       push ? "pushed" : "published", o->owner, o->name, push ? o->branch : o->tag,
		       p.commit, p.nfiles, p.nstored);
	else
		rc = fail(&e, push ? "push" : "publish");
	arena_free(&a);
	return rc;
}

/* ota key: a new manifest key (shown once), or --remove; ota token: a new
 * read token.  The secret is printed for the operator to hand on. */
static int secret_cmd(struct app *app, const struct ota_repo *r, struct ota_opts *o,
		      const char *what, struct nb_err *e)
{
	char secret[2 * AUTH_TOKEN_BYTES + 1];

	if (!strcmp(what, "key") && o->remove)
		return ota_repo_set_key(app, r->id, "", e);
	if (auth_random_hex(secret, AUTH_TOKEN_BYTES) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "no random bytes");
	/* the board holds the same key (manifest_key): kept as it is */
	if (!strcmp(what, "key") ? ota_repo_set_key(app, r->id, secret, e) < 0
				 : ota_token_add(app, r->id, o->token_name ? o->token_name : "",
						 secret, e) < 0)
		return -1;
	printf("%s\n", secret);
	return 0;
}

static int repo_cmd(struct app *app, struct ota_opts *o, const char *what)
{
	struct ota_repo r;
	struct nb_err e;

	if (ota_repo_ensure(app, o->owner, o->name, &r, &e) < 0)
		return fail(&e, what);
	if (strcmp(what, "repo"))
		return secret_cmd(app, &r, o, what, &e) < 0 ? fail(&e, what) : 0;
	if ((o->private || o->public) && ota_repo_set_private(app, r.id, o->private, &e) < 0)
		return fail(&e, what);
	printf("%s/%s %s\n", o->owner, o->name,
	       (o->private || (!o->public && r.private)) ? "private" : "public");
	return 0;
}

static int list_cmd(struct app *app)
{
	struct ota_repo *v;
	struct nb_err e;
	struct arena a;
	int n, i, j, rc = 0;

	arena_init(&a);
	if (ota_repo_list(app, &a, &v, &n, &e) < 0)
		n = 0, rc = fail(&e, "list");
	for (i = 0; i < n && rc == 0; i++) {
		struct ota_release *rel;
		int m;
		printf("%s/%s\t%s%s\n", v[i].owner, v[i].name, v[i].private ? "private" : "public",
		       v[i].sign_key[0] ? ", signed manifests" : "");
		if (ota_release_list(app, &a, v[i].id, 30, &rel, &m, &e) < 0) {
			rc = fail(&e, "list");
			break;
		}
		for (j = 0; j < m; j++)
			printf("  %s\t%s\t%s\n", rel[j].tag, rel[j].commit,
			       rel[j].manifest[0] ? "manifest" : "tree mode");
	}
	arena_free(&a);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: nestboxctl ota publish|push|repo|token|key|list --repo owner/name ..."
			" (nestboxctl ota --help)\n");
	return 2;
}

int cmd_ota(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct ota_settings set;
	struct ota_opts o;
	struct app app;
	int rc;

	if (!strcmp(sub, "list")) {
		if (ctl_open(&app) < 0)
			return 1;
		rc = list_cmd(&app);
		app_close(&app);
		return rc;
	}
	if (strcmp(sub, "publish") && strcmp(sub, "push") && strcmp(sub, "repo") &&
	    strcmp(sub, "token") && strcmp(sub, "key"))
		return usage();
	if (parse(argc - 1, argv + 1, &o) < 0)
		return usage();
	if ((!strcmp(sub, "publish") && (!o.tag || !o.src)) ||
	    (!strcmp(sub, "push") && (!o.branch || !o.src))) {
		fprintf(stderr, "nestboxctl: ota %s needs %s and a source\n", sub,
			!strcmp(sub, "push") ? "--branch" : "--tag");
		return 2;
	}
	if (ctl_open(&app) < 0)
		return 1;
	ota_settings_read(&app, &set);
	ota_git_global_init();
	if (!strcmp(sub, "publish") || !strcmp(sub, "push"))
		rc = publish(&app, &set, &o, !strcmp(sub, "push"));
	else
		rc = repo_cmd(&app, &o, sub);
	app_close(&app);
	return rc;
}
