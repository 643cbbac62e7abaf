"""admin.fcgi's declared input for images, mip, devices, software and
rollouts (issue 13): a malformed field is refused by the router, 400 naming
it, before any handler runs and with nothing changed; and the router's own
refusals (400, 404, 405) speak JSON under /admin/api/ and, on the pages, are
an HTML page with the navigation (issue 14)."""
import html
import json
import os

import pytest

from admin_client import Browser
from conftest import make_raw_image
from test_admin_ddi import adm, beside, token  # noqa: F401 (adm: the fixture api builds on)


@pytest.fixture
def api(adm):
    """The admin test set-up (test_admin_ddi.adm) with an API token."""
    nb, b = adm
    return nb, b, token(b)


def json_error(r):
    assert r.header("Content-Type").startswith("application/json"), r.header("Content-Type")
    return json.loads(r.body)["error"]


def test_router_refusals_are_json_under_api(api):
    nb, b, auth = api
    r = b.request("GET", "/admin/api/no-such-thing", headers=auth)
    # (the admin's own catch-all names the path: test_operators.py's 404 page)
    assert r.status == 404 and "/admin/api/no-such-thing" in json_error(r)
    r = b.request("DELETE", "/admin/api/whoami", headers=auth)
    assert r.status == 405 and json_error(r) == "method not allowed"
    # a declared rule of an API route: JSON too, percent-encoded path alike
    r = b.request("GET", "/admin/api/rollouts/abc", headers=auth)
    assert r.status == 400 and json_error(r) == "invalid id"
    r = b.request("GET", "/admin/%61pi/rollouts/abc", headers=auth)
    assert r.status == 400 and json_error(r) == "invalid id"
    # the pages answer a page with the navigation (as the unknown path's)
    r = b.get("/admin/no-such-page")
    assert r.status == 404 and r.header("Content-Type").startswith("text/html")
    assert refusal_page(b.request("DELETE", "/admin/users"), 405) == "method not allowed"
    for path in ("/admin/rollouts/abc", "/admin/devices/abc", "/admin/software/x/delete",
                 "/admin/devices?page=x"):
        method = "POST" if path.endswith("delete") else "GET"
        msg = refusal_page(b.request(method, path), 400)
        assert msg.split(":")[0] in ("invalid id", "invalid page"), (path, msg)
    # not logged in: the same page, its navigation leading to the login
    assert refusal_page(Browser(nb.port).get("/admin/devices/abc"), 400) == "invalid id"


def refusal_page(r, status):
    """The message of a refusal drawn as an admin page with its navigation."""
    assert r.status == status, (r.status, r.text)
    assert r.header("Content-Type").startswith("text/html"), r.header("Content-Type")
    assert '<nav' in r.text and 'href="/admin/devices"' in r.text, r.text
    return html.unescape(r.text.split('<p class="error" role="alert">')[1].split("<")[0])


@pytest.mark.parametrize("method,path,field", [
    ("DELETE", "/admin/api/software/x", "id"),
    ("DELETE", "/admin/api/software/007", "id"),
    ("POST", "/admin/api/rollouts/0/pause", "id"),
    ("POST", "/admin/api/rollouts/x/resume", "id"),
    ("POST", "/admin/api/rollouts/-1/stage", "id"),
    ("DELETE", "/admin/api/images/.ab/ab-pc-3", "box"),
    ("DELETE", "/admin/api/images/ab/ab*3", "image"),
    ("PUT", "/admin/api/images?box=a%20b&board=pc", "box"),
    ("PUT", "/admin/api/images?box=ab&board=..", "board"),
    ("PUT", "/admin/api/images?board=pc", "box"),
    ("PUT", "/admin/api/mip/packages?version=1.0", "name"),
    ("PUT", "/admin/api/software?filename=.hidden", "filename"),
    ("GET", "/admin/api/devices?seen=soon", "seen"),
    ("GET", "/admin/api/devices?sort=colour", "sort"),
    ("GET", "/admin/api/devices?page=0", "page"),
    ("GET", "/admin/api/devices?after=x", "after"),
])
def test_api_input_is_declared(api, method, path, field):
    nb, b, auth = api
    r = b.request(method, path, None if method == "GET" else b"x" * 16, auth)
    assert r.status == 400 and json_error(r).split(":")[0] in (
        "invalid " + field, "missing " + field), (path, r.body)


@pytest.mark.parametrize("path,fields,field", [
    ("/admin/software?page=x", None, "page"),
    ("/admin/rollouts?page=-1", None, "page"),
    ("/admin/mip?hpage=abc", None, "hpage"),
    ("/admin/mip?cpage=1e3", None, "cpage"),
    ("/admin/devices?dir=up", None, "dir"),
    ("/admin/devices?page=x", None, "page"),
    ("/admin/software/x/delete", {}, "id"),
    ("/admin/rollouts/0/pause", {}, "id"),
    ("/admin/rollouts/1/stage", {"percent": "101"}, "percent"),
    ("/admin/rollouts/1/stage", {"percent": "abc"}, "percent"),
    ("/admin/rollouts", {"feed": "f", "software": "x"}, "software"),
    ("/admin/rollouts", {"feed": "f", "software": "1", "percent": "0"}, "percent"),
    ("/admin/rollouts", {"software": "1"}, "feed"),
    ("/admin/images/delete", {"box": "../etc", "image": "x"}, "box"),
    ("/admin/software/url", {"name": "n"}, "url"),
])
def test_page_input_is_declared(api, path, fields, field):
    form_ids = {"/admin/rollouts": "rollout", "/admin/software/url": "software_url"}
    nb, b, auth = api
    if fields is None:
        r = b.get(path)
    else:
        r = b.post(path, dict(fields, csrf=b.csrf("/admin/rollouts")))
    text = r.text
    if r.header("Content-Type").startswith("text/html"):   # a form drawn again (admin_form.c)
        text = (beside(text, form_ids[path], field) if path in form_ids else
                html.unescape(text.split('<p class="error" role="alert">')[1].split("<")[0])) + "\n"
    assert r.status == 400 and text.split(":")[0] in (
        "invalid %s\n" % field, "missing %s\n" % field, "invalid " + field), (path, r.text)


def test_valid_input_still_served(api, tmpdir_shared):
    nb, b, auth = api
    raw = make_raw_image(os.path.join(tmpdir_shared, "ok.img"), size=65536)
    r = b.request("PUT", "/admin/api/images?box=ab&board=pc&branch=&version=3",
                  open(raw, "rb").read(), auth)
    assert r.status == 201 and json.loads(r.body) == {"box": "ab", "image": "ab-pc-3"}
    r = b.request("GET", "/admin/api/images?q=pc", headers=auth)
    assert [i["image"] for i in json.loads(r.body)] == ["ab-pc-3"]
    for path in ("/admin/software?page=1", "/admin/rollouts?page=2", "/admin/mip?hpage=1&cpage=3",
                 "/admin/devices?sort=cid&dir=desc&page=1&seen=never&q=x&done=ok"):
        assert b.get(path).status == 200, path
    r = b.post("/admin/images/delete", {"csrf": b.csrf("/admin/images"), "box": "ab",
                                        "image": "ab-pc-3"})
    assert r.status == 303 and r.header("Location") == "/admin/images?done=deleted+ab%2Fab-pc-3"
    r = b.post("/admin/images/delete", {"csrf": b.csrf("/admin/images"), "box": "ab",
                                        "image": "ab-pc-3"})
    assert r.status == 404


def _tmp_files(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


@pytest.mark.parametrize("how", ["api", "page"])
def test_image_upload_is_written_once(api, tmpdir_shared, how):
    """An image upload streams from the request into the compressor: while
    it is under way the box directory holds only the growing .img.zst
    temporary, smaller than the raw bytes already sent, and var/tmp holds
    no copy of the raw upload (issue 13, item 4)."""
    import http.client
    import uuid
    from conftest import wait_until
    nb, b, auth = api
    raw = open(make_raw_image(os.path.join(tmpdir_shared, "once.img"), size=4 << 20), "rb").read()
    half = len(raw) // 2
    if how == "api":
        path, head, tail = "/admin/api/images?box=once&board=pc&version=1", b"", b""
        headers = dict(auth)
    else:
        boundary = "----nb" + uuid.uuid4().hex
        head = "".join("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                       % (boundary, k, v) for k, v in (("csrf", b.csrf("/admin/images")),
                                                      ("box", "once"), ("board", "pc"),
                                                      ("version", "1"))).encode()
        head += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.img\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n" % boundary).encode()
        tail = ("\r\n--%s--\r\n" % boundary).encode()
        path = "/admin/images"
        headers = {"Content-Type": "multipart/form-data; boundary=" + boundary,
                   "Cookie": "; ".join("%s=%s" % kv for kv in b.cookies.items())}
    c = http.client.HTTPConnection("127.0.0.1", nb.port, timeout=60)
    c.putrequest("PUT" if how == "api" else "POST", path)
    for k, v in headers.items():
        c.putheader(k, v)
    c.putheader("Content-Length", str(len(head) + len(raw) + len(tail)))
    c.endheaders()
    box = os.path.join(nb.images, "once")
    if how == "api":
        # lighttpd takes an authenticated API body whole before the program
        # reads it (a slow uploader holds a connection, not a process): the
        # program then reads it once and writes only the compressed image
        from test_software import program_io
        assert nb.get("/admin/api/whoami", auth).status == 200   # running, so counted
        n0, r0, w0 = program_io(nb, "admin.fcgi")
        c.send(head + raw + tail)
    else:
        c.send(head + raw[:half])
        wait_until(lambda: any(n.startswith("once-pc-1.img.zst") for n in _tmp_files(box)),
                   "the compressed temporary in the box directory")
        tmps = [n for n in _tmp_files(box) if n.startswith("once-pc-1.img.zst")]
        assert len(tmps) == 1 and _tmp_files(box) == tmps, _tmp_files(box)
        assert os.path.getsize(os.path.join(box, tmps[0])) < half
        assert _tmp_files(os.path.join(nb.state, "tmp")) == []
        c.send(raw[half:] + tail)
    r = c.getresponse()
    assert r.status in (201, 303), r.read()
    c.close()
    if how == "api":
        n1, r1, w1 = program_io(nb, "admin.fcgi")
        zst = os.path.getsize(os.path.join(box, "once-pc-1.img.zst"))
        # the request once, and at most the compressed file read back
        assert len(raw) <= r1 - r0 < len(raw) * 5 // 4 + zst, (r1 - r0, zst, len(raw))
        # written: the compressed image and the update tar the front end
        # sends itself (its static tree), no raw copy
        assert w1 - w0 < 2 * zst + len(raw) // 4, (w1 - w0, zst, len(raw))
    assert sorted(_tmp_files(box)) == ["once-pc-1.img.buildID", "once-pc-1.img.sha256",
                                       "once-pc-1.img.zst"]
    assert _tmp_files(os.path.join(nb.state, "tmp")) == []
    assert nb.get("/list").body == b"once-pc-1\n" or b"once-pc-1" in nb.get("/list").body


@pytest.mark.parametrize("query,field", [
    ("status=99x", "status"), ("status=600", "status"), ("status=4x", "status"),
    ("before=0", "before"), ("before=x", "before"), ("before=007", "before"),
    ("since=yesterday", "since"), ("since=2026-13-01T00:00", "since"),
    ("until=2026-01-01", "until"), ("until=2026-01-01T10:00junk", "until"),
    ("program=" + "p" * 65, "program"),
])
def test_request_log_filters_are_declared(api, query, field):
    """The request log's filters are the route's declared fields: a bad one
    is the router's 400 naming it, before the handler and even before the
    login (an anonymous asker gets the 400 too, not the 401/login)."""
    nb, b, auth = api
    for headers in (auth, {}):
        r = b.request("GET", "/admin/api/requests?" + query, headers=headers)
        assert r.status == 400 and json_error(r).split(":")[0] == "invalid " + field, (
            query, r.status, r.body)
    assert refusal_page(Browser(nb.port).get("/admin/requests?" + query), 400).split(":")[0] \
        == "invalid " + field
    assert refusal_page(b.get("/admin/requests?" + query), 400).split(":")[0] == \
        "invalid " + field


def test_request_log_filters_still_served(api):
    nb, b, auth = api
    for query in ("status=4xx", "status=404", "before=5", "since=2000-01-01T00:00",
                  "until=2100-01-01T10:00:30", "program=admin&q=/admin", "status=&since="):
        r = b.request("GET", "/admin/api/requests?" + query, headers=auth)
        assert r.status == 200 and "rows" in json.loads(r.body), (query, r.body)
        assert b.get("/admin/requests?" + query).status == 200, query


@pytest.mark.parametrize("fields,field", [
    (["action=jump"], "action"), ([], "action"), (["action=stage", "percent=400"], "percent"),
    (["action=stage", "percent=-1"], "percent"), (["action=pause", "percent=01"], "percent"),
    (["action=stage", "percent=50", "action=pause"], "action"),
])
def test_ota_rollout_form_is_declared(api, fields, field):
    """The OTA rollout form's action and percent are declared: the router
    refuses a bad one naming it before the handler looks the repository up
    (acme/nope does not exist: the handler's answer would be a 404)."""
    nb, b, auth = api
    body = "&".join(fields).encode()
    hdr = dict(auth, **{"Content-Type": "application/x-www-form-urlencoded"})
    r = b.request("POST", "/admin/api/ota/acme/nope/rollout", body, hdr)
    assert r.status == 400 and json_error(r).split(":")[0] in (
        "invalid " + field, "missing " + field), (fields, r.status, r.body)
    page = dict(kv.split("=") for kv in fields)
    if len(page) == len(fields):     # (a form of the browser's names each field once)
        page["csrf"] = b.csrf("/admin/ota")
        msg = refusal_page(b.post("/admin/ota/acme/nope/rollout", page), 400)
        assert msg.split(":")[0] in ("invalid " + field, "missing " + field), (fields, msg)
    # the API's repository names are declared too
    r = b.request("POST", "/admin/api/ota/ac%20me/app/rollout", b"action=pause", hdr)
    assert r.status == 400 and json_error(r) == "invalid owner", r.body


def _users_table(nb, away):
    with nb.db() as c:
        c.execute("ALTER TABLE users RENAME TO users_away" if away else
                  "ALTER TABLE users_away RENAME TO users")


def test_a_store_that_cannot_read_users_is_503_not_a_wrong_password(api):
    """The admin's own reads tell "no such user" from "the store cannot
    answer": a login while the users cannot be read is 503 (try again),
    neither a wrong password (401) nor a failure counted against the
    address; nestboxctl's user commands fail with exit 1 and say so, and
    first-admin does not take an unreadable store for an empty one."""
    nb, b, auth = api
    with nb.db() as c:
        failures = c.execute("SELECT count(*) FROM login_failures").fetchone()[0]
    _users_table(nb, True)
    try:
        r = Browser(nb.port).login("admin", "admin-pass-1", expect=503)
        assert r.header("Retry-After") and "try again" in r.text.lower(), r.text
        with nb.db() as c:
            assert c.execute("SELECT count(*) FROM login_failures").fetchone()[0] == failures
        for args, env in ((("user", "passwd", "admin"), {}), (("user", "del", "viewer"), {}),
                          (("user", "add", "carol"), {}),
                          (("user", "first-admin"), {"NESTBOX_ADMIN_PASSWORD": ""})):
            p = nb.ctl(*args, check=False, env=env)
            assert p.returncode == 1 and "cannot read the store" in p.stderr, (args, p.stderr,
                                                                             p.stdout)
            assert "password" not in p.stdout, p.stdout
    finally:
        _users_table(nb, False)
    Browser(nb.port).login("admin", "admin-pass-1")
    assert nb.ctl("user", "first-admin", env={"NESTBOX_ADMIN_PASSWORD": ""}).returncode == 0


def test_request_log_page_whose_programs_cannot_be_read_is_503(api):
    """The request log's program filter is read from the store: when it
    cannot be read the page is a 503 (try again), not a page whose filter
    silently offers no program."""
    nb, b, auth = api
    assert b.get("/admin/requests").status == 200
    with nb.db() as c:
        c.execute("ALTER TABLE metrics_requests RENAME TO metrics_away")
    try:
        r = b.get("/admin/requests")
        assert r.status == 503 and r.header("Retry-After"), (r.status, r.text)
        assert "request log" in r.text
    finally:
        with nb.db() as c:
            c.execute("ALTER TABLE metrics_away RENAME TO metrics_requests")
    assert b.get("/admin/requests").status == 200
