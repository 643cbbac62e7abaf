"""The OTA admin pages and the admin HTTP API's publishing (what a CI job
runs: the README's curl example), through lighttpd with a real browser-like
client and real curl."""
import io
import json
import os
import subprocess
import tarfile
import zipfile

import pytest

from admin_client import Browser, forms_of
from conftest import CTL
from ota_board import Board
from test_ota import write_tree


def targz(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zipped(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def site(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    p = subprocess.run([CTL, "user", "add", "viewer", "--role", "readonly"], env=nb.env,
                       input="viewer-pass-1\n", capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    nb.start()
    nb.tmp = tmpdir_shared
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    return nb, b


def api_token(b):
    r = b.post("/admin/tokens", {"csrf": b.csrf(), "name": "ci"})
    assert r.status == 201
    return r.text.split('<code id="new-token">')[1].split("</code>")[0]


def curl_publish(nb, token, archive, *fields):
    """The README's CI example, run with curl itself."""
    args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}"]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    for f in fields:
        args += ["-F", f]
    args += ["-F", "file=@" + archive, nb.url + "/admin/api/ota/publish"]
    p = subprocess.run(args, capture_output=True, text=True, check=True)
    body, _, status = p.stdout.rpartition("\n")
    return int(status), body


def counts(nb):
    with nb.db() as db:
        return tuple(db.execute("SELECT count(*) FROM " + t).fetchone()[0]
                     for t in ("ota_repos", "ota_releases", "ota_files", "ota_branches",
                               "ota_blobs"))


def test_ci_publishes_with_an_api_token(site):
    nb, b = site
    token = api_token(b)
    arc = os.path.join(nb.tmp, "app-1.2.tar.gz")
    with open(arc, "wb") as f:
        f.write(targz({"app-1.2/main.py": b"print(12)\n", "app-1.2/lib/u.py": b"u\n",
                       "app-1.2/.env": b"SECRET\n"}))
    status, body = curl_publish(nb, token, arc, "repo=acme/app", "tag=v1.2")
    assert status == 201, body
    out = json.loads(body)
    assert out["repo"] == "acme/app" and out["tag"] == "v1.2" and out["files"] == 2
    assert out["skipped"] == [{"path": ".env",
                               "reason": "hidden (the updater refuses hidden paths)"}]
    assert len(out["commit"]) == 40
    board = Board(nb.url + "/ota/api", nb.url + "/ota/raw", "acme", "app",
                  os.path.join(nb.tmp, "board"))
    m = board.run()
    assert m["version"] == "v1.2" and board.files() == {"main.py": b"print(12)\n",
                                                        "lib/u.py": b"u\n"}
    # a branch push and a zip from the same door
    z = os.path.join(nb.tmp, "dev.zip")
    with open(z, "wb") as f:
        f.write(zipped({"main.py": b"dev\n"}))
    status, body = curl_publish(nb, token, z, "repo=acme/app", "branch=main")
    assert status == 201, body
    dev = Board(nb.url + "/ota/api", nb.url + "/ota/raw", "acme", "app",
                os.path.join(nb.tmp, "dev"), channel="developer")
    dev.run()
    assert dev.files() == {"main.py": b"dev\n"}
    # CI stages the rollout of its release through the API too (README)
    def rollout(path, *fields):
        args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-H",
                "Authorization: Bearer " + token]
        for f in fields:
            args += ["-d", f]
        p = subprocess.run(args + [nb.url + path], capture_output=True, text=True, check=True)
        body, _, status = p.stdout.rpartition("\n")
        return int(status), json.loads(body)
    status, out = rollout("/admin/api/ota/acme/app/rollout", "action=stage", "percent=40")
    assert status == 200 and out["tag"] == "v1.2" and out["percent"] == 40
    assert out["paused"] is False
    for path, fields, want in (
            ("/admin/api/ota/acme/app/rollout", ["action=stage", "percent=400"], 400),
            ("/admin/api/ota/acme/app/rollout", ["action=jump"], 400),
            ("/admin/api/ota/ac%20me/app/rollout", ["action=pause"], 400),
            ("/admin/api/ota/acme/nope/rollout", ["action=pause"], 404)):
        status, out = rollout(path, *fields)
        assert status == want and out["error"], (path, status, out)
    with nb.db() as db:
        assert db.execute("SELECT percent, paused FROM ota_rollouts").fetchall() == [(40, 0)]
    # the same tag again: 409, the release never changes
    status, body = curl_publish(nb, token, arc, "repo=acme/app", "tag=v1.2")
    assert status == 409 and "exists" in json.loads(body)["error"]
    with nb.db() as db:
        rows = db.execute("SELECT \"user\", via, action, target FROM admin_audit"
                          " WHERE action LIKE 'ota%' ORDER BY id").fetchall()
    assert rows[0][:3] == ("admin", "api", "ota publish") and "acme/app v1.2" in rows[0][3]
    assert rows[1][2] == "ota push"


def test_upload_is_written_once_never_staged_in_var_tmp(site):
    """An uploaded archive goes from the request to the publisher's reader
    without a temporary copy (README, "uploads written once"): with
    <var>/tmp made a plain file no staging file can be made, and the
    publication still succeeds."""
    nb, b = site
    token = api_token(b)
    arc = os.path.join(nb.tmp, "once.tar.gz")
    with open(arc, "wb") as f:
        f.write(targz({"main.py": b"print('once')\n", "lib/x.py": b"x\n"}))
    tmp = os.path.join(nb.state, "tmp")
    if os.path.isdir(tmp):
        os.rmdir(tmp)
    with open(tmp, "w") as f:
        f.write("not a directory\n")
    status, body = curl_publish(nb, token, arc, "repo=acme/once", "tag=v1")
    assert status == 201, body
    assert json.loads(body)["files"] == 2
    board = Board(nb.url + "/ota/api", nb.url + "/ota/raw", "acme", "once",
                  os.path.join(nb.tmp, "once-board"))
    board.run()
    assert board.files() == {"main.py": b"print('once')\n", "lib/x.py": b"x\n"}
    # a broken archive is refused and leaves nothing behind
    status, body = curl_publish(nb, token, __file__, "repo=acme/once", "tag=v2")
    assert status == 400 and "archive" in json.loads(body)["error"], body
    with nb.db() as db:
        assert db.execute("SELECT count(*) FROM ota_releases").fetchone()[0] == 1


def test_api_publish_refused_without_token_and_for_bad_input(site):
    nb, b = site
    token = api_token(b)
    good = os.path.join(nb.tmp, "good.tar.gz")
    with open(good, "wb") as f:
        f.write(targz({"main.py": b"1\n"}))
    status, _ = curl_publish(nb, None, good, "repo=acme/app", "tag=v1")
    assert status == 401
    status, _ = curl_publish(nb, "nbx_" + "0" * 64, good, "repo=acme/app", "tag=v1")
    assert status == 401
    bad_paths = os.path.join(nb.tmp, "bad.tar.gz")
    with open(bad_paths, "wb") as f:
        f.write(targz({"main.py": b"1\n", "../evil.py": b"x\n"}))
    junk = os.path.join(nb.tmp, "junk.tar.gz")
    with open(junk, "wb") as f:
        f.write(b"\x1f\x8b not really gzip" * 10)
    for arc, fields, why in (
            (good, ["repo=acme", "tag=v1"], "repo"),
            (good, ["repo=acme/app", "tag=../v1"], "tag"),
            (good, ["repo=acme/app"], "tag or a branch"),
            (good, ["repo=acme/app", "tag=v1", "branch=main"], "tag or a branch"),
            (good, ["repo=acme/app", "tag=v1", "post_update=nope.py"], "post_update"),
            (good, ["repo=acme/app", "tag=v1", "version=a b"], "version"),
            (bad_paths, ["repo=acme/app", "tag=v1"], "refuses"),
            (junk, ["repo=acme/app", "tag=v1"], "archive")):
        status, body = curl_publish(nb, token, arc, *fields)
        assert status == 400, (fields, status, body)
        assert why in json.loads(body)["error"], (fields, body)
    # a read-only user's token may not publish
    v = Browser(nb.port)
    v.login("viewer", "viewer-pass-1")
    ro = api_token(v)
    status, _ = curl_publish(nb, ro, good, "repo=acme/app", "tag=v1")
    assert status == 403
    assert counts(nb) == (0, 0, 0, 0, 0)
    assert nb.get("/ota/api/repos/acme/app/releases/latest").status == 404


def test_admin_pages_publish_tokens_release_and_rollout(site):
    nb, b = site
    # publish from the page (an upload form with the session's CSRF token)
    page = b.get("/admin/ota")
    assert page.status == 200 and 'href="/admin/ota"' in page.text
    form = [f for f in forms_of(page.body) if f["action"] == "/admin/ota/publish"][0]
    csrf = form["fields"]["csrf"]
    r = b.upload({"csrf": csrf, "repo": "acme/app", "tag": "v1"}, "app.tar.gz",
                 targz({"main.py": b"print(1)\n", "lib/big.py": b"x" * 1234}),
                 action="/admin/ota/publish")
    assert r.status == 303 and r.header("location").startswith("/admin/ota/acme/app")
    # without the CSRF token: refused, nothing published
    r = b.upload({"repo": "acme/app", "tag": "v9"}, "x.tar.gz", targz({"a.py": b"a\n"}),
                 action="/admin/ota/publish")
    assert r.status == 400 and "CSRF token before the file" in r.text
    assert nb.get("/ota/api/repos/acme/app/releases/tags/v9").status == 404
    page = b.get("/admin/ota")
    assert "acme/app" in page.text and 'href="/admin/ota/acme/app"' in page.text

    repo = b.get("/admin/ota/acme/app")
    assert repo.status == 200 and "v1" in repo.text
    # a board token: shown once, kept hashed
    csrf = b.csrf("/admin/ota/acme/app")
    r = b.post("/admin/ota/acme/app/tokens", {"csrf": csrf, "name": "board <7>"})
    assert r.status == 201
    tok = r.text.split('<code id="new-token">')[1].split("</code>")[0]
    assert len(tok) == 64 and "board &lt;7&gt;" in r.text
    assert tok not in b.get("/admin/ota/acme/app").text
    board = Board(nb.url + "/ota/api", nb.url + "/ota/raw", "acme", "app",
                  os.path.join(nb.tmp, "b7"), token=tok)
    board.run()
    repo = b.get("/admin/ota/acme/app")
    assert "board &lt;7&gt;" in repo.text and "ota-updater" in repo.text    # the inventory

    rel = b.get("/admin/ota/acme/app/releases/v1")
    assert rel.status == 200
    assert "lib/big.py" in rel.text and "1234" in rel.text        # files and sizes
    assert "&quot;version&quot;:&quot;v1&quot;" in rel.text        # the manifest, escaped
    assert "board &lt;7&gt;" in rel.text                           # which boards are on it

    # rollout controls: stage, pause, resume (audited)
    write_tree(os.path.join(nb.tmp, "v2"), {"main.py": b"print(2)\n"})
    nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v2", os.path.join(nb.tmp, "v2"))
    for fields in ({"action": "stage", "percent": "25"}, {"action": "pause"},
                   {"action": "resume"}):
        fields["csrf"] = b.csrf("/admin/ota/acme/app")
        r = b.post("/admin/ota/acme/app/rollout", fields)
        assert r.status == 303, r.text
    assert "25%" in b.get("/admin/ota/acme/app").text
    with nb.db() as db:
        assert db.execute("SELECT percent, paused FROM ota_rollouts").fetchall() == [(25, 0)]
        acts = [r[0] for r in db.execute("SELECT action FROM admin_audit WHERE via='page'")]
    assert acts.count("ota rollout") == 3 and "ota publish" in acts and "ota token" in acts

    # revoke the token: the board is no longer known by it
    csrf = b.csrf("/admin/ota/acme/app")
    forms = [f for f in forms_of(b.get("/admin/ota/acme/app").body)
             if f["action"].endswith("/revoke")]
    assert len(forms) == 1
    assert b.post(forms[0]["action"], {"csrf": csrf}).status == 303
    with nb.db() as db:
        assert db.execute("SELECT count(*) FROM ota_tokens").fetchone()[0] == 0


def test_admin_bad_input_is_a_4xx_that_changes_nothing(site):
    nb, b = site
    write_tree(os.path.join(nb.tmp, "s"), {"main.py": b"1\n"})
    nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", os.path.join(nb.tmp, "s"))
    with nb.db() as db:
        before = db.execute("SELECT * FROM ota_rollouts").fetchall()
    csrf = b.csrf("/admin/ota/acme/app")
    for path, fields, status in (
            ("/admin/ota/acme/app/rollout", {"action": "stage", "percent": "101"}, 400),
            ("/admin/ota/acme/app/rollout", {"action": "stage"}, 400),
            ("/admin/ota/acme/app/rollout", {"action": "explode"}, 400),
            ("/admin/ota/acme/nope/rollout", {"action": "pause"}, 404),
            ("/admin/ota/acme/app/tokens", {"name": ""}, 400),
            ("/admin/ota/acme/app/tokens/99/revoke", {}, 404),
            ("/admin/ota/ac%20me/app/tokens", {"name": "x"}, 400)):
        fields["csrf"] = csrf
        r = b.post(path, fields)
        assert r.status == status, (path, fields, r.status, r.text)
    for path, status in (("/admin/ota/acme/nope", 404), ("/admin/ota/acme/app/releases/v9", 404),
                         ("/admin/ota/acme/app/releases/..x", 400), ("/admin/ota/a%00b/app", 400)):
        assert b.get(path).status == status, path
    # a read-only user sees the pages and may change nothing
    v = Browser(nb.port)
    v.login("viewer", "viewer-pass-1")
    assert v.get("/admin/ota/acme/app").status == 200
    r = v.post("/admin/ota/acme/app/rollout", {"csrf": v.csrf("/admin/ota/acme/app"),
                                               "action": "pause"})
    assert r.status == 403
    with nb.db() as db:
        assert db.execute("SELECT * FROM ota_rollouts").fetchall() == before
        assert db.execute("SELECT count(*) FROM ota_tokens").fetchone()[0] == 0
