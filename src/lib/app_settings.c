/* The library's settings (struct app_settings, app.h): server.*, db.*,
 * blob.* and log.*, read once by app_open (and by nestbox-accesslog and
 * nestboxctl, which find the store as the programs do). */
#include "app.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A path key whose empty value means "<var_dir>/<dflt>". */
static void var_path(const struct conf *c, const char *key, const char *var_dir,
		     const char *dflt, char *out, size_t n)
{
	const char *v = conf_str(c, key);

	int len = v && *v ? snprintf(out, n, "%s", v) : snprintf(out, n, "%s/%s", var_dir, dflt);

	if (len < 0 || (size_t)len >= n)	/* too long for a path: open fails, named */
		snprintf(out, n, "%s", "/nonexistent/path-too-long");
}

/* Copies key's text into dst (n bytes); a value that does not fit is
 * named in *too_long (the first such key), not cut. */
static void str_key(const struct conf *c, const char *key, char *dst, size_t n,
		    const char **too_long)
{
	if ((size_t)snprintf(dst, n, "%s", conf_str(c, key)) >= n && !*too_long)
		*too_long = key;
}

static void read_blob(const struct conf *c, struct blob_settings *b)
{
	const char **tl = &b->too_long;

	str_key(c, "blob.backend", b->backend, sizeof(b->backend), tl);
	str_key(c, "blob.s3_endpoint", b->s3.endpoint, sizeof(b->s3.endpoint), tl);
	str_key(c, "blob.s3_bucket", b->s3.bucket, sizeof(b->s3.bucket), tl);
	str_key(c, "blob.s3_region", b->s3.region, sizeof(b->s3.region), tl);
	str_key(c, "blob.s3_access_key", b->s3.access, sizeof(b->s3.access), tl);
	str_key(c, "blob.s3_secret_key", b->s3.secret, sizeof(b->s3.secret), tl);
	str_key(c, "blob.s3_prefix", b->prefix, sizeof(b->prefix), tl);
	b->s3.part_size = (uint64_t)conf_int(c, "blob.s3_part_size");
	b->s3.timeout = (long)conf_int(c, "blob.s3_timeout");
	b->presign = conf_bool(c, "blob.s3_presign");
	b->presign_ttl = (long)conf_int(c, "blob.s3_presign_ttl");
}

void app_settings_read(const struct conf *c, struct app_settings *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->var_dir, sizeof(s->var_dir), "%s", conf_str(c, "server.var_dir"));
	snprintf(s->base_url, sizeof(s->base_url), "%s", conf_str(c, "server.base_url"));
	s->xsendfile = conf_bool(c, "server.xsendfile");
	s->max_body = (size_t)conf_int(c, "server.max_body");
	s->body_limit.timeout_ms = (long)conf_int(c, "server.body_timeout") * 1000;
	s->body_limit.min_rate = (long)conf_int(c, "server.body_min_rate");
	if (*conf_str(c, "db.url"))	/* a PostgreSQL store: db_open tells by the URL */
		snprintf(s->db_path, sizeof(s->db_path), "%s", conf_str(c, "db.url"));
	else
		var_path(c, "db.path", s->var_dir, "nestbox.db", s->db_path, sizeof(s->db_path));
	s->busy_timeout_ms = (int)conf_int(c, "db.busy_timeout_ms");
	var_path(c, "blob.dir", s->var_dir, "blobs", s->blob_dir, sizeof(s->blob_dir));
	read_blob(c, &s->blob);
	s->log_flush_every = (int)conf_int(c, "log.flush_every");
	s->log_flush_ms = (long)conf_int(c, "log.flush_ms");
	s->log_max_rows = conf_int(c, "log.max_rows");
	s->log_hot_rows = conf_bool(c, "log.hot_rows");
	s->log_to_stderr = conf_bool(c, "log.requests_to_stderr");
}
