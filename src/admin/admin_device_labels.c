/*
 * POST /admin/devices/:id/labels: an operator names a device and tags it
 * (what the device list's search finds).  Tags are kept comma-separated,
 * each trimmed of spaces, empty ones dropped.
 */
#include "admin_ddi.h"

#include <stdlib.h>
#include <string.h>

/* "a, b,,c " -> "a,b,c" in the arena. */
static const char *tags_clean(struct arena *a, const char *s)
{
	struct buf b;

	buf_init(&b, a);
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *t = s, *end = s + n;
		while (t < end && *t == ' ')
			t++;
		while (end > t && end[-1] == ' ')
			end--;
		if (end > t) {
			if (b.len)
				buf_addc(&b, ',');
			buf_add(&b, t, (size_t)(end - t));
		}
		s += n + (s[n] == ',');
	}
	return buf_cstr(&b);
}

/* "" is allowed (clears it); else at most max bytes without control characters. */
static int label_ok(const char *s, size_t max)
{
	return !s || !*s || admin_label_ok(s, max);
}

void admin_device_labels(struct app *app, struct http_req *r, struct http_resp *w)
{
	const char *name = query_get(&r->form, "name"), *tags = query_get(&r->form, "tags");
	long long id = atoll(http_param(r, "id"));

	if (!label_ok(name, 63) || !label_ok(tags, 255)) {
		admin_fail(app, r, w, 400, "a name is at most 63 bytes and tags at most 255, "
			   "without control characters");
		return;
	}
	tags = tags_clean(r->a, tags ? tags : "");
	if (ddi_device_set_field(app, id, "name", name ? name : "") < 0 ||
	    ddi_device_set_field(app, id, "tags", tags) < 0) {
		admin_fail(app, r, w, 404, "no such device");
		return;
	}
	http_redirect(w, arena_printf(r->a, "/admin/devices/%lld?done=name+and+tags+set", id));
}
