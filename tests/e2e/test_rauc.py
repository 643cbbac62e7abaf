"""RAUC bundles (.raucb) in the DDI software repository: real bundles made by
Debian's rauc (plain and verity formats, a throw-away self-signed key), read,
stored, listed and offered to devices over DDI; broken ones refused with
nothing stored."""
import hashlib
import json
import os
import struct
import subprocess

import pytest

from test_ddi import BASE, ddi


def signing_key(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-subj", "/CN=nestbox e2e", "-days", "2"],
                       check=True, capture_output=True)
    return cert, key


def make_raucb(d, version, compatible="gizmo", fmt="plain"):
    cert, key = signing_key(d)
    src = os.path.join(d, "in-%s-%s-%s" % (compatible, version, fmt))
    os.makedirs(src)
    with open(os.path.join(src, "manifest.raucm"), "w") as f:
        f.write("[update]\ncompatible=%s\nversion=%s\ndescription=e2e bundle\n\n"
                "[bundle]\nformat=%s\n\n[image.rootfs]\nfilename=rootfs.img\n"
                % (compatible, version, fmt))
    with open(os.path.join(src, "rootfs.img"), "wb") as f:
        f.write(os.urandom(20000))
    out = os.path.join(d, "%s-%s-%s.raucb" % (compatible, version, fmt))
    subprocess.run(["rauc", "bundle", "--cert", cert, "--key", key, src, out],
                   check=True, capture_output=True)
    return out


def compat_rows(nb):
    with nb.db() as c:
        return c.execute("SELECT s.version, s.kind, c.board, c.revision FROM ddi_software s"
                         " JOIN ddi_software_compat c ON c.software_id = s.id"
                         " ORDER BY s.id").fetchall()


def configure(nb, dev, mode, board, revision=None, assign=None):
    args = ["device", "add", dev, "--token", "tok-1", "--mode", mode]
    nb.ctl(*(args + (["--assign", assign] if assign else [])))
    data = {"hw_boardname": board, "sw_version": "0.1"}
    if revision is not None:
        data["hw_revision"] = revision
    assert ddi(nb, "PUT", BASE + dev + "/configData", body={"mode": "merge", "data": data}).status == 200


def offered(nb, dev):
    links = json.loads(ddi(nb, "GET", BASE + dev).body)["_links"]
    if "deploymentBase" not in links:
        return None
    return json.loads(ddi(nb, "GET", links["deploymentBase"]["href"][len(nb.url):]).body)


@pytest.fixture
def rauc_nb(make_nb):
    nb = make_nb({"NESTBOX_DDI__POLL_TIME": "00:00:05"})
    nb.ctl("init")
    return nb


def test_add_list_and_offer(rauc_nb, tmpdir_shared):
    nb = rauc_nb
    plain = make_raucb(tmpdir_shared, "1.0")
    verity = make_raucb(tmpdir_shared, "1.1", fmt="verity")
    assert nb.ctl("software", "add", plain).stdout == "1\n"
    assert nb.ctl("software", "add", verity, "--name", "gizmo verity").stdout == "2\n"
    listed = nb.ctl("software", "list").stdout.splitlines()
    assert listed[0].startswith("1\tgizmo-1.0-plain.raucb\t1.0\traucb\t%d\t" % os.path.getsize(plain))
    assert listed[0].endswith("\tgizmo")
    assert listed[1].startswith("2\tgizmo verity\t1.1\traucb\t")
    assert compat_rows(nb) == [("1.0", "raucb", "gizmo", ""), ("1.1", "raucb", "gizmo", "")]
    nb.start()
    # assigned: the plain bundle, with its hashes and size, downloadable whole
    configure(nb, "dev1", "assigned", "gizmo", assign="1")
    dep = offered(nb, "dev1")
    chunk = dep["deployment"]["chunks"][0]
    assert chunk["version"] == "1.0"
    art = chunk["artifacts"][0]
    data = open(plain, "rb").read()
    assert art["hashes"] == {"sha1": hashlib.sha1(data).hexdigest(),
                             "md5": hashlib.md5(data).hexdigest(),
                             "sha256": hashlib.sha256(data).hexdigest()}
    assert art["size"] == len(data)
    got = ddi(nb, "GET", art["_links"]["download-http"]["href"][len(nb.url):])
    assert got.status == 200 and got.body == data
    # latest: the highest version, the verity bundle
    configure(nb, "dev2", "latest", "gizmo")
    art = offered(nb, "dev2")["deployment"]["chunks"][0]["artifacts"][0]
    assert art["hashes"]["sha256"] == hashlib.sha256(open(verity, "rb").read()).hexdigest()
    assert art["size"] == os.path.getsize(verity)
    # another board is offered nothing
    configure(nb, "dev3", "latest", "other-board")
    assert offered(nb, "dev3") is None


def test_same_version_refused(rauc_nb, tmpdir_shared):
    nb = rauc_nb
    assert nb.ctl("software", "add", make_raucb(tmpdir_shared, "2.0")).stdout == "1\n"
    again = make_raucb(tmpdir_shared, "2.0", fmt="verity")
    r = nb.ctl("software", "add", again, check=False)
    assert r.returncode == 3 and "version 2.0 with overlapping hardware compatibility" in r.stderr
    # the same version for another board is another piece of software
    assert nb.ctl("software", "add", make_raucb(tmpdir_shared, "2.0", "other")).stdout == "2\n"
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 2


def test_broken_bundles_store_nothing(rauc_nb, tmpdir_shared):
    nb = rauc_nb
    data = open(make_raucb(tmpdir_shared, "3.0"), "rb").read()
    sig = struct.unpack(">Q", data[-8:])[0]
    fs = len(data) - 8 - sig
    cases = {
        "truncated": (data[:len(data) // 2], "truncated"),
        "cut-in-signature": (data[:-100], "corrupt or truncated RAUC bundle"),
        "signature-stripped": (data[:fs], "unsigned or truncated RAUC bundle"),
        "signature-garbage": (data[:fs] + os.urandom(sig) + data[-8:],
                              "the signature is not CMS signed data"),
        "squashfs-cut": (data[:fs // 2] + data[fs:], "truncated: the squashfs needs"),
        "not-an-image": (b"PK\x03\x04" + os.urandom(4096), "not a .swu or .raucb image"),
        "squashfs-magic-only": (b"hsqs", "truncated: too short for a RAUC bundle"),
    }
    for name, (content, why) in cases.items():
        p = os.path.join(tmpdir_shared, name + ".raucb")
        with open(p, "wb") as f:
            f.write(content)
        r = nb.ctl("software", "add", p, check=False)
        assert r.returncode == 1 and why in r.stderr, (name, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (name, r.stderr)
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 0
    blobs = os.path.join(nb.state, "blobs")
    assert not [f for d, _, fs_ in os.walk(blobs) for f in fs_ if not d.endswith("tmp")]


def test_revision_separator(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_DDI__RAUC_REVISION_SEPARATOR": "-rev"})
    nb.ctl("init")
    assert nb.ctl("software", "add", make_raucb(tmpdir_shared, "4.0", "gizmo-rev2")).stdout == "1\n"
    assert compat_rows(nb) == [("4.0", "raucb", "gizmo", "2")]
    assert nb.ctl("software", "list").stdout.rstrip("\n").endswith("\tgizmo:2")
    nb.start()
    configure(nb, "r2", "latest", "gizmo", "2")
    assert offered(nb, "r2")["deployment"]["chunks"][0]["version"] == "4.0"
    configure(nb, "r3", "latest", "gizmo", "3")
    assert offered(nb, "r3") is None
