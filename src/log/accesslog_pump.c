/* nestbox-accesslog's loop: access-log lines from a pipe into the store. */
#include "accesslog.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pump {
	char buf[ACCESSLOG_LINE_MAX + 4096];
	size_t n;
	int skipping;		/* inside a line too long to keep */
	long refused;
	struct reqlog *log;
	struct db *db;
	int hot_rows;
};

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

/* Waits for input up to the next flush; 1 readable, 0 timeout, -1 error. */
static int wait_input(int fd, const struct reqlog *log, int draining)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	long ms = draining ? 100 : log->flush_ms < 10 ? 10 : log->flush_ms;
	int n = poll(&pfd, 1, (int)ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	return n > 0;
}

long accesslog_pump(int fd, struct reqlog *log, struct db *db, int hot_rows,
		    volatile sig_atomic_t *stop)
{
	struct pump *p = calloc(1, sizeof(*p));	/* 20 KiB: off the stack */
	long rc = 0;

	if (!p)
		return -1;
	p->log = log;
	p->db = db;
	p->hot_rows = hot_rows;
	for (;;) {
		int w = wait_input(fd, log, *stop);
		ssize_t got;
		if (w < 0) {
			rc = -1;
			break;
		}
		if (w == 0) {
			if (*stop)
				break;	/* drained after SIGTERM */
			if (reqlog_due(log, reqlog_now_ms()))
				reqlog_flush(log, db);
			continue;
		}
		got = read(fd, p->buf + p->n, sizeof(p->buf) - p->n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = got < 0 ? -1 : 0;
			break;
		}
		p->n += (size_t)got;
		take_lines(p);
	}
	if (!p->skipping && p->n)
		one_line(p, p->buf, p->n);	/* a last line without newline */
	reqlog_flush(log, db);
	if (rc == 0)
		rc = p->refused;
	free(p);
	return rc;
}
