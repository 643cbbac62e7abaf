/*
 * app.h - one nestbox program: configuration, store, blobs, request log,
 * and the FastCGI accept loop that drives a route table.
 *
 * The same binary answers as FastCGI (spawned by lighttpd or mod_fcgid)
 * or as a plain CGI program (one request from the environment and stdin).
 * Each request gets a fresh arena; nothing allocated for a request
 * outlives it.  Everything a process keeps between requests lives in
 * struct app, created once at start-up.
 */
#ifndef NB_APP_H
#define NB_APP_H

#include <stddef.h>

#include "blob.h"
#include "conf.h"
#include "db.h"
#include "http.h"
#include "reqlog.h"
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
	const char *const *steps;
	int nsteps;
};

struct app {
	const struct app_def *def;
	const char *program;
	struct conf *conf;
	struct db *db;
	struct blob_store blobs;
	struct reqlog log;
	char var_dir[4096];
	void *domain;		/* the domain's own per-process state */
	int hot_rows;		/* log.hot_rows: request-log rows for ROUTE_HOT too */
	struct http_body_limit body_limit;	/* server.body_timeout, body_min_rate */
};

/* Loads config, creates var/, opens the store and the blob store. */
int app_open(struct app *app, const char *program,
	     const struct app_store_spec *spec, char *err, size_t errlen);
void app_close(struct app *app);
/* Resolves a path key whose empty value means "<var_dir>/<dflt>". */
const char *app_path(struct app *app, const char *key, const char *dflt,
		     char *out, size_t n);

int app_main(const struct app_def *def, const struct app_store_spec *spec,
	     int argc, char **argv);
/* Answers an error in the program's format (text or JSON). */
void app_error(struct app *app, struct http_resp *w, int status, const char *msg);

#endif
