/*
 * nestboxctl init and config, and what every other command shares:
 * opening the installation's store (never creating one) and refusing a
 * value that its field cannot hold.
 */
#include "ctl.h"
#include "../lib/fs.h"
#include "../lib/req.h"
#include "../mkbox/mkbox.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where the configuration came from, for messages. */
static const char *conf_origin(const struct conf *c)
{
	return *conf_file(c) ? conf_file(c) :
	       "no configuration file found ($NESTBOX_CONFIG unset, no "
	       "/etc/nestbox/nestbox.yaml, no ./etc/nestbox.yaml)";
}


/*
 * Only `nestboxctl init` creates a store: a command run in the wrong
 * directory or with the wrong configuration must not report success into
 * a new, empty store that the server never reads.
 */
int ctl_open(struct app *app)
{
	/* the store's path found exactly as the programs find it (app.h) */
	struct app_settings *s = malloc(sizeof(*s));
	const char *dbp = s ? s->db_path : "";
	struct nb_err e;
	struct conf *conf;

	if (!s || conf_load(core_spec.keys, &conf, &e) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", s ? e.msg : "out of memory");
		free(s);
		return -1;
	}
	app_settings_read(conf, s);
	/* a PostgreSQL store is made by its operator: db_open applies the schema */
	if (!db_is_url(dbp) && access(dbp, F_OK) != 0) {
		fprintf(stderr, "nestboxctl: no store at %s (configuration: %s);\n"
			"  `nestboxctl init` creates one, or set NESTBOX_CONFIG to the server's "
			"configuration\n", dbp, conf_origin(conf));
		conf_free(conf);
		free(s);
		return -1;
	}
	conf_free(conf);
	free(s);
	return ctl_create(app);
}

int ctl_create(struct app *app)
{
	struct nb_err e;

	if (app_open(app, "nestboxctl", &core_spec, &e) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", e.msg);
		return -1;
	}
	return 0;
}

int ctl_field_ok(const char *option, const char *value, size_t min, size_t max)
{
	size_t n = strlen(value);

	if (n >= min && n <= max)
		return 1;
	if (min)
		fprintf(stderr, "nestboxctl: %s is %zu to %zu bytes (this one has %zu)\n", option,
			min, max, n);
	else
		fprintf(stderr, "nestboxctl: %s is at most %zu bytes (this one has %zu)\n", option,
			max, n);
	return 0;
}

int ctl_text_ok(const char *option, const char *value, size_t min, size_t max)
{
	const struct req_field f = { option + 2, REQ_FORM, req_v_text, 0, max, NULL };
	struct req_value v;
	struct nb_err e;

	if (!ctl_field_ok(option, value, min, max))
		return 0;
	if (req_v_text(NULL, &f, value, &v, &e) == 0)
		return 1;
	fprintf(stderr, "nestboxctl: invalid %s: no control characters (a tab, a newline), as on"
		" the web forms\n", f.name);
	return 0;
}

int ctl_cmd_init(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	struct app app;
	struct mkbox_settings ms;

	optind = 1;
	if (ctl_getopt("init", argc, argv, none) != -1 ||
	    ctl_operands("init", argc, argv, 0, 0, "") < 0)
		return 2;
	if (ctl_create(&app) < 0)
		return 1;
	mkbox_settings_read(&app, &ms);
	if (fs_mkdirs(ms.image_path, 0755) < 0) {
		perror(ms.image_path);
		app_close(&app);
		return 1;
	}
	printf("nestbox: state in %s\n  config:   %s\n  database: %s (schema %d)\n"
	       "  blobs:    %s\n  images:   %s\n", app.set.var_dir,
	       *conf_file(app.conf) ? conf_file(app.conf) : "(none found, defaults)",
	       db_is_pg(app.db) ? "PostgreSQL (db.url)" : app.set.db_path,
	       db_version(app.db), app.blobs.dir, ms.image_path);
	app_close(&app);
	return 0;
}

/* Reads only the configuration: showing it needs no store. */
int ctl_cmd_config(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	const char *name, *value;
	struct conf *conf;
	struct nb_err e;
	int i, secret;

	optind = 1;
	if (ctl_getopt("config", argc, argv, none) != -1 ||
	    ctl_operands("config", argc, argv, 0, 0, "") < 0)
		return 2;
	if (conf_load(core_spec.keys, &conf, &e) < 0) {
		fprintf(stderr, "nestboxctl: %s\n", e.msg);
		return 1;
	}
	printf("# %s\n", *conf_file(conf) ? conf_file(conf) : "(no file: defaults)");
	for (i = 0; conf_entry(conf, i, &name, &value, &secret); i++)
		printf("%s = %s\n", name, secret && *value ? "********" : value);
	conf_free(conf);
	return 0;
}

/* -- nestboxctl store migrate --to postgresql://… ---------------------------- */

/* Tables left out of a copy: derived, rebuilt on the target. */
static int derived_table(const char *t)
{
	/* kept by ddi_devices' triggers as the devices go in; SQLite's FTS5 index */
	return !strcmp(t, "ddi_device_counts") || !strncmp(t, "request_log_path", 16) ||
	       !strncmp(t, "sqlite_", 7);
}

#define MIGRATE_TABLES 64

struct mig {
	struct db *src, *dst;
	char *names[MIGRATE_TABLES];
	int n;
	long long rows;
};

static const char sql_src_tables[] =
	"SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid";
static const char sql_src_parents[] =
	"SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)";
static const char sql_src_columns[] = "SELECT name FROM pragma_table_info(?) ORDER BY cid";

/* The source's tables to copy, in its catalogue's order. */
static int mig_tables(struct mig *m)
{
	struct db_stmt *st = db_stmt(m->src, sql_src_tables);
	int rc;

	if (!st)
		return -1;
	while ((rc = db_step(st)) == DB_ROW && m->n < MIGRATE_TABLES) {
		const char *t = (const char *)db_column_text(st, 0);
		if (!derived_table(t) && !(m->names[m->n++] = strdup(t)))
			rc = DB_ERROR;
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/* 1 when every table t references (but itself) is among the first `done`,
 * 0 when one is not; -1 when the catalogue cannot be read (a failed step
 * is no "every parent is there"). */
static int parents_done(struct mig *m, const char *t, int done)
{
	struct db_stmt *st = db_stmt(m->src, sql_src_parents);
	int ok = 1, i, found, rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, t, -1, DB_STATIC);
	while (ok && (rc = db_step(st)) == DB_ROW) {
		const char *p = (const char *)db_column_text(st, 0);
		for (i = found = 0; i < done; i++)
			found |= !strcmp(m->names[i], p);
		ok = found || !strcmp(p, t);
	}
	if (db_reset(st) != DB_OK || (ok && rc != DB_DONE))
		return -1;
	return ok;
}

/* Orders the tables so each comes after the ones its foreign keys name. */
static int mig_order(struct mig *m)
{
	int done = 0, i;

	while (done < m->n) {
		int rc = 0;
		for (i = done; i < m->n && !(rc = parents_done(m, m->names[i], done)); i++)
			;
		if (rc < 0 || i == m->n)
			return -1;	/* unreadable, or a cycle: not in this schema */
		char *t = m->names[i];
		memmove(&m->names[done + 1], &m->names[done], (i - done) * sizeof(char *));
		m->names[done++] = t;
	}
	return 0;
}

/*
 * "SELECT a, b FROM t" and "INSERT INTO t(a, b) VALUES(?, ?)"; the column
 * count or -1; *has_id when t has an id column (an identity on the target).
 */
static int mig_sql(struct mig *m, const char *t, char *sel, char *ins, size_t n, int *has_id)
{
	struct db_stmt *st = db_stmt(m->src, sql_src_columns);
	char cols[4096] = "", qs[1024] = "";
	size_t cl = 0, ql = 0;
	int k = 0;

	*has_id = 0;
	if (!st)
		return -1;
	db_bind_text(st, 1, t, -1, DB_STATIC);
	while (db_step(st) == DB_ROW && cl < sizeof(cols) - 80 && ql < sizeof(qs) - 4) {
		*has_id |= !strcmp((const char *)db_column_text(st, 0), "id");
		/* quoted: "user" is a reserved word in PostgreSQL */
		cl += snprintf(cols + cl, sizeof(cols) - cl, "%s\"%s\"", k ? ", " : "",
			       (const char *)db_column_text(st, 0));
		ql += snprintf(qs + ql, sizeof(qs) - ql, "%s?", k ? ", " : "");
		k++;
	}
	if (db_reset(st) != DB_OK)
		return -1;	/* a failed step is no table with fewer columns */
	snprintf(sel, n, "SELECT %s FROM \"%s\"", cols, t);
	snprintf(ins, n, "INSERT INTO \"%s\"(%s) VALUES(%s)", t, cols, qs);
	return k;
}

static void mig_bind(struct db_stmt *from, struct db_stmt *to, int i)
{
	switch (db_column_type(from, i)) {
	case DB_NULL:
		db_bind_null(to, i + 1);
		break;
	case DB_INTEGER:
		db_bind_int64(to, i + 1, db_column_int64(from, i));
		break;
	case DB_BLOB:
		db_bind_blob(to, i + 1, db_column_blob(from, i), db_column_bytes(from, i),
			     DB_STATIC);
		break;
	default:
		db_bind_text(to, i + 1, (const char *)db_column_text(from, i),
			     db_column_bytes(from, i), DB_STATIC);
	}
}

/* Copies table t row by row; its identity sequence then continues past the ids. */
static int mig_copy(struct mig *m, const char *t)
{
	char sel[8192], ins[8192], seq[512];
	struct db_stmt *from, *to;
	int has_id, ncol = mig_sql(m, t, sel, ins, sizeof(sel), &has_id), rc = DB_DONE, i;

	if (ncol <= 0 || !(from = db_prepare(m->src, sel)))
		return -1;
	if (!(to = db_prepare(m->dst, ins))) {
		db_finalize(from);
		return -1;
	}
	while (rc == DB_DONE && db_step(from) == DB_ROW) {
		for (i = 0; i < ncol; i++)
			mig_bind(from, to, i);
		rc = db_step(to);
		db_reset(to);
		m->rows++;
	}
	db_finalize(from);
	db_finalize(to);
	if (rc != DB_DONE) {
		fprintf(stderr, "nestboxctl: store migrate: %s: %s\n", t, db_errmsg(m->dst));
		return -1;
	}
	if (!has_id)
		return 0;
	/* pg_get_serial_sequence is NULL for an id that is no identity: setval skips it */
	snprintf(seq, sizeof(seq), "SELECT setval(pg_get_serial_sequence('\"%s\"', 'id'),"
		 " (SELECT coalesce(max(id), 0) + 1 FROM \"%s\"), false)", t, t);
	if (!(to = db_prepare(m->dst, seq)))
		return -1;
	while ((rc = db_step(to)) == DB_ROW)
		;
	db_finalize(to);
	return rc == DB_DONE ? 0 : -1;
}

/* 1 when the target holds rows in any table to copy (it must be new), 0
 * when none does, -1 when it cannot be read (not taken for "holds data"). */
static int mig_target_used(struct mig *m)
{
	char sql[256];
	struct db_stmt *st;
	int i, rc = DB_DONE;

	for (i = 0; i < m->n && rc == DB_DONE; i++) {
		snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\" LIMIT 1", m->names[i]);
		if (!(st = db_prepare(m->dst, sql)))
			return -1;
		rc = db_step(st);
		db_finalize(st);
	}
	return rc == DB_DONE ? 0 : rc == DB_ROW ? 1 : -1;
}

/*
 * Every table, read in one snapshot of the SQLite store (it may be
 * running), written in one transaction on the target: all or nothing.
 */
static int mig_run(struct mig *m)
{
	int i, used;

	if (mig_tables(m) < 0 || mig_order(m) < 0) {
		fprintf(stderr, "nestboxctl: store migrate: cannot read the store (the SQLite "
			"catalogue): %s\n", db_errmsg(m->src));
		return 1;
	}
	if ((used = mig_target_used(m)) < 0) {
		fprintf(stderr, "nestboxctl: store migrate: cannot read the target store: %s\n",
			db_errmsg(m->dst));
		return 1;
	}
	if (used) {
		fprintf(stderr, "nestboxctl: store migrate: the target already holds data;"
			" migrate into a new, empty database\n");
		return 1;
	}
	if (db_read_begin(m->src) < 0 || db_begin(m->dst) < 0) {
		fprintf(stderr, "nestboxctl: store migrate: %s\n", db_errmsg(m->dst));
		return 1;
	}
	for (i = 0; i < m->n; i++)
		if (mig_copy(m, m->names[i]) < 0) {
			db_rollback(m->dst);
			db_read_end(m->src);
			fprintf(stderr, "nestboxctl: store migrate: nothing copied\n");
			return 1;
		}
	db_read_end(m->src);
	if (db_commit(m->dst) < 0) {
		fprintf(stderr, "nestboxctl: store migrate: commit: %s\n", db_errmsg(m->dst));
		return 1;
	}
	printf("nestbox: copied %lld rows of %d tables to PostgreSQL\n", m->rows, m->n);
	return 0;
}

int ctl_cmd_store_migrate(int argc, char **argv)
{
	const char *to;
	struct mig m = { 0 };
	struct app app;
	struct nb_err e;
	int rc;

	if (ctl_to_option("store migrate", argc, argv, &to))
		return 2;
	if (!to || !db_is_url(to))
		return ctl_usage_error("store migrate", "--to needs a postgresql:// URL");
	if (ctl_open(&app) < 0)
		return 1;
	if (db_is_pg(app.db)) {
		fprintf(stderr, "nestboxctl: store migrate: this store is already PostgreSQL\n");
		app_close(&app);
		return 1;
	}
	if (db_open(to, app.set.busy_timeout_ms, core_spec.pg_steps, core_spec.pg_nsteps,
		    &m.dst, &e) < 0) {
		fprintf(stderr, "nestboxctl: store migrate: %s\n", e.msg);
		app_close(&app);
		return 1;
	}
	m.src = app.db;
	rc = mig_run(&m);
	while (m.n)
		free(m.names[--m.n]);
	db_close(m.dst);
	app_close(&app);
	return rc;
}
