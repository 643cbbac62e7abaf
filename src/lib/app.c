#include "app.h"
#include "fs.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stddef.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int app_store_open(const struct app_settings *s, const struct app_store_spec *spec,
		   struct db **out, struct nb_err *e)
{
	int pg = db_is_url(s->db_path);

	return db_open(s->db_path, s->busy_timeout_ms, pg ? spec->pg_steps : spec->steps,
		       pg ? spec->pg_nsteps : spec->nsteps, out, e);
}

int app_open(struct app *app, const char *program,
	     const struct app_store_spec *spec, struct nb_err *e)
{
	const struct app_settings *s = &app->set;

	memset(app, 0, sizeof(*app));
	app->program = program;
	if (conf_load(spec->keys, &app->conf, e) < 0)
		return -1;
	app_settings_read(app->conf, &app->set);
	if (fs_mkdirs(app->set.var_dir, 0755) < 0) {
		nb_fail(e, NB_UNAVAILABLE, "cannot create %s: %s", app->set.var_dir, strerror(errno));
		goto fail;
	}
	if (app_store_open(s, spec, &app->db, e) < 0)
		goto fail;
	if (blob_store_open(&app->blobs, s->blob_dir) < 0) {
		nb_fail(e, NB_UNAVAILABLE, "cannot create %s: %s", s->blob_dir, strerror(errno));
		goto fail;
	}
	if (blob_store_configure(&app->blobs, &s->blob, e) < 0)
		goto fail;
	return 0;
fail:
	app_close(app);
	return -1;
}

int app_try_again(const char *program, int *said, volatile sig_atomic_t *stop,
		  const struct nb_err *e)
{
	if (e->kind != NB_UNAVAILABLE || (stop && *stop))
		return 0;
	if (!(*said)++)
		fprintf(stderr, "nestbox[%s]: %s: trying again\n", program, e->msg);
	poll(NULL, 0, 100);
	return 1;
}

void app_close(struct app *app)
{
	db_close(app->db);
	conf_free(app->conf);
	app->db = NULL;
	app->conf = NULL;
}

/* 1 when the decoded path p starts with the segments of prefix ("/a/b/"):
 * "/admin/%61pi/x" is under "/admin/api/" as the router sees it. */
static int path_under(const struct path *p, const char *prefix)
{
	int i = 0;

	while (*prefix) {
		size_t n;
		while (*prefix == '/')
			prefix++;
		n = strcspn(prefix, "/");
		if (!n)
			break;
		if (i >= p->n || strlen(p->seg[i]) != n || memcmp(p->seg[i], prefix, n))
			return 0;
		prefix += n;
		i++;
	}
	return 1;
}

int app_wants_json(const struct app *app, const struct http_req *r)
{
	const struct app_def *def = app->def;

	if (def && def->errfmt == APP_ERR_JSON)
		return 1;
	return def && def->json_prefix && r && path_under(&r->path, def->json_prefix);
}

/* Answers kind with its status (the one mapping, nb_err_status) and msg
 * in r's format (the program's fail writer, else wants_json) over what w
 * holds. */
static void answer_kind(struct app *app, const struct http_req *r, struct http_resp *w,
			enum nb_errkind kind, const char *msg)
{
	int status = nb_err_status(kind);

	w->has_type = 0;
	w->fixed = NULL;
	if (app->fail_write) {
		app->fail_write(w, status, kind, msg);
	} else if (app_wants_json(app, r)) {
		http_json_error(w, status, msg);
	} else {
		http_text(w, status, msg);
		buf_addc(&w->body, '\n');
	}
}

/* Answers kind (its status) and msg in r's format; a handler's partial
 * answer (its headers too) is dropped. */
static void answer(struct app *app, const struct http_req *r, struct http_resp *w,
		   enum nb_errkind kind, const char *msg)
{
	w->headers.len = 0;
	answer_kind(app, r, w, kind, msg);
}

void app_fail(struct app *app, const struct http_req *r, struct http_resp *w,
	      const struct nb_err *e)
{
	/* an error value left empty is a bug of ours: 500, never a 200 */
	answer(app, r, w, e->kind == NB_OK ? NB_INTERNAL : e->kind,
	       e->kind == NB_OK ? "internal error" : e->msg);
}

/*
 * What only the program knows of a request, for the front end's access
 * log (src/log/accesslog.h): "<program> <route label>", and " hot" after
 * a ROUTE_HOT route's (its successes are counted but get no row).  The
 * program writes no request-log row itself: the front end logs every
 * request, a crashed program's too, and nestbox-accesslog stores them.
 */
static void note_route(struct app *app, struct http_req *r, struct http_resp *w)
{
	const struct route *rt = r->route;
	const char *label = rt ? (rt->name ? rt->name : rt->pattern) : "-";

	http_set_header(w, "X-Nestbox-Route",
			arena_cat(r->a, app->program, " ", label,
				  rt && (rt->flags & ROUTE_HOT) ? " hot" : "", NULL));
}

/* A refusal of the router's is answered; the program may name who asked. */
static void refused(struct app *app, struct http_req *r, struct http_resp *w)
{
	if (app->refused)
		app->refused(app, r, w);
}

/*
 * If-None-Match (RFC 9110 13.1.2, 13.2.2) for every program: a GET or
 * HEAD whose successful answer carries an ETag the field names (or any
 * answer, for "*") becomes a 304.  A handler keeps only to set its ETag.
 */
static void not_modified(struct http_req *r, struct http_resp *w)
{
	const char *inm;

	if (w->status < 200 || w->status > 299 || (strcmp(r->method, "GET") && !r->head))
		return;
	inm = http_header(r, "If-None-Match");
	if (inm && http_etag_match(inm, http_resp_header(w, "ETag")))
		w->status = 304;
}

/*
 * A 304 keeps the 200's ETag, Cache-Control, Expires, Vary and
 * Content-Location but sends no body and no other representation
 * metadata (RFC 9110 15.4.5): the Content-* fields go, and the file or
 * body the answer held (http_send then writes no Content-Length).
 */
static void strip_304(struct http_resp *w)
{
	static const char *const drop[] = {
		"Content-Type", "Content-Range", "Content-Encoding", "Content-Language",
		"Content-Disposition", "Content-Length", "Accept-Ranges" };
	size_t i;

	if (w->status != 304)
		return;
	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		http_resp_drop_header(w, drop[i]);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->pump = NULL;
	w->sendfile = NULL;
	w->fixed = NULL;
	w->fixed_len = 0;
	w->file_len = 0;
	w->body.len = 0;
}

/*
 * Runs the matched route: declared path and query input, the program's
 * before hook (authentication), declared form input, then the handler.
 * The route's refusals and errors are answered here (app_fail).
 */
static void app_run(struct app *app, struct http_req *r, struct http_resp *w)
{
	const struct app_def *def = app->def;
	const struct route_typed *t = route_typed(r->route);
	struct nb_err e;

	e.kind = NB_OK;
	if (req_check(app, r, REQ_PATH | REQ_QUERY, &e) < 0 ||
	    ((r->route->flags & ROUTE_JSON_BODY) && !http_body_json_ok(r) &&
	     nb_fail(&e, NB_UNSUPPORTED_TYPE, "the request body must be JSON "
		     "(Content-Type: application/json)") < 0)) {
		app_fail(app, r, w, &e);
		refused(app, r, w);
		return;
	}
	if (def->before) {
		int rc = def->before(app, r, w, &e);
		if (rc < 0) {
			/* its headers stay: a 401's WWW-Authenticate, a Retry-After */
			answer_kind(app, r, w, e.kind == NB_OK ? NB_INTERNAL : e.kind,
				    e.kind == NB_OK ? "internal error" : e.msg);
		}
		if (rc)
			return;
	}
	if (req_check(app, r, REQ_FORM, &e) < 0) {
		app_fail(app, r, w, &e);
		refused(app, r, w);
	} else if (t->run(app, r, w, &e) < 0) {
		app_fail(app, r, w, &e);
	} else {
		not_modified(r, w);
	}
}

/*
 * Every 405 names the methods the path takes (RFC 9110 15.5.6: it MUST),
 * the router's and a handler's alike (a DDI cancel feedback no cancel was
 * asked of; a catch-all's): the table's (route_allow), over any a handler
 * set; a handler's own stays only where no route but "*" ones matches.
 * After the program's refused hook, which may have answered otherwise.
 */
static void allow(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *methods;

	if (w->status != 405)
		return;
	methods = route_allow(r->a, app->def->routes, app->def->nroutes, &r->path);
	if (!methods)
		return;
	http_resp_drop_header(w, "Allow");
	http_set_header(w, "Allow", methods);
}

/* Parses, routes and runs one request, then answers it. */
static void app_serve(struct app *app, struct arena *a, struct http_io *io)
{
	const struct app_def *def = app->def;
	struct http_req r;
	struct http_resp w;
	struct nb_err e;

	http_req_init(&r, a, io);
	r.body_limit = app->set.body_limit;
	http_resp_init(&w, a);
	if (http_req_parse(&r, &e) < 0) {
		app_fail(app, &r, &w, &e);
	} else {
		switch (route_match(a, def->routes, def->nroutes, r.method, &r.path,
				    &r.route, &r.params)) {
		case ROUTE_OK:
			app_run(app, &r, &w);
			break;
		case ROUTE_BAD_METHOD:
			answer(app, &r, &w, NB_METHOD, "method not allowed");
			refused(app, &r, &w);
			break;
		default:
			answer(app, &r, &w, NB_NOT_FOUND, "not found");
			refused(app, &r, &w);
		}
	}
	if (r.body_timed_out)
		answer(app, &r, &w, NB_TIMEOUT, "the request body came too slowly");
	if (r.body_start_ms && io) {
		/* the read deadline must not outlive the body (a kept connection) */
		struct timeval tv = { 0, 0 };
		setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	/* a snapshot the handler kept is let go; a write it left open is a bug */
	if (db_request_end(app->db))
		fprintf(stderr, "nestbox[%s]: %s %s left a transaction open; rolled back\n",
			app->program, r.method ? r.method : "-", r.uri ? r.uri : "-");
	if (w.status >= 500)
		fprintf(stderr, "nestbox[%s]: %d for %s %s\n", app->program, w.status,
			r.method ? r.method : "-", r.uri ? r.uri : "-");
	allow(app, &r, &w);
	strip_304(&w);
	note_route(app, &r, &w);
	http_send(&r, &w);	/* a client gone away is not our error */
}

/*
 * Set by SIGTERM/SIGINT.  Process-global because a signal handler can
 * reach nothing else; read only by app_wait.
 */
static volatile sig_atomic_t app_stopping;

static void on_term(int sig)
{
	(void)sig;
	app_stopping = 1;
}

/*
 * The front end that started us does not always signal us when it stops:
 * after a test had killed and lighttpd restarted admin.fcgi, one was left
 * running after lighttpd's exit, never signalled, waiting forever (the
 * e2e teardown gave up on "the programs to exit").  The kernel sends
 * SIGTERM when the parent goes, whatever the front end does.
 */
static void stop_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		app_stopping = 1;	/* it went before the call took effect */
}

/*
 * The listening socket's file, as the front end made it.  lighttpd unlinks
 * its sockets when it stops but does not always signal a program that was
 * still starting (an e2e run under load left ddi.fcgi and ota.fcgi behind,
 * re-parented to init before their main() could note the parent): a
 * program whose socket file is gone or replaced has no front end and exits.
 * Only for a Unix socket (a TCP listener has no file to watch).
 */
struct app_listen {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t ino;
	int watch;
};

static void listen_note(struct app_listen *l)
{
	struct sockaddr_un sa;
	socklen_t n = sizeof(sa);
	struct stat st;

	memset(l, 0, sizeof(*l));
	memset(&sa, 0, sizeof(sa));
	if (getsockname(0, (struct sockaddr *)&sa, &n) < 0 || sa.sun_family != AF_UNIX ||
	    !sa.sun_path[0] || n <= offsetof(struct sockaddr_un, sun_path))
		return;
	snprintf(l->path, sizeof(l->path), "%.*s",
		 (int)(n - offsetof(struct sockaddr_un, sun_path)), sa.sun_path);
	/* a relative name would be read against another working directory */
	if (l->path[0] != '/')
		return;
	if (stat(l->path, &st) == 0)
		l->ino = st.st_ino;
	else if (errno != ENOENT)
		return;		/* not ours to judge (permissions) */
	l->watch = 1;		/* ino 0: already gone before we looked */
}

/* 1 when the front end that made our socket is gone (see struct app_listen). */
static int listen_orphaned(const struct app_listen *l)
{
	struct stat st;

	if (!l->watch)
		return 0;
	return stat(l->path, &st) < 0 ? errno == ENOENT : st.st_ino != l->ino || !l->ino;
}

/* Between requests: write what the domain batches. */
static void app_idle(struct app *app)
{
	if (app->def->idle)
		app->def->idle(app);
}

/*
 * Waits for the next connection on the FastCGI socket (fd 0).  Returns 1
 * when one waits, 0 to exit.  The stop signals are blocked from the check
 * of app_stopping until ppoll() atomically lets them in, so a SIGTERM
 * that comes during a request or just before the wait is never lost.
 * (libfcgi's own check sits before accept() with a window between them:
 * a SIGTERM there left the process blocked in accept() until killed.)
 * While domain batches may wait, it wakes every log.flush_ms to write
 * them (the request log is the front end's: nothing of it waits here).
 */
static int app_wait(struct app *app, const struct app_listen *l)
{
	struct pollfd pfd = { 0, POLLIN, 0 };
	sigset_t term, during;
	long ms = app->set.log_flush_ms < 10 ? 10 : app->set.log_flush_ms;
	int n;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	if (ms > 1000 && l->watch)
		ms = 1000;	/* the socket file is looked at once a second */
	for (;;) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		int idle = app->def->idle || l->watch;
		sigprocmask(SIG_BLOCK, &term, &during);
		if (app_stopping) {
			sigprocmask(SIG_SETMASK, &during, NULL);
			return 0;
		}
		n = ppoll(&pfd, 1, idle ? &ts : NULL, &during);
		sigprocmask(SIG_SETMASK, &during, NULL);
		if (n > 0 || (n < 0 && errno != EINTR))
			return 1;	/* a connection, or an error accept() will report */
		if (n == 0) {
			/* idle: never a syscall per request on the hot path */
			if (listen_orphaned(l))
				return 0;
			app_idle(app);
		}
	}
}

int app_main(const struct app_def *def, const struct app_store_spec *spec,
	     int argc, char **argv)
{
	struct app app;
	struct arena a;
	struct nb_err e;
	struct sigaction sa;

	/* the front end that started us, read before the slow start-up (store,
	 * migrations, domain set-up): a front end stopped during it is seen
	 * (an e2e run under load left a ddi.fcgi orphaned that way) */
	pid_t parent = getppid();

	(void)argc;
	(void)argv;
	/*
	 * Fixed thresholds: glibc otherwise raises them after the first large
	 * free (an argon2 hash, a big arena block), and a long-lived process
	 * then keeps megabytes it no longer uses.  But the heap's top is
	 * kept as large as a store connection's page cache: whenever another
	 * process has committed, SQLite drops the cache and reads its pages
	 * again, a few hundred KiB freed and allocated anew, and with the
	 * default pad (128 KiB) each such request moved the break up and
	 * back down again and took a page fault per 4 KiB (a DDI feedback:
	 * one brk pair and 40 faults each, strace; 5 % of its CPU, perf).
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);
	mallopt(M_TOP_PAD, DB_CACHE_BYTES);
	if (app_open(&app, def->program, spec, &e) < 0) {
		fprintf(stderr, "nestbox[%s]: %s\n", def->program, e.msg);
		if (FCGX_IsCGI())
			printf("Status: 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
			       "Content-Length: 28\r\n\r\nnestbox: configuration error");
		return 1;
	}
	app.def = def;
	/* a route reading an undeclared parameter is a bug: found at start,
	 * not by the first request that takes the route */
	if (route_table_check(def->routes, def->nroutes, &e) < 0) {
		fprintf(stderr, "nestbox[%s]: route table: %s\n", def->program, e.msg);
		app_close(&app);
		return 1;
	}
	nb_err_clear(&e);
	if (def->init && def->init(&app, &e) < 0) {
		fprintf(stderr, "nestbox[%s]: %s\n", def->program,
			e.kind == NB_OK ? "domain set-up failed" : e.msg);
		/* what init set up before it failed (a busy store at start) */
		if (def->fini)
			def->fini(&app);
		app_close(&app);
		return 1;
	}
	arena_init(&a);
	if (FCGX_IsCGI()) {
		app_serve(&app, &a, NULL);
		fflush(stdout);
	} else {
		FCGX_Request req;
		struct app_listen listen;
		/* an upload or blob write killed half-way leaves its temp file:
		 * each long-lived program collects those untouched for
		 * FS_TMP_GRACE when it starts (a live writer keeps its file's
		 * mtime fresh); nestboxctl gc does the same on demand */
		fs_clean_tmp(app.set.var_dir, "tmp", "upload.tmp.", FS_TMP_GRACE);
		blob_clean_tmp(&app.blobs, FS_TMP_GRACE);
		memset(&sa, 0, sizeof(sa));
		/* SA_RESTART: a signal must not break the request being served;
		 * app_wait sees it when the request ends */
		sa.sa_handler = on_term;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		stop_with_parent(parent);
		signal(SIGPIPE, SIG_IGN);
		FCGX_Init();
		FCGX_InitRequest(&req, 0, 0);
		listen_note(&listen);
		if (listen_orphaned(&listen))
			app_stopping = 1;	/* the front end went during our start-up */
		while (app_wait(&app, &listen) && FCGX_Accept_r(&req) >= 0) {
			struct http_io io = { req.in, req.out, req.envp, req.ipcFd };
			app_serve(&app, &a, &io);
			FCGX_Finish_r(&req);
			arena_reset(&a);
			if (def->trim) {
				/* the admin pages: a big query or upload must not leave
				 * its peak behind in a process that lives for days */
				db_release_memory(app.db);
				malloc_trim(0);
			}
		}
		FCGX_Free(&req, 1);
	}
	arena_free(&a);
	if (def->fini)
		def->fini(&app);
	app_close(&app);
	return 0;
}
