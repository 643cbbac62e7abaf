"""The DDI feedback path made cheaper (issue 15, item 6): one write
transaction per feedback, and the action's history trimmed seldom, still
at most 1000 entries, the newest kept, every acknowledged feedback in the
store before its 200, and the answers' order unchanged."""
import json

from test_ddi import BASE, action_id, ddi, ddi_nb, feedback  # noqa: F401 (fixture)


def open_action(nb, dev="fb1"):
    nb.ctl("device", "add", dev, "--token", "tok-1", "--mode", "latest")
    ddi(nb, "PUT", BASE + dev + "/configData", body={
        "data": {"hw_boardname": "any", "hw_revision": "1.0", "sw_version": "1.0"}})
    return action_id(nb, dev)


def entries(nb, action):
    with nb.db() as db:
        return [r[0].strip() for r in db.execute(
            "SELECT details FROM ddi_action_status WHERE action_id=? ORDER BY id", (action,))]


def test_history_stays_at_most_1000_newest_kept(ddi_nb):
    nb, _, _ = ddi_nb
    action = open_action(nb)
    # 1,050 earlier feedbacks (written directly: 1,050 requests would only be slow)
    with nb.db() as db:
        db.executemany("INSERT INTO ddi_action_status(action_id, ts, execution, finished, details)"
                       " VALUES(?, 0, 'proceeding', 'none', ?)",
                       [(action, "old %d" % i) for i in range(1050)])
    for i in range(3):
        r = feedback(nb, "fb1", action, "proceeding", details=["new %d" % i])
        assert r.status == 200
        got = entries(nb, action)
        assert len(got) <= 1000, len(got)
        assert got[-1] == "new %d" % i           # acknowledged: in the store before the 200
    assert got[-3:] == ["new 0", "new 1", "new 2"]
    assert got[0] != "old 0"
    # below the limit nothing is trimmed
    other = open_action(nb, "fb2")
    for i in range(5):
        feedback(nb, "fb2", other, "proceeding", details=["x%d" % i])
    assert entries(nb, other) == ["x%d" % i for i in range(5)]


def test_answers_keep_their_order(ddi_nb):
    nb, _, _ = ddi_nb
    action = open_action(nb)
    # no such action comes first, even with a bad body
    r = ddi(nb, "POST", BASE + "fb1/deploymentBase/999999/feedback", body={"bad": 1})
    assert r.status == 404
    r = ddi(nb, "POST", BASE + "fb1/deploymentBase/%s/feedback" % action, body={"bad": 1})
    assert r.status == 400
    assert feedback(nb, "fb1", action, "closed", "success").status == 200
    # a closed action refuses (410), and a bad body is still a 400 first
    assert feedback(nb, "fb1", action, "proceeding").status == 410
    r = ddi(nb, "POST", BASE + "fb1/deploymentBase/%s/feedback" % action, body={"bad": 1})
    assert r.status == 400
    with nb.db() as db:
        (status,), = db.execute("SELECT status FROM ddi_actions WHERE id=?", (action,)).fetchall()
    assert status == "finished"
    assert json.loads(ddi(nb, "GET", BASE + "fb1").body)["_links"].get("deploymentBase") is None
