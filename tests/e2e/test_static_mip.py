"""Proxied mip package JSON sent by the front end while fresh (issue 15):
the program writes a copy whose mtime is the row's expiry, the front end
(mod_rewrite in both) sends the file it finds, the keeper that
nestbox-mkbox-watch runs beside it removes the copy as the row expires and
revalidates rows ahead of expiry (as nestboxctl mip refresh does);
stale-on-error is the program's, and an expired copy is never sent.  On a PostgreSQL store,
which other hosts may share, no copy is kept (test_two_hosts.py checks
that): these tests run on SQLite only."""
import json
import os
import shutil
import time

import pytest

from conftest import ROOT, STORE, wait_until
from mip_fakes import FakeHost, add_official_package
from test_apache import Apache
from test_static import APACHE_MODULES, LUA, is_static

FOO = "/mip/package/6/foo/latest.json"

pytestmark = pytest.mark.skipif(
    STORE == "postgresql", reason="a store other hosts may share keeps no proxied copies "
    "(src/mip/mip_proxy.c; test_two_hosts.py checks it)")


@pytest.fixture
def upstream():
    h = FakeHost()
    yield h
    h.stop()


class MipFront:
    def __init__(self, nb, server, upstream):
        self.nb, self.server, self.upstream = nb, server, upstream

    def get(self, path):
        return self.server.get(path)

    def copy(self, path=FOO):
        return os.path.join(self.nb.state, "mip-static", "proxy", path[len("/mip/"):])

    def expire(self, path=FOO):
        """What the passing of mip.cache_ttl does: the row and the copy
        expire (set back in time, so that the test never waits)."""
        past = int(time.time()) - 10
        with self.nb.db() as db:
            db.execute("UPDATE mip_packages SET expires=? WHERE origin='upstream'", (past,))
        if os.path.exists(self.copy(path)):
            os.utime(self.copy(path), (past, past))

    def expire_swept(self, path=FOO):
        """expire(), then the keeper's sweep (bounded wait): the copy gone."""
        self.expire(path)
        wait_until(lambda: not os.path.exists(self.copy(path)), "the keeper's sweep")

    def package_requests(self):
        return len(self.upstream.requests("/package/"))


@pytest.fixture(params=["lighttpd", "apache"])
def front(request, nb, tmpdir_shared, upstream):
    with open(nb.config, "a") as f:
        f.write("mip:\n  upstream: %s\n  cache_ttl: 3600\n" % upstream.url)
    nb.ctl("init")
    add_official_package(upstream, "foo", "1.0", {"foo.mpy": b"M\x06\x00\x1ffoo"})
    if request.param == "lighttpd":
        nb.start()
        yield MipFront(nb, nb, upstream)
        return
    a = Apache(os.path.join(tmpdir_shared, "apache"), nb, defines=APACHE_MODULES)
    lua = os.path.join(a.prefix, "share", "nestbox", "lua")
    os.makedirs(lua)
    for f in LUA:
        shutil.copy2(os.path.join(ROOT, "etc", f), lua)
    a.start()
    yield MipFront(nb, a, upstream)
    a.stop()


def test_proxied_json_is_sent_by_the_front_end_while_fresh(front):
    first = front.get(FOO)
    assert first.status == 200 and not is_static(first)
    assert json.loads(first.body)["version"] == "1.0"
    for _ in range(3):
        r = front.get(FOO)
        assert is_static(r), r.headers
        assert (r.status, r.body, r.header("content-type")) == \
               (200, first.body, first.header("content-type"))
    assert front.package_requests() == 1
    # the copy expires with its row: mtime = the row's expiry
    with front.nb.db() as db:
        (expires,), = db.execute("SELECT expires FROM mip_packages WHERE name='foo' AND version='latest'").fetchall()
    assert int(os.stat(front.copy()).st_mtime) == expires


def test_an_expired_copy_is_never_sent(front):
    front.get(FOO)
    assert is_static(front.get(FOO))
    front.expire()
    # the keeper sweeps the expired copy, or has renewed it already (it
    # revalidates what expires within 300 s): never an expired copy
    wait_until(lambda: not os.path.exists(front.copy()) or
               os.stat(front.copy()).st_mtime > time.time(), "the keeper's sweep")
    r = front.get(FOO)
    assert r.status == 200 and json.loads(r.body)["version"] == "1.0"
    assert front.upstream.log[-1][1]                 # revalidated conditionally (If-None-Match)
    assert front.package_requests() >= 2
    wait_until(lambda: is_static(front.get(FOO)), "a fresh copy")


def test_refresh_job_revalidates_before_expiry(front):
    front.get(FOO)
    n = front.package_requests()
    # upstream publishes 2.0: latest.json changes there
    add_official_package(front.upstream, "foo", "2.0", {"foo.mpy": b"M\x06\x00\x1ffoo2"})
    out = front.nb.ctl("mip", "refresh", "--ahead", "7200").stdout
    assert "1 revalidated, 0 failed" in out, out
    assert front.package_requests() == n + 1
    r = front.get(FOO)
    assert is_static(r) and json.loads(r.body)["version"] == "2.0"
    # nothing expiring soon: nothing asked
    assert "0 revalidated" in front.nb.ctl("mip", "refresh", "--ahead", "60").stdout
    assert front.package_requests() == n + 1
    assert front.nb.ctl("mip", "refresh", "--ahead", "x", check=False).returncode == 2


def test_keeper_renews_a_copy_before_it_expires(front):
    """The keeper beside the front end revalidates a row that expires
    within its 300 s: the copy is renewed (new body, later expiry) with no
    device request."""
    first = front.get(FOO)
    assert json.loads(first.body)["version"] == "1.0" and is_static(front.get(FOO))
    add_official_package(front.upstream, "foo", "2.0", {"foo.mpy": b"M\x06\x00\x1ffoo2"})
    soon = int(time.time()) + 100
    with front.nb.db() as db:
        db.execute("UPDATE mip_packages SET expires=? WHERE origin='upstream'", (soon,))
    os.utime(front.copy(), (soon, soon))

    def renewed():
        try:
            with open(front.copy()) as f:
                body = json.load(f)
            return body["version"] == "2.0" and os.stat(front.copy()).st_mtime > soon
        except (OSError, ValueError):
            return False
    wait_until(renewed, "the keeper's revalidation", limit=30.0)
    r = front.get(FOO)
    assert is_static(r) and json.loads(r.body)["version"] == "2.0"


def test_stale_on_error_is_kept_and_never_static(front):
    body = front.get(FOO).body
    # the copy is written best-effort (a write that fails costs speed
    # only); a later fresh answer writes it again
    wait_until(lambda: is_static(front.get(FOO)), "a fresh copy")
    front.upstream.stop()
    p = front.nb.ctl("mip", "refresh", "--ahead", "7200", check=False)
    assert p.returncode == 1 and "0 revalidated, 1 failed" in p.stdout, p.stdout
    r = front.get(FOO)
    assert is_static(r) and r.body == body       # still fresh: still sent
    front.expire_swept()
    for _ in range(2):
        r = front.get(FOO)
        assert (r.status, r.body) == (200, body)  # stale beats nothing
        assert not is_static(r)                   # but never as a fresh copy


def test_a_name_hosted_later_is_never_sent_from_upstream(front, tmpdir_shared):
    add_official_package(front.upstream, "foo", "9.9", {"foo.mpy": b"M\x06\x00\x1fPUBLIC"},
                         latest=False)
    path = "/mip/package/6/foo/9.9.json"
    front.get(path)
    assert is_static(front.get(path))
    d = os.path.join(tmpdir_shared, "own")
    os.makedirs(d)
    with open(os.path.join(d, "foo.py"), "w") as f:
        f.write("OWN = 1\n")
    front.nb.ctl("mip", "publish", d, "--name", "foo", "--version", "1.0")
    r = front.get(path)
    assert r.status == 404 and b"hosted" in r.body and not is_static(r)
    assert not os.path.exists(front.copy(path))
