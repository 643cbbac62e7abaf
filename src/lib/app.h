/*
 * app.h - one nestbox program: configuration, store, blobs, and the
 * FastCGI accept loop that drives a route table.
 *
 * The same binary answers as FastCGI (spawned by lighttpd or mod_fcgid)
 * or as a plain CGI program (one request from the environment and stdin).
 * Each request gets a fresh arena; nothing allocated for a request
 * outlives it.  Everything a process keeps between requests lives in
 * struct app, created once at start-up.
 *
 * Settings are read once, at start-up, into typed structs: the library's
 * own (server.*, db.*, blob.*, log.*) into app->set by app_open; each
 * domain's into its own `struct <domain>_settings` from its init hook
 * (reading app->conf there, and never per request).
 *
 * Errors: a typed handler (route.h) returns -1 with a struct nb_err; the
 * program answers it with app_fail() in its format (APP_ERR_TEXT or
 * APP_ERR_JSON), the one place a kind becomes a status and a body.
 */
#ifndef NB_APP_H
#define NB_APP_H

#include <stddef.h>

#include "blob.h"
#include "conf.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "reqlog.h"	/* reqlog_now_ms, for the domains that stamp rows */
#include "route.h"

enum app_errfmt { APP_ERR_TEXT, APP_ERR_JSON };

struct app;

struct app_def {
	const char *program;
	const struct route *routes;
	int nroutes;
	enum app_errfmt errfmt;
	/* optional: domain set-up after the store is open */
	int (*init)(struct app *app, char *err, size_t errlen);
	/* also runs after a failed init: it must take a half-done one */
	void (*fini)(struct app *app);
	/* optional: runs after routing, before the handler (authentication);
	 * returns non-zero when it has answered the request itself */
	int (*before)(struct app *app, struct http_req *r, struct http_resp *w);
	/* give memory back after every request (for rare, heavy requests) */
	int trim;
	/* optional: runs when no request came for log.flush_ms (and at most
	 * that often while idle), to write what the domain batches */
	void (*idle)(struct app *app);
};

struct app_store_spec {
	const struct conf_key *keys;
	const char *const *steps;	/* SQLite's schema steps */
	int nsteps;
	const char *const *pg_steps;	/* PostgreSQL's, same versions */
	int pg_nsteps;
};

/* The library's settings (etc/nestbox.yaml documents each key). */
struct app_settings {
	char var_dir[4096];		/* server.var_dir */
	char base_url[512];		/* server.base_url; "" from the request */
	int xsendfile;			/* server.xsendfile */
	size_t max_body;		/* server.max_body, bytes */
	struct http_body_limit body_limit;	/* server.body_timeout, body_min_rate */
	char db_path[4096];		/* db.url, else db.path resolved in var_dir */
	int busy_timeout_ms;		/* db.busy_timeout_ms */
	char blob_dir[4096];		/* blob.dir, resolved in var_dir when empty */
	int log_flush_every;		/* log.flush_every, rows */
	long log_flush_ms;		/* log.flush_ms */
	long long log_max_rows;		/* log.max_rows */
	int log_hot_rows;		/* log.hot_rows */
	int log_to_stderr;		/* log.requests_to_stderr */
};

/* Fills s from a loaded configuration (only declared keys are read). */
void app_settings_read(const struct conf *c, struct app_settings *s);

struct app {
	const struct app_def *def;
	const char *program;
	struct conf *conf;
	struct db *db;
	struct blob_store blobs;
	char var_dir[4096];	/* = set.var_dir (kept: many callers) */
	struct app_settings set;
	void *domain;		/* the domain's own per-process state and settings */
};

/*
 * Opens the store the settings name (db.url's PostgreSQL, else db.path's
 * SQLite file) with spec's schema steps for that backend; 0 or -1 with err.
 */
int app_store_open(const struct app_settings *s, const struct app_store_spec *spec,
		   struct db **out, char *err, size_t errlen);
/* Loads config, creates var/, opens the store and the blob store. */
int app_open(struct app *app, const char *program,
	     const struct app_store_spec *spec, char *err, size_t errlen);
void app_close(struct app *app);
/* Resolves a path key whose empty value means "<var_dir>/<dflt>".  For
 * code not yet converted: a domain resolves its paths once in its
 * settings (mkbox_settings_read); to be deleted after the conversion. */
const char *app_path(struct app *app, const char *key, const char *dflt,
		     char *out, size_t n);

int app_main(const struct app_def *def, const struct app_store_spec *spec,
	     int argc, char **argv);
/* Answers an error in the program's format (text or JSON). */
void app_error(struct app *app, struct http_resp *w, int status, const char *msg);
/* Answers an error value: nb_err_status(e->kind) and e->msg, in the
 * program's format.  The one mapping of an error kind to an answer. */
void app_fail(struct app *app, struct http_resp *w, const struct nb_err *e);

#endif
