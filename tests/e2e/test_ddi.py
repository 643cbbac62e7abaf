"""The hawkBit DDI API, driven the way SWUpdate's suricatta drives it:
poll, configData, deploymentBase, artifact download, feedback."""
import hashlib
import json
import os

import pytest

from test_software import make_swu

BASE = "/DEFAULT/controller/v1/"


def ddi(nb, method, path, token="tok-1", body=None, headers=None):
    h = {"Accept": "application/json", "User-Agent": "libcurl-agent/1.0"}
    if token:
        h["Authorization"] = "TargetToken " + token
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body).encode()
    h.update(headers or {})
    return nb.request(method, path, h, body)


def feedback(nb, dev, action, execution, finished="none", details=(), token="tok-1", kind="deploymentBase"):
    return ddi(nb, "POST", BASE + dev + "/%s/%s/feedback" % (kind, action), token=token, body={
        "id": str(action), "time": "20261123T140000",
        "status": {"execution": execution, "result": {"finished": finished,
                   "progress": {"cnt": 0, "of": 1}}, "details": list(details)}})


@pytest.fixture
def ddi_nb(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_DDI__POLL_TIME": "00:00:05"})
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    nb.start()
    return nb, swu, sid


def test_full_update_cycle(ddi_nb):
    nb, swu, sid = ddi_nb
    nb.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    r = ddi(nb, "GET", BASE + "dev1")
    assert r.status == 200
    j = json.loads(r.body)
    assert j["config"]["polling"]["sleep"] == "00:00:05"
    assert j["_links"]["configData"]["href"] == nb.url + BASE + "dev1/configData"
    assert "deploymentBase" not in j["_links"]          # no attributes yet
    r = ddi(nb, "PUT", BASE + "dev1/configData", body={
        "mode": "merge", "data": {"hw_boardname": "board-a", "hw_revision": "2.0",
                                  "sw_version": "1.0"}})
    assert r.status == 200
    j = json.loads(ddi(nb, "GET", BASE + "dev1").body)
    assert "configData" not in j["_links"]
    href = j["_links"]["deploymentBase"]["href"]
    assert href.startswith(nb.url + BASE + "dev1/deploymentBase/") and "?c=" in href
    path = href[len(nb.url):]
    action = path.split("/deploymentBase/")[1].split("?")[0]
    dep = json.loads(ddi(nb, "GET", path).body)
    assert dep["id"] == action
    chunk = dep["deployment"]["chunks"][0]
    assert chunk["version"] == "2.0"
    art = chunk["artifacts"][0]
    data = open(swu, "rb").read()
    assert art["hashes"] == {"sha1": hashlib.sha1(data).hexdigest(),
                             "md5": hashlib.md5(data).hexdigest(),
                             "sha256": hashlib.sha256(data).hexdigest()}
    assert art["size"] == len(data)
    dl = art["_links"]["download-http"]["href"][len(nb.url):]
    assert feedback(nb, "dev1", action, "proceeding").status == 200
    assert ddi(nb, "HEAD", dl).status == 200
    got = ddi(nb, "GET", dl)
    assert got.status == 200 and got.body == data
    part = ddi(nb, "GET", dl, headers={"Range": "bytes=10-19"})
    assert part.status == 206 and part.body == data[10:20]
    md5 = ddi(nb, "GET", art["_links"]["md5sum-http"]["href"][len(nb.url):])
    assert md5.body.decode() == "%s  %s\n" % (hashlib.md5(data).hexdigest(), art["filename"])
    assert feedback(nb, "dev1", action, "proceeding", details=["Downloaded 40%"]).status == 200
    with nb.db() as c:
        assert c.execute("SELECT progress FROM ddi_actions").fetchone()[0] == 40
    assert feedback(nb, "dev1", action, "closed", "success", ["Installed"]).status == 200
    with nb.db() as c:
        dev = c.execute("SELECT state, sw_version FROM ddi_devices").fetchone()
        log = c.execute("SELECT execution, finished, details FROM ddi_action_status").fetchall()
    assert dev == ("finished", "2.0")
    assert log[-1] == ("closed", "success", "Installed\n") and len(log) == 3
    # closed: more feedback is 410; the next poll offers nothing; a steady poll writes nothing
    closed = feedback(nb, "dev1", action, "proceeding")
    assert closed.status == 410 and closed.headers["content-type"] == "application/json"
    assert json.loads(closed.body) == {"error": "the action is closed", "status": 410}
    j = json.loads(ddi(nb, "GET", BASE + "dev1").body)
    assert "deploymentBase" not in j["_links"]
    assert j["_links"]["installedBase"]["href"] == nb.url + BASE + "dev1/installedBase/" + action
    inst = json.loads(ddi(nb, "GET", BASE + "dev1/installedBase/" + action).body)
    assert inst["id"] == action and inst["actionHistory"]["status"] == "FINISHED"
    assert inst["deployment"]["chunks"][0]["version"] == "2.0"
    # configData still reporting 1.0 does not undo the recorded version
    ddi(nb, "PUT", BASE + "dev1/configData", body={"data": {"sw_version": "1.0"}})
    with nb.db() as c:
        assert c.execute("SELECT sw_version FROM ddi_devices").fetchone()[0] == "2.0"


def test_failure_and_cancel(ddi_nb):
    nb, swu, sid = ddi_nb
    for dev in ("f1", "c1"):
        nb.ctl("device", "add", dev, "--token", "tok-1", "--mode", "latest")
        ddi(nb, "PUT", BASE + dev + "/configData", body={
            "data": {"hw_boardname": "any", "hw_revision": "1.0", "sw_version": "1.0"}})
    j = json.loads(ddi(nb, "GET", BASE + "f1").body)
    action = j["_links"]["deploymentBase"]["href"].split("/deploymentBase/")[1].split("?")[0]
    assert feedback(nb, "f1", action, "closed", "failure", ["ERROR: hash mismatch"]).status == 200
    with nb.db() as c:
        assert c.execute("SELECT state FROM ddi_devices WHERE controller_id='f1'").fetchone()[0] \
            == "error"
    j = json.loads(ddi(nb, "GET", BASE + "c1").body)
    action = j["_links"]["deploymentBase"]["href"].split("/deploymentBase/")[1].split("?")[0]
    assert nb.ctl("device", "cancel", "c1").returncode == 0
    j = json.loads(ddi(nb, "GET", BASE + "c1").body)
    assert j["_links"]["cancelAction"]["href"].endswith("/cancelAction/" + action)
    c = json.loads(ddi(nb, "GET", BASE + "c1/cancelAction/" + action).body)
    assert c == {"id": action, "cancelAction": {"stopId": action}}
    assert feedback(nb, "c1", action, "canceled", kind="cancelAction").status == 200
    with nb.db() as db:
        assert db.execute("SELECT status FROM ddi_actions WHERE id=?", (action,)).fetchone()[0] \
            == "canceled"
    assert ddi(nb, "GET", BASE + "c1/cancelAction/" + action).status == 404


def test_auth_modes(ddi_nb):
    nb, _, _ = ddi_nb
    # setup (default): the first token is kept, and then required
    assert ddi(nb, "GET", BASE + "new1", token=None).status == 401
    assert ddi(nb, "GET", BASE + "new1", token="first").status == 200
    assert ddi(nb, "GET", BASE + "new1", token="other").status == 401
    r = ddi(nb, "GET", BASE + "new1", token=None)
    assert r.status == 401 and json.loads(r.body)["error"] == "unauthorized"
    assert ddi(nb, "GET", BASE + "new1", token="first").status == 200
    with nb.db() as c:
        (th,), = c.execute("SELECT token_hash FROM ddi_devices WHERE controller_id='new1'")
    assert th == hashlib.sha256(b"first").hexdigest()
    assert ddi(nb, "GET", "/OTHER/controller/v1/new1", token="first").status == 404
    assert ddi(nb, "GET", BASE + "bad%20id", token="first").status == 400


def test_strict_and_gateway(make_nb):
    nb = make_nb({"NESTBOX_DDI__AUTH_MODE": "strict", "NESTBOX_DDI__GATEWAY_TOKEN": "gw-secret"},
                 sub="strict")
    nb.ctl("init")
    nb.ctl("device", "add", "known", "--token", "k-1")
    nb.start()
    assert ddi(nb, "GET", BASE + "unknown", token="x").status == 401
    assert ddi(nb, "GET", BASE + "known", token="k-1").status == 200
    assert ddi(nb, "GET", BASE + "known", token="k-2").status == 401
    r = nb.request("GET", BASE + "gwdev", {"Authorization": "GatewayToken gw-secret"})
    assert r.status == 200
    r = nb.request("GET", BASE + "gwdev2", {"Authorization": "GatewayToken wrong"})
    assert r.status == 401


@pytest.mark.parametrize("body,status", [
    ({"mode": "merge", "data": {}}, 400),
    ({"mode": "sideways", "data": {"a": "b"}}, 400),
    ({"data": {"a": 1}}, 400),
    ("not an object", 400),
])
def test_bad_config_data(ddi_nb, body, status):
    nb, _, _ = ddi_nb
    ddi(nb, "GET", BASE + "cd", token="t")
    assert ddi(nb, "PUT", BASE + "cd/configData", token="t", body=body).status == status


def test_bad_feedback(ddi_nb):
    nb, _, sid = ddi_nb
    nb.ctl("device", "add", "fb", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ddi(nb, "PUT", BASE + "fb/configData", body={"data": {"hw_boardname": "board-a",
                                                            "hw_revision": "2.0"}})
    j = json.loads(ddi(nb, "GET", BASE + "fb").body)
    action = j["_links"]["deploymentBase"]["href"].split("/deploymentBase/")[1].split("?")[0]
    assert feedback(nb, "fb", action, "exploded").status == 400
    assert feedback(nb, "fb", action, "closed", "maybe").status == 400
    r = nb.request("POST", BASE + "fb/deploymentBase/%s/feedback" % action,
                   {"Authorization": "TargetToken tok-1", "Content-Type": "application/json"},
                   b"{broken")
    assert r.status == 400
    assert feedback(nb, "fb", "999999", "proceeding").status == 404
    # another device's action is not found either
    ddi(nb, "GET", BASE + "other", token="t2")
    assert feedback(nb, "other", action, "proceeding", token="t2").status == 404


def test_incompatible_software_is_not_offered(ddi_nb):
    nb, _, sid = ddi_nb
    for dev, mode in (("inc1", "latest"), ("inc2", "assigned")):
        nb.ctl("device", "add", dev, "--token", "tok-1", "--mode", mode,
               *(["--assign", sid] if mode == "assigned" else []))
        ddi(nb, "PUT", BASE + dev + "/configData", body={
            "data": {"hw_boardname": "other-board", "hw_revision": "9.9", "sw_version": "1.0"}})
        assert "deploymentBase" not in json.loads(ddi(nb, "GET", BASE + dev).body)["_links"]
    nb.ctl("device", "add", "pin", "--token", "tok-1", "--mode", "pinned")
    ddi(nb, "PUT", BASE + "pin/configData", body={
        "data": {"hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}})
    assert "deploymentBase" not in json.loads(ddi(nb, "GET", BASE + "pin").body)["_links"]
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_actions").fetchone()[0] == 0


def test_poll_writes_nothing_last_seen_is_batched(make_nb):
    # log.flush_ms an hour: an idle ddi.fcgi keeps its batch for that long
    # (with the default, a second, a stalled test could see it written)
    nb = make_nb({"NESTBOX_LOG__FLUSH_MS": "3600000"})
    nb.ctl("init")
    nb.start()
    nb.ctl("device", "add", "ls1", "--token", "tok-1", "--mode", "pinned")
    ddi(nb, "PUT", BASE + "ls1/configData", body={"data": {"hw_boardname": "b"}})
    with nb.db() as c:
        before = c.execute("SELECT * FROM ddi_devices WHERE controller_id='ls1'").fetchone()
    assert ddi(nb, "GET", BASE + "ls1").status == 200
    with nb.db() as c:
        # the poll itself wrote nothing: last_seen waits in the process's batch
        assert c.execute("SELECT * FROM ddi_devices WHERE controller_id='ls1'").fetchone() \
            == before
    nb.stop()                   # the program writes its batch on the way out
    with nb.db() as c:
        seen, addr = c.execute("SELECT last_seen, last_addr FROM ddi_devices"
                               " WHERE controller_id='ls1'").fetchone()
    assert seen > 0 and addr == "127.0.0.1"


@pytest.mark.parametrize("hot_rows", [False, True])
def test_polls_are_counted_not_logged_row_by_row(make_nb, hot_rows):
    nb = make_nb({"NESTBOX_LOG__HOT_ROWS": "true"} if hot_rows else {}, sub="hot%d" % hot_rows)
    nb.ctl("init")
    nb.start()
    for _ in range(3):
        assert ddi(nb, "GET", BASE + "hot", token="t").status == 200
    assert ddi(nb, "PUT", BASE + "hot/configData", token="t",
               body={"data": {"a": "b"}}).status == 200
    nb.stop()                   # the programs write their batches on the way out
    with nb.db() as c:
        rows = dict(c.execute("SELECT route, count(*) FROM request_log GROUP BY route"))
        counted = dict(c.execute("SELECT route, sum(count) FROM metrics_requests"
                                 " WHERE program='ddi' GROUP BY route"))
    assert counted == {"/ddi/poll": 3, "/ddi/configData": 1}
    assert rows.get("/ddi/configData") == 1
    assert rows.get("/ddi/poll", 0) == (3 if hot_rows else 0)



def test_hostile_host_header_refused(ddi_nb):
    """Link hrefs are built from Host when server.base_url is empty; lighttpd
    refuses a Host with quotes or backslashes before any program sees it
    (the JSON escaping of such values is unit-tested in test_arena.c)."""
    nb, _, _ = ddi_nb
    assert ddi(nb, "GET", BASE + "hh", token="t", headers={"Host": 'evil"\\host'}).status == 400


def action_id(nb, dev, token="tok-1", rel="deploymentBase"):
    j = json.loads(ddi(nb, "GET", BASE + dev, token=token).body)
    if rel not in j["_links"]:
        return None
    return j["_links"][rel]["href"].split("/%s/" % rel)[1].split("?")[0]


def raw_post(nb, path, body, method="POST", token="tok-1"):
    return nb.request(method, path, {"Authorization": "TargetToken " + token,
                                     "Content-Type": "application/json"}, body)


def test_artifacts_only_for_own_software(ddi_nb):
    """hawkBit answers 404 for a module that is not in one of the device's
    actions or its assignment: ids are sequential, so any self-registered
    id could otherwise download the whole repository (issue 11)."""
    nb, swu, sid = ddi_nb
    data = open(swu, "rb").read()
    name = os.path.basename(swu)
    nb.ctl("device", "add", "owner", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    nb.ctl("device", "add", "late", "--token", "tok-1", "--mode", "latest")
    sm = "/softwaremodules/%s/artifacts" % sid
    paths = (sm, sm + "/" + name, sm + "/" + name + ".MD5SUM")
    # a stranger registered by setup mode, and a device with no action yet
    for dev, token in (("stranger", "s-1"), ("late", "tok-1")):
        for p in paths:
            for method in ("GET", "HEAD"):
                r = ddi(nb, method, BASE + dev + p, token=token)
                assert r.status == 404, (dev, p, method, r.status)
        r = ddi(nb, "GET", BASE + dev + sm + "/" + name, token=token,
                headers={"Range": "bytes=0-9"})
        assert r.status == 404 and r.body != data[:10]
    # the same answer as for a module that does not exist: nothing to probe
    r = ddi(nb, "GET", BASE + "stranger/softwaremodules/999/artifacts", token="s-1")
    assert r.status == 404 and json.loads(r.body)["error"] == "no such software module"
    # its assignment: the device may list and fetch before its action exists
    arts = json.loads(ddi(nb, "GET", BASE + "owner" + sm).body)
    assert arts[0]["filename"] == name
    assert ddi(nb, "GET", BASE + "owner" + sm + "/" + name).body == data
    # one of its actions: once "latest" offered it, the device may fetch it
    ddi(nb, "PUT", BASE + "late/configData", body={"data": {
        "hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}})
    assert action_id(nb, "late") is not None
    assert ddi(nb, "GET", BASE + "late" + sm + "/" + name).body == data
    assert ddi(nb, "GET", BASE + "stranger" + sm + "/" + name, token="s-1").status == 404


def test_setup_keeps_only_tokens_of_devices_it_registers(make_nb):
    """A device added without a token, or registered by the GatewayToken,
    does not take the first TargetToken anyone sends: the real device
    would get 401 after an attacker's poll (issue 11)."""
    nb = make_nb({"NESTBOX_DDI__GATEWAY_TOKEN": "gw-secret"}, sub="setup-tokens")
    nb.ctl("init")
    nb.ctl("device", "add", "tokenless")
    nb.start()
    assert nb.request("GET", BASE + "viagw",
                      {"Authorization": "GatewayToken gw-secret"}).status == 200
    for dev in ("tokenless", "viagw"):
        assert ddi(nb, "GET", BASE + dev, token="attacker").status == 200
        assert ddi(nb, "GET", BASE + dev, token="real-device").status == 200
    with nb.db() as c:
        rows = dict(c.execute("SELECT controller_id, token_hash FROM ddi_devices"))
    assert rows == {"tokenless": "", "viagw": ""}
    # a device setup registers itself keeps its first token, as before
    assert ddi(nb, "GET", BASE + "selfreg", token="first").status == 200
    assert ddi(nb, "GET", BASE + "selfreg", token="second").status == 401


def test_self_registration_cap_and_rate(make_nb):
    """setup/lax mode self-registration stops at ddi.self_register_max (403)
    and ddi.self_register_per_hour (429); refusals are logged and counted,
    known and operator-added devices are not affected."""
    nb = make_nb({"NESTBOX_DDI__SELF_REGISTER_MAX": "2"}, sub="selfcap")
    nb.ctl("init")
    nb.ctl("device", "add", "by-operator", "--token", "op")
    nb.start()
    assert ddi(nb, "GET", BASE + "r1", token="t").status == 200
    assert ddi(nb, "GET", BASE + "r2", token="t").status == 200
    r = ddi(nb, "GET", BASE + "r3", token="t")
    assert r.status == 403 and "ddi.self_register_max" in json.loads(r.body)["error"]
    assert ddi(nb, "PUT", BASE + "r4/configData", token="t",
               body={"data": {"a": "b"}}).status == 403
    assert ddi(nb, "GET", BASE + "r1", token="t").status == 200
    assert ddi(nb, "GET", BASE + "by-operator", token="op").status == 200
    with nb.db() as c:
        ids = sorted(r[0] for r in c.execute("SELECT controller_id FROM ddi_devices"))
    assert ids == ["by-operator", "r1", "r2"]
    # the operator sees the count against the cap in /metrics
    m = nb.get("/metrics").body.decode()
    assert "\nnestbox_ddi_self_registered_devices 2\n" in m
    assert "\nnestbox_ddi_self_register_max 2\n" in m
    assert "\nnestbox_ddi_self_registered_last_hour 2\n" in m
    nb.stop()
    log = nb.read_log()
    assert "self-registration of DEFAULT/r3 refused: ddi.self_register_max (2)" in log
    with nb.db() as c:
        refused = c.execute("SELECT sum(count) FROM metrics_requests WHERE program='ddi'"
                            " AND status=403").fetchone()[0]
    assert refused == 2
    lax = make_nb({"NESTBOX_DDI__AUTH_MODE": "lax", "NESTBOX_DDI__SELF_REGISTER_PER_HOUR": "1"},
                  sub="selfrate")
    lax.ctl("init")
    lax.start()
    assert ddi(lax, "GET", BASE + "l1", token=None).status == 200
    r = ddi(lax, "GET", BASE + "l2", token=None)
    assert r.status == 429 and r.header("Retry-After") == "3600"
    assert "ddi.self_register_per_hour" not in r.body.decode()
    lax.stop()
    assert "self-registration of DEFAULT/l2 refused: ddi.self_register_per_hour (1)" \
        in lax.read_log()


@pytest.mark.parametrize("cid,status", [
    ("star*", 200),                     # hawkBit allows it: no whitespace, no '/'
    ("g%C3%A9r%C3%A4t-1", 200),         # UTF-8
    ("x" * 256, 200),
    ("sp%20ace", 400),
    ("tab%09id", 400),
    ("bad%FFutf8", 400),
    ("x" * 257, 400),
])
def test_controller_id_rule(ddi_nb, cid, status):
    nb, _, _ = ddi_nb
    r = ddi(nb, "GET", BASE + cid, token="t")
    assert r.status == status
    with nb.db() as c:
        n = c.execute("SELECT count(*) FROM ddi_devices").fetchone()[0]
    assert n == (1 if status == 200 else 0)


def test_feedback_needs_hawkbit_fields(ddi_nb):
    """hawkBit's DdiActionFeedback requires status.result.finished: a closed
    without it was taken as a success (issue 11).  400, action unchanged."""
    nb, _, sid = ddi_nb
    nb.ctl("device", "add", "rq", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ddi(nb, "PUT", BASE + "rq/configData", body={"data": {
        "hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}})
    a = action_id(nb, "rq")
    path = BASE + "rq/deploymentBase/%s/feedback" % a
    bad = [
        ({"id": a, "status": {"execution": "closed"}},
         "feedback needs status.result with finished (success, failure, none)"),
        ({"id": a, "status": {"execution": "closed", "result": {}}},
         "status.result.finished must be success, failure or none"),
        ({"id": a, "status": {"execution": "closed", "result": {"progress": {"cnt": 1}}}},
         "status.result.finished must be success, failure or none"),
        ({"id": a, "status": {"execution": "closed", "result": {"finished": "none",
                                                                "progress": {}}}},
         "status.result.progress needs a number cnt"),
        ({"id": a, "status": {"execution": "closed", "result": {"finished": "success"},
                              "details": "not a list"}},
         "status.details must be a list of strings"),
        ({"id": a}, "feedback needs a status object"),
    ]
    for body, why in bad:
        r = ddi(nb, "POST", path, body=body)
        assert r.status == 400 and json.loads(r.body)["error"] == why, (body, r.text)
    for raw, why in ((b'{"status":{"execution":"closed","result":{"finished":"success"},'
                      b'"details":["caf\xe9"]}}', "the body is not UTF-8 text"),
                     (b'{"status":{"execution":"closed","result":{"finished":"success"},'
                      b'"details":["a\\u0000b"]}}', "strings may not hold NUL (\\u0000)")):
        r = raw_post(nb, path, raw)
        assert r.status == 400 and json.loads(r.body)["error"] == why, (raw, r.text)
    r = ddi(nb, "POST", BASE + "rq/cancelAction/%s/feedback" % a,
            body={"status": {"execution": "closed"}})
    assert r.status == 400
    with nb.db() as c:
        assert c.execute("SELECT status FROM ddi_actions WHERE id=?", (a,)).fetchone()[0] \
            == "running"
        assert c.execute("SELECT count(*) FROM ddi_action_status").fetchone()[0] == 0
        assert c.execute("SELECT state, sw_version FROM ddi_devices").fetchone() \
            == ("running", "1.0")
    assert feedback(nb, "rq", a, "closed", "success").status == 200


def test_feedback_answer_order_and_progress(ddi_nb):
    """The body is parsed before the feedback's write transaction, its error
    answered after the action's: no such action (404) before a bad body
    (400) before a closed action (410).  A proceeding feedback stores its
    progress and keeps the status (it no longer names the status)."""
    nb, _, sid = ddi_nb
    nb.ctl("device", "add", "ord", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ddi(nb, "PUT", BASE + "ord/configData", body={"data": {
        "hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}})
    a = action_id(nb, "ord")
    path = BASE + "ord/deploymentBase/%s/feedback"
    r = raw_post(nb, path % "999999", b"{broken")
    assert r.status == 404 and json.loads(r.body)["error"] == "no such action", r.text
    r = ddi(nb, "POST", path % a, body={
        "id": a, "status": {"execution": "proceeding", "result": {
            "finished": "none", "progress": {"cnt": 3, "of": 4}}, "details": ["75%"]}})
    assert r.status == 200, r.text
    with nb.db() as c:
        assert c.execute("SELECT status, progress FROM ddi_actions WHERE id=?", (a,)
                         ).fetchone() == ("running", 75)
    assert feedback(nb, "ord", a, "closed", "success").status == 200
    r = raw_post(nb, path % a, b"{broken")
    assert r.status == 400 and "JSON" in json.loads(r.body)["error"], r.text
    assert feedback(nb, "ord", a, "proceeding").status == 410
    with nb.db() as c:
        assert c.execute("SELECT status, progress FROM ddi_actions WHERE id=?", (a,)
                         ).fetchone() == ("finished", 100)
        assert c.execute("SELECT count(*) FROM ddi_action_status WHERE action_id=?", (a,)
                         ).fetchone()[0] == 2

def test_refused_progress_feedback_trims_nothing(ddi_nb):
    """A progress feedback reads its action and writes its entry, the trim
    of the action's entries past hawkBit's 1000 and its progress in one
    go (on PostgreSQL one statement with the COMMIT: ddi_action_take):
    to a closed action it is 410 and none of them ran, the trim neither,
    although the action holds more entries than are kept."""
    nb, _, sid = ddi_nb
    nb.ctl("device", "add", "trim", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ddi(nb, "PUT", BASE + "trim/configData", body={"data": {
        "hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}})
    a = action_id(nb, "trim")
    assert feedback(nb, "trim", a, "closed", "failure").status == 200
    with nb.db() as c:
        c.executemany("INSERT INTO ddi_action_status(action_id, ts, execution, finished, details)"
                      " VALUES(?, 0, 'proceeding', 'none', 'old')", [(a,)] * 1100)
        n = c.execute("SELECT count(*) FROM ddi_action_status WHERE action_id=?", (a,)).fetchone()[0]
    assert n == 1101
    assert feedback(nb, "trim", a, "proceeding").status == 410
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_action_status WHERE action_id=?", (a,)
                         ).fetchone()[0] == n
        assert c.execute("SELECT status FROM ddi_actions WHERE id=?", (a,)).fetchone() == ("error",)


def test_device_bodies_are_checked(ddi_nb):
    """configData, installedBase and confirmation bodies: hawkBit's required
    fields, UTF-8 text, bounds named; nothing stored on a refusal."""
    nb, _, _ = ddi_nb
    ddi(nb, "GET", BASE + "bd", token="t")
    cfg = BASE + "bd/configData"
    assert raw_post(nb, cfg, b'{"data":{"hw_boardname":"b\xf6rd"}}', "PUT", "t").status == 400
    r = ddi(nb, "PUT", cfg, token="t", body={"data": {"k": "v" * 513}})
    assert r.status == 400 and "512" in json.loads(r.body)["error"]
    r = ddi(nb, "PUT", cfg, token="t", body={"data": {"sw_version": "9" * 100}})
    assert r.status == 400 and "sw_version is 100 bytes, at most 63" in json.loads(r.body)["error"]
    inst = BASE + "bd/installedBase"
    r = ddi(nb, "PUT", inst, token="t", body={"version": "2.0"})
    assert r.status == 400 and json.loads(r.body)["error"] == \
        "installedBase needs a name (1 to 255 bytes)"
    r = ddi(nb, "PUT", inst, token="t", body={"name": "img", "version": "1" * 64})
    assert r.status == 400 and json.loads(r.body)["error"] == \
        "installedBase needs a version (1 to 63 bytes)"
    assert raw_post(nb, inst, b'{"name":"img","version":"2.0\xff"}', "PUT", "t").status == 400
    with nb.db() as c:
        assert c.execute("SELECT attributes, sw_version, state FROM ddi_devices").fetchone() \
            == ("", "", "registered")
    assert ddi(nb, "PUT", inst, token="t", body={"name": "img", "version": "2.0"}).status == 200
    r = raw_post(nb, BASE + "bd/confirmationBase/activateAutoConfirm",
                 b'{"remark":"\xe9"}', token="t")
    assert r.status == 400 and json.loads(r.body)["error"] == "the body is not UTF-8 text"
    r = raw_post(nb, BASE + "bd/confirmationBase/activateAutoConfirm", b'{"remark":5}', token="t")
    assert r.status == 400 and json.loads(r.body)["error"] == \
        "initiator (at most 255 bytes) and remark (at most 1024) must be strings"
    with nb.db() as c:
        assert c.execute("SELECT sw_version, auto_confirm FROM ddi_devices").fetchone() \
            == ("2.0", 0)


def test_action_history(ddi_nb):
    """?actionHistory=N answers up to N of the device's messages, newest
    first (hawkBit); -1 all, 0 or absent none."""
    nb, _, sid = ddi_nb
    nb.ctl("device", "add", "ah", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ddi(nb, "PUT", BASE + "ah/configData", body={"data": {
        "hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}})
    a = action_id(nb, "ah")
    for lines in (["Downloading"], ["Downloaded 50%", "still going"], [], ["Installing"]):
        assert feedback(nb, "ah", a, "proceeding", details=lines).status == 200
    dep = BASE + "ah/deploymentBase/" + a

    def messages(q):
        r = ddi(nb, "GET", dep + q)
        assert r.status == 200
        return json.loads(r.body)["actionHistory"]["messages"]
    assert messages("") == []
    assert messages("?actionHistory=0") == []
    assert messages("?actionHistory=3") == ["Installing", "Downloaded 50%", "still going"]
    assert messages("?actionHistory=1") == ["Installing"]
    assert messages("?actionHistory=-1") == ["Installing", "Downloaded 50%", "still going",
                                             "Downloading"]
    assert messages("?c=x&actionHistory=2") == ["Installing", "Downloaded 50%"]
    assert ddi(nb, "GET", dep + "?actionHistory=three").status == 400
    # another device's action stays unknown, history or not
    assert ddi(nb, "GET", BASE + "other2/deploymentBase/%s?actionHistory=-1" % a,
               token="o").status == 404


def test_tenant_longer_than_kept_stops_start(tmpdir_shared):
    """A tenant is kept in a 63-byte column: a longer one in ddi.tenants is
    refused at start-up with the key named, not cut on every request."""
    from test_config import run_cgi, write
    for tenants, ok in (("[DEFAULT, %s]" % ("T" * 64), False), ("[%s]" % ("T" * 63), True)):
        p = write(tmpdir_shared, "server:\n  var_dir: %s\nddi:\n  tenants: %s\n"
                  % (tmpdir_shared, tenants))
        r = run_cgi("ddi.fcgi", {"NESTBOX_CONFIG": p}, uri="/DEFAULT/controller/v1/x")
        assert (b"ddi.tenants: each tenant is 1 to 63 bytes" in r.stderr) != ok, r.stderr


@pytest.mark.parametrize("path,status,error", [
    ("dev1/deploymentBase/abc", 400, "invalid actionId"),
    ("dev1/deploymentBase/0", 400, "invalid actionId"),
    ("dev1/installedBase/-3", 400, "invalid actionId"),
    ("dev1/confirmationBase/1x", 400, "invalid actionId"),
    ("dev1/cancelAction/abc", 400, "invalid actionId"),
    ("dev1/deploymentBase/1?actionHistory=three", 400, "invalid actionHistory"),
    ("dev1/softwaremodules/x/artifacts", 400, "invalid softwareModuleId"),
    ("dev1/softwaremodules/1.5/artifacts/a.swu", 400, "invalid softwareModuleId"),
    ("bad%20id", 400, "invalid controllerId"),
])
def test_declared_fields_refused(ddi_nb, path, status, error):
    """Every part of a device URL is declared in ddi.fcgi's route table: a
    value that breaks its rule is answered before the device is looked up,
    with hawkBit's name for the field (a non-numeric action id was a 404
    "no such action", as if the number were unknown)."""
    nb, _, _ = ddi_nb
    r = ddi(nb, "GET", BASE + path, token="ok-1")
    assert (r.status, json.loads(r.body)["error"]) == (status, error)
    # nothing registered itself: the refusal came before authentication
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_devices WHERE token_hash=?",
                         (hashlib.sha256(b"ok-1").hexdigest(),)).fetchone() == (0,)
    # the tenant is judged first: unknown is a 404 whatever the rest
    r = ddi(nb, "GET", "/OTHER/controller/v1/" + path, token="ok-1")
    assert (r.status, json.loads(r.body)["error"]) == (404, "unknown tenant")


def test_ctl_device_add_twice_is_a_conflict(ddi_nb):
    """nestboxctl device add of an existing id is refused as a conflict (exit
    status 3, as every nestboxctl conflict), naming the device."""
    nb, _, _ = ddi_nb
    assert nb.ctl("device", "add", "twice").returncode == 0
    p = nb.ctl("device", "add", "twice", check=False)
    assert p.returncode == 3 and "twice" in p.stderr and "exists already" in p.stderr
    p = nb.ctl("device", "add", "other", "--mode", "assigned", "--assign", "999", check=False)
    assert p.returncode == 1 and "no software 999" in p.stderr
