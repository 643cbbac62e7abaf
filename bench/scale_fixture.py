#!/usr/bin/env python3
"""bench/scale_fixture.py - large catalogues for `make bench`, written fast.

    scale_fixture.py images <image dir> <images> <.img.zst file>
    scale_fixture.py mip <nestbox.db> <packages>

images: <images> mkbox images "scalebox<NNN>/scalebox<NNN>-x86-master-<i>"
(100 per box directory, as a pipeline would lay them out), each the bytes of
the given small .img.zst, written straight into the image directory: /list
lists a directory's .img.zst files (nothing beside them is read), and
importing ten thousand images one by one would measure nestboxctl instead.
No update is asked of these images.

mip: <packages> hosted packages "scalepkg<NNNNN>" 1.0 in mip_hosted (what
/mip/index.json lists) and as many proxied package JSON rows in
mip_packages (origin upstream, flavour 6, fresh for a day: what a proxied
/mip/package lookup searches), in one transaction.  The rows are the
catalogue only: no files are behind them, the bench asks for none of them.

Prints "<n> <what> in <seconds> s".
"""
import os
import sqlite3
import sys
import time

PER_BOX = 100


def images(root, n, zst):
    with open(zst, "rb") as f:
        data = f.read()
    for i in range(n):
        box = "scalebox%03d" % (i // PER_BOX)
        d = os.path.join(root, box)
        if i % PER_BOX == 0:
            os.makedirs(d, exist_ok=True)
        name = "%s-x86-master-%d" % (box, i)
        with open(os.path.join(d, name + ".img.zst"), "wb") as f:
            f.write(data)
    return "images"


def mip(db, n):
    c = sqlite3.connect(db, timeout=30, isolation_level=None)
    c.execute("PRAGMA synchronous=OFF")
    c.execute("BEGIN IMMEDIATE")
    now = int(time.time())
    c.executemany("INSERT OR IGNORE INTO mip_hosted(name, version, published, files, size,"
                  " description) VALUES(?, '1.0', ?, 1, 4096, 'make bench')",
                  (("scalepkg%05d" % i, now) for i in range(n)))
    c.executemany(
        "INSERT OR IGNORE INTO mip_packages(origin, name, flavour, version, json, fetched,"
        " expires) VALUES('upstream', ?, '6', 'latest', ?, ?, ?)",
        (("scaleprox%05d" % i,
          '{"v":1,"hashes":[["scaleprox%05d.mpy","%08x"]],"version":"1.0"}' % (i, i),
          now, now + 86400) for i in range(n)))
    c.execute("COMMIT")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return "hosted and %d proxied packages" % n


def main():
    a = sys.argv[1:]
    t0 = time.monotonic()
    if len(a) == 4 and a[0] == "images":
        what = images(a[1], int(a[2]), a[3])
    elif len(a) == 3 and a[0] == "mip":
        what = mip(a[1], int(a[2]))
    else:
        sys.exit("\n".join(__doc__.strip().splitlines()[2:4]).strip())
    print("%s %s in %.1f s" % (a[2], what, time.monotonic() - t0))


if __name__ == "__main__":
    main()
