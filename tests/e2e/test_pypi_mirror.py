"""The Python index's caching mirror in front of a stand-in for pypi.org:
a small HTTP server on loopback serving a directory in PyPI's simple
layout (/simple/, /simple/<project>/, /packages/<file>), as PEP 691 JSON
(when asked) or PEP 503 HTML, with ETags, counting what it is asked.
Pages fresh, cached, revalidated, stale, offline; files fetched once and
checked against their digest; least-recently-used eviction; pip through
a stage that inherits root/pypi; dependency confusion refused."""
import hashlib
import html
import http.server
import json
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import free_port, wait_until
from pypi_dists import basic, make_wheel, pip, upload_form

ROOT_PW = "root-secret"
JSON_ACCEPT = {"Accept": "application/vnd.pypi.simple.v1+json"}
HTML_ACCEPT = {"Accept": "text/html"}
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


class PyPIStandIn:
    """Stands in for pypi.org: serves <root>/simple/... and <root>/packages/...
    from a local directory.  json=False serves only HTML (an upstream
    without PEP 691).  hits counts requests per path, answered_304 the
    revalidations; delay slows page answers; files_at (a URL) redirects
    the files there, as pypi.org does to files.pythonhosted.org."""

    def __init__(self, root, json_pages=True):
        self.root, self.json_pages = root, json_pages
        self.hits, self.answered_304, self.delay = {}, 0, 0.0
        self.gate = None      # a threading.Event page answers wait for
        self.failing = False  # pages answer 503
        self.files_at = None
        self.lock = threading.Lock()
        os.makedirs(os.path.join(root, "simple"), exist_ok=True)
        os.makedirs(os.path.join(root, "packages"), exist_ok=True)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.projects = {}
        self.start()

    def start(self):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                owner.answer(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def count(self, path):
        with self.lock:
            return self.hits.get(path, 0)

    # -- the directory ------------------------------------------------------
    def publish(self, project, files, tamper=()):
        """Writes the files (paths of built distributions) under packages/
        and the project's pages; a file named in tamper is listed with the
        digest of its bytes but served with other bytes."""
        entries = self.projects.setdefault(project, [])
        for path in files:
            data = open(path, "rb").read()
            fn = os.path.basename(path)
            entries.append({"filename": fn, "sha256": hashlib.sha256(data).hexdigest(),
                            "size": len(data)})
            if fn in tamper:
                data = data[:-1] + bytes([data[-1] ^ 0xff])
            with open(os.path.join(self.root, "packages", fn), "wb") as f:
                f.write(data)
        self.write_pages(project)

    def write_pages(self, project):
        d = os.path.join(self.root, "simple", project)
        os.makedirs(d, exist_ok=True)
        links = "".join(
            '<a href="../../packages/%s#sha256=%s" data-requires-python="%s">%s</a><br/>\n'
            % (e["filename"], e["sha256"], html.escape(">=3.7"), e["filename"])
            for e in self.projects[project])
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write("<!DOCTYPE html><html><body><h1>Links for %s</h1>\n%s</body></html>\n"
                    % (project, links))
        page = {"meta": {"api-version": "1.1"}, "name": project, "files": [
            {"filename": e["filename"], "url": self.url + "/packages/" + e["filename"],
             "hashes": {"sha256": e["sha256"]}, "requires-python": ">=3.7",
             "size": e["size"], "yanked": False} for e in self.projects[project]]}
        with open(os.path.join(d, "index.json"), "w") as f:
            json.dump(page, f)
        names = sorted(self.projects)
        with open(os.path.join(self.root, "simple", "index.html"), "w") as f:
            f.write("<html><body>%s</body></html>" % "".join(
                '<a href="/simple/%s/">%s</a>\n' % (n, n) for n in names))
        with open(os.path.join(self.root, "simple", "index.json"), "w") as f:
            json.dump({"meta": {"api-version": "1.0"},
                       "projects": [{"name": n} for n in names]}, f)

    # -- answering ----------------------------------------------------------
    def answer(self, h):
        path = h.path.split("?")[0]
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
        if path.startswith("/packages/") and self.files_at:
            h.send_response(302)
            h.send_header("Location", self.files_at + path)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if path.startswith("/packages/"):
            return self.send_file(h, os.path.join(self.root, "packages", path[10:]),
                                  "application/octet-stream")
        if not path.startswith("/simple/") or ".." in path:
            return h.send_error(404)
        if self.delay:
            time.sleep(self.delay)
        if self.gate:
            self.gate.wait(60)
        if self.failing:
            return h.send_error(503)
        want_json = self.json_pages and JSON_TYPE in (h.headers.get("Accept") or "")
        name = "index.json" if want_json else "index.html"
        ctype = JSON_TYPE if want_json else "text/html; charset=utf-8"
        self.send_file(h, os.path.join(self.root, path[1:], name), ctype, etag=True)

    def send_file(self, h, path, ctype, etag=False):
        try:
            data = open(path, "rb").read()
        except OSError:
            return h.send_error(404)
        tag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        if etag and h.headers.get("If-None-Match") == tag:
            with self.lock:
                self.answered_304 += 1
            h.send_response(304)
            h.send_header("ETag", tag)
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        if etag:
            h.send_header("ETag", tag)
        h.end_headers()
        h.wfile.write(data)


@pytest.fixture
def upstream(tmpdir_shared):
    u = PyPIStandIn(os.path.join(tmpdir_shared, "pypi.org"))
    yield u
    u.stop()


def start_px(make_nb, sub="mirror", **env):
    e = {"NESTBOX_PYPI__ROOT_PASSWORD": ROOT_PW}
    e.update(env)
    nb = make_nb(e, sub=sub)
    nb.start()
    return nb


def patch_index(nb, path, cfg, user="root", pw=ROOT_PW):
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    h.update(basic(user, pw))
    r = nb.request("PATCH", path, h, json.dumps(cfg).encode())
    assert r.status == 200, r.body
    return r


def put_json(nb, path, obj, auth):
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    h.update(auth)
    r = nb.request("PUT", path, h, json.dumps(obj).encode())
    assert r.status == 201, r.body


def point_root_pypi(nb, upstream, expiry=3600):
    patch_index(nb, "/pypi/root/pypi", {"mirror_url": upstream.url + "/simple/",
                                        "mirror_cache_expiry": expiry})


def page(nb, project, index="root/pypi", accept=JSON_ACCEPT):
    return nb.get("/pypi/%s/+simple/%s/" % (index, project), accept)


def wheels(d, name, *versions, **meta):
    os.makedirs(d, exist_ok=True)
    return [make_wheel(d, name, v, **meta) for v in versions]


def mirror_rows(nb):
    with nb.db() as c:
        return {r[0]: r[1] for r in c.execute("SELECT filename, sha256 FROM pypi_mirror_files")}


def blob_exists(nb, sha):
    return os.path.exists(os.path.join(nb.state, "blobs", sha[:2], sha))


# -- pages ------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["json", "html"])
def test_page_fresh_cached_revalidated_then_stale(make_nb, tmpdir_shared, variant):
    up = PyPIStandIn(os.path.join(tmpdir_shared, "pypi.org"), json_pages=variant == "json")
    try:
        up.publish("nb-up", wheels(os.path.join(tmpdir_shared, "d"), "nb-up", "1.0", "1.1"))
        nb = start_px(make_nb)
        point_root_pypi(nb, up)
        r = page(nb, "nb-up")
        assert r.status == 200, r.body
        assert r.header("X-Nestbox-Mirror") == "fresh"
        files = json.loads(r.body)["files"]
        assert [f["filename"] for f in files] == ["nb_up-1.0-py3-none-any.whl",
                                                  "nb_up-1.1-py3-none-any.whl"]
        want = {e["filename"]: e["sha256"] for e in up.projects["nb-up"]}
        for f in files:
            assert f["hashes"]["sha256"] == want[f["filename"]]
            assert f["requires-python"] == ">=3.7"
            assert f["url"] == "/pypi/root/pypi/+f/%s/%s/%s" % (
                f["hashes"]["sha256"][:3], f["hashes"]["sha256"][3:16], f["filename"])
        assert json.loads(r.body)["versions"] == ["1.0", "1.1"]
        # HTML to the client from the same cache
        r = page(nb, "nb-up", accept=HTML_ACCEPT)
        assert r.status == 200 and r.header("X-Nestbox-Mirror") == "cached"
        assert b'#sha256=' + want["nb_up-1.0-py3-none-any.whl"].encode() in r.body
        assert b'data-requires-python="&gt;=3.7"' in r.body
        assert up.count("/simple/nb-up/") == 1
        # expired: asked again with its validators, and the upstream says 304
        patch_index(nb, "/pypi/root/pypi", {"mirror_cache_expiry": 0})
        r = page(nb, "nb-up")
        assert r.status == 200 and r.header("X-Nestbox-Mirror") == "revalidated"
        assert up.answered_304 == 1 and up.count("/simple/nb-up/") == 2
        assert len(json.loads(r.body)["files"]) == 2
        # the upstream is gone: the last good copy, said so
        up.stop()
        r = page(nb, "nb-up")
        assert r.status == 200, r.body
        assert r.header("X-Nestbox-Mirror") == "stale"
        assert len(json.loads(r.body)["files"]) == 2
        # a page never fetched has nothing to stand in: the upstream just
        # failed, so it is not asked (503, come back later)
        r = page(nb, "nb-never")
        assert r.status == 503 and b"upstream" in r.body
        assert int(r.header("Retry-After")) > 0
        # no project list was ever fetched: the projects known here, stale
        r = nb.get("/pypi/root/pypi/+simple/", JSON_ACCEPT)
        assert r.status == 200 and r.header("X-Nestbox-Mirror") == "stale"
        assert [p["name"] for p in json.loads(r.body)["projects"]] == ["nb-up"]
    finally:
        up.stop()


def test_links_keep_the_upstream_pages_order(make_nb, upstream, tmpdir_shared):
    """A mirrored page lists its files in the order the upstream page did,
    not by name, fresh and from the cache alike (the store keeps each
    link's place on its page, on SQLite and PostgreSQL)."""
    upstream.publish("nb-order", wheels(os.path.join(tmpdir_shared, "o"), "nb-order",
                                        "2.0", "1.0", "10.0"))
    want = [e["filename"] for e in upstream.projects["nb-order"]]
    assert want != sorted(want)
    nb = start_px(make_nb)
    point_root_pypi(nb, upstream)
    for how in ("fresh", "cached"):
        r = page(nb, "nb-order")
        assert r.status == 200 and r.header("X-Nestbox-Mirror") == how, r.body
        assert [f["filename"] for f in json.loads(r.body)["files"]] == want


@pytest.mark.parametrize("accept", [JSON_ACCEPT, HTML_ACCEPT])
def test_project_list_from_the_upstream(make_nb, upstream, tmpdir_shared, accept):
    d = os.path.join(tmpdir_shared, "d")
    upstream.publish("nb-one", wheels(d, "nb-one", "1.0"))
    upstream.publish("Nb_Two", wheels(d, "nb-two", "1.0"))
    nb = start_px(make_nb)
    point_root_pypi(nb, upstream)
    r = nb.get("/pypi/root/pypi/+simple/", accept)
    assert r.status == 200 and r.header("X-Nestbox-Mirror") == "fresh"
    if accept is JSON_ACCEPT:
        assert [p["name"] for p in json.loads(r.body)["projects"]] == ["nb-one", "nb-two"]
    else:
        assert b">nb-one<" in r.body and b">nb-two<" in r.body
    assert nb.get("/pypi/root/pypi/+simple/", accept).header("X-Nestbox-Mirror") == "cached"
    assert upstream.count("/simple/") == 1


@pytest.mark.shipped_procs
def test_many_clients_on_a_cold_page_ask_the_upstream_once(make_nb, upstream, tmpdir_shared):
    """One of them fetches it; the others are not made to wait for that
    fetch (each would hold a process): 503 with Retry-After, and their
    next try finds the page."""
    upstream.publish("nb-cold", wheels(os.path.join(tmpdir_shared, "d"), "nb-cold", "1.0"))
    upstream.delay = 1.0
    nb = start_px(make_nb)
    point_root_pypi(nb, upstream)
    with ThreadPoolExecutor(6) as ex:
        answers = list(ex.map(lambda _: page(nb, "nb-cold"), range(6)))
    assert sorted(set(r.status for r in answers)) in ([200], [200, 503]), \
        [r.body for r in answers]
    assert all(int(r.header("Retry-After")) > 0 for r in answers if r.status == 503)
    assert all(len(json.loads(page(nb, "nb-cold").body)["files"]) == 1 for _ in answers)
    assert upstream.count("/simple/nb-cold/") == 1


@pytest.mark.shipped_procs
def test_a_slow_upstream_does_not_stall_other_clients(make_nb, upstream, tmpdir_shared):
    """While one request waits on the upstream, the index answers others."""
    upstream.publish("nb-slow", wheels(os.path.join(tmpdir_shared, "d"), "nb-slow", "1.0"))
    nb = start_px(make_nb)
    point_root_pypi(nb, upstream)
    put_json(nb, "/pypi/alice", {"password": "alice-pw"}, basic("root", ROOT_PW))
    put_json(nb, "/pypi/alice/dev", {"bases": ["root/pypi"]}, basic("alice", "alice-pw"))
    mine, = wheels(os.path.join(tmpdir_shared, "mine"), "nb-mine", "1.0")
    body, h = upload_form(mine)
    h.update(basic("alice", "alice-pw"))
    assert nb.request("POST", "/pypi/alice/dev/", h, body).status == 200
    upstream.gate = threading.Event()
    with ThreadPoolExecutor(1) as ex:
        slow = ex.submit(page, nb, "nb-slow")
        wait_until(lambda: upstream.count("/simple/nb-slow/") == 1, "the upstream asked")
        r = page(nb, "nb-mine", index="alice/dev")
        assert r.status == 200 and not slow.done()
        assert json.loads(r.body)["files"][0]["filename"] == os.path.basename(mine)
        upstream.gate.set()
        r = slow.result()
    assert r.status == 200 and r.header("X-Nestbox-Mirror") == "fresh"


def test_a_failing_upstream_is_not_asked_again_at_once(make_nb, upstream):
    """502 "upstream unavailable" (what the upstream answered is for the
    log, not the client), then 503 with Retry-After without asking it."""
    upstream.failing = True
    nb = start_px(make_nb)
    point_root_pypi(nb, upstream)
    r = page(nb, "nb-down")
    assert r.status == 502 and b"upstream" in r.body and b"503" not in r.body, r.body
    for _ in range(3):
        r = page(nb, "nb-down")
        assert r.status == 503 and int(r.header("Retry-After")) > 0, r.body
    assert upstream.count("/simple/nb-down/") == 1
    # an expiry of 0 asks every time, once the host's failure is old enough
    patch_index(nb, "/pypi/root/pypi", {"mirror_cache_expiry": 0})
    wait_until(lambda: page(nb, "nb-down").status == 502, "the upstream asked again", 40)
    assert upstream.count("/simple/nb-down/") == 2


def test_an_upstream_that_never_answers_is_given_up(make_nb):
    """A socket that accepts and says nothing: the bounded wait ends in 502."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        nb = start_px(make_nb, NESTBOX_PYPI__MIRROR_TIMEOUT="2")
        patch_index(nb, "/pypi/root/pypi",
                    {"mirror_url": "http://127.0.0.1:%d/simple/" % s.getsockname()[1]})
        r = page(nb, "nb-hang")
        assert r.status == 502 and b"upstream" in r.body
        # the program is free again
        assert nb.get("/pypi/root/pypi", {"Accept": "application/json"}).status == 200
    finally:
        s.close()


# -- files ------------------------------------------------------------------

def test_file_fetched_once_then_served_from_the_store(make_nb, upstream, tmpdir_shared):
    whl, = wheels(os.path.join(tmpdir_shared, "d"), "nb-file", "1.0")
    upstream.publish("nb-file", [whl])
    nb = start_px(make_nb)
    point_root_pypi(nb, upstream)
    f = json.loads(page(nb, "nb-file").body)["files"][0]
    for _ in range(2):
        r = nb.get(f["url"])
        assert r.status == 200 and r.body == open(whl, "rb").read()
        assert r.header("Cache-Control") == "max-age=365000000, immutable, public"
    assert upstream.count("/packages/" + f["filename"]) == 1
    assert mirror_rows(nb) == {f["filename"]: f["hashes"]["sha256"]}
    # a hash path that is not the file's
    bad = f["url"].replace("/+f/%s/" % f["hashes"]["sha256"][:3], "/+f/000/")
    assert nb.get(bad).status == 404


def test_tampered_upstream_file_refused_and_nothing_stored(make_nb, upstream, tmpdir_shared):
    whl, = wheels(os.path.join(tmpdir_shared, "d"), "nb-evil", "1.0")
    upstream.publish("nb-evil", [whl], tamper={os.path.basename(whl)})
    nb = start_px(make_nb)
    point_root_pypi(nb, upstream)
    f = json.loads(page(nb, "nb-evil").body)["files"][0]
    r = nb.get(f["url"])
    assert r.status == 502 and b"sha256" in r.body
    assert mirror_rows(nb) == {}
    served = open(os.path.join(upstream.root, "packages", f["filename"]), "rb").read()
    assert not blob_exists(nb, hashlib.sha256(served).hexdigest())
    assert not blob_exists(nb, f["hashes"]["sha256"])
    assert os.listdir(os.path.join(nb.state, "blobs", "tmp")) == []


def test_offline_lists_only_cached_files_and_never_asks(make_nb, upstream, tmpdir_shared):
    a, b = wheels(os.path.join(tmpdir_shared, "d"), "nb-off", "1.0", "2.0")
    upstream.publish("nb-off", [a, b])
    nb = start_px(make_nb)
    point_root_pypi(nb, upstream, expiry=0)
    files = json.loads(page(nb, "nb-off").body)["files"]
    assert nb.get(files[0]["url"]).status == 200
    nb.stop()
    nb.env["NESTBOX_PYPI__OFFLINE"] = "true"
    nb.start()
    asked = dict(upstream.hits)
    r = page(nb, "nb-off")
    assert r.status == 200 and r.header("X-Nestbox-Mirror") == "offline"
    assert [f["filename"] for f in json.loads(r.body)["files"]] == [os.path.basename(a)]
    assert nb.get(files[0]["url"]).status == 200
    assert nb.get(files[1]["url"]).status == 404
    assert page(nb, "nb-unknown").status == 404
    r = nb.get("/pypi/root/pypi/+simple/", JSON_ACCEPT)
    assert [p["name"] for p in json.loads(r.body)["projects"]] == ["nb-off"]
    assert upstream.hits == asked


def test_lru_eviction_under_cache_max_keeps_uploads(make_nb, upstream, tmpdir_shared):
    d = os.path.join(tmpdir_shared, "d")
    ws = wheels(d, "nb-lru", "1.0", "2.0", "3.0")
    upstream.publish("nb-lru", ws)
    size = max(os.path.getsize(w) for w in ws)
    nb = start_px(make_nb, NESTBOX_PYPI__CACHE_MAX=str(size * 2 + size // 2))
    point_root_pypi(nb, upstream)
    # an upload on a stage: never evicted, not counted
    put_json(nb, "/pypi/alice", {"password": "alice-pw"}, basic("root", ROOT_PW))
    put_json(nb, "/pypi/alice/dev", {"bases": ["root/pypi"]}, basic("alice", "alice-pw"))
    mine, = wheels(os.path.join(tmpdir_shared, "up"), "nb-mine", "1.0")
    body, h = upload_form(mine)
    h.update(basic("alice", "alice-pw"))
    assert nb.request("POST", "/pypi/alice/dev/", h, body).status == 200
    files = {f["filename"]: f for f in json.loads(page(nb, "nb-lru").body)["files"]}
    one, two, three = (files[os.path.basename(w)] for w in ws)
    assert nb.get(one["url"]).status == 200
    assert nb.get(two["url"]).status == 200
    assert nb.get(one["url"]).status == 200         # one is now the most recent
    assert nb.get(three["url"]).status == 200       # over the cap: two goes
    rows = mirror_rows(nb)
    assert sorted(rows) == sorted([one["filename"], three["filename"]])
    assert not blob_exists(nb, two["hashes"]["sha256"])
    assert blob_exists(nb, one["hashes"]["sha256"])
    # the upload stays, and an evicted file comes back on request
    up_file = json.loads(page(nb, "nb-mine", index="alice/dev").body)["files"][0]
    assert blob_exists(nb, up_file["hashes"]["sha256"])
    assert nb.get(up_file["url"]).body == open(mine, "rb").read()
    assert nb.get(two["url"]).status == 200
    assert upstream.count("/packages/" + two["filename"]) == 2
    # gc keeps what the mirror's rows name
    nb.ctl("gc", "--grace", "0")
    for sha in mirror_rows(nb).values():
        assert blob_exists(nb, sha)


# -- through a stage, with pip --------------------------------------------

@pytest.fixture
def team(make_nb, upstream, tmpdir_shared):
    nb = start_px(make_nb)
    point_root_pypi(nb, upstream)
    put_json(nb, "/pypi/alice", {"password": "alice-pw"}, basic("root", ROOT_PW))
    put_json(nb, "/pypi/alice/dev", {"bases": ["root/pypi"]}, basic("alice", "alice-pw"))
    home = os.path.join(tmpdir_shared, "home")
    os.makedirs(home, exist_ok=True)
    return nb, home


def test_pip_install_download_and_versions_through_a_stage(team, upstream, tmpdir_shared):
    nb, home = team
    d = os.path.join(tmpdir_shared, "d")
    dep = wheels(d, "nb-dep", "1.0", "1.1")
    upstream.publish("nb-dep", dep)
    app, = wheels(os.path.join(tmpdir_shared, "mine"), "nb-app", "2.0", deps=["nb-dep>=1.1"])
    body, h = upload_form(app)
    h.update(basic("alice", "alice-pw"))
    assert nb.request("POST", "/pypi/alice/dev/", h, body).status == 200
    index = nb.url + "/pypi/alice/dev/+simple/"
    target = os.path.join(tmpdir_shared, "site")
    p = pip(home, "install", "--index-url", index, "--target", target, "nb-app")
    assert p.returncode == 0, p.stdout + p.stderr
    assert open(os.path.join(target, "nb_dep", "__init__.py")).read() == "VERSION = '1.1'\n"
    dl = os.path.join(tmpdir_shared, "dl")
    p = pip(home, "download", "--index-url", index, "--dest", dl, "--no-deps", "nb-dep==1.0")
    assert p.returncode == 0, p.stdout + p.stderr
    assert open(os.path.join(dl, os.path.basename(dep[0])), "rb").read() == open(dep[0], "rb").read()
    p = pip(home, "index", "versions", "--index-url", index, "nb-dep")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "nb-dep (1.1)" in p.stdout and "1.1, 1.0" in p.stdout
    assert upstream.count("/simple/nb-dep/") == 1


def test_dependency_confusion_refused_unless_whitelisted(team, upstream, tmpdir_shared):
    nb, home = team
    evil, = wheels(os.path.join(tmpdir_shared, "public"), "nb-private", "9.0")
    upstream.publish("nb-private", [evil])
    mine, = wheels(os.path.join(tmpdir_shared, "mine"), "nb-private", "1.0")
    body, h = upload_form(mine)
    h.update(basic("alice", "alice-pw"))
    assert nb.request("POST", "/pypi/alice/dev/", h, body).status == 200
    r = page(nb, "nb-private", index="alice/dev")
    assert [f["filename"] for f in json.loads(r.body)["files"]] == [os.path.basename(mine)]
    assert upstream.count("/simple/nb-private/") == 0
    target = os.path.join(tmpdir_shared, "site")
    p = pip(home, "install", "--index-url", nb.url + "/pypi/alice/dev/+simple/",
            "--target", target, "nb-private")
    assert p.returncode == 0, p.stdout + p.stderr
    assert open(os.path.join(target, "nb_private", "__init__.py")).read() == "VERSION = '1.0'\n"
    # the owner says the public project may join
    patch_index(nb, "/pypi/alice/dev", {"mirror_whitelist": ["nb-private"]}, "alice", "alice-pw")
    r = page(nb, "nb-private", index="alice/dev")
    assert sorted(f["filename"] for f in json.loads(r.body)["files"]) == sorted(
        [os.path.basename(mine), os.path.basename(evil)])


# -- operators --------------------------------------------------------------

def test_admin_shows_each_mirrors_status(make_nb, upstream, tmpdir_shared):
    from admin_client import Browser
    whl, = wheels(os.path.join(tmpdir_shared, "d"), "nb-adm", "1.0")
    upstream.publish("nb-adm", [whl])
    nb = make_nb({"NESTBOX_PYPI__ROOT_PASSWORD": ROOT_PW, "NESTBOX_ADMIN_PASSWORD": "admin-pass-1"},
                 sub="adm")
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.start()
    point_root_pypi(nb, upstream, expiry=0)
    f = json.loads(page(nb, "nb-adm").body)["files"][0]
    assert nb.get(f["url"]).status == 200
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    r = b.get("/admin/pypi/mirrors")
    assert r.status == 200, r.text
    row = r.text.split("<td>root/pypi</td>")[1].split("</tr>")[0]
    assert upstream.url + "/simple/" in row and 'class="bad"' not in r.text
    assert "<td>1</td><td>%d</td>" % os.path.getsize(whl) in row     # files, bytes
    upstream.stop()
    assert page(nb, "nb-adm").header("X-Nestbox-Mirror") == "stale"
    r = b.get("/admin/pypi/mirrors")
    row = r.text.split("<td>root/pypi</td>")[1].split("</tr>")[0]
    assert 'class="bad"' in r.text and "connect" in row.lower(), row
    assert Browser(nb.port).get("/admin/pypi/mirrors").status == 303     # login first


def test_a_new_mirror_url_forgets_the_old_upstream(make_nb, upstream, tmpdir_shared):
    d = os.path.join(tmpdir_shared, "d")
    old, new = wheels(d, "nb-moved", "1.0", "2.0")
    upstream.publish("nb-moved", [old])
    other = PyPIStandIn(os.path.join(tmpdir_shared, "other"))
    try:
        other.publish("nb-moved", [new])
        nb = start_px(make_nb)
        point_root_pypi(nb, upstream)
        f = json.loads(page(nb, "nb-moved").body)["files"][0]
        assert nb.get(f["url"]).status == 200
        point_root_pypi(nb, other)
        r = page(nb, "nb-moved")
        assert r.header("X-Nestbox-Mirror") == "fresh"
        assert [f["filename"] for f in json.loads(r.body)["files"]] == [os.path.basename(new)]
        assert mirror_rows(nb) == {}
        assert nb.get(f["url"]).status == 404
        # the expiry alone changed: the cache stays
        patch_index(nb, "/pypi/root/pypi", {"mirror_cache_expiry": 7200})
        assert page(nb, "nb-moved").header("X-Nestbox-Mirror") == "cached"
    finally:
        other.stop()
