"""The mip index (/mip/index.json) sent by the front end itself: every
publish rewrites <var>/mip-static/mip/index.json from the store under a
lock held from before its commit (src/mip/mip_index.c), lighttpd and
Apache send that file for a plain GET, and the program answers anything
else and whatever finds no file.  On PostgreSQL, a store other hosts may
share, no such file is kept: the program answers."""
import json
import os
import shutil
import subprocess

import pytest

from admin_client import Browser
from conftest import CTL, ROOT, STORE, give_to_www_data, wait_until
from test_apache import Apache
from test_mip import make_pkg
from test_static import APACHE_MODULES, LUA, is_static

INDEX = "/mip/index.json"

sqlite_only = pytest.mark.skipif(
    STORE == "postgresql", reason="a store other hosts may share keeps no index file "
    "(test_a_shared_store_keeps_no_index_file checks it)")


class IndexFront:
    def __init__(self, nb, kind, base):
        self.nb, self.kind, self.base = nb, kind, base
        self.server = None
        self.made = 0

    def start(self):
        if self.kind == "lighttpd":
            self.nb.start()
            self.server = self.nb
            return
        a = Apache(os.path.join(self.base, "apache"), self.nb, defines=APACHE_MODULES)
        lua = os.path.join(a.prefix, "share", "nestbox", "lua")
        os.makedirs(lua)
        for f in LUA:
            shutil.copy2(os.path.join(ROOT, "etc", f), lua)
        a.start()
        self.server = a

    def stop(self):
        if self.kind == "apache" and self.server:
            self.server.stop()

    def get(self, path=INDEX, headers=None):
        return self.server.get(path, headers)

    def request(self, method, path=INDEX, headers=None, body=None):
        return self.server.request(method, path, headers, body)

    @property
    def copy(self):
        return os.path.join(self.nb.state, "mip-static", "mip", "index.json")

    def source(self, name, body=b"X = 1\n"):
        self.made += 1
        d = os.path.join(self.base, "src%d" % self.made)
        make_pkg(d, {name + ".py": body})
        return d

    def publish(self, name, version, description=""):
        """nestboxctl mip publish, as the operator does it."""
        self.nb.ctl("mip", "publish", self.source(name), "--name", name, "--version", version,
                    "--description", description)
        # Apache's programs run as www-data: what nestboxctl wrote as root
        # goes to them, as an operator's would (give_to_www_data)
        if self.kind == "apache":
            give_to_www_data(self.nb.state)

    def index(self, path=INDEX):
        r = self.get(path)
        assert r.status == 200, (r.status, r.body)
        return r, json.loads(r.body)

    def logged(self):
        with self.nb.db() as db:
            return db.execute("SELECT program, path FROM request_log ORDER BY id").fetchall()


@pytest.fixture(params=["lighttpd", "apache"])
def front(request, nb, tmpdir_shared):
    """An installation with mip offline (nothing asked upstream), not yet
    started: a test starts it when its state is ready."""
    with open(nb.config, "a") as f:
        f.write("mip:\n  offline: true\n")
    nb.ctl("init")
    f = IndexFront(nb, request.param, tmpdir_shared)
    yield f
    f.stop()


def listed(doc):
    return {p["name"]: (p["version"], sorted(p["versions"]["6"])) for p in doc["packages"]}


@sqlite_only
def test_index_is_sent_by_the_front_end_and_current_after_each_publish(front):
    front.start()
    # nothing published yet: no file, the program answers
    r, doc = front.index()
    assert not is_static(r) and doc["packages"] == []
    front.publish("alpha", "1.0", "the first")
    r, doc = front.index()
    assert is_static(r), r.headers
    assert r.header("content-type") == "application/json"
    assert listed(doc) == {"alpha": ("1.0", ["1.0"])}
    front.publish("alpha", "1.10")
    front.publish("beta", "0.1")
    r, doc = front.index()
    assert is_static(r)
    assert listed(doc) == {"alpha": ("1.10", ["1.0", "1.10"]), "beta": ("0.1", ["0.1"])}
    # a publish through the admin API (the program behind the front end)
    front.nb.ctl("user", "first-admin", env={"NESTBOX_ADMIN_PASSWORD": "admin-pass-1"})
    token = front.nb.ctl("user", "token", "admin").stdout.strip()
    if front.kind == "apache":
        give_to_www_data(front.nb.state)
    r = front.request("PUT", "/admin/api/mip/packages?name=gamma&version=3&file=gamma.py",
                      {"Authorization": "Bearer " + token}, b"G = 3\n")
    assert r.status == 201, r.body
    r, doc = front.index()
    assert is_static(r)
    assert listed(doc)["gamma"] == ("3", ["3"]) and len(doc["packages"]) == 3
    # the front end's access log is the request log: the static ones had
    # no FastCGI round trip
    wait_until(lambda: sum(p == INDEX for _, p in front.logged()) == 4, "the requests logged")
    assert [g for g, p in front.logged() if p == INDEX] == ["mip"] + ["static"] * 3


@sqlite_only
def test_index_file_is_the_programs_answer(front):
    front.start()
    front.publish("alpha", "1.0", "the \"first\" one")
    front.publish("alpha", "2.0")
    front.publish("zeta", "0.9", "z")
    r, static = front.index()
    assert is_static(r)
    with open(front.copy, "rb") as f:
        assert f.read() == r.body
    written = static.pop("updated")
    assert written <= int(os.stat(front.copy).st_mtime)
    # what the program answers on the same store: all but "updated" (the
    # time the file was written) the same
    for path, method, headers in ((INDEX + "?any=1", "GET", {}),
                                  (INDEX, "GET", {"If-Modified-Since":
                                                  "Thu, 01 Jan 2026 00:00:00 GMT"}),
                                  (INDEX, "GET", {"If-None-Match": '"x"'})):
        p = front.request(method, path, headers)
        assert p.status == 200 and not is_static(p), (path, headers, p.status, p.headers)
        assert p.header("content-type") == r.header("content-type")
        doc = json.loads(p.body)
        assert doc.pop("updated") >= written and doc == static
    # another spelling of the path is the program's, which refuses it
    # (the file would be a 200)
    for path in ("/mip//index.json", "/mip/./index.json"):
        r = front.get(path)
        assert (r.status, r.body) == (400, b"bad path segment\n"), path
    assert not is_static(front.request("HEAD"))
    # without the file the program answers the same index
    os.remove(front.copy)
    r, doc = front.index()
    assert not is_static(r)
    doc.pop("updated")
    assert doc == static


@sqlite_only
def test_concurrent_publishes_are_all_listed(front):
    """N publishes at once: each rewrites the file under the lock after its
    commit, so the last one written lists all N."""
    front.start()
    n = 8
    srcs = [front.source("p%d" % i, b"P = %d\n" % i) for i in range(n)]
    procs = [subprocess.Popen([CTL, "mip", "publish", srcs[i], "--name", "p%d" % i,
                               "--version", "1.0"], env=front.nb.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(n)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    if front.kind == "apache":
        give_to_www_data(front.nb.state)
    r, doc = front.index()
    assert is_static(r)
    assert listed(doc) == {"p%d" % i: ("1.0", ["1.0"]) for i in range(n)}
    assert not [f for f in os.listdir(os.path.dirname(front.copy)) if ".tmp." in f]


@pytest.mark.skipif(STORE != "postgresql", reason="the store other hosts may share")
def test_a_shared_store_keeps_no_index_file(front):
    """On PostgreSQL another host may publish: no host keeps the index as a
    file (it could not be rewritten by the other host's publish)."""
    # one left from a SQLite past: lighttpd starts mip-index.fcgi, which
    # removes it (behind Apache, whose programs start on a first request,
    # the operator removes mip-static when moving: the README says so)
    os.makedirs(os.path.dirname(front.copy), exist_ok=True)
    if front.kind == "lighttpd":
        with open(front.copy, "w") as f:
            f.write('{"v":2,"updated":1,"packages":[]}')
    front.start()
    assert front.get("/mip/package/6/none/latest.json").status == 404  # the program runs
    assert not os.path.exists(front.copy)
    front.publish("alpha", "1.0")
    assert not os.path.exists(front.copy)
    r, doc = front.index()
    assert not is_static(r) and listed(doc) == {"alpha": ("1.0", ["1.0"])}
    # one that appears all the same (another host's past) is removed by the
    # next publish, never left to miss it
    with open(front.copy, "w") as f:
        f.write('{"v":2,"updated":1,"packages":[]}')
    front.publish("beta", "1.0")
    assert not os.path.exists(front.copy)
    r, doc = front.index()
    assert not is_static(r) and set(listed(doc)) == {"alpha", "beta"}
