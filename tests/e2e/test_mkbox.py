"""mkbox update-server compatibility, through a real lighttpd.

The acceptance test runs a box's own lines (curl | tar, sha256sum -c,
zstdcat) against nestbox and compares the written "disk" with the image.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

import pytest

from conftest import make_raw_image, wait_until

BOX_SCRIPT = r'''
set -e
cd "$WORK"
curl -s "$srv/update?name=$n&board=$b&version=$v&build_id=$id" | tar -mxvf -
if ! grep ".img.zst" *.img.sha256 | sha256sum -c; then
    echo "up to date"
    exit 3
fi
zstdcat -dT0 *.img.zst | dd of="$disk" bs=16M && sync
'''


def run_box(srv, workdir, disk, n, b, v, build_id):
    os.makedirs(workdir, exist_ok=True)
    for f in os.listdir(workdir):
        os.unlink(os.path.join(workdir, f))
    env = dict(os.environ, srv=srv, WORK=workdir, disk=disk, n=n, b=b, v=v, id=build_id)
    return subprocess.run(["bash", "-c", BOX_SCRIPT], env=env, capture_output=True, text=True)


def file_sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@pytest.fixture
def served(nb, tmpdir_shared):
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"))
    nb.ctl("init")
    image = nb.import_image(raw, "box1", "rpi4", "master", "1.0")
    assert image == "box1/box1-rpi4-master-1.0"
    nb.start()
    return nb, raw


def test_box_script_updates_then_finds_nothing(served, tmpdir_shared):
    nb, raw = served
    disk = os.path.join(tmpdir_shared, "disk")
    work = os.path.join(tmpdir_shared, "work")
    p = run_box(nb.url, work, disk, "box1", "rpi4", "1.0", "not-this-build")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "box1-rpi4-master-1.0.img.zst: OK" in p.stdout
    assert file_sha(disk) == file_sha(raw)

    # the box now runs the build it got: a second run finds nothing to do
    current = nb.build_id("box1", "box1-rpi4-master-1.0")
    os.unlink(disk)
    p = run_box(nb.url, work, disk, "box1", "rpi4", "1.0", current)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "up to date" in p.stdout
    assert not os.path.exists(disk)
    assert os.listdir(work) == []


def test_query_form_prefers_master_then_main(nb, tmpdir_shared):
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=65536)
    nb.ctl("init")
    nb.import_image(raw, "b", "x", "main", "2")
    nb.start()
    r = nb.get("/update?name=b&board=x&version=2")
    assert r.status == 200
    names = tarfile.open(fileobj=io.BytesIO(r.body)).getnames()
    assert names == ["b-x-main-2.img.zst", "b-x-main-2.img.sha256"]
    nb.import_image(raw, "b", "x", "master", "2")
    # the front end's tree learns of the new master image from its watcher
    # (bounded wait)
    wait_until(lambda: tarfile.open(fileobj=io.BytesIO(
        nb.get("/update?name=b&board=x&version=2").body)).getnames()[0] == "b-x-master-2.img.zst",
        "the master image chosen")
    r = nb.get("/update?name=b&board=x&version=2")
    assert tarfile.open(fileobj=io.BytesIO(r.body)).getnames()[0] == "b-x-master-2.img.zst"
    # an explicit branch is used as given; no version joins without it
    nb.import_image(raw, "b", "x", "dev")
    r = nb.get("/update?name=b&board=x&branch=dev")
    assert tarfile.open(fileobj=io.BytesIO(r.body)).getnames()[0] == "b-x-dev.img.zst"
    assert nb.get("/update?name=b&board=x&branch=nope").status == 400


def test_update_tar_layout_and_headers(served):
    nb, raw = served
    r = nb.get("/update/box1/box1-rpi4-master-1.0")
    assert r.status == 200
    assert r.header("content-type") == "application/x-tar"
    assert r.header("content-disposition") == 'attachment; filename="update.tar"'
    assert int(r.header("content-length")) == len(r.body)
    assert len(r.body) % 10240 == 0
    t = tarfile.open(fileobj=io.BytesIO(r.body))
    members = t.getmembers()
    assert [m.name for m in members] == ["box1-rpi4-master-1.0.img.zst",
                                         "box1-rpi4-master-1.0.img.sha256"]
    assert all(m.mode == 0o644 and m.isfile() for m in members)
    d = os.path.join(nb.images, "box1")
    for m in members:
        with open(os.path.join(d, m.name), "rb") as f:
            assert t.extractfile(m).read() == f.read()


def test_build_id_decides_empty_or_full(served):
    nb, _ = served
    current = nb.build_id("box1", "box1-rpi4-master-1.0")
    r = nb.get("/update/box1/box1-rpi4-master-1.0/" + current)
    assert r.status == 200
    assert r.body == b"\0" * 10240
    assert r.header("content-type") == "application/x-tar"
    assert nb.get("/update?name=box1&board=rpi4&version=1.0&build_id=" + current).body \
        == b"\0" * 10240
    other = nb.get("/update/box1/box1-rpi4-master-1.0/" + "0" * 64)
    assert other.status == 200 and len(other.body) > 10240
    # an empty build_id in the query form is "no build": the full tar
    r = nb.get("/update?name=box1&board=rpi4&version=1.0&build_id=")
    assert r.body == other.body


def test_list_and_search(served, tmpdir_shared):
    nb, raw = served
    small = make_raw_image(os.path.join(tmpdir_shared, "s.img"), size=4096)
    nb.import_image(small, "box2", "pc", None, "7")
    assert nb.get("/list").body == b"box1/box1-rpi4-master-1.0\nbox2/box2-pc-7\n"
    assert nb.get("/list/").body == nb.get("/list").body
    assert nb.get("/list/rpi4").body == b"box1/box1-rpi4-master-1.0\n"
    assert nb.get("/list/pc-7").body == b"box2/box2-pc-7\n"
    # plain substring, not a glob; no match is exactly one newline
    assert nb.get("/list/box*").body == b"\n"
    assert nb.get("/list/%5B").body == b"\n"
    assert nb.get("/list/nothing").body == b"\n"


def test_new_build_is_served_without_restart(served, tmpdir_shared):
    nb, raw = served
    old_id = nb.build_id("box1", "box1-rpi4-master-1.0")
    first = nb.get("/update/box1/box1-rpi4-master-1.0/" + old_id)
    assert first.body == b"\0" * 10240
    full_old = nb.get("/update/box1/box1-rpi4-master-1.0").body
    raw2 = make_raw_image(os.path.join(tmpdir_shared, "raw2.img"), size=2 << 20, seed=7)
    nb.import_image(raw2, "box1", "rpi4", "master", "1.0")
    new_id = nb.build_id("box1", "box1-rpi4-master-1.0")
    assert new_id != old_id
    r = nb.get("/update/box1/box1-rpi4-master-1.0/" + old_id)
    assert r.status == 200 and r.body != full_old and len(r.body) > 10240
    t = tarfile.open(fileobj=io.BytesIO(r.body))
    zst = t.extractfile(t.getmembers()[0]).read()
    out = subprocess.run(["zstdcat"], input=zst, capture_output=True).stdout
    with open(raw2, "rb") as f:
        assert out == f.read()
    # the cache row follows the new build
    with nb.db() as c:
        rows = c.execute("SELECT build_id FROM mkbox_tar").fetchall()
    assert rows == [(new_id,)]


def test_update_tar_is_composed_once_and_cached(served):
    nb, _ = served
    a = nb.get("/update/box1/box1-rpi4-master-1.0")
    with nb.db() as c:
        (blob, size), = c.execute("SELECT blob, size FROM mkbox_tar").fetchall()
    path = os.path.join(nb.state, "blobs", blob[:2], blob)
    assert os.path.getsize(path) == size == len(a.body)
    assert hashlib.sha256(a.body).hexdigest() == blob
    mtime = os.stat(path).st_mtime_ns
    b = nb.get("/update/box1/box1-rpi4-master-1.0")
    assert b.body == a.body
    assert os.stat(path).st_mtime_ns == mtime   # served, not rewritten


@pytest.mark.parametrize("path", [
    "/update/box1/nope",
    "/update/nope/box1-rpi4-master-1.0",
    "/update/box1/nope/123",
    "/update?name=box1&board=rpi4&version=9.9",
    "/update?name=box1&version=1.0",
    "/update?board=rpi4",
    "/update",
])
def test_unknown_image_is_400_with_empty_body(served, path):
    nb, _ = served
    r = nb.get(path)
    assert r.status == 400
    assert r.body == b""


def test_missing_build_id_file_is_400(served):
    nb, _ = served
    os.unlink(os.path.join(nb.images, "box1", "box1-rpi4-master-1.0.img.buildID"))
    # by hand, not an import: the front end's tree follows once its watcher
    # has seen the change (bounded wait)
    wait_until(lambda: nb.get("/update/box1/box1-rpi4-master-1.0").status == 400,
               "the watcher to see the change")
    r = nb.get("/update/box1/box1-rpi4-master-1.0")
    assert (r.status, r.body) == (400, b"")
    # /list still shows the .img.zst, as the original does
    assert nb.get("/list").body == b"box1/box1-rpi4-master-1.0\n"


@pytest.mark.parametrize("path", [
    "/update/box1/box1-rpi4-master-1.0/",
    "/update/",
    "/update/box1",
    "/update/box1/",
    "/update/a/b/c/d",
    "/updates",
    "/listing",
    "/list/a/b",
])
def test_other_paths_are_404(served, path):
    nb, _ = served
    assert nb.get(path).status == 404


def test_hostile_names_never_leave_the_image_dir(served, tmpdir_shared):
    nb, raw = served
    # a complete build outside the image directory, one level up
    outside = os.path.join(nb.state, "secret")
    os.makedirs(outside)
    for ext in (".img.zst", ".img.sha256", ".img.buildID"):
        with open(os.path.join(outside, "s" + ext), "w") as f:
            f.write("deadbeef  s.img\n")
    hostile = [
        "/update/../secret/s", "/update/%2e%2e/secret/s", "/update/box1/..%2fsecret%2fs",
        "/update/%2E%2E/secret/s", "/update/box1/%2e%2e", "/update/box1/.",
        "/update/..%2f..%2fetc/passwd", "/update/box1/box1%00", "/update/box1/a%0ab",
        "/update/box1/" + "a" * 300, "/update/box1/box1-rpi4-*", "/update/box1/box1-rpi4-?aster-1.0",
        "/update/box1/box1-rpi4-[m]aster-1.0", "/update/box1/%5Bm%5D", "/update//box1/x",
        "/update/box1/x%zz", "/update?name=..&board=secret&version=s",
        "/update?name=%2e%2e&board=x", "/update?name=box1&board=rpi4/../..&version=1.0",
        "/update?name=box1&board=rpi4&version=1.0%00", "/update?name=box1%2fx&board=rpi4",
        "/list/..", "/list/%2e%2e", "/list/a%00b", "/list/" + "x" * 300,
    ]
    for p in hostile:
        r = nb.get(p)
        # these two are "/" once their dot segments are removed (RFC 3986
        # 5.2.4), which the front end sends to the admin pages
        if p in ("/list/..", "/list/%2e%2e") and r.status == 302:
            assert r.header("Location").endswith("/admin/"), p
        else:
            assert 400 <= r.status < 500, (p, r.status)
        assert b"deadbeef" not in r.body, p
    # the server is still healthy and unchanged
    assert nb.get("/list").body == b"box1/box1-rpi4-master-1.0\n"


def test_streamed_without_xsendfile_with_ranges(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_SERVER__XSENDFILE": "false"})
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=1 << 20)
    nb.ctl("init")
    nb.import_image(raw, "bx", "pc", "main")
    nb.start()
    full = nb.get("/update/bx/bx-pc-main")
    assert full.status == 200 and int(full.header("content-length")) == len(full.body)
    assert full.header("accept-ranges") == "bytes"
    r = nb.get("/update/bx/bx-pc-main", {"Range": "bytes=100-1099"})
    assert r.status == 206 and r.body == full.body[100:1100]
    assert r.header("content-range") == "bytes 100-1099/%d" % len(full.body)
    r = nb.get("/update/bx/bx-pc-main", {"Range": "bytes=-10"})
    assert r.status == 206 and r.body == full.body[-10:]
    r = nb.get("/update/bx/bx-pc-main", {"Range": "bytes=%d-" % (len(full.body) - 5)})
    assert r.body == full.body[-5:]
    r = nb.get("/update/bx/bx-pc-main", {"Range": "bytes=%d-" % len(full.body)})
    assert r.status == 416
    assert r.header("content-range") == "bytes */%d" % len(full.body)
    # several ranges: the program sends it all; lighttpd may then merge
    # them into one range of that answer, which must still be right
    r = nb.get("/update/bx/bx-pc-main", {"Range": "bytes=0-1,5-6"})
    if r.status == 206:
        span, total = r.header("content-range").split(" ")[1].split("/")
        a, b = map(int, span.split("-"))
        assert int(total) == len(full.body) and r.body == full.body[a:b + 1]
        assert a <= 0 and b >= 6
    else:
        assert r.status == 200 and r.body == full.body
    h = nb.request("HEAD", "/update/bx/bx-pc-main")
    assert h.status == 200 and h.body == b""
    assert int(h.header("content-length")) == len(full.body)


def test_range_through_xsendfile(served):
    nb, _ = served
    full = nb.get("/update/box1/box1-rpi4-master-1.0").body
    r = nb.get("/update/box1/box1-rpi4-master-1.0", {"Range": "bytes=512-1023"})
    assert r.status == 206 and r.body == full[512:1024]


def test_long_image_names_use_pax_and_extract(nb, tmpdir_shared):
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=8192)
    version = "v" + "9" * 110
    nb.ctl("init")
    nb.import_image(raw, "lb", "board", "main", version)
    nb.start()
    image = "lb-board-main-" + version
    work = os.path.join(tmpdir_shared, "x")
    os.makedirs(work)
    r = nb.get("/update/lb/" + image)
    assert r.status == 200
    p = subprocess.run(["tar", "-mxf", "-"], cwd=work, input=r.body, capture_output=True)
    assert p.returncode == 0, p.stderr
    assert sorted(os.listdir(work)) == [image + ".img.sha256", image + ".img.zst"]


def test_drop_in_image_path_variable(make_nb, tmpdir_shared):
    """IMAGE_PATH points nestbox at a directory the mkbox pipeline wrote."""
    pipeline = os.path.join(tmpdir_shared, "boxes")
    os.makedirs(os.path.join(pipeline, "pb"))
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=70000)
    # written by hand, byte for byte as the pipeline does
    zst = os.path.join(pipeline, "pb", "pb-x-master.img.zst")
    subprocess.run(["zstd", "-q", "-o", zst, raw], check=True)
    with open(raw, "rb") as f:
        raw_sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(pipeline, "pb", "pb-x-master.img.sha256"), "w") as f:
        f.write("%s  pb-x-master.img\n%s  pb-x-master.img.zst\n" % (raw_sha, file_sha(zst)))
    with open(os.path.join(pipeline, "pb", "pb-x-master.img.buildID"), "w") as f:
        f.write("%s  pb-x-master.img\n" % ("ab" * 32))
    nb = make_nb({"IMAGE_PATH": pipeline})
    nb.start()
    assert nb.get("/list").body == b"pb/pb-x-master\n"
    assert nb.get("/update/pb/pb-x-master/" + "ab" * 32).body == b"\0" * 10240
    disk = os.path.join(tmpdir_shared, "disk")
    p = run_box(nb.url, os.path.join(tmpdir_shared, "w"), disk, "pb", "x", "", "old")
    assert p.returncode == 0, p.stdout + p.stderr
    assert file_sha(disk) == file_sha(raw)


def test_list_follows_the_directory(served, tmpdir_shared):
    """/list is cached per process and in the front end's static tree; every
    change to the directory shows once the tree's watcher has seen it (the
    wait is for that, bounded), and then in every answer."""
    nb, raw = served
    small = make_raw_image(os.path.join(tmpdir_shared, "s.img"), size=4096)

    def shows(body):
        wait_until(lambda: nb.get("/list").body == body, "/list to show the change")
        for _ in range(3):        # both list processes and the tree agree
            assert nb.get("/list").body == body
            assert nb.get("/list", {"If-Modified-Since": "Mon, 30 Nov 2099 00:00:00 GMT"}).body \
                == body
    shows(b"box1/box1-rpi4-master-1.0\n")
    nb.import_image(small, "box1", "rpi4", "master", "1.1")     # same box
    nb.import_image(small, "box3", "pc")                          # new box
    shows(b"box1/box1-rpi4-master-1.0\nbox1/box1-rpi4-master-1.1\nbox3/box3-pc\n")
    os.unlink(os.path.join(nb.images, "box1", "box1-rpi4-master-1.1.img.zst"))
    shows(b"box1/box1-rpi4-master-1.0\nbox3/box3-pc\n")
    assert nb.get("/list/pc").body == b"box3/box3-pc\n"


# -- The image directory is a trust boundary: symbolic links are never followed

def outside_build(base, image, secret=b"SECRET-OUTSIDE"):
    """A complete build in a directory outside image_path."""
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, image + ".img.zst"), "wb") as f:
        f.write(secret)
    with open(os.path.join(base, image + ".img.sha256"), "w") as f:
        f.write("%s  %s.img\n%s  %s.img.zst\n" % ("0" * 64, image, "1" * 64, image))
    with open(os.path.join(base, image + ".img.buildID"), "w") as f:
        f.write("%s  %s.img\n" % ("cd" * 32, image))
    return {n: open(os.path.join(base, n), "rb").read() for n in os.listdir(base)}


def snapshot(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))}


@pytest.mark.parametrize("linked", [".img.zst", ".img.sha256", ".img.buildID"])
def test_linked_image_file_is_not_served(served, tmpdir_shared, linked):
    """<image>.img.zst -> /etc/passwd (or any file outside) is no build."""
    nb, _ = served
    outside = os.path.join(tmpdir_shared, "outside")
    outside_build(outside, "box1-evil-master")
    d = os.path.join(nb.images, "box1")
    for ext in (".img.zst", ".img.sha256", ".img.buildID"):
        src = os.path.join(outside, "box1-evil-master" + ext)
        dst = os.path.join(d, "box1-evil-master" + ext)
        if ext == linked:
            os.symlink("/etc/passwd" if ext == ".img.zst" else src, dst)
        else:
            shutil.copy(src, dst)
    for path in ("/update/box1/box1-evil-master", "/update/box1/box1-evil-master/old",
                 "/update?name=box1&board=evil&branch=master&build_id=old",
                 "/update?name=box1&board=evil"):
        r = nb.get(path)
        assert r.status == 400 and r.body == b"", (path, r.status, r.body[:80])
    out = nb.ctl("image", "list").stdout
    if linked == ".img.zst":
        assert nb.get("/list").body == b"box1/box1-rpi4-master-1.0\n"
        assert nb.get("/list/evil").body == b"\n"
        assert "evil" not in out and "box1/box1-rpi4-master-1.0" in out
    else:   # listed, as the original lists an .img.zst without .buildID, never served
        assert nb.get("/list/evil").body == b"box1/box1-evil-master\n"
        assert "box1/box1-evil-master\t(no buildID)" in out
    # the real build is still served
    assert nb.get("/update/box1/box1-rpi4-master-1.0").status == 200


def test_linked_box_directory_is_neither_listed_nor_served(served, tmpdir_shared):
    nb, _ = served
    outside = os.path.join(tmpdir_shared, "outside")
    before = outside_build(outside, "lnk-pc-master")
    os.symlink(outside, os.path.join(nb.images, "lnk"))
    for path in ("/update/lnk/lnk-pc-master", "/update/lnk/lnk-pc-master/" + "ab" * 32,
                 "/update?name=lnk&board=pc&build_id=x", "/update?name=lnk&board=pc&branch=master"):
        r = nb.get(path)
        assert r.status == 400 and b"SECRET" not in r.body, (path, r.status)
    assert nb.get("/list").body == b"box1/box1-rpi4-master-1.0\n"
    assert nb.get("/list/lnk").body == b"\n"
    assert "lnk" not in nb.ctl("image", "list").stdout
    assert snapshot(outside) == before


@pytest.fixture
def admin_served(make_nb, tmpdir_shared):
    from admin_client import Browser
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1"})
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=65536)
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.import_image(raw, "box1", "rpi4", "master", "1.0")
    nb.start()
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    return nb, b


def test_admin_delete_never_removes_through_a_link(admin_served, tmpdir_shared):
    nb, b = admin_served
    outside = os.path.join(tmpdir_shared, "outside")
    before = outside_build(outside, "lnk-pc-master")
    os.symlink(outside, os.path.join(nb.images, "lnk"))
    # a box with one linked file: the link's target stays too
    other = os.path.join(tmpdir_shared, "other")
    os.makedirs(other)
    with open(os.path.join(other, "target"), "w") as f:
        f.write("keep me")
    os.symlink(os.path.join(other, "target"),
               os.path.join(nb.images, "box1", "box1-evil.img.zst"))
    csrf = b.csrf("/admin/images")
    r = b.post("/admin/images/delete", {"csrf": csrf, "box": "lnk", "image": "lnk-pc-master"})
    assert r.status == 404, r.status
    r = b.post("/admin/images/delete", {"csrf": csrf, "box": "box1", "image": "box1-evil"})
    assert r.status == 404, r.status
    token = b.post("/admin/tokens", {"csrf": csrf, "name": "t"}).text
    token = token.split('<code id="new-token">')[1].split("</code>")[0]
    auth = {"Authorization": "Bearer " + token}
    r = b.request("DELETE", "/admin/api/images/lnk/lnk-pc-master", headers=auth)
    assert r.status == 404, r.status
    assert snapshot(outside) == before
    assert open(os.path.join(other, "target")).read() == "keep me"
    assert os.path.islink(os.path.join(nb.images, "lnk"))
    # the links are not in the catalogue either
    r = b.request("GET", "/admin/api/images", headers=auth)
    assert [(i["box"], i["image"]) for i in json.loads(r.body)] == [("box1", "box1-rpi4-master-1.0")]
    assert "lnk-pc-master" not in b.get("/admin/images").text
    # a real build is still deleted
    r = b.request("DELETE", "/admin/api/images/box1/box1-rpi4-master-1.0", headers=auth)
    assert r.status == 204


def test_import_into_a_linked_box_is_refused(admin_served, tmpdir_shared):
    nb, b = admin_served
    outside = os.path.join(tmpdir_shared, "outside")
    before = outside_build(outside, "lnk-pc-master")
    os.symlink(outside, os.path.join(nb.images, "lnk"))
    raw = make_raw_image(os.path.join(tmpdir_shared, "up.img"), size=8192)
    r = nb.ctl("image", "import", raw, "--box", "lnk", "--board", "pc", "--branch", "master",
               check=False)
    assert r.returncode == 1 and "symbolic link" in r.stderr, r.stderr
    csrf = b.csrf("/admin/images")
    r = b.upload({"csrf": csrf, "box": "lnk", "board": "pc", "branch": "master"}, "up.img",
                 open(raw, "rb").read())
    assert r.status == 409 and "symbolic link" in r.text, (r.status, r.text[:300])
    assert snapshot(outside) == before


@pytest.mark.parametrize("in_the_way", ["file", "dir"])
def test_import_errors_show_no_server_path(admin_served, tmpdir_shared, in_the_way):
    """A failed import names the box or file, never an absolute server path."""
    nb, b = admin_served
    if in_the_way == "file":           # a file where the box directory goes
        with open(os.path.join(nb.images, "fb"), "w") as f:
            f.write("x")
        target = "fb"
    else:                              # a directory where the .img.sha256 goes
        os.makedirs(os.path.join(nb.images, "fb", "fb-pc.img.sha256"))
        target = "fb/fb-pc.img.sha256"
    raw = make_raw_image(os.path.join(tmpdir_shared, "up.img"), size=8192)
    data = open(raw, "rb").read()
    csrf = b.csrf("/admin/images")
    r = b.upload({"csrf": csrf, "box": "fb", "board": "pc"}, "up.img", data)
    assert r.status == 409, (r.status, r.text[:300])
    assert target in r.text and nb.base not in r.text and "/tmp" not in r.text, r.text
    token = b.post("/admin/tokens", {"csrf": csrf, "name": "t"}).text
    token = token.split('<code id="new-token">')[1].split("</code>")[0]
    r = b.request("PUT", "/admin/api/images?box=fb&board=pc", data,
                  {"Authorization": "Bearer " + token})
    assert r.status == 409, (r.status, r.text)
    msg = json.loads(r.body)["error"]
    assert target in msg and not any(w.startswith("/") for w in msg.split()), msg
    tmp = os.path.join(nb.state, "tmp")
    assert not os.path.isdir(tmp) or not os.listdir(tmp)


def test_empty_image_is_refused_everywhere(admin_served, tmpdir_shared):
    """A 0-byte image would be served as a build boxes install: nestboxctl,
    the admin page and the admin API refuse it (400) and write nothing."""
    nb, b = admin_served
    empty = os.path.join(tmpdir_shared, "empty.img")
    open(empty, "wb").close()
    before = sorted(os.listdir(nb.images))
    r = nb.ctl("image", "import", empty, "--box", "e1", "--board", "x", check=False)
    assert r.returncode == 1 and "empty" in r.stderr, r.stderr
    csrf = b.csrf("/admin/images")
    r = b.upload({"csrf": csrf, "box": "e2", "board": "x"}, "empty.img", b"")
    assert r.status == 400 and "empty" in r.text, (r.status, r.text[:300])
    token = b.post("/admin/tokens", {"csrf": csrf, "name": "e"}).text
    token = token.split('<code id="new-token">')[1].split("</code>")[0]
    r = b.request("PUT", "/admin/api/images?box=e3&board=x", b"",
                  {"Authorization": "Bearer " + token, "Content-Length": "0"})
    assert r.status == 400 and "empty" in json.loads(r.body)["error"], (r.status, r.text)
    assert sorted(os.listdir(nb.images)) == before
    assert "e1" not in nb.get("/list").body.decode()
