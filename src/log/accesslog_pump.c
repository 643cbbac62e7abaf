/* nestbox-accesslog's loop: access-log lines from a pipe into the store. */
#include "accesslog.h"
#include "../lib/clock.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct pump {
	char buf[ACCESSLOG_LINE_MAX + 4096];
	size_t n;
	int skipping;		/* inside a line too long to keep */
	long refused;
	struct reqlog *log;
	struct db *db;
	int hot_rows;
	volatile sig_atomic_t *stop;
};

/*
 * The log's buffer is full: it is written before another row is added,
 * retried every 100 ms while the store is held (rows wait; the reader
 * keeps draining the pipe meanwhile), said once on stderr per wait.  Only
 * after a stop does it give up, after 10 more tries, and reqlog_add then
 * drops the buffer, said on stderr too.
 */
static void make_room(struct pump *p)
{
	struct nb_err e;
	int tries = 0;

	while (p->log->n >= REQLOG_BUF && reqlog_flush(p->log, p->db, &e) < 0) {
		if (tries++ == 0)
			fprintf(stderr, "nestbox[accesslog]: %s: waiting for the store\n", e.msg);
		if (*p->stop && tries >= 10)
			return;
		poll(NULL, 0, 100);
	}
}

/* A flush when due, while lines are awaited: a failure keeps the rows for
 * the next try and is said. */
static void flush_due(struct reqlog *log, struct db *db)
{
	struct nb_err e;

	if (reqlog_due(log, clock_now_ms()) && reqlog_flush(log, db, &e) < 0)
		fprintf(stderr, "nestbox[accesslog]: %s: kept for the next flush\n", e.msg);
}

static void one_line(struct pump *p, const char *line, size_t len)
{
	struct reqlog_entry e;
	struct nb_err why;
	int hot;

	if (len && line[len - 1] == '\r')
		len--;
	if (accesslog_parse(line, len, &e, &hot, &why) < 0) {
		p->refused++;
		fprintf(stderr, "nestbox[accesslog]: line refused: %s: %.*s\n", why.msg,
			(int)(len > 200 ? 200 : len), line);
		return;
	}
	/* a hot route's errors get a row: a device polling with a wrong
	 * token must leave a trace an operator can find */
	e.norow = hot && !p->hot_rows && e.status < 400;
	make_room(p);
	reqlog_add(p->log, p->db, &e);
}

/* Takes every complete line from the buffer; a line that cannot fit is
 * refused whole (its rest is skipped up to its newline). */
static void take_lines(struct pump *p)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(p->buf + start, '\n', p->n - start))) {
		size_t len = (size_t)(nl - (p->buf + start));
		if (p->skipping)
			p->skipping = 0;
		else
			one_line(p, p->buf + start, len);
		start += len + 1;
	}
	memmove(p->buf, p->buf + start, p->n - start);
	p->n -= start;
	if (p->n > ACCESSLOG_LINE_MAX) {
		if (!p->skipping) {
			p->refused++;
			fprintf(stderr, "nestbox[accesslog]: line refused: line too long\n");
		}
		p->skipping = 1;
		p->n = 0;
	}
}

/*
 * The pipe is drained by a thread of its own into this queue, so that a
 * store held by another writer (a flush waits up to db.busy_timeout_ms,
 * then retries) never leaves the pipe full: lighttpd drops log lines it
 * cannot write at once ("error flushing log"), and Apache's workers block
 * on a full pipe.  The queue is bounded (ACCESSLOG_QUEUE_MAX bytes); past
 * it the reader waits, which is the front end's pipe filling as before.
 */
#define ACCESSLOG_QUEUE_MAX (64u << 20)
#define CHUNK 65536

struct chunk {
	struct chunk *next;
	size_t n;
	char b[CHUNK];
};

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cond;		/* signalled on a new chunk, room or the end */
	struct chunk *head, *tail;
	size_t bytes;
	int done;			/* the reader saw EOF, an error or gave up after a stop */
	int failed;			/* … a read error */
	int fd;
	volatile sig_atomic_t *stop;
};

static void queue_put(struct queue *q, struct chunk *c)
{
	pthread_mutex_lock(&q->mu);
	while (q->bytes >= ACCESSLOG_QUEUE_MAX)
		pthread_cond_wait(&q->cond, &q->mu);
	c->next = NULL;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	q->bytes += c->n;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

static void queue_end(struct queue *q, int failed)
{
	pthread_mutex_lock(&q->mu);
	q->done = 1;
	q->failed = failed;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

/*
 * After a stop signal the pipe is still read to its end: the front end
 * closes it when it exits, and every line it wrote before is a request it
 * answered.  The stop comes before that end: a service manager signals
 * the front end and its loggers together (systemd's control group, a
 * terminal's Ctrl-C), and the front end then finishes its requests (a
 * graceful stop) and writes their lines; Apache signals its piped loggers
 * on every restart while its old children still finish theirs.  Only a
 * writer that never closes is cut off: one that has sent nothing for
 * STOP_QUIET_MS since the stop or its last bytes, or still writes
 * STOP_MAX_MS after the stop.  A stopping front end writes each line as
 * its request ends and closes the pipe once its programs are gone
 * (lighttpd: a fraction of a second), so 10 s of silence means it is not
 * the front end still stopping but a writer that will not close; 60 s
 * stays under what a service manager grants a stop before it kills
 * (systemd: 90 s), leaving room for the last flush.
 */
#define STOP_QUIET_MS 10000
#define STOP_MAX_MS 60000

/* 1 when the reader gives up on a writer that does not close (above);
 * last_ms is when bytes last came, *stop_ms when the stop was first seen
 * (0 until then: set here). */
static int stop_done(const struct queue *q, long long last_ms, long long *stop_ms)
{
	long long now;

	if (!*q->stop)
		return 0;
	now = clock_mono_ms();
	if (!*stop_ms)
		*stop_ms = now;
	if (last_ms < *stop_ms)
		last_ms = *stop_ms;	/* an idle spell before the stop is no silence after it */
	return now - last_ms >= STOP_QUIET_MS || now - *stop_ms >= STOP_MAX_MS;
}

/* The reader: read() until EOF, after a stop too (bounded, above). */
static void *reader(void *arg)
{
	struct queue *q = arg;
	struct chunk *c = NULL;
	long long last_ms = clock_mono_ms(), stop_ms = 0;

	while (!stop_done(q, last_ms, &stop_ms)) {
		struct pollfd pfd = { q->fd, POLLIN, 0 };
		ssize_t got;
		int n = poll(&pfd, 1, 100);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (!c && !(c = malloc(sizeof(*c))))
			break;
		got = read(q->fd, c->b, sizeof(c->b));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			free(c);
			queue_end(q, got < 0);
			return NULL;
		}
		last_ms = clock_mono_ms();
		c->n = (size_t)got;
		queue_put(q, c);
		c = NULL;
	}
	free(c);
	queue_end(q, 0);
	return NULL;
}

/*
 * Takes the next chunk, waiting at most until the log's next flush is due.
 * NULL when none came (then *ended says whether the reader finished).
 * *behind is 1 when more chunks wait after it.
 */
static struct chunk *queue_take(struct queue *q, const struct reqlog *log, int *ended,
				int *behind)
{
	struct chunk *c = NULL;
	struct timespec until;
	long ms = log->flush_ms < 10 ? 10 : log->flush_ms;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->done)
		if (pthread_cond_timedwait(&q->cond, &q->mu, &until) == ETIMEDOUT)
			break;
	if ((c = q->head)) {
		q->head = c->next;
		if (!q->head)
			q->tail = NULL;
		q->bytes -= c->n;
		pthread_cond_broadcast(&q->cond);
	}
	*ended = !c && q->done;
	*behind = q->head != NULL;
	pthread_mutex_unlock(&q->mu);
	return c;
}

/* Feeds a chunk's bytes through the line buffer. */
static void take_chunk(struct pump *p, const struct chunk *c)
{
	size_t off = 0;

	while (off < c->n) {
		size_t room = sizeof(p->buf) - p->n, k = c->n - off < room ? c->n - off : room;
		memcpy(p->buf + p->n, c->b + off, k);
		p->n += k;
		off += k;
		take_lines(p);
	}
}

long accesslog_pump(int fd, struct reqlog *log, struct db *db, int hot_rows,
		    volatile sig_atomic_t *stop, struct nb_err *e)
{
	struct pump *p = calloc(1, sizeof(*p));	/* 20 KiB: off the stack */
	struct queue q = { .fd = fd, .stop = stop };
	pthread_t t;
	int every = log->flush_every;
	long rc;

	if (!p)
		return nb_fail(e, NB_INTERNAL, "out of memory");
	p->log = log;
	p->db = db;
	p->hot_rows = hot_rows;
	p->stop = stop;
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.cond, NULL);
	if (pthread_create(&t, NULL, reader, &q) != 0) {
		free(p);
		return nb_fail(e, NB_INTERNAL, "cannot start the reader thread");
	}
	for (;;) {
		int ended, behind;
		struct chunk *c = queue_take(&q, log, &ended, &behind);
		/*
		 * Lines waiting in the queue are late already: they are written
		 * in full buffers, not every flush_every rows, since the store's
		 * cost is per transaction as much as per row (PostgreSQL: 3,200
		 * rows/s in flushes of 64, 7,500 in flushes of 256), and a
		 * front end stopped with a backlog waits for it to be written.
		 */
		log->flush_every = behind ? REQLOG_BUF : every;
		if (c) {
			take_chunk(p, c);
			free(c);
		} else if (ended) {
			break;
		} else {
			flush_due(log, db);
		}
	}
	pthread_join(t, NULL);
	if (!p->skipping && p->n)
		one_line(p, p->buf, p->n);	/* a last line without newline */
	/* the last flush: what fails now is lost, so it is the answer */
	if (reqlog_flush(log, db, e) < 0)
		rc = -1;
	else if (q.failed)
		rc = nb_fail(e, NB_UNAVAILABLE, "reading the access log failed");
	else
		rc = p->refused;
	pthread_mutex_destroy(&q.mu);
	pthread_cond_destroy(&q.cond);
	free(p);
	return rc;
}
