/*
 * POST /admin/devices/:id/labels: an operator names a device and tags it
 * (what the device list's search finds).  Tags are kept comma-separated,
 * each trimmed of spaces, empty ones dropped.
 */
#include "admin_ddi.h"
#include "admin_audit.h"

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

/* The audit's text of what was set: 'name "x", tags "a,b"', either alone. */
static const char *labels_said(struct arena *a, const char *name, const char *tags)
{
	if (name && tags)
		return arena_printf(a, "name \"%s\", tags \"%s\"", name, tags);
	return name ? arena_printf(a, "name \"%s\"", name) : arena_printf(a, "tags \"%s\"", tags);
}

/* name and tags are declared form fields (at most 63 and 255 bytes of
 * text, REQ_EMPTY): "" clears one, an absent one is kept, so a post that
 * names neither would change nothing and is refused (issue 14: it used to
 * clear both). */
int admin_device_labels_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	const char *name = req_has(r, "name") ? req_str(r, "name") : NULL;
	const char *tags = req_has(r, "tags") ? req_str(r, "tags") : NULL;
	long long id = req_int(r, "id", 0);

	if (!name && !tags) {
		admin_form_field(app, "name");
		return nb_fail(e, NB_INVALID, "missing name (or tags)");
	}
	if (tags)
		tags = tags_clean(r->a, tags);
	if ((name && ddi_device_set_field(app, id, "name", name, e) < 0) ||
	    (tags && ddi_device_set_field(app, id, "tags", tags, e) < 0))
		return -1;
	admin_audit(app, "device labels", "%s: %s", admin_dev_said(app, r, id),
		    labels_said(r->a, name, tags));
	http_redirect(w, arena_printf(r->a, "/admin/devices/%lld?done=name+and+tags+set", id));
	return 0;
}
