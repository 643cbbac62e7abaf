"""The DDI software repository (nestboxctl software): .swu images are read,
hashed and stored; broken ones are refused with nothing stored."""
import hashlib
import os
import subprocess

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
         "at most 255"),
    ]
    for swu, extra, why in cases:
        r = nb.ctl("software", "add", swu, *extra, check=False)
        assert r.returncode == 1 and why in r.stderr, r.stderr
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM ddi_software_compat").fetchone()[0] == 0
    assert not os.listdir(os.path.join(nb.state, "blobs")) or \
        all(d == "tmp" for d in os.listdir(os.path.join(nb.state, "blobs")))
