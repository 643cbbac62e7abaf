"""The DDI software repository (nestboxctl software): .swu images are read,
hashed and stored; broken ones are refused with nothing stored."""
import hashlib
import os
import subprocess
import pytest

SW_DESC = """software =
{
	version = "%s";
	description = "e2e image";
	hardware-compatibility: [ "1.0" ];
	board-a = {
		stable = {
			hardware-compatibility: [ "2.0" ];
			images: ( { filename = "rootfs.img"; type = "rawfile"; path = "/tmp/target"; } );
		};
	};
};
"""


def make_swu(d, version, fmt="crc", desc=None):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "sw-description"), "w") as f:
        f.write(desc if desc is not None else SW_DESC % version)
    with open(os.path.join(d, "rootfs.img"), "wb") as f:
        f.write(os.urandom(20000))
    out = os.path.join(d, "image-%s.swu" % version)
    subprocess.run("printf 'sw-description\\nrootfs.img\\n' | cpio -o -H %s > %s" % (fmt, out),
                   shell=True, cwd=d, check=True, capture_output=True)
    return out


def test_add_list_and_refusals(nb, tmpdir_shared):
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "a"), "1.2.3")
    assert nb.ctl("software", "add", swu).stdout == "1\n"
    data = open(swu, "rb").read()
    with nb.db() as c:
        row = c.execute("SELECT name, version, size, sha1, md5, sha256 FROM ddi_software").fetchone()
        compat = sorted(c.execute("SELECT board, revision FROM ddi_software_compat").fetchall())
    assert row == ("image-1.2.3.swu", "1.2.3", len(data), hashlib.sha1(data).hexdigest(),
                   hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())
    assert compat == [("", "1.0"), ("board-a", "2.0")]
    blob = os.path.join(nb.state, "blobs", row[5][:2], row[5])
    assert open(blob, "rb").read() == data
    # the same version with overlapping compatibility: refused
    again = make_swu(os.path.join(tmpdir_shared, "b"), "1.2.3")
    r = nb.ctl("software", "add", again, check=False)
    assert r.returncode == 3 and "overlapping hardware compatibility" in r.stderr
    # JSON sw-description, newc format
    js = make_swu(os.path.join(tmpdir_shared, "c"), "2.0", fmt="newc",
                  desc='{"software":{"version":"2.0","hardware-compatibility":["1.0"]}}')
    assert nb.ctl("software", "add", js, "--name", "json-image").stdout == "2\n"
    listed = nb.ctl("software", "list").stdout.splitlines()
    assert listed[0].startswith("1\timage-1.2.3.swu\t1.2.3\t")
    assert listed[1].startswith("2\tjson-image\t2.0\t") and listed[1].endswith("\t1.0")
    # gc keeps repository blobs
    nb.ctl("gc", "--grace", "0")
    assert os.path.exists(blob)


def test_broken_images_store_nothing(nb, tmpdir_shared):
    nb.ctl("init")
    good = make_swu(os.path.join(tmpdir_shared, "g"), "3.0")
    cases = {}
    data = open(good, "rb").read()
    cases["truncated"] = (data[:len(data) // 2], "truncated")
    cases["not-cpio"] = (os.urandom(4096), "not a .swu")
    cases["empty"] = (b"", "truncated")
    bad_desc = make_swu(os.path.join(tmpdir_shared, "bd"), "x", desc="software = { version = ; };\n")
    cases["syntax"] = (open(bad_desc, "rb").read(), "sw-description:1:")
    no_ver = make_swu(os.path.join(tmpdir_shared, "nv"), "x", desc="software = { x = 1; };\n")
    cases["no-version"] = (open(no_ver, "rb").read(), "no software.version")
    for name, (content, why) in cases.items():
        p = os.path.join(tmpdir_shared, name + ".swu")
        with open(p, "wb") as f:
            f.write(content)
        r = nb.ctl("software", "add", p, check=False)
        assert r.returncode == 1 and why in r.stderr, (name, r.stderr)
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 0
    blobs = os.path.join(nb.state, "blobs")
    assert not [f for d, _, fs in os.walk(blobs) for f in fs if not d.endswith("tmp")]
    assert nb.ctl("software", "del", "1", check=False).returncode == 1


def test_values_longer_than_kept_are_refused(nb, tmpdir_shared):
    """A 5,000-character software.version was stored as 63 characters and
    10,000 compatibility entries as 64 (issue 11): refused, with the field
    and the limit named, and nothing stored."""
    nb.ctl("init")
    cases = [
        (make_swu(os.path.join(tmpdir_shared, "v"), "long", desc=SW_DESC % ("7" * 5000)), (),
         "software.version is 5000 bytes, at most 63"),
        (make_swu(os.path.join(tmpdir_shared, "hc"), "1.0", desc=(
            'software = { version = "1.0"; hardware-compatibility: [ %s ]; };\n'
            % ", ".join('"%d"' % i for i in range(10000)))), (),
         "more than 64 hardware-compatibility entries"),
        (make_swu(os.path.join(tmpdir_shared, "bd"), "1.0", desc=(
            'software = { version = "1.0"; %s = { hardware-compatibility: [ "1" ]; }; };\n'
            % ("b" * 64))), (),
         "a hardware-compatibility board is 64 bytes, at most 63"),
        (make_swu(os.path.join(tmpdir_shared, "nm"), "1.0"), ("--name", "n" * 300),
         "--name is at most 255 bytes (this one has 300)"),
    ]
    for swu, extra, why in cases:
        r = nb.ctl("software", "add", swu, *extra, check=False)
        assert r.returncode == 1 and why in r.stderr, r.stderr
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM ddi_software_compat").fetchone()[0] == 0
    assert not os.listdir(os.path.join(nb.state, "blobs")) or \
        all(d == "tmp" for d in os.listdir(os.path.join(nb.state, "blobs")))


def _serve_once(handler_cls):
    import http.server
    import threading
    srv = http.server.HTTPServer(("127.0.0.1", 0), handler_cls)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_url_fetch_never_writes_through_a_linked_tmp(nb, tmpdir_shared):
    """blobs/tmp replaced by a link to a directory outside: `software add
    --url` refuses, and nothing is ever written there (issue 11, section 3);
    the server records what the outside directory held while it answered."""
    import http.server
    import shutil
    nb.ctl("init")
    swu = make_swu(os.path.join(tmpdir_shared, "u"), "5.0")
    data = open(swu, "rb").read()
    outside = os.path.join(tmpdir_shared, "outside")
    os.makedirs(outside)
    seen = []

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(sorted(os.listdir(outside)))
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = _serve_once(H)
    try:
        url = "http://127.0.0.1:%d/image-5.0.swu" % srv.server_address[1]
        tmp = os.path.join(nb.state, "blobs", "tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        os.symlink(outside, tmp)
        r = nb.ctl("software", "add", "--url", url, check=False)
        assert r.returncode == 1 and "cannot create a temporary file" in r.stderr, r.stderr
        assert all(not s for s in seen), seen
        assert os.listdir(outside) == []
        # with tmp/ a directory again the same URL is added
        os.unlink(tmp)
        os.makedirs(tmp)
        assert nb.ctl("software", "add", "--url", url).stdout == "1\n"
    finally:
        srv.shutdown()
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 1


def test_url_file_name_longer_than_kept_is_refused(nb):
    """A URL whose file name is longer than a software file name can be
    (255 bytes) is refused with the field and the limit named."""
    nb.ctl("init")
    r = nb.ctl("software", "add", "--url", "http://127.0.0.1:9/" + "f" * 300 + ".swu",
               check=False)
    assert r.returncode == 1 and "the URL's file name is 304 bytes, at most 255" in r.stderr, \
        r.stderr
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 0


def program_io(nb, name):
    """rchar and wchar summed over the running programs `name` lighttpd
    started (it may run several of each)"""
    rchar = wchar = n = 0
    for pid in nb.backends():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if not f.read().split(b"\0")[0].endswith(name.encode()):
                    continue
            with open("/proc/%d/io" % pid) as f:
                io = dict(l.split(": ") for l in f.read().splitlines())
        except OSError:
            continue
        rchar, wchar, n = rchar + int(io["rchar"]), wchar + int(io["wchar"]), n + 1
    return n, rchar, wchar


# counts every admin.fcgi process's I/O around an upload: all started with lighttpd
@pytest.mark.shipped_procs
def test_upload_written_once(make_nb, tmpdir_shared):
    """An uploaded .swu (form and raw body) goes once into its blob: the
    program writes its bytes once and reads them once (from the request),
    never through a temporary copy."""
    from admin_client import running_with_admin
    nb, b, auth = running_with_admin(make_nb)
    payload = os.urandom(8 << 20)
    for i, how in enumerate(("form", "raw")):
        d = os.path.join(tmpdir_shared, "once-" + how)
        os.makedirs(d)
        with open(os.path.join(d, "sw-description"), "w") as f:
            f.write(SW_DESC % ("9.%d" % i))
        with open(os.path.join(d, "rootfs.img"), "wb") as f:
            f.write(payload)
        out = os.path.join(d, "big.swu")
        subprocess.run("printf 'sw-description\\nrootfs.img\\n' | cpio -o -H crc > big.swu",
                       shell=True, cwd=d, check=True, capture_output=True)
        data = open(out, "rb").read()
        # the program answers a page first, so it is running when counted
        assert b.get("/admin/software").status == 200
        n, r0, w0 = program_io(nb, "admin.fcgi")
        assert n
        if how == "form":
            r = b.upload({"csrf": b.csrf("/admin/software"), "name": "once"}, "big.swu", data,
                         action="/admin/software")
            assert r.status == 303, r.text
        else:
            r = b.request("PUT", "/admin/api/software?filename=big-raw.swu", data, auth)
            assert r.status == 201, r.body
        n2, r1, w1 = program_io(nb, "admin.fcgi")
        assert n2 == n
        written, read = w1 - w0, r1 - r0
        # once each, plus the catalogue, the database and the answer
        assert len(data) <= written < len(data) * 5 // 4, (how, written, len(data))
        assert len(data) <= read < len(data) * 5 // 4, (how, read, len(data))
    with nb.db() as c:
        rows = c.execute("SELECT filename, sha256 FROM ddi_software ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["big.swu", "big-raw.swu"]
    for _, sha in rows:
        assert os.path.exists(os.path.join(nb.state, "blobs", sha[:2], sha))
