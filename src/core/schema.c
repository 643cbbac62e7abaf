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
};

const int core_schema_steps = sizeof(core_schema) / sizeof(core_schema[0]);

const struct app_store_spec core_spec = {
	core_conf_keys, core_schema, sizeof(core_schema) / sizeof(core_schema[0])
};
