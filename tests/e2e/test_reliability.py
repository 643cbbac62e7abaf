"""A locked database and a killed front end: answers go on, nothing is lost."""
import os
import re
import shutil
import signal
import sqlite3
import subprocess

import pytest

from conftest import CTL, make_raw_image, sqlite_only, wait_until
from test_mkbox import file_sha, run_box


@sqlite_only("another writer holds SQLite's write lock (BEGIN IMMEDIATE) on the file")
def test_locked_database_does_not_stop_updates(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_DB__BUSY_TIMEOUT_MS": "50"})
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=1 << 20)
    nb.ctl("init")
    nb.import_image(raw, "lk", "pc", "master", "1")
    nb.start()
    lock = sqlite3.connect(os.path.join(nb.state, "nestbox.db"), isolation_level=None, timeout=5)
    lock.execute("BEGIN IMMEDIATE")          # another writer holds the lock
    try:
        disk = os.path.join(tmpdir_shared, "disk")
        p = run_box(nb.url, os.path.join(tmpdir_shared, "w"), disk, "lk", "pc", "1", "old")
        assert p.returncode == 0, p.stdout + p.stderr
        assert file_sha(disk) == file_sha(raw)
        assert nb.get("/list").body == b"lk/lk-pc-master-1\n"
        assert nb.get("/healthz").status == 200
        # the request log's writer meets the lock too, and keeps its rows
        wait_until(lambda: "request log not written" in nb.read_log(),
                   "the request log's writer to meet the lock")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    # the rows waited in the buffer: the next flush writes them all
    nb.get("/list/after")

    def paths():
        with nb.db() as c:
            # the /list under the lock is the front end's static one
            return [r[0] for r in c.execute("SELECT path FROM request_log"
                                            " WHERE path LIKE '/list%' ORDER BY id")]
    wait_until(lambda: "/list/after" in paths(), "the rows written after the lock")
    assert paths() == ["/list", "/list/after"]


def test_killed_front_end_loses_no_acknowledged_write(make_nb, tmpdir_shared):
    nb = make_nb()
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=65536)
    nb.ctl("init")
    nb.import_image(raw, "kf", "pc", "main")
    nb.start()
    tar = nb.get("/update/kf/kf-pc-main").body
    pid = nb.proc.pid
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        children = [int(c) for c in f.read().split()]
    nb.proc.kill()                            # SIGKILL, front end and programs:
    for c in children:                        # no clean shutdown anywhere
        os.kill(c, signal.SIGKILL)
    nb.proc.wait()
    nb.proc = None
    with nb.db() as c:
        (blob,), = c.execute("SELECT blob FROM mkbox_tar").fetchall()
    with open(os.path.join(nb.state, "blobs", blob[:2], blob), "rb") as f:
        assert f.read() == tar
    nb.start()
    assert nb.get("/update/kf/kf-pc-main").body == tar


@pytest.mark.skipif(not shutil.which("strace"), reason="strace missing (make deps installs it)")
@sqlite_only("PostgreSQL syncs its commits itself (synchronous_commit)")
def test_a_sqlite_commit_is_synced_before_it_is_acknowledged(nb, tmpdir_shared):
    """A commit's WAL frames are synced before the statement returns (and
    so before any answer or exit says it happened): with another
    connection open, nothing else (a last connection's checkpoint at its
    close) syncs them.  Watched with strace on the real nestboxctl."""
    nb.ctl("init")
    other = sqlite3.connect(os.path.join(nb.state, "nestbox.db"))
    other.execute("SELECT count(*) FROM sqlite_master").fetchall()
    log = os.path.join(tmpdir_shared, "sync.log")
    env = dict(nb.env)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    try:
        p = subprocess.run(["strace", "-f", "-y", "-e", "trace=pwrite64,fsync,fdatasync",
                            "-o", log, CTL, "ota", "repo", "--repo", "acme/app"],
                           env=env, capture_output=True, text=True)
    finally:
        other.close()
    assert p.returncode == 0, p.stderr
    calls = open(log).read().splitlines()
    wal = [i for i, c in enumerate(calls) if "nestbox.db-wal>" in c]
    writes = [i for i in wal if "pwrite64(" in calls[i]]
    assert writes, calls
    assert any(re.search(r"f(data)?sync\(", calls[i]) and i > writes[-1] for i in wal), calls


@pytest.mark.skipif(not shutil.which("strace"), reason="strace missing (make deps installs it)")
def test_an_ota_release_is_synced_before_nestboxctl_returns(nb, tmpdir_shared):
    """A published tag is acknowledged: libgit2 fsyncs the objects and the
    ref it writes (GIT_OPT_ENABLE_FSYNC_GITDIR, off unless set), watched
    with strace on the real nestboxctl."""
    nb.ctl("init")
    nb.ctl("ota", "repo", "--repo", "acme/app")
    src = os.path.join(tmpdir_shared, "app")
    os.makedirs(src)
    with open(os.path.join(src, "main.py"), "w") as f:
        f.write("print('v1')\n")
    log = os.path.join(tmpdir_shared, "fsync.log")
    env = dict(nb.env)
    # under make asan: LeakSanitizer cannot run under ptrace (the rest can)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    p = subprocess.run(["strace", "-f", "-y", "-e", "trace=fsync,fdatasync", "-o", log,
                        CTL, "ota", "publish", "--repo", "acme/app", "--tag", "v1", src],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    calls = open(log).read()
    assert re.search(r"f(data)?sync\(\d+</[^>]*/objects/[^>]*>\) += 0", calls), calls
    assert re.search(r"f(data)?sync\(\d+</[^>]*/refs/tags/v1[^>]*>\) += 0", calls), calls
