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

/* name and tags are declared form fields (at most 63 and 255 bytes of
 * text); absent or "" clears them */
int admin_device_labels_run(struct app *app, struct http_req *r, struct http_resp *w,
			    struct nb_err *e)
{
	const char *name = req_str(r, "name"), *tags = req_str(r, "tags");
	long long id = req_int(r, "id", 0);

	tags = tags_clean(r->a, tags ? tags : "");
	if (ddi_device_set_field(app, id, "name", name ? name : "") < 0 ||
	    ddi_device_set_field(app, id, "tags", tags) < 0)
		return nb_fail(e, NB_NOT_FOUND, "no such device");
	admin_audit(app, "device labels", "device #%lld: name \"%s\", tags \"%s\"", id,
		    name ? name : "", tags);
	http_redirect(w, arena_printf(r->a, "/admin/devices/%lld?done=name+and+tags+set", id));
	return 0;
}
