"""One rollout's page and API (/admin/rollouts/:id): devices grouped by
result from real DDI traffic, progress over the devices that can take the
software, limits, cancel and finish, a rollout that paused itself, the
refusal of a rollout on a feed with no devices, and the audit feed each
change writes."""
import json
import re

from admin_client import Browser
from test_admin_ddi import adm, poll_action, register, swu, token, upload  # noqa: F401
from test_ddi import feedback


def group(page, key):
    """The controller ids listed in one group section of the page."""
    sec = re.search(r'<section class="rgroup %s".*?</section>' % key, page, re.S).group(0)
    return sorted(re.findall(r'<a href="/admin/devices/\d+">([^<]+)</a>', sec))


def fleet(nb, b):
    """ok1 succeeds, bad1 fails, run1 installs, idle1 waits; two cannot take it."""
    upload(b, swu(nb, "2.0"))
    for cid in ("ok1", "bad1", "run1", "idle1"):
        register(nb, cid)
    register(nb, "other-board", board="board-b", rev="3.0")
    register(nb, "uptodate", version="2.0")
    csrf = b.csrf("/admin/rollouts")
    r = b.post("/admin/rollouts", {"csrf": csrf, "name": "spring", "feed": "default",
                                   "software": "1", "max_failures": "5"})
    assert r.status == 303, r.text
    acts = {cid: poll_action(nb, cid) for cid in ("ok1", "bad1", "run1")}
    assert feedback(nb, "ok1", acts["ok1"], "closed", "success", ["Installed"]).status == 200
    assert feedback(nb, "bad1", acts["bad1"], "closed", "failure",
                    ["Installing", "ERROR: no space left on /dev/mmcblk0p2"]).status == 200
    assert feedback(nb, "run1", acts["run1"], "proceeding").status == 200
    return csrf


def test_devices_grouped_by_result_and_progress(adm):
    nb, b = adm
    fleet(nb, b)
    r = b.get("/admin/rollouts/1")
    assert r.status == 200, r.text
    page = r.text
    assert group(page, "succeeded") == ["ok1"]
    assert group(page, "failed") == ["bad1"]
    assert "ERROR: no space left on /dev/mmcblk0p2" in page
    assert group(page, "running") == ["run1"]
    assert group(page, "waiting") == ["idle1"]
    assert group(page, "not_eligible") == ["other-board", "uptodate"]
    assert "no software for board board-b revision 3.0" in page
    assert "already runs 2.0" in page
    # 1 of the 4 that can take it: the two that cannot are not counted
    assert re.search(r"<b>25%</b> done, counted over the <b>4</b> devices", page)
    j = json.loads(b.request("GET", "/admin/api/rollouts/1", headers=token(b)).body)
    assert j["progress"]["eligible"] == 4 and j["progress"]["not_eligible"] == 2
    assert [(g["key"], g["count"]) for g in j["groups"]] == [
        ("succeeded", 1), ("failed", 1), ("running", 1), ("waiting", 1), ("not_eligible", 2)]
    assert j["groups"][1]["devices"][0]["note"] == "ERROR: no space left on /dev/mmcblk0p2"
    # the list links each rollout to its page
    assert 'href="/admin/rollouts/1"' in b.get("/admin/rollouts").text
    assert b.get("/admin/rollouts/7").status == 404
    assert b.get("/admin/rollouts/x").status == 400


def state(nb):
    with nb.db() as c:
        return c.execute("SELECT state, max_failures, max_failure_rate FROM ddi_rollouts"
                         " WHERE id=1").fetchone()


def test_limits_cancel_and_finish(adm):
    nb, b = adm
    csrf = fleet(nb, b)
    r = b.post("/admin/rollouts/1/limits", {"csrf": csrf, "max_failures": "7",
                                            "max_failure_rate": "40"})
    assert r.status == 303 and state(nb) == ("running", 7, 40)
    for bad in ({"max_failure_rate": "101"}, {"max_failures": "x"}, {"max_failures": "-1"},
                {"max_failures": "2000000000"}):
        r = b.post("/admin/rollouts/1/limits", dict(bad, csrf=csrf))
        assert r.status == 400, (bad, r.status)
        assert state(nb) == ("running", 7, 40)
    r = b.post("/admin/rollouts/1/limits", {"csrf": csrf, "max_failure_rate": "101"})
    assert 'id="limits-max_failure_rate-err" role="alert">invalid max_failure_rate: a ' \
        'percentage 0-100<' in r.text and 'value="101"' in r.text
    r = b.post("/admin/rollouts/1/limits", {"csrf": csrf, "max_failures": "x"})
    assert 'id="limits-max_failures-err" role="alert">invalid max_failures<' in r.text
    # cancel asks first, and changes nothing until confirmed
    r = b.post("/admin/rollouts/1/cancel", {"csrf": csrf})
    assert r.status == 200 and "Really cancel rollout 1?" in r.text
    assert state(nb)[0] == "running"
    r = b.post("/admin/rollouts/1/cancel", {"csrf": csrf, "confirm": "yes"})
    assert r.status == 303 and state(nb)[0] == "canceled"
    with nb.db() as c:
        acts = dict(c.execute("SELECT d.controller_id, a.status FROM ddi_actions a"
                              " JOIN ddi_devices d ON d.id = a.device_id"))
    assert acts == {"ok1": "finished", "bad1": "error", "run1": "canceling"}
    assert poll_action(nb, "idle1") is None        # nothing offered any more
    # an ended rollout does not come back, nor end twice
    assert b.post("/admin/rollouts/1/resume", {"csrf": csrf}).status == 409
    assert b.post("/admin/rollouts/1/stage", {"csrf": csrf, "percent": "50"}).status == 409
    assert b.post("/admin/rollouts/1/cancel", {"csrf": csrf, "confirm": "yes"}).status == 409
    assert state(nb)[0] == "canceled"
    assert "Save limits" not in b.get("/admin/rollouts/1").text
    # finish through the API: what runs runs on, nothing new is offered
    auth = token(b)
    r = b.post("/admin/rollouts", {"csrf": csrf, "feed": "default", "software": "1"})
    assert r.status == 303
    assert poll_action(nb, "idle1")
    r = b.request("POST", "/admin/api/rollouts/2/finish", b"", auth)
    assert r.status == 200 and json.loads(r.body)["rollout"]["state"] == "finished"
    assert b.request("POST", "/admin/api/rollouts/2/finish", b"", auth).status == 409
    assert b.request("POST", "/admin/api/rollouts/9/cancel", b"", auth).status == 404
    # a read-only user sees the page but changes nothing
    v = Browser(nb.port)
    v.login("viewer", "viewer-pass-1")
    assert v.get("/admin/rollouts/2").status == 200
    assert v.post("/admin/rollouts/2/limits", {"csrf": v.csrf("/admin/rollouts/2"),
                                               "max_failures": "1"}).status == 403


def test_paused_itself_shown_with_reason(adm):
    nb, b = adm
    upload(b, swu(nb, "2.0"))
    register(nb, "f1")
    register(nb, "f2")
    csrf = b.csrf("/admin/rollouts")
    assert b.post("/admin/rollouts", {"csrf": csrf, "feed": "default", "software": "1",
                                      "max_failures": "1"}).status == 303
    a = poll_action(nb, "f1")
    assert feedback(nb, "f1", a, "closed", "failure", ["ERROR: bad image"]).status == 200
    page = b.get("/admin/rollouts/1").text
    assert "This rollout paused itself." in page
    assert "paused itself: 1 failures (limit 1)" in page
    assert b.post("/admin/rollouts/1/pause", {"csrf": csrf}).status == 303
    assert "This rollout paused itself." not in b.get("/admin/rollouts/1").text


def test_rollout_on_empty_feed_needs_confirmation(adm):
    nb, b = adm
    upload(b, swu(nb, "2.0"))
    register(nb, "d1")
    csrf = b.csrf("/admin/rollouts")
    r = b.post("/admin/rollouts", {"csrf": csrf, "feed": "defualt", "software": "1"})
    assert r.status == 409 and "feed defualt has no devices in rollout mode" in r.text
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_rollouts").fetchone()[0] == 0
    r = b.post("/admin/rollouts", {"csrf": csrf, "feed": "defualt", "software": "1",
                                   "confirm_empty": "yes"})
    assert r.status == 303
    assert b.post("/admin/rollouts", {"csrf": csrf, "feed": "default",
                                      "software": "1"}).status == 303


def test_changes_written_to_the_audit_feed(adm):
    nb, b = adm
    csrf = fleet(nb, b)
    b.post("/admin/rollouts/1/limits", {"csrf": csrf, "max_failures": "3"})
    b.post("/admin/rollouts/1/pause", {"csrf": csrf})
    b.post("/admin/rollouts/1/finish", {"csrf": csrf, "confirm": "yes"})
    with nb.db() as c:
        rows = c.execute("SELECT \"user\", via, action, target FROM admin_audit ORDER BY id").fetchall()
    # the software uploaded on its page is in the feed too (admin_audit_after)
    assert [r[2] for r in rows] == ["software add", "rollout create", "rollout limits",
                                    "rollout pause", "rollout finish"]
    assert {(r[0], r[1]) for r in rows} == {("admin", "page")}
    assert rows[0][3] == "software 1 (image-2.0.swu 2.0)"
    assert rows[2][3] == "rollout 1: pauses at 3 failures or 0%"
    page = b.get("/admin/audit").text
    assert "rollout finish" in page and "rollout 1 (0 offers withdrawn)" in page
    assert "rollout create" not in b.get("/admin/audit?user=nobody").text
    assert b.get("/admin/audit?before=x").status == 400
    j = json.loads(b.request("GET", "/admin/api/audit?user=admin", headers=token(b)).body)
    # the token made to ask is the newest change
    assert [x["action"] for x in j][:3] == ["token create", "rollout finish", "rollout pause"]
    # nestboxctl's changes and its own listing
    nb.ctl("rollout", "resume", "1", check=False)
    out = json.loads(nb.ctl("audit", "--json").stdout)
    assert [r["action"] for r in out[:2]] == ["token create", "rollout finish"]


def test_offered_but_never_answered_is_waiting_with_how_long(adm):
    """A device offered the software that never answered is not drawn as
    installing: it waits, and the page says since when (relative, the UTC
    time on hover); `nestboxctl rollout show` and its --json group alike."""
    nb, b = adm
    fleet(nb, b)
    register(nb, "quiet1")
    assert poll_action(nb, "quiet1")           # offered; no feedback ever
    page = b.get("/admin/rollouts/1").text
    assert group(page, "running") == ["run1"]
    assert group(page, "waiting") == ["idle1", "quiet1"]
    row = re.search(r'<tr><td><a href="/admin/devices/\d+">quiet1</a>.*?</tr>', page).group(0)
    assert "no answer from the device" in row and "installing" not in row
    assert re.search(r'offered <time datetime="\d{4}-\d\d-\d\dT[\d:]+Z" title="[^"]+ UTC">'
                     r'[^<]*(ago|just now)</time>', row), row
    # progress still counts it among the devices that can take the software
    assert re.search(r"<b>20%</b> done, counted over the <b>5</b> devices", page)
    j = json.loads(b.request("GET", "/admin/api/rollouts/1", headers=token(b)).body)
    waiting = {d["controller_id"]: d for d in j["groups"][3]["devices"]}
    assert waiting["quiet1"]["note"] == "no answer from the device"
    assert waiting["quiet1"]["answered"] is False and waiting["quiet1"]["offered"] > 0
    assert [d["controller_id"] for d in j["groups"][2]["devices"]] == ["run1"]
    out = nb.ctl("rollout", "show", "1").stdout
    assert "\nrunning: 1\n  run1\t" in out and "\nwaiting: 2\n" in out
    line = [x for x in out.splitlines() if x.startswith("  quiet1\t")][0]
    assert "no answer from the device, offered " in line and " UTC)" in line, line
    cj = json.loads(nb.ctl("rollout", "show", "1", "--json").stdout)
    assert cj["progress"] == j["progress"]
    assert [(g["key"], g["count"], [d["controller_id"] for d in g["devices"]])
            for g in cj["groups"]] == [(g["key"], g["count"], [d["controller_id"]
                                                               for d in g["devices"]])
                                       for g in j["groups"]]


def test_audit_rows_name_what_changed(adm):
    """issue 14: a bulk action's row says the action, its value and the
    devices (how many, the first ids); a software delete's the name and
    version (page and API); a device's change names the device."""
    nb, b = adm
    for v in ("2.0", "3.0", "4.0"):
        assert upload(b, swu(nb, v), name="app").status == 303
    for i in range(1, 8):
        nb.ctl("device", "add", "dev-%d" % i)
    with nb.db() as c:
        c.execute("DELETE FROM admin_audit")
        ids = [str(i) for (i,) in c.execute("SELECT id FROM ddi_devices ORDER BY id")]
    csrf = b.csrf("/admin/devices")

    def bulk(fields, sel):
        body = "&".join(["%s=%s" % kv for kv in dict(fields, csrf=csrf, confirm="yes").items()]
                        + ["id=" + i for i in sel])
        r = b.request("POST", "/admin/devices/bulk", body.encode(),
                      {"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 303, (fields, r.status, r.text[:300])
    bulk({"action": "assign", "software": "1"}, ids)
    bulk({"action": "feed", "feed": "beta"}, ids[:2])
    bulk({"action": "delete"}, ids[5:])
    assert b.post("/admin/devices/%s/feed" % ids[0], {"csrf": csrf, "feed": "gamma"}).status == 303
    assert b.post("/admin/software/2/delete", {"csrf": csrf}).status == 303
    assert b.request("DELETE", "/admin/api/software/3", headers=token(b)).status == 204
    with nb.db() as c:
        rows = c.execute("SELECT via, action, target FROM admin_audit ORDER BY id").fetchall()
    rows = [r for r in rows if r[1] != "token create"]
    assert rows == [
        ("page", "devices assign",
         "assign software 1 (app 2.0) to 7 devices: dev-1, dev-2, dev-3, dev-4, dev-5, …"),
        ("page", "devices feed", "set feed beta on 2 devices: dev-1, dev-2"),
        ("page", "devices delete", "delete 2 devices: dev-6, dev-7"),
        ("page", "device feed", "device #%s dev-1: feed gamma" % ids[0]),
        ("page", "software delete", "software 2 (app 3.0)"),
        ("api", "software delete", "software 3 (app 4.0)")], rows
