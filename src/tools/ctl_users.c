/* nestboxctl user add | passwd | del | token | list | first-admin */
#include "ctl.h"
#include "../admin/admin.h"
#include "../lib/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * A password from the first line of stdin, or typed at a prompt without
 * echo: ADMIN_PASSWORD_MIN..ADMIN_PASSWORD_MAX bytes, a longer line refused
 * rather than cut.  out holds ADMIN_PASSWORD_MAX + 2 bytes.
 */
static int read_password(const char *prompt, char *out)
{
	size_t l = ctl_read_secret(prompt, out, ADMIN_PASSWORD_MAX + 2);

	if (l > ADMIN_PASSWORD_MAX) {
		fprintf(stderr, "nestboxctl: a password is at most %d bytes\n", ADMIN_PASSWORD_MAX);
		return -1;
	}
	if (l < ADMIN_PASSWORD_MIN) {
		fprintf(stderr, "nestboxctl: a password has at least %d characters\n",
			ADMIN_PASSWORD_MIN);
		return -1;
	}
	return 0;
}

/*
 * The user of name into *u: NB_OK, NB_NOT_FOUND ("no user 'x'" said
 * unless a new user is looked up) or the kind of the store's failure
 * (said: "cannot read the store ...").
 */
static enum nb_errkind user_lookup(struct app *app, const char *name, struct admin_user *u,
				   int new_user)
{
	struct nb_err e;

	if (admin_user_get(app->db, name, u, NULL, 0, &e) == 0)
		return NB_OK;
	if (e.kind == NB_NOT_FOUND && new_user)
		;
	else if (e.kind == NB_NOT_FOUND)
		fprintf(stderr, "nestboxctl: no user '%s'\n", name);
	else
		fprintf(stderr, "nestboxctl: user %s: %s\n", name, e.msg);
	return e.kind;
}

/*
 * Adds the user, or sets an existing one's password (*revoked: tokens
 * revoked).  Returns the exit status: 0, or nb_err_exit() of what failed
 * (printed).
 */
static int set_user(struct app *app, const char *name, const char *role, const char *pw,
		    int keep_tokens, int *revoked)
{
	struct admin_user u;
	struct nb_err e;
	char hash[AUTH_HASH_MAX];
	int rc;

	*revoked = 0;
	nb_err_clear(&e);
	if (auth_hash_password(pw, hash, sizeof(hash)) < 0)
		rc = nb_fail(&e, NB_INTERNAL, "cannot hash the password");
	else if (admin_user_get(app->db, name, &u, NULL, 0, &e) == 0)
		rc = admin_user_set_password(app->db, u.id, hash, keep_tokens, revoked, &e);
	else if (e.kind == NB_NOT_FOUND)
		rc = admin_user_insert(app->db, name, hash, role, &e);
	else
		rc = -1;	/* the store cannot say whether it exists */
	if (rc < 0)
		fprintf(stderr, "nestboxctl: user %s: %s\n", name, e.msg);
	return rc < 0 ? nb_err_exit(e.kind) : 0;
}

int ctl_cmd_user_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 }
	};
	const char *role = "admin";
	struct admin_user u;
	struct app app;
	char pw[ADMIN_PASSWORD_MAX + 2];
	int c, rc, revoked;

	optind = 1;
	while ((c = ctl_getopt("user add", argc, argv, opts)) != -1) {
		if (c != 'r')
			return 2;
		role = optarg;
	}
	if (ctl_operands("user add", argc, argv, 1, 1, "the user name") < 0)
		return 2;
	if (strcmp(role, "admin") && strcmp(role, "readonly"))
		return ctl_usage_error("user add", "--role is admin or readonly, not '%s'", role);
	if (!admin_name_ok(argv[optind])) {
		fprintf(stderr, "nestboxctl: a user name is 1 to 64 letters, digits or . _ - @\n");
		return 1;
	}
	if (ctl_open(&app) < 0)
		return 1;
	if ((rc = user_lookup(&app, argv[optind], &u, 1)) != NB_NOT_FOUND) {
		if (rc == NB_OK)
			fprintf(stderr, "nestboxctl: user %s exists already (nestboxctl user passwd "
				"%s sets its password)\n", argv[optind], argv[optind]);
		app_close(&app);
		return nb_err_exit(rc == NB_OK ? NB_CONFLICT : rc);
	}
	rc = read_password("password: ", pw) < 0 ? 1 :
	     set_user(&app, argv[optind], role, pw, 0, &revoked);
	if (!rc) {
		printf("added %s (%s)\n", argv[optind], role);
		ctl_audit(&app, "user add", "%s (%s)", argv[optind], role);
	}
	app_close(&app);
	return rc;
}

int ctl_cmd_user_passwd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep-tokens", no_argument, NULL, 'k' }, { NULL, 0, NULL, 0 }
	};
	struct admin_user u;
	struct app app;
	char pw[ADMIN_PASSWORD_MAX + 2];
	int c, rc = 1, keep = 0, revoked = 0;

	optind = 1;
	while ((c = ctl_getopt("user passwd", argc, argv, opts)) != -1) {
		if (c != 'k')
			return 2;
		keep = 1;
	}
	if (ctl_operands("user passwd", argc, argv, 1, 1, "the user name") < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	if (user_lookup(&app, argv[optind], &u, 0) != NB_OK)
		;	/* said */
	else if (read_password("new password: ", pw) == 0)
		rc = set_user(&app, argv[optind], u.role, pw, keep, &revoked);
	if (!rc) {
		printf("password of %s changed; its sessions have ended; %d API token%s revoked%s\n",
		       argv[optind], revoked, revoked == 1 ? "" : "s", keep ? " (kept)" : "");
		ctl_audit(&app, "user passwd", "%s (%d API tokens revoked)", argv[optind], revoked);
	}
	app_close(&app);
	return rc;
}

int ctl_cmd_user_del(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	struct admin_user u;
	struct app app;
	struct nb_err e;
	const char *name;
	int rc = 1;

	optind = 1;
	if (ctl_getopt("user del", argc, argv, none) != -1 ||
	    ctl_operands("user del", argc, argv, 1, 1, "the user name") < 0)
		return 2;
	name = argv[optind];
	if (ctl_open(&app) < 0)
		return 1;
	nb_err_clear(&e);
	if (user_lookup(&app, name, &u, 0) != NB_OK)
		;	/* said */
	else if (admin_user_remove(app.db, u.id, &e) < 0) {
		fprintf(stderr, "nestboxctl: user %s: %s\n", name, e.msg);
		rc = nb_err_exit(e.kind);
	} else {
		rc = 0;
	}
	if (!rc) {
		printf("deleted %s (%s), with its sessions and API tokens\n", name, u.role);
		ctl_audit(&app, "user del", "%s (%s)", name, u.role);
	}
	app_close(&app);
	return rc;
}

/*
 * nestboxctl user token NAME [--name LABEL]: a new API token of user NAME
 * (its role), printed once on standard output (only its hash is kept), so
 * CI and scripts get one without the users page.  LABEL: 1 to 64 bytes
 * without control characters (default "nestboxctl").  Exit 0, 1 (no such
 * user, store), 2 (usage).
 */
int ctl_cmd_user_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 }
	};
	const char *label = "nestboxctl";
	struct admin_user u;
	struct nb_err e;
	struct app app;
	char token[80];
	int c, rc = 1;

	optind = 1;
	while ((c = ctl_getopt("user token", argc, argv, opts)) != -1) {
		if (c != 'n')
			return 2;
		label = optarg;
	}
	if (ctl_operands("user token", argc, argv, 1, 1, "the user name") < 0)
		return 2;
	/* the users page's rule for a token's name */
	if (!*label || admin_token_name_valid(NULL, NULL, label, NULL, &e) < 0)
		return ctl_usage_error("user token", "--name is 1 to 64 bytes without control "
				       "characters");
	if (ctl_open(&app) < 0)
		return 1;
	nb_err_clear(&e);
	if (user_lookup(&app, argv[optind], &u, 0) != NB_OK)
		;	/* said */
	else if (admin_token_create(app.db, u.id, label, token, &e) < 0) {
		fprintf(stderr, "nestboxctl: user token: %s\n", e.msg);
		rc = nb_err_exit(e.kind);
	} else {
		printf("%s\n", token);
		fprintf(stderr, "API token '%s' of %s (%s) created; it is not shown again\n",
			label, argv[optind], u.role);
		ctl_audit(&app, "token create", "API token %s of %s", label, argv[optind]);
		rc = 0;
	}
	app_close(&app);
	return rc;
}

static const struct ctl_col user_cols[] = {
	{ "name", "NAME", CTL_TEXT, 0, NULL, NULL },
	{ "role", "ROLE", CTL_TEXT, 0, NULL, NULL },
	{ "created", "CREATED", CTL_TIME, CTL_NOT_TSV, NULL, NULL },
};

/* user list's rows (ctl_rows_fn) */
static int user_rows(struct app *app, struct arena *a, struct ctl_list *l, struct nb_err *e)
{
	struct admin_user_row *u;
	int n = admin_user_list(app->db, a, 0, 1L << 30, &u, e);

	for (int i = 0; i < n; i++) {
		ctl_put_text(l, u[i].name);
		ctl_put_text(l, u[i].role);
		ctl_put_int(l, u[i].created);
	}
	return n;
}

int ctl_cmd_user_list(int argc, char **argv)
{
	return ctl_list_run("user list", argc, argv, user_cols, 3, user_rows);
}

/*
 * For `make run`: the first admin.  With no users, creates "admin" with
 * $NESTBOX_ADMIN_PASSWORD or a random password and prints it once; with
 * $NESTBOX_ADMIN_PASSWORD set, (re)sets admin's password to it.
 */
int ctl_cmd_user_first_admin(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	const char *env = getenv("NESTBOX_ADMIN_PASSWORD");
	struct nb_err e;
	struct app app;
	char pw[ADMIN_PASSWORD_MAX + 2];
	int users, revoked;

	optind = 1;
	if (ctl_getopt("user first-admin", argc, argv, none) != -1 ||
	    ctl_operands("user first-admin", argc, argv, 0, 0, "") < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	/* a store that cannot be counted is no empty one: no new password */
	if ((users = admin_user_count(app.db, NULL, &e)) < 0) {
		fprintf(stderr, "nestboxctl: user first-admin: %s\n", e.msg);
		app_close(&app);
		return nb_err_exit(e.kind);
	}
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
	/* make run sets the same password each time: admin's tokens stay */
	if (strlen(pw) < ADMIN_PASSWORD_MIN || strlen(pw) > ADMIN_PASSWORD_MAX ||
	    set_user(&app, "admin", "admin", pw, 1, &revoked) < 0) {
		fprintf(stderr, "nestboxctl: cannot set the admin password (8 to 255 characters)\n");
		app_close(&app);
		return 1;
	}
	printf("admin login: user admin, password %s\n", pw);
	app_close(&app);
	return 0;
}
