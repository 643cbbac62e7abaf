/*
 * GET /admin/pypi/mirrors: the Python index's mirror indexes as an
 * operator checks them - upstream, expiry, the last good refresh, pages
 * failing now (the upstream failed at their last refresh; a copy, if any,
 * is served stale) with the latest error, and the files and bytes cached - read through the pypi store
 * (pypi_mirror_status_of), never its tables.  The table itself is the
 * partial pypi-mirror-status, so another page can show it too.
 */
#include "admin.h"
#include "../pypi/pypi.h"

#include <string.h>

/* One mirror index as the template's row. */
static cJSON *mirror_row(struct app *app, struct arena *a, const struct pypi_index *ix,
			 long long *bytes, struct nb_err *e)
{
	struct pypi_mirror_status s;
	cJSON *o;

	if (pypi_mirror_status_of(app, a, ix->id, &s, e) < 0)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "index", arena_cat(a, ix->user, "/", ix->name, NULL));
	cJSON_AddStringToObject(o, "mirror_url", ix->mirror_url);
	cJSON_AddNumberToObject(o, "expiry", (double)ix->mirror_cache_expiry);
	cJSON_AddStringToObject(o, "refreshed", admin_when(a, s.refreshed_ms / 1000));
	cJSON_AddNumberToObject(o, "pages", (double)s.pages);
	cJSON_AddNumberToObject(o, "stale", (double)s.stale_pages);
	cJSON_AddBoolToObject(o, "failing", s.stale_pages > 0);
	cJSON_AddStringToObject(o, "failed", admin_when(a, s.failed_ms / 1000));
	cJSON_AddStringToObject(o, "error", s.last_error);
	cJSON_AddNumberToObject(o, "files", (double)s.files);
	cJSON_AddNumberToObject(o, "bytes", (double)s.bytes);
	*bytes += s.bytes;
	return o;
}

int admin_pypi_mirrors_run(struct app *app, struct http_req *r, struct http_resp *w,
			   struct nb_err *e)
{
	struct pypi_index *v;
	long long bytes = 0;
	cJSON *d, *rows;
	int n, i;

	db_read_begin(app->db);
	if ((n = pypi_index_list(app, r->a, NULL, &v, e)) < 0)
		return -1;
	d = cJSON_CreateObject();
	rows = cJSON_AddArrayToObject(d, "mirrors");
	for (i = 0; i < n; i++) {
		cJSON *o;
		if (strcmp(v[i].type, "mirror"))
			continue;
		if (!(o = mirror_row(app, r->a, &v[i], &bytes, e))) {
			cJSON_Delete(d);
			return -1;
		}
		cJSON_AddItemToArray(rows, o);
	}
	cJSON_AddNumberToObject(d, "total_bytes", (double)bytes);
	admin_page(app, r, w, 200, "pypi-mirrors", "Python index mirrors", d);
	return 0;
}
