"""DDI writes sent at the same time, as a fleet sends them: valid feedback
is never refused because another process was writing (a lock waited for,
a deadlock, a serialization failure are the store's to resolve), and every
feedback answered 200 is stored.  On SQLite and on PostgreSQL (the suite's
store: NESTBOX_TEST_STORE)."""
import json
import os
import threading
import time

import pytest

from conftest import STORE
from test_ddi import BASE, action_id, ddi, feedback
from test_software import make_swu

# concurrency across ddi.fcgi's processes (8 on PostgreSQL): the shipped counts
pytestmark = pytest.mark.shipped_procs

THREADS = 12


def run_threads(jobs):
    """Each job (a function returning a Response) in its own thread, all
    released at once; the answers in job order."""
    got = [None] * len(jobs)
    gate = threading.Barrier(len(jobs))

    def one(i):
        gate.wait()
        try:
            got[i] = jobs[i]()
        except Exception as exc:  # an answer missing is a failure too
            got[i] = exc
    ts = [threading.Thread(target=one, args=(i,)) for i in range(len(jobs))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return got


def refused(answers):
    return [a if isinstance(a, Exception) else (a.status, a.body[:200])
            for a in answers if isinstance(a, Exception) or a.status != 200]


def fleet(nb, sid, n, prefix):
    """n devices with their attributes sent and an open action each."""
    out = []
    for i in range(n):
        dev = "%s%02d" % (prefix, i)
        nb.ctl("device", "add", dev, "--token", "tok-1", "--mode", "assigned", "--assign", sid)
        assert ddi(nb, "PUT", BASE + dev + "/configData", body={"data": {
            "hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}}).status == 200
        a = action_id(nb, dev)
        assert a, dev
        out.append((dev, a))
    return out


def started(make_nb, tmpdir_shared, env):
    nb = make_nb(dict({"NESTBOX_DDI__POLL_TIME": "00:00:05"}, **env))
    nb.ctl("init")
    sid = nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")).stdout.strip()
    nb.start()
    return nb, sid


def test_concurrent_feedback_is_never_refused(make_nb, tmpdir_shared):
    """Feedback to one action from many connections at once, then feedback
    closing the actions of many devices at once (each moves its device's
    state: the shared per-state counts): all 200, all stored."""
    nb, sid = started(make_nb, tmpdir_shared, {})
    one = fleet(nb, sid, 1, "one")[0]
    many = fleet(nb, sid, THREADS, "dev")
    rounds = 4

    def to_one(k):
        return lambda: feedback(nb, one[0], one[1], "proceeding", details=["one %d" % k])
    answers = []
    for r in range(rounds):
        answers += run_threads([to_one(r * THREADS + k) for k in range(THREADS)])
    assert refused(answers) == []

    def progress(dev, a):
        return lambda: feedback(nb, dev, a, "proceeding", details=["many"])

    def close(dev, a):
        return lambda: feedback(nb, dev, a, "closed", "success", ["done"])
    answers = run_threads([progress(d, a) for d, a in many])
    answers += run_threads([close(d, a) for d, a in many])
    assert refused(answers) == []

    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_action_status WHERE action_id=?",
                         (one[1],)).fetchone()[0] == rounds * THREADS
        for dev, a in many:
            assert c.execute("SELECT status FROM ddi_actions WHERE id=?", (a,)).fetchone()[0] == \
                "finished"
            assert c.execute("SELECT count(*) FROM ddi_action_status WHERE action_id=?",
                             (a,)).fetchone()[0] == 2
        assert c.execute("SELECT n FROM ddi_device_counts WHERE state='finished'").fetchone()[0] \
            == THREADS
    for dev, a in many:
        assert json.loads(ddi(nb, "GET", BASE + dev + "/installedBase/" + a).body)["id"] == a


# db_pg.c's PG_KEY_LOCKS: a keyed writer's lock is (PG_KEY_LOCKS, key)
PG_KEY_LOCKS = 7305003


@pytest.mark.skipif(STORE != "postgresql", reason="PostgreSQL's per-device lock (SQLite has one"
                    " writer lock, waited for within db.busy_timeout_ms)")
def test_feedback_waits_for_its_device_however_long(make_nb, tmpdir_shared):
    """A feedback waits for its device's earlier writes (another feedback
    of the same device still committing) however long they take: the busy
    time bounds only the wait for the store's writer lock, which a device's
    queue does not hold.  Here the device's lock is held three times the
    busy time; the feedback is answered 200 once it is let go."""
    nb, sid = started(make_nb, tmpdir_shared, {"NESTBOX_DB__BUSY_TIMEOUT_MS": "1000"})
    dev, a = fleet(nb, sid, 1, "held")[0]
    with nb.db() as c:
        dev_id = c.execute("SELECT id FROM ddi_devices WHERE controller_id=?", (dev,)).fetchone()[0]
    holder = nb.db()
    holder.conn.autocommit = False
    holder.conn.cursor().execute("SELECT pg_advisory_xact_lock(%s, %s)", (PG_KEY_LOCKS, dev_id))
    got = []
    t = threading.Thread(target=lambda: got.append(feedback(nb, dev, a, "proceeding")))
    t.start()
    time.sleep(3)
    assert not got, "answered %d while its device's lock was held: %r" % (got[0].status, got[0].body)
    holder.conn.rollback()
    holder.conn.close()
    t.join()
    assert got[0].status == 200, got[0].body
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_action_status WHERE action_id=?",
                         (a,)).fetchone()[0] == 1


def test_every_ddi_process_runs_from_the_start(make_nb):
    """lighttpd starts ddi.fcgi's processes all at once and keeps them: by
    default it started four and the rest only under load, ended them after
    a minute idle, and the next burst's connections to them were refused
    (a request refused five times was answered 503)."""
    nb = make_nb({"NESTBOX_DDI_PROCS": "6"})
    nb.start()
    ddi_pids = [p for p in nb.backends()
                if os.path.basename(os.readlink("/proc/%d/exe" % p)) == "ddi.fcgi"]
    run = os.path.join(nb.state, "run")
    assert len(ddi_pids) == 6, ddi_pids
    assert sorted(f for f in os.listdir(run) if f.startswith("ddi.sock-")) == \
        ["ddi.sock-%d" % i for i in range(6)]
