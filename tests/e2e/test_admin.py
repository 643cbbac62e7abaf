"""The admin pages and API through lighttpd: login, CSRF, roles, tokens,
every page and form, and hostile input in every echoed field."""
import json
import os
import shutil
import subprocess

import pytest

from admin_client import Browser, forms_of, refusal
from conftest import CTL, STORE, make_raw_image, wait_until

XSS = '<script>alert("x")</script>'
XSS_ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def admin(make_nb):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1",
                  "NESTBOX_ADMIN__LOGIN_MAX_FAILURES": "3", "NESTBOX_ADMIN__PAGE_SIZE": "5"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    p = subprocess.run([CTL, "user", "add", "viewer", "--role", "readonly"], env=nb.env,
                       input="viewer-pass-1\n", capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    nb.start()
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    return nb, b


def test_login_required_everywhere(admin):
    nb, _ = admin
    anon = Browser(nb.port)
    for path in ("/admin/", "/admin/images", "/admin/requests", "/admin/users", "/admin/settings"):
        r = anon.get(path)
        assert r.status == 303 and r.header("Location") == "/admin/login?next=" + path
    r = anon.post("/admin/users", {"name": "evil", "password": "12345678"})
    assert r.status == 303
    r = anon.get("/admin/api/images")
    assert r.status == 401 and r.header("WWW-Authenticate") == "Bearer"
    assert json.loads(r.body)["error"] == "authentication required"
    assert anon.get("/admin").header("Location") == "/admin/"


def test_session_cookie_flags(admin):
    nb, _ = admin
    b = Browser(nb.port)
    r = b.login("admin", "admin-pass-1")
    cookie = [c for c in r.headers_all("Set-Cookie") if c.startswith("nb_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie          # plain http here
    assert r.header("Location") == "/admin/"


def test_secure_cookie_behind_https(make_nb):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1",
                  "NESTBOX_SERVER__BASE_URL": "https://updates.example"}, sub="https")
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.start()
    r = Browser(nb.port).login("admin", "admin-pass-1")
    assert "; Secure" in [c for c in r.headers_all("Set-Cookie") if c.startswith("nb_session=")][0]


def test_bad_login_and_throttling(admin):
    nb, _ = admin
    b = Browser(nb.port)
    r = b.login("admin", "wrong-password", expect=401)
    assert "Wrong user name or password." in r.text
    r = b.login("nobody", "wrong-password", expect=401)
    assert "Wrong user name or password." in r.text     # no hint which was wrong
    b.login("admin", "wrong-again", expect=401)
    # two failures for admin from here: not yet refused
    b.login("admin", "wrong-thrice", expect=401)
    # three failures for admin from this address: even the right password waits now
    r = b.login("admin", "admin-pass-1", expect=429)
    assert "Too many failed logins" in r.text and int(r.header("Retry-After")) > 0
    with nb.db() as c:
        c.execute("UPDATE login_failures SET first = first - 100000")
    b.login("admin", "admin-pass-1")


def test_login_csrf_is_checked(admin):
    nb, _ = admin
    b = Browser(nb.port)
    b.get("/admin/login")
    r = b.post("/admin/login", {"csrf": "0" * 64, "username": "admin", "password": "admin-pass-1"})
    assert r.status == 403 and "login form expired" in r.text
    assert "nb_session" not in b.cookies


def test_open_redirect_refused(admin):
    nb, _ = admin
    b = Browser(nb.port)
    page = b.get("/admin/login?next=//evil.example/x")
    fields = forms_of(page.body)[-1]["fields"]
    assert fields["next"] == "/admin/"
    fields.update(username="admin", password="admin-pass-1", next="https://evil.example/")
    assert b.post("/admin/login", fields).header("Location") == "/admin/"


def test_every_page_renders(admin):
    nb, b = admin
    pages = {"/admin/": "Requests per hour", "/admin/images": "Import an image",
             "/admin/requests": "Request log", "/admin/users": "API tokens",
             "/admin/settings": "mkbox.image_path"}
    for path, text in pages.items():
        r = b.get(path)
        assert r.status == 200, path
        assert text in r.text, path
        assert r.header("Content-Type") == "text/html; charset=utf-8"
        assert "script-src 'none'" in r.header("Content-Security-Policy")
        assert int(r.header("Content-Length")) == len(r.body)
    assert "<svg class=\"chart\"" in b.get("/admin/").text
    assert b.get("/static/nestbox.css").status == 200


def test_csrf_failure_changes_nothing(admin):
    nb, b = admin
    for fields in ({"name": "mallory", "password": "mallory-pw-1"},
                   {"name": "mallory", "password": "mallory-pw-1", "csrf": "f" * 64}):
        r = b.post("/admin/users", fields)
        assert r.status == 403 and "did not come from this site" in r.text
    assert "mallory" not in b.get("/admin/users").text
    r = b.post("/admin/logout", {})
    assert r.status == 403 and b.get("/admin/").status == 200


def test_read_only_user_is_refused_changes(admin, tmpdir_shared):
    nb, _ = admin
    v = Browser(nb.port)
    v.login("viewer", "viewer-pass-1")
    assert v.get("/admin/images").status == 200
    assert "Import an image" not in v.get("/admin/images").text
    csrf = v.csrf()
    r = v.post("/admin/users", {"csrf": csrf, "name": "x1", "password": "12345678"})
    assert r.status == 403 and "read-only" in r.text
    r = v.upload({"csrf": csrf, "box": "rb", "board": "pc"}, "d.img", b"x" * 4096)
    assert r.status == 403
    r = v.post("/admin/images/delete", {"csrf": csrf, "box": "rb", "image": "rb-pc"})
    assert r.status == 403
    assert os.listdir(nb.images) == []
    assert not os.listdir(os.path.join(nb.state, "tmp")) if os.path.isdir(
        os.path.join(nb.state, "tmp")) else True
    # read-only users may still manage their own tokens and password
    r = v.post("/admin/tokens", {"csrf": csrf, "name": "ci"})
    assert r.status == 201


def test_upload_through_the_form(admin, tmpdir_shared):
    nb, b = admin
    raw = make_raw_image(os.path.join(tmpdir_shared, "up.img"), size=1 << 20)
    data = open(raw, "rb").read()
    csrf = b.csrf("/admin/images")
    r = b.upload({"csrf": csrf, "box": "fb", "board": "rpi4", "branch": "main", "version": "2"},
                 "C:\\images\\up.img", data)
    assert r.status == 303, r.text
    assert r.header("Location") == "/admin/images?done=imported+fb%2Ffb-rpi4-main-2"
    page = b.get(r.header("Location"))
    assert "imported fb/fb-rpi4-main-2" in page.text and "fb-rpi4-main-2" in page.text
    # what the form imported is what boxes get
    tar = nb.get("/update?name=fb&board=rpi4&branch=main&version=2")
    assert tar.status == 200
    out = subprocess.run(["tar", "-xOf", "-", "fb-rpi4-main-2.img.zst"], input=tar.body,
                         capture_output=True).stdout
    assert subprocess.run(["zstdcat"], input=out, capture_output=True).stdout == data
    # the upload went straight into the compressor: no staged copy, ever
    assert not os.path.exists(os.path.join(nb.state, "tmp"))


@pytest.mark.parametrize("case", ["no-csrf", "csrf-after-file", "truncated", "bad-name",
                                  "not-multipart"])
def test_bad_uploads_store_nothing(admin, case):
    nb, b = admin
    csrf = b.csrf("/admin/images")
    fields = {"csrf": csrf, "box": "ub", "board": "pc"}
    if case == "no-csrf":
        r = b.upload({"box": "ub", "board": "pc"}, "d.img", b"x" * 100000)
        want = "CSRF token before the file"
    elif case == "csrf-after-file":
        r = b.upload(fields, "d.img", b"x" * 100000, csrf_first=False)
        want = "CSRF token before the file"
    elif case == "truncated":
        r = b.upload(fields, "d.img", b"x" * 100000, truncate=30)
        want = "closing boundary"
    elif case == "bad-name":
        r = b.upload(dict(fields, box="../x"), "d.img", b"x" * 1000)
        want = "may hold only"
    else:
        r = b.post("/admin/images", {"csrf": csrf})
        want = "multipart/form-data"
    assert r.status in (400, 403), r.status
    assert want in r.text, r.text
    assert os.listdir(nb.images) == []
    tmp = os.path.join(nb.state, "tmp")
    assert not os.path.isdir(tmp) or os.listdir(tmp) == []


def test_delete_image(admin, tmpdir_shared):
    nb, b = admin
    raw = make_raw_image(os.path.join(tmpdir_shared, "d.img"), size=4096)
    nb.import_image(raw, "db", "pc", "main")
    csrf = b.csrf("/admin/images")
    r = b.post("/admin/images/delete", {"csrf": csrf, "box": "db", "image": "db-pc-main"})
    assert r.status == 303
    assert nb.get("/list").body == b"\n"
    assert nb.get("/update/db/db-pc-main").status == 400
    r = b.post("/admin/images/delete", {"csrf": csrf, "box": "db", "image": "db-pc-main"})
    assert r.status == 404


def test_no_static_answer_outlives_a_deleted_image(admin, tmpdir_shared):
    """A delete takes the build and /list out of the front end's static
    tree before it answers, not when the watcher sees the files go: with
    the watcher stopped, nothing of the deleted build is sent."""
    import signal
    nb, b = admin
    raw = make_raw_image(os.path.join(tmpdir_shared, "sd.img"), size=4096)
    nb.import_image(raw, "sd", "pc", "main")
    bid = nb.build_id("sd", "sd-pc-main")

    def static(path):
        r = nb.get(path)
        return (r.header("x-nestbox-route") or "").startswith("static ") and r
    for path in ("/list", "/update/sd/sd-pc-main/" + bid, "/update/sd/sd-pc-main/other"):
        wait_until(lambda: static(path), "a static answer to " + path)
    link = os.path.join(nb.state, "mkbox-static", "live")
    pid = int(os.readlink(link).split("/")[2])
    os.kill(pid, signal.SIGSTOP)
    try:
        csrf = b.csrf("/admin/images")
        r = b.post("/admin/images/delete", {"csrf": csrf, "box": "sd", "image": "sd-pc-main"})
        assert r.status == 303
        assert nb.get("/list").body == b"\n"
        for path in ("/update/sd/sd-pc-main/" + bid, "/update/sd/sd-pc-main/other"):
            r = nb.get(path)
            assert (r.status, r.body) == (400, b""), path
    finally:
        os.kill(pid, signal.SIGCONT)


def test_users_and_passwords(admin):
    nb, b = admin
    csrf = b.csrf()
    r = b.post("/admin/users", {"csrf": csrf, "name": "carol", "password": "carol-pass-1",
                                "role": "admin"})
    assert r.status == 303
    assert b.post("/admin/users", {"csrf": csrf, "name": "carol", "password": "carol-pass-1"}
                  ).status == 409
    assert b.post("/admin/users", {"csrf": csrf, "name": "dave", "password": "short"}).status == 400
    assert b.post("/admin/users", {"csrf": csrf, "name": "a b", "password": "12345678"}
                  ).status == 400
    assert b.post("/admin/users", {"csrf": csrf, "name": "e", "password": "12345678",
                                   "role": "root"}).status == 400
    c = Browser(nb.port)
    c.login("carol", "carol-pass-1")
    with nb.db() as db:
        (carol,), = db.execute("SELECT id FROM users WHERE name='carol'").fetchall()
        (me,), = db.execute("SELECT id FROM users WHERE name='admin'").fetchall()
    # changing carol's password ends carol's sessions
    r = b.post("/admin/users/%d/password" % carol, {"csrf": csrf, "password": "carol-pass-2"})
    assert r.status == 303
    assert c.get("/admin/").status == 303
    Browser(nb.port).login("carol", "carol-pass-2")
    assert b.post("/admin/users/%d/delete" % me, {"csrf": csrf}).status == 409
    assert b.post("/admin/users/%d/delete" % carol, {"csrf": csrf}).status == 303
    assert b.post("/admin/users/%d/delete" % carol, {"csrf": csrf}).status == 404
    # an id that is not a number is refused as such, not looked up (issue 13)
    r = b.post("/admin/users/abc/delete", {"csrf": csrf})
    assert r.status == 400 and refusal(r) == "invalid id"
    assert "carol" not in b.get("/admin/users").text


def test_user_and_token_input_is_declared(admin):
    """The users' and tokens' routes refuse malformed input before any
    handler runs (400 naming the field) and change nothing."""
    nb, b = admin
    csrf = b.csrf()
    for path in ("/admin/tokens/0/revoke", "/admin/tokens/x1/revoke",
                 "/admin/users/007/password", "/admin/users/-1/delete"):
        r = b.post(path, {"csrf": csrf, "password": "long-enough-1"})
        assert r.status == 400 and refusal(r) == "invalid id", path
    for q in ("upage=abc", "tpage=-2", "upage=1e3"):
        r = b.get("/admin/users?" + q)
        assert r.status == 400 and refusal(r) == "invalid %s" % q.split("=")[0], q
    assert b.get("/admin/users?upage=2").status == 200
    r = b.post("/admin/users", {"csrf": csrf, "name": "eve", "password": "12345678",
                                "role": "root"})
    # the form comes back with the message beside the field (admin_form.c)
    assert r.status == 400 and 'role="alert">invalid role</span>' in r.text
    r = b.post("/admin/users", {"csrf": csrf, "name": "eve"})
    assert r.status == 400 and 'role="alert">missing password</span>' in r.text
    assert "eve" not in b.get("/admin/users").text


def test_password_keep_tokens_is_a_boolean(admin):
    """keep_tokens=0 (or off) revokes the tokens like an absent box: only
    a true value keeps them; anything else is refused."""
    nb, b = admin
    csrf = b.csrf()
    assert b.post("/admin/users", {"csrf": csrf, "name": "kim", "password": "kim-pass-01",
                                   "role": "readonly"}).status == 303
    k = Browser(nb.port)
    k.login("kim", "kim-pass-01")
    assert k.post("/admin/tokens", {"csrf": k.csrf(), "name": "ci"}).status == 201
    with nb.db() as db:
        (kim,), = db.execute("SELECT id FROM users WHERE name='kim'").fetchall()
    r = b.post("/admin/users/%d/password" % kim, {"csrf": csrf, "password": "kim-pass-02",
                                                  "keep_tokens": "maybe"})
    assert r.status == 400 and 'role="alert">invalid keep_tokens</span>' in r.text
    r = b.post("/admin/users/%d/password" % kim, {"csrf": csrf, "password": "kim-pass-02",
                                                  "keep_tokens": "0"})
    assert r.status == 303 and "1+API+token+revoked" in r.header("Location")


def test_api_tokens(admin, tmpdir_shared):
    nb, b = admin
    csrf = b.csrf()
    r = b.post("/admin/tokens", {"csrf": csrf, "name": "ci"})
    assert r.status == 201
    token = r.text.split('<code id="new-token">')[1].split("</code>")[0]
    assert token.startswith("nbx_") and len(token) == 68
    assert token not in b.get("/admin/users").text        # shown once
    with nb.db() as c:
        assert not c.execute("SELECT 1 FROM api_tokens WHERE token_hash=? OR prefix=?",
                             (token, token)).fetchall()
    auth = {"Authorization": "Bearer " + token}
    r = b.request("GET", "/admin/api/whoami", headers=auth)
    assert json.loads(r.body) == {"user": "admin", "role": "admin", "auth": "token"}
    raw = make_raw_image(os.path.join(tmpdir_shared, "api.img"), size=65536)
    data = open(raw, "rb").read()
    anon = Browser(nb.port)
    r = anon.request("PUT", "/admin/api/images?box=ab&board=pc&version=3", data, auth)
    assert r.status == 201 and json.loads(r.body) == {"box": "ab", "image": "ab-pc-3"}
    r = anon.request("GET", "/admin/api/images", headers=auth)
    assert [i["image"] for i in json.loads(r.body)] == ["ab-pc-3"]
    # a token is no session: it does not open the HTML pages
    assert anon.request("GET", "/admin/", headers=auth).status == 303
    r = anon.request("GET", "/admin/api/requests?program=update", headers=auth)
    assert r.status == 200 and "rows" in json.loads(r.body)
    assert anon.request("GET", "/admin/api/requests?status=abc", headers=auth).status == 400
    # the request log's filters are declared: a malformed one is named (issue 13)
    for q, field in (("status=abc", "status"), ("status=6xx", "status"), ("before=x", "before"),
                     ("before=-3", "before")):
        r = anon.request("GET", "/admin/api/requests?" + q, headers=auth)
        assert r.status == 400 and json.loads(r.body)["error"].startswith("invalid " + field), q
    r = anon.request("DELETE", "/admin/api/images/ab/ab-pc-3", headers=auth)
    assert r.status == 204 and nb.get("/list").body == b"\n"
    with nb.db() as c:
        (tid,), = c.execute("SELECT id FROM api_tokens").fetchall()
    assert b.post("/admin/tokens/%d/revoke" % tid, {"csrf": csrf}).status == 303
    r = anon.request("GET", "/admin/api/whoami", headers=auth)
    assert r.status == 401
    assert anon.request("GET", "/admin/api/whoami",
                        headers={"Authorization": "Bearer nbx_" + "0" * 64}).status == 401


def test_read_only_token_cannot_change(admin, tmpdir_shared):
    nb, _ = admin
    v = Browser(nb.port)
    v.login("viewer", "viewer-pass-1")
    r = v.post("/admin/tokens", {"csrf": v.csrf(), "name": "ro"})
    token = r.text.split('<code id="new-token">')[1].split("</code>")[0]
    auth = {"Authorization": "Bearer " + token}
    assert v.request("GET", "/admin/api/images", headers=auth).status == 200
    r = v.request("PUT", "/admin/api/images?box=x&board=y", b"data", auth)
    assert r.status == 403 and os.listdir(nb.images) == []


def test_nestboxctl_makes_api_tokens_with_the_users_role(admin):
    nb, b = admin
    p = nb.ctl("user", "token", "admin", "--name", "ci")
    token = p.stdout.strip()
    assert token.startswith("nbx_") and len(token) == 68 and "not shown again" in p.stderr
    anon = Browser(nb.port)
    r = anon.request("GET", "/admin/api/whoami", headers={"Authorization": "Bearer " + token})
    assert json.loads(r.body) == {"user": "admin", "role": "admin", "auth": "token"}
    assert "ci" in b.get("/admin/users").text and token not in b.get("/admin/users").text
    ro = nb.ctl("user", "token", "viewer").stdout.strip()
    auth = {"Authorization": "Bearer " + ro}
    assert json.loads(anon.request("GET", "/admin/api/whoami", headers=auth).body)["role"] == \
        "readonly"
    assert anon.request("PUT", "/admin/api/images?box=x&board=y", b"data", auth).status == 403
    # refused: no such user (1), a name the page refuses too (2); nothing stored
    with nb.db() as c:
        before = c.execute("SELECT count(*) FROM api_tokens").fetchone()[0]
    assert nb.ctl("user", "token", "nobody", check=False).returncode == 1
    for bad in ("", "a\x01b", "x" * 65):
        q = nb.ctl("user", "token", "admin", "--name", bad, check=False)
        assert q.returncode == 2 and "--name" in q.stderr, bad
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM api_tokens").fetchone()[0] == before == 2
    # a password change revokes it, as for a token made on the page
    subprocess.run([CTL, "user", "passwd", "viewer"], env=nb.env, input="viewer-pass-2\n",
                   text=True, check=True, capture_output=True)
    assert anon.request("GET", "/admin/api/whoami", headers=auth).status == 401


def test_session_expiry_and_logout(admin):
    nb, b = admin
    assert b.get("/admin/").status == 200
    with nb.db() as c:
        c.execute("UPDATE sessions SET expires = 1")
    assert b.get("/admin/").status == 303
    b.login("admin", "admin-pass-1")
    csrf = b.csrf()
    r = b.post("/admin/logout", {"csrf": csrf})
    assert r.status == 303 and r.header("Location") == "/admin/login"
    assert b.get("/admin/").status == 303
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM sessions WHERE expires > 1").fetchone()[0] == 0


def test_request_log_filters_and_pages(admin):
    nb, b = admin
    for i in range(12):
        nb.get("/list/item%02d" % i)
    nb.get("/update/none/x")
    # the rows reach the store through nestbox-accesslog, after the answers, in order
    wait_until(lambda: "/update/none/x" in b.get("/admin/requests?status=4xx").text,
               "the request-log rows")
    r = b.get("/admin/requests?program=list")
    assert r.status == 200
    assert "/list/item11" in r.text and "/list/item07" in r.text and "/list/item06" not in r.text
    nxt = r.text.split('href="/admin/requests?')[1].split('"')[0].replace("&amp;", "&")
    assert "program=list" in nxt
    r2 = b.get("/admin/requests?" + nxt)
    assert "/list/item06" in r2.text and "/list/item11" not in r2.text
    r = b.get("/admin/requests?status=4xx")
    assert "/update/none/x" in r.text and "/list/item" not in r.text
    r = b.get("/admin/requests?q=item03")
    assert "/list/item03" in r.text and "/list/item04" not in r.text
    r = b.get("/admin/requests?since=2000-01-01T00:00&until=2000-01-02T00:00")
    assert "No requests match." in r.text
    assert b.get("/admin/requests?status=99x").status == 400
    for q, field in (("status=99x", "status"), ("before=abc", "before"), ("before=0", "before"),
                     ("q=" + "x" * 256, "q")):
        r = b.get("/admin/requests?" + q)
        assert r.status == 400 and "invalid " + field in r.text, q


def test_xss_in_every_echoed_field(admin):
    nb, b = admin
    csrf = b.csrf()
    # stored: a token name, a user agent in the request log
    b.post("/admin/tokens", {"csrf": csrf, "name": XSS})
    nb.get("/list/x", {"User-Agent": XSS})

    def logged():      # the front end's access log reaches the store a moment later
        with nb.db() as c:
            return c.execute("SELECT count(*) FROM request_log WHERE path='/list/x'"
                             ).fetchone()[0] > 0
    wait_until(logged, "the request's log row")
    pages = [b.get("/admin/users"), b.get("/admin/requests"), b.get("/admin/"),
             # reflected: filters, the login form's user name and next
             b.get("/admin/requests?q=" + "%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E"),
             b.get("/admin/requests?status=&program=%3Cscript%3E"),
             b.get("/admin/images?q=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E")]
    anon = Browser(nb.port)
    page = anon.get("/admin/login?next=%22%3E%3Cscript%3E")
    pages.append(page)
    fields = forms_of(page.body)[-1]["fields"]
    fields.update(username=XSS, password="wrong-password")
    pages.append(anon.post("/admin/login", fields))
    for p in pages:
        assert "<script" not in p.text, p.text
    assert XSS_ESCAPED in pages[0].text          # shown, but as text
    assert XSS_ESCAPED in pages[1].text
    assert XSS_ESCAPED in pages[3].text
    assert XSS_ESCAPED in pages[-1].text


def test_ctl_users(nb):
    nb.ctl("init")
    p = subprocess.run([CTL, "user", "add", "ops", "--role", "readonly"], env=nb.env,
                       input="short\n", capture_output=True, text=True)
    assert p.returncode == 1 and "at least 8 characters" in p.stderr
    p = subprocess.run([CTL, "user", "add", "ops", "--role", "readonly"], env=nb.env,
                       input="ops-pass-12\n", capture_output=True, text=True)
    assert p.returncode == 0
    assert nb.ctl("user", "list").stdout == "ops\treadonly\n"
    p = subprocess.run([CTL, "user", "add", "ops"], env=nb.env, input="ops-pass-12\n",
                       capture_output=True, text=True)
    assert p.returncode == 3 and "exists already" in p.stderr     # a conflict
    assert nb.ctl("user", "add", "a/b", check=False).returncode == 1
    p = subprocess.run([CTL, "user", "passwd", "ops"], env=nb.env, input="ops-pass-34\n",
                       capture_output=True, text=True)
    assert p.returncode == 0
    out = nb.ctl("user", "first-admin", env={"NESTBOX_ADMIN_PASSWORD": ""}).stdout
    assert out.startswith("admin login: user admin (password as printed")
    assert nb.ctl("user", "del", "ops").returncode == 0
    assert nb.ctl("user", "del", "ops", check=False).returncode == 1
    out = nb.ctl("user", "first-admin", env={"NESTBOX_ADMIN_PASSWORD": ""}).stdout
    pw = out.strip().split("password ")[1]
    assert len(pw) == 24
    nb.start()
    Browser(nb.port).login("admin", pw)


def test_lists_paginate(admin, tmpdir_shared):
    """page_size is 5 here: users, tokens and images all page."""
    nb, b = admin
    csrf = b.csrf()
    for i in range(6):
        assert b.post("/admin/users", {"csrf": csrf, "name": "user%d" % i,
                                       "password": "password-%d" % i}).status == 303
        assert b.post("/admin/tokens", {"csrf": csrf, "name": "tok%d" % i}).status == 201
    page = b.get("/admin/users")
    assert "users page 1 of 2" in page.text and "tokens page 1 of 2" in page.text
    assert "user5" not in page.text and "tok5" in page.text and "tok0" not in page.text
    page2 = b.get("/admin/users?upage=2&tpage=2")
    assert "user5" in page2.text and "tok0" in page2.text and "tok5" not in page2.text
    raw = make_raw_image(os.path.join(tmpdir_shared, "p.img"), size=4096)
    for i in range(7):
        nb.import_image(raw, "pb", "pc", None, str(i))
    page = b.get("/admin/images")
    assert "7 builds" in page.text and "page 1 of 2" in page.text and "pb-pc-5" not in page.text
    page = b.get("/admin/images?page=2")
    assert "pb-pc-5" in page.text and "pb-pc-6" in page.text and "pb-pc-0" not in page.text
    assert "page 2 of 2" in b.get("/admin/images?page=99").text
    # the images page's input is declared: a malformed field is named (issue 13)
    for q in ("page=abc", "page=-1", "q=" + "x" * 256):
        r = b.get("/admin/images?" + q)
        assert r.status == 400 and refusal(r).startswith("invalid " + q.split("=")[0]), q


def test_mip_pages_and_api(admin, tmpdir_shared):
    import io
    import tarfile
    nb, b = admin
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        data = b"X = 1\n"
        info = tarfile.TarInfo("webpkg-1.0/x.py")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    csrf = b.csrf("/admin/mip")
    # a package is published from its bytes as they arrive, never from a
    # staging copy: with no place for one (var/tmp a plain file) both the
    # form and the API publish
    tmp = os.path.join(nb.state, "tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    open(tmp, "w").close()
    boundary = "----nestboxmip"
    body = b"".join((
        ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, k, v)).encode()
        for k, v in (("csrf", csrf), ("name", "webpkg"), ("version", "1.0"),
                     ("description", XSS)))) + \
        ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"w.tar.gz\"\r\n\r\n"
         % boundary).encode() + buf.getvalue() + ("\r\n--%s--\r\n" % boundary).encode()
    r = b.request("POST", "/admin/mip", body,
                  {"Content-Type": "multipart/form-data; boundary=" + boundary})
    assert r.status == 303 and r.header("Location") == "/admin/mip?done=published+webpkg+1.0"
    page = b.get("/admin/mip")
    assert page.status == 200 and "webpkg" in page.text and XSS_ESCAPED in page.text
    assert "<script" not in page.text
    doc = json.loads(nb.get("/mip/package/py/webpkg/latest.json").body)
    assert [p for p, _ in doc["hashes"]] == ["x.py"]
    r = b.request("POST", "/admin/mip", body,
                  {"Content-Type": "multipart/form-data; boundary=" + boundary})
    assert r.status == 409 and "immutable" in r.text
    # the API, with a token
    token = b.post("/admin/tokens", {"csrf": csrf, "name": "mip"}).text.split(
        '<code id="new-token">')[1].split("</code>")[0]
    auth = {"Authorization": "Bearer " + token}
    r = b.request("PUT", "/admin/api/mip/packages?name=single&version=2&file=single.py",
                  b"S = 2\n", auth)
    assert r.status == 201, r.text
    # published under the name given, from the one received body
    doc = json.loads(nb.get("/mip/package/py/single/latest.json").body)
    assert [p for p, _ in doc["hashes"]] == ["single.py"]
    # a refusal names the upload, never a server path
    r = b.request("PUT", "/admin/api/mip/packages?name=bad&version=1", b"not an archive", auth)
    assert r.status == 400 and json.loads(r.body)["error"] == "the upload: not a readable archive"
    assert os.path.isfile(tmp)
    os.remove(tmp)
    listed = json.loads(b.request("GET", "/admin/api/mip/packages", headers=auth).body)
    assert sorted(p["name"] for p in listed["hosted"]) == ["single", "webpkg"]
    assert b.post("/admin/mip/refresh", {"csrf": csrf}).status == 303
    r = b.post("/admin/mip/evict", {"csrf": csrf})
    assert r.status == 303 and "evicted" in r.header("Location")
    # hosted files survive an eviction
    assert nb.get("/mip/package/py/single/latest.json").status == 200
    v = Browser(nb.port)
    v.login("viewer", "viewer-pass-1")
    assert v.get("/admin/mip").status == 200
    assert v.post("/admin/mip/evict", {"csrf": v.csrf("/admin/mip")}).status == 403


# -- second guards (issue 16): properties that had a single test -----------

@pytest.mark.parametrize("action", ["/admin/images", "/admin/mip", "/admin/software"])
def test_upload_with_a_wrong_csrf_value_stores_nothing(admin, action):
    """A CSRF field that is present but not the session's: refused before
    the file is read, on every upload form (the unit guard is
    test_admin_store.c::test_csrf_ok, for the non-upload forms)."""
    nb, b = admin
    good = b.csrf("/admin/images")
    wrong = ("0" if good[0] != "0" else "1") + good[1:]
    fields = {"csrf": wrong, "box": "wb", "board": "pc", "name": "wp", "version": "1.0"}
    r = b.upload(fields, "d.img", b"x" * 5000, action=action)
    assert r.status in (400, 403), (r.status, r.text)
    assert "did not come from this site" in r.text
    assert os.listdir(nb.images) == []
    with nb.db() as db:
        assert db.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM mip_files").fetchone()[0] == 0


def test_wrong_csrf_header_is_refused(admin):
    nb, b = admin
    good = b.csrf()
    wrong = ("0" if good[0] != "0" else "1") + good[1:]
    r = b.post("/admin/users", {"name": "mallory", "password": "mallory-pw-1"},
               headers={"X-CSRF-Token": wrong})
    assert r.status == 403
    with nb.db() as db:
        assert db.execute("SELECT count(*) FROM users WHERE name='mallory'").fetchone()[0] == 0


class refused_writes:
    """Within the block, the store refuses every <op> (INSERT, DELETE) on
    table as a failed write (a trigger that raises), on SQLite and on
    PostgreSQL: a store that cannot take the write, as when it is busy
    or its disk is full."""

    def __init__(self, nb, table, op):
        self.nb, self.table, self.op = nb, table, op

    def __enter__(self):
        name = "nb_test_refuse_" + self.table
        with self.nb.db() as c:
            if STORE == "postgresql":
                c.execute("CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS "
                          "$f$ BEGIN RAISE EXCEPTION 'refused by the test'; END $f$" % name)
                c.execute("CREATE TRIGGER %s BEFORE %s ON %s FOR EACH ROW "
                          "EXECUTE FUNCTION %s()" % (name, self.op, self.table, name))
            else:
                c.execute("CREATE TRIGGER %s BEFORE %s ON %s BEGIN "
                          "SELECT RAISE(ABORT, 'refused by the test'); END"
                          % (name, self.op, self.table))
        return self

    def __exit__(self, *exc):
        name = "nb_test_refuse_" + self.table
        with self.nb.db() as c:
            if STORE == "postgresql":
                c.execute("DROP TRIGGER %s ON %s" % (name, self.table))
                c.execute("DROP FUNCTION %s()" % name)
            else:
                c.execute("DROP TRIGGER %s" % name)


def test_logout_the_store_cannot_write_is_not_claimed(admin):
    """A logout whose session the store could not delete answers 503 and
    keeps the cookie: the session still works, so the page must not say
    it ended (before, a redirect to the login page and the cookie dropped
    while the session stayed valid)."""
    nb, b = admin
    csrf = b.csrf()
    with refused_writes(nb, "sessions", "DELETE"):
        r = b.post("/admin/logout", {"csrf": csrf})
        assert r.status == 503, (r.status, r.text)
        assert "cannot end the session" in refusal(r)
        assert r.header("Retry-After")
        assert "nb_session" in b.cookies
    assert b.get("/admin/").status == 200      # the session was not ended
    r = b.post("/admin/logout", {"csrf": csrf})
    assert r.status == 303 and r.header("Location") == "/admin/login"
    assert b.get("/admin/").status == 303


def test_login_whose_failure_cannot_be_counted_is_refused(admin):
    """A wrong password whose failure the store cannot count answers 503,
    not the 401 of a counted failure (before, the guess went uncounted and
    the throttle never closed); a right password whose count cannot be
    cleared gets no session either: every write of a login must succeed."""
    nb, _ = admin
    b = Browser(nb.port)
    with refused_writes(nb, "login_failures", "INSERT"):
        for _ in range(4):      # more than admin.login_max_failures (3)
            r = b.login("admin", "wrong-password", expect=503)
            assert "cannot count the failed login" in r.text    # a page without the nav
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 0
    b.login("admin", "wrong-password", expect=401)      # counted again
    with refused_writes(nb, "login_failures", "DELETE"):
        r = b.login("admin", "admin-pass-1", expect=503)
        assert "nb_session" not in b.cookies
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM login_failures WHERE key LIKE 'ua:%'"
                         ).fetchone()[0] == 1
    b.login("admin", "admin-pass-1")
