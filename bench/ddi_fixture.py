#!/usr/bin/env python3
"""bench/ddi_fixture.py - registered DDI devices for `make bench`.

    ddi_fixture.py <nestbox.db> <devices> <software id> <version>

Grows the bench devices in ddi_devices to <devices> rows (at most
10,000,000): device i is "bench-%07d" (tenant DEFAULT) with the token
"bt-%07d", stored as the sha256 hex nestbox keeps; each has sent its
attributes (board "bench", revision 1.0), is assigned the software
<software id> and already runs <version>: a poll has nothing to do.
Devices already there are kept, so calling it with 1,000 and then with
1,000,000 adds the difference.

Fast enough for ten million rows (a few minutes): the rows are made by
SQLite itself (a recursive CTE; only the token hash calls back into
Python), and the secondary indexes and the per-row count trigger are
dropped for the insert and made again after it, with the count added
once: sorting a whole column once is far cheaper than millions of
random B-tree inserts.  All in one transaction, so the programs reading
the store meanwhile see the old table or the new one, never a table
without its indexes.  synchronous=OFF for this connection only: a
fixture can be made again.

Only the columns of the store's sixth schema step are written (later
steps add columns with defaults), and has_attrs (step 17) where the
store has it, which its trigger (dropped for the insert too) would set.
Prints "<devices> devices (<added> added) in <seconds> s (<rows/s>/s)".
"""
import hashlib
import json
import sqlite3
import sys
import time

MAX = 10000000  # "bench-%07d" names 0 .. 9,999,999


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    db, total, sid, version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if not 0 < total <= MAX:
        sys.exit("ddi_fixture: devices must be 1..%d, not %d" % (MAX, total))
    t0 = time.monotonic()
    c = sqlite3.connect(db, timeout=30, isolation_level=None)
    c.execute("PRAGMA synchronous=OFF")
    c.execute("PRAGMA cache_size=-524288")
    c.execute("PRAGMA temp_store=MEMORY")
    c.execute("BEGIN IMMEDIATE")
    have = c.execute("SELECT count(*) FROM ddi_devices WHERE tenant='DEFAULT'"
                     " AND controller_id GLOB 'bench-[0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"
                     ).fetchone()[0]
    added = max(total - have, 0)
    if added:
        _insert(c, have, total, sid, version)
    c.execute("COMMIT")
    # the WAL back into the database file, so the polls do not read through it
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    took = time.monotonic() - t0
    print("%d devices (%d added) in %.1f s (%.0f rows/s)" % (max(have, total), added, took,
                                                            added / took if took > 0 else 0))


def _insert(c, first, end, sid, version):
    """Rows first..end-1, inside the caller's transaction."""
    saved = c.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'ddi_devices' AND"
        " ((type = 'index' AND sql IS NOT NULL) OR"
        "  (type = 'trigger' AND name IN ('ddi_devices_count_ins',"
        "                                 'ddi_devices_has_attrs_ins')))").fetchall()
    for kind, name, _ in saved:
        c.execute('DROP %s "%s"' % (kind.upper(), name))
    now = int(time.time())
    attrs = json.dumps({"hw_boardname": "bench", "hw_revision": "1.0", "sw_version": version},
                       separators=(",", ":"))
    sha = hashlib.sha256
    c.create_function("bench_token_hash", 1, lambda i: sha(b"bt-%07d" % i).hexdigest(),
                      deterministic=True)
    # has_attrs (schema step 17), which the dropped trigger would have set
    cols = [r[1] for r in c.execute("PRAGMA table_info(ddi_devices)")]
    flag = (", has_attrs", ", 1") if "has_attrs" in cols else ("", "")
    # last_seen is now: the polls that follow are reads (it is coalesced to a minute)
    c.execute(
        "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2)"
        " INSERT INTO ddi_devices(tenant, controller_id, token_hash, hw_model, hw_revision,"
        " sw_version, feed, mode, assigned, force, state, attributes, last_seen, last_addr,"
        " created%s) SELECT 'DEFAULT', printf('bench-%%07d', i), bench_token_hash(i), 'bench',"
        " '1.0', ?3, 'default', 'assigned', ?4, 0, 'finished', ?5, ?6, '127.0.0.1', ?6%s FROM n"
        % flag, (first, end, version, sid, attrs, now))
    # what the dropped trigger would have counted, once
    if any(name == "ddi_devices_count_ins" for _, name, _ in saved):
        c.execute("INSERT INTO ddi_device_counts(state, feed, mode, n)"
                  " VALUES('finished', 'default', 'assigned', ?1)"
                  " ON CONFLICT(state, feed, mode) DO UPDATE SET n = n + excluded.n",
                  (end - first,))
    for _, _, sql in saved:
        c.execute(sql)


if __name__ == "__main__":
    main()
