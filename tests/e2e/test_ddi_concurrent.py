"""DDI writes sent at the same time, as a fleet sends them: valid feedback
is never refused because another process was writing (a lock waited for,
a deadlock, a serialization failure are the store's to resolve), and every
feedback answered 200 is stored.  On SQLite and on PostgreSQL (the suite's
store: NESTBOX_TEST_STORE)."""
import json
import os
import threading

from test_ddi import BASE, action_id, ddi, feedback
from test_software import make_swu

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


def test_concurrent_feedback_is_never_refused(make_nb, tmpdir_shared):
    """Feedback to one action from many connections at once, then feedback
    closing the actions of many devices at once (each moves its device's
    state: the shared per-state counts and a rollout's counters), with a
    short lock wait so that waiting for another writer cannot be what
    answers 503: all 200, all stored."""
    nb = make_nb({"NESTBOX_DDI__POLL_TIME": "00:00:05", "NESTBOX_DB__BUSY_TIMEOUT_MS": "10"})
    nb.ctl("init")
    sid = nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")).stdout.strip()
    nb.start()
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
