/*
 * The upstream gate (upstream_gate.h): a breaker per host and fetch
 * slots, in files every process sees.  Nothing here waits.
 */
#include "upstream_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "clock.h"
#include "fs.h"
#include "hash.h"

/* <dir>/<name> into out. */
static void gate_path(const struct upstream_gate_conf *c, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", c->dir, name);
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
static void down_path(const struct upstream_gate_conf *c, const char *url, char *out, size_t n)
{
	char host[1024], hex[HASH_HEX_MAX], name[128];

	host_of(url, host, sizeof(host));
	hash_hex(HASH_SHA256, host, strlen(host), hex);
	snprintf(name, sizeof(name), "host-%.32s.down", hex);
	gate_path(c, name, out, n);
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
		fprintf(stderr, "nestbox: cannot write %s: %s\n", path, strerror(errno));
}

/* A free fetch slot's lock (the fd), or -1 when all are taken. */
static int take_slot(const struct upstream_gate_conf *c)
{
	char path[4400], name[64];
	long i, n = c->fetches > 0 ? c->fetches : 2;
	int fd;

	if (fs_mkdirs(c->dir, 0750) < 0 && errno != EEXIST)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "fetch-%ld.lock", i);
		gate_path(c, name, path, sizeof(path));
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

int upstream_gate_enter(const struct upstream_gate_conf *c, const char *url,
			struct upstream_gate *g, struct nb_err *e)
{
	long long now = clock_now_ms(), until;

	g->slot = -1;
	g->probing = 0;
	down_path(c, url, g->down, sizeof(g->down));
	until = down_until(g->down);
	if (until > now)
		return nb_fail(e, NB_UNAVAILABLE, "the upstream is unavailable; try again later");
	if ((g->slot = take_slot(c)) < 0)
		return nb_fail(e, NB_UNAVAILABLE, "the upstream is busy; try again later");
	if (until)		/* a probe: the others keep off while it runs */
		mark_down(g->down, now + c->fetch_ms + UPSTREAM_GATE_DOWN_MS);
	g->probing = until != 0;
	return 0;
}

void upstream_gate_leave(struct upstream_gate *g, int failed)
{
	if (g->slot < 0)
		return;
	if (failed)
		mark_down(g->down, clock_now_ms() + UPSTREAM_GATE_DOWN_MS);
	else if (g->probing || down_until(g->down))
		unlink(g->down);
	close(g->slot);
	g->slot = -1;
}
