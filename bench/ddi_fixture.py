#!/usr/bin/env python3
"""bench/ddi_fixture.py - registered DDI devices for `make bench`.

    ddi_fixture.py <nestbox.db> <devices> <software id> <version>

Grows the bench devices in ddi_devices to <devices> rows: device i is
"bench-%07d" (tenant DEFAULT) with the token "bt-%07d", stored as the
sha256 hex nestbox keeps; each has sent its attributes (board "bench",
revision 1.0), is assigned the software <software id> and already runs
<version>: a poll has nothing to do.  Devices already there are kept, so
calling it with 1,000 and then with 1,000,000 adds the difference.

Only the columns of the store's sixth schema step are written (later steps
may add columns with defaults); everything goes in one transaction, with
synchronous=OFF for this connection only: a fixture can be made again.
Prints "<devices> devices (<added> added) in <seconds> s".
"""
import hashlib
import json
import sqlite3
import sys
import time


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    db, total, sid, version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if not 0 < total <= 9999999:
        sys.exit("ddi_fixture: devices must be 1..9999999, not %d" % total)
    t0 = time.monotonic()
    c = sqlite3.connect(db, timeout=30, isolation_level=None)
    c.execute("PRAGMA synchronous=OFF")
    c.execute("PRAGMA cache_size=-262144")
    c.execute("BEGIN IMMEDIATE")
    have = c.execute("SELECT count(*) FROM ddi_devices WHERE tenant='DEFAULT'"
                     " AND controller_id GLOB 'bench-[0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"
                     ).fetchone()[0]
    now = int(time.time())
    attrs = json.dumps({"hw_boardname": "bench", "hw_revision": "1.0", "sw_version": version},
                       separators=(",", ":"))
    sha = hashlib.sha256

    def rows():
        for i in range(have, total):
            yield ("bench-%07d" % i, sha(b"bt-%07d" % i).hexdigest(), attrs, now, now)

    # last_seen is now: the polls that follow are reads (it is coalesced to a minute)
    c.executemany(
        "INSERT INTO ddi_devices(tenant, controller_id, token_hash, hw_model, hw_revision,"
        " sw_version, feed, mode, assigned, force, state, attributes, last_seen, last_addr,"
        " created) VALUES('DEFAULT', ?, ?, 'bench', '1.0', %s, 'default', 'assigned', %d, 0,"
        " 'finished', ?, ?, '127.0.0.1', ?)" % (_quote(version), sid), rows())
    c.execute("COMMIT")
    # the WAL back into the database file, so the polls do not read through it
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    print("%d devices (%d added) in %.1f s" % (max(have, total), max(total - have, 0),
                                               time.monotonic() - t0))


def _quote(s):
    return "'" + s.replace("'", "''") + "'"


if __name__ == "__main__":
    main()
