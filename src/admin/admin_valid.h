/*
 * admin_valid.h - the validators of admin.fcgi's declared input.
 *
 * Every validator a route of src/cgi/admin.fcgi.c names (ROUTE_IN, req.h)
 * is here and in admin_valid.c, as mip_valid.c is for mip-index.fcgi:
 * pure predicates on the raw text, no store.  Each returns 0 (out->i set
 * where the value is a number), or -1 with e NB_INVALID saying the rule,
 * which the router answers as a 400 naming the field; the handlers only
 * read the typed values.  Public for tests/unit and tests/fuzz.
 * (The word lists of req_v_enum fields stay with the handler that reads
 * a word's index: admin_roles, admin_bulk_ops, ...)
 */
#ifndef NB_ADMIN_VALID_H
#define NB_ADMIN_VALID_H

#include "../lib/req.h"

/* A user name (admin_name_ok: 1..64 letters, digits or . _ - @), a new
 * password (ADMIN_PASSWORD_MIN..MAX bytes), a token's name (1..64 bytes
 * without control characters). */
int admin_name_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e);
int admin_password_valid(const struct app *app, const struct req_field *f, const char *raw,
			 struct req_value *out, struct nb_err *e);
int admin_token_name_valid(const struct app *app, const struct req_field *f, const char *raw,
			   struct req_value *out, struct nb_err *e);

/* ?file= of a mip package body: one .py source file's name (no '/'),
 * published under it (admin_mip.c). */
int admin_mip_file_valid(const struct app *app, const struct req_field *f, const char *raw,
			 struct req_value *out, struct nb_err *e);
/* An artifact's file name, which goes into device download URLs: 1..200
 * letters, digits or . _ + ~ -, not first '.' (admin_file_name_ok: 1 or 0). */
int admin_file_name_ok(const char *s);
int admin_file_name_valid(const struct app *app, const struct req_field *f, const char *raw,
			  struct req_value *out, struct nb_err *e);

/* GET /admin/api/devices/:cid?tenant=: the controller id by ddi.h's rule
 * (ddi_controller_id_ok), a tenant of 1..DDI_FEED_MAX bytes without
 * control characters. */
int admin_cid_valid(const struct app *app, const struct req_field *f, const char *raw,
		    struct req_value *out, struct nb_err *e);
int admin_tenant_valid(const struct app *app, const struct req_field *f, const char *raw,
		       struct req_value *out, struct nb_err *e);

/* The request log's filters: since/until, an HTML datetime-local value in
 * UTC ("2026-11-23T13:05", ":SS" and ".fff" allowed, counted to the
 * minute) as Unix ms in out->i; status, a code "100".."599" (out->i the
 * code) or a class "1xx".."5xx" (out->i 1..5). */
int admin_time_valid(const struct app *app, const struct req_field *f, const char *raw,
		     struct req_value *out, struct nb_err *e);
int admin_status_valid(const struct app *app, const struct req_field *f, const char *raw,
		       struct req_value *out, struct nb_err *e);

/* A whole decimal number within arg's bounds (a struct admin_range), its
 * value in out->i; the rule is said in e ("invalid percent: 1 to 100"). */
struct admin_range {
	long long lo, hi;
};
int admin_range_valid(const struct app *app, const struct req_field *f, const char *raw,
		      struct req_value *out, struct nb_err *e);
extern const struct admin_range admin_percent;		/* 1..100: a rollout's stage */
extern const struct admin_range admin_rate;		/* 0..100 */
extern const struct admin_range admin_failures;	/* 0..10^9 */
extern const struct admin_range admin_page_range;	/* 1..10^6 */
extern const struct admin_range admin_ota_percent;	/* 0..100: an OTA rollout's stage */

#endif
