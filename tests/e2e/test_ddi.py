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
    assert feedback(nb, "dev1", action, "proceeding").status == 410
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


def test_poll_writes_nothing_last_seen_is_batched(ddi_nb):
    nb, _, _ = ddi_nb
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
