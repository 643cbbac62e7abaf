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

#include <signal.h>
#include <stddef.h>

#include "blob.h"
#include "conf.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "clock.h"	/* clock_now_ms, for the domains that stamp rows */
#include "route.h"

enum app_errfmt { APP_ERR_TEXT, APP_ERR_JSON };

struct app;

struct app_def {
	const char *program;
	const struct route *routes;
	int nroutes;
	enum app_errfmt errfmt;
	/* optional: domain set-up after the store is open; 0, or -1 with e */
	int (*init)(struct app *app, struct nb_err *e);
	/* also runs after a failed init: it must take a half-done one */
	void (*fini)(struct app *app);
	/* optional: runs after routing, before the handler (authentication).
	 * Returns 0 to run the handler, 1 when it has answered the request
	 * itself (a redirect, a page of the program's), or -1 with e: app.c
	 * answers e (app_fail's status and body) and keeps the headers the
	 * hook set on w before it returned -- how a 401 carries its
	 * WWW-Authenticate and a 429 or 503 its Retry-After */
	int (*before)(struct app *app, struct http_req *r, struct http_resp *w,
		      struct nb_err *e);
	/* give memory back after every request (for rare, heavy requests) */
	int trim;
	/* optional: runs when no request came for log.flush_ms (and at most
	 * that often while idle), to write what the domain batches */
	void (*idle)(struct app *app);
	/* optional: the requests under this path prefix ("/admin/api/") answer
	 * every error in JSON whatever errfmt says -- the router's 400, 404
	 * and 405 too, which come before any handler could choose */
	const char *json_prefix;
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
	struct blob_settings blob;	/* blob.backend, blob.s3_* */
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
	struct app_settings set;
	void *domain;		/* the domain's own per-process state and settings */
	/* optional, set by the domain's init: runs once a refusal of the
	 * router's (a declared input's 400, a 405) is in w, so the program
	 * can still name who asked for the access log (the admin's user) */
	void (*refused)(struct app *app, struct http_req *r, struct http_resp *w);
	/* optional, set by the domain's init: the program's own error body
	 * (ota.fcgi's is GitHub's shape), written with status (nb_err_status
	 * of kind: app.c maps, the writer only words) in place of
	 * `{"error": msg}` or `msg\n`; every error of the program goes
	 * through it, the router's refusals too */
	void (*fail_write)(struct http_resp *w, int status, enum nb_errkind kind, const char *msg);
};

/* 1 when the program's errors for r are JSON (its format, or r's path is
 * under its json_prefix), as the router's refusals are answered. */
int app_wants_json(const struct app *app, const struct http_req *r);

/*
 * Opens the store the settings name (db.url's PostgreSQL, else db.path's
 * SQLite file) with spec's schema steps for that backend; 0 or -1 with e
 * (as db_open).
 */
int app_store_open(const struct app_settings *s, const struct app_store_spec *spec,
		   struct db **out, struct nb_err *e);
/* Loads config, creates var/, opens the store and the blob store; 0, or
 * -1 with e (the configuration's file, line and key; a path that cannot
 * be made; the store's error). */
int app_open(struct app *app, const char *program,
	     const struct app_store_spec *spec, struct nb_err *e);
void app_close(struct app *app);
/*
 * For a process its front end starts once and never again (the access-log
 * writer, the image watcher, the mip keeper): after a failed app_open or
 * app_store_open with e, 1 when it is worth trying again — the store was
 * busy or unreachable (NB_UNAVAILABLE: another writer migrating it, the
 * database not up yet) and *stop is not set — once 100 ms have passed;
 * else 0.  The first retry is said on stderr ("nestbox[program]: ...:
 * trying again"), counted in *said (0 before the first call).  Giving up
 * would leave the front end's whole run without that process.
 */
int app_try_again(const char *program, int *said, volatile sig_atomic_t *stop,
		  const struct nb_err *e);

int app_main(const struct app_def *def, const struct app_store_spec *spec,
	     int argc, char **argv);
/*
 * Answers an error value: nb_err_status(e->kind) and e->msg, in the
 * format of r's path (JSON under def->json_prefix, else the program's
 * errfmt: `{"error": msg}` or `msg\n`); r NULL: the program's format.
 * The one mapping of an error kind to an answer.
 */
void app_fail(struct app *app, const struct http_req *r, struct http_resp *w,
	      const struct nb_err *e);

#endif
