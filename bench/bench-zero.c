/*
 * bench/bench-zero.c - the zero-work FastCGI ceiling for `make bench`.
 * Answers GET /_bench/zero/<name> with the bytes of <dir>/<name>, read
 * once and then served from memory: the most any FastCGI answer can reach
 * behind the same front end.  Built by `make bench` (only) as
 * cgi-bin/bench-zero.fcgi, never installed.
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bodies one process keeps: every row of a make bench run (about 40 with the
 * catalogue and fleet sizes), so no row finds its ceiling missing */
#define ZERO_MAX 64

struct zero_file {
	char name[128];
	char *data;
	size_t len;
};

static struct zero_file *lookup(struct zero_file *v, int *n, const char *dir,
				const char *name)
{
	char path[4096];
	FILE *f;
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	if (*n == ZERO_MAX || strchr(name, '/') || strlen(name) >= sizeof(v[0].name) ||
	    name[0] == '.')
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	v[*n].len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	v[*n].data = malloc(v[*n].len + 1);
	if (!v[*n].data || fread(v[*n].data, 1, v[*n].len, f) != v[*n].len) {
		fclose(f);
		free(v[*n].data);
		return NULL;
	}
	fclose(f);
	snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
	return &v[(*n)++];
}

int main(void)
{
	struct zero_file files[ZERO_MAX];
	int n = 0;
	const char *dir = getenv("NESTBOX_BENCH_ZERO_DIR");
	FCGX_Request req;

	FCGX_Init();
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		const char *uri = FCGX_GetParam("REQUEST_URI", req.envp);
		const char *name = uri ? strrchr(uri, '/') : NULL;
		struct zero_file *z = dir && name ? lookup(files, &n, dir, name + 1) : NULL;
		char hdr[128];
		int hl;

		if (!z) {
			FCGX_PutS("Status: 404 Not Found\r\nContent-Length: 0\r\n\r\n", req.out);
		} else {
			hl = snprintf(hdr, sizeof(hdr), "Content-Type: application/octet-stream\r\n"
				      "Content-Length: %zu\r\n\r\n", z->len);
			FCGX_PutStr(hdr, hl, req.out);
			FCGX_PutStr(z->data, (int)z->len, req.out);
		}
		FCGX_Finish_r(&req);
	}
	return 0;
}
