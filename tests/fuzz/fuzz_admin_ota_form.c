/*
 * fuzz_admin_ota_form - the OTA publish form's text fields, as the admin
 * page and POST /admin/api/ota/publish receive them (the multipart parser
 * itself has fuzz_multipart): the input is split at NUL bytes into repo,
 * tag, branch, version, post_update, message and no_manifest (each cut to
 * ADMIN_FIELD_MAX bytes, as admin_form_stream keeps them) and given to
 * admin_ota_publish_form(), the production code.
 *
 * (The rollout form's action and percent are declared fields of its
 * routes, checked by the router: fuzz_admin_routes.)
 *
 * Invariants (abort() when broken):
 *  - accepted: owner and name pass ota_repo_ok and rejoin to repo; exactly
 *    one of tag and branch is set, each the field's text; absent fields
 *    are NULL, never "";
 *  - refused: NB_INVALID with a message, and nothing else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/admin/admin_ota.h"

static void split(const uint8_t *d, size_t n, char (*val)[ADMIN_FIELD_MAX + 1])
{
	size_t i, k = 0, len = 0;

	memset(val, 0, sizeof(char[ADMIN_OTA_FORM_FIELDS][ADMIN_FIELD_MAX + 1]));
	for (i = 0; i < n && k < ADMIN_OTA_FORM_FIELDS; i++) {
		if (d[i] == 0) {
			k++;
			len = 0;
		} else if (len < ADMIN_FIELD_MAX)
			val[k][len++] = (char)d[i];
	}
}

static void check_ok(char (*val)[ADMIN_FIELD_MAX + 1], const struct ota_pub *p)
{
	char joined[2 * OTA_NAME_MAX + 2];

	if (!ota_repo_ok(p->owner, p->name))
		abort();
	snprintf(joined, sizeof(joined), "%s/%s", p->owner, p->name);
	if (strcmp(joined, val[0]))
		abort();
	if (!p->tag == !p->branch)
		abort();
	if ((p->tag && strcmp(p->tag, val[1])) || (p->branch && strcmp(p->branch, val[2])))
		abort();
	if ((p->version && !*p->version) || (p->post_update && !*p->post_update) ||
	    (p->message && !*p->message))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static char val[ADMIN_OTA_FORM_FIELDS][ADMIN_FIELD_MAX + 1];
	char owner[OTA_NAME_MAX + 1], name[OTA_NAME_MAX + 1];
	struct ota_pub p;
	struct nb_err e;

	split(d, n, val);
	memset(&p, 0, sizeof(p));
	nb_err_clear(&e);
	if (admin_ota_publish_form(val, &p, owner, name, &e) == 0)
		check_ok(val, &p);
	else if (e.kind != NB_INVALID || !e.msg[0])
		abort();
	return 0;
}
