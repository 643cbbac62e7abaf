/*
 * The gate every fetch from a mirror's upstream passes (pages and
 * files), so that an upstream that hangs or fails never takes the
 * index's processes from everyone else:
 *
 *  - a breaker per upstream host (scheme://host:port): after a timeout,
 *    a transport error or a 5xx, the host is "down" for BREAKER_MS and
 *    nothing is fetched from it (the callers answer a cached copy, else
 *    503 with Retry-After).  Then one request probes it: it marks the host
 *    down for as long as its own fetch may take, so that others keep
 *    answering at once meanwhile; a success clears the mark.
 *  - at most pypi.mirror_fetches fetches at once across the processes,
 *    whatever their hosts (a slot is a lock file, taken without waiting):
 *    the front end gives pypi.fcgi more processes than that, so some are
 *    always free for private indexes and cached pages.
 *
 * The state is in files under <var_dir>/pypi-mirror, which every
 * process of every program sees: host-<sha256(host)>.down holds the time
 * (ms since the epoch) until which the host is down.  Nothing here waits.
 */
#include "pypi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "../lib/http.h"

#define BREAKER_MS 10000		/* a failed host is left alone this long */

/* <var_dir>/pypi-mirror/<name> into out. */
static void gate_path(const struct pypi_settings *s, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/pypi-mirror/%s", s->var_dir, name);
}

/* The host part of url ("http://h:1/x" -> "http://h:1"), into out. */
static void host_of(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://");
	size_t len;

	p = p ? p + 3 : url;
	len = (size_t)(p - url) + strcspn(p, "/?#");
	snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), url);
}

/* The breaker file of url's host into out. */
static void down_path(const struct pypi_settings *s, const char *url, char *out, size_t n)
{
	char host[1024], hex[HASH_HEX_MAX], name[128];

	host_of(url, host, sizeof(host));
	hash_hex(HASH_SHA256, host, strlen(host), hex);
	snprintf(name, sizeof(name), "host-%.32s.down", hex);
	gate_path(s, name, out, n);
}

/* Until when (ms) the host of the breaker file path is down; 0: it is not. */
static long long down_until(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/* Marks the host down until the time given (best effort: a mark that
 * cannot be written only costs another fetch). */
static void mark_down(const char *path, long long until)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", until);

	if (fs_write_atomic(path, buf, (size_t)n) < 0)
		fprintf(stderr, "nestbox[pypi]: cannot write %s: %s\n", path, strerror(errno));
}

/* A free fetch slot's lock (the fd), or -1 when all are taken. */
static int take_slot(const struct pypi_settings *s)
{
	char dir[4200], path[4400], name[64];
	long i, n = s->mirror_fetches > 0 ? s->mirror_fetches : 2;
	int fd;

	gate_path(s, "", dir, sizeof(dir));
	if (fs_mkdirs(dir, 0750) < 0 && errno != EEXIST)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "fetch-%ld.lock", i);
		gate_path(s, name, path, sizeof(path));
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

int pypi_gate_enter(const struct pypi_settings *s, const char *url, struct pypi_gate *g,
		    struct nb_err *e)
{
	long long now = pypi_now_ms(), until;
	long fetch_ms = ((s->connect_timeout > 0 ? s->connect_timeout : 5) +
			 (s->timeout > 0 ? s->timeout : 20)) * 1000L;

	g->slot = -1;
	down_path(s, url, g->down, sizeof(g->down));
	until = down_until(g->down);
	if (until > now)
		return nb_fail(e, NB_UNAVAILABLE, "the upstream is unavailable; try again later");
	if ((g->slot = take_slot(s)) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the upstream is busy; try again later");
	if (until)		/* a probe: the others keep off while it runs */
		mark_down(g->down, now + fetch_ms + BREAKER_MS);
	g->probing = until != 0;
	return 0;
}

void pypi_gate_leave(struct pypi_gate *g, int failed)
{
	if (g->slot < 0)
		return;
	if (failed)
		mark_down(g->down, pypi_now_ms() + BREAKER_MS);
	else if (g->probing || down_until(g->down))
		unlink(g->down);
	close(g->slot);
	g->slot = -1;
}

void pypi_error_write(struct http_resp *w, int status, enum nb_errkind kind, const char *msg)
{
	(void)kind;
	http_json_error(w, status, msg);
	if (status == 503)	/* the store or an upstream: pip waits and asks again */
		http_set_header(w, "Retry-After", PYPI_RETRY_AFTER);
}
