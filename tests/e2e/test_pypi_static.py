"""Python index project pages the front end sends itself (issue 15, item 3):
<var>/pypi-static keeps each stage project page (PEP 691 JSON, PEP 503
HTML) current at every change; lighttpd (mod_magnet) and Apache (mod_lua)
send it for an Accept header whose answer is certain, pypi.fcgi answers
everything else and every miss.  Real pip installs through each front end
from the static page, and a change is visible on the very next request."""
import json
import os
import shutil

import pytest

from conftest import ROOT, STORE, wait_until
from pypi_dists import basic, make_wheel, pip, upload_form
from test_apache import Apache, MODULES

ROOT_PW = "static-root-pw"
ROOT_AUTH = basic("root", ROOT_PW)
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
PIP_ACCEPT = JSON_TYPE + ", application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
LUA = ("nestbox_static.lua", "nestbox-static.lua", "nestbox-static-apache.lua")
PAGE = "/pypi/root/dev/+simple/nb-st/"


def is_static(r):
    return (r.header("x-nestbox-route") or "").startswith("static ")


class Front:
    def __init__(self, nb, server, url):
        self.nb, self.server, self.url = nb, server, url

    def get(self, path, headers=None):
        return self.server.get(path, headers)

    def request(self, method, path, headers=None, body=None):
        return self.server.request(method, path, headers, body)

    def put_json(self, path, obj, method="PUT"):
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        h.update(ROOT_AUTH)
        return self.request(method, path, h, json.dumps(obj).encode())

    def upload(self, index, path):
        body, h = upload_form(path)
        h.update(ROOT_AUTH)
        r = self.request("POST", "/pypi/root/%s/" % index, h, body)
        assert r.status == 200, r.body

    def static_file(self, index, project, ext):
        return os.path.join(self.nb.state, "pypi-static", "root", index, project, "index." + ext)


@pytest.fixture(params=["lighttpd", "apache"])
def front(request, nb, tmpdir_shared):
    with open(nb.config, "a") as f:
        f.write("pypi:\n  root_password: %s\n  no_root_pypi: true\n" % ROOT_PW)
    if request.param == "lighttpd":
        nb.start()
        fr = Front(nb, nb, nb.url)
    else:
        nb.ctl("init")
        a = Apache(os.path.join(tmpdir_shared, "apache"), nb,
                   defines="LoadModule lua_module %s/mod_lua.so" % MODULES)
        lua = os.path.join(a.prefix, "share", "nestbox", "lua")
        os.makedirs(lua)
        for f in LUA:
            shutil.copy2(os.path.join(ROOT, "etc", f), lua)
        a.start()
        fr = Front(nb, a, "http://127.0.0.1:%d" % a.port)
    for ix, cfg in (("base", {"volatile": True}), ("dev", {"bases": ["root/base"]})):
        r = fr.put_json("/pypi/root/" + ix, cfg)
        assert r.status == 201, r.body
    yield fr
    if request.param == "apache":
        a.stop()


def program_answer(front, path, headers):
    """pypi.fcgi's own answer: an Accept the front end leaves to it."""
    h = dict(headers)
    h["Accept"] = h.get("Accept") or "text/html"
    h["Accept"] += ", image/png; q=0"       # certain for the program, not for the script
    return front.get(path, h)


@pytest.mark.skipif(STORE != "sqlite", reason="static pages only on a store no other host shares")
def test_static_page_is_the_programs_bytes_and_never_stale(front, tmpdir_shared):
    d = os.path.join(tmpdir_shared, "dists")
    os.makedirs(d)
    front.upload("base", make_wheel(d, "nb-st", "1.0"))
    for accept, typ in ((PIP_ACCEPT, JSON_TYPE), (JSON_TYPE, JSON_TYPE),
                        (None, "text/html; charset=utf-8"), ("*/*", "text/html; charset=utf-8"),
                        ("text/html", "text/html; charset=utf-8")):
        h = {"Accept": accept} if accept else {}
        for index in ("base", "dev"):
            path = "/pypi/root/%s/+simple/nb-st/" % index
            r = front.get(path, h)
            assert r.status == 200 and is_static(r), (path, accept, r.headers)
            prog = program_answer(front, path, h)
            assert prog.status == 200 and not is_static(prog), (path, accept)
            assert (r.body, r.header("content-type"), r.header("vary")) == \
                   (prog.body, typ, prog.header("vary")), (path, accept)
    # an ambiguous Accept and a name not normalized are the program's
    r = front.get(PAGE, {"Accept": "application/vnd.pypi.simple.v1+html"})
    assert r.status == 200 and not is_static(r)
    r = front.get("/pypi/root/dev/+simple/NB_St/", {"Accept": PIP_ACCEPT})
    assert r.status == 301 and not is_static(r)
    # each change is on the very next request, through the inheriting index too
    front.upload("base", make_wheel(d, "nb-st", "1.1"))
    for index in ("base", "dev"):
        page = front.get("/pypi/root/%s/+simple/nb-st/" % index, {"Accept": PIP_ACCEPT})
        assert is_static(page) and json.loads(page.body)["versions"] == ["1.0", "1.1"]
    r = front.put_json("/pypi/root/base/nb-st/1.1", {"yanked": "bad"}, "PATCH")
    assert r.status == 200, r.body
    page = front.get(PAGE, {"Accept": PIP_ACCEPT})
    assert is_static(page) and [f["yanked"] for f in json.loads(page.body)["files"]] == \
        [False, "bad"]
    assert 'data-yanked="bad"' in front.get(PAGE).body.decode()
    r = front.request("DELETE", "/pypi/root/base/nb-st/1.0", ROOT_AUTH)
    assert r.status == 200, r.body
    page = front.get(PAGE, {"Accept": PIP_ACCEPT})
    assert [f["filename"] for f in json.loads(page.body)["files"]] == ["nb_st-1.1-py3-none-any.whl"]
    # the base dropped: dev no longer has the project, at once
    assert front.put_json("/pypi/root/dev", {"bases": []}, "PATCH").status == 200
    assert front.get(PAGE, {"Accept": PIP_ACCEPT}).status == 404
    assert front.put_json("/pypi/root/dev", {"bases": ["root/base"]}, "PATCH").status == 200
    assert front.get(PAGE, {"Accept": PIP_ACCEPT}).status == 200
    # the whole project deleted: no page left
    assert front.request("DELETE", "/pypi/root/base/nb-st", ROOT_AUTH).status == 200
    for index in ("base", "dev"):
        path = "/pypi/root/%s/+simple/nb-st/" % index
        assert front.get(path, {"Accept": PIP_ACCEPT}).status == 404
        assert front.get(path).status == 404
        assert not os.path.exists(front.static_file(index, "nb-st", "json"))


@pytest.mark.skipif(STORE != "sqlite", reason="static pages only on a store no other host shares")
def test_pip_installs_from_the_static_page_and_sees_an_upload_at_once(front, tmpdir_shared):
    d = os.path.join(tmpdir_shared, "dists")
    os.makedirs(d)
    front.upload("base", make_wheel(d, "nb-st", "1.0"))
    home = os.path.join(tmpdir_shared, "home")
    os.makedirs(home)
    index = front.url + "/pypi/root/dev/+simple/"
    assert front.get(PAGE, {"Accept": PIP_ACCEPT}).status == 200     # the miss writes it
    for version in ("1.0", "1.1", "1.2"):
        if version != "1.0":
            front.upload("base", make_wheel(d, "nb-st", version))
        target = os.path.join(tmpdir_shared, "site-" + version)
        p = pip(home, "install", "--index-url", index, "--target", target, "nb-st")
        assert p.returncode == 0, p.stdout + p.stderr
        assert open(os.path.join(target, "nb_st", "__init__.py")).read() == \
            "VERSION = '%s'\n" % version

    def pip_rows():
        with front.nb.db() as c:
            return c.execute("SELECT program, route FROM request_log WHERE path = ? AND "
                             "user_agent LIKE 'pip/%'", (PAGE,)).fetchall()
    wait_until(lambda: len(pip_rows()) == 3, "pip's three page requests logged")
    assert pip_rows() == [("static", "/pypi/:user/:index/+simple/:project/")] * 3


def test_no_static_page_on_a_shared_store(front, tmpdir_shared):
    """On PostgreSQL (make test-pg) nothing is written; on SQLite the page is."""
    d = os.path.join(tmpdir_shared, "dists")
    os.makedirs(d)
    front.upload("base", make_wheel(d, "nb-st", "1.0"))
    r = front.get(PAGE, {"Accept": PIP_ACCEPT})
    assert r.status == 200
    shared = STORE != "sqlite"
    assert is_static(r) != shared
    assert os.path.exists(front.static_file("dev", "nb-st", "json")) != shared
