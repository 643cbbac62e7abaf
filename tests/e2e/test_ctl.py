"""nestboxctl: init, image import/list, gc, --help; and crash safety of import."""
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import CTL, make_raw_image, wait_until


def test_help_for_every_command(nb):
    top = nb.ctl("--help").stdout
    for cmd in (["init"], ["image", "import"], ["image", "list"], ["gc"], ["config"]):
        assert "nestboxctl " + " ".join(cmd) in top
        out = nb.ctl(*cmd, "--help").stdout
        assert out.startswith("usage: nestboxctl " + " ".join(cmd)), out
    r = nb.ctl("frobnicate", check=False)
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
    assert nb.ctl(check=False).returncode == 2


def test_init_says_where(nb):
    out = nb.ctl("init").stdout
    with nb.db() as c:      # the schema's version: SQLite's user_version, PostgreSQL's nb_schema
        version = c.execute("SELECT version FROM nb_schema" if nb.pg_url else
                            "PRAGMA user_version").fetchone()[0]
    assert version >= 2
    where = "PostgreSQL (db.url)" if nb.pg_url else nb.state + "/nestbox.db"
    assert "database: %s (schema %d)" % (where, version) in out
    assert os.path.isdir(nb.images) and os.path.isdir(os.path.join(nb.state, "blobs"))
    # idempotent
    assert nb.ctl("init").stdout == out


def test_import_writes_what_the_pipeline_writes(nb, tmpdir_shared):
    raw = make_raw_image(os.path.join(tmpdir_shared, "r.img"), size=1 << 20)
    nb.ctl("init")
    assert nb.import_image(raw, "bb", "pc", None, "3") == "bb/bb-pc-3"
    d = os.path.join(nb.images, "bb")
    assert sorted(os.listdir(d)) == ["bb-pc-3.img.buildID", "bb-pc-3.img.sha256", "bb-pc-3.img.zst"]
    sha = open(os.path.join(d, "bb-pc-3.img.sha256")).read().splitlines()
    raw_sum = subprocess.run(["sha256sum", raw], capture_output=True, text=True).stdout.split()[0]
    zst_sum = subprocess.run(["sha256sum", os.path.join(d, "bb-pc-3.img.zst")],
                             capture_output=True, text=True).stdout.split()[0]
    assert sha == [raw_sum + "  bb-pc-3.img", zst_sum + "  bb-pc-3.img.zst"]
    bid = open(os.path.join(d, "bb-pc-3.img.buildID")).read()
    assert len(bid.split()[0]) == 64 and bid.endswith("  bb-pc-3.img\n")
    out = subprocess.run(["zstdcat", os.path.join(d, "bb-pc-3.img.zst")], capture_output=True)
    assert out.stdout == open(raw, "rb").read()
    # a re-import is a new build with a new buildID
    nb.import_image(raw, "bb", "pc", None, "3")
    assert open(os.path.join(d, "bb-pc-3.img.buildID")).read() != bid
    lines = nb.ctl("image", "list").stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bb/bb-pc-3\t")


@pytest.mark.parametrize("args,why", [
    (["--box", "../x", "--board", "pc"], "may hold only"),
    (["--box", "b", "--board", "a/b"], "may hold only"),
    (["--box", "b", "--board", "x", "--version", "1 2"], "may hold only"),
    (["--box", "b", "--board", "x", "--branch", "*"], "may hold only"),
    (["--box", "b"], "usage:"),
])
def test_import_refuses_bad_names(nb, tmpdir_shared, args, why):
    raw = make_raw_image(os.path.join(tmpdir_shared, "r.img"), size=4096)
    nb.ctl("init")
    r = nb.ctl("image", "import", raw, *args, check=False)
    assert r.returncode != 0 and why in r.stderr
    assert os.listdir(nb.images) == []


def test_import_of_missing_or_odd_file(nb, tmpdir_shared):
    nb.ctl("init")
    r = nb.ctl("image", "import", "/nonexistent.img", "--box", "b", "--board", "x", check=False)
    assert r.returncode == 1 and "No such file" in r.stderr
    r = nb.ctl("image", "import", tmpdir_shared, "--box", "b", "--board", "x", check=False)
    assert r.returncode == 1 and "not a regular file" in r.stderr
    assert os.listdir(nb.images) == []


def dir_changed(d, before):
    """Whether directory d differs from before ({name: bytes}) in its names
    or in a file's size."""
    names = os.listdir(d)
    if sorted(names) != sorted(before):
        return True
    return any(os.path.getsize(os.path.join(d, f)) != len(before[f]) for f in names)


def test_killed_import_leaves_nothing_visible(nb, tmpdir_shared):
    """SIGKILL during compression: no partial .img.zst, old build intact."""
    raw = make_raw_image(os.path.join(tmpdir_shared, "small.img"), size=65536)
    nb.ctl("init")
    nb.import_image(raw, "kb", "pc", "main")
    d = os.path.join(nb.images, "kb")
    before = {f: open(os.path.join(d, f), "rb").read() for f in os.listdir(d)}
    big = os.path.join(tmpdir_shared, "big.img")
    with open(big, "wb") as f:
        for i in range(64):
            f.write(os.urandom(1 << 20))
    p = subprocess.Popen([CTL, "image", "import", big, "--box", "kb", "--board", "pc",
                          "--branch", "main", "--level", "19", "--threads", "1"],
                         env=nb.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # killed once the directory changes at all (a temp file appears, or a
    # build file is written in place), not on the temp file's name
    wait_until(lambda: dir_changed(d, before) or p.poll() is not None,
               "the import's first write")
    p.send_signal(signal.SIGKILL)
    p.wait()
    after = {f: open(os.path.join(d, f), "rb").read() for f in os.listdir(d) if ".tmp." not in f}
    assert after == before
    nb.start()
    assert nb.get("/list").body == b"kb/kb-pc-main\n"
    r = nb.get("/update/kb/kb-pc-main")
    assert r.status == 200
    # gc removes the abandoned temp file once it is older than the grace period
    assert [f for f in os.listdir(d) if ".tmp." in f], "expected the killed import's temp file"
    assert "0 temp files" in nb.ctl("gc").stdout
    assert "1 temp files" in nb.ctl("gc", "--grace", "0").stdout
    assert sorted(os.listdir(d)) == sorted(before)


def test_gc_drops_stale_tars_and_blobs(nb, tmpdir_shared):
    raw = make_raw_image(os.path.join(tmpdir_shared, "r.img"), size=65536)
    raw2 = make_raw_image(os.path.join(tmpdir_shared, "r2.img"), size=65536, seed=2)
    nb.ctl("init")
    nb.import_image(raw, "gb", "pc", "main")
    blobs = os.path.join(nb.state, "blobs")
    with nb.db() as c:                       # composed at import already
        (old,), = c.execute("SELECT blob FROM mkbox_tar").fetchall()
    assert os.path.exists(os.path.join(blobs, old[:2], old))
    nb.start()
    assert hashlib.sha256(nb.get("/update/gb/gb-pc-main").body).hexdigest() == old
    # stopped first: the front end's watcher may compose a tar of the files
    # half replaced meanwhile, one more blob for gc (and never a row)
    nb.stop()
    nb.import_image(raw2, "gb", "pc", "main")     # a new build replaces the tar
    out = nb.ctl("gc", "--grace", "0").stdout
    assert "0 stale cache rows, 1 blobs" in out
    assert not os.path.exists(os.path.join(blobs, old[:2], old))
    with nb.db() as c:
        (new,), = c.execute("SELECT blob FROM mkbox_tar").fetchall()
    assert os.path.exists(os.path.join(blobs, new[:2], new))
    assert "0 stale cache rows, 0 blobs" in nb.ctl("gc", "--grace", "0").stdout
    # a build removed from the directory leaves a stale row and blob behind
    for ext in (".img.zst", ".img.sha256", ".img.buildID"):
        os.unlink(os.path.join(nb.images, "gb", "gb-pc-main" + ext))
    # the row goes at once, the blob only after the grace period
    assert "1 stale cache rows, 0 blobs" in nb.ctl("gc").stdout
    assert "0 stale cache rows, 1 blobs" in nb.ctl("gc", "--grace", "0").stdout
    assert not os.path.exists(os.path.join(blobs, new[:2], new))


# -- gc and the filesystem trust boundary: links, killed uploads ----------

def test_gc_never_deletes_through_a_link(nb, tmpdir_shared):
    nb.ctl("init")
    old = time.time() - 7200
    outside = os.path.join(tmpdir_shared, "outside")
    os.makedirs(outside)
    victim = os.path.join(outside, "data.tmp.1.deadbeef")
    with open(victim, "w") as f:
        f.write("not nestbox's")
    os.utime(victim, (old, old))
    os.symlink(outside, os.path.join(nb.images, "lnk"))
    # a linked temp file in a real box: the link may go, never its target
    os.makedirs(os.path.join(nb.images, "real"))
    os.symlink(victim, os.path.join(nb.images, "real", "x.img.zst.tmp.1.00000000"))
    # the blob store's tmp/ and a fan-out directory as links
    blobs = os.path.join(nb.state, "blobs")
    shutil.rmtree(os.path.join(blobs, "tmp"))
    os.symlink(outside, os.path.join(blobs, "tmp"))
    other = os.path.join(tmpdir_shared, "o2")
    os.makedirs(other)
    blobname = os.path.join(other, "cd" * 32)
    with open(blobname, "w") as f:
        f.write("x")
    os.utime(blobname, (old, old))
    os.symlink(other, os.path.join(blobs, "cd"))
    # var/tmp as a link
    os.symlink(outside, os.path.join(nb.state, "tmp"))
    with open(os.path.join(outside, "upload.tmp.1.00000000"), "w") as f:
        f.write("not nestbox's either")
    os.utime(os.path.join(outside, "upload.tmp.1.00000000"), (old, old))
    before = {n: open(os.path.join(outside, n)).read() for n in os.listdir(outside)}
    out = nb.ctl("gc", "--grace", "0").stdout
    assert {n: open(os.path.join(outside, n)).read() for n in os.listdir(outside)} == before
    assert os.path.exists(blobname)
    assert "0 blobs" in out


def _kill_admin(nb):
    for pid in nb.backends():                  # kill -9 the program taking the upload
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if b"admin.fcgi" in f.read():
                    os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _start_upload(nb, path, method="PUT", ctype=None, head=b"", form=False):
    """Starts a 10 MB upload to path with an API token (a body of type
    ctype opening with head), or as the page's form with a session when
    form (a multipart body: its csrf field, then head), sends 300 kB of it."""
    from admin_client import Browser
    nb.env["NESTBOX_ADMIN_PASSWORD"] = "admin-pass-1"
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.start()
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    csrf = b.csrf("/admin/images")
    token = b.post("/admin/tokens", {"csrf": csrf, "name": "t"}).text
    token = token.split('<code id="new-token">')[1].split("</code>")[0]
    # an API token's body is buffered by lighttpd before the program reads
    # it; the page's form (a session) streams into the program as it comes
    if form:
        head = ("--XB\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n"
                % csrf).encode() + head
        ctype = "multipart/form-data; boundary=XB"
        cred = "Cookie: " + "; ".join("%s=%s" % kv for kv in b.cookies.items())
    else:
        cred = "Authorization: Bearer " + token
    s = socket.create_connection(("127.0.0.1", nb.port), timeout=30)
    s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\n%s"
               "%s\r\nContent-Length: 10000000\r\n\r\n"
               % (method, path, "Content-Type: %s\r\n" % ctype if ctype else "", cred)
               ).encode() + head + b"\0" * 300000)
    return s


def test_gc_collects_upload_temp_files_of_older_versions(nb, tmpdir_shared):
    """No upload is staged in var/tmp any more (a killed OTA release upload
    leaves nothing there: its archive is held in memory); the
    var/tmp/upload.tmp.* files an older version left behind are removed by
    gc after the grace time, and nothing else there is."""
    s = _start_upload(nb, "/admin/api/ota/publish", "POST", "multipart/form-data; boundary=XB",
                      b'--XB\r\nContent-Disposition: form-data; name="file"; '
                      b'filename="app.tar.gz"\r\n\r\n')
    _kill_admin(nb)
    s.close()
    d = os.path.join(nb.state, "tmp")
    assert not os.path.isdir(d) or not os.listdir(d)
    os.makedirs(d, exist_ok=True)
    left = "upload.tmp.Ab12Cd"
    with open(os.path.join(d, left), "wb") as f:
        f.write(b"\0" * 1000)
    # younger than the grace time: kept (it may be an upload in progress)
    assert "0 temp files" in nb.ctl("gc").stdout
    assert os.listdir(d) == [left]
    # older than gc's --grace, younger than the programs' own start-up
    # collection (FS_TMP_GRACE, an hour): what removes it is gc alone,
    # whichever program lighttpd starts again meanwhile
    old = time.time() - 1800
    os.utime(os.path.join(d, left), (old, old))
    # a file of someone else in var/tmp is not nestbox's to remove
    with open(os.path.join(d, "notes.txt"), "w") as f:
        f.write("x")
    os.utime(os.path.join(d, "notes.txt"), (old, old))
    assert "1 temp files" in nb.ctl("gc", "--grace", "600").stdout
    assert os.listdir(d) == ["notes.txt"]


def test_gc_collects_killed_image_uploads(nb, tmpdir_shared):
    """A killed image upload leaves only its .img.zst temporary in the box
    directory (the raw bytes went straight into the compressor): gc
    removes it after the grace time, and var/tmp never held a copy."""
    s = _start_upload(nb, "/admin/images", "POST", form=True, head=b"".join(
        b"--XB\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % kv
        for kv in ((b"box", b"kb"), (b"board", b"pc"))) +
        b"--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.img\"\r\n"
        b"Content-Type: application/octet-stream\r\n\r\n")
    d = os.path.join(nb.images, "kb")
    wait_until(lambda: os.path.isdir(d) and any(".img.zst.tmp" in f for f in os.listdir(d)),
               "the compressed temporary")
    _kill_admin(nb)
    s.close()
    left = os.listdir(d)
    assert len(left) == 1 and left[0].startswith("kb-pc.img.zst.tmp"), left
    assert not os.path.exists(os.path.join(nb.state, "tmp"))
    assert "0 temp files" in nb.ctl("gc").stdout
    old = time.time() - 1800
    os.utime(os.path.join(d, left[0]), (old, old))
    assert "1 temp files" in nb.ctl("gc", "--grace", "600").stdout
    assert os.listdir(d) == []


def test_programs_collect_killed_uploads_at_start(nb):
    """Temp files of uploads and blob writes killed half-way (older than the
    grace time) are removed when a program starts; fresh ones may be writes
    in progress and stay, and so does anything that is not nestbox's."""
    nb.ctl("init")
    tmp = os.path.join(nb.state, "tmp")
    btmp = os.path.join(nb.state, "blobs", "tmp")
    os.makedirs(tmp, exist_ok=True)
    os.makedirs(btmp, exist_ok=True)
    old = time.time() - 7200
    names = {}
    for d, name in ((tmp, "upload.tmp.old"), (tmp, "upload.tmp.new"), (tmp, "notes.txt"),
                    (btmp, "blob.old")):
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(b"x" * 1000)
        names[name] = p
    # and an image upload's compressed temporary in its box directory
    box = os.path.join(nb.images, "kb")
    os.makedirs(box, exist_ok=True)
    for name in ("kb-pc.img.zst.tmp.1.old", "kb-pc.img.zst.tmp.2.new"):
        names[name] = os.path.join(box, name)
        with open(names[name], "wb") as f:
            f.write(b"x" * 1000)
    for name in ("upload.tmp.old", "notes.txt", "blob.old", "kb-pc.img.zst.tmp.1.old"):
        os.utime(names[name], (old, old))
    nb.start()
    # lighttpd starts the programs at once; any request proves one ran
    assert nb.get("/healthz").status == 200
    wait_until(lambda: not os.path.exists(names["upload.tmp.old"]), "the old upload removed")
    wait_until(lambda: not os.path.exists(names["blob.old"]), "the old blob temp removed")
    # admin.fcgi collects the box directories' when it starts
    assert nb.get("/admin/login").status == 200
    wait_until(lambda: not os.path.exists(names["kb-pc.img.zst.tmp.1.old"]),
               "the old image temporary removed")
    assert os.path.exists(names["kb-pc.img.zst.tmp.2.new"])
    assert os.path.exists(names["upload.tmp.new"])
    assert os.path.exists(names["notes.txt"])
