"""Rollouts, the consent flow (confirmationBase), cancel acknowledgements
and software at an external URL, driven over the DDI API the way SWUpdate
drives it (see test_ddi.py for the single-device cycle)."""
import functools
import hashlib
import http.server
import json
import os
import threading

import pytest

from test_ddi import BASE, ddi, feedback
from test_software import make_swu

ATTRS = {"hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}


@pytest.fixture
def rnb(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_DDI__POLL_TIME": "00:00:05",
                  "NESTBOX_DDI__ROLLOUT_MIN_RESULTS": "2"})
    nb.ctl("init")
    ids = {}
    for v in ("2.0", "3.0"):
        ids[v] = nb.ctl("software", "add",
                        make_swu(os.path.join(tmpdir_shared, "sw" + v), v)).stdout.strip()
    nb.start()
    return nb, ids


def register(nb, dev, feed="prod", attrs=ATTRS):
    nb.ctl("device", "add", dev, "--token", "tok-1", "--feed", feed)
    assert ddi(nb, "PUT", BASE + dev + "/configData", body={"data": attrs}).status == 200


def links(nb, dev):
    r = ddi(nb, "GET", BASE + dev)
    assert r.status == 200
    return json.loads(r.body)["_links"]


def action_of(nb, dev, rel="deploymentBase"):
    ln = links(nb, dev)
    if rel not in ln:
        return None
    return ln[rel]["href"].split("/%s/" % rel)[1].split("?")[0]


def assert_counts_kept(nb):
    """The trigger-kept ddi_device_counts agree with counting the devices."""
    with nb.db() as c:
        kept = set(c.execute("SELECT state, feed, mode, n FROM ddi_device_counts WHERE n > 0"))
        real = set(c.execute("SELECT state, feed, mode, count(*) FROM ddi_devices"
                             " GROUP BY state, feed, mode"))
    assert kept == real and real


def rollouts(nb):
    rows = [line.split("\t") for line in nb.ctl("rollout", "list").stdout.splitlines()]
    return {r[0]: {"state": r[1], "feed": r[2], "version": r[3], "percent": r[4],
                   "success": int(r[5]), "failure": int(r[6]), "open": int(r[7]),
                   "reason": r[8]} for r in rows}


def test_rollout_counts_failures_and_force(rnb):
    nb, ids = rnb
    for dev in ("p1", "p2", "p3"):
        register(nb, dev)
    register(nb, "d1", feed="dev")
    assert action_of(nb, "p1") is None          # no rollout yet: nothing
    rid = nb.ctl("rollout", "add", "--confirm-empty", "--feed", "prod", "--software", ids["2.0"]).stdout.strip()
    acts = {dev: action_of(nb, dev) for dev in ("p1", "p2", "p3")}
    assert all(acts.values())
    assert action_of(nb, "d1") is None          # another feed
    assert feedback(nb, "p1", acts["p1"], "closed", "success").status == 200
    assert feedback(nb, "p2", acts["p2"], "closed", "failure", ["ERROR: disk"]).status == 200
    r = rollouts(nb)[rid]
    assert (r["state"], r["success"], r["failure"], r["open"]) == ("running", 1, 1, 1)
    # a device that failed this software is not offered it again until forced
    assert action_of(nb, "p2") is None
    assert "failed on it before" in nb.ctl("device", "show", "p2").stdout
    nb.ctl("device", "set", "p2", "--force")
    again = action_of(nb, "p2")
    assert again and again != acts["p2"]
    # the device that succeeded runs 2.0 and is up to date
    assert action_of(nb, "p1") is None
    assert "decision\tup to date" in nb.ctl("device", "show", "p1").stdout
    # operators name, tag, move and delete devices
    nb.ctl("device", "set", "p1", "--name", "Lab box", "--tags", "lab,floor-2", "--feed", "dev")
    with nb.db() as c:
        assert c.execute("SELECT name, tags, feed FROM ddi_devices WHERE controller_id='p1'"
                         ).fetchone() == ("Lab box", "lab,floor-2", "dev")
    assert nb.ctl("device", "set", "p1", "--mode", "sideways", check=False).returncode == 2
    nb.ctl("device", "del", "p1")
    assert ddi(nb, "GET", BASE + "p1", token=None).status == 401
    assert nb.ctl("device", "show", "p1", check=False).returncode == 1
    assert_counts_kept(nb)


def test_pause_resume_and_newest_rollout(rnb):
    nb, ids = rnb
    r2 = nb.ctl("rollout", "add", "--confirm-empty", "--feed", "prod", "--software", ids["2.0"]).stdout.strip()
    nb.ctl("rollout", "pause", r2)
    register(nb, "q1")
    assert action_of(nb, "q1") is None
    assert rollouts(nb)[r2]["reason"] == "paused by an operator"
    nb.ctl("rollout", "resume", r2)
    a = action_of(nb, "q1")
    assert a and rollouts(nb)[r2]["state"] == "running"
    dep = json.loads(ddi(nb, "GET", BASE + "q1/deploymentBase/" + a).body)
    assert dep["deployment"]["chunks"][0]["version"] == "2.0"
    # a newer rollout wins for the next device; no rollout takes a device back
    nb.ctl("rollout", "add", "--confirm-empty", "--feed", "prod", "--software", ids["3.0"])
    register(nb, "q2")
    a2 = action_of(nb, "q2")
    assert json.loads(ddi(nb, "GET", BASE + "q2/deploymentBase/" + a2).body)[
        "deployment"]["chunks"][0]["version"] == "3.0"
    register(nb, "q3", attrs=dict(ATTRS, sw_version="4.0"))
    assert action_of(nb, "q3") is None
    assert nb.ctl("rollout", "pause", "999", check=False).returncode == 1
    assert nb.ctl("rollout", "stage", r2, "0", check=False).returncode == 2
    # software a rollout uses cannot be deleted
    r = nb.ctl("software", "del", ids["2.0"], check=False)
    assert r.returncode == 3 and "in use" in r.stderr


def test_rollout_pauses_itself(rnb):
    nb, ids = rnb
    rid = nb.ctl("rollout", "add", "--confirm-empty", "--feed", "prod", "--software", ids["2.0"],
                 "--max-failures", "2").stdout.strip()
    for dev in ("m1", "m2", "m3"):
        register(nb, dev)
    acts = {dev: action_of(nb, dev) for dev in ("m1", "m2")}
    feedback(nb, "m1", acts["m1"], "closed", "failure")
    assert rollouts(nb)[rid]["state"] == "running"
    feedback(nb, "m2", acts["m2"], "closed", "failure")
    r = rollouts(nb)[rid]
    assert r["state"] == "paused" and "2 failures (limit 2)" in r["reason"]
    assert action_of(nb, "m3") is None          # paused: no new device

    # a rate: judged after ddi.rollout_min_results (2 here) results, above 50%
    rate = nb.ctl("rollout", "add", "--confirm-empty", "--feed", "rate", "--software", ids["3.0"],
                  "--max-failure-rate", "50").stdout.strip()
    for dev in ("r1", "r2", "r3", "r4"):
        register(nb, dev, feed="rate")
    acts = {dev: action_of(nb, dev) for dev in ("r1", "r2", "r3", "r4")}
    feedback(nb, "r1", acts["r1"], "closed", "success")
    feedback(nb, "r2", acts["r2"], "closed", "failure")   # 1 of 2: 50%, not above
    assert rollouts(nb)[rate]["state"] == "running"
    feedback(nb, "r3", acts["r3"], "closed", "failure")   # 2 of 3: 66%
    r = rollouts(nb)[rate]
    assert r["state"] == "paused" and "66% failed (limit 50%)" in r["reason"]
    # the device already updating may still finish, and is counted
    assert feedback(nb, "r4", acts["r4"], "closed", "success").status == 200
    assert rollouts(nb)[rate]["success"] == 2


def bucket(tenant, cid, rollout):
    """The stage bucket of src/ddi/ddi_decide.c: FNV-1a, 64 bit, mod 100."""
    h = 1469598103934665603
    for part in (tenant, cid):
        for b in part.encode() + b"/":
            h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    for i in range(8):
        h = ((h ^ ((rollout >> (8 * i)) & 0xFF)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h % 100


def test_staged_rollout(rnb):
    nb, ids = rnb
    devs = ["s%02d" % i for i in range(40)]
    for dev in devs:
        register(nb, dev, feed="staged")
    rid = nb.ctl("rollout", "add", "--confirm-empty", "--feed", "staged", "--software", ids["2.0"],
                 "--percent", "25").stdout.strip()
    first = {d for d in devs if action_of(nb, d)}
    assert first == {d for d in devs if bucket("DEFAULT", d, int(rid)) < 25}
    assert 0 < len(first) < len(devs)
    assert {d for d in devs if action_of(nb, d)} == first     # stable on every poll
    nb.ctl("rollout", "stage", rid, "60")
    second = {d for d in devs if action_of(nb, d)}
    assert first < second
    assert second == {d for d in devs if bucket("DEFAULT", d, int(rid)) < 60}
    assert "outside the rollout's current stage" in nb.ctl(
        "device", "show", sorted(set(devs) - second)[0]).stdout
    nb.ctl("rollout", "stage", rid, "100")
    assert all(action_of(nb, d) for d in devs)
    assert_counts_kept(nb)


def test_confirmation_flow(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_DDI__CONFIRMATION_REQUIRED": "true"}, sub="confirm")
    nb.ctl("init")
    sid = nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "c"), "2.0")).stdout.strip()
    nb.start()
    nb.ctl("device", "add", "c1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ln = links(nb, "c1")
    assert ln["confirmationBase"]["href"] == nb.url + BASE + "c1/confirmationBase"
    ddi(nb, "PUT", BASE + "c1/configData", body={"data": ATTRS})
    a = action_of(nb, "c1", "confirmationBase")
    assert a and "deploymentBase" not in links(nb, "c1")
    cb = json.loads(ddi(nb, "GET", BASE + "c1/confirmationBase/" + a).body)
    assert cb["id"] == a and cb["actionHistory"]["status"] == "WAIT_FOR_CONFIRMATION"
    assert cb["confirmation"]["chunks"][0]["version"] == "2.0"
    base = json.loads(ddi(nb, "GET", BASE + "c1/confirmationBase").body)
    assert base["autoConfirm"] == {"active": False}
    assert base["_links"]["confirmationBase"]["href"].split("?")[0].endswith("/" + a)
    assert "activateAutoConfirm" in base["_links"]
    # the device's progress feedback is refused while it has not confirmed
    assert feedback(nb, "c1", a, "proceeding").status == 410
    fb = BASE + "c1/confirmationBase/%s/feedback" % a
    assert ddi(nb, "POST", fb, body={"confirmation": "maybe"}).status == 400
    assert ddi(nb, "POST", fb, body={"confirmation": "denied", "details": ["not now"]}).status == 200
    assert action_of(nb, "c1", "confirmationBase") == a        # still waiting
    assert ddi(nb, "POST", fb, body={"confirmation": "confirmed", "code": 200}).status == 200
    assert action_of(nb, "c1") == a                            # now a deployment
    again = ddi(nb, "POST", fb, body={"confirmation": "confirmed"})
    assert again.status == 410 and again.headers["content-type"] == "application/json"
    assert json.loads(again.body) == {"error": "the action is not waiting for confirmation",
                                      "status": 410}
    with nb.db() as c:
        log = c.execute("SELECT execution, details FROM ddi_action_status WHERE action_id=?"
                        " ORDER BY id", (a,)).fetchall()
    assert log == [("denied", "not now\n"), ("confirmed", "")]

    # auto-confirm: on, the waiting action starts; later actions never wait
    nb.ctl("device", "add", "c2", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ddi(nb, "PUT", BASE + "c2/configData", body={"data": ATTRS})
    a2 = action_of(nb, "c2", "confirmationBase")
    assert ddi(nb, "POST", BASE + "c2/confirmationBase/activateAutoConfirm",
               body={"initiator": "ops", "remark": "night window"}).status == 200
    assert action_of(nb, "c2") == a2
    st = json.loads(ddi(nb, "GET", BASE + "c2/confirmationBase").body)
    assert st["autoConfirm"]["active"] is True and st["autoConfirm"]["initiator"] == "ops"
    assert st["autoConfirm"]["remark"] == "night window" and st["autoConfirm"]["activatedAt"] > 0
    assert "deactivateAutoConfirm" in st["_links"]
    feedback(nb, "c2", a2, "canceled")          # it goes away; the next one must not wait
    nb.ctl("device", "set", "c2", "--force")
    assert action_of(nb, "c2") is not None
    # no body (lighttpd wants its Content-Length: 0, as curl sends it)
    assert nb.request("POST", BASE + "c2/confirmationBase/deactivateAutoConfirm",
                      {"Authorization": "TargetToken tok-1"}, b"").status == 200
    assert json.loads(ddi(nb, "GET", BASE + "c2/confirmationBase").body)["autoConfirm"] == \
        {"active": False}
    assert ddi(nb, "POST", BASE + "c2/confirmationBase/activateAutoConfirm",
               body="[1]").status == 400
    # an operator cancels a waiting action at once
    nb.ctl("device", "add", "c3", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ddi(nb, "PUT", BASE + "c3/configData", body={"data": ATTRS})
    a3 = action_of(nb, "c3", "confirmationBase")
    nb.ctl("device", "cancel", "c3")
    with nb.db() as c:
        assert c.execute("SELECT status FROM ddi_actions WHERE id=?", (a3,)).fetchone()[0] \
            == "canceled"


def test_cancel_acknowledged_or_refused(rnb):
    nb, ids = rnb
    nb.ctl("rollout", "add", "--confirm-empty", "--feed", "prod", "--software", ids["2.0"])
    for dev in ("k1", "k2"):
        register(nb, dev)
    a1, a2 = action_of(nb, "k1"), action_of(nb, "k2")
    # cancel feedback on an action nobody asked to cancel: 405
    refused = feedback(nb, "k1", a1, "closed", "success", kind="cancelAction")
    assert refused.status == 405 and refused.headers["content-type"] == "application/json"
    assert json.loads(refused.body) == {"error": "the action cannot be canceled", "status": 405}
    for dev in ("k1", "k2"):
        nb.ctl("device", "cancel", dev)
    # SWUpdate acknowledges a cancel with closed + success
    assert action_of(nb, "k1", "cancelAction") == a1
    assert feedback(nb, "k1", a1, "closed", "success", kind="cancelAction").status == 200
    # a device that cannot stop now rejects it: the update goes on
    assert feedback(nb, "k2", a2, "rejected", kind="cancelAction").status == 200
    assert action_of(nb, "k2") == a2
    with nb.db() as c:
        st = dict(c.execute("SELECT id, status FROM ddi_actions").fetchall())
        dev = c.execute("SELECT state FROM ddi_devices WHERE controller_id='k1'").fetchone()[0]
    assert st[int(a1)] == "canceled" and st[int(a2)] == "running" and dev == "registered"
    # a canceled action is not a failure: the rollout counts neither
    r = list(rollouts(nb).values())[0]
    assert (r["success"], r["failure"]) == (0, 0)
    assert_counts_kept(nb)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


@pytest.fixture
def cdn(tmpdir_shared):
    """A loopback HTTP server standing in for a CDN or object store (the
    internet is not reachable from the tests)."""
    root = os.path.join(tmpdir_shared, "cdn")
    os.makedirs(root)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                          functools.partial(_Quiet, directory=root))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield root, "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()


def test_software_at_external_url(make_nb, tmpdir_shared, cdn):
    root, url = cdn
    swu = make_swu(os.path.join(tmpdir_shared, "ext"), "5.0")
    data = open(swu, "rb").read()
    with open(os.path.join(root, "image-5.0.swu"), "wb") as f:
        f.write(data)
    with open(os.path.join(root, "cut.swu"), "wb") as f:
        f.write(data[:3000])
    nb = make_nb(sub="ext")
    nb.ctl("init")
    for bad, why in ((url + "/missing.swu", "HTTP 404"), (url + "/cut.swu", ""),
                     ("ftp://example/x.swu", "http(s) URL"), (url + "/", "http(s) URL")):
        r = nb.ctl("software", "add", "--url", bad, check=False)
        assert r.returncode == 1 and why in r.stderr, r.stderr
    sid = nb.ctl("software", "add", "--url", url + "/image-5.0.swu").stdout.strip()
    blobs = []
    for d, _, files in os.walk(os.path.join(nb.state, "blobs")):
        blobs += [f for f in files if not d.endswith("tmp")]
    assert blobs == [] and not os.listdir(os.path.join(nb.state, "blobs", "tmp"))
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 1
    nb.start()
    nb.ctl("device", "add", "e1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ddi(nb, "PUT", BASE + "e1/configData", body={"data": ATTRS})
    a = action_of(nb, "e1")
    art = json.loads(ddi(nb, "GET", BASE + "e1/deploymentBase/" + a).body)[
        "deployment"]["chunks"][0]["artifacts"][0]
    assert art["_links"]["download-http"]["href"] == url + "/image-5.0.swu"
    assert art["hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert art["size"] == len(data)
    md5 = art["_links"]["md5sum-http"]["href"]
    assert md5.startswith(nb.url)
    assert ddi(nb, "GET", md5[len(nb.url):]).body.decode().startswith(hashlib.md5(data).hexdigest())
    own = "%sdevice/softwaremodules/%s/artifacts/image-5.0.swu" % (BASE, sid)
    r = ddi(nb, "GET", own.replace("device", "e1"))
    assert r.status == 302 and r.headers["location"] == url + "/image-5.0.swu"


def test_latest_follows_version_order_not_upload_order(rnb, tmpdir_shared):
    nb, ids = rnb
    for v in ("10.0", "2.10", "10.0.0.1-rc.1", "9.9"):
        nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "v" + v), v))
    nb.ctl("device", "add", "l1", "--token", "tok-1", "--mode", "latest")
    ddi(nb, "PUT", BASE + "l1/configData", body={"data": ATTRS})
    a = action_of(nb, "l1")
    dep = json.loads(ddi(nb, "GET", BASE + "l1/deploymentBase/" + a).body)
    # "10.0.0.1-rc.1" is semver's pre-release of 10.0.0.1, yet above 10.0
    assert dep["deployment"]["chunks"][0]["version"] == "10.0.0.1-rc.1"
    with nb.db() as c:
        order = [v for (v,) in c.execute("SELECT version FROM ddi_software ORDER BY vrank")]
    assert order == ["2.0", "2.10", "3.0", "9.9", "10.0", "10.0.0.1-rc.1"]


def test_review_edges(rnb):
    """Values nestbox decides with are bounded; assignments name existing
    software; progress after an operator's cancel does not undo it."""
    nb, ids = rnb
    nb.ctl("device", "add", "e1", "--token", "tok-1", "--feed", "prod")
    long_board = {"data": dict(ATTRS, hw_boardname="b" * 64)}
    r = ddi(nb, "PUT", BASE + "e1/configData", body=long_board)
    assert r.status == 400 and "63 bytes" in json.loads(r.body)["error"]
    with nb.db() as c:
        assert c.execute("SELECT attributes FROM ddi_devices WHERE controller_id='e1'"
                         ).fetchone()[0] == ""
    for n in range(2):            # two merges of 60: the stored set would pass 100
        body = {"data": {"k%d_%d" % (n, i): "v" for i in range(60)}}
        r = ddi(nb, "PUT", BASE + "e1/configData", body=body)
    assert r.status == 400 and "at most 100 attributes" in json.loads(r.body)["error"]
    # software that does not exist cannot be assigned
    assert nb.ctl("device", "add", "e2", "--mode", "assigned", "--assign", "999",
                  check=False).returncode == 1
    assert nb.ctl("device", "set", "e1", "--assign", "999", check=False).returncode == 1
    # an operator's cancel stands while the device keeps reporting progress
    nb.ctl("rollout", "add", "--confirm-empty", "--feed", "prod", "--software", ids["2.0"])
    register(nb, "e3")
    a = action_of(nb, "e3")
    nb.ctl("device", "cancel", "e3")
    assert feedback(nb, "e3", a, "proceeding", details=["Downloaded 50%"]).status == 200
    with nb.db() as c:
        assert c.execute("SELECT status, progress FROM ddi_actions WHERE id=?", (a,)
                         ).fetchone() == ("canceling", 50)
    assert action_of(nb, "e3", "cancelAction") == a


def test_acknowledged_cancel_stands(rnb):
    """After an operator's cancel acknowledged with closed/success, the next
    poll offers neither deploymentBase nor cancelAction, in assigned and in
    rollout mode, until an operator assigns again or forces (issue 11)."""
    nb, ids = rnb
    nb.ctl("rollout", "add", "--confirm-empty", "--feed", "prod", "--software", ids["2.0"])
    register(nb, "as1")
    nb.ctl("device", "set", "as1", "--assign", ids["2.0"])
    register(nb, "ro1")
    for dev in ("as1", "ro1"):
        a = action_of(nb, dev)
        assert a is not None
        assert nb.ctl("device", "cancel", dev).returncode == 0
        assert action_of(nb, dev, "cancelAction") == a
        assert feedback(nb, dev, a, "closed", "success", kind="cancelAction").status == 200
        for _ in range(2):
            ln = links(nb, dev)
            assert "deploymentBase" not in ln and "cancelAction" not in ln, (dev, ln)
        with nb.db() as c:
            assert c.execute("SELECT count(*), max(status) FROM ddi_actions a JOIN ddi_devices d"
                             " ON d.id = a.device_id WHERE d.controller_id=?", (dev,)
                             ).fetchone() == (1, "canceled")
    shown = nb.ctl("device", "show", "as1").stdout
    assert "canceled by an operator" in shown
    # the operator assigns again: offered again, as a new action
    nb.ctl("device", "set", "as1", "--assign", ids["2.0"])
    again = action_of(nb, "as1")
    assert again is not None and int(again) > 0
    # in rollout mode, forcing is the operator's way to retry
    nb.ctl("device", "set", "ro1", "--force")
    assert action_of(nb, "ro1") is not None
    # a waiting-for-nothing device in the same feed is unaffected
    register(nb, "ro2")
    assert action_of(nb, "ro2") is not None


def test_cli_show_limits_cancel_finish_and_audit(rnb):
    nb, ids = rnb
    for dev in ("c1", "c2", "c3"):
        register(nb, dev)
    register(nb, "wrongboard", attrs=dict(ATTRS, hw_boardname="board-z"))
    p = nb.ctl("rollout", "add", "--confirm-empty", "--feed", "empty", "--software", ids["2.0"])
    assert "feed empty has no devices in rollout mode" in p.stderr
    rid = nb.ctl("rollout", "add", "--confirm-empty", "--feed", "prod", "--software", ids["2.0"]).stdout.strip()
    a1, a2 = action_of(nb, "c1"), action_of(nb, "c2")
    assert feedback(nb, "c1", a1, "closed", "success").status == 200
    assert feedback(nb, "c2", a2, "closed", "failure", ["ERROR: checksum"]).status == 200
    out = nb.ctl("rollout", "show", rid).stdout
    assert "progress: 1 of 3 devices that can take it succeeded (33%)" in out
    assert "\nfailed: 1\n  c2\t1.0\tERROR: checksum\n" in out
    assert "\nnot eligible: 1\n  wrongboard\t1.0\tno software for board board-z" in out
    assert "\nwaiting: 1\n  c3\t" in out
    out = nb.ctl("rollout", "limits", rid, "--max-failures", "4").stdout
    assert out.startswith("rollout %s pauses at 4 failures" % rid)
    assert rollouts(nb)[rid]["state"] == "running"
    for bad in (["rollout", "limits", rid, "--max-failure-rate", "101"],
                ["rollout", "limits", rid], ["rollout", "show"], ["rollout", "cancel", "x"]):
        assert nb.ctl(*bad, check=False).returncode == 2, bad
    assert nb.ctl("rollout", "show", "99", check=False).returncode == 1
    assert action_of(nb, "c3")                  # offered: installing
    p = nb.ctl("rollout", "cancel", rid)
    assert p.stdout == "rollout %s canceled; 1 offers withdrawn\n" % rid   # c3's
    assert action_of(nb, "c3") is None and action_of(nb, "c3", "cancelAction")
    p = nb.ctl("rollout", "resume", rid, check=False)
    assert p.returncode == 3 and "is canceled" in p.stderr
    assert rollouts(nb)[rid]["state"] == "canceled"
    assert nb.ctl("rollout", "finish", rid, check=False).returncode == 3
    assert nb.ctl("rollout", "finish", "99", check=False).returncode == 1
    # an ended rollout keeps the limits it ended with, as its stage
    p = nb.ctl("rollout", "limits", rid, "--max-failures", "9", check=False)
    assert p.returncode == 3 and "is canceled" in p.stderr
    assert nb.ctl("rollout", "stage", rid, "50", check=False).returncode == 3
    assert "\nlimits: 4 failures," in nb.ctl("rollout", "show", rid).stdout
    assert nb.ctl("rollout", "limits", "99", "--max-failures", "1", check=False).returncode == 1
    rows = json.loads(nb.ctl("audit", "--limit", "3", "--json").stdout)
    assert [[r["via"], r["action"]] for r in rows] == [
        ["cli", "rollout cancel"], ["cli", "rollout limits"], ["cli", "rollout create"]]
    assert nb.ctl("audit", "--limit", "0", check=False).returncode == 2
    assert nb.ctl("audit", "extra", check=False).returncode == 2
