/*
 * The store's schema, one step per PRAGMA user_version.  Steps are never
 * edited once released: a change is a new step at the end.
 */
#include "core.h"

const char *const core_schema[] = {
	/* 1: request log, metrics, mkbox update-tar cache */
	"CREATE TABLE request_log("
	"  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, program TEXT NOT NULL,"
	"  method TEXT NOT NULL, path TEXT NOT NULL, route TEXT NOT NULL,"
	"  status INTEGER NOT NULL, bytes INTEGER NOT NULL, dur_us INTEGER NOT NULL,"
	"  remote TEXT NOT NULL, user_agent TEXT NOT NULL);"
	"CREATE INDEX request_log_ts ON request_log(ts_ms);"
	"CREATE TABLE metrics_requests("
	"  program TEXT NOT NULL, route TEXT NOT NULL, status INTEGER NOT NULL,"
	"  count INTEGER NOT NULL, sum_us INTEGER NOT NULL,"
	"  PRIMARY KEY(program, route, status)) WITHOUT ROWID;"
	"CREATE TABLE metrics_latency("
	"  program TEXT NOT NULL, route TEXT NOT NULL, bucket INTEGER NOT NULL,"
	"  count INTEGER NOT NULL, PRIMARY KEY(program, route, bucket)) WITHOUT ROWID;"
	"CREATE TABLE mkbox_tar("
	"  box TEXT NOT NULL, image TEXT NOT NULL, build_id TEXT NOT NULL,"
	"  zst_size INTEGER NOT NULL, zst_mtime INTEGER NOT NULL,"
	"  sha_size INTEGER NOT NULL, sha_mtime INTEGER NOT NULL,"
	"  blob TEXT NOT NULL, size INTEGER NOT NULL, created INTEGER NOT NULL,"
	"  PRIMARY KEY(box, image)) WITHOUT ROWID;",

	/* 2: admin users, sessions, API tokens, login throttling, hourly counts */
	"CREATE TABLE users("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pw_hash TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK(role IN ('admin','readonly')), created INTEGER NOT NULL);"
	"CREATE TABLE sessions("
	"  token_hash TEXT PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE TABLE api_tokens("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,"
	"  created INTEGER NOT NULL, last_used INTEGER, revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX api_tokens_user ON api_tokens(user_id);"
	"CREATE TABLE login_failures("
	"  key TEXT PRIMARY KEY, count INTEGER NOT NULL, first INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE requests_hourly("
	"  hour INTEGER NOT NULL, program TEXT NOT NULL, count INTEGER NOT NULL,"
	"  errors INTEGER NOT NULL, PRIMARY KEY(hour, program)) WITHOUT ROWID;"
	"CREATE INDEX request_log_program ON request_log(program, id);"
	"CREATE INDEX request_log_status ON request_log(status, id);",

	/* 3: the mip index: files by sha256, package JSON per origin, compile cache */
	"CREATE TABLE mip_files("
	"  sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, origin TEXT NOT NULL,"
	"  last_used INTEGER NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;"  /* times in ms */
	"CREATE INDEX mip_files_lru ON mip_files(origin, last_used);"
	"CREATE TABLE mip_packages("
	"  origin TEXT NOT NULL, name TEXT NOT NULL, flavour TEXT NOT NULL, version TEXT NOT NULL,"
	"  json TEXT NOT NULL, etag TEXT NOT NULL DEFAULT '', last_modified TEXT NOT NULL DEFAULT '',"
	"  fetched INTEGER NOT NULL, expires INTEGER NOT NULL,"
	"  PRIMARY KEY(origin, name, flavour, version)) WITHOUT ROWID;"
	"CREATE TABLE mip_hosted("
	"  name TEXT NOT NULL, version TEXT NOT NULL, published INTEGER NOT NULL,"
	"  files INTEGER NOT NULL, size INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY(name, version)) WITHOUT ROWID;"
	"CREATE TABLE mip_compiled("
	"  src TEXT NOT NULL, compiler TEXT NOT NULL, flags TEXT NOT NULL, out TEXT NOT NULL,"
	"  PRIMARY KEY(src, compiler, flags)) WITHOUT ROWID;"
	"CREATE TABLE mip_upstream("
	"  origin TEXT PRIMARY KEY, last_ok INTEGER, last_error INTEGER, error TEXT) WITHOUT ROWID;",

	/*
	 * 4: substring search over request-log paths without a full scan.  The
	 * trigram index is filled by the search itself (admin_requests.c), not
	 * by triggers: index upkeep on every request-log batch cost the hot
	 * programs half their rate.
	 */
	"CREATE VIRTUAL TABLE request_log_path USING fts5(path, tokenize='trigram case_sensitive 1');",

	/* 5: the DDI software repository */
	"CREATE TABLE ddi_software("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL,"
	"  kind TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER NOT NULL,"
	"  sha1 TEXT NOT NULL, md5 TEXT NOT NULL, sha256 TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL);"
	"CREATE INDEX ddi_software_version ON ddi_software(version);"
	"CREATE TABLE ddi_software_compat("
	"  software_id INTEGER NOT NULL REFERENCES ddi_software(id) ON DELETE CASCADE,"
	"  board TEXT NOT NULL, revision TEXT NOT NULL,"
	"  PRIMARY KEY(software_id, board, revision)) WITHOUT ROWID;",

	/* 6: DDI devices, actions and their status history */
	"CREATE TABLE ddi_devices("
	"  id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, controller_id TEXT NOT NULL,"
	"  token_hash TEXT NOT NULL DEFAULT '', hw_model TEXT NOT NULL DEFAULT '',"
	"  hw_revision TEXT NOT NULL DEFAULT '', sw_version TEXT NOT NULL DEFAULT '',"
	"  feed TEXT NOT NULL DEFAULT 'default', mode TEXT NOT NULL DEFAULT 'rollout',"
	"  assigned INTEGER, force INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'registered', attributes TEXT NOT NULL DEFAULT '',"
	"  last_seen INTEGER NOT NULL DEFAULT 0, last_addr TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL, UNIQUE(tenant, controller_id));"
	"CREATE TABLE ddi_actions("
	"  id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL REFERENCES ddi_devices(id) ON DELETE CASCADE,"
	"  software_id INTEGER NOT NULL REFERENCES ddi_software(id),"
	"  status TEXT NOT NULL, progress INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL, updated INTEGER NOT NULL);"
	"CREATE INDEX ddi_actions_device ON ddi_actions(device_id, status);"
	"CREATE TABLE ddi_action_status("
	"  id INTEGER PRIMARY KEY, action_id INTEGER NOT NULL REFERENCES ddi_actions(id) ON DELETE CASCADE,"
	"  ts INTEGER NOT NULL, execution TEXT NOT NULL, finished TEXT NOT NULL, details TEXT NOT NULL);"
	"CREATE INDEX ddi_action_status_action ON ddi_action_status(action_id, id);",

	/* 7: rollouts, the confirmation flow, software at external URLs */
	"ALTER TABLE ddi_software ADD COLUMN url TEXT NOT NULL DEFAULT '';"
	/* the version order (version_cmp) as a number, kept at ingest: "latest" is an index walk */
	"ALTER TABLE ddi_software ADD COLUMN vrank INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX ddi_software_vrank ON ddi_software(vrank);"
	"ALTER TABLE ddi_devices ADD COLUMN name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE ddi_devices ADD COLUMN tags TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE ddi_devices ADD COLUMN auto_confirm INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE ddi_devices ADD COLUMN auto_confirm_by TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE ddi_devices ADD COLUMN auto_confirm_remark TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE ddi_devices ADD COLUMN auto_confirm_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE ddi_actions ADD COLUMN rollout_id INTEGER REFERENCES ddi_rollouts(id);"
	"CREATE TABLE ddi_rollouts("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, feed TEXT NOT NULL,"
	"  software_id INTEGER NOT NULL REFERENCES ddi_software(id),"
	"  state TEXT NOT NULL DEFAULT 'running', percent INTEGER NOT NULL DEFAULT 100,"
	"  max_failures INTEGER NOT NULL DEFAULT 0, max_failure_rate INTEGER NOT NULL DEFAULT 0,"
	"  success INTEGER NOT NULL DEFAULT 0, failure INTEGER NOT NULL DEFAULT 0,"
	"  pause_reason TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE INDEX ddi_rollouts_feed ON ddi_rollouts(feed, state, id);"
	"CREATE INDEX ddi_actions_status ON ddi_actions(status);"
	/* (device_id) alone keeps rowid order: "the newest action" is one index step */
	"DROP INDEX ddi_actions_device;"
	"CREATE INDEX ddi_actions_device ON ddi_actions(device_id);"
	"CREATE INDEX ddi_actions_rollout ON ddi_actions(rollout_id, status);"
	"CREATE INDEX ddi_actions_software ON ddi_actions(software_id);"
	"CREATE INDEX ddi_devices_feed ON ddi_devices(feed, mode);"
	"CREATE INDEX ddi_devices_assigned ON ddi_devices(assigned) WHERE assigned IS NOT NULL;"
	/*
	 * Devices counted by (state, feed, mode), kept by triggers: the admin
	 * pages show counts by state and per feed without scanning a million
	 * rows; a device changes state only when an action moves.
	 */
	"CREATE TABLE ddi_device_counts("
	"  state TEXT NOT NULL, feed TEXT NOT NULL, mode TEXT NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY(state, feed, mode)) WITHOUT ROWID;"
	"INSERT INTO ddi_device_counts SELECT state, feed, mode, count(*) FROM ddi_devices"
	"  GROUP BY state, feed, mode;"
	"CREATE TRIGGER ddi_devices_count_ins AFTER INSERT ON ddi_devices BEGIN"
	"  INSERT INTO ddi_device_counts VALUES(new.state, new.feed, new.mode, 1)"
	"   ON CONFLICT(state, feed, mode) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE TRIGGER ddi_devices_count_del AFTER DELETE ON ddi_devices BEGIN"
	"  UPDATE ddi_device_counts SET n = n - 1"
	"   WHERE state = old.state AND feed = old.feed AND mode = old.mode;"
	" END;"
	"CREATE TRIGGER ddi_devices_count_upd AFTER UPDATE OF state, feed, mode ON ddi_devices"
	"  WHEN old.state != new.state OR old.feed != new.feed OR old.mode != new.mode BEGIN"
	"  UPDATE ddi_device_counts SET n = n - 1"
	"   WHERE state = old.state AND feed = old.feed AND mode = old.mode;"
	"  INSERT INTO ddi_device_counts VALUES(new.state, new.feed, new.mode, 1)"
	"   ON CONFLICT(state, feed, mode) DO UPDATE SET n = n + 1;"
	" END;"
	"CREATE INDEX ddi_devices_state ON ddi_devices(state);",

	/*
	 * 8: how a device came (operator, self: registered itself in setup or
	 * lax mode, gateway), so self-registration can be capped and counted
	 * by an index walk; and the software whose cancel stands (held), not
	 * offered again until an operator assigns again or forces.
	 */
	"ALTER TABLE ddi_devices ADD COLUMN origin TEXT NOT NULL DEFAULT 'operator';"
	"ALTER TABLE ddi_devices ADD COLUMN held INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX ddi_devices_origin ON ddi_devices(origin, created);",

	/*
	 * 9: the MicroPython OTA updater's repositories.  Objects and refs live
	 * in bare git repositories (ota.git_dir); these rows are what boards
	 * read on every check: releases and branch tips, the files of each
	 * published commit, and each git blob's sha256 name in the blob store.
	 */
	"CREATE TABLE ota_repos("
	"  id INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL,"
	"  private INTEGER NOT NULL DEFAULT 0, sign_key TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL, UNIQUE(owner, name));"
	"CREATE TABLE ota_releases("
	"  id INTEGER PRIMARY KEY, repo_id INTEGER NOT NULL REFERENCES ota_repos(id),"
	"  tag TEXT NOT NULL, commit_sha TEXT NOT NULL, tag_sha TEXT NOT NULL DEFAULT '',"
	"  version TEXT NOT NULL, manifest TEXT NOT NULL DEFAULT '',"
	"  manifest_size INTEGER NOT NULL DEFAULT 0, published INTEGER NOT NULL,"
	"  UNIQUE(repo_id, tag));"
	"CREATE TABLE ota_branches("
	"  repo_id INTEGER NOT NULL REFERENCES ota_repos(id), name TEXT NOT NULL,"
	"  commit_sha TEXT NOT NULL, updated INTEGER NOT NULL,"
	"  PRIMARY KEY(repo_id, name)) WITHOUT ROWID;"
	"CREATE TABLE ota_blobs("
	"  sha1 TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
	"  crc32 INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX ota_blobs_sha256 ON ota_blobs(sha256);"
	"CREATE TABLE ota_files("
	"  repo_id INTEGER NOT NULL REFERENCES ota_repos(id), commit_sha TEXT NOT NULL,"
	"  path TEXT NOT NULL, sha1 TEXT NOT NULL REFERENCES ota_blobs(sha1),"
	"  PRIMARY KEY(repo_id, commit_sha, path)) WITHOUT ROWID;"
	"CREATE TABLE ota_tokens("
	"  id INTEGER PRIMARY KEY, repo_id INTEGER NOT NULL REFERENCES ota_repos(id),"
	"  name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created INTEGER NOT NULL);",

	/*
	 * 10: the Python index: its own users (a realm apart from the admin
	 * users), their indexes, the files uploaded to them (blobs by
	 * sha256), login tokens.  Times in ms.
	 */
	"CREATE TABLE pypi_users("
	"  name TEXT PRIMARY KEY, pw_hash TEXT NOT NULL, email TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE pypi_indexes("
	"  id INTEGER PRIMARY KEY,"
	"  user TEXT NOT NULL REFERENCES pypi_users(name) ON DELETE CASCADE, name TEXT NOT NULL,"
	"  type TEXT NOT NULL CHECK(type IN ('stage','mirror')),"
	"  volatile INTEGER NOT NULL DEFAULT 1, bases TEXT NOT NULL DEFAULT '',"
	"  acl_upload TEXT NOT NULL DEFAULT '', mirror_whitelist TEXT NOT NULL DEFAULT '',"
	"  mirror_url TEXT NOT NULL DEFAULT '', mirror_cache_expiry INTEGER NOT NULL DEFAULT 1800,"
	"  title TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL, UNIQUE(user, name));"
	"CREATE TABLE pypi_files("
	"  id INTEGER PRIMARY KEY,"
	"  index_id INTEGER NOT NULL REFERENCES pypi_indexes(id) ON DELETE CASCADE,"
	"  project TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,"
	"  filename TEXT NOT NULL, sha256 TEXT NOT NULL, md5 TEXT NOT NULL, size INTEGER NOT NULL,"
	"  requires_python TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL DEFAULT '',"
	"  requires_dist TEXT NOT NULL DEFAULT '', metadata_sha256 TEXT NOT NULL DEFAULT '',"
	"  yanked TEXT, uploaded INTEGER NOT NULL, UNIQUE(index_id, filename));"
	"CREATE INDEX pypi_files_project ON pypi_files(index_id, project);"
	"CREATE INDEX pypi_files_sha256 ON pypi_files(sha256);"
	"CREATE INDEX pypi_files_metadata ON pypi_files(metadata_sha256);"
	"CREATE TABLE pypi_tokens("
	"  token_hash TEXT PRIMARY KEY,"
	"  user TEXT NOT NULL REFERENCES pypi_users(name) ON DELETE CASCADE,"
	"  expires INTEGER NOT NULL) WITHOUT ROWID;",

	/*
	 * 11: the audit feed: what operators changed (who, what, on what,
	 * when, through which door), kept apart from the request log, which
	 * is bounded and records devices too.  Owned by src/core/audit_store.c.
	 */
	"CREATE TABLE admin_audit("
	"  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, user TEXT NOT NULL,"
	"  via TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL);"
	"CREATE INDEX admin_audit_user ON admin_audit(user, id);"
	/* the dashboard's devices not seen for too long: an index walk from the oldest */
	"CREATE INDEX ddi_devices_seen ON ddi_devices(last_seen);",

	/*
	 * 12: what the OTA part knows beyond GitHub.  ota_boards: one row per
	 * board of a repository (its token's hash, or its address without
	 * one): when it last checked, the commit it is fetching (how many of
	 * its files, the last path, to count a retry once) and the one it
	 * last fetched completely.  ota_rollouts: the staged rollout of a
	 * repository's newest release (after prev_id, the last release every
	 * board was given).  Owned by ota_board_store.c.
	 */
	"CREATE TABLE ota_boards("
	"  id INTEGER PRIMARY KEY, repo_id INTEGER NOT NULL REFERENCES ota_repos(id),"
	"  board_key TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',"
	"  address TEXT NOT NULL DEFAULT '', agent TEXT NOT NULL DEFAULT '',"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	"  fetch_commit TEXT NOT NULL DEFAULT '', fetch_ref TEXT NOT NULL DEFAULT '',"
	"  fetch_path TEXT NOT NULL DEFAULT '', fetch_n INTEGER NOT NULL DEFAULT 0,"
	"  fetch_total INTEGER NOT NULL DEFAULT 0, done_commit TEXT NOT NULL DEFAULT '',"
	"  done_ref TEXT NOT NULL DEFAULT '', done_at INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE(repo_id, board_key));"
	"CREATE INDEX ota_boards_done ON ota_boards(repo_id, done_commit);"
	"CREATE TABLE ota_rollouts("
	"  repo_id INTEGER PRIMARY KEY REFERENCES ota_repos(id),"
	"  release_id INTEGER NOT NULL REFERENCES ota_releases(id),"
	"  prev_id INTEGER NOT NULL DEFAULT 0,"
	"  percent INTEGER NOT NULL CHECK(percent BETWEEN 0 AND 100),"
	"  paused INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL);",
	/*
	 * 13: the Python index's mirror: upstream pages cached per mirror
	 * index (project '' is the project list, its names in body) with
	 * their validators, the links they held, and the files fetched
	 * through them with their last use (least recently used go first
	 * when pypi.cache_max is reached; uploads live in pypi_files and are
	 * never evicted).  Times in ms; failed is 0 after a good answer.
	 */
	"CREATE TABLE pypi_mirror_pages("
	"  index_id INTEGER NOT NULL REFERENCES pypi_indexes(id) ON DELETE CASCADE,"
	"  project TEXT NOT NULL, body TEXT NOT NULL DEFAULT '',"
	"  etag TEXT NOT NULL DEFAULT '', last_modified TEXT NOT NULL DEFAULT '',"
	"  fetched INTEGER NOT NULL, failed INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT NOT NULL DEFAULT '', PRIMARY KEY(index_id, project)) WITHOUT ROWID;"
	"CREATE TABLE pypi_mirror_links("
	"  index_id INTEGER NOT NULL REFERENCES pypi_indexes(id) ON DELETE CASCADE,"
	"  project TEXT NOT NULL, filename TEXT NOT NULL, url TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL, requires_python TEXT NOT NULL DEFAULT '', yanked TEXT,"
	"  size INTEGER NOT NULL DEFAULT -1, UNIQUE(index_id, filename));"
	"CREATE INDEX pypi_mirror_links_project ON pypi_mirror_links(index_id, project);"
	"CREATE TABLE pypi_mirror_files("
	"  index_id INTEGER NOT NULL REFERENCES pypi_indexes(id) ON DELETE CASCADE,"
	"  project TEXT NOT NULL, filename TEXT NOT NULL, url TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL, requires_python TEXT NOT NULL DEFAULT '', yanked TEXT,"
	"  size INTEGER NOT NULL, fetched INTEGER NOT NULL, used INTEGER NOT NULL,"
	"  PRIMARY KEY(index_id, filename)) WITHOUT ROWID;"
	"CREATE INDEX pypi_mirror_files_project ON pypi_mirror_files(index_id, project);"
	"CREATE INDEX pypi_mirror_files_used ON pypi_mirror_files(used);"
	"CREATE INDEX pypi_mirror_files_sha256 ON pypi_mirror_files(sha256);"
	/* a new upstream is a new mirror: nothing of the old one is served
	 * (devpi keeps serving the old data); the blobs go by eviction or gc */
	"CREATE TRIGGER pypi_mirror_url_changed AFTER UPDATE OF mirror_url ON pypi_indexes"
	"  WHEN old.mirror_url IS NOT new.mirror_url BEGIN"
	"  DELETE FROM pypi_mirror_pages WHERE index_id = old.id;"
	"  DELETE FROM pypi_mirror_links WHERE index_id = old.id;"
	"  DELETE FROM pypi_mirror_files WHERE index_id = old.id;"
	"  END;",
	/* 14: the request log's user column: the operator a program names in
	 * its answer's X-Nestbox-User, logged by the front end ("" for none) */
	"ALTER TABLE request_log ADD COLUMN user TEXT NOT NULL DEFAULT '';",
	/* 15: a mirrored link's place on its upstream page: the order the page
	 * listed them in, kept by a column both stores have (it was rowid) */
	/* one step of two statements (the parentheses tell clang so) */
	("ALTER TABLE pypi_mirror_links ADD COLUMN pos INTEGER NOT NULL DEFAULT 0;"
	 "UPDATE pypi_mirror_links SET pos = rowid;"),
	/* 16: PostgreSQL's data-version counter in rows (schema_pg.c step
	 * 16); SQLite keeps its own (PRAGMA data_version): nothing here */
	"SELECT 1;",
	/*
	 * 17: the poll's device lookup from one B-tree.  Through the
	 * (tenant, controller_id) index it read that index and then the
	 * table, two leaves a poll, and in WAL mode every commit of another
	 * process empties a reader's page cache, so at a million devices
	 * each poll read both from the file again.  ddi_devices_poll holds
	 * every column the poll reads (ddi_store.c's sql_dev_get, INDEXED BY
	 * it), one leaf a poll.  has_attrs stands for "attributes != ''",
	 * which an index cannot cover in this SQLite (3.40): kept by the
	 * triggers from the attributes themselves.
	 */
	("ALTER TABLE ddi_devices ADD COLUMN has_attrs INTEGER NOT NULL DEFAULT 0;"
	 "UPDATE ddi_devices SET has_attrs = 1 WHERE attributes != '';"
	 "CREATE TRIGGER ddi_devices_has_attrs_ins AFTER INSERT ON ddi_devices"
	 "  WHEN new.attributes != '' BEGIN"
	 "  UPDATE ddi_devices SET has_attrs = 1 WHERE id = new.id;"
	 " END;"
	 "CREATE TRIGGER ddi_devices_has_attrs_upd AFTER UPDATE OF attributes, has_attrs ON ddi_devices"
	 "  WHEN new.has_attrs IS NOT (new.attributes != '') BEGIN"
	 "  UPDATE ddi_devices SET has_attrs = (new.attributes != '') WHERE id = new.id;"
	 " END;"
	 "CREATE INDEX ddi_devices_poll ON ddi_devices(tenant, controller_id, id, token_hash,"
	 "  hw_model, hw_revision, sw_version, feed, mode, assigned, force, state, has_attrs,"
	 "  last_seen, auto_confirm, held);"),
	/* 18: PostgreSQL's data version leaves the DDI actions and their log
	 * (schema_pg.c step 18); SQLite keeps its own: nothing here */
	"SELECT 1;",
};

const int core_schema_steps = sizeof(core_schema) / sizeof(core_schema[0]);

const struct app_store_spec core_spec = {
	core_conf_keys, core_schema, sizeof(core_schema) / sizeof(core_schema[0]),
	core_schema_pg, sizeof(core_schema) / sizeof(core_schema[0])
};
