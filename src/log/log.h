/*
 * log.h - the observability endpoints: /log/echo shows a device's request
 * as the server saw it, /metrics is Prometheus text over every program's
 * request counters, /healthz checks the store and the directories.
 */
#ifndef NB_LOG_H
#define NB_LOG_H

#include <limits.h>

#include "../lib/app.h"

/* What log.fcgi reads of the configuration, once at start (app->domain).
 * It shows other domains' state, so it reads their keys too. */
struct log_settings {
	char image_path[PATH_MAX];	/* mkbox.image_path, resolved */
	char mpy_cross[PATH_MAX];	/* mip.mpy_cross */
	int mip_opt;			/* mip.opt */
	long long self_register_max;	/* ddi.self_register_max */
	long long self_register_per_hour;	/* ddi.self_register_per_hour */
};

void log_settings_read(const struct app *app, struct log_settings *s);
/* log.fcgi's state, made and freed (log_state.c) */
int log_init(struct app *app, struct nb_err *e);
void log_fini(struct app *app);

/* Typed handlers (route.h), routes in src/cgi/log.fcgi.c. */
/* any method, /log/echo[/<rest>]: NB_TOO_LARGE over server.max_body */
int log_echo(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* GET /metrics: NB_UNAVAILABLE when the store is busy */
int log_metrics(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* GET /healthz: 200 or 503 with the checks as JSON (an answer, not an error) */
int log_healthz(struct app *app, struct http_req *r, struct http_resp *w, struct nb_err *e);
/* Renders the metrics text into b (used by the handler and tests). */
int log_metrics_render(struct db *db, struct buf *b);

#endif
