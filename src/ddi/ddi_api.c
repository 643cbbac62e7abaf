/*
 * The device-facing hawkBit DDI API under /{tenant}/controller/v1/{id}.
 * Every request is authenticated in ddi_before(); a poll with nothing new
 * reads the store and writes nothing (last_seen is coalesced to a minute).
 */
#include "ddi_api.h"
#include "../lib/auth.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>


/* hawkBit's sleep format, HH:MM:SS (minutes and seconds below 60) */
static int sleep_ok(const char *t)
{
	int i;

	for (i = 0; i < 8; i++)
		if (i % 3 == 2 ? t[i] != ':' : (t[i] < '0' || t[i] > '9'))
			return 0;
	return t[8] == '\0' && t[3] < '6' && t[6] < '6';
}

/* Every tenant of the comma-separated list fits the registry's column. */
static int tenants_ok(const char *list)
{
	const char *p = list;

	if (!*p)
		return 1;	/* no tenant: every device request is a 404 */
	for (;;) {
		size_t l = strcspn(p, ",");
		if (l == 0 || l > DDI_FEED_MAX)
			return 0;
		if (!p[l])
			return 1;
		p += l + 1;
	}
}

int ddi_init(struct app *app, char *err, size_t errlen)
{
	struct ddi *d = calloc(1, sizeof(*d));
	const char *mode = conf_str(app->conf, "ddi.auth_mode");

	if (!d)
		return -1;
	if (strcmp(mode, "setup") && strcmp(mode, "lax") && strcmp(mode, "strict")) {
		snprintf(err, errlen, "ddi.auth_mode must be setup, lax or strict, not '%s'", mode);
		free(d);
		return -1;
	}
	snprintf(d->mode, sizeof(d->mode), "%s", mode);
	if (!sleep_ok(conf_str(app->conf, "ddi.poll_time"))) {
		snprintf(err, errlen, "ddi.poll_time must be HH:MM:SS, not '%s'",
			 conf_str(app->conf, "ddi.poll_time"));
		free(d);
		return -1;
	}
	snprintf(d->poll_time, sizeof(d->poll_time), "%s", conf_str(app->conf, "ddi.poll_time"));
	if (!tenants_ok(conf_str(app->conf, "ddi.tenants"))) {
		snprintf(err, errlen, "ddi.tenants: each tenant is 1 to %d bytes", DDI_FEED_MAX);
		free(d);
		return -1;
	}
	d->confirm = conf_bool(app->conf, "ddi.confirmation_required");
	d->max_running = (long)conf_int(app->conf, "ddi.max_concurrent_updates");
	d->self.max = conf_int(app->conf, "ddi.self_register_max");
	d->self.per_hour = conf_int(app->conf, "ddi.self_register_per_hour");
	app->domain = d;
	return 0;
}

void ddi_fini(struct app *app)
{
	struct ddi *d = app->domain;

	if (d)
		ddi_seen_flush(app, &d->seen);
	free(app->domain);
	app->domain = NULL;
}

static int tenant_ok(struct app *app, const char *t)
{
	const char *list = conf_str(app->conf, "ddi.tenants"), *p = list;
	size_t n = strlen(t);

	while (*p) {
		const char *end = strchr(p, ',');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		if (l == n && !strncmp(p, t, n))
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

/* 401 that says nothing about why: no hint whether the device exists. */
static int refuse(struct app *app, struct http_resp *w)
{
	app_error(app, w, 401, "unauthorized");
	return 1;
}

/*
 * A device registering itself in setup or lax mode, within the operator's
 * limits; a refusal is answered (403 at the cap, 429 past the hourly rate:
 * both counted by status in /metrics) and written to the error log.
 */
static int self_register(struct app *app, struct http_resp *w, const char *tenant,
			 const char *cid, const char *th)
{
	struct ddi *d = app->domain;
	int rc = ddi_device_register(app, tenant, cid, th, DDI_BY_SELF, &d->self);

	if (rc == DDI_SELF_CAP || rc == DDI_SELF_RATE) {
		fprintf(stderr, "nestbox[%s]: self-registration of %s/%s refused: %s (%lld)\n",
			app->program, tenant, cid, rc == DDI_SELF_CAP ? "ddi.self_register_max" :
			"ddi.self_register_per_hour", rc == DDI_SELF_CAP ? d->self.max :
			d->self.per_hour);
		app_error(app, w, rc == DDI_SELF_CAP ? 403 : 429, rc == DDI_SELF_CAP ?
			  "self-registration is closed: ddi.self_register_max devices registered"
			  " themselves" : "too many devices registered themselves this hour");
		if (rc == DDI_SELF_RATE)
			http_set_header(w, "Retry-After", "3600");
		return 1;
	}
	return 0;
}

/*
 * Who may speak for controller id cid: a device with a token must send
 * it; strict mode knows only registered devices; setup mode registers an
 * unknown device with the first TargetToken it sends, and keeps only the
 * tokens of devices it registers itself: a device without a token (added
 * so by an operator, registered in lax mode or by the GatewayToken) is
 * taken as in lax mode, its token never set by whoever polls first.
 */
int ddi_before(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi *d = app->domain;
	const char *tenant = http_param(r, "tenant"), *cid = http_param(r, "id");
	const char *auth = http_header(r, "Authorization"), *gw = conf_str(app->conf, "ddi.gateway_token");
	const char *target = NULL;
	char th[HASH_HEX_MAX] = "";
	int known;

	ddi_seen_tick(app, &d->seen);
	/* a GET reads device, action and software from one snapshot (app.c ends it) */
	if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))
		db_read_begin(app->db);
	if (!tenant_ok(app, tenant)) {
		app_error(app, w, 404, "unknown tenant");
		return 1;
	}
	if (!ddi_controller_id_ok(cid)) {
		app_error(app, w, 400, "bad controller id");
		return 1;
	}
	if (auth && !strncasecmp(auth, "TargetToken ", 12) && auth[12])
		target = auth + 12;
	known = ddi_device_get(app, tenant, cid, &d->dev) == 0;
	if (auth && !strncasecmp(auth, "GatewayToken ", 13) && *gw && auth_equal(auth + 13, gw)) {
		if (known)
			return 0;
		/* a lost race with another process adding it too: its row is read */
		db_read_end(app->db);
		ddi_device_register(app, tenant, cid, "", DDI_BY_GATEWAY, NULL);
		return ddi_device_get(app, tenant, cid, &d->dev) < 0 ? refuse(app, w) : 0;
	}
	if (target)
		auth_token_hash(target, th);
	if (known && d->dev.token_hash[0])
		return target && auth_equal(th, d->dev.token_hash) ? 0 : refuse(app, w);
	if (!strcmp(d->mode, "strict"))
		return refuse(app, w);
	if (!strcmp(d->mode, "setup") && !target)
		return refuse(app, w);
	if (known)
		return 0;
	db_read_end(app->db);	/* the write below leaves the snapshot */
	if (self_register(app, w, tenant, cid, th))
		return 1;
	/* what is stored now decides: another process may have registered it first */
	if (ddi_device_get(app, tenant, cid, &d->dev) < 0)
		return refuse(app, w);
	if (d->dev.token_hash[0] && !(target && auth_equal(th, d->dev.token_hash)))
		return refuse(app, w);
	return 0;
}

static const char *base(struct app *app, struct http_req *r)
{
	const char *b = conf_str(app->conf, "server.base_url"), *host = http_header(r, "Host");
	const char *https = http_env(r, "HTTPS");

	if (*b)
		return b;
	return arena_cat(r->a, https && !strcmp(https, "on") ? "https://" : "http://",
			 host ? host : "localhost", NULL);
}

const char *ddi_device_url(struct app *app, struct http_req *r)
{
	return arena_cat(r->a, base(app, r), "/", http_param(r, "tenant"), "/controller/v1/",
			 http_param(r, "id"), NULL);
}

void ddi_json_out(struct http_resp *w, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	http_bytes(w, status, "application/hal+json", s, strlen(s));
	cJSON_free(s);
	cJSON_Delete(o);
}

void ddi_link(cJSON *links, const char *rel, const char *href)
{
	cJSON_AddStringToObject(cJSON_AddObjectToObject(links, rel), "href", href);
}

static int same_group(const struct ddi_cand_entry *e, const struct ddi_device *dev)
{
	int rollout = !strcmp(dev->mode, "rollout"), assigned = !strcmp(dev->mode, "assigned");

	return e->used && !strcmp(e->mode, dev->mode) && !strcmp(e->board, dev->hw_model) &&
	       !strcmp(e->revision, dev->hw_revision) &&
	       (!rollout || !strcmp(e->feed, dev->feed)) && (!assigned || e->assigned == dev->assigned);
}

/* ddi_candidate_find through the per-process cache; -1 when none. */
static int candidate(struct app *app, struct ddi *d, const struct ddi_device *dev,
		     struct ddi_candidate *c)
{
	unsigned v = db_data_version(app->db);
	struct ddi_cand_entry *e = NULL;
	int i;

	for (i = 0; i < DDI_CAND_CACHE && !e; i++)
		if (same_group(&d->cand[i], dev) && d->cand[i].version == v)
			e = &d->cand[i];
	if (!e) {
		e = &d->cand[d->cand_next];
		d->cand_next = (d->cand_next + 1) % DDI_CAND_CACHE;
		memset(e, 0, sizeof(*e));
		e->found = ddi_candidate_lookup(app, dev, &e->c) == 0;
		e->version = v;
		e->assigned = dev->assigned;
		snprintf(e->mode, sizeof(e->mode), "%s", dev->mode);
		snprintf(e->feed, sizeof(e->feed), "%s", dev->feed);
		snprintf(e->board, sizeof(e->board), "%s", dev->hw_model);
		snprintf(e->revision, sizeof(e->revision), "%s", dev->hw_revision);
		e->used = 1;
	}
	if (!e->found)
		return -1;
	*c = e->c;
	if (strcmp(c->version, dev->sw_version))
		c->failed_before = ddi_failed_before(app, dev->id, c->software_id);
	c->canceled = dev->held > 0 && dev->held == c->software_id;
	return 0;
}

/* What the device should be offered now (the decision table in ddi_decide.c). */
static enum ddi_verdict decide(struct app *app, struct ddi *d, const struct ddi_device *dev,
			       struct ddi_candidate *c)
{
	struct ddi_decide_in in = { dev->mode, dev->sw_version, dev->tenant, dev->cid,
				    dev->has_attrs, dev->force, NULL, 0, d->max_running };

	if (dev->has_attrs && strcmp(dev->mode, "pinned") && candidate(app, d, dev, c) == 0)
		in.cand = c;
	/* counted only when it could matter: a steady-state poll skips it */
	if (in.max_running > 0 && in.cand && (dev->force || strcmp(c->version, dev->sw_version)))
		in.running = ddi_running_count(app);
	return ddi_decide(&in);
}

/* The same decision without the cache, for a write transaction's re-check. */
static enum ddi_verdict decide_fresh(struct app *app, struct ddi *d, const struct ddi_device *dev,
				     struct ddi_candidate *c)
{
	struct ddi_decide_in in = { dev->mode, dev->sw_version, dev->tenant, dev->cid,
				    dev->has_attrs, dev->force, NULL, 0, d->max_running };

	if (dev->has_attrs && strcmp(dev->mode, "pinned") && ddi_candidate_find(app, dev, c) == 0)
		in.cand = c;
	if (in.max_running > 0 && in.cand)
		in.running = ddi_running_count(app);
	return ddi_decide(&in);
}

static int is_open(const struct ddi_action *a)
{
	return a->id > 0 && (!strcmp(a->status, "waiting") || !strcmp(a->status, "running") ||
			     !strcmp(a->status, "canceling"));
}

/*
 * A new action; it waits for the device's consent when the flow is on.
 * The decision is taken again inside the write transaction, from what is
 * committed now: another process may have opened an action for this
 * device, filled the last max_concurrent_updates slot, or an operator may
 * have paused or staged the rollout or pinned the device meanwhile.
 */
static void offer(struct app *app, struct ddi *d, const struct ddi_candidate *c,
		  struct ddi_action *a)
{
	struct ddi_candidate again;
	struct ddi_device now;
	int wait = d->confirm && !d->dev.auto_confirm;

	a->id = 0;
	if (db_begin(app->db) < 0)
		return;		/* busy: the next poll offers it */
	if (ddi_device_get(app, d->dev.tenant, d->dev.cid, &now) < 0 || is_open(&now.last) ||
	    decide_fresh(app, d, &now, &again) != DDI_OFFER ||
	    again.software_id != c->software_id || again.rollout_id != c->rollout_id) {
		db_commit(app->db);
		return;
	}
	a->id = ddi_action_create(app, now.id, c->software_id, c->rollout_id,
				  wait ? "waiting" : "running");
	a->software_id = c->software_id;
	snprintf(a->status, sizeof(a->status), "%s", wait ? "waiting" : "running");
	if (a->id <= 0 || ddi_device_set_version(app, now.id, NULL, a->status) < 0 ||
	    db_commit(app->db) < 0) {
		db_rollback(app->db);
		a->id = 0;
	}
}

/* One {"rel": {"href": "…"}} member of _links. */
static void poll_link(struct buf *b, int *first, const char *rel, const char *href)
{
	if (!*first)
		buf_addc(b, ',');
	*first = 0;
	buf_add_jstr(b, rel);
	buf_adds(b, ":{\"href\":");
	buf_add_jstr(b, href);
	buf_addc(b, '}');
}

/*
 * The poll: a fixed shape written straight into the answer (it is the
 * request a fleet sends all day; a cJSON tree cost more than the rest).
 */
void ddi_poll(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	struct ddi_candidate c;
	enum ddi_verdict verdict;
	struct buf *b = &w->body;
	const char *url = ddi_device_url(app, r), *id, *sw;
	int first = 1;

	ddi_seen_queue(app, &d->seen, &d->dev, r->remote_addr);
	/* the newest action came with the device, in ddi_before's snapshot */
	a = d->dev.last;
	verdict = is_open(&a) ? DDI_UP_TO_DATE : decide(app, d, &d->dev, &c);
	db_read_end(app->db);
	w->status = 200;
	http_set_header(w, "Content-Type", "application/hal+json");
	w->body.len = 0;
	buf_adds(b, "{\"config\":{\"polling\":{\"sleep\":");
	buf_add_jstr(b, d->poll_time);
	buf_adds(b, "}},\"_links\":{");
	if (!d->dev.has_attrs)
		poll_link(b, &first, "configData", arena_cat(r->a, url, "/configData", NULL));
	if (a.id > 0 && !strcmp(a.status, "finished"))
		poll_link(b, &first, "installedBase",
			  arena_cat(r->a, url, "/installedBase/", arena_lld(r->a, a.id), NULL));
	if (!is_open(&a)) {
		a.id = 0;
		/* an update is due: the only write a poll makes */
		if (verdict == DDI_OFFER)
			offer(app, d, &c, &a);
	}
	id = arena_lld(r->a, a.id);
	sw = arena_lld(r->a, a.software_id);
	if (a.id > 0 && !strcmp(a.status, "canceling"))
		poll_link(b, &first, "cancelAction", arena_cat(r->a, url, "/cancelAction/", id, NULL));
	else if (a.id > 0 && !strcmp(a.status, "waiting"))
		poll_link(b, &first, "confirmationBase", arena_cat(r->a, url, "/confirmationBase/",
								   id, "?c=", id, "-", sw, NULL));
	else if (a.id > 0)
		poll_link(b, &first, "deploymentBase", arena_cat(r->a, url, "/deploymentBase/", id,
								 "?c=", id, "-", sw, NULL));
	else if (d->confirm)
		poll_link(b, &first, "confirmationBase",
			  arena_cat(r->a, url, "/confirmationBase", NULL));
	buf_adds(b, "}}");
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The attributes nestbox decides with; longer values would be cut and then misjudged. */
static const char *key_attr(struct http_req *r, cJSON *m, const char *name, const char **err)
{
	const char *v = str(m, name);

	if (v && strlen(v) > DDI_VERSION_MAX && !*err)
		*err = arena_printf(r->a, "configData %s is %zu bytes, at most %d (hw_boardname,"
				    " hw_model, hw_revision and sw_version are at most 63 bytes)",
				    name, strlen(v), DDI_VERSION_MAX);
	return v;
}

/* PUT configData: {"mode": "merge"|"replace"|"remove", "data": {k: v}} */
void ddi_config_data(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi *d = app->domain;
	sqlite3_stmt *st;
	const char *cur = "", *err = NULL, *board, *rev, *ver;
	char *body, *merged;
	size_t len;
	cJSON *m;
	int rc;

	if (ddi_body(app, r, w, &body, &len) < 0 || ddi_begin(app, w) < 0)
		return;
	/* read and written in one transaction: two merges at once lose nothing */
	st = db_stmt(app->db, "SELECT attributes FROM ddi_devices WHERE id=?");
	if (st) {
		sqlite3_bind_int64(st, 1, d->dev.id);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			cur = arena_strdup(r->a, (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	if (ddi_config_merge(body, len, cur, &merged, &err) < 0) {
		db_rollback(app->db);
		app_error(app, w, 400, err ? err : "out of memory");
		return;
	}
	m = cJSON_Parse(merged);
	board = str(m, "hw_boardname") ? key_attr(r, m, "hw_boardname", &err) :
					 key_attr(r, m, "hw_model", &err);
	rev = key_attr(r, m, "hw_revision", &err);
	ver = key_attr(r, m, "sw_version", &err);
	rc = err ? -1 : ddi_device_attributes(app, &d->dev, merged, board, rev, ver);
	cJSON_Delete(m);
	free(merged);
	if (err || rc < 0) {
		db_rollback(app->db);
		app_error(app, w, err ? 400 : 503, err ? err : "busy, send it again");
		return;
	}
	ddi_commit(app, w);
}

long long ddi_action_param(struct http_req *r)
{
	const char *s = http_param(r, "action");
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;

	return s && *end == '\0' && v > 0 ? v : 0;
}

int ddi_body(struct app *app, struct http_req *r, struct http_resp *w, char **body, size_t *len)
{
	int st = http_read_body(r, 65536, body, len);

	if (st)
		app_error(app, w, st, st == 413 ? "body too large" : "a JSON body is required");
	return st ? -1 : 0;
}

int ddi_begin(struct app *app, struct http_resp *w)
{
	if (db_begin(app->db) == 0)
		return 0;
	app_error(app, w, 503, "busy, send it again");
	return -1;
}

void ddi_commit(struct app *app, struct http_resp *w)
{
	if (db_commit(app->db) == 0) {
		w->status = 200;
		return;
	}
	db_rollback(app->db);
	app_error(app, w, 503, "busy, send it again");
}

static cJSON *artifact(struct app *app, struct http_req *r, const struct ddi_software *s)
{
	cJSON *a = cJSON_CreateObject(), *h = cJSON_AddObjectToObject(a, "hashes"), *l;
	const char *own = arena_printf(r->a, "%s/softwaremodules/%lld/artifacts/%s",
				       ddi_device_url(app, r), s->id, s->filename);
	/* software at an external URL is downloaded from there; its MD5SUM from us */
	const char *href = s->url[0] ? s->url : own;
	int tls = !strncmp(href, "https:", 6);

	cJSON_AddStringToObject(a, "filename", s->filename);
	cJSON_AddStringToObject(h, "sha1", s->sha1);
	cJSON_AddStringToObject(h, "md5", s->md5);
	cJSON_AddStringToObject(h, "sha256", s->sha256);
	cJSON_AddNumberToObject(a, "size", (double)s->size);
	l = cJSON_AddObjectToObject(a, "_links");
	ddi_link(l, tls ? "download" : "download-http", href);
	ddi_link(l, !strncmp(own, "https:", 6) ? "md5sum" : "md5sum-http",
	     arena_printf(r->a, "%s.MD5SUM", own));
	return a;
}

enum { DEPLOYMENT, INSTALLED, CONFIRMATION };

static const char *history_status(const char *status)
{
	static const char *const map[][2] = {
		{ "waiting", "WAIT_FOR_CONFIRMATION" }, { "running", "RUNNING" },
		{ "canceling", "CANCELING" }, { "finished", "FINISHED" },
		{ "canceled", "CANCELED" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(status, map[i][0]))
			return map[i][1];
	return "ERROR";
}

/*
 * ?actionHistory=N (hawkBit's DdiRootController): how many of the device's
 * messages to send back; absent or 0 none, negative all (up to
 * DDI_HISTORY_MAX).  -2 when it is not an integer.
 */
static int history_param(struct http_req *r)
{
	const char *v = query_get(&r->query, "actionHistory");
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	if (*end || n < INT_MIN || n > INT_MAX)
		return -2;
	return n < 0 ? -1 : n > DDI_HISTORY_MAX ? DDI_HISTORY_MAX : (int)n;
}

/* deploymentBase, installedBase and confirmationBase/{action}: one shape (hawkBit) */
static void deployment(struct app *app, struct http_req *r, struct http_resp *w, int kind)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	struct ddi_software s;
	cJSON *o, *dep, *chunk, *arts, *hist;
	int history = history_param(r);

	if (history == -2) {
		app_error(app, w, 400, "actionHistory must be an integer");
		return;
	}
	if (ddi_action_get(app, d->dev.id, ddi_action_param(r), &a) < 0 ||
	    ddi_software_get(app, a.software_id, &s) < 0 ||
	    (kind == INSTALLED && strcmp(a.status, "finished")) ||
	    (kind == CONFIRMATION && strcmp(a.status, "waiting"))) {
		app_error(app, w, 404, "no such action");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", arena_printf(r->a, "%lld", a.id));
	dep = cJSON_AddObjectToObject(o, kind == CONFIRMATION ? "confirmation" : "deployment");
	cJSON_AddStringToObject(dep, "download", "forced");
	cJSON_AddStringToObject(dep, "update", "forced");
	chunk = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(dep, "chunks"), chunk);
	cJSON_AddStringToObject(chunk, "part", "os");
	cJSON_AddStringToObject(chunk, "version", s.version);
	cJSON_AddStringToObject(chunk, "name", s.name);
	arts = cJSON_AddArrayToObject(chunk, "artifacts");
	cJSON_AddItemToArray(arts, artifact(app, r, &s));
	hist = cJSON_AddObjectToObject(o, "actionHistory");
	cJSON_AddStringToObject(hist, "status", history_status(a.status));
	ddi_action_messages(app, a.id, history, cJSON_AddArrayToObject(hist, "messages"));
	ddi_json_out(w, 200, o);
}

void ddi_deployment(struct app *app, struct http_req *r, struct http_resp *w)
{
	deployment(app, r, w, DEPLOYMENT);
}

void ddi_installed(struct app *app, struct http_req *r, struct http_resp *w)
{
	deployment(app, r, w, INSTALLED);
}

void ddi_confirmation_action(struct app *app, struct http_req *r, struct http_resp *w)
{
	deployment(app, r, w, CONFIRMATION);
}

/* A closed action: the device's state and version, and its rollout's count. */
/* A closed action: the device's state and version, and its rollout's count. */
static int close_action(struct app *app, struct ddi *d, const struct ddi_action *a, int ok,
			int progress)
{
	struct ddi_software s;
	int rc;

	if (ok && ddi_software_get(app, a->software_id, &s) == 0) {
		rc = ddi_action_update(app, a->id, "finished", 100) |
		     ddi_device_set_version(app, d->dev.id, s.version, "finished");
	} else {
		ok = 0;
		rc = ddi_action_update(app, a->id, "error", progress) |
		     ddi_device_set_version(app, d->dev.id, NULL, "error");
	}
	if (a->rollout_id > 0)
		rc |= ddi_rollout_result(app, a->rollout_id, ok);
	return rc;
}

static int to_canceled(struct app *app, struct ddi *d, const struct ddi_action *a, int progress)
{
	return ddi_action_canceled(app, d->dev.id, a->id, a->software_id, progress);
}

/*
 * What a feedback does to its action (protocols/hawkbit-ddi.md,
 * "Feedback"); a is the action as read inside the write transaction.
 * Non-zero when a write failed.
 */
static int apply_feedback(struct app *app, struct ddi *d, const struct ddi_action *a,
			  const struct ddi_fb *fb, int cancel)
{
	int closed = !strcmp(fb->execution, "closed"), failed = !strcmp(fb->finished, "failure");

	if (cancel && ((closed && !failed) || !strcmp(fb->execution, "canceled")))
		return to_canceled(app, d, a, fb->progress);
	if (cancel && (closed || !strcmp(fb->execution, "rejected")))
		/* the device refused to cancel: the update goes on */
		return ddi_action_update(app, a->id, "running", fb->progress);
	if (closed)
		return close_action(app, d, a, !failed, fb->progress);
	if (!strcmp(fb->execution, "canceled"))
		return to_canceled(app, d, a, fb->progress);
	return ddi_action_update(app, a->id, a->status, fb->progress);
}

/* 405 or 410 when the action cannot take this feedback now; 0 when it can. */
static int refusal(const struct ddi_action *a, int cancel)
{
	if (cancel && strcmp(a->status, "canceling"))
		return 405;
	if (strcmp(a->status, "running") && strcmp(a->status, "canceling"))
		return 410;
	return 0;
}

static void feedback(struct app *app, struct http_req *r, struct http_resp *w, int cancel)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	struct ddi_fb fb;
	const char *err;
	char *body;
	size_t len;
	int no;

	if (ddi_action_get(app, d->dev.id, ddi_action_param(r), &a) < 0) {
		app_error(app, w, 404, "no such action");
		return;
	}
	if (ddi_body(app, r, w, &body, &len) < 0)
		return;
	if (ddi_feedback_parse(r->a, body, len, &fb, &err) < 0) {
		app_error(app, w, 400, err);
		return;
	}
	if ((no = refusal(&a, cancel)) != 0) {
		app_error(app, w, no, no == 405 ? "the action cannot be canceled" : "the action is closed");
		return;
	}
	if (ddi_begin(app, w) < 0)
		return;
	/*
	 * Again inside the transaction: another process may have closed the
	 * action (a retried "closed" must not count twice) or an operator
	 * asked to cancel it since the first look.
	 */
	if (ddi_action_get(app, d->dev.id, a.id, &a) < 0 || (no = refusal(&a, cancel)) != 0) {
		db_rollback(app->db);
		app_error(app, w, no ? no : 404, no == 405 ? "the action cannot be canceled" :
			  no ? "the action is closed" : "no such action");
		return;
	}
	if (ddi_action_log(app, a.id, fb.execution, fb.finished, fb.details) < 0 ||
	    apply_feedback(app, d, &a, &fb, cancel) != 0) {
		db_rollback(app->db);
		app_error(app, w, 503, "busy, send it again");
		return;
	}
	ddi_commit(app, w);
}

void ddi_feedback(struct app *app, struct http_req *r, struct http_resp *w)
{
	feedback(app, r, w, 0);
}

void ddi_cancel(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi *d = app->domain;
	struct ddi_action a;
	cJSON *o;
	const char *id;

	if (ddi_action_get(app, d->dev.id, ddi_action_param(r), &a) < 0 ||
	    strcmp(a.status, "canceling")) {
		app_error(app, w, 404, "no cancellation for this action");
		return;
	}
	id = arena_printf(r->a, "%lld", a.id);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "cancelAction"), "stopId", id);
	ddi_json_out(w, 200, o);
}

void ddi_cancel_feedback(struct app *app, struct http_req *r, struct http_resp *w)
{
	feedback(app, r, w, 1);
}

/* PUT installedBase: {"name", "version"}: a version installed another way */
void ddi_installed_put(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi *d = app->domain;
	const char *name, *version, *err;
	char *body;
	size_t len;

	if (ddi_body(app, r, w, &body, &len) < 0)
		return;
	if (ddi_installed_parse(r->a, body, len, &name, &version, &err) < 0) {
		app_error(app, w, 400, err);
		return;
	}
	if (ddi_device_set_version(app, d->dev.id, version, "finished") < 0)
		app_error(app, w, 503, "busy, send it again");
	else
		w->status = 200;
}

/*
 * The software module of the :sm parameter, when it is the device's to
 * see (ddi_software_owned); else 404, the same answer as for a module
 * that does not exist, so ids cannot be probed.
 */
static int own_module(struct app *app, struct http_req *r, struct http_resp *w,
		      struct ddi_software *s)
{
	struct ddi *d = app->domain;
	const char *sm = http_param(r, "sm");
	char *end;
	long long id = strtoll(sm, &end, 10);

	if (*end || id <= 0 || !ddi_software_owned(app, &d->dev, id) ||
	    ddi_software_get(app, id, s) < 0) {
		app_error(app, w, 404, "no such software module");
		return -1;
	}
	return 0;
}

void ddi_artifacts(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi_software s;
	cJSON *arr;
	char *s2;

	if (own_module(app, r, w, &s) < 0)
		return;
	arr = cJSON_CreateArray();
	cJSON_AddItemToArray(arr, artifact(app, r, &s));
	s2 = cJSON_PrintUnformatted(arr);
	http_bytes(w, 200, "application/hal+json", s2, strlen(s2));
	cJSON_free(s2);
	cJSON_Delete(arr);
}

/* The file (HEAD and Range too), or its .MD5SUM line. */
void ddi_artifact(struct app *app, struct http_req *r, struct http_resp *w)
{
	struct ddi_software s;
	const char *file = http_param(r, "file");
	char path[PATH_MAX];
	size_t fl = strlen(file), nl;

	if (own_module(app, r, w, &s) < 0)
		return;
	nl = strlen(s.filename);
	if (fl == nl + 7 && !strncmp(file, s.filename, nl) && !strcmp(file + nl, ".MD5SUM")) {
		http_text(w, 200, arena_printf(r->a, "%s  %s\n", s.md5, s.filename));
		return;
	}
	if (!strcmp(file, s.filename) && s.url[0]) {
		/* it lives elsewhere: a client that asks us anyway is sent there */
		http_redirect(w, s.url);
		w->status = 302;
		return;
	}
	if (strcmp(file, s.filename) || blob_path(&app->blobs, s.sha256, path, sizeof(path)) < 0 ||
	    http_file(r, w, path, "application/octet-stream",
		      conf_bool(app->conf, "server.xsendfile")) != 0) {
		app_error(app, w, 404, "no such artifact");
		return;
	}
	http_set_header(w, "Content-Disposition",
			arena_printf(r->a, "attachment; filename=\"%s\"", s.filename));
}
