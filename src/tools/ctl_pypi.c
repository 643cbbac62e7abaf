/*
 * nestboxctl pypi user | index | upload | yank | unyank | delete (export
 * and import: ctl_pypi_move.c).  The operator's door to the Python
 * index: the same store calls and checks as pypi.fcgi's devpi API
 * (names, index config, the upload's file checks), without its rights
 * checks -- whoever runs nestboxctl owns the installation.
 */
#include "ctl_pypi.h"
#include "../lib/auth.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PW_MAX 1024	/* what pypi.fcgi's PUT /{user} accepts */
#define CMD "pypi"

int ctl_pypi_open(struct app *app)
{
	struct pypi_settings s;
	struct nb_err e;

	if (ctl_open(app) < 0)
		return -1;
	pypi_settings_read(app, &s);
	if (pypi_bootstrap(app, &s, &e) < 0) {
		ctl_fail(NULL, &e);
		app_close(app);
		return -1;
	}
	return 0;
}

int ctl_pypi_index_arg(const char *arg, char *user, char *index)
{
	const char *slash = strchr(arg, '/');

	if (!slash || (size_t)(slash - arg) >= PYPI_NAME_MAX || strlen(slash + 1) >= PYPI_NAME_MAX) {
		ctl_usage_error(CMD, "'%s' is not USER/INDEX", arg);
		return -1;
	}
	memcpy(user, arg, (size_t)(slash - arg));
	user[slash - arg] = '\0';
	strcpy(index, slash + 1);
	if (!pypi_ident_ok(user) || !pypi_ident_ok(index)) {
		ctl_usage_error(CMD, "'%s': user and index names are letters, digits, . _ -", arg);
		return -1;
	}
	return 0;
}

/* The first line of stdin (typed without echo on a terminal): 1..PW_MAX bytes. */
static int read_password(char *out)
{
	size_t l = ctl_read_secret("password: ", out, PW_MAX + 2);

	if (l == 0 || l > PW_MAX) {
		fprintf(stderr, "nestboxctl: a password is 1 to %d bytes, on the first line of "
			"standard input\n", PW_MAX);
		return -1;
	}
	return 0;
}

/* -- users -- */

static const struct ctl_col user_cols[] = {
	{ "name", "NAME", CTL_TEXT, 0, NULL, NULL },
	{ "email", "EMAIL", CTL_TEXT, 0, NULL, NULL },
	{ "indexes", "INDEXES", CTL_INT, 0, NULL, NULL },
};

static int user_list(struct app *app, int argc, char **argv)
{
	struct ctl_list l;
	struct arena a;
	const char **names;
	struct nb_err e;
	int json, rc = 0, n;

	if (ctl_list_opts(CMD, argc, argv, 0, "", &json) < 0)
		return 2;
	arena_init(&a);
	ctl_list_init(&l, user_cols, 3, ctl_format_pick(json), time(NULL), &a);
	/* a store that cannot be read fails the command: never a shorter list */
	if (pypi_user_list(app, &a, &names, &e) < 0)
		rc = ctl_fail(CMD, &e);
	for (; rc == 0 && *names; names++) {
		struct pypi_user u;
		struct pypi_index *v;
		if (pypi_user_get(app, &a, *names, &u, &e) < 0 ||
		    (n = pypi_index_list(app, &a, u.name, &v, &e)) < 0) {
			rc = ctl_fail(*names, &e);
			break;
		}
		ctl_put_text(&l, u.name);
		ctl_put_text(&l, *u.email ? u.email : NULL);
		ctl_put_int(&l, n);
	}
	rc = ctl_list_end(&l, rc, stdout);
	arena_free(&a);
	return rc;
}

/* add (create) or passwd: the password from stdin, hashed; --email for add. */
static int user_add_or_passwd(struct app *app, int argc, char **argv, int add)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'm' }, { NULL, 0, NULL, 0 }
	};
	const char *email = add ? "" : NULL;
	char pw[PW_MAX + 2], hash[AUTH_HASH_MAX];
	struct nb_err e;
	int c;

	optind = 1;
	while ((c = ctl_getopt(CMD, argc, argv, opts)) != -1) {
		if (c != 'm')
			return 2;
		email = optarg;
	}
	if (ctl_operands(CMD, argc, argv, 1, 1, "the user name") < 0)
		return 2;
	if (!pypi_ident_ok(argv[optind]) || strlen(argv[optind]) >= PYPI_NAME_MAX)
		return ctl_usage_error(CMD, "a user name is letters, digits, . _ - (not '%s')",
				       argv[optind]);
	if (email && !ctl_field_ok("--email", email, 0, 256))
		return 2;
	if (read_password(pw) < 0)
		return 1;
	if (auth_hash_password(pw, hash, sizeof(hash)) < 0)
		return fprintf(stderr, "nestboxctl: cannot hash the password\n"), 1;
	if ((add ? pypi_user_add(app, argv[optind], hash, email, &e) :
	     pypi_user_set(app, argv[optind], hash, email, &e)) < 0)
		return ctl_fail(argv[optind], &e);
	printf("%s %s\n", add ? "added" : "password changed:", argv[optind]);
	ctl_audit(app, add ? "pypi user add" : "pypi user passwd", "%s", argv[optind]);
	return 0;
}

static int user_delete(struct app *app, int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	struct nb_err e;

	optind = 1;
	if (ctl_getopt(CMD, argc, argv, none) != -1 ||
	    ctl_operands(CMD, argc, argv, 1, 1, "the user name") < 0)
		return 2;
	if (!strcmp(argv[optind], "root")) {
		fprintf(stderr, "nestboxctl: root cannot be deleted\n");
		return 1;
	}
	if (pypi_user_del(app, argv[optind], &e) < 0)
		return ctl_fail(argv[optind], &e);
	pypi_static_reset(app);
	printf("deleted %s, with its indexes (their files go at the next gc)\n", argv[optind]);
	ctl_audit(app, "pypi user delete", "%s", argv[optind]);
	return 0;
}

static int user_cmd(struct app *app, int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "list"))
		return user_list(app, argc - 1, argv + 1);
	if (!strcmp(what, "add") || !strcmp(what, "passwd"))
		return user_add_or_passwd(app, argc - 1, argv + 1, !strcmp(what, "add"));
	if (!strcmp(what, "delete"))
		return user_delete(app, argc - 1, argv + 1);
	return ctl_usage_error(CMD, "pypi user takes list, add, passwd or delete, not '%s'", what);
}

/* -- indexes -- */

static const struct ctl_col index_cols[] = {
	{ "index", "INDEX", CTL_TEXT, 0, NULL, NULL },
	{ "type", "TYPE", CTL_TEXT, 0, NULL, NULL },
	{ "volatile", "VOLATILE", CTL_TEXT, 0, NULL, NULL },
	{ "bases", "BASES", CTL_TEXT, 0, NULL, NULL },
	{ "projects", "PROJECTS", CTL_INT, 0, NULL, NULL },
	{ "files", "FILES", CTL_INT, 0, NULL, NULL },
	{ "size", "SIZE", CTL_BYTES, 0, NULL, NULL },
};

static void index_row(struct app *app, struct ctl_list *l, const struct pypi_index *ix)
{
	struct pypi_index_stats s = { 0, 0, 0 };
	struct nb_err e;

	pypi_ops_index_stats(app, ix->id, &s, &e);
	ctl_put_text(l, arena_cat(l->a, ix->user, "/", ix->name, NULL));
	ctl_put_text(l, ix->type);
	ctl_put_text(l, ix->volatile_ ? "yes" : "no");
	ctl_put_text(l, *ix->bases ? ix->bases : NULL);
	ctl_put_int(l, s.projects);
	ctl_put_int(l, s.files);
	ctl_put_int(l, s.bytes);
}

/*
 * --json: each index as the export writes it (pypi_doc_index_json: volatile
 * a boolean, the lists arrays) with "index" and its sizes, so that scripts
 * read one shape from both.
 */
static int index_list_json(struct app *app, struct arena *a, const struct pypi_index *v, int n)
{
	cJSON *arr = cJSON_CreateArray();
	char *s;
	int i;

	for (i = 0; i < n; i++) {
		struct pypi_index_stats st = { 0, 0, 0 };
		struct nb_err e;
		cJSON *o = pypi_doc_index_json(a, &v[i]);
		pypi_ops_index_stats(app, v[i].id, &st, &e);
		cJSON_AddStringToObject(o, "index", arena_cat(a, v[i].user, "/", v[i].name, NULL));
		cJSON_AddNumberToObject(o, "projects", (double)st.projects);
		cJSON_AddNumberToObject(o, "files", (double)st.files);
		cJSON_AddNumberToObject(o, "size", (double)st.bytes);
		cJSON_AddItemToArray(arr, o);
	}
	s = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	if (!s || printf("%s\n", s) < 0 || fflush(stdout) != 0) {
		cJSON_free(s);
		return -1;
	}
	cJSON_free(s);
	return 0;
}

static int index_list(struct app *app, int argc, char **argv)
{
	struct pypi_index *v;
	struct ctl_list l;
	struct nb_err e;
	struct arena a;
	int json, rc, n, i;

	if (ctl_list_opts(CMD, argc, argv, 1, "", &json) < 0)
		return 2;
	arena_init(&a);
	n = pypi_index_list(app, &a, optind < argc ? argv[optind] : NULL, &v, &e);
	if (n < 0) {
		arena_free(&a);
		return ctl_fail(NULL, &e);
	}
	if (json) {
		rc = index_list_json(app, &a, v, n);
		arena_free(&a);
		return rc < 0;
	}
	ctl_list_init(&l, index_cols, 7, ctl_format_pick(json), time(NULL), &a);
	for (i = 0; i < n; i++)
		index_row(app, &l, &v[i]);
	rc = ctl_list_end(&l, 0, stdout);
	arena_free(&a);
	return rc;
}

/*
 * devpi's `devpi index -c NAME key=value …` arguments as a config object:
 * mirror_cache_expiry a number when it reads as one, the rest strings
 * (lists comma-separated, volatile true/false a boolean, a title "2024" too):
 * pypi_index_config reads them as it reads a PUT body.  NULL after
 * printing why.
 */
static cJSON *kv_config(int argc, char **argv)
{
	cJSON *o = cJSON_CreateObject();
	int i;

	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '='), *end;
		const char *v = eq ? eq + 1 : "";
		double d;
		if (!eq || eq == argv[i]) {
			ctl_usage_error(CMD, "'%s' is not key=value", argv[i]);
			cJSON_Delete(o);
			return NULL;
		}
		*eq = '\0';
		if (cJSON_HasObjectItem(o, argv[i])) {
			ctl_usage_error(CMD, "the key '%s' is given twice", argv[i]);
			*eq = '=';
			cJSON_Delete(o);
			return NULL;
		}
		d = strtod(v, &end);
		if (!strcmp(argv[i], "mirror_cache_expiry") && *v >= '0' && *v <= '9' && !*end)
			cJSON_AddNumberToObject(o, argv[i], d);
		else
			cJSON_AddItemToObject(o, argv[i], pypi_config_text_value(argv[i], v));
		*eq = '=';
	}
	return o;
}

/* create (NB_CONFLICT when it exists) or modify (NB_NOT_FOUND) from key=value… */
static int index_put(struct app *app, int argc, char **argv, int create)
{
	char user[PYPI_NAME_MAX], name[PYPI_NAME_MAX];
	struct pypi_index ix;
	struct pypi_user u;
	struct nb_err e;
	struct arena a;
	cJSON *o, *before = NULL, *after = NULL;
	int rc = 0, unchanged = 0;

	if (argc < 2 || argv[1][0] == '-')
		return ctl_usage_error(CMD, "needs USER/INDEX [key=value …]");
	if (ctl_pypi_index_arg(argv[1], user, name) < 0 || !(o = kv_config(argc - 2, argv + 2)))
		return 2;
	arena_init(&a);
	if (create) {
		pypi_index_defaults(&ix, user, name);
		if (pypi_user_get(app, &a, user, &u, &e) < 0)
			rc = -1;
	} else if ((rc = pypi_index_get(app, &a, user, name, &ix, &e)) == 0) {
		before = pypi_index_json(&a, &ix);
	}
	if (rc == 0 && pypi_index_config(app, &a, &ix, o, &e) < 0)
		rc = -1;
	/* a modify that leaves the configuration as it was changes nothing */
	if (rc == 0 && before && cJSON_Compare(before, after = pypi_index_json(&a, &ix), 1))
		unchanged = 1;
	else if (rc == 0 && pypi_index_put(app, &ix, create, &e) < 0)
		rc = -1;
	cJSON_Delete(o);
	cJSON_Delete(before);
	cJSON_Delete(after);
	arena_free(&a);
	if (rc < 0)
		return ctl_fail(argv[1], &e);
	if (unchanged) {
		printf("unchanged %s: its configuration is so already\n", argv[1]);
		return 0;
	}
	pypi_static_reset(app);		/* pages rebuilt by pypi.fcgi on their misses */
	printf("%s %s\n", create ? "created" : "modified", argv[1]);
	ctl_audit(app, create ? "pypi index create" : "pypi index modify", "%s", argv[1]);
	return 0;
}

static int index_delete(struct app *app, int argc, char **argv)
{
	char user[PYPI_NAME_MAX], name[PYPI_NAME_MAX];
	struct nb_err e;

	if (argc != 2)
		return ctl_usage_error(CMD, "index delete needs USER/INDEX");
	if (ctl_pypi_index_arg(argv[1], user, name) < 0)
		return 2;
	if (pypi_index_del(app, user, name, &e) < 0)
		return ctl_fail(argv[1], &e);
	pypi_static_reset(app);
	printf("deleted %s (its files go at the next gc)\n", argv[1]);
	ctl_audit(app, "pypi index delete", "%s", argv[1]);
	return 0;
}

static int index_cmd(struct app *app, int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "list"))
		return index_list(app, argc - 1, argv + 1);
	if (!strcmp(what, "create") || !strcmp(what, "modify"))
		return index_put(app, argc - 1, argv + 1, !strcmp(what, "create"));
	if (!strcmp(what, "delete"))
		return index_delete(app, argc - 1, argv + 1);
	return ctl_usage_error(CMD, "pypi index takes list, create, modify or delete, not '%s'",
			       what);
}

/* -- uploads -- */

/* One file through pypi.fcgi's upload checks; 0 or the exit status. */
static int upload_one(struct app *app, const struct pypi_index *ix, const char *path)
{
	struct nb_err e;
	struct arena a;
	char *copy = strdup(path);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		fprintf(stderr, "nestboxctl: %s: %s\n", path, strerror(errno));
		free(copy);
		return 1;
	}
	arena_init(&a);
	if (pypi_upload_fd(app, &a, ix, basename(copy), fd, &e) < 0)
		rc = ctl_fail(path, &e);
	else
		printf("uploaded %s to %s/%s\n", basename(copy), ix->user, ix->name);
	if (!rc)
		ctl_audit(app, "pypi upload", "%s/%s %s", ix->user, ix->name, basename(copy));
	close(fd);
	arena_free(&a);
	free(copy);
	return rc;
}

static int upload_cmd(struct app *app, int argc, char **argv)
{
	char user[PYPI_NAME_MAX], name[PYPI_NAME_MAX];
	struct pypi_index ix;
	struct nb_err e;
	struct arena a;
	int i, rc = 0;

	if (argc < 3)
		return ctl_usage_error(CMD, "upload needs USER/INDEX and one or more files");
	if (ctl_pypi_index_arg(argv[1], user, name) < 0)
		return 2;
	arena_init(&a);
	if (pypi_index_get(app, &a, user, name, &ix, &e) < 0) {
		arena_free(&a);
		return ctl_fail(argv[1], &e);
	}
	/* every file is tried; the exit status is the first failure's */
	for (i = 2; i < argc; i++) {
		int one = upload_one(app, &ix, argv[i]);
		rc = rc ? rc : one;
	}
	arena_free(&a);
	return rc;
}

/* -- yank, unyank, delete -- */

struct release_args {
	char user[PYPI_NAME_MAX], index[PYPI_NAME_MAX];
	const char *project, *version, *file, *reason;
	int force;
};

/* USER/INDEX (PROJECT [VERSION] | --file NAME) [--reason R] [--force]; 0 or 2. */
static int release_args(int argc, char **argv, struct release_args *ra, int need_version)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' }, { "reason", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'F' }, { NULL, 0, NULL, 0 }
	};
	int c, n;

	memset(ra, 0, sizeof(*ra));
	optind = 1;
	while ((c = ctl_getopt(CMD, argc, argv, opts)) != -1) {
		if (c == 'f')
			ra->file = optarg;
		else if (c == 'r')
			ra->reason = optarg;
		else if (c == 'F')
			ra->force = 1;
		else
			return 2;
	}
	n = argc - optind;
	if (n < 1 || (ra->file ? n != 1 : n < 2 + need_version || n > 3))
		return ctl_usage_error(CMD, "needs USER/INDEX and PROJECT%s, or --file NAME",
				       need_version ? " VERSION" : " [VERSION]");
	if (ctl_pypi_index_arg(argv[optind], ra->user, ra->index) < 0)
		return 2;
	ra->project = ra->file ? NULL : argv[optind + 1];
	ra->version = n == 3 ? argv[optind + 2] : NULL;
	if ((ra->project && !pypi_project_ok(ra->project)) ||
	    (ra->version && !pypi_version_ok(ra->version)) ||
	    (ra->file && !pypi_filename_ok(ra->file)))
		return ctl_usage_error(CMD, "not a valid project name, version or file name");
	if (ra->reason && !ctl_field_ok("--reason", ra->reason, 0, 1000))
		return 2;
	return 0;
}

/* What ra names, for messages and the audit feed. */
static const char *release_what(struct arena *a, const struct release_args *ra)
{
	return arena_cat(a, ra->user, "/", ra->index, " ", ra->file ? ra->file : ra->project,
			 ra->version ? " " : "", ra->version ? ra->version : "", NULL);
}

static int yank_cmd(struct app *app, int argc, char **argv, int yank)
{
	struct release_args ra;
	struct pypi_index ix;
	struct nb_err e;
	struct arena a;
	const char *reason = yank ? "" : NULL, *what;
	int rc, n;

	if ((rc = release_args(argc, argv, &ra, 1)) != 0)
		return rc;
	if (yank && ra.reason)
		reason = ra.reason;
	arena_init(&a);
	what = release_what(&a, &ra);
	n = pypi_index_get(app, &a, ra.user, ra.index, &ix, &e);
	if (n == 0)
		n = ra.file ? pypi_ops_file_yank(app, ix.id, ra.file, reason, &e) :
		    pypi_version_yank(app, ix.id, pypi_normalize(&a, ra.project), ra.version,
				      reason, &e);
	if (n == 0)
		n = nb_fail(&e, NB_NOT_FOUND, "no such version or file on this index");
	rc = n < 0 ? ctl_fail(what, &e) : 0;
	if (!rc && ra.file)	/* no page templates here: pypi.fcgi rewrites them */
		pypi_static_reset(app);
	else if (!rc)
		pypi_static_project(app, NULL, ix.id, pypi_normalize(&a, ra.project));
	if (!rc) {
		printf("%s %s (%d file%s)\n", yank ? "yanked" : "unyanked", what, n, n == 1 ? "" : "s");
		ctl_audit(app, yank ? "pypi yank" : "pypi unyank", "%s", what);
	}
	arena_free(&a);
	return rc;
}

/* Deletes as DELETE /{user}/{index}/{project}[/{version}] does (?force: --force). */
static int delete_cmd(struct app *app, int argc, char **argv)
{
	struct release_args ra;
	struct pypi_index ix;
	struct nb_err e;
	struct arena a;
	const char *what;
	int rc, n;

	if ((rc = release_args(argc, argv, &ra, 0)) != 0)
		return rc;
	arena_init(&a);
	what = release_what(&a, &ra);
	n = pypi_index_get(app, &a, ra.user, ra.index, &ix, &e);
	if (n == 0 && !ix.volatile_ && !ra.force)
		n = nb_fail(&e, NB_FORBIDDEN, "the index is not volatile: add --force to delete");
	else if (n == 0 && ra.file && !(n = pypi_ops_file_del(app, ix.id, ra.file, &e)))
		n = nb_fail(&e, NB_NOT_FOUND, "no such file on this index");
	else if (n == 0 && !ra.file)
		n = pypi_release_del(app, &a, &ix, ra.project, ra.version, ra.force, &e);
	rc = n < 0 ? ctl_fail(what, &e) : 0;
	if (!rc && ra.file)	/* a release's pages went in pypi_release_del */
		pypi_static_reset(app);
	if (!rc) {
		printf("deleted %s (%d file%s; blobs go at the next gc)\n", what, n,
		       n == 1 ? "" : "s");
		ctl_audit(app, "pypi delete", "%s", what);
	}
	arena_free(&a);
	return rc;
}

/* The commands that open the store; argv[0] is the command's name. */
static int dispatch(struct app *app, int argc, char **argv)
{
	if (!strcmp(argv[0], "user"))
		return user_cmd(app, argc, argv);
	if (!strcmp(argv[0], "index"))
		return index_cmd(app, argc, argv);
	if (!strcmp(argv[0], "upload"))
		return upload_cmd(app, argc, argv);
	if (!strcmp(argv[0], "yank") || !strcmp(argv[0], "unyank"))
		return yank_cmd(app, argc, argv, !strcmp(argv[0], "yank"));
	return delete_cmd(app, argc, argv);
}

static const char *const commands[] = {
	"user", "index", "upload", "yank", "unyank", "delete", NULL
};

int ctl_cmd_pypi(int argc, char **argv)
{
	struct app app;
	int i, rc;

	if (argc < 2)
		return ctl_usage_error(CMD, "needs a command");
	if (!strcmp(argv[1], "export"))
		return ctl_cmd_pypi_export(argc - 1, argv + 1);
	if (!strcmp(argv[1], "import"))
		return ctl_cmd_pypi_import(argc - 1, argv + 1);
	for (i = 0; commands[i] && strcmp(commands[i], argv[1]); i++)
		;
	if (!commands[i])
		return ctl_usage_error(CMD, "unknown command '%s'", argv[1]);
	if (ctl_pypi_open(&app) < 0)
		return 1;
	rc = dispatch(&app, argc - 1, argv + 1);
	app_close(&app);
	return rc;
}
