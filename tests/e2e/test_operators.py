"""What operators do, through the real programs: logging in from a shared
address, resetting passwords (page, API, nestboxctl), adding devices with
every kind of controller id, bounded fields refused instead of cut, the
request log's program filter, and nestboxctl outside the project."""
import html.parser
import json
import os
import subprocess
import tarfile
import time
import urllib.parse

import pytest

from admin_client import Browser, forms_of
from conftest import CTL, make_raw_image, wait_until
from test_ddi import BASE, ddi


ADMIN_PW = "admin-pass-1"


@pytest.fixture
def ops(make_nb):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": ADMIN_PW, "NESTBOX_ADMIN__LOGIN_MAX_FAILURES": "3",
                  "NESTBOX_ADMIN__LOGIN_ADDRESS_FAILURES": "4"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    for name in ("carol", "dave"):
        p = subprocess.run([CTL, "user", "add", name], env=nb.env, input=name + "-pass-1\n",
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    nb.start()
    return nb


def token_of(b):
    r = b.post("/admin/tokens", {"csrf": b.csrf(), "name": "ci"})
    assert r.status == 201
    return r.text.split('<code id="new-token">')[1].split("</code>")[0]


def whoami(nb, token):
    return Browser(nb.port).request("GET", "/admin/api/whoami",
                                    headers={"Authorization": "Bearer " + token}).status


# -- 4: failed logins are counted per (user, address) ----------------------

def test_failed_logins_of_one_user_do_not_lock_out_another(ops):
    b = Browser(ops.port)
    for _ in range(3):
        b.login("carol", "wrong-password", expect=401)
    # carol from this address now waits; admin with the right password does not
    r = b.login("carol", "carol-pass-1", expect=429)
    assert "Too many failed logins" in r.text
    Browser(ops.port).login("admin", ADMIN_PW)
    Browser(ops.port).login("dave", "dave-pass-1")
    # many users guessed from one address: past admin.login_address_failures
    # the address slows down (a growing delay, at most a minute), it is not
    # locked for the whole window, and the right password gets in after it
    b.login("nobody1", "wrong-password", expect=401)
    with ops.db() as c:     # as if many more had failed, the last one just now
        assert c.execute("SELECT count FROM login_failures WHERE key LIKE 'ip:%'"
                         ).fetchone() == (4,)
        c.execute("UPDATE login_failures SET count = 1000 WHERE key LIKE 'ip:%'")
        c.execute("UPDATE login_failures SET first = ? WHERE key LIKE 'last:%'",
                  (int(time.time()),))
    r = b.login("nobody2", "wrong-password", expect=429)
    assert "from your address" in r.text
    r = Browser(ops.port).login("admin", ADMIN_PW, expect=429)
    assert "from your address" in r.text
    assert 0 < int(r.header("Retry-After")) <= 60
    with ops.db() as c:     # the delay passes (no sleeping in tests)
        c.execute("UPDATE login_failures SET first = first - 61 WHERE key LIKE 'last:%'")
    Browser(ops.port).login("admin", ADMIN_PW)
    # and the (carol, address) pair is still locked for its window
    Browser(ops.port).login("carol", "carol-pass-1", expect=429)


# -- 4: a password reset revokes the user's API tokens and sessions --------

def test_password_reset_on_the_page_revokes_tokens(ops):
    admin = Browser(ops.port)
    admin.login("admin", ADMIN_PW)
    carol = Browser(ops.port)
    carol.login("carol", "carol-pass-1")
    tok = token_of(carol)
    assert whoami(ops, tok) == 200
    with ops.db() as c:
        (cid,), = c.execute("SELECT id FROM users WHERE name='carol'").fetchall()
    r = admin.post("/admin/users/%d/password" % cid, {"csrf": admin.csrf(),
                                                    "password": "carol-pass-2"})
    assert r.status == 303 and "1+API+token+revoked" in r.header("Location")
    assert "1 API token revoked" in admin.get(r.header("Location")).text
    assert whoami(ops, tok) == 401
    assert carol.get("/admin/").status == 303          # the session ended too


def test_password_reset_through_the_api_revokes_tokens(ops):
    admin = Browser(ops.port)
    admin.login("admin", ADMIN_PW)
    admin_tok = token_of(admin)
    carol = Browser(ops.port)
    carol.login("carol", "carol-pass-1")
    tok = token_of(carol)
    with ops.db() as c:
        (cid,), = c.execute("SELECT id FROM users WHERE name='carol'").fetchall()
    auth = {"Authorization": "Bearer " + admin_tok, "Content-Type": "application/json"}
    r = Browser(ops.port).request("POST", "/admin/api/users/%d/password" % cid,
                                  json.dumps({"password": "carol-pass-3"}), auth)
    assert r.status == 200, r.text
    assert json.loads(r.body) == {"user": "carol", "sessions_ended": True, "tokens_revoked": 1}
    assert whoami(ops, tok) == 401 and whoami(ops, admin_tok) == 200
    Browser(ops.port).login("carol", "carol-pass-3")
    for body in ('{"password": "short"}', '[]', '{"password": 5}', 'x'):
        r = Browser(ops.port).request("POST", "/admin/api/users/%d/password" % cid, body, auth)
        assert r.status == 400 and "error" in json.loads(r.body)
    r = Browser(ops.port).request("POST", "/admin/api/users/99999/password",
                                  json.dumps({"password": "long-enough-1"}), auth)
    assert r.status == 404


def test_ctl_passwd_revokes_tokens(ops):
    carol = Browser(ops.port)
    carol.login("carol", "carol-pass-1")
    tok = token_of(carol)
    p = subprocess.run([CTL, "user", "passwd", "carol"], env=ops.env, input="carol-pass-4\n",
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "sessions have ended" in p.stdout and "1 API token revoked" in p.stdout
    assert whoami(ops, tok) == 401
    assert carol.get("/admin/").status == 303


# -- 5: one controller-id rule in nestboxctl and the admin API -------------

@pytest.mark.parametrize("cid", ["star*", "gerät-ü1", "x" * 256])
def test_ctl_device_add_accepts_hawkbit_ids_and_ddi_serves_them(ops, cid):
    p = ops.ctl("device", "add", cid, "--token", "tok-1")
    assert p.stdout.strip() == "added " + cid
    r = ddi(ops, "GET", BASE + urllib.parse.quote(cid, safe="*"))
    assert r.status == 200, r.body
    tok = token_of_admin(ops)
    r = Browser(ops.port).request("GET", "/admin/api/devices/" + urllib.parse.quote(cid, safe="*"),
                                  headers={"Authorization": "Bearer " + tok})
    assert r.status == 200 and json.loads(r.body)["controller_id"] == cid


def token_of_admin(nb):
    b = Browser(nb.port)
    b.login("admin", ADMIN_PW)
    return token_of(b)


@pytest.mark.parametrize("cid", [b"sp ace", b"a/b", b"tab\there", b"x" * 257, b"bad\xff"])
def test_ctl_device_add_refuses_bad_ids(ops, cid):
    p = subprocess.run([CTL.encode(), b"device", b"add", cid], env=ops.env, capture_output=True,
                       text=True)
    assert p.returncode == 1, p.stdout
    assert "controller id" in p.stderr and "whitespace" in p.stderr
    with ops.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_devices").fetchone() == (0,)


def test_admin_api_refuses_bad_controller_ids(ops):
    tok = token_of_admin(ops)
    auth = {"Authorization": "Bearer " + tok}
    r = Browser(ops.port).request("GET", "/admin/api/devices/sp%20ace", headers=auth)
    assert r.status == 400 and "controller id" in json.loads(r.body)["error"]
    r = Browser(ops.port).request("GET", "/admin/api/devices/ok?tenant=" + "t" * 64, headers=auth)
    assert r.status == 400 and "tenant" in json.loads(r.body)["error"]


# -- 5: bounded fields are refused with their name and limit, not cut ------

@pytest.mark.parametrize("args,field,limit", [
    (["device", "add", "d1", "--feed", "f" * 64], "--feed", "63"),
    (["device", "add", "d1", "--tenant", "t" * 64], "--tenant", "63"),
    (["rollout", "add", "--feed", "f" * 64, "--software", "1"], "--feed", "63"),
    (["rollout", "add", "--feed", "f", "--software", "1", "--name", "n" * 128], "--name", "127"),
    (["software", "add", "--url", "http://x/" + "u" * 1024], "--url", "1023"),
    (["software", "add", "/nonexistent.swu", "--name", "n" * 256], "--name", "255"),
])
def test_ctl_refuses_what_it_would_cut(ops, args, field, limit):
    p = ops.ctl(*args, check=False)
    assert p.returncode == 1, p.stdout
    assert field in p.stderr and limit in p.stderr, p.stderr
    with ops.db() as c:
        for t in ("ddi_devices", "ddi_rollouts", "ddi_software"):
            assert c.execute("SELECT count(*) FROM %s" % t).fetchone() == (0,)


@pytest.mark.parametrize("opt,value,field,limit", [
    ("--feed", "f" * 64, "--feed", "63"), ("--name", "n" * 64, "--name", "63"),
    ("--tags", "t" * 256, "--tags", "255"), ("--feed", "", "--feed", "63"),
])
def test_ctl_device_set_names_the_field(ops, opt, value, field, limit):
    ops.ctl("device", "add", "d1", "--feed", "stable")
    p = ops.ctl("device", "set", "d1", opt, value, check=False)
    assert p.returncode == 1 and field in p.stderr and limit in p.stderr, p.stderr
    with ops.db() as c:
        assert c.execute("SELECT feed, name, tags FROM ddi_devices").fetchone()[0] == "stable"


def test_admin_forms_name_the_field(ops):
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    csrf = b.csrf()
    r = b.post("/admin/tokens", {"csrf": csrf, "name": "t" * 65})
    assert r.status == 400 and "64" in r.text
    r = b.post("/admin/users", {"csrf": csrf, "name": "u" * 65, "password": "long-enough"})
    assert r.status == 400 and "64" in r.text
    r = b.post("/admin/software/url", {"csrf": csrf, "url": "http://x/a.swu", "name": "n" * 256})
    assert r.status == 400 and "name" in r.text and "255" in r.text
    with ops.db() as c:
        assert c.execute("SELECT count(*) FROM users").fetchone() == (3,)
        assert c.execute("SELECT count(*) FROM api_tokens").fetchone() == (0,)


# -- 7: the request log's program filter lists every program ---------------

def test_request_log_program_filter_lists_ddi_and_mip(make_nb):
    ops = make_nb({"NESTBOX_ADMIN_PASSWORD": ADMIN_PW, "NESTBOX_LOG__HOT_ROWS": "true"})
    ops.ctl("init")
    ops.ctl("user", "first-admin")
    ops.start()
    ops.ctl("device", "add", "dev-1", "--token", "tok-1")
    assert ddi(ops, "GET", BASE + "dev-1").status == 200
    assert ops.get("/mip/file/zz/not-a-hash").status in (400, 404)

    def programs():
        with ops.db() as c:
            return {r[0] for r in c.execute("SELECT program FROM request_log")}
    # the front end's access log reaches the store within log.flush_ms
    wait_until(lambda: {"ddi", "mip"} <= programs(), "the requests logged")
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    page = b.get("/admin/requests").text
    for prog in ("admin", "ddi", "mip"):
        assert '<option value="%s"' % prog in page, prog
    page = b.get("/admin/requests?program=ddi").text
    assert '<option value="ddi" selected>' in page
    rows = page.split("<tbody>")[1]
    assert "/DEFAULT/controller/v1/dev-1" in rows and "/admin/login" not in rows


# -- 9: nestboxctl never creates a store on its own -------------------------

def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NESTBOX_")
           and k != "IMAGE_PATH"}
    env.update(extra)
    return env


def test_ctl_outside_the_project_refuses_to_create_a_store(tmpdir_shared):
    cwd = os.path.join(tmpdir_shared, "elsewhere")
    os.makedirs(cwd)
    for args in (["device", "add", "d1"], ["user", "list"], ["image", "list"], ["gc"],
                 ["software", "list"], ["rollout", "list"], ["mip", "list"]):
        p = subprocess.run([CTL, *args], cwd=cwd, env=clean_env(), capture_output=True,
                           text=True)
        assert p.returncode == 1, (args, p.stdout)
        assert os.path.join(cwd, "var", "nestbox.db") in p.stderr, p.stderr
        assert "no configuration file" in p.stderr and "nestboxctl init" in p.stderr
        assert os.listdir(cwd) == [], args
    # with a configuration: the message names it, and init is what creates
    conf = os.path.join(tmpdir_shared, "site.yaml")
    with open(conf, "w") as f:
        f.write("server:\n  var_dir: state\n")
    env = clean_env(NESTBOX_CONFIG=conf)
    p = subprocess.run([CTL, "device", "add", "d1"], cwd=cwd, env=env, capture_output=True,
                       text=True)
    assert p.returncode == 1 and conf in p.stderr
    assert os.path.join(tmpdir_shared, "state", "nestbox.db") in p.stderr
    assert not os.path.exists(os.path.join(tmpdir_shared, "state"))
    p = subprocess.run([CTL, "config"], cwd=cwd, env=env, capture_output=True, text=True)
    assert p.returncode == 0 and not os.path.exists(os.path.join(tmpdir_shared, "state"))
    assert subprocess.run([CTL, "init"], cwd=cwd, env=env).returncode == 0
    p = subprocess.run([CTL, "device", "add", "d1"], cwd=cwd, env=env, capture_output=True,
                       text=True)
    assert p.returncode == 0 and os.listdir(cwd) == []


# -- 5: a refused form comes back with the input kept and the message beside the field

class FieldErrors(html.parser.HTMLParser):
    """The fields of one form (by action): each input's or select's value
    (a select's selected option), and the text of the element its
    aria-describedby names -- the message drawn beside the field."""

    def __init__(self, action):
        super().__init__()
        self.action, self.inside, self.select = action, False, None
        self.fields, self.described, self.texts, self.cur = {}, {}, {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        if self.inside and tag in ("input", "select") and a.get("name"):
            if a.get("type") != "hidden":
                self.fields.setdefault(a["name"], a.get("value", ""))
            if a.get("aria-describedby"):
                self.described[a["name"]] = a["aria-describedby"]
            self.select = a["name"] if tag == "select" else None
        if tag == "option" and self.select and "selected" in a:
            self.fields[self.select] = a.get("value", "")
        if a.get("id"):
            self.cur = a["id"]
            self.texts[self.cur] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        if tag == "span":
            self.cur = None

    def handle_data(self, data):
        if self.cur:
            self.texts[self.cur] += data


def field_error(page, action, field):
    """(the field's kept value, the message beside it) in page's form action."""
    p = FieldErrors(action)
    p.feed(page)
    assert field in p.described, "no message beside %s in %s" % (field, action)
    return p.fields.get(field), p.texts.get(p.described[field], "").strip()


def test_refused_forms_keep_the_input_and_name_the_field(ops):
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    csrf = b.csrf()
    # a declared field refused before the handler (the name rule)
    r = b.post("/admin/users", {"csrf": csrf, "name": "bad name!", "password": "long-enough",
                                "role": "admin"})
    assert r.status == 400 and r.header("Content-Type").startswith("text/html")
    value, msg = field_error(r.text, "/admin/users", "name")
    assert value == "bad name!" and "1 to 64 letters" in msg
    assert '<option value="admin" selected>' in r.text      # the role chosen is kept
    assert "long-enough" not in r.text                      # a password is never echoed
    # the handler's own refusal: the name exists (409)
    r = b.post("/admin/users", {"csrf": csrf, "name": "carol", "password": "long-enough"})
    assert r.status == 409
    value, msg = field_error(r.text, "/admin/users", "name")
    assert value == "carol" and "exists" in msg
    r = b.post("/admin/tokens", {"csrf": csrf, "name": "t" * 65})
    assert r.status == 400
    value, msg = field_error(r.text, "/admin/tokens", "name")
    assert value == "t" * 65 and "64 bytes" in msg
    uid = [f["action"] for f in forms_of(b.get("/admin/users").body)
           if f["action"].endswith("/password")][0]
    r = b.post(uid, {"csrf": csrf, "password": "short"})
    assert r.status == 400
    _, msg = field_error(r.text, uid, "password")
    assert "8 to 255" in msg
    with ops.db() as c:
        assert c.execute("SELECT count(*) FROM users").fetchone() == (3,)
        assert c.execute("SELECT count(*) FROM api_tokens").fetchone() == (0,)


def test_refused_device_and_rollout_forms_keep_the_input(ops):
    ops.ctl("device", "add", "d1", "--feed", "stable")
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    csrf = b.csrf()
    with ops.db() as c:
        did = c.execute("SELECT id FROM ddi_devices").fetchone()[0]
    act = "/admin/devices/%d/labels" % did
    r = b.post(act, {"csrf": csrf, "name": "n" * 64, "tags": "a, b"})
    assert r.status == 400
    value, msg = field_error(r.text, act, "name")
    assert value == "n" * 64 and "63" in msg
    assert 'value="a, b"' in r.text       # the other field kept too
    act = "/admin/devices/%d/mode" % did
    r = b.post(act, {"csrf": csrf, "mode": "assigned", "software": ""})
    assert r.status == 400
    _, msg = field_error(r.text, act, "software")
    assert "software from the list" in msg
    act = "/admin/devices/%d/feed" % did
    r = b.post(act, {"csrf": csrf, "feed": "x\x01y"})
    assert r.status == 400
    value, msg = field_error(r.text, act, "feed")
    assert value == "x\x01y" and "feed" in msg
    # the bulk form: set a feed without naming one
    r = b.post("/admin/devices/bulk", {"csrf": csrf, "action": "feed", "id": str(did),
                                       "feed": ""})
    assert r.status == 400
    value, msg = field_error(r.text, "/admin/devices/bulk", "feed")
    assert value == "" and "feed" in msg
    assert 'name="id" value="%d" checked' % did in r.text      # the selection kept
    with ops.db() as c:
        assert c.execute("SELECT feed, name, tags, mode FROM ddi_devices").fetchone() == \
            ("stable", "", "", "rollout")


REFILE = "choose the file again"


def make_py(d):
    p = d / "m.py"
    p.write_text("X = 1\n")
    return str(p)


def test_refused_upload_forms_keep_the_input(ops, tmp_path):
    """The upload forms (images, software, mip) drawn again like the others:
    the message beside the field, the typed names kept, and beside the
    file input a word that a browser keeps no chosen file."""
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    csrf = b.csrf("/admin/images")
    img = {"csrf": csrf, "box": "ub", "board": "bad board!", "branch": "main", "version": "3"}
    r = b.upload(img, "d.img", b"x" * 1000)
    assert r.status == 400 and r.header("Content-Type").startswith("text/html")
    value, msg = field_error(r.text, "/admin/images", "board")
    assert value == "bad board!" and "may hold only" in msg
    assert 'value="ub"' in r.text and 'value="main"' in r.text and REFILE in r.text
    r = b.upload(dict(img, board=""), "d.img", b"x" * 1000)        # a missing field
    assert r.status == 400
    assert field_error(r.text, "/admin/images", "board") == ("", msg)
    r = b.upload(dict(img, board="pc"), "d.img", b"")              # a bad file
    assert r.status == 400
    value, msg = field_error(r.text, "/admin/images", "file")
    assert "empty" in msg and 'value="pc"' in r.text
    assert os.listdir(ops.images) == []
    # software: a name longer than a form field, then a file that is no image
    sw = {"csrf": csrf, "name": "n" * 201}
    r = b.upload(sw, "a.swu", b"x" * 100, action="/admin/software")
    assert r.status == 400
    assert "too long" in field_error(r.text, "/admin/software", "name")[1]
    r = b.upload(dict(sw, name="my image"), "a.swu", b"x" * 100, action="/admin/software")
    assert r.status == 400
    value, msg = field_error(r.text, "/admin/software", "file")
    assert msg and 'value="my image"' in r.text and REFILE in r.text
    r = b.post("/admin/software/url", {"csrf": csrf, "url": "ftp://h/a.swu", "name": "u"})
    assert r.status == 400
    value, msg = field_error(r.text, "/admin/software/url", "url")
    assert value == "ftp://h/a.swu" and msg
    # mip: a bad name, a reserved version, a version published already
    pkg = tmp_path / "m.tar.gz"
    with tarfile.open(pkg, mode="w:gz") as t:
        t.add(make_py(tmp_path), "m-1.0/m.py")
    mip = {"csrf": csrf, "name": "bad name", "version": "1.0", "description": "d"}
    r = b.upload(mip, "m.tar.gz", pkg.read_bytes(), action="/admin/mip")
    assert r.status == 400
    value, msg = field_error(r.text, "/admin/mip", "name")
    assert value == "bad name" and "letters" in msg and 'value="1.0"' in r.text
    r = b.upload(dict(mip, name="m", version="latest"), "m.tar.gz", pkg.read_bytes(),
                 action="/admin/mip")
    assert r.status == 400
    assert field_error(r.text, "/admin/mip", "version")[0] == "latest"
    r = b.upload(dict(mip, name="m"), "m.tar.gz", pkg.read_bytes(), action="/admin/mip")
    assert r.status == 303, (r.status, r.text)
    r = b.upload(dict(mip, name="m"), "m.tar.gz", pkg.read_bytes(), action="/admin/mip")
    assert r.status == 409
    assert "published already" in field_error(r.text, "/admin/mip", "version")[1]
    with ops.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone() == (0,)


def test_refused_ota_publish_form_keeps_the_input(ops):
    """The OTA publish form, an upload form too: drawn again like the others."""
    import io
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        data = b"print(1)\n"
        info = tarfile.TarInfo("main.py")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    form = {"csrf": b.csrf("/admin/ota"), "repo": "acme app", "tag": "v1", "message": "first"}
    r = b.upload(form, "app.tar.gz", buf.getvalue(), action="/admin/ota/publish")
    assert r.status == 400 and r.header("Content-Type").startswith("text/html")
    value, msg = field_error(r.text, "/admin/ota/publish", "repo")
    assert value == "acme app" and "owner/name" in msg and 'value="first"' in r.text
    r = b.upload(dict(form, repo="acme/app", branch="main"), "app.tar.gz", buf.getvalue(),
                 action="/admin/ota/publish")
    assert r.status == 400
    value, msg = field_error(r.text, "/admin/ota/publish", "tag")
    assert value == "v1" and "not both" in msg
    r = b.upload(dict(form, repo="acme/app"), "app.tar.gz", b"not an archive",
                 action="/admin/ota/publish")
    assert r.status == 400
    assert field_error(r.text, "/admin/ota/publish", "file")[1].startswith("the upload")
    assert REFILE in r.text
    assert ops.get("/ota/api/repos/acme/app/releases/latest").status == 404


def test_refused_ota_repo_forms_keep_the_input(ops, tmp_path):
    """The OTA repository page's read-token and rollout forms: drawn again
    with the message beside the field and what was typed kept."""
    from test_ota import write_tree
    for tag in ("v1", "v2"):
        write_tree(str(tmp_path / tag), {"main.py": ("print(%r)\n" % tag).encode()})
        ops.ctl("ota", "publish", "--repo", "acme/app", "--tag", tag, str(tmp_path / tag))
    with ops.db() as c:
        before = c.execute("SELECT percent, paused FROM ota_rollouts").fetchall()
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    csrf = b.csrf("/admin/ota/acme/app")
    act = "/admin/ota/acme/app/tokens"
    r = b.post(act, {"csrf": csrf, "name": "b" * 65})     # refused by the declared rule
    assert r.status == 400 and r.header("Content-Type").startswith("text/html")
    value, msg = field_error(r.text, act, "name")
    assert value == "b" * 65 and "64 bytes" in msg
    r = b.post(act, {"csrf": csrf, "name": ""})
    assert r.status == 400 and field_error(r.text, act, "name")[0] == ""
    act = "/admin/ota/acme/app/rollout"
    r = b.post(act, {"csrf": csrf, "action": "stage", "percent": "101"})  # the declared rule
    assert r.status == 400 and r.header("Content-Type").startswith("text/html")
    value, msg = field_error(r.text, act, "percent")
    assert value == "101" and msg == "invalid percent: 0 to 100"
    r = b.post(act, {"csrf": csrf, "action": "stage", "percent": ""})  # the handler's rule
    assert r.status == 400 and field_error(r.text, act, "percent")[0] == ""
    assert "missing percent" in field_error(r.text, act, "percent")[1]
    r = b.post(act, {"csrf": csrf, "action": "explode"})  # no action of the page's buttons
    assert r.status == 400 and r.header("Content-Type").startswith("text/html")
    assert "invalid action" in r.text and 'action="/admin/ota/acme/app/tokens"' in r.text
    with ops.db() as c:
        assert c.execute("SELECT percent, paused FROM ota_rollouts").fetchall() == before
        assert c.execute("SELECT count(*) FROM ota_tokens").fetchone() == (0,)


def test_refused_rollout_create_keeps_the_input(ops, tmp_path):
    from test_software import make_swu
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    csrf = b.csrf("/admin/rollouts")
    with open(make_swu(str(tmp_path), "2.0"), "rb") as f:
        r = b.upload({"csrf": csrf, "name": "fw"}, "fw.swu", f.read(), action="/admin/software")
    assert r.status == 303, (r.status, r.text)
    with ops.db() as c:
        sid = c.execute("SELECT id FROM ddi_software").fetchone()[0]
    form = {"csrf": csrf, "name": "spring", "feed": "nofeed", "software": str(sid),
            "percent": "500", "max_failures": "3", "max_failure_rate": "10"}
    r = b.post("/admin/rollouts", form)                  # refused by the declared rule
    assert r.status == 400 and r.header("Content-Type").startswith("text/html")
    value, msg = field_error(r.text, "/admin/rollouts", "percent")
    assert value == "500" and msg
    p = FieldErrors("/admin/rollouts")
    p.feed(r.text)
    assert (p.fields["name"], p.fields["feed"], p.fields["software"], p.fields["max_failures"]) \
        == ("spring", "nofeed", str(sid), "3")
    r = b.post("/admin/rollouts", dict(form, percent="50"))    # a feed with no devices
    assert r.status == 409
    value, msg = field_error(r.text, "/admin/rollouts", "feed")
    assert value == "nofeed" and "no devices" in msg
    r = b.post("/admin/rollouts", dict(form, percent="50", software="999", confirm_empty="yes"))
    assert r.status == 400
    _, msg = field_error(r.text, "/admin/rollouts", "software")
    assert "no software 999" in msg and 'name="confirm_empty" value="yes" checked' in r.text
    r = b.post("/admin/rollouts", {"csrf": csrf, "software": str(sid)})   # feed missing
    assert r.status == 400
    assert field_error(r.text, "/admin/rollouts", "feed")[0] == ""
    with ops.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_rollouts").fetchone() == (0,)
    # a row's stage form: the message beside that row's percent, the typed value kept
    r = b.post("/admin/rollouts", dict(form, percent="50", confirm_empty="yes"))
    assert r.status == 303
    r = b.post("/admin/rollouts/1/stage", {"csrf": csrf, "percent": "101"})
    assert r.status == 400 and r.header("Content-Type").startswith("text/html")
    value, msg = field_error(r.text, "/admin/rollouts/1/stage", "percent")
    assert value == "101" and "1 to 100" in msg
    with ops.db() as c:
        assert c.execute("SELECT percent FROM ddi_rollouts").fetchone() == (50,)


# -- 4: every change made on the admin pages reaches the audit feed ----------

def audit_rows(nb):
    with nb.db() as c:
        return c.execute("SELECT \"user\", via, action, target FROM admin_audit ORDER BY id"
                         ).fetchall()


def test_every_page_change_is_audited(ops, tmpdir_shared):
    ops.ctl("device", "add", "d1", "--feed", "stable")
    ops.ctl("device", "add", "d2", "--feed", "stable")
    raw = make_raw_image(os.path.join(tmpdir_shared, "a.img"), size=4096)
    ops.import_image(raw, "ab", "pc", "main")
    start = len(audit_rows(ops))
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    csrf = b.csrf()
    with ops.db() as c:
        d1, d2 = [r[0] for r in c.execute("SELECT id FROM ddi_devices ORDER BY id")]
        carol = c.execute("SELECT id FROM users WHERE name='carol'").fetchone()[0]
    # questions and refusals change nothing and write nothing
    assert b.post("/admin/devices/%d/delete" % d2, {"csrf": csrf}).status == 200
    assert b.post("/admin/devices/bulk", {"csrf": csrf, "action": "delete",
                                          "id": d2}).status == 200
    assert b.post("/admin/users", {"csrf": csrf, "name": "carol",
                                   "password": "long-enough"}).status == 409
    assert len(audit_rows(ops)) == start
    steps = [("/admin/users", {"name": "erin", "password": "erin-pass-1", "role": "admin"}),
             ("/admin/users/%d/password" % carol, {"password": "carol-pass-2"}),
             ("/admin/users/%d/delete" % carol, {}),
             ("/admin/devices/%d/labels" % d1, {"name": "kitchen", "tags": "a,b"}),
             ("/admin/devices/%d/mode" % d1, {"mode": "latest"}),
             ("/admin/devices/%d/feed" % d1, {"feed": "beta"}),
             ("/admin/devices/%d/force" % d1, {}),
             ("/admin/devices/bulk", {"action": "feed", "feed": "gamma", "id": d2,
                                      "confirm": "yes"}),
             ("/admin/devices/%d/delete" % d2, {"confirm": "yes"}),
             ("/admin/images/delete", {"box": "ab", "image": "ab-pc-main"}),
             ("/admin/mip/evict", {})]
    for path, fields in steps:
        r = b.post(path, dict(fields, csrf=csrf))
        assert r.status == 303, (path, r.status, r.text)
    r = b.post("/admin/tokens", {"csrf": csrf, "name": "ci-token"})
    assert r.status == 201
    tok = [f["action"] for f in forms_of(r.body) if f["action"].endswith("/revoke")][0]
    assert b.post(tok, {"csrf": csrf}).status == 303
    b.post("/admin/logout", {"csrf": csrf})
    rows = audit_rows(ops)[start:]
    assert all(u == "admin" and via == "page" for u, via, _, _ in rows), rows
    got = [(a, t) for _, _, a, t in rows]
    want = [("user add", "user erin (admin)"),
            ("user password", "user carol: sessions ended, 0 API tokens revoked"),
            ("user delete", "user carol"),
            ("device labels", 'device #%d d1: name "kitchen", tags "a,b"' % d1),
            ("device mode", "device #%d d1: mode latest" % d1),
            ("device feed", "device #%d d1: feed beta" % d1),
            ("device force", "device #%d d1: update forced" % d1),
            ("devices feed", "set feed gamma on 1 device: d2"),
            ("device delete", "device #%d d2" % d2),
            ("images delete", "box=ab image=ab-pc-main: deleted ab/ab-pc-main"),
            ("mip evict", "evicted 0 bytes"),
            ("token create", "API token ci-token of admin")]
    assert got[:len(want)] == want, got
    assert got[len(want)][0] == "token revoke" and len(got) == len(want) + 1, got
    # the feed is on its page
    b.login("admin", ADMIN_PW)
    page = b.get("/admin/audit").text
    assert "user erin (admin)" in page and "images delete" in page


# -- 4, 5: "/" leads to the admin pages; the request log names the operator

def test_root_leads_to_the_admin_pages(ops):
    r = Browser(ops.port).get("/")
    assert r.status == 302 and r.header("Location").endswith("/admin/")


def test_request_log_has_the_operators_name(ops):
    b = Browser(ops.port)
    b.login("carol", "carol-pass-1")
    assert b.get("/admin/users?upage=1").status == 200
    assert ops.get("/list/").status == 200         # a box: no operator
    token = token_of(b)
    api = {"Authorization": "Bearer " + token}
    assert Browser(ops.port).request("GET", "/admin/api/whoami", headers=api).status == 200
    # an API error answered in JSON still names who asked (a handler's
    # answer: the router refuses a malformed id before anyone is signed in)
    assert Browser(ops.port).request("GET", "/admin/api/devices/no-such-device",
                                     headers=api).status == 404

    def users():
        with ops.db() as c:
            return dict(c.execute("SELECT path, \"user\" FROM request_log"))
    wait_until(lambda: {"/admin/users?upage=1", "/admin/api/whoami", "/list/",
                        "/admin/api/devices/no-such-device"} <= set(users()), "the rows logged")
    got = users()
    assert got["/admin/users?upage=1"] == "carol" and got["/admin/api/whoami"] == "carol"
    assert got["/admin/api/devices/no-such-device"] == "carol"
    assert got["/list/"] == ""
    # the page's column and the API's field
    page = b.get("/admin/requests").text
    assert '<td class="user">carol</td>' in page
    rows = json.loads(Browser(ops.port).request("GET", "/admin/api/requests",
                                                headers=api).body)
    rows = rows["rows"] if isinstance(rows, dict) else rows
    by_path = {r["path"]: r["user"] for r in rows}
    assert by_path["/admin/users?upage=1"] == "carol"
    assert by_path["/list/"] == ""


def test_router_refusals_name_the_user(ops):
    """Refused by the router before any handler (a malformed path, query
    or form field, a method no route takes): still logged with who asked,
    by session or by token; a refusal with no one signed in has no user."""
    b = Browser(ops.port)
    b.login("carol", "carol-pass-1")
    api = {"Authorization": "Bearer " + token_of(b)}
    csrf = b.csrf()
    assert b.get("/admin/rollouts/abc").status == 400                       # path
    assert b.get("/admin/audit?before=x").status == 400                     # query
    assert b.post("/admin/rollouts/1/stage", {"csrf": csrf, "percent": "x"}).status == 400
    assert b.request("DELETE", "/admin/settings").status == 405
    assert Browser(ops.port).request("GET", "/admin/api/rollouts/abc",
                                     headers=api).status == 400
    assert Browser(ops.port).request("GET", "/admin/api/devices?seen=soon",
                                     headers=api).status == 400
    assert Browser(ops.port).get("/admin/audit?before=y").status == 400     # nobody

    want = {"/admin/rollouts/abc", "/admin/audit?before=x", "/admin/rollouts/1/stage",
            "/admin/settings", "/admin/api/rollouts/abc", "/admin/api/devices?seen=soon",
            "/admin/audit?before=y"}

    def users():
        with ops.db() as c:
            return dict(c.execute('SELECT path, "user" FROM request_log WHERE status IN (400, 405)'))
    wait_until(lambda: want <= set(users()), "the refusals logged")
    got = users()
    assert {p: got[p] for p in want} == dict({p: "carol" for p in want},
                                             **{"/admin/audit?before=y": ""}), got


def test_unknown_admin_path_is_a_page_with_navigation(ops):
    assert Browser(ops.port).get("/admin/nowhere").status == 303     # log in first
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    for path in ("/admin/nowhere", "/admin/devices/1/nothing", "/admin/users/x/y/z"):
        r = b.get(path)
        assert r.status == 404 and r.header("Content-Type").startswith("text/html"), path
        assert 'href="/admin/devices"' in r.text and 'href="/admin/rollouts"' in r.text
        assert "there is no page at " + path in r.text
    r = b.get("/admin/<script>")
    assert r.status in (400, 404) and "<script>" not in r.text
    token = token_of(b)
    r = Browser(ops.port).request("GET", "/admin/api/nothing",
                                  headers={"Authorization": "Bearer " + token})
    assert r.status == 404 and json.loads(r.body)["error"].startswith("there is no page")


def test_api_changes_are_audited_as_api(ops, tmpdir_shared):
    raw = make_raw_image(os.path.join(tmpdir_shared, "p.img"), size=4096)
    ops.import_image(raw, "pb", "pc", "main")
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    api = {"Authorization": "Bearer " + token_of(b)}
    r = Browser(ops.port).request("DELETE", "/admin/api/images/pb/pb-pc-main", headers=api)
    assert r.status == 204, r.text
    # a refused API change writes nothing
    r = Browser(ops.port).request("DELETE", "/admin/api/images/pb/pb-pc-main", headers=api)
    assert r.status == 404
    rows = audit_rows(ops)
    assert rows[-1] == ("admin", "api", "images delete", "box=pb image=pb-pc-main"), rows
    assert [a for _, _, a, _ in rows].count("images delete") == 1


# -- issue 14: a store that cannot be read is "try again", not "log in" ------
def renamed(nb, table, to):
    """The table under another name: the store cannot read it.  PostgreSQL's
    prepared statements hold the table itself, not its name, so there the
    programs' connections are ended too: they connect again and prepare
    their statements anew, against the name as it is now (a statement that
    failed to prepare is not kept, so the name put back needs nothing)."""
    with nb.db() as c:
        c.execute("ALTER TABLE %s RENAME TO %s" % (table, to))
    if nb.pg_url and to.endswith("_away"):
        with nb.db() as c:
            c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE datname = current_database() AND pid <> pg_backend_pid()")


def test_store_error_is_503_never_a_login_or_an_empty_list(ops):
    """Who asks cannot be read (sessions, tokens): 503 with Retry-After, not
    the login redirect nor a 401; a page whose list cannot be read is a 503
    page, not an empty list."""
    b = Browser(ops.port)
    b.login("admin", ADMIN_PW)
    tok = token_of(b)
    renamed(ops, "sessions", "sessions_away")
    try:
        r = b.get("/admin/devices")
        assert r.status == 503, (r.status, r.header("Location"))
        assert int(r.header("Retry-After")) > 0 and "<nav" in r.text
    finally:
        renamed(ops, "sessions_away", "sessions")
    renamed(ops, "api_tokens", "api_tokens_away")
    try:
        r = Browser(ops.port).request("GET", "/admin/api/whoami",
                                      headers={"Authorization": "Bearer " + tok})
        assert r.status == 503 and r.header("Retry-After"), r.status
        assert json.loads(r.body)["error"]
    finally:
        renamed(ops, "api_tokens_away", "api_tokens")
    assert whoami(ops, tok) == 200 and b.get("/admin/devices").status == 200
    for table, pages in (("ddi_software", ("/admin/software", "/admin/rollouts")),
                         ("ddi_rollouts", ("/admin/rollouts", "/admin/")),
                         ("admin_audit", ("/admin/",)), ("users", ("/admin/users",))):
        renamed(ops, table, table + "_away")
        try:
            for page in pages:
                r = b.get(page)
                assert r.status == 503, (table, page, r.status)
                assert r.header("Retry-After"), (table, page)
            if table == "ddi_rollouts":  # one rollout: unreadable is 503, never a 404
                for page in ("/admin/rollouts/1", "/admin/api/rollouts/1"):
                    assert b.get(page).status == 503, page
        finally:
            renamed(ops, table + "_away", table)
        for page in pages:
            assert b.get(page).status == 200, (table, page)
