/*
 * The declared configuration keys.  etc/nestbox.yaml documents each one;
 * an undeclared key in the file or the environment stops start-up.
 * Empty path defaults mean "inside server.var_dir".
 */
#include "core.h"

#ifndef NB_DATADIR
#define NB_DATADIR "/usr/local/share/nestbox"
#endif

const struct conf_key core_conf_keys[] = {
	{ "server.var_dir", CONF_PATH, "var", NULL, 0,
	  "runtime state: database, blobs, caches" },
	{ "server.base_url", CONF_STR, "", NULL, 0,
	  "external URL of this server, for absolute links; empty: from the request" },
	{ "server.xsendfile", CONF_BOOL, "true", NULL, 0,
	  "let the front end send files (X-Sendfile); false streams them" },
	{ "server.max_body", CONF_INT, "1048576", NULL, 0,
	  "largest request body read into memory, bytes" },
	{ "server.body_timeout", CONF_INT, "20", NULL, 0,
	  "seconds a request body may take from its first read (408 after) ..." },
	{ "server.body_min_rate", CONF_INT, "500", NULL, 0,
	  "... plus one second per this many bytes received" },
	{ "db.path", CONF_PATH, "", NULL, 0, "SQLite file; empty: <var_dir>/nestbox.db" },
	{ "db.busy_timeout_ms", CONF_INT, "5000", NULL, 0,
	  "how long a writer waits for the lock" },
	{ "blob.dir", CONF_PATH, "", NULL, 0, "blob store; empty: <var_dir>/blobs" },
	{ "log.flush_every", CONF_INT, "64", NULL, 0,
	  "request-log rows buffered per process before a write" },
	{ "log.flush_ms", CONF_INT, "1000", NULL, 0,
	  "longest a request-log row waits in the buffer (checked per request)" },
	{ "log.max_rows", CONF_INT, "100000", NULL, 0, "request-log rows kept" },
	{ "log.hot_rows", CONF_BOOL, "false", NULL, 0,
	  "also a request-log row for each DDI poll (a fleet's steady traffic, otherwise"
	  " counted in /metrics only)" },
	{ "log.requests_to_stderr", CONF_BOOL, "false", NULL, 0,
	  "also write one line per request to the front end's error log" },
	{ "mkbox.image_path", CONF_PATH, "", "IMAGE_PATH", 0,
	  "mkbox image directory <box>/<image>.img.*; empty: <var_dir>/images" },
	{ "mkbox.zstd_level", CONF_INT, "3", NULL, 0, "zstd level for image import" },
	{ "mkbox.zstd_threads", CONF_INT, "0", NULL, 0,
	  "zstd worker threads for import; 0: one per core" },
	{ "admin.templates", CONF_PATH, NB_DATADIR "/templates", NULL, 0,
	  "the admin pages' templates" },
	{ "admin.session_ttl", CONF_INT, "28800", NULL, 0, "seconds a login lasts" },
	{ "admin.login_max_failures", CONF_INT, "5", NULL, 0,
	  "failed logins of one user from one address before that pair is refused ..." },
	{ "admin.login_window", CONF_INT, "900", NULL, 0, "... for this many seconds" },
	{ "admin.login_address_failures", CONF_INT, "50", NULL, 0,
	  "failed logins from one address (any user) in the window before every further"
	  " attempt from it waits a growing delay of at most a minute" },
	{ "admin.max_upload", CONF_INT, "17179869184", NULL, 0,
	  "largest image upload through the admin pages, bytes" },
	{ "admin.page_size", CONF_INT, "50", NULL, 0, "rows per page in admin lists" },
	{ "mip.upstream", CONF_STR, "https://micropython.org/pi/v2", NULL, 0,
	  "the index proxied for packages not hosted here" },
	{ "mip.cache_ttl", CONF_INT, "1800", NULL, 0,
	  "seconds proxied package metadata is used before it is revalidated" },
	{ "mip.offline", CONF_BOOL, "false", NULL, 0, "never contact upstream; serve the cache" },
	{ "mip.github_raw", CONF_STR, "https://raw.githubusercontent.com", NULL, 0,
	  "raw-file host for /mip/github/ packages" },
	{ "mip.gitlab_raw", CONF_STR, "https://gitlab.com", NULL, 0,
	  "GitLab host for /mip/gitlab/ packages (<host>/<org>/<repo>/-/raw/<ref>/<path>)" },
	{ "mip.mpy_cross", CONF_STR, "mpy-cross", NULL, 0,
	  "the mpy-cross compiler; empty or missing: the mpy flavour serves sources" },
	{ "mip.opt", CONF_INT, "2", NULL, 0, "mpy-cross optimisation level (-O)" },
	{ "mip.cache_max", CONF_INT, "1073741824", NULL, 0,
	  "bytes of proxied and fetched files kept; least recently used go first" },
	{ "mip.fetch_timeout", CONF_INT, "20", NULL, 0, "seconds an upstream request may take" },
	{ "mip.max_file", CONF_INT, "16777216", NULL, 0, "largest file fetched from upstream" },
	{ "ddi.tenants", CONF_LIST, "DEFAULT", NULL, 0, "DDI tenants served; others are 404" },
	{ "ddi.poll_time", CONF_STR, "00:05:00", NULL, 0, "the polling.sleep devices are told" },
	{ "ddi.auth_mode", CONF_STR, "setup", NULL, 0,
	  "setup (a device's first token is kept), lax (devices without tokens "
	  "accepted), strict (a registered token required)" },
	{ "ddi.gateway_token", CONF_STR, "", NULL, 1,
	  "a shared GatewayToken accepted for every device; empty: none" },
	{ "ddi.max_concurrent_updates", CONF_INT, "0", NULL, 0,
	  "devices updating at once; 0: no limit" },
	{ "ddi.confirmation_required", CONF_BOOL, "false", NULL, 0,
	  "new actions wait for the device to confirm (hawkBit's user consent flow)"
	  " unless the device turned auto-confirm on" },
	{ "ddi.rollout_max_failures", CONF_INT, "0", NULL, 0,
	  "a new rollout pauses itself after this many failed devices; 0: never" },
	{ "ddi.rollout_max_failure_rate", CONF_INT, "0", NULL, 0,
	  "a new rollout pauses itself when this percentage of its results failed; 0: never" },
	{ "ddi.max_image", CONF_INT, "4294967296", NULL, 0,
	  "largest image fetched from an external URL (bytes)" },
	{ "ddi.fetch_timeout", CONF_INT, "600", NULL, 0,
	  "seconds fetching software from an external URL may take" },
	{ "ddi.rollout_min_results", CONF_INT, "10", NULL, 0,
	  "results a rollout needs before its failure rate is judged" },
	{ "ddi.rauc_revision_separator", CONF_STR, "", NULL, 0,
	  "splits a RAUC bundle's compatible at its last occurrence into board and "
	  "revision; empty: the whole string is the board, any revision" },
	{ NULL, 0, NULL, NULL, 0, NULL }
};
