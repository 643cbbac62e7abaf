"""The DDI admin pages and API: software, rollouts and devices through
lighttpd, with real DDI traffic driving device state and rollout counts,
read-only users and missing CSRF tokens refused, hostile input escaped."""
import functools
import html
import http.server
import json
import os
import re
import subprocess
import threading
import time

import pytest

from admin_client import Browser, refusal
from conftest import CTL
from test_ddi import BASE, ddi, feedback
from test_software import make_swu

XSS = '<script>alert("x")</script>'
XSS_ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def adm(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1", "NESTBOX_ADMIN__PAGE_SIZE": "5",
                  "NESTBOX_DDI__POLL_TIME": "00:00:05"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    p = subprocess.run([CTL, "user", "add", "viewer", "--role", "readonly"], env=nb.env,
                       input="viewer-pass-1\n", capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with nb.db() as c:      # the set-up's own "user add" is no operator's action under test
        c.execute("DELETE FROM admin_audit")
    nb.start()
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    nb.tmp = tmpdir_shared
    return nb, b


def token(b):
    r = b.post("/admin/tokens", {"csrf": b.csrf(), "name": "t"})
    return {"Authorization": "Bearer " + r.text.split('<code id="new-token">')[1].split("</code>")[0]}


def swu(nb, version, sub=None):
    return make_swu(os.path.join(nb.tmp, sub or "sw-" + version), version)


def beside(page, form, field):
    """The message drawn beside field of form in a page drawn again."""
    m = re.search(r'<span class="field-error" id="%s-%s-err" role="alert">([^<]*)</span>'
                  % (form, field), page)
    assert m, (form, field, page)
    return html.unescape(m.group(1))


def sw_count(nb):
    with nb.db() as c:
        return c.execute("SELECT count(*) FROM ddi_software").fetchone()[0]


def no_leftovers(nb):
    tmp = os.path.join(nb.state, "tmp")
    return not os.path.isdir(tmp) or os.listdir(tmp) == []


def register(nb, cid, board="board-a", rev="2.0", version="1.0", extra=None, tok="tok-1"):
    """A device as SWUpdate makes itself known: a poll, then configData."""
    assert ddi(nb, "GET", BASE + cid, token=tok).status == 200
    data = {"hw_boardname": board, "hw_revision": rev, "sw_version": version}
    data.update(extra or {})
    assert ddi(nb, "PUT", BASE + cid + "/configData", token=tok, body={"data": data}).status == 200
    with nb.db() as c:
        return c.execute("SELECT id FROM ddi_devices WHERE controller_id=?", (cid,)).fetchone()[0]


def poll_action(nb, cid, tok="tok-1"):
    links = json.loads(ddi(nb, "GET", BASE + cid, token=tok).body)["_links"]
    if "deploymentBase" not in links:
        return None
    return links["deploymentBase"]["href"].split("/deploymentBase/")[1].split("?")[0]


def upload(b, path, name="", **kw):
    fields = {"csrf": b.csrf("/admin/software"), "name": name}
    fields.update(kw.pop("fields", {}))
    return b.upload(fields, os.path.basename(path), open(path, "rb").read(),
                    action="/admin/software", **kw)


def test_upload_form_api_overlap_and_broken(adm):
    nb, b = adm
    auth = token(b)
    r = upload(b, swu(nb, "1.0"), name="core image")
    assert r.status == 303 and r.header("Location") == "/admin/software?done=added+software+1"
    page = b.get("/admin/software")
    assert "core image" in page.text and "image-1.0.swu" in page.text
    assert "board-a:2.0" in page.text and "*:1.0" in page.text
    listed = json.loads(b.request("GET", "/admin/api/software", headers=auth).body)
    assert [(s["id"], s["version"], s["filename"]) for s in listed] == [(1, "1.0", "image-1.0.swu")]
    # the same version, overlapping boards: 409 on the page and in the API, nothing stored
    again = swu(nb, "1.0", sub="again")
    r = upload(b, again)
    assert r.status == 409 and "overlapping hardware compatibility" in r.text
    r = b.request("PUT", "/admin/api/software", open(again, "rb").read(), auth)
    assert r.status == 409 and "overlapping" in json.loads(r.body)["error"]
    # a broken image: the page says why, nothing is stored, no temporary file is left
    data = open(swu(nb, "3.0"), "rb").read()
    r = b.upload({"csrf": b.csrf("/admin/software")}, "broken.swu", data[:len(data) // 2],
                 action="/admin/software")
    assert r.status == 400 and "truncated" in r.text and 'class="field-error"' in r.text
    r = b.request("POST", "/admin/api/software", b"not an image at all" * 100, auth)
    assert r.status == 400 and json.loads(r.body)["error"]
    assert sw_count(nb) == 1 and no_leftovers(nb)
    # raw body and multipart through the API
    r = b.request("PUT", "/admin/api/software?name=raw&filename=raw-2.0.swu",
                  open(swu(nb, "2.0"), "rb").read(), auth)
    assert r.status == 201 and json.loads(r.body) == {"id": 2}
    anon = Browser(nb.port)
    r = anon.upload({"name": "multi"}, "multi-4.0.swu", open(swu(nb, "4.0"), "rb").read(),
                    action="/admin/api/software", headers=auth)
    assert r.status == 201 and json.loads(r.body) == {"id": 3}
    with nb.db() as c:
        rows = c.execute("SELECT id, name, filename FROM ddi_software ORDER BY id").fetchall()
    assert rows == [(1, "core image", "image-1.0.swu"), (2, "raw", "raw-2.0.swu"),
                    (3, "multi", "multi-4.0.swu")]
    assert no_leftovers(nb)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def test_add_from_url(adm):
    nb, b = adm
    path = swu(nb, "5.0")
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=os.path.dirname(path)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/%s" % (srv.server_port, os.path.basename(path))
        r = b.post("/admin/software/url", {"csrf": b.csrf("/admin/software"), "url": url,
                                           "name": "from the web"})
        assert r.status == 303, r.text
        assert url in b.get("/admin/software").text
        auth = token(b)
        r = b.request("POST", "/admin/api/software/url", json.dumps({"url": url}).encode(), auth)
        assert r.status == 409
        r = b.request("POST", "/admin/api/software/url", b'{"url": 5}', auth)
        assert r.status == 400 and "url" in json.loads(r.body)["error"]
        r = b.request("POST", "/admin/api/software/url",
                      json.dumps({"url": url.replace("5.0", "9.9")}).encode(), auth)
        assert r.status == 400
        r = b.post("/admin/software/url", {"csrf": b.csrf("/admin/software"),
                                           "url": "ftp://x/y.swu"})
        assert r.status == 400 and "http(s) URL" in r.text
    finally:
        srv.shutdown()
    with nb.db() as c:
        assert c.execute("SELECT name, url FROM ddi_software").fetchall() == [("from the web", url)]


def test_delete_unused_and_in_use(adm):
    nb, b = adm
    auth = token(b)
    for v in ("1.0", "2.0", "3.0"):
        assert upload(b, swu(nb, v)).status == 303
    csrf = b.csrf("/admin/rollouts")
    # no device in the feed: the form's confirmation (test_rollout_page.py)
    assert b.post("/admin/rollouts", {"csrf": csrf, "feed": "default", "software": "2",
                                      "confirm_empty": "yes"}).status == 303
    r = b.post("/admin/software/2/delete", {"csrf": csrf})
    assert r.status == 409 and "in use" in r.text
    r = b.request("DELETE", "/admin/api/software/2", headers=auth)
    assert r.status == 409 and "in use" in json.loads(r.body)["error"]
    r = b.post("/admin/software/1/delete", {"csrf": csrf})
    assert r.status == 303 and r.header("Location") == "/admin/software?done=software+deleted"
    assert b.request("DELETE", "/admin/api/software/3", headers=auth).status == 204
    assert b.request("DELETE", "/admin/api/software/3", headers=auth).status == 404
    assert b.post("/admin/software/1/delete", {"csrf": csrf}).status == 404
    assert b.post("/admin/software/x/delete", {"csrf": csrf}).status == 400
    with nb.db() as c:
        assert [r[0] for r in c.execute("SELECT id FROM ddi_software")] == [2]


def test_rollouts_page_and_api(adm):
    nb, b = adm
    auth = token(b)
    upload(b, swu(nb, "2.0"))
    csrf = b.csrf("/admin/rollouts")
    r = b.post("/admin/rollouts", {"csrf": csrf, "name": "spring", "feed": "beta",
                                   "software": "1", "percent": "20", "max_failures": "3",
                                   "max_failure_rate": "", "confirm_empty": "yes"})
    assert r.status == 303 and r.header("Location") == "/admin/rollouts?done=rollout+1+created"
    page = b.get("/admin/rollouts")
    assert "spring" in page.text and "20%" in page.text and "<svg class=\"bar\"" in page.text
    # a malformed field is the router's refusal naming it (issue 13), drawn
    # beside the field of the form drawn again (issue 14) ...
    for bad, field, msg in (({"feed": "", "software": "1"}, "feed", "missing feed"),
                            ({"feed": "f", "software": "x"}, "software", "invalid software"),
                            ({"feed": "f", "software": "1", "percent": "101"}, "percent",
                             "invalid percent: 1 to 100")):
        r = b.post("/admin/rollouts", dict(bad, csrf=csrf, confirm_empty="yes"))
        assert (r.status, beside(r.text, "rollout", field)) == (400, msg), bad
    # ... and what the store refuses too
    r = b.post("/admin/rollouts", {"feed": "f", "software": "99", "csrf": csrf,
                                   "confirm_empty": "yes"})
    assert r.status == 400 and beside(r.text, "rollout", "software") == "no software 99"
    assert b.post("/admin/rollouts/1/pause", {"csrf": csrf}).status == 303
    with nb.db() as c:
        assert c.execute("SELECT state, pause_reason FROM ddi_rollouts").fetchone() == \
            ("paused", "paused by an operator")
    assert "paused by an operator" in b.get("/admin/rollouts").text
    assert b.post("/admin/rollouts/1/resume", {"csrf": csrf}).status == 303
    assert b.post("/admin/rollouts/1/stage", {"csrf": csrf, "percent": "60"}).status == 303
    assert b.post("/admin/rollouts/1/stage", {"csrf": csrf, "percent": "0"}).status == 400
    assert b.post("/admin/rollouts/9/pause", {"csrf": csrf}).status == 404
    with nb.db() as c:
        assert c.execute("SELECT state, percent, max_failures FROM ddi_rollouts").fetchone() == \
            ("running", 60, 3)
    # the API
    body = {"feed": "default", "software_id": 1, "percent": 50, "max_failures": 2,
            "max_failure_rate": 30, "name": "api"}
    r = b.request("POST", "/admin/api/rollouts", json.dumps(body).encode(), auth)
    assert r.status == 201, r.text
    j = json.loads(r.body)
    assert (j["id"], j["state"], j["percent"], j["max_failure_rate"]) == (2, "running", 50, 30)
    for bad in ({"software_id": 1}, {"feed": "x", "software_id": "1"},
                {"feed": "x", "software_id": 1, "percent": 0.5},
                {"feed": "x", "software_id": 77}):
        r = b.request("POST", "/admin/api/rollouts", json.dumps(bad).encode(), auth)
        assert r.status == 400, bad
    assert b.request("POST", "/admin/api/rollouts", b"[1]", auth).status == 400
    r = b.request("POST", "/admin/api/rollouts/2/pause", b"", auth)
    assert r.status == 200 and json.loads(r.body)["state"] == "paused"
    r = b.request("POST", "/admin/api/rollouts/2/resume", b"", auth)
    assert r.status == 200 and json.loads(r.body)["state"] == "running"
    r = b.request("POST", "/admin/api/rollouts/2/stage", b'{"percent": 75}', auth)
    assert r.status == 200 and json.loads(r.body)["percent"] == 75
    assert b.request("POST", "/admin/api/rollouts/2/stage", b'{"percent": 101}', auth).status == 400
    assert b.request("POST", "/admin/api/rollouts/8/resume", b"", auth).status == 404
    listed = json.loads(b.request("GET", "/admin/api/rollouts", headers=auth).body)
    assert [(x["id"], x["name"], x["percent"]) for x in listed] == [(2, "api", 75), (1, "spring", 60)]



def test_api_refusals_say_what_is_wrong(adm):
    """Each refused API body or query is a 400 whose JSON error is the
    parser's own message, and nothing is stored."""
    nb, b = adm
    auth = token(b)
    with nb.db() as c:     # the bodies are read before anything is looked up
        uid = c.execute("SELECT id FROM users WHERE name = 'admin'").fetchone()[0]
    cases = [
        ("POST", "/admin/api/rollouts", b"[1]", "the body must be a JSON object"),
        ("POST", "/admin/api/rollouts", b'{"software_id": 1}', "feed must be a string of 1-63 bytes"),
        ("POST", "/admin/api/rollouts", b'{"feed": "f"}', "software_id must be a software's id"),
        ("POST", "/admin/api/rollouts", b'{"feed": "f", "software_id": 1, "percent": 0}',
         "percent must be 1-100"),
        ("POST", "/admin/api/rollouts", b'{"feed": "f", "software_id": 1, "max_failures": -1}',
         "max_failures must be 0 or more, max_failure_rate 0-100"),
        ("POST", "/admin/api/rollouts/1/stage", b'{"percent": 101}', "percent must be 1-100"),
        ("POST", "/admin/api/software/url", b'{"url": 5}', "url must be a string of at most 1023 bytes"),
        ("POST", "/admin/api/software/url", b'{"url": "http://x/b.swu", "name": 1}',
         "name must be a string of at most 255 bytes"),
        ("POST", "/admin/api/users/%d/password" % uid, b'{"password": "short"}',
         "password must be a string of 8 to 255 bytes"),
        ("POST", "/admin/api/users/%d/password" % uid,
         b'{"password": "long-enough", "keep_tokens": 1}', "keep_tokens must be true or false"),
        ("GET", "/admin/api/devices?seen=%zz", None, "bad escape in query string"),
        # one pair past QUERY_MAX_PAIRS (src/lib/query.h), each as short as a pair can be
        ("GET", "/admin/api/devices?" + "&".join("k" for _ in range(1025)), None,
         "too many query parameters: at most 1024"),
    ]
    with nb.db() as c:
        before = [c.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                  for t in ("ddi_rollouts", "ddi_software")]
        pw = c.execute("SELECT pw_hash FROM users WHERE id = ?", (uid,)).fetchone()
    for method, path, body, want in cases:
        r = b.request(method, path, body, auth) if body is not None else \
            b.request(method, path, headers=auth)
        assert r.status == 400, (path, body, r.status, r.text)
        assert json.loads(r.body)["error"] == want, (path, body, r.text)
    with nb.db() as c:
        assert [c.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                for t in ("ddi_rollouts", "ddi_software")] == before
        assert c.execute("SELECT pw_hash FROM users WHERE id = ?", (uid,)).fetchone() == pw

def test_progress_bar_counts_follow_feedback(adm):
    nb, b = adm
    auth = token(b)
    upload(b, swu(nb, "2.0"))
    for cid in ("r1", "r2", "r3", "r4"):
        register(nb, cid)
    register(nb, "elsewhere")
    b.post("/admin/devices/5/feed", {"csrf": b.csrf("/admin/devices/5"), "feed": "other"})
    csrf = b.csrf("/admin/rollouts")
    assert b.post("/admin/rollouts", {"csrf": csrf, "feed": "default", "software": "1",
                                      "max_failures": "5"}).status == 303
    a1, a2, a3 = poll_action(nb, "r1"), poll_action(nb, "r2"), poll_action(nb, "r3")
    assert a1 and a2 and a3
    assert feedback(nb, "r1", a1, "closed", "success", ["Installed"]).status == 200
    assert feedback(nb, "r2", a2, "closed", "failure", ["ERROR: no space"]).status == 200
    page = b.get("/admin/rollouts").text
    svg = re.search(r'<svg class="bar"[^>]*aria-label="([^"]*)"', page).group(1)
    assert svg == "1 succeeded, 1 failed, 1 open, 1 remaining"
    widths = [int(w) for w in re.findall(r'<rect class="(?:ok|bad|open|rest)" x="\d+" y="0" '
                                         r'width="(\d+)"', page)]
    assert widths == [75, 75, 75, 75]
    (j,) = json.loads(b.request("GET", "/admin/api/rollouts", headers=auth).body)
    assert (j["success"], j["failure"], j["open"], j["remaining"], j["devices"]) == (1, 1, 1, 1, 4)


def test_device_list_filters_counts_and_pages(adm):
    nb, b = adm
    auth = token(b)
    upload(b, swu(nb, "2.0"))
    for i in range(7):
        register(nb, "d%d" % i, board="board-a" if i < 5 else "board-b",
                 version="1.0" if i % 2 else "1.5")
    b.post("/admin/devices/7/feed", {"csrf": b.csrf("/admin/devices/7"), "feed": "lab"})
    # polls queue last_seen for a batched write that lands up to a second
    # later (or at the program's exit): stopped, the programs have written
    # it, so the times set here stay (under load a late batch overwrote them)
    nb.stop()
    with nb.db() as c:
        c.execute("UPDATE ddi_devices SET state='error' WHERE controller_id IN ('d1', 'd2')")
        c.execute("UPDATE ddi_devices SET last_seen=?", (int(time.time()),))
        c.execute("UPDATE ddi_devices SET last_seen=0 WHERE controller_id='d3'")
        c.execute("UPDATE ddi_devices SET last_seen=1000 WHERE controller_id='d4'")
    nb.start()
    b.port = nb.port        # a new port; the session is the store's
    page = b.get("/admin/devices")
    assert re.search(r"<b>7</b> devices", page.text)
    assert re.search(r'href="/admin/devices\?state=error"><b>2</b> error', page.text)
    assert re.search(r'href="/admin/devices\?state=registered"><b>5</b> registered', page.text)
    assert ">d4<" in page.text and ">d5<" not in page.text      # page size 5
    nxt = re.search(r'href="/admin/devices\?([^"]*)">next', page.text).group(1)
    assert b.get("/admin/devices?" + nxt.replace("&amp;", "&")).text.count("/admin/devices/") >= 2

    def cids(q):
        r = b.request("GET", "/admin/api/devices?" + q, headers=auth)
        assert r.status == 200, r.text
        return [d["controller_id"] for d in json.loads(r.body)["devices"]]
    assert cids("state=error") == ["d1", "d2"]
    assert cids("feed=lab") == ["d6"]
    assert cids("model=board-b") == ["d5", "d6"]
    assert cids("version=1.0") == ["d1", "d3", "d5"]
    assert cids("seen=never") == ["d3"]
    assert cids("seen=old") == ["d4"]
    assert cids("seen=hour&state=registered&model=board-a") == ["d0"]
    assert cids("state=error&feed=default&version=1.5") == ["d2"]
    j = json.loads(b.request("GET", "/admin/api/devices?counts=1", headers=auth).body)
    assert j["next_after"] == 5 and j["total"] == 7
    assert {s["state"]: s["count"] for s in j["states"]} == {"error": 2, "registered": 5}
    assert cids("after=5") == ["d5", "d6"]
    assert b.request("GET", "/admin/api/devices?seen=soon", headers=auth).status == 400
    r = b.get("/admin/devices?state=error&model=board-a")
    assert ">d1<" in r.text and ">d0<" not in r.text and '<option value="error" selected>' in r.text
    one = json.loads(b.request("GET", "/admin/api/devices/d0", headers=auth).body)
    assert one["controller_id"] == "d0" and one["reason"] == "no_rollout"
    assert one["verdict"] == "no rollout is running on its feed default"
    assert {"key": "hw_boardname", "value": "board-a"} in one["attributes"]
    assert b.request("GET", "/admin/api/devices/nobody", headers=auth).status == 404
    assert "<b>7</b> devices" in b.get("/admin/").text


def test_device_detail_and_actions(adm):
    nb, b = adm
    upload(b, swu(nb, "2.0"))
    dev = register(nb, "det")
    page = b.get("/admin/devices/%d" % dev)
    assert page.status == 200 and "no rollout is running on its feed default" in page.text
    assert "hw_boardname" in page.text and "board-a" in page.text
    csrf = b.csrf("/admin/devices/%d" % dev)
    r = b.post("/admin/devices/%d/mode" % dev, {"csrf": csrf, "mode": "assigned", "software": "1"})
    assert r.status == 303 and r.header("Location") == "/admin/devices/%d?done=mode+set" % dev
    assert "update offered: 2.0 replaces 1.0" in b.get("/admin/devices/%d" % dev).text
    assert b.post("/admin/devices/%d/mode" % dev, {"csrf": csrf, "mode": "assigned"}).status == 400
    assert b.post("/admin/devices/%d/mode" % dev, {"csrf": csrf, "mode": "x"}).status == 400
    assert b.post("/admin/devices/999/mode", {"csrf": csrf, "mode": "latest"}).status == 404
    action = poll_action(nb, "det")
    feedback(nb, "det", action, "proceeding", details=["Downloading", "Downloaded 40%"])
    page = b.get("/admin/devices/%d" % dev)
    assert "an update is under way (action #%s)" % action in page.text
    assert "Downloaded 40%" in page.text
    assert "Cancel the open action" in page.text
    assert b.post("/admin/devices/%d/cancel" % dev, {"csrf": csrf}).status == 303
    with nb.db() as c:
        assert c.execute("SELECT status FROM ddi_actions").fetchone()[0] == "canceling"
    feedback(nb, "det", action, "canceled", kind="cancelAction")
    assert b.post("/admin/devices/%d/cancel" % dev, {"csrf": csrf}).status == 409
    assert b.post("/admin/devices/%d/feed" % dev, {"csrf": csrf, "feed": "lab"}).status == 303
    assert b.post("/admin/devices/%d/feed" % dev, {"csrf": csrf, "feed": ""}).status == 400
    assert b.post("/admin/devices/%d/force" % dev, {"csrf": csrf}).status == 303
    with nb.db() as c:
        assert c.execute("SELECT feed, mode, assigned, force FROM ddi_devices").fetchone() == \
            ("lab", "assigned", 1, 1)
    # delete asks first
    r = b.post("/admin/devices/%d/delete" % dev, {"csrf": csrf})
    assert r.status == 200 and "Delete det?" in r.text and 'name="confirm" value="yes"' in r.text
    r = b.post("/admin/devices/%d/delete" % dev, {"csrf": csrf, "confirm": "yes"})
    assert r.status == 303
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_devices").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM ddi_actions").fetchone()[0] == 0
    assert b.get("/admin/devices/%d" % dev).status == 404
    assert b.get("/admin/devices/abc").status == 400


def reason_everywhere(nb, b, auth, cid):
    """The decision's reason as the API, the device page and nestboxctl say it: one text."""
    j = json.loads(b.request("GET", "/admin/api/devices/" + cid, headers=auth).body)
    page = b.get("/admin/devices/%d" % j["id"]).text
    assert j["verdict"] in html.unescape(page), j["verdict"]
    shown = nb.ctl("device", "show", cid).stdout
    assert "decision\t%s\n" % j["verdict"] in shown and "reason\t%s\n" % j["reason"] in shown
    return j["reason"], j["verdict"]


def test_device_reasons_are_specific(adm):
    """Each reason a device is not offered software, the same on the page, API and CLI."""
    nb, b = adm
    auth = token(b)
    upload(b, swu(nb, "2.0"))                       # software 1: board-a rev 2.0 (and *:1.0)
    assert ddi(nb, "GET", BASE + "quiet", token="tok-1").status == 200
    reason, text = reason_everywhere(nb, b, auth, "quiet")
    assert reason == "no_attributes"
    assert "nestbox reads hw_boardname (or hw_model), hw_revision and sw_version" in text
    # SWUpdate configured with other attribute names: say which ones nestbox reads
    assert ddi(nb, "GET", BASE + "misnamed", token="tok-1").status == 200
    data = {"board": "board-a", "revision": "2.0", "version": "1.0"}
    assert ddi(nb, "PUT", BASE + "misnamed/configData", token="tok-1",
               body={"data": data}).status == 200
    reason, text = reason_everywhere(nb, b, auth, "misnamed")
    assert reason == "no_board" and "nestbox reads hw_boardname" in text
    assert text.endswith("it sent board, revision, version")
    register(nb, "r1")
    assert reason_everywhere(nb, b, auth, "r1") == (
        "no_rollout", "no rollout is running on its feed default")
    csrf = b.csrf("/admin/rollouts")
    assert b.post("/admin/rollouts", {"csrf": csrf, "name": "spring", "feed": "default",
                                      "software": "1"}).status == 303
    assert b.post("/admin/rollouts/1/pause", {"csrf": csrf}).status == 303
    assert reason_everywhere(nb, b, auth, "r1") == (
        "rollout_paused",
        "rollout #1 spring (2.0) on feed default is paused: paused by an operator")
    assert b.post("/admin/rollouts/1/resume", {"csrf": csrf}).status == 303
    register(nb, "other", board="board-z", rev="9")
    assert reason_everywhere(nb, b, auth, "other") == (
        "no_software", "rollout #1 spring (2.0) has no software for board board-z revision 9")
    nb.ctl("device", "set", "other", "--mode", "latest")
    assert reason_everywhere(nb, b, auth, "other") == (
        "no_software", "no software for board board-z revision 9 in latest mode")
    nb.ctl("device", "set", "other", "--assign", "1")
    reason, text = reason_everywhere(nb, b, auth, "other")
    assert reason == "assigned_other_board"
    # its compatibility rows by board then revision ('*' any), on either store
    assert text == ("assigned software image-2.0.swu 2.0 (#1) is for another board"
                    " (*:1.0, board-a:2.0), not board board-z revision 9")
    nb.ctl("device", "set", "other", "--mode", "pinned")
    assert reason_everywhere(nb, b, auth, "other")[0] == "pinned"
    reason, text = reason_everywhere(nb, b, auth, "r1")
    assert reason in ("offer", "stage_not_reached")
    action = poll_action(nb, "r1")
    assert reason_everywhere(nb, b, auth, "r1") == (
        "under_way", "an update is under way (action #%s)" % action)
    assert feedback(nb, "r1", action, "closed", "failure", ["ERROR: no space"]).status == 200
    assert reason_everywhere(nb, b, auth, "r1") == (
        "failed_before", "2.0 failed on it before (force to retry)")
    register(nb, "new", version="2.0")
    assert reason_everywhere(nb, b, auth, "new") == (
        "up_to_date", "up to date: it runs 2.0, and its mode offers 2.0")


def test_device_reason_waiting_for_consent(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1",
                  "NESTBOX_DDI__CONFIRMATION_REQUIRED": "true"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "c2"), "2.0"))
    nb.start()
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    register(nb, "c1")
    nb.ctl("device", "set", "c1", "--mode", "latest")
    links = json.loads(ddi(nb, "GET", BASE + "c1", token="tok-1").body)["_links"]
    action = links["confirmationBase"]["href"].split("/confirmationBase/")[1].split("?")[0]
    assert reason_everywhere(nb, b, token(b), "c1") == (
        "waiting_for_consent", "waiting for the device's consent to install (action #%s)" % action)


WRITES = [
    ("/admin/devices/1/mode", {"mode": "pinned"}), ("/admin/devices/1/feed", {"feed": "x"}),
    ("/admin/devices/1/force", {}), ("/admin/devices/1/cancel", {}),
    ("/admin/devices/1/delete", {"confirm": "yes"}), ("/admin/software/1/delete", {}),
    ("/admin/software/url", {"url": "http://127.0.0.1:1/x.swu"}),
    ("/admin/rollouts", {"feed": "default", "software": "1"}),
    ("/admin/rollouts/1/pause", {}), ("/admin/rollouts/1/resume", {}),
    ("/admin/rollouts/1/stage", {"percent": "5"}),
]


def state_of(nb):
    with nb.db() as c:
        return [c.execute(q).fetchall() for q in (
            "SELECT feed, mode, force FROM ddi_devices", "SELECT id FROM ddi_software",
            "SELECT state, percent FROM ddi_rollouts", "SELECT status FROM ddi_actions")]


def test_read_only_user_and_token_refused(adm):
    nb, b = adm
    upload(b, swu(nb, "2.0"))
    register(nb, "ro")
    b.post("/admin/rollouts", {"csrf": b.csrf("/admin/rollouts"), "feed": "x", "software": "1"})
    before = state_of(nb)
    v = Browser(nb.port)
    v.login("viewer", "viewer-pass-1")
    for path in ("/admin/devices", "/admin/devices/1", "/admin/software", "/admin/rollouts"):
        page = v.get(path)
        assert page.status == 200, path
        assert 'method="post" action="/admin/devices/' not in page.text
        assert "Upload an image" not in page.text and "Create a rollout" not in page.text
    csrf = v.csrf("/admin/devices")
    for path, fields in WRITES:
        r = v.post(path, dict(fields, csrf=csrf))
        assert r.status == 403 and "read-only" in r.text, path
    r = v.upload({"csrf": csrf}, "x.swu", open(swu(nb, "3.0"), "rb").read(),
                 action="/admin/software")
    assert r.status == 403
    auth = token(v)
    api = [("PUT", "/admin/api/software", b"x"), ("POST", "/admin/api/software", b"x"),
           ("POST", "/admin/api/software/url", b'{"url":"http://127.0.0.1:1/a.swu"}'),
           ("DELETE", "/admin/api/software/1", None),
           ("POST", "/admin/api/rollouts", b'{"feed":"f","software_id":1}'),
           ("POST", "/admin/api/rollouts/1/pause", b""), ("POST", "/admin/api/rollouts/1/resume", b""),
           ("POST", "/admin/api/rollouts/1/stage", b'{"percent":5}')]
    for method, path, body in api:
        assert v.request(method, path, body, auth).status == 403, path
    assert v.request("GET", "/admin/api/devices", headers=auth).status == 200
    assert v.request("GET", "/admin/api/software", headers=auth).status == 200
    assert state_of(nb) == before and sw_count(nb) == 1 and no_leftovers(nb)


def test_missing_csrf_refused(adm):
    nb, b = adm
    upload(b, swu(nb, "2.0"))
    register(nb, "cs")
    b.post("/admin/rollouts", {"csrf": b.csrf("/admin/rollouts"), "feed": "x", "software": "1"})
    before = state_of(nb)
    for path, fields in WRITES:
        for bad in ({}, {"csrf": "0" * 64}):
            r = b.post(path, dict(fields, **bad))
            assert r.status == 403 and "did not come from this site" in r.text, path
    r = b.upload({}, "x.swu", open(swu(nb, "3.0"), "rb").read(), action="/admin/software")
    assert r.status in (400, 403) and "CSRF token before the file" in r.text
    assert state_of(nb) == before and sw_count(nb) == 1 and no_leftovers(nb)


def test_xss_in_echoed_fields(adm):
    nb, b = adm
    auth = token(b)
    upload(b, swu(nb, "2.0"), name=XSS)
    dev = register(nb, "xss", extra={"note": XSS, XSS: "key"}, version=XSS)
    csrf = b.csrf("/admin/devices/%d" % dev)
    assert b.post("/admin/devices/%d/feed" % dev, {"csrf": csrf, "feed": XSS}).status == 303
    assert b.post("/admin/rollouts", {"csrf": csrf, "feed": XSS, "software": "1",
                                      "name": XSS}).status == 303
    action = poll_action(nb, "xss")
    if action:
        feedback(nb, "xss", action, "proceeding", details=[XSS])
    q = "%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E"
    pages = [b.get("/admin/devices/%d" % dev), b.get("/admin/devices"),
             b.get("/admin/devices?feed=" + q), b.get("/admin/devices?model=%s&version=%s" % (q, q)),
             b.get("/admin/software"), b.get("/admin/rollouts"), b.get("/admin/"),
             b.post("/admin/devices/%d/delete" % dev, {"csrf": csrf})]
    for p in pages:
        assert p.status == 200
        assert "<script" not in p.text, p.text
    assert pages[0].text.count(XSS_ESCAPED) >= 3        # attribute key, value, feed
    assert XSS_ESCAPED in pages[1].text and XSS_ESCAPED in pages[2].text
    assert XSS_ESCAPED in pages[4].text and XSS_ESCAPED in pages[5].text
    j = json.loads(b.request("GET", "/admin/api/devices/xss", headers=auth).body)
    assert {"key": "note", "value": XSS} in j["attributes"]


def test_bulk_refusal_is_the_form_with_its_status(adm):
    """A refused bulk action is the bulk form drawn again with the status
    of the refusal's kind (admin_page_err: 400 for a missing selection or
    target), the message beside the field it is about and the selection
    kept; nothing changes."""
    nb, b = adm
    did = register(nb, "bulk-1")
    csrf = b.csrf("/admin/devices")
    r = b.post("/admin/devices/bulk", {"csrf": csrf, "action": "delete", "confirm": "yes"})
    assert r.status == 400, (r.status, r.text)
    assert r.header("Content-Type").startswith("text/html")
    assert '<form method="post" action="/admin/devices/bulk"' in r.text
    assert beside(r.text, "bulk", "id") == "select at least one device"
    r = b.post("/admin/devices/bulk", {"csrf": csrf, "action": "assign", "id": str(did),
                                       "confirm": "yes"})
    assert r.status == 400, (r.status, r.text)
    assert beside(r.text, "bulk", "software") == "assign needs a software from the list"
    assert 'name="id" value="%d" checked' % did in r.text
    r = b.post("/admin/devices/bulk", {"csrf": csrf, "action": "assign", "id": str(did),
                                       "software": "999999", "confirm": "yes"})
    # a software that is not there: no typing to fix, the error page's 404
    assert r.status == 404 and "software" in refusal(r), (r.status, r.text)
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_devices").fetchone()[0] == 1
