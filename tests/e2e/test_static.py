"""Device answers the front end sends itself (issue 15): mkbox update checks
and /list from nestbox's static tree (<var>/mkbox-static/live, kept by
nestbox-mkbox-watch), through lighttpd (mod_magnet) and Apache (mod_lua).
A static answer carries the route "static ..."; its bytes are the
program's, and a build the pipeline rewrites, replaces or deletes is never
answered from an older entry once the watcher has seen the change (a
test waits for that, bounded, never for a time)."""
import contextlib
import io
import os
import signal
import time
import secrets
import shutil
import tarfile

import pytest

from conftest import Nestbox, ROOT, make_raw_image, wait_until
from test_apache import Apache, MODULES
from test_mkbox import file_sha, run_box

IMAGE = "ab-rpi4-master-5"
EMPTY = b"\0" * 10240
LUA = ("nestbox_static.lua", "nestbox-static.lua", "nestbox-static-apache.lua")
# mod_rewrite and mod_headers map /update and /list, mod_lua the rest
APACHE_MODULES = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, MODULES, m)
                           for m in ("lua", "rewrite", "headers"))


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

    def link(self):
        return os.path.join(self.nb.state, "mkbox-static", "live")

    def watcher(self):
        """The watcher's pid, from its tree's link (/proc/<pid>/fd/<n>)."""
        wait_until(lambda: os.path.exists(self.link()), "the watcher's tree")
        return int(os.readlink(self.link()).split("/")[2])

    @contextlib.contextmanager
    def without_tree(self):
        """The front end without the tree for a while: every answer is the
        program's."""
        target = os.readlink(self.link())
        os.unlink(self.link())
        try:
            yield
        finally:
            os.symlink(target, self.link())

    def wait_static(self, path, want=None):
        """Waits (bounded) until path is a static answer (with body want)."""
        def hit():
            r = self.get(path)
            return is_static(r) and (want is None or r.body == want) and r
        wait_until(hit, "a static answer to " + path)
        return self.get(path)


@pytest.fixture(params=["lighttpd", "apache"])
def front(request, nb, tmpdir_shared):
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=1 << 20)
    nb.ctl("init")
    nb.import_image(raw, "ab", "rpi4", "master", "5")
    if request.param == "lighttpd":
        nb.start()
        yield Front(nb, nb, "lighttpd")
        return
    a = Apache(os.path.join(tmpdir_shared, "apache"), nb, defines=APACHE_MODULES)
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
        st = front.wait_static(path)
        with front.without_tree():
            prog = front.get(path)
        assert prog.status == 200 and not is_static(prog), (path, prog.headers)
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
    front.wait_static(path + old, EMPTY)
    for _ in range(5):
        new = rewrite_build_id(front.nb, "ab", IMAGE)
        # the watcher's publication of the new ID is the sign it saw the change
        front.wait_static(path + new, EMPTY)
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
    front.wait_static("/update/ab/%s/x" % IMAGE)
    # keep_id: a pipeline that replaces the files but not the buildID text
    publish(front.nb.images, "ab", IMAGE, other_build, same_id_as=old if keep_id else None)
    with open(os.path.join(other_build, IMAGE + ".img.zst"), "rb") as f:
        new_zst = f.read()
    wait_until(lambda: (lambda r: is_static(r) and
                        members(r.body)[IMAGE + ".img.zst"] == new_zst)(
                            front.get("/update/ab/%s/x" % IMAGE)), "the new build published")
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
    front.wait_static("/update/ab/%s/%s" % (IMAGE, bid))
    front.wait_static("/list")
    for ext in ("buildID", "sha256", "zst"):
        os.unlink(os.path.join(front.nb.images, "ab", "%s.img.%s" % (IMAGE, ext)))
    front.wait_static("/list", b"\n")
    for url in ("/update/ab/%s/%s" % (IMAGE, bid), "/update/ab/%s" % IMAGE,
                "/update?name=ab&board=rpi4&version=5&build_id=" + bid):
        r = front.get(url)
        assert (r.status, r.body) == (400, b""), url
        assert not is_static(r)
    r = front.get("/list")
    assert r.body == b"\n"


def test_static_list_follows_the_pipeline(front, other_build):
    front.wait_static("/list", b"ab/%s\n" % IMAGE.encode())
    # a new box, then a new build in the existing box
    publish(front.nb.images, "zz", IMAGE, other_build)
    front.wait_static("/list", b"ab/%s\nzz/%s\n" % (IMAGE.encode(), IMAGE.encode()))
    os.rename(os.path.join(front.nb.images, "ab", IMAGE + ".img.zst"),
              os.path.join(front.nb.images, "ab", "ab-rpi4-main.img.zst"))
    body = b"ab/ab-rpi4-main\nzz/%s\n" % IMAGE.encode()
    front.wait_static("/list", body)
    with front.without_tree():
        assert front.get("/list").body == body


def test_static_misses_go_to_the_program(front):
    bid = front.nb.build_id("ab", IMAGE)
    cases = [
        ("/update/ab/nothere/" + bid, 400),                       # unknown image
        ("/update/ab/%s/" % IMAGE, 404),                          # trailing slash
        ("/update/ab/%s/%%41" % IMAGE, 200),                      # an escaped buildID
        ("/update/ab//%s/x" % IMAGE, None),                       # an empty segment
        ("/update/ab/./%s/x" % IMAGE, None),
        ("/update/ab/zz/../%s/x" % IMAGE, None),                  # lighttpd would read ab/<image>
        ("/update/ab/%s/x/." % IMAGE, None),
        # a buildID the tree cannot hold is no miss of the tree's ID to be
        # answered with the update tar: the program's
        ("/update/ab/%s/x!y" % IMAGE, None),
        ("/update/ab/%s/-x" % IMAGE, None),
        ("/update/ab/%s/%s?x=1" % (IMAGE, bid), None),
        ("/update?name=ab&board=rpi4&version=5&build_id=x!y", None),
        ("/update?name=ab&board=rpi4&branch=master&version=5&build_id=" + bid + "&x", None),
        ("/update?name=ab&board=rpi4&version=%35&build_id=" + bid, None),   # '5' escaped
        ("/update?name=ab&board=rpi4&version=&build_id=" + bid, None),     # no version
        ("/update?name=ab&board=rpi4&version=5&x=1&build_id=" + bid, None),
        ("/update?name=ab&name=zz&board=rpi4&version=5&build_id=" + bid, None),
        ("/update?name=ab&board=rpi4&version=5+1&build_id=" + bid, None),
        ("/update?board=rpi4&build_id=" + bid, 400),              # incomplete query
        ("/list/rpi4", 200),                                      # a search
        ("/list/../list", None),
        ("/list//", None),
    ]
    for url, status in cases:
        r = front.get(url)
        assert not is_static(r), url
        assert status is None or r.status == status, (url, r.status)
    r = front.request("HEAD", "/update/ab/%s/%s" % (IMAGE, bid))
    assert not is_static(r)
    # another order of the query: lighttpd maps the box script's order only
    url = "/update?build_id=%s&name=ab&board=rpi4&version=5" % bid
    r = front.get(url)
    assert r.body == EMPTY and (front.kind != "lighttpd" or not is_static(r))
    # a range or a condition: the program's answers (206, 416 with Content-Range)
    full = front.get("/update/ab/%s" % IMAGE).body
    r = front.get("/update/ab/%s" % IMAGE, {"Range": "bytes=100-199"})
    assert (r.status, r.body, is_static(r)) == (206, full[100:200], False)
    r = front.get("/update/ab/%s" % IMAGE, {"Range": "bytes=%d-" % len(full)})
    assert r.status == 416 and r.header("content-range") == "bytes */%d" % len(full)
    r = front.get("/list", {"If-Modified-Since": "Mon, 30 Nov 2099 00:00:00 GMT"})
    assert r.status == 200 and not is_static(r)


def test_static_query_picks_master_else_main(front, other_build):
    """The box script's query without a branch: the master image while its
    .img.zst exists, else main (shared/protocols/mkbox-update.md), from
    the tree both ways."""
    main = IMAGE.replace("-master-", "-main-")
    for ext in ("zst", "sha256", "buildID"):
        os.rename(os.path.join(other_build, "%s.img.%s" % (IMAGE, ext)),
                  os.path.join(other_build, "%s.img.%s" % (main, ext)))
    with open(os.path.join(other_build, main + ".img.buildID"), "w") as f:
        f.write("main-build  %s.img\n" % main)
    publish(front.nb.images, "ab", main, other_build)
    master_id = front.nb.build_id("ab", IMAGE)
    query = "/update?name=ab&board=rpi4&version=5&build_id="
    front.wait_static("/update/ab/%s/main-build" % main, EMPTY)
    r = front.wait_static(query + master_id, EMPTY)
    # the update tar is linked after the ID: waited for on its own
    r = front.wait_static(query + "main-build")
    assert is_static(r) and IMAGE + ".img.zst" in members(r.body)
    for ext in ("buildID", "sha256", "zst"):
        os.unlink(os.path.join(front.nb.images, "ab", "%s.img.%s" % (IMAGE, ext)))
    r = front.wait_static(query + "main-build", EMPTY)
    r = front.wait_static(query + master_id)
    assert is_static(r) and main + ".img.zst" in members(r.body)
    with front.without_tree():
        assert members(front.get(query + master_id).body).keys() == members(r.body).keys()


def test_static_odd_image_names(front, other_build):
    """Names the query alias must split with care: nothing after the box's
    prefix, master or main as a board or version.  The watcher keeps
    going (its /list names them) and each answer is the program's bytes."""
    names = ("ab-", "ab-master-main-", "ab-x-main-master-main")
    for name in names:
        for ext in ("zst", "sha256", "buildID"):
            shutil.copyfile(os.path.join(other_build, "%s.img.%s" % (IMAGE, ext)),
                            os.path.join(other_build, "%s.img.%s" % (name, ext)))
        publish(front.nb.images, "ab", name, other_build)
    want = b"".join(sorted(b"ab/%s\n" % n.encode() for n in names + (IMAGE,)))
    front.wait_static("/list", want)
    for url in ("/update/ab/ab-/x", "/update?name=ab&board=x&version=master-main&build_id=x",
                "/update?name=ab&board=x-main&version=main&build_id=x"):
        r = front.get(url)
        with front.without_tree():
            same_answer(r, front.get(url))


def test_box_script_from_the_static_tree(front, tmpdir_shared):
    """The mkbox acceptance test, answered by the front end itself."""
    raw = os.path.join(tmpdir_shared, "raw.img")
    disk, work = os.path.join(tmpdir_shared, "disk"), os.path.join(tmpdir_shared, "work")
    url = "http://127.0.0.1:%d" % front.server.port
    p = run_box(url, work, disk, "ab", "rpi4", "5", "not-this-build")
    assert p.returncode == 0, p.stdout + p.stderr
    assert file_sha(disk) == file_sha(raw)
    bid = front.nb.build_id("ab", IMAGE)
    front.wait_static("/update?name=ab&board=rpi4&version=5&build_id=" + bid, EMPTY)


def copy_build(images, box, image, src_dir):
    """The pipeline copying a build in place (cp, no rename)."""
    os.makedirs(os.path.join(images, box), exist_ok=True)
    for ext in ("zst", "sha256", "buildID"):
        name = "%s.img.%s" % (image, ext)
        shutil.copyfile(os.path.join(src_dir, name), os.path.join(images, box, name))


def read_id(d, image):
    with open(os.path.join(d, image + ".img.buildID")) as f:
        return f.read().split()[0]


def test_watcher_follows_a_pipeline_copy(front, other_build):
    """A new build, a changed build and a removed build, copied in place
    by the pipeline, are answered right from the tree."""
    new_id = read_id(other_build, IMAGE)
    with open(os.path.join(other_build, IMAGE + ".img.zst"), "rb") as f:
        new_zst = f.read()
    # a new build in a new box
    copy_build(front.nb.images, "zz", IMAGE, other_build)
    r = front.wait_static("/update/zz/%s/%s" % (IMAGE, new_id), EMPTY)
    r = front.wait_static("/update/zz/%s/%s" % (IMAGE, "older"))
    assert members(r.body)[IMAGE + ".img.zst"] == new_zst
    # a changed build: ab gets other_build's files
    old_id = front.nb.build_id("ab", IMAGE)
    copy_build(front.nb.images, "ab", IMAGE, other_build)
    front.wait_static("/update/ab/%s/%s" % (IMAGE, new_id), EMPTY)
    for url in ("/update/ab/%s/%s" % (IMAGE, old_id),
                "/update?name=ab&board=rpi4&version=5&build_id=" + old_id):
        r = front.wait_static(url)    # the tar is linked after the ID
        assert is_static(r) and members(r.body)[IMAGE + ".img.zst"] == new_zst, url
    r = front.get("/update?name=ab&board=rpi4&version=5&build_id=" + new_id)
    assert is_static(r) and r.body == EMPTY
    # a removed build: the program's 400, never a file
    for ext in ("buildID", "sha256", "zst"):
        os.unlink(os.path.join(front.nb.images, "zz", "%s.img.%s" % (IMAGE, ext)))
    front.wait_static("/list", b"ab/%s\n" % IMAGE.encode())
    for url in ("/update/zz/%s/%s" % (IMAGE, new_id), "/update/zz/%s" % IMAGE):
        r = front.get(url)
        assert (r.status, r.body, is_static(r)) == (400, b"", False), url


def test_watcher_never_publishes_a_half_copied_build(front, other_build):
    """A .img.zst copied only in part (its .img.sha256 names another
    sha256) is the program's to answer, never the tree's."""
    bid = front.nb.build_id("ab", IMAGE)
    front.wait_static("/update/ab/%s/%s" % (IMAGE, bid), EMPTY)
    with open(os.path.join(other_build, IMAGE + ".img.zst"), "rb") as f:
        half = f.read()[:4096]
    with open(os.path.join(front.nb.images, "ab", IMAGE + ".img.zst"), "wb") as f:
        f.write(half)
    # the watcher settles what it saw together: once a later build is
    # published, it has looked at the half-copied one
    copy_build(front.nb.images, "zz", IMAGE, other_build)
    front.wait_static("/update/zz/%s/x" % IMAGE)
    for url in ("/update/ab/%s/%s" % (IMAGE, bid), "/update/ab/%s/x" % IMAGE,
                "/update?name=ab&board=rpi4&version=5&build_id=" + bid):
        r = front.get(url)
        assert not is_static(r), url
        with front.without_tree():
            same_answer(r, front.get(url))
    # the copy completes (the rest of the pipeline's files): published again
    copy_build(front.nb.images, "ab", IMAGE, other_build)
    new_id = read_id(other_build, IMAGE)
    front.wait_static("/update/ab/%s/%s" % (IMAGE, new_id), EMPTY)


def test_no_stale_answer_without_the_watcher(front):
    """Killed (no chance to clean up), the watcher's tree is unreachable at
    once: a build changed afterwards is answered right, by the program or
    by a watcher the front end started again (Apache restarts its piped
    loggers; lighttpd does not)."""
    path = "/update/ab/%s/" % IMAGE
    old = front.nb.build_id("ab", IMAGE)
    front.wait_static(path + old, EMPTY)
    pid = front.watcher()
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not os.path.exists("/proc/%d/fd" % pid), "the watcher's end")
    if front.kind == "apache":
        # Apache starts the watcher again; like any watcher, the new one
        # answers a change from the event it reads (as in
        # test_static_never_answers_an_old_build_id): wait for it, then
        # change the build, then for the sign that it saw the change
        wait_until(lambda: os.path.exists(front.link()) and front.watcher() != pid,
                   "the watcher started again")
        new = rewrite_build_id(front.nb, "ab", IMAGE)
        front.wait_static(path + new, EMPTY)
    else:
        new = rewrite_build_id(front.nb, "ab", IMAGE)
    r = front.get(path + old)
    assert r.status == 200 and len(r.body) > 10240
    assert front.get(path + new).body == EMPTY
    if front.kind == "lighttpd":
        assert not is_static(front.get(path + new))
        assert not os.path.exists(front.link())     # the link leads nowhere


def test_watcher_removes_its_tree_at_sigterm(front):
    front.wait_static("/list")
    pid = front.watcher()
    tree = os.path.join(front.nb.state, "mkbox-static", "live.%d" % pid)
    assert os.path.isdir(tree)
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not os.path.exists(tree), "the watcher's tree removed")
    assert not is_static(front.get("/list")) or front.watcher() != pid


def test_gc_removes_the_old_static_layout(nb):
    """nestboxctl gc removes what earlier versions kept in mkbox-static
    and the tree of a watcher that is gone."""
    nb.ctl("init")
    top = os.path.join(nb.state, "mkbox-static")
    os.makedirs(os.path.join(top, "tar", "ab", IMAGE, "x"))
    os.makedirs(os.path.join(top, "live.999999999", "update"))
    for name in ("list.key", "list-%s.txt" % ("0" * 64)):
        open(os.path.join(top, name), "w").close()
    nb.ctl("gc")
    assert os.listdir(top) == []


def test_watcher_waits_for_a_store_held_at_its_start(make_nb):
    """nestbox-mkbox-watch (and its mip keeper) started while another
    writer holds the store it would make: it tries again until it can and
    then keeps the static tree; it used to exit at once, and the front end,
    which starts it once, then sent nothing of the tree for its whole run."""
    import sqlite3
    import subprocess
    from conftest import CGIBIN, STORE
    if STORE != "sqlite":
        pytest.skip("another writer holds SQLite's write lock on the file")
    nb = make_nb({"NESTBOX_DB__BUSY_TIMEOUT_MS": "100"})
    os.makedirs(nb.images, exist_ok=True)
    holder = sqlite3.connect(os.path.join(nb.state, "nestbox.db"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    p = subprocess.Popen([os.path.join(CGIBIN, "nestbox-mkbox-watch")], env=nb.env,
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = p.stderr.readline()
        assert "trying again" in said, said
        holder.execute("COMMIT")
        holder.close()
        wait_until(lambda: os.path.exists(os.path.join(nb.state, "mkbox-static", "live", "list")),
                   "the watcher's static /list")
        assert p.poll() is None
    finally:
        p.stdin.close()
        p.wait(timeout=60)


def test_a_second_watcher_waits_and_leaves_the_tree_reachable(make_nb):
    """Two watchers at once, as Apache's two start-up passes start them
    (the first pass's soon ended): the later one used to point the link
    at its own tree and, ending, remove it, leaving the running watcher's
    tree unreachable for the front end's whole run.  Now it waits for the
    running one's lock and ends with its pipe, touching nothing."""
    import subprocess
    from conftest import CGIBIN
    nb = make_nb()
    nb.ctl("init")
    os.makedirs(nb.images, exist_ok=True)
    top = os.path.join(nb.state, "mkbox-static")
    link = os.path.join(top, "live")

    def start(err):
        return subprocess.Popen([os.path.join(CGIBIN, "nestbox-mkbox-watch")], env=nb.env,
                                stdin=subprocess.PIPE, stderr=err)

    def owner():
        try:
            return int(os.readlink(link).split("/")[2])
        except (OSError, IndexError, ValueError):
            return None

    first = start(subprocess.DEVNULL)
    with open(os.path.join(nb.state, "second.err"), "w+") as err:
        try:
            wait_until(lambda: owner() == first.pid and
                       os.path.exists(os.path.join(link, "list")), "the first watcher's tree")
            second = start(err)
            try:
                # the second either waits (and says so) or has taken the link
                wait_until(lambda: "waiting" in open(err.name).read() or
                           owner() == second.pid, "the second watcher's start")
            finally:
                second.stdin.close()
                second.wait(timeout=60)
            assert first.poll() is None
            assert owner() == first.pid
            assert os.path.exists(os.path.join(link, "list"))
        finally:
            first.stdin.close()
            first.wait(timeout=60)
    assert second.returncode == 0
