"""Device answers the front end sends itself (issue 15): mkbox update checks
and /list from nestbox's static tree (<var>/mkbox-static), through lighttpd
(mod_magnet) and Apache (mod_lua).  A static answer carries the route
"static ..."; its bytes are the program's, and a build the pipeline
rewrites, replaces or deletes is never answered from an older entry."""
import io
import os
import secrets
import shutil
import tarfile

import pytest

from conftest import Nestbox, ROOT, make_raw_image
from test_apache import Apache, MODULES
from test_mkbox import file_sha, run_box

IMAGE = "ab-rpi4-master-5"
EMPTY = b"\0" * 10240
LUA = ("nestbox_static.lua", "nestbox-static.lua", "nestbox-static-apache.lua")


def is_static(r):
    return (r.header("x-nestbox-route") or "").startswith("static ")


class Front:
    """One front end over nb's state: get() plus the pipeline's hands."""

    def __init__(self, nb, server, kind):
        self.nb, self.server, self.kind = nb, server, kind

    def get(self, path, headers=None):
        return self.server.get(path, headers)

    def request(self, method, path):
        return self.server.request(method, path)

    def drop_tree(self):
        """Forgets every static entry, so the next request is a miss."""
        tree = os.path.join(self.nb.state, "mkbox-static")
        shutil.rmtree(os.path.join(tree, "tar"), ignore_errors=True)
        if os.path.exists(os.path.join(tree, "list.key")):
            os.unlink(os.path.join(tree, "list.key"))


@pytest.fixture(params=["lighttpd", "apache"])
def front(request, nb, tmpdir_shared):
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=1 << 20)
    nb.ctl("init")
    nb.import_image(raw, "ab", "rpi4", "master", "5")
    if request.param == "lighttpd":
        nb.start()
        yield Front(nb, nb, "lighttpd")
        return
    a = Apache(os.path.join(tmpdir_shared, "apache"), nb,
               defines="LoadModule lua_module %s/mod_lua.so" % MODULES)
    lua = os.path.join(a.prefix, "share", "nestbox", "lua")
    os.makedirs(lua)
    for f in LUA:
        shutil.copy2(os.path.join(ROOT, "etc", f), lua)
    a.start()
    yield Front(nb, a, "apache")
    a.stop()


def same_answer(a, b):
    assert (a.status, a.header("content-type"), a.header("content-disposition"),
            a.header("content-length")) == \
           (b.status, b.header("content-type"), b.header("content-disposition"),
            b.header("content-length"))
    assert a.body == b.body


def test_static_answers_are_the_programs_bytes(front):
    bid = front.nb.build_id("ab", IMAGE)
    forms = ["/update/ab/%s/%s" % (IMAGE, bid),               # no update: the empty tar
             "/update/ab/%s/older-build" % IMAGE,             # the update tar
             "/update/ab/%s" % IMAGE,                         # forced
             "/update?name=ab&board=rpi4&version=5&build_id=" + bid,     # master chosen
             "/update?name=ab&board=rpi4&branch=master&version=5&build_id=x",
             "/update?name=ab&board=rpi4&branch=&version=5&build_id=" + bid,
             "/update?name=ab&board=rpi4&version=5",
             "/list", "/list/"]
    for path in forms:
        front.drop_tree()
        prog = front.get(path)
        assert prog.status == 200 and not is_static(prog), (path, prog.headers)
        st = front.get(path)
        assert is_static(st), (path, st.headers)
        same_answer(prog, st)
    assert front.get(forms[0]).body == EMPTY
    assert front.get("/list").body == b"ab/%s\n" % IMAGE.encode()


def rewrite_build_id(nb, box, image):
    """As the pipeline does: a new random buildID written over the file."""
    new = secrets.token_hex(32)
    with open(os.path.join(nb.images, box, image + ".img.buildID"), "r+") as f:
        f.write("%s  %s.img\n" % (new, image))
    return new


def test_static_never_answers_an_old_build_id(front):
    old = front.nb.build_id("ab", IMAGE)
    path = "/update/ab/%s/" % IMAGE
    query = "/update?name=ab&board=rpi4&version=5&build_id="
    r = front.get(path + old)
    assert is_static(r) and r.body == EMPTY
    # no pause between the rewrite and the checks: nothing may be cached
    for _ in range(5):
        new = rewrite_build_id(front.nb, "ab", IMAGE)
        for url in (path + old, query + old):
            r = front.get(url)
            assert r.status == 200 and len(r.body) > 10240, (url, r.status, len(r.body))
        for url in (path + new, query + new):
            assert front.get(url).body == EMPTY
            r = front.get(url)
            assert is_static(r) and r.body == EMPTY, url
        old = new


def members(body):
    with tarfile.open(fileobj=io.BytesIO(body)) as t:
        return {m.name: t.extractfile(m).read() for m in t.getmembers()}


def publish(images, box, image, src_dir, same_id_as=None):
    """The pipeline publishing a build: .img.zst, .img.sha256, then
    .img.buildID, each to a temporary name renamed over."""
    os.makedirs(os.path.join(images, box), exist_ok=True)
    for ext in ("zst", "sha256", "buildID"):
        name = "%s.img.%s" % (image, ext)
        with open(os.path.join(src_dir, name), "rb") as f:
            data = f.read()
        if ext == "buildID" and same_id_as:
            data = ("%s  %s.img\n" % (same_id_as, image)).encode()
        tmp = os.path.join(images, box, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(images, box, name))


@pytest.fixture
def other_build(tmpdir_shared):
    """A second build of the same image, made in another state directory."""
    d = os.path.join(tmpdir_shared, "other")
    os.makedirs(d)
    other = Nestbox(d)
    other.ctl("init")
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw2.img"), size=1 << 20, seed=2)
    other.import_image(raw, "ab", "rpi4", "master", "5")
    return os.path.join(other.images, "ab")


@pytest.mark.parametrize("keep_id", [False, True])
def test_static_follows_a_replaced_image(front, other_build, keep_id):
    old = front.nb.build_id("ab", IMAGE)
    assert is_static(front.get("/update/ab/%s/x" % IMAGE))
    # keep_id: a pipeline that replaces the files but not the buildID text
    publish(front.nb.images, "ab", IMAGE, other_build, same_id_as=old if keep_id else None)
    with open(os.path.join(other_build, IMAGE + ".img.zst"), "rb") as f:
        new_zst = f.read()
    for _ in range(2):
        r = front.get("/update/ab/%s/x" % IMAGE)
        assert r.status == 200
        assert members(r.body)[IMAGE + ".img.zst"] == new_zst
    r = front.get("/update/ab/%s/%s" % (IMAGE, old))
    if keep_id:
        assert r.body == EMPTY        # the same buildID is the current build
    else:
        assert members(r.body)[IMAGE + ".img.zst"] == new_zst


def test_static_never_answers_a_deleted_image(front):
    bid = front.nb.build_id("ab", IMAGE)
    assert is_static(front.get("/update/ab/%s/%s" % (IMAGE, bid)))
    assert is_static(front.get("/list"))
    for ext in ("buildID", "sha256", "zst"):
        os.unlink(os.path.join(front.nb.images, "ab", "%s.img.%s" % (IMAGE, ext)))
    for url in ("/update/ab/%s/%s" % (IMAGE, bid), "/update/ab/%s" % IMAGE,
                "/update?name=ab&board=rpi4&version=5&build_id=" + bid):
        r = front.get(url)
        assert (r.status, r.body) == (400, b""), url
        assert not is_static(r)
    r = front.get("/list")
    assert r.body == b"\n"


def test_static_list_follows_the_pipeline(front, other_build):
    assert front.get("/list").body == b"ab/%s\n" % IMAGE.encode()
    assert is_static(front.get("/list"))
    # a new box, then a new build in the existing box, with no pause
    publish(front.nb.images, "zz", IMAGE, other_build)
    assert front.get("/list").body == b"ab/%s\nzz/%s\n" % (IMAGE.encode(), IMAGE.encode())
    os.rename(os.path.join(front.nb.images, "ab", IMAGE + ".img.zst"),
              os.path.join(front.nb.images, "ab", "ab-rpi4-main.img.zst"))
    body = front.get("/list").body
    assert body == b"ab/ab-rpi4-main\nzz/%s\n" % IMAGE.encode(), body
    r = front.get("/list")
    assert is_static(r) and r.body == body


def test_static_misses_go_to_the_program(front):
    bid = front.nb.build_id("ab", IMAGE)
    cases = [
        ("/update/ab/nothere/" + bid, 400),                       # unknown image
        ("/update/ab/%s/" % IMAGE, 404),                          # trailing slash
        ("/update/ab/%s/%%41" % IMAGE, 200),                      # an escaped buildID
        ("/update/ab//%s/x" % IMAGE, None),                       # an empty segment
        ("/update/ab/./%s/x" % IMAGE, None),
        ("/update?name=ab&board=rpi4&version=5&x=1&build_id=" + bid, None),
        ("/update?name=ab&name=zz&board=rpi4&version=5&build_id=" + bid, None),
        ("/update?name=ab&board=rpi4&version=5+1&build_id=" + bid, None),
        ("/update?board=rpi4&build_id=" + bid, 400),              # incomplete query
        ("/list/rpi4", 200),                                      # a search
    ]
    for url, status in cases:
        r = front.get(url)
        assert not is_static(r), url
        assert status is None or r.status == status, (url, r.status)
    r = front.request("HEAD", "/update/ab/%s/%s" % (IMAGE, bid))
    assert not is_static(r)
    # a range or a condition: the program's answers (206, 416 with Content-Range)
    full = front.get("/update/ab/%s" % IMAGE).body
    r = front.get("/update/ab/%s" % IMAGE, {"Range": "bytes=100-199"})
    assert (r.status, r.body, is_static(r)) == (206, full[100:200], False)
    r = front.get("/update/ab/%s" % IMAGE, {"Range": "bytes=%d-" % len(full)})
    assert r.status == 416 and r.header("content-range") == "bytes */%d" % len(full)
    r = front.get("/list", {"If-Modified-Since": "Mon, 30 Nov 2099 00:00:00 GMT"})
    assert r.status == 200 and not is_static(r)


def test_box_script_from_the_static_tree(front, tmpdir_shared):
    """The mkbox acceptance test, answered by the front end itself."""
    raw = os.path.join(tmpdir_shared, "raw.img")
    disk, work = os.path.join(tmpdir_shared, "disk"), os.path.join(tmpdir_shared, "work")
    url = "http://127.0.0.1:%d" % front.server.port
    p = run_box(url, work, disk, "ab", "rpi4", "5", "not-this-build")
    assert p.returncode == 0, p.stdout + p.stderr
    assert file_sha(disk) == file_sha(raw)
    bid = front.nb.build_id("ab", IMAGE)
    assert is_static(front.get("/update?name=ab&board=rpi4&version=5&build_id=" + bid))


def test_static_sync_and_gc(nb, tmpdir_shared, other_build):
    """nestboxctl image sync (the timer's check of the pipeline's directory)
    puts a build the pipeline published into the tree; gc drops entries of
    builds changed since."""
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=1 << 20)
    nb.ctl("init")
    nb.import_image(raw, "ab", "rpi4", "master", "5")
    publish(nb.images, "zz", IMAGE, other_build)
    nb.start()
    nb.ctl("image", "sync")
    for url in ("/update/zz/%s/x" % IMAGE, "/update/zz/%s/%s" % (IMAGE, nb.build_id("zz", IMAGE)),
                "/list"):
        r = nb.get(url)
        assert is_static(r) and r.status == 200, url
    tree = os.path.join(nb.state, "mkbox-static", "tar", "zz", IMAGE)
    old = os.listdir(tree)
    new = rewrite_build_id(nb, "zz", IMAGE)
    assert len(nb.get("/update/zz/%s/x" % IMAGE).body) > 10240     # a miss adds the new entry
    assert sorted(os.listdir(tree)) == sorted(old + [new])
    out = nb.ctl("gc").stdout
    assert "1 stale static answers removed" in out, out
    assert os.listdir(tree) == [new]
    assert is_static(nb.get("/update/zz/%s/%s" % (IMAGE, new)))
