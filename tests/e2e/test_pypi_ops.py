"""The Python index's operators: every `nestboxctl pypi` command (users,
indexes, upload, yank, delete, export -> import into a fresh store with pip
installing the same bytes from it), the admin pages under /admin/pypi
through the admin client (config, projects, yank seen by pip), and bad
input answered 4xx (or a non-zero exit) that changes nothing."""
import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest

from admin_client import Browser, forms_of
from conftest import CTL
from pypi_dists import basic, make_sdist, make_wheel, pip

ROOT_PW = "root-secret"
ADMIN_PW = "admin-pass-1"
JSON_ACCEPT = {"Accept": "application/vnd.pypi.simple.v1+json"}


def ctl(nb, *args, stdin=None):
    return subprocess.run([CTL, "pypi", *args], env=nb.env, input=stdin,
                          capture_output=True, text=True)


def ok(p):
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def login(nb, user, pw):
    return nb.request("POST", "/pypi/+login", {"Content-Type": "application/json"},
                      json.dumps({"user": user, "password": pw}).encode()).status


def config(nb, user, index):
    r = nb.get("/pypi/%s/%s" % (user, index), {"Accept": "application/json"})
    assert r.status == 200, r.body
    return json.loads(r.body)["result"]


def simple(nb, path):
    r = nb.get("/pypi/%s/+simple/%s/" % (path[0], path[1]), JSON_ACCEPT)
    return r.status, (json.loads(r.body) if r.status == 200 else None)


def files_of(nb, index, project):
    st, page = simple(nb, (index, project))
    return {f["filename"]: f for f in page["files"]} if st == 200 else {}


def store_counts(nb):
    with nb.db() as db:
        return tuple(db.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                     for t in ("pypi_users", "pypi_indexes", "pypi_files"))


@pytest.fixture
def px(make_nb):
    nb = make_nb({"NESTBOX_PYPI__ROOT_PASSWORD": ROOT_PW, "NESTBOX_ADMIN_PASSWORD": ADMIN_PW},
                 sub="ops")
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.start()
    return nb


@pytest.fixture
def dists(tmpdir_shared):
    d = os.path.join(tmpdir_shared, "dists")
    os.makedirs(d, exist_ok=True)
    return d


@pytest.fixture
def team(px, dists):
    """alice with alice/base (non-volatile) and alice/dev on top of it."""
    ok(ctl(px, "user", "add", "alice", "--email", "alice@example.org", stdin="alice-pw\n"))
    ok(ctl(px, "index", "create", "alice/base", "volatile=False"))
    ok(ctl(px, "index", "create", "alice/dev", "bases=alice/base,root/pypi"))
    return px, dists


def test_user_commands(px):
    p = ok(ctl(px, "user", "add", "bob", "--email", "bob@example.org", stdin="bob-pw-1\n"))
    assert "added bob" in p.stdout
    assert login(px, "bob", "bob-pw-1") == 200
    users = json.loads(ok(ctl(px, "user", "list", "--json")).stdout)
    assert {"name": "bob", "email": "bob@example.org", "indexes": 0} in users
    assert any(u["name"] == "root" for u in users)
    # the same name again is a conflict (3); a bad name a usage error (2); neither changes anything
    before = store_counts(px)
    assert ctl(px, "user", "add", "bob", stdin="x\n").returncode == 3
    assert ctl(px, "user", "add", "bad/name", stdin="x\n").returncode == 2
    assert ctl(px, "user", "add", "carol", stdin="\n").returncode == 1   # no password
    assert store_counts(px) == before
    ok(ctl(px, "user", "passwd", "bob", stdin="bob-pw-2\n"))
    assert login(px, "bob", "bob-pw-1") == 401 and login(px, "bob", "bob-pw-2") == 200
    assert ctl(px, "user", "passwd", "nobody", stdin="pw\n").returncode == 1
    ok(ctl(px, "index", "create", "bob/dev"))
    ok(ctl(px, "user", "delete", "bob"))
    assert login(px, "bob", "bob-pw-2") == 401
    assert px.get("/pypi/bob/dev", {"Accept": "application/json"}).status == 404
    assert ctl(px, "user", "delete", "root").returncode == 1
    assert ctl(px, "user", "delete", "bob").returncode == 1
    assert ctl(px, "user", "frobnicate").returncode == 2
    with px.db() as db:
        acts = [r[0] for r in db.execute("SELECT action FROM admin_audit WHERE via = 'cli'")]
    assert "pypi user add" in acts and "pypi user passwd" in acts and "pypi user delete" in acts


def test_index_commands_speak_devpi_config(team):
    nb, _ = team
    cfg = config(nb, "alice", "dev")
    assert cfg["type"] == "stage" and cfg["volatile"] is True
    assert cfg["bases"] == ["alice/base", "root/pypi"] and cfg["acl_upload"] == ["alice"]
    assert config(nb, "alice", "base")["volatile"] is False
    ok(ctl(nb, "index", "modify", "alice/dev", "acl_upload=alice,:AUTHENTICATED:",
           "mirror_whitelist=nb-lib", "title=2024"))
    cfg = config(nb, "alice", "dev")
    assert cfg["acl_upload"] == ["alice", ":AUTHENTICATED:"]
    assert cfg["mirror_whitelist"] == ["nb-lib"] and cfg["title"] == "2024"
    ok(ctl(nb, "index", "create", "alice/mirror", "type=mirror",
           "mirror_url=http://127.0.0.1:9/simple/", "mirror_cache_expiry=60"))
    cfg = config(nb, "alice", "mirror")
    assert cfg["type"] == "mirror" and cfg["mirror_url"] == "http://127.0.0.1:9/simple/"
    assert cfg["mirror_cache_expiry"] == 60
    rows = {r["index"]: r for r in json.loads(ok(ctl(nb, "index", "list", "--json")).stdout)}
    assert rows["alice/dev"]["bases"] == ["alice/base", "root/pypi"]
    assert rows["alice/mirror"]["type"] == "mirror" and rows["root/pypi"]["type"] == "mirror"
    assert set(json.loads(ok(ctl(nb, "index", "list", "alice", "--json")).stdout)[i]["index"]
               for i in range(3)) == {"alice/base", "alice/dev", "alice/mirror"}
    # refused, naming why, changing nothing
    before = (store_counts(nb), config(nb, "alice", "dev"))
    for args, rc, why in (
            (("create", "alice/x", "bases=nobody/nothing"), 1, "does not exist"),
            (("create", "alice/x", "volatile=maybe"), 1, "volatile"),
            (("create", "alice/x", "type=mirror"), 1, "mirror_url"),
            (("create", "alice/dev"), 3, "exists"),
            (("create", "ghost/x"), 1, "no such user"),
            (("create", "alice"), 2, "USER/INDEX"),
            (("create", "alice/../x"), 2, "letters"),
            (("modify", "alice/dev", "bases=alice/dev"), 1, "own base"),
            (("modify", "alice/dev", "acl_upload=a b"), 1, "acl_upload"),
            (("modify", "alice/dev", "novalue"), 2, "key=value"),
            (("modify", "alice/nope", "title=x"), 1, "no such index"),
            (("delete", "alice/nope"), 1, "no such index")):
        p = ctl(nb, "index", *args)
        assert p.returncode == rc and why in p.stderr, (args, p.returncode, p.stderr)
    assert (store_counts(nb), config(nb, "alice", "dev")) == before
    ok(ctl(nb, "index", "delete", "alice/mirror"))
    assert nb.get("/pypi/alice/mirror", {"Accept": "application/json"}).status == 404


def test_upload_runs_the_http_uploads_checks(team, tmpdir_shared):
    nb, d = team
    whl = make_wheel(d, "nb-up", "1.0", requires_python=">=3.7")
    sdist = make_sdist(d, "nb-up", "1.0")
    p = ok(ctl(nb, "upload", "alice/base", whl, sdist))
    assert p.stdout.count("uploaded") == 2
    files = files_of(nb, "alice/base", "nb-up")
    assert files[os.path.basename(whl)]["hashes"]["sha256"] == \
        hashlib.sha256(open(whl, "rb").read()).hexdigest()
    # metadata came from the file, as for twine's upload
    assert files[os.path.basename(whl)]["requires-python"] == ">=3.7"
    home = os.path.join(tmpdir_shared, "home")
    os.makedirs(home, exist_ok=True)
    target = os.path.join(tmpdir_shared, "site")
    p = pip(home, "install", "--index-url", nb.url + "/pypi/alice/dev/+simple/", "--target",
            target, "nb-up")
    assert p.returncode == 0, p.stdout + p.stderr
    # identical again: fine; other bytes under the name on a non-volatile index: conflict (3)
    ok(ctl(nb, "upload", "alice/base", whl))
    other = make_wheel(os.path.join(d, ".."), "nb-up", "1.0", summary="changed")
    before = store_counts(nb)
    p = ctl(nb, "upload", "alice/base", other)
    assert p.returncode == 3 and "non-volatile" in p.stderr
    junk = os.path.join(d, "nb_junk-1.0-py3-none-any.whl")
    open(junk, "wb").write(b"not a zip")
    p = ctl(nb, "upload", "alice/base", junk)
    assert p.returncode == 1 and "wheel" in p.stderr
    misnamed = os.path.join(d, "nb_other-1.0-py3-none-any.whl")
    shutil.copy(whl, misnamed)
    p = ctl(nb, "upload", "alice/base", misnamed)
    assert p.returncode == 1 and "name and version" in p.stderr
    p = ctl(nb, "upload", "root/pypi", whl)
    assert p.returncode == 1 and "mirror" in p.stderr
    p = ctl(nb, "upload", "alice/nope", whl)
    assert p.returncode == 1 and "no such index" in p.stderr
    p = ctl(nb, "upload", "alice/base", os.path.join(d, "missing.whl"))
    assert p.returncode == 1
    assert store_counts(nb) == before
    # the volatile index takes the new bytes
    ok(ctl(nb, "upload", "alice/dev", whl))
    ok(ctl(nb, "upload", "alice/dev", other))
    assert files_of(nb, "alice/dev", "nb-up")[os.path.basename(other)]["hashes"]["sha256"] == \
        hashlib.sha256(open(other, "rb").read()).hexdigest()


def test_yank_unyank_and_delete(team):
    nb, d = team
    w1, w2 = make_wheel(d, "nb-y", "1.0"), make_wheel(d, "nb-y", "2.0")
    s2 = make_sdist(d, "nb-y", "2.0")
    ok(ctl(nb, "upload", "alice/base", w1, w2, s2))
    p = ok(ctl(nb, "yank", "alice/base", "nb-y", "2.0", "--reason", "broken build"))
    assert "2 files" in p.stdout
    f = files_of(nb, "alice/base", "nb-y")
    assert f[os.path.basename(w2)]["yanked"] == "broken build"
    assert not f[os.path.basename(w1)].get("yanked")
    ok(ctl(nb, "unyank", "alice/base", "--file", os.path.basename(s2)))
    f = files_of(nb, "alice/base", "nb-y")
    assert not f[os.path.basename(s2)].get("yanked") and f[os.path.basename(w2)]["yanked"]
    ok(ctl(nb, "unyank", "alice/base", "NB_Y", "2.0"))    # any spelling of the name
    assert not any(x.get("yanked") for x in files_of(nb, "alice/base", "nb-y").values())
    before = store_counts(nb)
    for args, rc in ((("yank", "alice/base", "nb-y", "9.9"), 1),
                     (("yank", "alice/base", "--file", "nope.whl"), 1),
                     (("yank", "alice/base", "nb-y"), 2),
                     (("yank", "alice/base", "bad name", "1.0"), 2),
                     (("yank", "alice/nope", "nb-y", "1.0"), 1),
                     # the index is not volatile: deleting needs --force, as devpi's ?force
                     (("delete", "alice/base", "nb-y", "2.0"), 1),
                     (("delete", "alice/base", "--file", os.path.basename(w1)), 1)):
        assert ctl(nb, *args).returncode == rc, args
    assert store_counts(nb) == before
    p = ok(ctl(nb, "delete", "alice/base", "nb-y", "2.0", "--force"))
    assert "2 files" in p.stdout
    assert set(files_of(nb, "alice/base", "nb-y")) == {os.path.basename(w1)}
    ok(ctl(nb, "delete", "alice/base", "--file", os.path.basename(w1), "--force"))
    assert simple(nb, ("alice/base", "nb-y"))[0] == 404
    with nb.db() as db:
        acts = [r[0] for r in db.execute("SELECT action FROM admin_audit WHERE via = 'cli'")]
    assert {"pypi yank", "pypi unyank", "pypi delete", "pypi upload"} <= set(acts)


def populate(nb, d):
    """Users, indexes with bases, wheels and an sdist, a yanked file."""
    ok(ctl(nb, "index", "modify", "alice/dev", "mirror_whitelist=nb-app", "title=Dev"))
    lib1, lib2 = make_wheel(d, "nb-lib", "1.0"), make_wheel(d, "nb-lib", "1.1")
    app = make_wheel(d, "nb-app", "2.0", deps=["nb-lib>=1.0"], requires_python=">=3")
    src = make_sdist(d, "nb-lib", "1.1")
    ok(ctl(nb, "upload", "alice/base", lib1, lib2, src))
    ok(ctl(nb, "upload", "alice/dev", app))
    ok(ctl(nb, "yank", "alice/base", "nb-lib", "1.1", "--reason", "regression"))
    return lib1, lib2, app, src


def test_export_then_import_into_a_fresh_store(team, make_nb, tmpdir_shared):
    nb, d = team
    lib1, lib2, app, src = populate(nb, d)
    out = os.path.join(tmpdir_shared, "export")
    p = ok(ctl(nb, "export", out))
    assert "3 indexes, 4 files" in p.stdout
    exported = json.load(open(os.path.join(out, "pypi.json")))
    assert exported["format"] == "nestbox-pypi"
    assert {u["name"] for u in exported["users"]} == {"alice", "root"}
    assert all(u["pw_hash"].startswith("$argon2id$") for u in exported["users"])
    for f in (lib1, lib2, app, src):
        h = hashlib.sha256(open(f, "rb").read()).hexdigest()
        assert open(os.path.join(out, "files", h), "rb").read() == open(f, "rb").read()
    # into a store that never saw these: another root password at its start
    fresh = make_nb({"NESTBOX_PYPI__ROOT_PASSWORD": "another-root"}, sub="fresh")
    fresh.start()
    p = ok(ctl(fresh, "import", out))
    assert "2 users, 3 indexes, 4 files" in p.stdout
    # the same shape on both sides: exporting the import gives the same document
    again = os.path.join(tmpdir_shared, "export-again")
    ok(ctl(fresh, "export", again))
    assert json.load(open(os.path.join(again, "pypi.json"))) == exported
    assert sorted(os.listdir(os.path.join(again, "files"))) == \
        sorted(os.listdir(os.path.join(out, "files")))
    # users keep their passwords (root's is the exported one), indexes their config
    assert login(fresh, "alice", "alice-pw") == 200 and login(fresh, "root", ROOT_PW) == 200
    assert config(fresh, "alice", "dev") == config(nb, "alice", "dev")
    assert files_of(fresh, "alice/base", "nb-lib") == files_of(nb, "alice/base", "nb-lib")
    # pip installs from the imported store, skipping the yanked 1.1, with the same bytes
    home = os.path.join(tmpdir_shared, "home")
    os.makedirs(home, exist_ok=True)
    dl = os.path.join(tmpdir_shared, "dl")
    p = pip(home, "download", "--index-url", fresh.url + "/pypi/alice/dev/+simple/", "--dest",
            dl, "nb-app")
    assert p.returncode == 0, p.stdout + p.stderr
    got = {f: hashlib.sha256(open(os.path.join(dl, f), "rb").read()).hexdigest()
           for f in os.listdir(dl)}
    assert got == {os.path.basename(f): hashlib.sha256(open(f, "rb").read()).hexdigest()
                   for f in (app, lib1)}


def test_import_refuses_a_used_store_and_a_bad_export(team, make_nb, tmpdir_shared):
    nb, d = team
    populate(nb, d)
    out = os.path.join(tmpdir_shared, "export")
    ok(ctl(nb, "export", out))
    # the store it came from is not empty: refused (3), nothing changed
    before = store_counts(nb)
    p = ctl(nb, "import", out)
    assert p.returncode == 3 and "empty store" in p.stderr
    assert store_counts(nb) == before
    # an export into a directory that holds something is refused
    assert ctl(nb, "export", out).returncode == 1
    fresh = make_nb({"NESTBOX_PYPI__ROOT_PASSWORD": "another-root"}, sub="fresh2")
    fresh.start()
    assert fresh.get("/pypi/root/pypi", {"Accept": "application/json"}).status == 200
    empty = store_counts(fresh)
    # a file whose bytes do not hash to their name, a missing file, a broken document
    bad = os.path.join(tmpdir_shared, "bad")
    shutil.copytree(out, bad)
    victim = sorted(os.listdir(os.path.join(bad, "files")))[0]
    open(os.path.join(bad, "files", victim), "ab").write(b"tampered")
    p = ctl(fresh, "import", bad)
    assert p.returncode == 1 and victim in p.stderr
    os.remove(os.path.join(bad, "files", victim))
    assert ctl(fresh, "import", bad).returncode == 1
    doc = json.load(open(os.path.join(out, "pypi.json")))
    shutil.rmtree(bad)
    shutil.copytree(out, bad)
    for broken in ({"format": "other"}, dict(doc, files="x"),
                   dict(doc, indexes=doc["indexes"] + [{"user": "alice", "name": "../x"}]),
                   dict(doc, indexes=[dict(i, bases=["ghost/x"]) for i in doc["indexes"]]),
                   dict(doc, files=[dict(f, filename="../x") for f in doc["files"]])):
        json.dump(broken, open(os.path.join(bad, "pypi.json"), "w"))
        p = ctl(fresh, "import", bad)
        assert p.returncode == 1, (broken, p.stderr)
        assert store_counts(fresh) == empty
    assert ctl(fresh, "import", os.path.join(tmpdir_shared, "nowhere")).returncode == 1
    assert store_counts(fresh) == empty
    ok(ctl(fresh, "import", out))


# -- the admin pages ----------------------------------------------------------

@pytest.fixture
def admin(team):
    nb, d = team
    b = Browser(nb.port)
    b.login("admin", ADMIN_PW)
    return nb, d, b


def form(page, action):
    for f in forms_of(page.body):
        if f["action"] == action:
            return dict(f["fields"])
    raise AssertionError("no form %s on the page" % action)


def test_admin_indexes_and_index_pages(admin):
    nb, d, b = admin
    ok(ctl(nb, "upload", "alice/base", make_wheel(d, "nb-page", "1.0"),
           make_sdist(d, "nb-page", "1.0")))
    ok(ctl(nb, "index", "modify", "alice/base", 'title=<script>alert("x")</script>'))
    r = b.get("/admin/pypi")
    assert r.status == 200
    assert "<script>" not in r.text and "&lt;script&gt;alert(&quot;x&quot;)" in r.text
    assert 'href="/admin/pypi"' in r.text and 'class="on">Python' in r.text
    row = re.search(r'<tr><td><a href="/admin/pypi/alice/base">alice/base</a>.*?</tr>', r.text,
                    re.S).group(0)
    assert "<td>stage</td>" in row and "<td>no</td>" in row and "<td>1</td><td>2</td>" in row
    assert re.search(r'alice/dev</a>.*?<td>alice/base, root/pypi</td>', r.text, re.S)
    assert "<td>mirror</td>" in r.text
    r = b.get("/admin/pypi/alice/base")
    assert r.status == 200 and 'href="/admin/pypi/alice/base/nb-page"' in r.text
    assert "1 projects, 2 files" in r.text
    # the config form, through the rules of devpi's PATCH
    fields = form(b.get("/admin/pypi/alice/dev"), "/admin/pypi/alice/dev")
    assert fields["bases"] == "alice/base, root/pypi" and "csrf" in fields
    fields.update(type="stage", volatile="false", bases="alice/base",
                  acl_upload="alice, :AUTHENTICATED:", mirror_whitelist="nb-page",
                  mirror_url="", mirror_cache_expiry="600", title="Team dev")
    r = b.post("/admin/pypi/alice/dev", fields)
    assert r.status == 303 and "done=config+saved" in r.header("Location")
    cfg = config(nb, "alice", "dev")
    assert cfg["volatile"] is False and cfg["bases"] == ["alice/base"]
    assert cfg["acl_upload"] == ["alice", ":AUTHENTICATED:"] and cfg["title"] == "Team dev"
    assert cfg["mirror_whitelist"] == ["nb-page"]
    assert "config saved" in b.get(r.header("Location")).text
    with nb.db() as db:
        audit = db.execute("SELECT \"user\", via, target FROM admin_audit WHERE action = "
                           "'pypi index modify'").fetchall()
    assert audit and audit[-1][:2] == ("admin", "page") and "alice/dev" in audit[-1][2]


def test_admin_refuses_bad_input_and_changes_nothing(admin):
    nb, d, b = admin
    ok(ctl(nb, "upload", "alice/base", make_wheel(d, "nb-bad", "1.0")))
    fields = form(b.get("/admin/pypi/alice/dev"), "/admin/pypi/alice/dev")
    before = config(nb, "alice", "dev")
    for change, why in (({"bases": "ghost/none"}, "does not exist"),
                        ({"bases": "alice/dev"}, "own base"),
                        ({"type": "warehouse"}, "stage or mirror"),
                        ({"volatile": "perhaps"}, "volatile"),
                        ({"acl_upload": "not a name"}, "acl_upload"),
                        ({"type": "mirror", "mirror_url": ""}, "mirror_url"),
                        ({"mirror_url": "ftp://x/"}, "mirror_url")):
        r = b.post("/admin/pypi/alice/dev", dict(fields, **change))
        assert r.status == 400 and why in r.text, (change, r.status, r.text[:300])
    r = b.post("/admin/pypi/alice/dev", dict(fields, mirror_cache_expiry="-1"))
    assert r.status == 400
    nocsrf = dict(fields, title="no csrf")
    del nocsrf["csrf"]
    assert b.post("/admin/pypi/alice/dev", nocsrf).status == 403
    assert b.post("/admin/pypi/alice/dev", dict(nocsrf, csrf="00" * 32)).status == 403
    assert config(nb, "alice", "dev") == before
    # unknown index or project: 404; names that are none: 400
    assert b.get("/admin/pypi/alice/nope").status == 404
    assert b.get("/admin/pypi/ghost/base").status == 404
    assert b.get("/admin/pypi/alice/base/nb-none").status == 404
    assert b.get("/admin/pypi/alice/base/-bad-").status == 400
    assert b.get("/admin/pypi/%2Bx/base").status == 400
    assert b.post("/admin/pypi/alice/nope", fields).status == 404
    # a change names a version or a file of this project, with the session's token
    page = b.get("/admin/pypi/alice/base/nb-bad")
    csrf = form(page, "/admin/pypi/alice/base/nb-bad/yank")["csrf"]
    base = "/admin/pypi/alice/base/nb-bad/"
    files = files_of(nb, "alice/base", "nb-bad")
    for path, f, status in (("yank", {"confirm": "yes"}, 400),
                            ("yank", {"version": "1.0", "file": "x.whl", "confirm": "yes"}, 400),
                            ("yank", {"version": "9.9", "confirm": "yes"}, 404),
                            ("yank", {"version": "1.0 ", "confirm": "yes"}, 400),
                            ("delete", {"file": "nb_other-1.0-py3-none-any.whl",
                                        "confirm": "yes"}, 404),
                            ("delete", {"file": "../etc", "confirm": "yes"}, 400),
                            ("delete", {"version": "1.0", "confirm": "maybe"}, 400)):
        r = b.post(base + path, dict(f, csrf=csrf))
        assert r.status == status, (path, f, r.status, r.text[:200])
    assert b.post(base + "delete", {"version": "1.0", "confirm": "yes"}).status == 403
    assert b.post("/admin/pypi/alice/nope/nb-bad/delete",
                  {"version": "1.0", "confirm": "yes", "csrf": csrf}).status == 404
    assert files_of(nb, "alice/base", "nb-bad") == files
    # a read-only user sees the pages but changes nothing
    p = subprocess.run([CTL, "user", "add", "viewer", "--role", "readonly"], env=nb.env,
                       input="viewer-pass-1\n", capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    v = Browser(nb.port)
    v.login("viewer", "viewer-pass-1")
    page = v.get("/admin/pypi/alice/base/nb-bad")
    assert page.status == 200 and "/yank" not in page.text
    vcsrf = forms_of(page.body)[0]["fields"]["csrf"]
    assert v.post(base + "delete", {"version": "1.0", "confirm": "yes",
                                    "csrf": vcsrf}).status == 403
    assert files_of(nb, "alice/base", "nb-bad") == files
    # anonymous: to the login page
    assert Browser(nb.port).get("/admin/pypi").status == 303


def test_refused_config_form_keeps_the_input_beside_the_field(admin):
    """The index's config form drawn again: the message beside the field
    it is about, every typed value kept (selects too), nothing saved."""
    from test_operators import FieldErrors, field_error
    nb, d, b = admin
    act = "/admin/pypi/alice/dev"
    fields = form(b.get(act), act)
    before = config(nb, "alice", "dev")
    for change, field, why in (({"bases": "ghost/none"}, "bases", "does not exist"),
                               ({"bases": "alice/dev"}, "bases", "own base"),
                               ({"type": "warehouse"}, "type", "stage or mirror"),
                               ({"volatile": "perhaps"}, "volatile", "true or false"),
                               ({"acl_upload": "not a name"}, "acl_upload", "user names"),
                               ({"type": "mirror", "mirror_url": ""}, "mirror_url", "needs"),
                               ({"mirror_url": "ftp://x/"}, "mirror_url", "http(s) URL"),
                               ({"mirror_cache_expiry": "-1"}, "mirror_cache_expiry", "")):
        typed = dict(fields, type="stage", volatile="false", title="typed <title>")
        typed.update(change)
        r = b.post(act, typed)
        assert r.status == 400 and r.header("Content-Type").startswith("text/html"), change
        value, msg = field_error(r.text, act, field)
        assert msg and why in msg, (change, msg)
        if field not in ("type", "volatile"):
            assert value == typed[field], (change, value)
        p = FieldErrors(act)
        p.feed(r.text)
        assert p.fields["title"] == "typed <title>", change
        for sel, bad in (("type", "warehouse"), ("volatile", "perhaps")):
            assert p.fields[sel] == typed[sel] or typed[sel] == bad, (change, p.fields)
    # a conflict with the other indexes (a cycle of bases) is drawn the same way
    base = form(b.get("/admin/pypi/alice/base"), "/admin/pypi/alice/base")
    r = b.post("/admin/pypi/alice/base", dict(base, bases="alice/dev"))
    assert r.status == 409
    value, msg = field_error(r.text, "/admin/pypi/alice/base", "bases")
    assert value == "alice/dev" and "cycle" in msg
    assert config(nb, "alice", "dev") == before


def test_a_yank_on_the_admin_page_is_seen_by_pip(admin, tmpdir_shared):
    nb, d, b = admin
    w1, w2 = make_wheel(d, "nb-yk", "1.0"), make_wheel(d, "nb-yk", "1.1")
    ok(ctl(nb, "upload", "alice/base", w1, w2))
    home = os.path.join(tmpdir_shared, "home")
    os.makedirs(home, exist_ok=True)
    index = nb.url + "/pypi/alice/dev/+simple/"

    def installed(*req):
        target = os.path.join(tmpdir_shared, "t%d" % len(os.listdir(tmpdir_shared)))
        p = pip(home, "install", "--index-url", index, "--target", target, *req)
        assert p.returncode == 0, p.stdout + p.stderr
        return open(os.path.join(target, "nb_yk", "__init__.py")).read()

    assert installed("nb-yk") == "VERSION = '1.1'\n"
    page = b.get("/admin/pypi/alice/base/nb-yk")
    fields = form(page, "/admin/pypi/alice/base/nb-yk/yank")   # the first: version 1.1
    assert fields["version"] == "1.1" and fields["yank"] == "yes"
    # the button asks first; nothing changes until the operator confirms
    r = b.post("/admin/pypi/alice/base/nb-yk/yank", fields)
    assert r.status == 200 and "Really yank 1.1" in r.text
    assert not files_of(nb, "alice/base", "nb-yk")[os.path.basename(w2)].get("yanked")
    confirm = [f["fields"] for f in forms_of(r.body)
               if f["fields"].get("confirm") == "yes"][0]
    r = b.post("/admin/pypi/alice/base/nb-yk/yank", confirm)
    assert r.status == 303 and r.header("Location").endswith("/admin/pypi/alice/base/nb-yk"
                                                             "?done=yanked")
    assert "yanked" in b.get(r.header("Location")).text
    assert files_of(nb, "alice/base", "nb-yk")[os.path.basename(w2)]["yanked"] is True
    # pip skips the yanked version, and still installs it when pinned (PEP 592)
    assert installed("nb-yk") == "VERSION = '1.0'\n"
    assert installed("nb-yk==1.1") == "VERSION = '1.1'\n"
    # unyank from the page: pip takes 1.1 again
    r = b.post("/admin/pypi/alice/base/nb-yk/yank", dict(confirm, yank="no"))
    assert r.status == 303 and installed("nb-yk") == "VERSION = '1.1'\n"
    # delete one file, confirmed (the index is not volatile: the confirmation is the force)
    r = b.post("/admin/pypi/alice/base/nb-yk/delete",
               {"csrf": confirm["csrf"], "file": os.path.basename(w2)})
    assert r.status == 200 and "Really delete" in r.text and "not volatile" in r.text
    r = b.post("/admin/pypi/alice/base/nb-yk/delete",
               {"csrf": confirm["csrf"], "file": os.path.basename(w2), "confirm": "yes"})
    assert r.status == 303
    assert set(files_of(nb, "alice/base", "nb-yk")) == {os.path.basename(w1)}
    r = b.post("/admin/pypi/alice/base/nb-yk/delete",
               {"csrf": confirm["csrf"], "version": "1.0", "confirm": "yes"})
    assert r.status == 303 and r.header("Location").endswith("/admin/pypi/alice/base"
                                                             "?done=deleted")
    assert simple(nb, ("alice/base", "nb-yk"))[0] == 404
    with nb.db() as db:
        rows = db.execute("SELECT action, target FROM admin_audit WHERE via = 'page'"
                          " AND action LIKE 'pypi %'").fetchall()
    assert [a for a, _ in rows] == ["pypi yank", "pypi unyank", "pypi delete", "pypi delete"]
    assert "alice/base nb-yk 1.1" in rows[0][1]
