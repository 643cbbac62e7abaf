"""A public repository's OTA answers that need no token and no board (a
tag's ref, a release by tag, an annotated tag, a recursive tree, the
manifest asset's download) are files
the front end sends itself, written at publish and push: their bytes are
ota.fcgi's own, they are there as soon as a release is published, and a
private repository never has any (404 without its token, as before).
Sent by the front end = no X-Nestbox-Route header (every program answer
names its route)."""
import os
import shutil

import pytest

from conftest import Nestbox, sqlite_only, wait_until
from test_apache import MODULES, Apache
from test_framing import cgi
from test_ota import write_tree

BASE = "http://ota.example:8080"
API = "/ota/api/repos/acme/app"
V1 = {"main.py": b"print('v1')\n", "lib/u.py": b"U = 1\n", "lib/empty.py": b""}


def publish(nb, tmp, tag, files, *extra):
    src = os.path.join(tmp, "src-" + tag)
    write_tree(src, files)
    out = nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", tag, *extra, src).stdout
    return out.split(" at ")[1][:40]


def push(nb, tmp, files):
    src = os.path.join(tmp, "src-main-%d" % len(files))
    write_tree(src, files)
    out = nb.ctl("ota", "push", "--repo", "acme/app", "--branch", "main", src).stdout
    return out.split(" at ")[1][:40]


def with_base_url(nb):
    with open(nb.config) as f:
        conf = f.read()
    with open(nb.config, "w") as f:
        f.write(conf.replace("server:\n", "server:\n  base_url: %s\n" % BASE, 1))


def shapes(nb, tags, commits):
    """The static URLs of these releases and commits."""
    urls = []
    with nb.db() as db:
        for tag in tags:
            urls += ["%s/git/ref/tags/%s" % (API, tag), "%s/git/refs/tags/%s" % (API, tag),
                     "%s/releases/tags/%s" % (API, tag)]
            sha = db.execute("SELECT tag_sha FROM ota_releases WHERE tag = ?", (tag,)).fetchone()
            if sha and sha[0]:
                urls.append("%s/git/tags/%s" % (API, sha[0]))
            urls.append("/ota/download/acme/app/%s/manifest.json" % tag)
    return urls + ["%s/git/trees/%s?recursive=1" % (API, c) for c in commits]


def program(nb, url, headers=None):
    """ota.fcgi's own answer (run as CGI) and its body."""
    p = cgi(nb, "ota", "GET", url, headers=headers)
    body = p.body
    if p.has("x-sendfile"):     # the manifest: the program hands over its blob
        with open(p.one("x-sendfile"), "rb") as f:
            body = f.read()
    return p, body


def assert_static_like_program(nb, front, url, headers=None):
    r = front.get(url, headers)
    assert r.status == 200, (url, r.status, r.body)
    assert r.header("x-nestbox-route") is None, (url, "answered by ota.fcgi")
    p, body = program(nb, url, headers)
    assert p.status == 200 and r.body == body, url
    assert int(r.header("content-length")) == len(r.body)
    assert r.header("content-type") == p.one("content-type"), url
    assert r.header("transfer-encoding") is None
    etag = r.header("etag")
    assert etag and front.get(url, {"If-None-Match": etag}).status == 304


def assert_program(front, url, headers=None, status=200):
    r = front.get(url, headers)
    assert r.status == status, (url, r.status, r.body)
    assert r.header("x-nestbox-route", ) is not None, (url, "sent as a static file")
    return r


def scenario(nb, tmp, front, restart=lambda: None):
    """Publish, push, serve; then a new release and push, private, public."""
    c1 = publish(nb, tmp, "v1", V1, "--message", "first")
    d1 = push(nb, tmp, V1)
    restart()
    for url in shapes(nb, ["v1"], [c1, d1]):
        assert_static_like_program(nb, front, url)
    # a tree-mode release has no manifest: ota.fcgi's 404
    publish(nb, tmp, "t1", V1, "--no-manifest")
    assert_program(front, "/ota/download/acme/app/t1/manifest.json", status=404)
    # what depends on the board or the moment stays with ota.fcgi
    assert_program(front, API + "/releases/latest")
    assert_program(front, API + "/git/ref/heads/main")
    assert_program(front, "%s/git/trees/%s" % (API, c1))      # not recursive
    assert_program(front, API + "/git/ref/tags/v9", status=404)
    # a new release and a new branch tip are static at once, never stale
    v2 = dict(V1, **{"main.py": b"print('v2')\n"})
    c2 = publish(nb, tmp, "v2", v2)
    d2 = push(nb, tmp, dict(v2, **{"lib/n.py": b"N = 1\n"}))
    for url in shapes(nb, ["v1", "v2"], [c1, c2, d2]):
        assert_static_like_program(nb, front, url)
    assert b'"tag_name":"v2"' in assert_program(front, API + "/releases/latest").body
    assert d2.encode() in assert_program(front, API + "/git/ref/heads/main").body
    # a missing file is a miss: ota.fcgi answers the same bytes
    # (lighttpd's stat cache may know the file for up to a second)
    os.unlink(os.path.join(nb.state, "ota-static") + API + "/releases/tags/v2")
    wait_until(lambda: front.get(API + "/releases/tags/v2").header("x-nestbox-route"),
               "the miss answered by ota.fcgi")
    r = assert_program(front, API + "/releases/tags/v2")
    assert r.body == cgi(nb, "ota", "GET", API + "/releases/tags/v2").body
    # private: nothing without the token, the program answers with it
    nb.ctl("ota", "repo", "--repo", "acme/app", "--private")
    token = nb.ctl("ota", "token", "--repo", "acme/app", "--name", "b1").stdout.strip()
    auth = {"Authorization": "token " + token}
    urls = shapes(nb, ["v1", "v2"], [c1, c2, d1, d2])
    wait_until(lambda: all(front.get(u).status == 404 for u in urls), "every answer a 404")
    for url in urls:
        assert_program(front, url, status=404)
        assert assert_program(front, url, auth).body == program(nb, url, auth)[1]
    assert not os.path.exists(os.path.join(nb.state, "ota-static") + API)
    # public again: every release and branch tip static again
    nb.ctl("ota", "repo", "--repo", "acme/app", "--public")
    for url in shapes(nb, ["v1", "v2"], [c1, c2, d2]):
        assert_static_like_program(nb, front, url)


@sqlite_only("a store other hosts share keeps no static answers (src/ota/ota_static.c; "
             "test_two_hosts.py checks that side)")
def test_static_answers_through_lighttpd(nb, tmpdir_shared):
    with_base_url(nb)
    nb.ctl("init")
    scenario(nb, tmpdir_shared, nb, nb.start)


def test_no_static_answers_without_base_url(nb, tmpdir_shared):
    """Links are absolute: without server.base_url ota.fcgi builds them from
    each request's Host, so nothing is written and every answer is its own."""
    nb.ctl("init")
    c1 = publish(nb, tmpdir_shared, "v1", V1)
    assert not os.path.exists(os.path.join(nb.state, "ota-static"))
    nb.start()
    for url in shapes(nb, ["v1"], [c1]):
        assert_program(nb, url)


class RewriteApache(Apache):
    """Apache with mod_rewrite, which the static mappings need."""

    def __init__(self, base, nb):
        super().__init__(base, nb)
        with open(self.conf) as f:
            conf = f.read()
        if "rewrite_module" not in conf:
            conf = conf.replace("LoadModule alias_module", "LoadModule rewrite_module "
                                "%s/mod_rewrite.so\nLoadModule alias_module" % MODULES, 1)
        with open(self.conf, "w") as f:
            f.write(conf)


@sqlite_only("a store other hosts share keeps no static answers (src/ota/ota_static.c; "
             "test_two_hosts.py checks that side)")
def test_static_answers_through_apache(tmpdir_shared):
    if not shutil.which("apache2") or not os.path.exists(MODULES + "/mod_fcgid.so"):
        pytest.fail("apache2 with mod_fcgid is required (make deps installs it)")
    nb = Nestbox(tmpdir_shared)
    with_base_url(nb)
    nb.ctl("init")
    # the state exists (and belongs to Apache's user) before Apache starts
    os.makedirs(os.path.join(nb.state, "ota-static"), exist_ok=True)
    a = RewriteApache(os.path.join(tmpdir_shared, "apache"), nb)
    a.start()
    try:
        scenario(nb, tmpdir_shared, a)
    finally:
        a.stop()


def test_latest_from_a_long_lived_program_is_never_stale(nb, tmpdir_shared):
    """releases/latest stays with ota.fcgi, which keeps the newest release,
    its rollout and the rendered JSON per process: a publish, a pause and a
    resume show on the very next check."""
    with_base_url(nb)
    nb.ctl("init")
    publish(nb, tmpdir_shared, "v1", V1)
    nb.start()

    def latest():
        r = assert_program(nb, API + "/releases/latest")
        assert int(r.header("content-length")) == len(r.body)
        return r.body

    for _ in range(20):     # every process of the program has it cached
        assert b'"tag_name":"v1"' in latest()
    publish(nb, tmpdir_shared, "v2", dict(V1, **{"main.py": b"print('v2')\n"}))
    assert b'"tag_name":"v2"' in latest()
    nb.ctl("ota", "rollout", "--repo", "acme/app", "--pause")
    assert b'"tag_name":"v1"' in latest()
    nb.ctl("ota", "rollout", "--repo", "acme/app", "--resume")
    assert b'"tag_name":"v2"' in latest()
    # the same bytes as the program's first answer, with a working ETag
    body = latest()
    assert body == program(nb, API + "/releases/latest")[1]
    etag = nb.get(API + "/releases/latest").header("etag")
    assert nb.get(API + "/releases/latest", {"If-None-Match": etag}).status == 304
