/*
 * Compiling sources to .mpy with mpy-cross.  Bytecode only (no -march), so
 * one file serves every board of the same mpy version.  Results are cached
 * on (source sha256, compiler version, flags), and every output's header
 * is checked before it is stored: a bad or failed compile is reported,
 * never served.
 */
#include "mip.h"
#include "../lib/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Runs argv with stdout and stderr into the file out_fd; returns the exit status. */
static int run(char *const argv[], int out_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = -1, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int scratch(char *path, size_t n)
{
	snprintf(path, n, "/tmp/nestbox-mpy.XXXXXX");
	return mkstemp(path);
}

int mip_compiler_probe(struct mip_compiler *cc, const char *path, int opt)
{
	char out[PATH_MAX], text[512];
	_Static_assert(sizeof(text) > sizeof(cc->version), "version fits");
	char *argv[] = { (char *)path, "--version", NULL };
	int fd, rc;
	ssize_t n;

	memset(cc, 0, sizeof(*cc));
	snprintf(cc->path, sizeof(cc->path), "%s", path);
	snprintf(cc->flags, sizeof(cc->flags), "-O%d", opt < 0 ? 0 : opt > 3 ? 3 : opt);
	if (!path || !*path) {
		snprintf(cc->why, sizeof(cc->why), "no compiler configured (mip.mpy_cross)");
		return -1;
	}
	if ((fd = scratch(out, sizeof(out))) < 0) {
		snprintf(cc->why, sizeof(cc->why), "no scratch file for the compiler");
		return -1;
	}
	rc = run(argv, fd);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	unlink(out);
	text[n > 0 ? n : 0] = '\0';
	text[strcspn(text, "\n")] = '\0';
	cc->major = mip_mpy_version_parse(text);
	if (rc != 0 || cc->major < 0) {
		snprintf(cc->why, sizeof(cc->why), "%s not found or not an mpy-cross", path);
		return -1;
	}
	text[sizeof(cc->version) - 1] = '\0';
	memcpy(cc->version, text, strlen(text) + 1);
	cc->ok = 1;
	return 0;
}

int mip_compilable(const char *dest)
{
	const char *base = strrchr(dest, '/');
	size_t n = strlen(dest);

	base = base ? base + 1 : dest;
	return n > 3 && !strcmp(dest + n - 3, ".py") && strcmp(base, "boot.py") &&
	       strcmp(base, "main.py");
}

/* A compiled file of this compiler and flags, still in the blob store
 * (a cache the store cannot read is a miss: the file is compiled again). */
static int cached(struct app *app, const struct mip_compiler *cc, const char *src, char *out)
{
	return mip_compiled_get(app, src, cc->version, cc->flags, out, NULL) == 1 &&
	       blob_exists(&app->blobs, out);
}

/* The compile of dest failed: e NB_INVALID with the last line of the
 * compiler's output (out, changed in place), which says what went wrong. */
static int compile_failed(struct nb_err *e, const char *dest, char *out)
{
	char *end = out + strlen(out), *line;

	while (end > out && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	line = strrchr(out, '\n');
	line = line ? line + 1 : out;
	return nb_fail(e, NB_INVALID, "%s: compile failed: %s", dest, *line ? line : "no output");
}

/*
 * Runs the compiler on the stored source src_hex inside a private scratch
 * directory (mkdtemp below /tmp, mode 0700): the source is copied there
 * through mip_file_read (never through a link in the blob store) and the
 * output is written there, so nothing is written through a link planted
 * in place of <blobs>/tmp.  The .mpy in a, *n bytes; NULL with e
 * NB_INVALID holding the end of the compiler's output.
 */
static char *compile_scratch(struct app *app, const struct mip_compiler *cc, const char *src_hex,
			     const char *dest, struct arena *a, size_t *n, struct nb_err *e)
{
	char dir[] = "/tmp/nestbox-mpy.XXXXXX", src[64], out[64], log[PATH_MAX], name[256];
	size_t len = 0;
	char *code = mip_file_read(app, a, src_hex, &len), *mpy = NULL;
	char *argv[] = { (char *)cc->path, (char *)cc->flags, "-s", name, "-o", out, src, NULL };
	char msg[2048] = "";
	size_t msglen = sizeof(msg);
	int lfd, rc;

	if (!code || !mkdtemp(dir)) {
		compile_failed(e, dest, msg);
		return NULL;
	}
	snprintf(src, sizeof(src), "%s/src.py", dir);
	snprintf(out, sizeof(out), "%s/out.mpy", dir);
	/* -s: the name tracebacks show, as the board will know the file */
	snprintf(name, sizeof(name), "%s", dest);
	if (fs_write_atomic(src, code, len) == 0 && (lfd = scratch(log, sizeof(log))) >= 0) {
		rc = run(argv, lfd);
		/* the end of the output says what went wrong */
		off_t end = lseek(lfd, 0, SEEK_END);
		off_t from = end > (off_t)msglen - 1 ? end - (off_t)msglen + 1 : 0;
		ssize_t m = pread(lfd, msg, msglen - 1, from);
		msg[m > 0 ? m : 0] = '\0';
		close(lfd);
		unlink(log);
		mpy = rc == 0 ? fs_read_small(a, out, 64u << 20, n) : NULL;
	}
	unlink(out);
	unlink(src);
	rmdir(dir);
	if (!mpy)
		compile_failed(e, dest, msg);
	return mpy;
}

int mip_compile(struct app *app, const struct mip_compiler *cc, const char *src_hex,
		const char *dest, char *out_hex, struct nb_err *e)
{
	struct arena a;
	size_t n = 0;
	char *mpy;
	int rc;

	if (cached(app, cc, src_hex, out_hex))
		return 0;
	if (strlen(dest) > 255)
		return nb_fail(e, NB_INVALID, "a file name is %zu bytes, at most 255", strlen(dest));
	arena_init(&a);
	mpy = compile_scratch(app, cc, src_hex, dest, &a, &n, e);
	if (!mpy) {
		arena_free(&a);
		return -1;
	}
	if (!mip_mpy_header_ok((unsigned char *)mpy, n, cc->major)) {
		nb_fail(e, NB_INVALID, "%s: the compiler wrote no bytecode-only mpy v%d file", dest,
			cc->major);
		arena_free(&a);
		return -1;
	}
	rc = mip_file_put(app, mpy, n, "compiled", NULL, out_hex, NULL);
	arena_free(&a);
	if (rc < 0)	/* no prefix to match: only the disk or the store (503) */
		return nb_fail(e, NB_UNAVAILABLE, "cannot store the compiled file");
	mip_compiled_put(app, src_hex, cc->version, cc->flags, out_hex);
	return 0;
}
