/*
 * nestboxctl blobs migrate | verify - moving the blob store to an
 * S3-compatible bucket, and checking a store's content against its names.
 */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * The S3 store named by "s3://bucket[/prefix]": endpoint, region, keys and
 * part size from the configuration (blob.s3_*), the bucket and prefix
 * from the URL (no prefix: blob.s3_prefix).  0, or -1 after saying why.
 */
static int target_store(struct app *app, const char *url, struct blob_store *to)
{
	const struct blob_settings *set = &app->set.blob;	/* read at start, as the programs do */
	char bucket[sizeof(to->s3.bucket)], prefix[sizeof(to->prefix)];
	struct s3_conf c = set->s3;
	const char *slash;
	size_t n;

	url += 5;	/* "s3://", checked by the caller */
	slash = strchr(url, '/');
	n = slash ? (size_t)(slash - url) : strlen(url);
	snprintf(prefix, sizeof(prefix), "%s", set->prefix);
	if (set->too_long || n >= sizeof(bucket) || (slash && strlen(slash + 1) >= sizeof(prefix))) {
		fprintf(stderr, "nestboxctl blobs migrate: a bucket, prefix or blob.s3_* value is"
			" too long\n");
		return -1;
	}
	memcpy(bucket, url, n);
	bucket[n] = '\0';
	if (slash)
		snprintf(prefix, sizeof(prefix), "%s", slash + 1);
	snprintf(c.bucket, sizeof(c.bucket), "%s", bucket);
	if (blob_store_open(to, app->set.blob_dir) < 0 || blob_store_use_s3(to, &c, prefix, 0) < 0) {
		fprintf(stderr, "nestboxctl blobs migrate: set blob.s3_endpoint and blob.s3_region"
			" (the configuration or NESTBOX_BLOB__S3_*) to reach the bucket\n");
		return -1;
	}
	return 0;
}

struct migrate {
	const struct blob_store *from, *to;
	int copied, present, failed;
};

static int migrate_one(void *p, const char *hex, uint64_t size, long mtime)
{
	struct migrate *m = p;
	int rc = blob_copy(m->from, m->to, hex);

	(void)size;
	(void)mtime;
	if (rc == 0)
		m->copied++;
	else if (rc == 1)
		m->present++;
	else {
		m->failed++;
		fprintf(stderr, "nestboxctl blobs migrate: %s: %s\n", hex, strerror(errno));
	}
	return 0;
}

/*
 * Copies every blob of the filesystem store (blob.dir) to the bucket,
 * each hashed before it goes and its size checked after; blobs already
 * there with the same size are skipped, so an interrupted run resumes.
 */
int ctl_cmd_blobs_migrate(int argc, char **argv)
{
	struct blob_store from, to;
	struct migrate m = { &from, &to, 0, 0, 0 };
	const char *url;
	struct app app;
	int rc;

	if (ctl_to_option("blobs migrate", argc, argv, &url))
		return 2;
	if (!url)
		return ctl_usage_error("blobs migrate", "needs --to s3://BUCKET[/PREFIX]");
	if (strncmp(url, "s3://", 5) || !url[5] || url[5] == '/')
		return ctl_usage_error("blobs migrate", "--to must be s3://BUCKET[/PREFIX], not '%s'",
				       url);
	if (ctl_open(&app) < 0)
		return 1;
	rc = target_store(&app, url, &to) < 0 || blob_store_open(&from, app.set.blob_dir) < 0;
	if (!rc && blob_foreach(&from, migrate_one, &m) < 0) {
		fprintf(stderr, "nestboxctl blobs migrate: cannot read %s\n", from.dir);
		rc = 1;
	}
	if (!rc)
		printf("blobs migrate: %d copied, %d already there, %d failed\n", m.copied, m.present,
		       m.failed);
	app_close(&app);
	return rc || m.failed ? 1 : 0;
}

struct verify {
	const struct blob_store *bs;
	int good, bad, unreadable;
};

static int verify_one(void *p, const char *hex, uint64_t size, long mtime)
{
	struct verify *v = p;
	int rc = blob_verify(v->bs, hex);

	(void)size;
	(void)mtime;
	if (rc == 0) {
		v->good++;
		return 0;
	}
	printf("%s %s\n", rc > 0 ? "damaged" : "unreadable", hex);
	if (rc > 0)
		v->bad++;
	else
		v->unreadable++;
	return 0;
}

/* Reads every blob of the configured store back and hashes it. */
int ctl_cmd_blobs_verify(int argc, char **argv)
{
	struct app app;
	struct verify v = { NULL, 0, 0, 0 };
	int rc = 0;

	optind = 1;
	if (ctl_getopt("blobs verify", argc, argv, (const struct option[]){ { 0 } }) != -1 ||
	    ctl_operands("blobs verify", argc, argv, 0, 0, "") < 0)
		return 2;
	if (ctl_open(&app) < 0)
		return 1;
	v.bs = &app.blobs;
	if (blob_foreach(&app.blobs, verify_one, &v) < 0) {
		fprintf(stderr, "nestboxctl blobs verify: cannot list the blob store\n");
		rc = 1;
	} else {
		printf("blobs verify: %d good, %d damaged, %d unreadable\n", v.good, v.bad,
		       v.unreadable);
	}
	app_close(&app);
	return rc || v.bad || v.unreadable ? 1 : 0;
}
