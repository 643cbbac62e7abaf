/*
 * admin.fcgi - the operators' pages and HTTP API under /admin.
 * Handlers: src/admin/admin_<resource>.c (admin.h lists which).  The
 * routes (ROUTE_IN) declare every input they read, with the admin's own
 * validators in src/admin/admin_valid.c (admin_valid.h): a refusal is the
 * router's 400 naming the field, in JSON under /admin/api/ (admin_def's
 * json_prefix, as are its 404 and 405) and in text on the pages.
 */
#include "../admin/admin.h"
#include "../admin/admin_ddi.h"
#include "../admin/admin_pypi.h"
#include "../admin/admin_ota.h"
#include "../admin/admin_rollout.h"
#include "../core/core.h"
#include "../mkbox/mkbox.h"
#include "../pypi/pypi.h"
#include "programs.h"

/* the state-changing forms carry the session's CSRF token (admin_run checks it) */
#define CSRF REQ_FORM_FIELD("csrf", req_v_hex, 0)
/* a redirect's message for the page it lands on ("done=user+added") */
#define DONE REQ_QUERY_FIELD("done", req_v_text, 0)

static const struct req_field login_page_in[] = {
	REQ_QUERY_FIELD("next", req_v_text, 0), REQ_END
};
static const struct req_field login_in[] = {
	REQ_FORM_FIELD("username", req_v_text, 0), REQ_FORM_FIELD("password", NULL, 0),
	REQ_FORM_FIELD("next", req_v_text, 0), REQ_FORM_FIELD("csrf", req_v_text, 0), REQ_END
};
static const struct req_field csrf_in[] = { CSRF, REQ_END };
static const struct req_field users_in[] = {
	DONE, REQ_QUERY_FIELD("upage", req_v_uint, 0), REQ_QUERY_FIELD("tpage", req_v_uint, 0),
	REQ_END
};
static const struct req_field user_add_in[] = {
	CSRF, REQ_FORM_FIELD("name", admin_name_valid, REQ_REQUIRED),
	REQ_FORM_FIELD("password", admin_password_valid, REQ_REQUIRED),
	{ "role", REQ_FORM, req_v_enum, 0, 0, admin_roles }, REQ_END
};
/* a form that names only its :id (a user, a token, a device's force/cancel) */
static const struct req_field user_id_in[] = { REQ_PATH_FIELD("id", req_v_id), CSRF, REQ_END };
static const struct req_field user_password_in[] = {
	REQ_PATH_FIELD("id", req_v_id), CSRF, REQ_FORM_FIELD("password", NULL, 0),
	REQ_FORM_FIELD("keep_tokens", req_v_bool, 0), REQ_END
};
static const struct req_field api_user_password_in[] = {
	REQ_PATH_FIELD("id", req_v_id), REQ_END
};
/* the users page answers a new token: its own query fields too */
/* one rollout: its page, its limits, cancel and finish (confirm=yes on the page);
 * a device's delete too */
static const struct req_field rollout_in[] = { REQ_PATH_FIELD("id", req_v_id), DONE, REQ_END };
static const struct req_field rollout_limits_in[] = {
	REQ_PATH_FIELD("id", req_v_id), CSRF, REQ_FORM_FIELD("max_failures", req_v_uint, 0),
	REQ_FORM_FIELD("max_failure_rate", req_v_uint, 0), REQ_END
};
static const struct req_field rollout_end_in[] = {
	REQ_PATH_FIELD("id", req_v_id), CSRF, REQ_FORM_FIELD("confirm", req_v_bool, 0), REQ_END
};
static const struct req_field audit_in[] = {
	REQ_QUERY_FIELD("user", admin_name_valid, 0), REQ_QUERY_FIELD("before", req_v_id, 0), REQ_END
};
static const struct req_field token_add_in[] = {
	CSRF, REQ_FORM_FIELD("name", admin_token_name_valid, REQ_REQUIRED), DONE,
	REQ_QUERY_FIELD("upage", req_v_uint, 0), REQ_QUERY_FIELD("tpage", req_v_uint, 0),
	REQ_END
};

/* the images page: a search, its page, a redirect's message */
static const struct req_field images_in[] = {
	{ "q", REQ_QUERY, req_v_text, 0, 255, NULL }, REQ_QUERY_FIELD("page", req_v_uint, 0), DONE,
	REQ_END
};
static const struct req_field image_delete_in[] = {
	CSRF, REQ_FORM_FIELD("box", mkbox_name_valid, REQ_REQUIRED),
	REQ_FORM_FIELD("image", mkbox_name_valid, REQ_REQUIRED), REQ_END
};
static const struct req_field api_images_in[] = {
	{ "q", REQ_QUERY, req_v_text, 0, 255, NULL }, REQ_END
};
/* a raw image body: its names (mkbox_import_begin composes the image's) */
static const struct req_field api_image_upload_in[] = {
	REQ_QUERY_FIELD("box", mkbox_name_valid, REQ_REQUIRED),
	REQ_QUERY_FIELD("board", mkbox_name_valid, REQ_REQUIRED),
	REQ_QUERY_FIELD("branch", mkbox_name_valid, 0),
	REQ_QUERY_FIELD("version", mkbox_name_valid, 0), REQ_END
};
static const struct req_field api_image_in[] = {
	REQ_PATH_FIELD("box", mkbox_name_valid), REQ_PATH_FIELD("image", mkbox_name_valid), REQ_END
};
/* the mip page: two lists, each paged */
static const struct req_field mip_in[] = {
	REQ_QUERY_FIELD("hpage", req_v_uint, 0), REQ_QUERY_FIELD("cpage", req_v_uint, 0), DONE,
	REQ_END
};
/* a package body: an archive, or one .py file named by ?file= */
static const struct req_field api_mip_publish_in[] = {
	{ "name", REQ_QUERY, req_v_text, REQ_REQUIRED, ADMIN_FIELD_MAX, NULL },
	{ "version", REQ_QUERY, req_v_text, REQ_REQUIRED, ADMIN_FIELD_MAX, NULL },
	{ "description", REQ_QUERY, req_v_text, 0, ADMIN_FIELD_MAX, NULL },
	REQ_QUERY_FIELD("file", admin_mip_file_valid, 0), REQ_END
};
/* a page of a list (software, rollouts) and a redirect's message */
static const struct req_field list_in[] = { REQ_QUERY_FIELD("page", req_v_uint, 0), DONE, REQ_END };
static const struct req_field software_url_in[] = {
	CSRF, { "url", REQ_FORM, req_v_text, REQ_REQUIRED, ADMIN_SW_URL_MAX, NULL },
	{ "name", REQ_FORM, req_v_text, 0, ADMIN_SW_NAME_MAX, NULL }, REQ_END
};
/* a raw or multipart artifact body: ?name= and the artifact's ?filename= */
static const struct req_field api_software_add_in[] = {
	{ "name", REQ_QUERY, req_v_text, 0, ADMIN_SW_NAME_MAX, NULL },
	REQ_QUERY_FIELD("filename", admin_file_name_valid, 0), REQ_END
};
static const struct req_field api_id_in[] = { REQ_PATH_FIELD("id", req_v_id), REQ_END };
/* a new rollout: its feed, software and limits (admin_range_valid: the
 * bounds in arg) */
static const struct req_field rollout_create_in[] = {
	CSRF, { "feed", REQ_FORM, req_v_text, REQ_REQUIRED, 63, NULL },
	{ "name", REQ_FORM, req_v_text, 0, 127, NULL },
	REQ_FORM_FIELD("software", req_v_id, REQ_REQUIRED),
	{ "percent", REQ_FORM, admin_range_valid, 0, 0, &admin_percent },
	{ "max_failures", REQ_FORM, admin_range_valid, 0, 0, &admin_failures },
	{ "max_failure_rate", REQ_FORM, admin_range_valid, 0, 0, &admin_rate },
	REQ_FORM_FIELD("confirm_empty", req_v_bool, 0), REQ_END
};
static const struct req_field rollout_stage_in[] = {
	REQ_PATH_FIELD("id", req_v_id), CSRF,
	{ "percent", REQ_FORM, admin_range_valid, REQ_REQUIRED, 0, &admin_percent }, REQ_END
};
/* the device list's search, as the page and the API take it */
#define DEVICE_SEARCH \
	{ "q", REQ_QUERY, req_v_text, 0, 255, NULL }, \
	{ "state", REQ_QUERY, req_v_enum, 0, 0, admin_dev_states }, \
	{ "feed", REQ_QUERY, req_v_text, 0, DDI_FEED_MAX, NULL }, \
	{ "model", REQ_QUERY, req_v_text, 0, 255, NULL }, \
	{ "version", REQ_QUERY, req_v_text, 0, 255, NULL }, \
	{ "seen", REQ_QUERY, req_v_enum, 0, 0, admin_seen_words }, \
	REQ_QUERY_FIELD("after", req_v_uint, 0), \
	{ "sort", REQ_QUERY, req_v_enum, 0, 0, ddi_sort_words }, \
	{ "dir", REQ_QUERY, req_v_enum, 0, 0, admin_dir_words }, \
	{ "page", REQ_QUERY, admin_range_valid, 0, 0, &admin_page_range }
static const struct req_field devices_in[] = { DEVICE_SEARCH, DONE, REQ_END };
static const struct req_field api_devices_in[] = {
	DEVICE_SEARCH, { "counts", REQ_QUERY, NULL, REQ_EMPTY, 0, NULL }, REQ_END
};
/* the request log's filters (admin_valid.c has the time and status rules) */
static const struct req_field requests_in[] = {
	REQ_QUERY_FIELD("before", req_v_id, 0), REQ_QUERY_FIELD("status", admin_status_valid, 0),
	{ "program", REQ_QUERY, req_v_text, 0, 64, NULL },
	{ "q", REQ_QUERY, req_v_text, 0, 255, NULL },
	{ "since", REQ_QUERY, admin_time_valid, 0, 32, NULL },
	{ "until", REQ_QUERY, admin_time_valid, 0, 32, NULL }, REQ_END
};
/* the bulk form: id repeats, one per selected device (the router checks
 * every one; admin_device_bulk.c reads them all) */
static const struct req_field devices_bulk_in[] = {
	CSRF, { "action", REQ_FORM, req_v_enum, REQ_REQUIRED, 0, admin_bulk_ops },
	REQ_FORM_FIELD("id", req_v_id, REQ_REPEAT),
	{ "feed", REQ_FORM, req_v_text, 0, DDI_FEED_MAX, NULL },
	{ "mode", REQ_FORM, req_v_enum, 0, 0, admin_dev_modes },
	REQ_FORM_FIELD("software", req_v_id, 0), REQ_FORM_FIELD("confirm", req_v_bool, 0), REQ_END
};
/* one device: its page (?action= picks the log shown), its forms, the API by controller id */
static const struct req_field device_in[] = {
	REQ_PATH_FIELD("id", req_v_id), REQ_QUERY_FIELD("action", req_v_id, 0), DONE, REQ_END
};
static const struct req_field device_mode_in[] = {
	REQ_PATH_FIELD("id", req_v_id), CSRF,
	{ "mode", REQ_FORM, req_v_enum, REQ_REQUIRED, 0, admin_dev_modes },
	REQ_FORM_FIELD("software", req_v_id, 0), REQ_END
};
static const struct req_field device_feed_in[] = {
	REQ_PATH_FIELD("id", req_v_id), CSRF,
	{ "feed", REQ_FORM, req_v_text, REQ_REQUIRED, DDI_FEED_MAX, NULL }, REQ_END
};
/* name and tags: "" clears one, an absent one is kept (admin_device_labels.c
 * refuses a form that names neither) */
static const struct req_field device_labels_in[] = {
	REQ_PATH_FIELD("id", req_v_id), CSRF, { "name", REQ_FORM, req_v_text, REQ_EMPTY, 63, NULL },
	{ "tags", REQ_FORM, req_v_text, REQ_EMPTY, 255, NULL }, REQ_END
};
static const struct req_field api_device_in[] = {
	REQ_PATH_FIELD("cid", admin_cid_valid), REQ_QUERY_FIELD("tenant", admin_tenant_valid, 0),
	REQ_END
};

/* the Python index's pages: an index by its devpi names, a project by its
 * PEP 508 name; a change names a version or one file and is confirmed */
#define PYPI_INDEX REQ_PATH_FIELD("user", pypi_ident_valid), \
	REQ_PATH_FIELD("index", pypi_ident_valid)
#define PYPI_LIST(n) { (n), REQ_FORM, req_v_text, REQ_EMPTY, 2048, NULL }
static const struct req_field pypi_indexes_in[] = { DONE, REQ_END };
static const struct req_field pypi_index_in[] = { PYPI_INDEX, DONE, REQ_END };
static const struct req_field pypi_config_in[] = {
	PYPI_INDEX, CSRF, { "type", REQ_FORM, req_v_text, 0, 16, NULL },
	{ "volatile", REQ_FORM, req_v_text, 0, 8, NULL }, PYPI_LIST("bases"),
	PYPI_LIST("acl_upload"), PYPI_LIST("mirror_whitelist"),
	{ "mirror_url", REQ_FORM, req_v_text, REQ_EMPTY, 1023, NULL },
	REQ_FORM_FIELD("mirror_cache_expiry", req_v_uint, 0),
	{ "title", REQ_FORM, req_v_text, REQ_EMPTY, 256, NULL }, REQ_END
};
static const struct req_field pypi_project_in[] = {
	PYPI_INDEX, REQ_PATH_FIELD("project", pypi_project_valid), DONE, REQ_END
};
static const struct req_field pypi_change_in[] = {
	PYPI_INDEX, REQ_PATH_FIELD("project", pypi_project_valid), CSRF,
	REQ_FORM_FIELD("version", pypi_version_valid, 0),
	REQ_FORM_FIELD("file", pypi_filename_valid, 0), REQ_FORM_FIELD("yank", req_v_bool, 0),
	REQ_FORM_FIELD("confirm", req_v_bool, 0), REQ_END
};
/* the OTA pages: a repository by :owner/:repo, a release by :tag (ota.h's rules) */
#define OTA_REPO REQ_PATH_FIELD("owner", ota_owner_valid), REQ_PATH_FIELD("repo", ota_repo_valid)
static const struct req_field ota_list_in[] = { DONE, REQ_END };
static const struct req_field ota_repo_in[] = { OTA_REPO, DONE, REQ_END };
static const struct req_field ota_release_in[] = {
	OTA_REPO, REQ_PATH_FIELD("tag", ota_ref_valid), REQ_END
};
static const struct req_field ota_token_in[] = {
	OTA_REPO, CSRF, REQ_FORM_FIELD("name", admin_token_name_valid, REQ_REQUIRED), REQ_END
};
static const struct req_field ota_revoke_in[] = {
	OTA_REPO, REQ_PATH_FIELD("id", req_v_id), CSRF, REQ_END
};
/* the rollout form: stage (with a percent), pause or resume; the handler
 * asks for the percent a stage needs (admin_ota_rollout.c) */
#define OTA_ROLLOUT_FORM \
	{ "action", REQ_FORM, req_v_enum, REQ_REQUIRED, 0, admin_ota_rollout_ops }, \
	{ "percent", REQ_FORM, admin_range_valid, 0, 0, &admin_ota_percent }
static const struct req_field ota_api_rollout_in[] = { OTA_REPO, OTA_ROLLOUT_FORM, REQ_END };
static const struct req_field ota_rest_in[] = {
	{ "rest", REQ_PATH, NULL, REQ_EMPTY, 0, NULL }, REQ_END
};
static const struct req_field ota_rollout_in[] = { OTA_REPO, CSRF, OTA_ROLLOUT_FORM, REQ_END };
/* any path no route above answers: the 404 page (admin_core.c) */
static const struct req_field not_found_in[] = { REQ_PATH_FIELD("rest", NULL), REQ_END };

#define P ADMIN_PUBLIC
#define A ADMIN_ONLY
#define API ADMIN_API
/* the API routes whose body is JSON: another media type is refused, 415 */
#define JSON ROUTE_JSON_BODY

const struct route admin_routes[] = {
	ROUTE_IN("GET",  "/admin", admin_root, NULL, NULL, P),
	ROUTE_IN("GET",  "/admin/login", admin_login_page, "/login", login_page_in, P),
	ROUTE_IN("POST", "/admin/login", admin_login, "/login", login_in, P),
	ROUTE_IN("POST", "/admin/logout", admin_logout, "/logout", csrf_in, 0),
	ROUTE_IN("GET",  "/admin/", admin_dashboard, "/dashboard", NULL, 0),
	ROUTE_IN("GET",  "/admin/images", admin_images, "/images", images_in, 0),
	ROUTE_IN("POST", "/admin/images", admin_image_upload, "/images", NULL, A | ADMIN_OWN_CSRF),
	ROUTE_IN("POST", "/admin/images/delete", admin_image_delete, "/images", image_delete_in,
		 A),
	ROUTE_IN("GET",  "/admin/requests", admin_requests, "/requests", requests_in, 0),
	ROUTE_IN("GET",  "/admin/users", admin_users, "/users", users_in, 0),
	ROUTE_IN("POST", "/admin/users", admin_user_add, "/users", user_add_in, A),
	ROUTE_IN("POST", "/admin/users/:id/delete", admin_user_delete, "/users", user_id_in, A),
	ROUTE_IN("POST", "/admin/users/:id/password", admin_user_password, "/users",
		 user_password_in, 0),
	ROUTE_IN("POST", "/admin/tokens", admin_token_add, "/users", token_add_in, 0),
	ROUTE_IN("POST", "/admin/tokens/:id/revoke", admin_token_revoke, "/users", user_id_in, 0),
	ROUTE_IN("GET",  "/admin/settings", admin_settings_page, "/settings", NULL, 0),
	ROUTE_IN("GET",  "/admin/pypi/mirrors", admin_pypi_mirrors, "/pypi/mirrors", NULL, 0),
	ROUTE_IN("GET",  "/admin/mip", admin_mip, "/mip", mip_in, 0),
	ROUTE_IN("POST", "/admin/mip", admin_mip_publish, "/mip", NULL, A | ADMIN_OWN_CSRF),
	ROUTE_IN("POST", "/admin/mip/refresh", admin_mip_refresh, "/mip", csrf_in, A),
	ROUTE_IN("POST", "/admin/mip/evict", admin_mip_evict, "/mip", csrf_in, A),
	ROUTE_IN("GET",  "/admin/devices", admin_devices, "/devices", devices_in, 0),
	ROUTE_IN("POST", "/admin/devices/bulk", admin_devices_bulk, "/devices", devices_bulk_in,
		 A),
	ROUTE_IN("GET",  "/admin/devices/:id", admin_device, "/devices", device_in, 0),
	ROUTE_IN("POST", "/admin/devices/:id/labels", admin_device_labels, "/devices",
		 device_labels_in, A),
	ROUTE_IN("POST", "/admin/devices/:id/mode", admin_device_mode, "/devices",
		 device_mode_in, A),
	ROUTE_IN("POST", "/admin/devices/:id/feed", admin_device_feed, "/devices",
		 device_feed_in, A),
	ROUTE_IN("POST", "/admin/devices/:id/force", admin_device_force, "/devices", user_id_in, A),
	ROUTE_IN("POST", "/admin/devices/:id/cancel", admin_device_cancel, "/devices", user_id_in,
		 A),
	ROUTE_IN("POST", "/admin/devices/:id/delete", admin_device_delete, "/devices",
		 rollout_end_in, A),
	ROUTE_IN("GET",  "/admin/software", admin_software, "/software", list_in, 0),
	ROUTE_IN("POST", "/admin/software", admin_software_upload, "/software", NULL,
		 A | ADMIN_OWN_CSRF),
	ROUTE_IN("POST", "/admin/software/url", admin_software_url, "/software", software_url_in,
		 A),
	ROUTE_IN("POST", "/admin/software/:id/delete", admin_software_delete, "/software",
		 user_id_in, A),
	ROUTE_IN("GET",  "/admin/rollouts", admin_rollouts, "/rollouts", list_in, 0),
	ROUTE_IN("POST", "/admin/rollouts", admin_rollout_create, "/rollouts", rollout_create_in,
		 A),
	ROUTE_IN("POST", "/admin/rollouts/:id/pause", admin_rollout_pause, "/rollouts", user_id_in,
		 A),
	ROUTE_IN("POST", "/admin/rollouts/:id/resume", admin_rollout_resume, "/rollouts",
		 user_id_in, A),
	ROUTE_IN("POST", "/admin/rollouts/:id/stage", admin_rollout_stage, "/rollouts",
		 rollout_stage_in, A),
	ROUTE_IN("GET",  "/admin/rollouts/:id", admin_rollout_page, "/rollouts", rollout_in, 0),
	ROUTE_IN("POST", "/admin/rollouts/:id/limits", admin_rollout_limits, "/rollouts",
		 rollout_limits_in, A),
	ROUTE_IN("POST", "/admin/rollouts/:id/cancel", admin_rollout_cancel, "/rollouts",
		 rollout_end_in, A),
	ROUTE_IN("POST", "/admin/rollouts/:id/finish", admin_rollout_finish, "/rollouts",
		 rollout_end_in, A),
	ROUTE_IN("GET",  "/admin/ota", admin_ota_page, "/ota", ota_list_in, 0),
	ROUTE_IN("POST", "/admin/ota/publish", admin_ota_publish, "/ota", NULL,
		 A | ADMIN_OWN_CSRF),
	ROUTE_IN("GET",  "/admin/ota/:owner/:repo", admin_ota_repo_page, "/ota", ota_repo_in, 0),
	ROUTE_IN("GET",  "/admin/ota/:owner/:repo/releases/:tag", admin_ota_release_page, "/ota",
		 ota_release_in, 0),
	ROUTE_IN("POST", "/admin/ota/:owner/:repo/tokens", admin_ota_token_add, "/ota",
		 ota_token_in, A),
	ROUTE_IN("POST", "/admin/ota/:owner/:repo/tokens/:id/revoke", admin_ota_token_revoke,
		 "/ota", ota_revoke_in, A),
	ROUTE_IN("POST", "/admin/ota/:owner/:repo/rollout", admin_ota_rollout, "/ota",
		 ota_rollout_in, A),
	ROUTE_IN("GET",  "/admin/audit", admin_audit_page, "/audit", audit_in, 0),
	ROUTE_IN("GET",  "/admin/pypi", admin_pypi_indexes, "/pypi", pypi_indexes_in, 0),
	ROUTE_IN("GET",  "/admin/pypi/:user/:index", admin_pypi_index, "/pypi", pypi_index_in, 0),
	ROUTE_IN("POST", "/admin/pypi/:user/:index", admin_pypi_index_save, "/pypi",
		 pypi_config_in, A),
	ROUTE_IN("GET",  "/admin/pypi/:user/:index/:project", admin_pypi_project, "/pypi",
		 pypi_project_in, 0),
	ROUTE_IN("POST", "/admin/pypi/:user/:index/:project/yank", admin_pypi_yank, "/pypi",
		 pypi_change_in, A),
	ROUTE_IN("POST", "/admin/pypi/:user/:index/:project/delete", admin_pypi_delete, "/pypi",
		 pypi_change_in, A),
	ROUTE_IN("GET",  "/admin/api/whoami", admin_api_whoami, "/api/whoami", NULL, API),
	ROUTE_IN("POST", "/admin/api/users/:id/password", admin_api_user_password, "/api/users",
		 api_user_password_in, API | JSON),
	ROUTE_IN("GET",  "/admin/api/images", admin_api_images, "/api/images", api_images_in, API),
	ROUTE_IN("POST", "/admin/api/images", admin_api_image_upload, "/api/images",
		 api_image_upload_in, API | A),
	ROUTE_IN("PUT",  "/admin/api/images", admin_api_image_upload, "/api/images",
		 api_image_upload_in, API | A),
	ROUTE_IN("DELETE", "/admin/api/images/:box/:image", admin_api_image_delete, "/api/images",
		 api_image_in, API | A),
	ROUTE_IN("GET",  "/admin/api/requests", admin_api_requests, "/api/requests",
		 requests_in, API),
	ROUTE_IN("GET",  "/admin/api/mip/packages", admin_api_mip_packages, "/api/mip", NULL, API),
	ROUTE_IN("POST", "/admin/api/mip/packages", admin_api_mip_publish, "/api/mip",
		 api_mip_publish_in, API | A),
	ROUTE_IN("PUT",  "/admin/api/mip/packages", admin_api_mip_publish, "/api/mip",
		 api_mip_publish_in, API | A),
	ROUTE_IN("GET",  "/admin/api/devices", admin_api_devices, "/api/devices", api_devices_in,
		 API),
	ROUTE_IN("GET",  "/admin/api/devices/:cid", admin_api_device, "/api/devices",
		 api_device_in, API),
	ROUTE_IN("GET",  "/admin/api/software", admin_api_software, "/api/software", NULL, API),
	ROUTE_IN("POST", "/admin/api/software", admin_api_software_add, "/api/software",
		 api_software_add_in, API | A),
	ROUTE_IN("PUT",  "/admin/api/software", admin_api_software_add, "/api/software",
		 api_software_add_in, API | A),
	ROUTE_IN("POST", "/admin/api/software/url", admin_api_software_url, "/api/software", NULL,
		 API | A | JSON),
	ROUTE_IN("DELETE", "/admin/api/software/:id", admin_api_software_delete, "/api/software",
		 api_id_in, API | A),
	ROUTE_IN("GET",  "/admin/api/rollouts", admin_api_rollouts, "/api/rollouts", NULL, API),
	ROUTE_IN("POST", "/admin/api/rollouts", admin_api_rollout_create, "/api/rollouts", NULL,
		 API | A | JSON),
	ROUTE_IN("POST", "/admin/api/rollouts/:id/pause", admin_api_rollout_pause, "/api/rollouts",
		 api_id_in, API | A),
	ROUTE_IN("POST", "/admin/api/rollouts/:id/resume", admin_api_rollout_resume,
		 "/api/rollouts", api_id_in, API | A),
	ROUTE_IN("POST", "/admin/api/rollouts/:id/stage", admin_api_rollout_stage,
		 "/api/rollouts", api_id_in, API | A | JSON),
	ROUTE_IN("GET",  "/admin/api/rollouts/:id", admin_api_rollout, "/api/rollouts",
		 rollout_in, API),
	ROUTE_IN("POST", "/admin/api/rollouts/:id/limits", admin_api_rollout_limits,
		 "/api/rollouts", rollout_limits_in, API | A),
	ROUTE_IN("POST", "/admin/api/rollouts/:id/cancel", admin_api_rollout_cancel,
		 "/api/rollouts", rollout_end_in, API | A),
	ROUTE_IN("POST", "/admin/api/rollouts/:id/finish", admin_api_rollout_finish,
		 "/api/rollouts", rollout_end_in, API | A),
	ROUTE_IN("GET",  "/admin/api/audit", admin_api_audit, "/api/audit", audit_in, API),
	ROUTE_IN("POST", "/admin/api/ota/publish", admin_ota_publish, "/api/ota", NULL, API | A),
	ROUTE_IN("POST", "/admin/api/ota/:owner/:repo/rollout", admin_ota_rollout, "/api/ota",
		 ota_api_rollout_in, API | A),
	/* after every /admin/api/ota route: the rest answers JSON, not the router's text */
	ROUTE_IN("*", "/admin/api/ota", admin_ota_api_refuse, "/api/ota", NULL, API),
	ROUTE_IN("*", "/admin/api/ota/*rest", admin_ota_api_refuse, "/api/ota", ota_rest_in, API),
	/* last: the paths nothing above answers (other methods stay 404/405) */
	ROUTE_IN("GET",  "/admin/api/*rest", admin_not_found, "/api/404", not_found_in, API),
	ROUTE_IN("GET",  "/admin/*rest", admin_not_found, "/404", not_found_in, 0),
};

#undef P
#undef A
#undef API
#undef JSON

const int admin_nroutes = sizeof(admin_routes) / sizeof(admin_routes[0]);

const struct app_def admin_def = {
	"admin", admin_routes, sizeof(admin_routes) / sizeof(admin_routes[0]), APP_ERR_TEXT,
	admin_init, admin_fini, admin_before, 1, NULL, "/admin/api/"
};

#ifndef NB_NO_MAIN
int main(int argc, char **argv)
{
	return app_main(&admin_def, &core_spec, argc, argv);
}
#endif
