"""The mip index: hosted packages, the upstream proxy and cache, GitHub
packages compiled to .mpy, and every byte checked before it is served."""
import json
import os
import subprocess
import tarfile

import pytest

from conftest import CTL, ROOT, STORE, wait_until
from mip_fakes import FakeHost, MipClient, add_official_package, http_get, sha

STAND_IN = os.path.join(ROOT, "tests", "e2e", "tools", "stand-in-mpy-cross")


@pytest.fixture
def upstream():
    h = FakeHost()
    yield h
    h.stop()


@pytest.fixture
def mip(make_nb, upstream):
    def start(**env):
        e = {"NESTBOX_MIP__UPSTREAM": upstream.url, "NESTBOX_MIP__GITHUB_RAW": upstream.url + "/gh",
             "NESTBOX_MIP__GITLAB_RAW": upstream.url + "/gl", "NESTBOX_MIP__MPY_CROSS": STAND_IN,
             "NESTBOX_MIP__CACHE_TTL": "3600"}
        e.update({"NESTBOX_MIP__" + k.upper(): v for k, v in env.items()})
        nb = make_nb(e, sub="mip%d" % len(e))
        nb.start()
        return nb
    return start


def files_of(target):
    out = {}
    for d, _, fs in os.walk(target):
        for f in fs:
            p = os.path.join(d, f)
            out[os.path.relpath(p, target)] = open(p, "rb").read()
    return out


def test_upstream_proxied_cached_and_served_when_upstream_is_gone(mip, upstream, tmpdir_shared):
    files = {"lib/foo/__init__.mpy": b"M\x06\x00\x1ffoo", "lib/foo/util.mpy": b"M\x06\x00\x1futil"}
    add_official_package(upstream, "foo", "1.0", files)
    nb = mip()
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "t1"))
    c.install("foo")
    assert files_of(c.target) == files
    assert len(upstream.requests("/file/")) == 2
    # the second board is served from the cache
    c2 = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "t2"))
    c2.install("foo")
    assert files_of(c2.target) == files
    assert len(upstream.requests("/file/")) == 2
    assert len(upstream.requests("/package/")) == 1
    upstream.stop()
    c3 = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "t3"))
    c3.install("foo")
    assert files_of(c3.target) == files


def test_expired_metadata_is_revalidated_and_stale_on_error(mip, upstream, tmpdir_shared):
    add_official_package(upstream, "bar", "2.0", {"bar.mpy": b"M\x06\x00\x1fbar"})
    nb = mip(cache_ttl="0")
    MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "a")).install("bar")
    MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b")).install("bar")
    reval = [inm for p, inm in upstream.log if p == "/package/6/bar/latest.json"]
    assert reval[0] is None and reval[1] and reval[1].startswith('"')   # If-None-Match sent
    upstream.stop()
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "c"))
    c.install("bar")                                    # stale, but served
    assert files_of(c.target) == {"bar.mpy": b"M\x06\x00\x1fbar"}
    with nb.db() as db:
        (err,), = db.execute("SELECT error FROM mip_upstream WHERE origin='upstream'").fetchall()
    assert "package/6/bar/latest.json" in err


def test_tampered_upstream_bytes_are_refused(mip, upstream, tmpdir_shared):
    good = b"M\x06\x00\x1fgood"
    add_official_package(upstream, "evil", "1.0", {"evil.mpy": good})
    h = sha(good)
    upstream.tamper["/file/%s/%s" % (h[:2], h[:8])] = b"M\x06\x00\x1fEVIL"
    nb = mip()
    status, _, body = http_get(nb.url + "/mip/file/%s/%s" % (h[:2], h[:8]))
    assert status == 502 and b"does not match" in body
    with pytest.raises(AssertionError, match="File not found"):
        MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "t")).install("evil")
    with nb.db() as db:
        assert db.execute("SELECT count(*) FROM mip_files").fetchone()[0] == 0
    assert "content does not match its hash: refused" in nb.read_log()
    blobs = os.path.join(nb.state, "blobs")
    assert not [f for d, _, fs in os.walk(blobs) for f in fs if not d.endswith("tmp")]


def test_offline_never_contacts_upstream(mip, upstream, tmpdir_shared):
    add_official_package(upstream, "foo", "1.0", {"foo.mpy": b"M\x06\x00\x1ffoo"})
    add_official_package(upstream, "other", "1.0", {"o.mpy": b"M\x06\x00\x1fo"})
    nb = mip()
    MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "a")).install("foo")
    nb.stop()
    nb.env["NESTBOX_MIP__OFFLINE"] = "true"
    nb.env["NESTBOX_MIP__CACHE_TTL"] = "0"
    nb.start()
    before = len(upstream.log)
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b"))
    c.install("foo")
    assert files_of(c.target) == {"foo.mpy": b"M\x06\x00\x1ffoo"}
    assert http_get(nb.url + "/mip/package/6/other/latest.json")[0] == 404
    h = sha(b"M\x06\x00\x1fo")
    assert http_get(nb.url + "/mip/file/%s/%s" % (h[:2], h[:8]))[0] == 404
    assert len(upstream.log) == before


def make_pkg(dirpath, files, pkgjson=None):
    for p, data in files.items():
        full = os.path.join(dirpath, p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    if pkgjson is not None:
        with open(os.path.join(dirpath, "package.json"), "w") as f:
            json.dump(pkgjson, f)


def test_hosted_packages_flavours_latest_and_deps(mip, tmpdir_shared):
    nb = mip()
    dep = os.path.join(tmpdir_shared, "dep")
    make_pkg(dep, {"helper.py": b"def h():\n    return 1\n"})
    assert nb.ctl("mip", "publish", dep, "--name", "helper", "--version", "0.3").returncode == 0
    src = os.path.join(tmpdir_shared, "pkg")
    files = {"src/app/__init__.py": b"from helper import h\n", "src/main.py": b"import app\n",
             "src/boot.py": b"# boot\n"}
    make_pkg(src, files, {"urls": [["app/__init__.py", "src/app/__init__.py"],
                                   ["main.py", "src/main.py"], ["boot.py", "src/boot.py"]],
                          "deps": [["helper", "0.3"]], "version": "1.0"})
    for v in ("1.0", "1.10", "1.9"):
        assert nb.ctl("mip", "publish", src, "--name", "app", "--version", v).returncode == 0
    r = nb.ctl("mip", "publish", src, "--name", "app", "--version", "1.9", check=False)
    assert r.returncode == 3 and "immutable" in r.stderr
    latest = json.loads(http_get(nb.url + "/mip/package/6/app/latest.json")[2])
    assert latest["version"] == "1.10"
    assert latest["deps"] == [["helper", "0.3"]]
    assert sorted(p for p, _ in latest["hashes"]) == ["app/__init__.mpy", "boot.py", "main.py"]
    assert all(len(h) == 8 for _, h in latest["hashes"])
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "board"))
    c.install("app")
    got = files_of(c.target)
    assert got["main.py"] == files["src/main.py"] and got["boot.py"] == files["src/boot.py"]
    assert got["app/__init__.mpy"][:4] == b"M\x06\x00\x1f"
    assert got["helper.mpy"][:4] == b"M\x06\x00\x1f"
    py = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "pyboard"), mpy="py")
    py.install("app", "1.0")
    assert files_of(py.target)["app/__init__.py"] == files["src/app/__init__.py"]
    index = json.loads(http_get(nb.url + "/mip/index.json")[2])
    apps = [p for p in index["packages"] if p["name"] == "app"][0]
    assert apps["version"] == "1.10" and sorted(apps["versions"]["6"]) == ["1.0", "1.10", "1.9"]
    assert "helper\t0.3\t1 files" in nb.ctl("mip", "list").stdout


def test_publish_archive_and_bad_inputs(mip, tmpdir_shared):
    nb = mip()
    d = os.path.join(tmpdir_shared, "arc")
    make_pkg(d, {"pkg-1.0/mod.py": b"x = 1\n"})
    arc = os.path.join(tmpdir_shared, "pkg.tar.gz")
    with tarfile.open(arc, "w:gz") as t:
        t.add(os.path.join(d, "pkg-1.0"), arcname="pkg-1.0")
    assert nb.ctl("mip", "publish", arc, "--name", "arc", "--version", "1.0").returncode == 0
    doc = json.loads(http_get(nb.url + "/mip/package/py/arc/1.0.json")[2])
    assert [p for p, _ in doc["hashes"]] == ["mod.py"]
    bad = os.path.join(tmpdir_shared, "bad.tar.gz")
    with open(bad, "wb") as f:
        f.write(open(arc, "rb").read()[:40])
    two = os.path.join(tmpdir_shared, "two.tar")
    make_pkg(d, {"pkg-1.0/other.py": os.urandom(20000)})
    with tarfile.open(two, "w") as t:
        t.add(os.path.join(d, "pkg-1.0"), arcname="pkg-1.0")
    cut = os.path.join(tmpdir_shared, "cut.tar")
    with open(cut, "wb") as f:
        f.write(open(two, "rb").read()[:15000])
    for args, why in [([bad], "not a readable archive"), ([cut], "truncated or corrupt"),
                      ([arc, "--name", "../x"], "a name is"),
                      # longer than kept: refused with the field and the limit named
                      ([arc, "--name", "n" * 101], "the name is 101 bytes, at most 100"),
                      ([arc, "--version", "1" * 64], "the version is 64 bytes, at most 63"),
                      ([arc, "--version", "latest"], "a name is")]:
        argv = ["mip", "publish"] + args
        if "--name" not in args:
            argv += ["--name", "bad"]
        if "--version" not in args:
            argv += ["--version", "1"]
        r = nb.ctl(*argv, check=False)
        assert r.returncode == 1 and why in r.stderr, r.stderr
    escape = os.path.join(tmpdir_shared, "esc")
    make_pkg(escape, {"a.py": b"1\n"}, {"urls": [["a.py", "../../etc/passwd"]]})
    r = nb.ctl("mip", "publish", escape, "--name", "esc", "--version", "1", check=False)
    assert r.returncode == 1 and "not a file of the package" in r.stderr
    make_pkg(escape, {}, {"urls": [["../a.py", "a.py"]]})
    r = nb.ctl("mip", "publish", escape, "--name", "esc", "--version", "1", check=False)
    assert r.returncode == 1 and "not a plain relative path" in r.stderr
    assert "esc" not in nb.ctl("mip", "list").stdout


def test_compile_failures_are_never_served(mip, tmpdir_shared):
    nb = mip()
    for name, text in (("syn", b"STAND-IN-SYNTAX-ERROR\n"), ("nat", b"STAND-IN-NATIVE\n")):
        d = os.path.join(tmpdir_shared, name)
        make_pkg(d, {"m.py": text})
        r = nb.ctl("mip", "publish", d, "--name", name, "--version", "1", check=False)
        assert r.returncode == 1
        assert ("SyntaxError" if name == "syn" else "no bytecode-only mpy v6") in r.stderr
        assert http_get(nb.url + "/mip/package/6/%s/latest.json" % name)[0] == 404


def test_hash_prefixes(mip, tmpdir_shared):
    nb = mip(offline="true")
    d = os.path.join(tmpdir_shared, "p")
    make_pkg(d, {"m.py": b"hello = 1\n"})
    nb.ctl("mip", "publish", d, "--name", "p", "--version", "1")
    h = json.loads(http_get(nb.url + "/mip/package/py/p/1.json")[2])["hashes"][0][1]
    full = sha(b"hello = 1\n")
    assert full.startswith(h)
    for n in (4, 8, 20, 64):
        s, hd, body = http_get(nb.url + "/mip/file/%s/%s" % (full[:2], full[:n]))
        assert (s, body) == (200, b"hello = 1\n")
    assert http_get(nb.url + "/mip/file/%s/%s" % (full[:2], full[:3]))[0] == 400
    assert http_get(nb.url + "/mip/file/zz/%s" % full[:8])[0] == 400
    assert http_get(nb.url + "/mip/file/%s/%s" % (full[:2], full[:8].upper()))[0] == 400
    assert http_get(nb.url + "/mip/file/00/00000000")[0] == 404


def test_github_package_compiled_with_deps(mip, upstream, tmpdir_shared):
    gh = "/gh/org/repo/HEAD/"
    upstream.files[gh + "package.json"] = json.dumps({
        "urls": [["repo/__init__.py", "repo/__init__.py"], ["main.py", "main.py"],
                 ["repo/extra.py", "github:org/other/extra.py"]],
        "deps": [["github:org/dep", "v2"], ["foo", "1.0"]], "version": "0.4"}).encode()
    upstream.files[gh + "repo/__init__.py"] = b"VALUE = 4\n"
    upstream.files[gh + "main.py"] = b"import repo\n"
    upstream.files["/gh/org/other/HEAD/extra.py"] = b"EXTRA = 1\n"
    upstream.files["/gh/org/dep/v2/package.json"] = json.dumps(
        {"urls": [["dep.py", "dep.py"]]}).encode()
    upstream.files["/gh/org/dep/v2/dep.py"] = b"DEP = 2\n"
    add_official_package(upstream, "foo", "1.0", {"foo.mpy": b"M\x06\x00\x1ffoo"}, latest=False)
    nb = mip()
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "board"))
    doc = c.install(nb.url + "/mip/github/org/repo")
    got = files_of(c.target)
    assert sorted(got) == ["dep.mpy", "foo.mpy", "main.py", "repo/__init__.mpy", "repo/extra.mpy"]
    assert got["main.py"] == b"import repo\n"                    # never compiled
    assert got["repo/__init__.mpy"].startswith(b"M\x06\x00\x1f")
    assert got["repo/__init__.mpy"].endswith(b"VALUE = 4\n")
    assert doc["deps"][0] == [nb.url + "/mip/github/org/dep/tree/v2", "v2"]
    assert doc["version"] == "0.4"
    # every fetched file came from nestbox, none from the raw host directly
    assert all(u.startswith(nb.url) for u in c.fetched)
    # a ref in the URL, and the cache: a second board needs no raw-host request
    before = len(upstream.requests("/gh/"))
    MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b2")).install(
        nb.url + "/mip/github/org/repo")
    assert len(upstream.requests("/gh/")) == before
    upstream.files["/gh/org/repo/v9/package.json"] = json.dumps(
        {"urls": [["x.py", "x.py"]]}).encode()
    upstream.files["/gh/org/repo/v9/x.py"] = b"X = 9\n"
    c3 = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b3"))
    c3.install(nb.url + "/mip/github/org/repo@v9")
    assert files_of(c3.target)["x.mpy"].endswith(b"X = 9\n")
    assert http_get(nb.url + "/mip/github/org/nope")[0] == 404
    upstream.files["/gh/org/bad/HEAD/package.json"] = json.dumps(
        {"urls": [["x.py", "https://elsewhere.example/x.py"]]}).encode()
    s, _, body = http_get(nb.url + "/mip/github/org/bad")
    assert s == 502 and b"sources must be in the repository" in body
    # the configured raw host as a prefix of another host is not that host
    upstream.files["/gh/org/bad2/HEAD/package.json"] = json.dumps(
        {"urls": [["x.py", upstream.url + "/gh@127.0.0.1:1/x.py"]]}).encode()
    s, _, body = http_get(nb.url + "/mip/github/org/bad2")
    assert s == 502 and b"sources must be in the repository" in body
    for bad in ("/mip/github/org/repo@../other", "/mip/github/org/repo@..",
                "/mip/github/.x/repo", "/mip/github/org/re%3Fpo"):
        assert http_get(nb.url + bad)[0] == 400, bad


def test_gitlab_layout(mip, upstream, tmpdir_shared):
    upstream.files["/gl/grp/proj/-/raw/HEAD/package.json"] = json.dumps(
        {"urls": [["g.py", "g.py"]]}).encode()
    upstream.files["/gl/grp/proj/-/raw/HEAD/g.py"] = b"G = 1\n"
    nb = mip()
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b"))
    c.install(nb.url + "/mip/gitlab/grp/proj")
    assert files_of(c.target)["g.mpy"].endswith(b"G = 1\n")
    # the ref and source forms hold for GitLab too, from either command line
    upstream.files["/gl/grp/proj/-/raw/v2/package.json"] = json.dumps(
        {"urls": [["g.py", "g.py"]]}).encode()
    upstream.files["/gl/grp/proj/-/raw/v2/g.py"] = b"G = 2\n"
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "v2"), mpy="py", relative=False)
    c.cli(nb.url + "/mip/gitlab/grp/proj/py/tree/v2")
    assert files_of(c.target) == {"g.py": b"G = 2\n"}


# what the programs say as they start: every program started with lighttpd
@pytest.mark.shipped_procs
def test_without_compiler_sources_are_served(mip, tmpdir_shared):
    nb = mip(mpy_cross="")
    d = os.path.join(tmpdir_shared, "p")
    make_pkg(d, {"m.py": b"M = 1\n"})
    nb.ctl("mip", "publish", d, "--name", "nc", "--version", "1")
    doc = json.loads(http_get(nb.url + "/mip/package/6/nc/latest.json")[2])
    assert [p for p, _ in doc["hashes"]] == ["m.py"]
    health = json.loads(nb.get("/healthz").body)
    assert health["status"] == "ok"
    assert "missing" in health["checks"]["mip_compiler"]
    assert "the mpy flavour serves sources" in nb.read_log()


# what the programs say as they start: every program started with lighttpd
@pytest.mark.shipped_procs
def test_missing_compiler_said_once(mip, tmpdir_shared):
    """A missing mpy-cross is said once per state directory, not by every
    process that starts (each program's FastCGI processes, nestboxctl, a
    restart); said again after a compiler was there and went."""
    nb = mip(mpy_cross="")
    said = "the mpy flavour serves sources"
    for path in ("/mip/index.json", "/admin/login", "/mip/package/6/none/latest.json"):
        nb.get(path)
    d = os.path.join(tmpdir_shared, "p1")
    make_pkg(d, {"m.py": b"M = 1\n"})
    r = nb.ctl("mip", "publish", d, "--name", "once", "--version", "1")
    assert said not in r.stderr
    nb.stop()
    nb.start()
    nb.get("/mip/index.json")
    assert nb.read_log().count(said) == 1, nb.read_log()
    marker = os.path.join(nb.state, "mip-compiler.said")
    assert "no compiler configured" in open(marker).read()
    # a compiler found removes the marker: losing it later is said again
    nb.stop()
    nb.env["NESTBOX_MIP__MPY_CROSS"] = STAND_IN
    nb.start()
    nb.get("/mip/index.json")
    assert not os.path.exists(marker)
    nb.stop()
    nb.env["NESTBOX_MIP__MPY_CROSS"] = ""
    nb.start()
    nb.get("/mip/index.json")
    assert nb.read_log().count(said) == 2


def test_compiler_shown_in_health(mip):
    nb = mip()
    assert "mpy v6.3" in json.loads(nb.get("/healthz").body)["checks"]["mip_compiler"]


def test_bad_routes(mip):
    nb = mip(offline="true")
    for path, status in [("/mip/package/x/foo/latest.json", 400),
                         ("/mip/package/6/..foo/latest.json", 400),
                         ("/mip/package/6/foo/latest", 404),
                         ("/mip/package/6/foo/a%20b.json", 400),
                         ("/mip/package/6/nothing/latest.json", 404),
                         ("/mip/nothing", 404),
                         ("/mip/github/org", 404)]:
        assert http_get(nb.url + path)[0] == status, path


def test_bad_repo_spec_is_the_routers_400(mip):
    """What follows /mip/github/ or /mip/gitlab/ is declared input: a spec
    that does not parse is refused by the router, naming the field, before
    the handler (or anything upstream) runs; no <org>/<repo> is a 404."""
    nb = mip(offline="true")
    for path, why in [("/mip/github/org/repo@..", b"bad ref"),
                      ("/mip/gitlab/org/repo@v1/tree/v2", b"give the ref once"),
                      ("/mip/github/org/repo/tree", b"tree/<ref>"),
                      ("/mip/github/.x/repo", b"plain names")]:
        s, _, body = http_get(nb.url + path)
        assert s == 400, path
        assert body.startswith(b"invalid repo: ") and why in body, (path, body)
    s, _, body = http_get(nb.url + "/mip/github/org")
    assert s == 404 and b"<org>/<repo>" in body


def test_cache_is_bounded_least_recently_used_first(mip, upstream, tmpdir_shared):
    blobs = {}
    for i in range(4):
        data = bytes([0x4D, 6, 0, 31]) + os.urandom(3000)
        add_official_package(upstream, "p%d" % i, "1.0", {"p%d.mpy" % i: data})
        blobs[i] = data
    nb = mip(cache_max="7000")
    for i in range(4):
        MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b%d" % i)).install("p%d" % i)
    with nb.db() as db:
        kept = [r[0] for r in db.execute("SELECT sha256 FROM mip_files")]
        total = db.execute("SELECT sum(size) FROM mip_files").fetchone()[0]
    assert total <= 7000 and sha(blobs[0]) not in kept and sha(blobs[3]) in kept
    # an evicted file is fetched again on demand
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "again"))
    c.install("p0")
    assert files_of(c.target)["p0.mpy"] == blobs[0]


@pytest.mark.skipif(STORE == "postgresql", reason="a store other hosts may share keeps no "
                    "file-prefix links (src/mip/mip_store.c; test_two_hosts.py checks it)")
def test_cached_files_are_sent_by_the_front_end(mip, tmpdir_shared):
    """8-digit prefixes of cached files are static links lighttpd serves;
    other prefixes still reach the program, which sees the original URI."""
    nb = mip(offline="true")
    d = os.path.join(tmpdir_shared, "p")
    make_pkg(d, {"m.py": b"static = 1\n"})
    nb.ctl("mip", "publish", d, "--name", "st", "--version", "1")
    full = sha(b"static = 1\n")
    link = os.path.join(nb.state, "mip-static", "mip", "file", full[:2], full[:8])
    assert os.path.realpath(link) == os.path.join(nb.state, "blobs", full[:2], full)
    for n in (8, 6):
        s, _, body = http_get(nb.url + "/mip/file/%s/%s" % (full[:2], full[:n]))
        assert (s, body) == (200, b"static = 1\n")

    def logged(program):
        with nb.db() as db:
            return [r[0] for r in db.execute("SELECT path FROM request_log WHERE program=?",
                                             (program,))]
    # the front end's access log is the request log: both are there, the
    # file lighttpd sent as "static", only the miss as the program's
    wait_until(lambda: len(logged("static")) + len(logged("mip")) == 2, "both requests logged")
    assert logged("mip") == ["/mip/file/%s/%s" % (full[:2], full[:6])]
    assert logged("static") == ["/mip/file/%s/%s" % (full[:2], full[:8])]


@pytest.mark.skipif(STORE == "postgresql", reason="a store other hosts may share keeps no "
                    "copy of latest.json (src/mip/mip_publish.c; test_two_hosts.py checks it)")
def test_hosted_package_json_is_sent_by_the_front_end(mip, tmpdir_shared):
    nb = mip(offline="true")
    d = os.path.join(tmpdir_shared, "p")
    make_pkg(d, {"m.py": b"S = 1\n"})
    nb.ctl("mip", "publish", d, "--name", "sj", "--version", "1.0")
    nb.ctl("mip", "publish", d, "--name", "sj", "--version", "2.0")
    s, h, body = http_get(nb.url + "/mip/package/py/sj/latest.json")
    assert s == 200 and h["content-type"] == "application/json"
    assert json.loads(body)["version"] == "2.0"
    assert json.loads(http_get(nb.url + "/mip/package/6/sj/1.0.json")[2])["version"] == "1.0"
    # a version that is not hosted still reaches the program
    assert http_get(nb.url + "/mip/package/6/sj/3.0.json")[0] == 404

    def logged():
        with nb.db() as db:
            return db.execute("SELECT program, path FROM request_log ORDER BY id").fetchall()
    wait_until(lambda: ("mip", "/mip/package/6/sj/3.0.json") in logged(), "the miss logged")
    # the hosted ones had no FastCGI round trip: lighttpd sent them
    assert [r for r in logged() if r[1].startswith("/mip/")] == [
        ("static", "/mip/package/py/sj/latest.json"), ("static", "/mip/package/6/sj/1.0.json"),
        ("mip", "/mip/package/6/sj/3.0.json")]


def gh_package(upstream, repo, ref, files, extra_urls=(), deps=None):
    """A repository at a ref on the GitHub stand-in: package.json naming files."""
    base = "/gh/org/%s/%s/" % (repo, ref)
    doc = {"urls": [[p, p] for p in files] + list(extra_urls)}
    if deps:
        doc["deps"] = deps
    upstream.files[base + "package.json"] = json.dumps(doc).encode()
    for p, data in files.items():
        upstream.files[base + p] = data


def test_github_branch_files_follow_the_branch(mip, upstream, tmpdir_shared):
    """A .py that changes while package.json does not reaches the next board
    once the cache time is over; unchanged files are only revalidated."""
    gh_package(upstream, "br", "HEAD", {"br.py": b"V = 1\n", "same.py": b"S = 1\n"})
    nb = mip(cache_ttl="0")
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "a"))
    c.install(nb.url + "/mip/github/org/br")
    assert files_of(c.target)["br.mpy"].endswith(b"V = 1\n")
    upstream.files["/gh/org/br/HEAD/br.py"] = b"V = 2\n"
    c2 = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b"))
    c2.install(nb.url + "/mip/github/org/br")
    got = files_of(c2.target)
    assert got["br.mpy"].endswith(b"V = 2\n") and got["same.mpy"].endswith(b"S = 1\n")
    same = [inm for p, inm in upstream.log if p == "/gh/org/br/HEAD/same.py"]
    assert len(same) == 2 and same[0] is None and same[1].startswith('"')
    # the same holds for the source flavour, and within the cache time nothing is asked
    nb.stop()
    nb.env["NESTBOX_MIP__CACHE_TTL"] = "3600"
    nb.start()
    py = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "p"))
    py.install(nb.url + "/mip/github/org/br/py")
    assert files_of(py.target)["br.py"] == b"V = 2\n"
    before = len(upstream.log)
    upstream.files["/gh/org/br/HEAD/br.py"] = b"V = 3\n"
    py2 = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "p2"))
    py2.install(nb.url + "/mip/github/org/br/py")
    assert files_of(py2.target)["br.py"] == b"V = 2\n" and len(upstream.log) == before


def test_github_served_stale_when_the_host_is_unreachable(mip, upstream, tmpdir_shared):
    gh_package(upstream, "gone", "HEAD", {"gone.py": b"G = 1\n"})
    nb = mip(cache_ttl="0")
    MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "a")).install(
        nb.url + "/mip/github/org/gone")
    upstream.stop()
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b"))
    c.install(nb.url + "/mip/github/org/gone")
    assert files_of(c.target)["gone.mpy"].endswith(b"G = 1\n")
    with nb.db() as db:
        (err,), = db.execute("SELECT error FROM mip_upstream WHERE origin='github'").fetchall()
    assert "/gh/org/gone/HEAD/" in err
    # never fetched: a 502 (503 while the failed host is left alone), not
    # a 500, and without the host's URL (the log has it)
    s, _, body = http_get(nb.url + "/mip/github/org/never")
    assert s in (502, 503) and b"unavailable" in body and b"/gh/" not in body, (s, body)


def test_github_ref_survives_the_command_lines(mip, upstream, tmpdir_shared):
    """`micropython -m mip install URL@v1` and `mpremote mip install URL@v1` cut
    "@v1" off and drop it for a URL: the tree/<ref> form carries the ref."""
    gh_package(upstream, "cli", "HEAD", {"cli.py": b"REF = 'head'\n"})
    gh_package(upstream, "cli", "v1", {"cli.py": b"REF = 'v1'\n"})
    upstream.files["/gh/org/cli/v1/sub/package.json"] = json.dumps(
        {"urls": [["sub.py", "s.py"]]}).encode()
    upstream.files["/gh/org/cli/v1/sub/s.py"] = b"SUB = 1\n"
    nb = mip()
    url = nb.url + "/mip/github/org/cli"
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "at"))
    c.cli(url + "@v1")                      # what the command lines do with "@"
    assert files_of(c.target)["cli.mpy"].endswith(b"REF = 'head'\n")
    for form, target in ((url + "/tree/v1", "t"), (url + "/tree/v1/", "t2")):
        c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, target))
        c.cli(form)
        assert files_of(c.target)["cli.mpy"].endswith(b"REF = 'v1'\n"), form
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "sub"))
    c.cli(url + "/tree/v1/sub")             # a package in a directory, at a ref
    got = files_of(c.target)
    assert list(got) == ["sub.mpy"] and got["sub.mpy"].endswith(b"SUB = 1\n")
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "pyref"), mpy="py",
                  relative=False)
    c.cli(url + "/py/tree/v1")
    assert files_of(c.target) == {"cli.py": b"REF = 'v1'\n"}
    for bad in ("/tree", "/tree/", "/tree/..", "/py/py", "/tree/v1/tree/v2"):
        assert http_get(url + bad + "/package.json")[0] in (400, 404), bad
    s, _, body = http_get(url + "@v1/tree/v1")
    assert s == 400 and b"ref" in body


def test_github_sources_for_mpy_false(mip, upstream, tmpdir_shared):
    """mip.install(url, mpy=False) sends nothing that says so: the /py form
    serves the sources, and its github: dependencies stay sources."""
    gh_package(upstream, "src", "HEAD", {"src.py": b"SRC = 1\n", "main.py": b"import src\n"},
               deps=[["github:org/srcdep", ""], ["foo", "1.0"]])
    gh_package(upstream, "srcdep", "HEAD", {"d.py": b"D = 1\n"})
    add_official_package(upstream, "foo", "1.0", {"foo.py": b"FOO = 1\n"}, flavour="py",
                         latest=False)
    add_official_package(upstream, "foo", "1.0", {"foo.mpy": b"M\x06\x00\x1fFOO"},
                         latest=False)
    nb = mip()
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b"), mpy="py", relative=False)
    doc = c.install(nb.url + "/mip/github/org/src/py")
    assert files_of(c.target) == {"src.py": b"SRC = 1\n", "main.py": b"import src\n",
                                  "d.py": b"D = 1\n", "foo.py": b"FOO = 1\n"}
    assert doc["deps"][0][0] == nb.url + "/mip/github/org/srcdep/py"
    # the compiled flavour stays the default
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "m"), relative=False)
    c.install(nb.url + "/mip/github/org/src")
    assert sorted(files_of(c.target)) == ["d.mpy", "foo.mpy", "main.py", "src.mpy"]


def test_github_files_are_absolute_urls(mip, upstream, tmpdir_shared):
    """A mip older than PR 975 and mpremote cannot open relative URLs: files
    and dependencies are absolute, from server.base_url or the Host the
    board used, and a cached package does not keep the first board's name."""
    gh_package(upstream, "abs", "HEAD", {"abs.py": b"A = 1\n"},
               deps=[["github:org/absdep", "v2"]])
    gh_package(upstream, "absdep", "v2", {"ad.py": b"AD = 2\n"})
    nb = mip()
    old = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "old"), relative=False)
    doc = old.install(nb.url + "/mip/github/org/abs")
    assert sorted(files_of(old.target)) == ["abs.mpy", "ad.mpy"]
    assert all(u.startswith(nb.url + "/mip/file/") for _, u in doc["urls"]), doc
    assert doc["deps"] == [[nb.url + "/mip/github/org/absdep/tree/v2", "v2"]]
    port = nb.url.rsplit(":", 1)[1]
    doc = json.loads(http_get(nb.url + "/mip/github/org/abs", host="nestbox.lan")[2])
    assert doc["urls"][0][1].startswith("http://nestbox.lan:%s/mip/file/" % port), doc
    assert doc["deps"][0][0] == "http://nestbox.lan:%s/mip/github/org/absdep/tree/v2" % port
    nb.stop()
    nb.env["NESTBOX_SERVER__BASE_URL"] = "https://updates.example.org"
    nb.start()
    doc = json.loads(http_get(nb.url + "/mip/github/org/abs")[2])
    assert doc["urls"][0][1].startswith("https://updates.example.org/mip/file/"), doc
    assert doc["deps"][0][0] == "https://updates.example.org/mip/github/org/absdep/tree/v2"


def test_github_ref_stays_in_its_repository(mip, upstream, tmpdir_shared):
    """A ref names a branch or tag of the package's own repository: github:
    files of other repositories come from their default branch."""
    gh_package(upstream, "main", "v1", {"own.py": b"OWN = 'v1'\n"},
               extra_urls=[["other.py", "github:org/lib/other.py"],
                           ["same.py", "github:org/main/same.py"],
                           ["gl.py", "gitlab:grp/gllib/gl.py"]])
    upstream.files["/gh/org/main/v1/same.py"] = b"SAME = 'v1'\n"
    upstream.files["/gh/org/lib/HEAD/other.py"] = b"OTHER = 'head'\n"
    upstream.files["/gl/grp/gllib/-/raw/HEAD/gl.py"] = b"GL = 'head'\n"
    nb = mip()
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b"))
    c.install(nb.url + "/mip/github/org/main@v1")       # mip.install(): "@" stays
    got = files_of(c.target)
    assert sorted(got) == ["gl.mpy", "other.mpy", "own.mpy", "same.mpy"]
    assert got["own.mpy"].endswith(b"OWN = 'v1'\n") and got["same.mpy"].endswith(b"SAME = 'v1'\n")
    assert got["other.mpy"].endswith(b"OTHER = 'head'\n")
    assert got["gl.mpy"].endswith(b"GL = 'head'\n")
    assert not [p for p, _ in upstream.log if p.startswith("/gh/org/lib/v1")]


def test_hosted_name_never_resolves_upstream(mip, upstream, tmpdir_shared):
    """A hosted package's missing version or flavour is a 404 here: a public
    package of the same name is never served in its place."""
    add_official_package(upstream, "shadow", "9.9", {"shadow.mpy": b"M\x06\x00\x1fPUBLIC"})
    add_official_package(upstream, "shadow", "1.0", {"shadow.mpy": b"M\x07\x00\x1fPUBLIC"},
                         flavour="7")
    nb = mip()
    d = os.path.join(tmpdir_shared, "own")
    make_pkg(d, {"shadow.py": b"OWN = 1\n"})
    assert nb.ctl("mip", "publish", d, "--name", "shadow", "--version", "1.0").returncode == 0
    for path in ("/mip/package/6/shadow/9.9.json", "/mip/package/py/shadow/9.9.json",
                 "/mip/package/7/shadow/1.0.json", "/mip/package/7/shadow/latest.json"):
        s, _, body = http_get(nb.url + path)
        assert s == 404 and b"hosted" in body, (path, s, body)
    with pytest.raises(AssertionError, match="Package not found"):
        MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "b")).install("shadow", "9.9")
    assert not upstream.requests("/package/")
    # a name not hosted here is still proxied
    add_official_package(upstream, "public", "2.0", {"p.mpy": b"M\x06\x00\x1fp"})
    assert http_get(nb.url + "/mip/package/6/public/2.0.json")[0] == 200


@pytest.mark.parametrize("path,field", [
    ("/mip/file/zz/12345678", "hh"),
    ("/mip/file/12/123", "hash"),
    ("/mip/file/12/1234567G", "hash"),
    ("/mip/file/ab/cd123456", "hash"),             # the directory is the hash's first two
    ("/mip/package/6/foo/1.0%3F.json", "version"),
    ("/mip/package/6/foo/..json", "version"),
    ("/mip/package/7x/foo/1.0.json", "flavour"),
    ("/mip/package/6/.foo/1.0.json", "name"),
])
def test_refused_field_is_400_naming_it(mip, path, field):
    """Declared input: the program refuses a bad field before any handler
    runs, with a body that names it (issue 13)."""
    s, _, body = http_get(mip(offline="true").url + path)
    assert (s, body) == (400, b"invalid " + field.encode() + b"\n")


def test_package_path_not_json_is_404(mip):
    s, _, body = http_get(mip(offline="true").url + "/mip/package/6/foo/1.0.txt")
    assert s == 404 and b"end in .json" in body


# -- the store's failure is a 503 (try again), an upstream's a 502 ----------
def refuse_inserts(nb, table):
    """Every new row of table is refused while reads still answer: the
    store failing in the middle of a relay, after the upstream answered."""
    with nb.db() as c:
        if nb.pg_url:
            c.execute("CREATE FUNCTION nb_refuse() RETURNS trigger LANGUAGE plpgsql"
                      " AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$")
            c.execute("CREATE TRIGGER nb_refuse BEFORE INSERT ON %s FOR EACH ROW"
                      " EXECUTE FUNCTION nb_refuse()" % table)
        else:
            c.execute("CREATE TRIGGER nb_refuse BEFORE INSERT ON %s"
                      " BEGIN SELECT RAISE(ABORT, 'refused'); END" % table)


def allow_inserts(nb):
    with nb.db() as c:
        c.execute("DROP TRIGGER nb_refuse ON mip_files" if nb.pg_url else
                  "DROP TRIGGER nb_refuse")


def test_a_store_failing_inside_a_relay_is_503_not_502(mip, upstream, tmpdir_shared):
    """The upstream answered, and the store could not keep its file: that
    is this server's failure, told as 503 (try again), for a proxied file
    and a GitHub package's file alike; once the store takes rows again the
    same requests are answered.  An upstream that fails stays a 502."""
    good = b"M\x06\x00\x1fgood"
    add_official_package(upstream, "okpkg", "1.0", {"ok.mpy": good})
    h = sha(good)
    upstream.files["/gh/org/kept/HEAD/package.json"] = json.dumps(
        {"urls": [["kept.py", "kept.py"]]}).encode()
    upstream.files["/gh/org/kept/HEAD/kept.py"] = b"KEPT = 1\n"
    nb = mip()
    refuse_inserts(nb, "mip_files")
    try:
        for url in ("/mip/file/%s/%s" % (h[:2], h[:8]), "/mip/github/org/kept"):
            status, _, body = http_get(nb.url + url)
            assert status == 503, (url, status, body)
            assert b"unavailable" not in body, body
    finally:
        allow_inserts(nb)
    for url in ("/mip/file/%s/%s" % (h[:2], h[:8]), "/mip/github/org/kept"):
        status, _, body = http_get(nb.url + url)
        assert status == 200, (url, status, body)
    upstream.stop()
    status, _, body = http_get(nb.url + "/mip/file/%s/%s" % ("ab", "ab" * 8))
    assert status == 502 and b"upstream unavailable" in body, (status, body)


def test_admin_mip_page_whose_counts_cannot_be_read_is_503(mip, tmpdir_shared):
    """The admin's mip page shows the cache's files and bytes: when the
    store cannot count them the page is a 503 (try again), never a page
    that says the cache is empty; refresh and evict, whose store work
    fails, do not claim they were done."""
    from admin_client import Browser
    from test_operators import renamed
    nb = mip()
    p = subprocess.run([CTL, "user", "add", "ops", "--role", "admin"], env=nb.env,
                       input="ops-pass-12345\n", capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    b = Browser(nb.port)
    b.login("ops", "ops-pass-12345")
    assert b.get("/admin/mip").status == 200
    csrf = b.csrf("/admin/mip")
    renamed(nb, "mip_files", "mip_files_away")
    try:
        r = b.get("/admin/mip")
        assert r.status == 503 and r.header("Retry-After"), (r.status, r.text)
        r = b.post("/admin/mip/evict", {"csrf": csrf})
        assert r.status == 503, (r.status, r.text)
    finally:
        renamed(nb, "mip_files_away", "mip_files")
    renamed(nb, "mip_packages", "mip_packages_away")
    try:
        r = b.post("/admin/mip/refresh", {"csrf": csrf})
        assert r.status == 503, (r.status, r.text)
    finally:
        renamed(nb, "mip_packages_away", "mip_packages")
    assert b.get("/admin/mip").status == 200
