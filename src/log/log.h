/*
 * log.h - the observability endpoints: /log/echo shows a device's request
 * as the server saw it, /metrics is Prometheus text over every program's
 * request counters, /healthz checks the store and the directories.
 */
#ifndef NB_LOG_H
#define NB_LOG_H

#include "../lib/app.h"

void log_echo(struct app *app, struct http_req *r, struct http_resp *w);
void log_metrics(struct app *app, struct http_req *r, struct http_resp *w);
void log_healthz(struct app *app, struct http_req *r, struct http_resp *w);
/* Renders the metrics text into b (used by the handler and tests). */
int log_metrics_render(struct db *db, struct buf *b);

#endif
