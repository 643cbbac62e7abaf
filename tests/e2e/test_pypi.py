"""The Python package index with the real clients Debian ships: twine
uploads (Basic auth, --skip-existing, digests checked), pip install /
download / index versions through a stage that inherits another, the
simple API's two formats, devpi's JSON API for users and indexes."""
import hashlib
import json
import os
import zipfile

import pytest

from pypi_dists import basic, make_sdist, make_wheel, pip, twine, upload_form

ROOT_PW = "root-secret"


@pytest.fixture
def px(make_nb):
    nb = make_nb({"NESTBOX_PYPI__ROOT_PASSWORD": ROOT_PW}, sub="pypi")
    nb.start()
    return nb


def put_json(nb, path, obj, auth, method="PUT"):
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    h.update(auth)
    return nb.request(method, path, h, json.dumps(obj).encode())


def add_user(nb, name, pw):
    r = put_json(nb, "/pypi/" + name, {"password": pw, "email": name + "@example.org"},
                 basic("root", ROOT_PW))
    assert r.status == 201, r.body


def add_index(nb, user, pw, name, **cfg):
    r = put_json(nb, "/pypi/%s/%s" % (user, name), cfg, basic(user, pw))
    assert r.status == 201, r.body
    return r


def upload(nb, user, index, path, auth, **kw):
    body, h = upload_form(path, **kw)
    h.update(auth)
    return nb.request("POST", "/pypi/%s/%s/" % (user, index), h, body)


@pytest.fixture
def team(px, tmpdir_shared):
    """alice with alice/base (non-volatile) and alice/dev inheriting it."""
    add_user(px, "alice", "alice-pw")
    add_index(px, "alice", "alice-pw", "base", volatile=False)
    add_index(px, "alice", "alice-pw", "dev", bases=["alice/base", "root/pypi"])
    d = os.path.join(tmpdir_shared, "dists")
    os.makedirs(d, exist_ok=True)
    return px, d


def test_root_and_root_pypi_created_at_init(px):
    r = px.get("/pypi/root/pypi", {"Accept": "application/json"})
    assert r.status == 200
    cfg = json.loads(r.body)["result"]
    assert cfg["type"] == "mirror" and cfg["mirror_url"] == "https://pypi.org/simple/"
    # the password from NESTBOX_PYPI__ROOT_PASSWORD works, another does not
    r = px.request("POST", "/pypi/+login", {"Content-Type": "application/json"},
                   json.dumps({"user": "root", "password": ROOT_PW}).encode())
    assert r.status == 200 and json.loads(r.body)["type"] == "proxyauth"
    r = px.request("POST", "/pypi/+login", {}, json.dumps({"user": "root", "password": "x"}).encode())
    assert r.status == 401


def test_no_root_pypi(make_nb):
    nb = make_nb({"NESTBOX_PYPI__NO_ROOT_PYPI": "true"}, sub="noroot")
    nb.start()
    assert nb.get("/pypi/root/pypi", {"Accept": "application/json"}).status == 404
    assert nb.get("/pypi/root", {"Accept": "application/json"}).status == 200


def test_twine_upload_then_pip_install_download_and_versions_through_bases(team, tmpdir_shared):
    nb, d = team
    lib = make_wheel(d, "nb-lib", "1.0", summary="the library")
    lib2 = make_wheel(d, "nb-lib", "1.1", summary="the library")
    app = make_wheel(d, "nb-app", "2.0", deps=["nb-lib>=1.1"])
    home = os.path.join(tmpdir_shared, "home")
    os.makedirs(home, exist_ok=True)
    p = twine(home, nb.url + "/pypi/alice/base/", "alice", "alice-pw", lib, lib2)
    assert p.returncode == 0, p.stdout + p.stderr
    p = twine(home, nb.url + "/pypi/alice/dev/", "alice", "alice-pw", app)
    assert p.returncode == 0, p.stdout + p.stderr
    index = nb.url + "/pypi/alice/dev/+simple/"
    target = os.path.join(tmpdir_shared, "site")
    p = pip(home, "install", "--index-url", index, "--target", target, "nb-app")
    assert p.returncode == 0, p.stdout + p.stderr
    # the dependency came from the base, at the version the requirement asks
    assert open(os.path.join(target, "nb_lib", "__init__.py")).read() == "VERSION = '1.1'\n"
    assert os.path.exists(os.path.join(target, "nb_app", "__init__.py"))
    dl = os.path.join(tmpdir_shared, "dl")
    p = pip(home, "download", "--index-url", index, "--dest", dl, "--no-deps", "nb-lib==1.0")
    assert p.returncode == 0, p.stdout + p.stderr
    assert open(os.path.join(dl, os.path.basename(lib)), "rb").read() == open(lib, "rb").read()
    p = pip(home, "index", "versions", "--index-url", index, "nb-lib")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "nb-lib (1.1)" in p.stdout and "1.1, 1.0" in p.stdout


def test_upload_answers_twine_expects(team):
    nb, d = team
    whl = make_wheel(d, "nb-rules", "1.0")
    r = upload(nb, "alice", "base", whl, {})
    assert r.status == 401 and r.header("WWW-Authenticate") == 'Basic realm="pypi"'
    r = upload(nb, "alice", "base", whl, basic("alice", "wrong"))
    assert r.status == 401
    add_user(nb, "bob", "bob-pw")
    assert upload(nb, "alice", "base", whl, basic("bob", "bob-pw")).status == 403
    assert upload(nb, "root", "pypi", whl, basic("root", ROOT_PW)).status == 403
    assert upload(nb, "alice", "base", whl, basic("alice", "alice-pw")).status == 200
    # identical again: 200; the same name with other bytes: 409 (non-volatile)
    assert upload(nb, "alice", "base", whl, basic("alice", "alice-pw")).status == 200
    other = make_wheel(os.path.join(d, ".."), "nb-rules", "1.0", summary="changed")
    r = upload(nb, "alice", "base", other, basic("alice", "alice-pw"))
    assert r.status == 409, r.body
    # a volatile index takes the new bytes
    assert upload(nb, "alice", "dev", whl, basic("alice", "alice-pw")).status == 200
    assert upload(nb, "alice", "dev", other, basic("alice", "alice-pw")).status == 200
    page = json.loads(nb.get("/pypi/alice/dev/+simple/nb-rules/",
                             {"Accept": "application/vnd.pypi.simple.v1+json"}).body)
    assert page["files"][0]["hashes"]["sha256"] == hashlib.sha256(open(other, "rb").read()).hexdigest()


def test_twine_skip_existing_and_a_tampered_digest(team, tmpdir_shared):
    nb, d = team
    whl = make_wheel(d, "nb-skip", "1.0")
    home = os.path.join(tmpdir_shared, "home")
    os.makedirs(home, exist_ok=True)
    url = nb.url + "/pypi/alice/base/"
    assert twine(home, url, "alice", "alice-pw", whl).returncode == 0
    other = make_wheel(os.path.join(d, ".."), "nb-skip", "1.0", summary="changed")
    p = twine(home, url, "alice", "alice-pw", other)
    assert p.returncode != 0 and "409" in p.stdout + p.stderr
    p = twine(home, url, "alice", "alice-pw", other, extra=["--skip-existing"])
    assert p.returncode == 0, p.stdout + p.stderr
    # a digest that does not match the bytes: refused, nothing stored
    fresh = make_wheel(d, "nb-tamper", "1.0")
    r = upload(nb, "alice", "base", fresh, basic("alice", "alice-pw"),
               fields={"sha256_digest": "0" * 64})
    assert r.status == 400 and b"sha256_digest" in r.body
    r = upload(nb, "alice", "base", fresh, basic("alice", "alice-pw"),
               fields={"md5_digest": "0" * 32})
    assert r.status == 400 and b"md5_digest" in r.body
    assert nb.get("/pypi/alice/base/+simple/nb-tamper/").status == 404


def test_upload_refuses_files_that_are_not_what_they_say(team):
    nb, d = team
    auth = basic("alice", "alice-pw")
    whl = make_wheel(d, "nb-good", "1.0")
    # the file name's version differs from the metadata's
    sub = os.path.join(d, "sub")
    os.makedirs(sub)
    wrong = os.path.join(d, "nb_good-2.0-py3-none-any.whl")
    os.rename(make_wheel(sub, "nb-good", "1.0"), wrong)
    r = upload(nb, "alice", "base", wrong, auth, version="2.0")
    assert r.status == 400 and b"name and version" in r.body
    # not a zip at all / a zip without METADATA
    junk = os.path.join(d, "nb_junk-1.0-py3-none-any.whl")
    open(junk, "wb").write(b"not a zip file")
    assert upload(nb, "alice", "base", junk, auth).status == 400
    with zipfile.ZipFile(junk, "w") as z:
        z.writestr("nb_junk/__init__.py", "")
    r = upload(nb, "alice", "base", junk, auth)
    assert r.status == 400 and b"METADATA" in r.body
    bad = os.path.join(d, "nb-good-1.0.exe")
    open(bad, "wb").write(b"MZ")
    assert upload(nb, "alice", "base", bad, auth).status == 400
    # the form says another project than the file
    assert upload(nb, "alice", "base", whl, auth, name="other").status == 400
    assert nb.get("/pypi/alice/base/+simple/nb-good/").status == 404
    # an sdist is read through its PKG-INFO
    sd = make_sdist(d, "nb-good", "1.0", requires_python=">=3.8")
    assert upload(nb, "alice", "base", sd, auth).status == 200


def test_simple_api_formats_metadata_and_files(team):
    nb, d = team
    auth = basic("alice", "alice-pw")
    whl = make_wheel(d, "Nb.Fancy_Name", "1.0", requires_python='>=3.8,<"4"')
    assert upload(nb, "alice", "dev", whl, auth).status == 200
    # PEP 503 normalization: the non-normal name redirects
    r = nb.get("/pypi/alice/dev/+simple/Nb.Fancy_Name/")
    assert r.status == 301 and r.header("Location").endswith("/pypi/alice/dev/+simple/nb-fancy-name/")
    r = nb.get("/pypi/alice/dev/+simple/nb-fancy-name/", {"Accept": "text/html"})
    assert r.status == 200 and r.header("Content-Type").startswith("text/html")
    assert r.header("Vary") == "Accept"
    sha = hashlib.sha256(open(whl, "rb").read()).hexdigest()
    html = r.body.decode()
    assert "#sha256=" + sha in html
    assert 'data-requires-python="&gt;=3.8,&lt;&quot;4&quot;"' in html
    assert "data-yanked" not in html
    pip_accept = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1,"
                  " text/html; q=0.01")
    r = nb.get("/pypi/alice/dev/+simple/nb-fancy-name/", {"Accept": pip_accept})
    assert r.header("Content-Type") == "application/vnd.pypi.simple.v1+json"
    page = json.loads(r.body)
    f = page["files"][0]
    assert page["versions"] == ["1.0"] and f["size"] == os.path.getsize(whl)
    assert f["requires-python"] == '>=3.8,<"4"' and f["yanked"] is False
    assert f["upload-time"].endswith("Z")
    meta = zipfile.ZipFile(whl).read("Nb_Fancy_Name-1.0.dist-info/METADATA")
    assert f["core-metadata"] == {"sha256": hashlib.sha256(meta).hexdigest()}
    assert 'data-core-metadata="sha256=%s"' % hashlib.sha256(meta).hexdigest() in html
    assert "dist-info-metadata" not in html + r.body.decode()
    r = nb.get(f["url"] + ".metadata")
    assert r.status == 200 and r.body == meta
    # the file: immutable, Range and HEAD
    r = nb.get(f["url"])
    assert r.status == 200 and r.body == open(whl, "rb").read()
    assert r.header("Cache-Control") == "max-age=365000000, immutable, public"
    r = nb.get(f["url"], {"Range": "bytes=0-3"})
    assert r.status == 206 and r.body == b"PK\x03\x04"
    r = nb.request("HEAD", f["url"])
    assert r.status == 200 and r.body == b""
    # a wrong hash path is not the file
    bad = f["url"].replace("/+f/" + sha[:3], "/+f/" + ("000" if sha[:3] != "000" else "111"))
    assert nb.get(bad).status == 404
    # the project list, both formats; pip's User-Agent on the index root gets it too
    r = nb.get("/pypi/alice/dev/+simple/", {"Accept": "application/vnd.pypi.simple.v1+json"})
    assert {"name": "nb-fancy-name"} in json.loads(r.body)["projects"]
    assert b'href="nb-fancy-name/"' in nb.get("/pypi/alice/dev/+simple/").body
    r = nb.get("/pypi/alice/dev/", {"User-Agent": "pip/23.0.1 {}"})
    assert b'href="nb-fancy-name/"' in r.body
    # PEP 691: no format the client takes is a 406, JSON, varying by Accept
    for path in ("/pypi/alice/dev/+simple/nb-fancy-name/", "/pypi/alice/dev/+simple/"):
        r = nb.get(path, {"Accept": "application/json"})
        assert r.status == 406, path
        assert r.header("content-type").startswith("application/json"), r.headers
        assert r.header("vary") == "Accept", r.headers
        assert json.loads(r.body) == {
            "error": "this index serves application/vnd.pypi.simple.v1+json and text/html",
            "status": 406}


def test_yank_and_delete(team):
    nb, d = team
    auth = basic("alice", "alice-pw")
    assert upload(nb, "alice", "base", make_wheel(d, "nb-y", "1.0"), auth).status == 200
    r = put_json(nb, "/pypi/alice/base/nb-y/1.0", {"yanked": "broken <build>"}, auth, "PATCH")
    assert r.status == 200, r.body
    html = nb.get("/pypi/alice/base/+simple/nb-y/").body.decode()
    assert 'data-yanked="broken &lt;build&gt;"' in html
    page = json.loads(nb.get("/pypi/alice/base/+simple/nb-y/",
                             {"Accept": "application/vnd.pypi.simple.v1+json"}).body)
    assert page["files"][0]["yanked"] == "broken <build>"
    assert put_json(nb, "/pypi/alice/base/nb-y/1.0", {"yanked": 3}, auth, "PATCH").status == 400
    # non-volatile: deleting needs ?force
    assert nb.request("DELETE", "/pypi/alice/base/nb-y/1.0", auth).status == 403
    assert nb.request("DELETE", "/pypi/alice/base/nb-y/1.0", {}).status == 401
    assert nb.request("DELETE", "/pypi/alice/base/nb-y/1.0?force", auth).status == 200
    assert nb.get("/pypi/alice/base/+simple/nb-y/").status == 404


def test_force_is_a_declared_field(team):
    """?force is devpi's bare word or a true value; anything else is refused
    by the router, naming the field, and deletes nothing."""
    nb, d = team
    auth = basic("alice", "alice-pw")
    assert upload(nb, "alice", "base", make_wheel(d, "nb-f", "1.0"), auth).status == 200
    assert upload(nb, "alice", "base", make_wheel(d, "nb-f", "2.0"), auth).status == 200
    for q in ("?force=maybe", "?force=2"):
        r = nb.request("DELETE", "/pypi/alice/base/nb-f/1.0" + q, auth)
        assert (r.status, json.loads(r.body)["error"]) == (400, "invalid force"), q
        r = nb.request("DELETE", "/pypi/alice/base/nb-f" + q, auth)
        assert (r.status, json.loads(r.body)["error"]) == (400, "invalid force"), q
    for q in ("?force=false", "?force=0", ""):
        assert nb.request("DELETE", "/pypi/alice/base/nb-f/1.0" + q, auth).status == 403, q
    page = json.loads(nb.get("/pypi/alice/base/+simple/nb-f/",
                             {"Accept": "application/vnd.pypi.simple.v1+json"}).body)
    assert page["versions"] == ["1.0", "2.0"]
    assert nb.request("DELETE", "/pypi/alice/base/nb-f/1.0?force=true", auth).status == 200
    assert nb.request("DELETE", "/pypi/alice/base/nb-f?force", auth).status == 200
    assert nb.get("/pypi/alice/base/+simple/nb-f/").status == 404


@pytest.mark.parametrize("method,path,field", [
    ("GET", "/pypi/+bad/x/+simple/", "user"),
    ("GET", "/pypi/root/-x/+simple/", "index"),
    ("GET", "/pypi/root/pypi/+simple/-bad-/", "project"),
    ("GET", "/pypi/root/pypi/+f/xyz/0123456789abc/a.whl", "h3"),
    ("GET", "/pypi/root/pypi/+f/0af/0123456789ABC/a.whl", "h13"),
    ("GET", "/pypi/root/pypi/+f/0af/0123456789abc/-a.whl", "filename"),
    ("PATCH", "/pypi/root/pypi/nb/x1", "version"),
])
def test_refused_field_is_400_naming_it(px, method, path, field):
    r = px.request(method, path, {})
    assert (r.status, json.loads(r.body)["error"]) == (400, "invalid " + field)


def test_devpi_json_api_users_indexes_and_login_token(px, tmpdir_shared):
    add_user(px, "carol", "carol-pw")
    # only root creates users; a user name exists once
    r = put_json(px, "/pypi/mallory", {"password": "x"}, basic("carol", "carol-pw"))
    assert r.status == 403
    assert put_json(px, "/pypi/carol", {"password": "x"}, basic("root", ROOT_PW)).status == 409
    assert put_json(px, "/pypi/dave", {"email": "x"}, basic("root", ROOT_PW)).status == 400
    # indexes: bad configs are 400 and create nothing
    for cfg in ({"type": "other"}, {"bases": ["nobody/none"]}, {"volatile": "maybe"},
                {"type": "mirror"}, {"acl_upload": ["bad name!"]}, {"bases": "carol/x"}):
        r = put_json(px, "/pypi/carol/x", cfg, basic("carol", "carol-pw"))
        assert r.status == 400, (cfg, r.body)
    assert px.get("/pypi/carol/x", {"Accept": "application/json"}).status == 404
    r = put_json(px, "/pypi/carol/x", {"acl_upload": ":AUTHENTICATED:"}, basic("carol", "carol-pw"))
    assert r.status == 201
    assert json.loads(r.body)["result"]["acl_upload"] == [":AUTHENTICATED:"]
    assert put_json(px, "/pypi/carol/x", {}, basic("carol", "carol-pw")).status == 409
    r = put_json(px, "/pypi/carol/x", {"volatile": False}, basic("carol", "carol-pw"), "PATCH")
    assert r.status == 200 and json.loads(r.body)["result"]["volatile"] is False
    r = json.loads(px.get("/pypi/carol", {"Accept": "application/json"}).body)
    assert r["result"]["indexes"]["x"]["volatile"] is False
    # +login gives a token usable as X-Devpi-Auth and as a Basic password
    r = px.request("POST", "/pypi/+login", {}, json.dumps({"user": "carol", "password": "carol-pw"}).encode())
    token = json.loads(r.body)["result"]["password"]
    import base64
    xauth = {"X-Devpi-Auth": base64.b64encode(("carol:" + token).encode()).decode()}
    d = os.path.join(tmpdir_shared, "d")
    os.makedirs(d)
    assert upload(px, "carol", "x", make_wheel(d, "nb-tok", "1.0"), xauth).status == 200
    assert upload(px, "carol", "x", make_wheel(d, "nb-tok2", "1.0"), basic("carol", token)).status == 200
    assert upload(px, "carol", "x", make_wheel(d, "nb-tok3", "1.0"),
                  {"X-Devpi-Auth": base64.b64encode(b"carol:nope").decode()}).status == 401
    r = json.loads(px.get("/pypi/carol/x/nb-tok", {"Accept": "application/json"}).body)
    assert r["type"] == "projectconfig" and r["result"]["1.0"]["+links"][0]["rel"] == "releasefile"
    # another user may not change carol's index; carol may delete it
    add_user(px, "erin", "erin-pw")
    assert px.request("DELETE", "/pypi/carol/x", basic("erin", "erin-pw")).status == 403
    assert px.request("DELETE", "/pypi/carol/x", basic("carol", "carol-pw")).status == 201
    assert px.get("/pypi/carol/x/+simple/").status == 404
    assert px.request("DELETE", "/pypi/root", basic("root", ROOT_PW)).status == 403


def test_bad_paths_are_4xx(px):
    for path in ("/pypi/root/pypi/+f/xyz/0123456789abc/a.whl", "/pypi/+bad/x/+simple/",
                 "/pypi/root/pypi/+simple/-bad-/", "/pypi/root/nope/+simple/"):
        r = px.get(path)
        assert 400 <= r.status < 500, (path, r.status)
        assert json.loads(r.body)


def test_gc_keeps_uploaded_files(team, tmpdir_shared):
    """nestboxctl gc removes unreferenced blobs only: an acknowledged upload
    and its core metadata stay downloadable after a gc with no grace time."""
    nb, d = team
    lib = make_wheel(d, "nb-gc", "1.0")
    r = upload(nb, "alice", "dev", lib, basic("alice", "alice-pw"))
    assert r.status == 200, r.body
    p = nb.ctl("gc", "--grace", "0")
    assert " 0 blobs" in p.stdout, p.stdout
    page = json.loads(nb.request("GET", "/pypi/alice/dev/+simple/nb-gc/",
                                 {"Accept": "application/vnd.pypi.simple.v1+json"}).body)
    url = page["files"][0]["url"]
    path = url if url.startswith("/") else "/" + url.split("/", 3)[3]
    got = nb.request("GET", path.split("#")[0])
    assert got.status == 200 and got.body == open(lib, "rb").read()
    meta = nb.request("GET", path.split("#")[0] + ".metadata")
    assert meta.status == 200 and b"Name: nb-gc" in meta.body


def started(nb, program):
    """Every process of program lighttpd runs for nb has started: each
    waits in its request loop (app.c's ppoll, system call 271 on x86_64),
    past its start-up, which reads the store too."""
    import platform
    from conftest import wait_until
    if platform.machine() != "x86_64":
        return

    def waiting():
        calls = []
        for pid in nb.backends():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if not f.read().split(b"\0")[0].endswith(b"/" + program.encode()):
                        continue
                with open("/proc/%d/syscall" % pid) as f:
                    calls.append(f.read().split()[0])
            except OSError:
                return False
        return calls and all(c == "271" for c in calls)
    wait_until(waiting, "every %s in its request loop" % program)


# it waits for every pypi.fcgi process to be in its request loop: all started with lighttpd
@pytest.mark.shipped_procs
def test_login_while_the_users_cannot_be_read_is_503_not_401(px):
    """devpi's +login reads the user from the store: when the store cannot
    answer it is told to try again (503), never that the password is
    wrong (401)."""
    from test_operators import renamed
    body = json.dumps({"user": "root", "password": ROOT_PW}).encode()
    started(px, "pypi.fcgi")
    renamed(px, "pypi_users", "pypi_users_away")
    try:
        r = px.request("POST", "/pypi/+login", {"Content-Type": "application/json"}, body)
        assert r.status == 503, (r.status, r.body)
    finally:
        renamed(px, "pypi_users_away", "pypi_users")
    r = px.request("POST", "/pypi/+login", {"Content-Type": "application/json"}, body)
    assert r.status == 200, (r.status, r.body)
