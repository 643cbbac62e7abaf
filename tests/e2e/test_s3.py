"""Blobs on an S3-compatible store.  The store is an S3 STAND-IN: the npm
package s3rver (pinned in tests/s3/package.json, installed by make deps),
started on loopback by the s3 fixture; no S3 server is packaged in Debian.
s3rver 3.7.1 answers HEAD, ranged GET, PUT, multipart upload, DELETE and
ListObjectsV2 with continuation tokens, but it does not check SigV4
signatures (its source says so): the signing is checked by
tests/unit/test_sigv4.c against AWS's vectors, and a presigned URL here
by an independent Python SigV4 implementation.

With blob.backend s3: a DDI software upload (multipart: larger than the
part size) and the device's download (HEAD, whole, Range, 416), an mkbox
import and /update, a mip publish and install; each time the bytes are
listed in the bucket and none are in var/blobs.  Presigned redirects for
SWUpdate and pip downloads only (twine upload, then pip install following
the 302 to the stand-in); `nestboxctl blobs migrate` from a filesystem
store (resumable), `blobs verify`, and gc deleting through the listing."""
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import tarfile
import io
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from admin_client import Browser
from conftest import ROOT, free_port, make_raw_image, wait_until
from mip_fakes import MipClient
from pypi_dists import basic, make_wheel, pip, twine
from test_ddi import BASE, ddi
from test_mip import STAND_IN, files_of, make_pkg

S3RVER = os.path.join(ROOT, "tests", "s3", "node_modules", "s3rver", "bin", "s3rver.js")
BUCKET = "nb"
PART = 5 * 1024 * 1024
NS = "{http://doc.s3.amazonaws.com/2006-03-01/}"


class S3StandIn:
    """s3rver on loopback, with one bucket; listed without credentials."""

    def __init__(self, base):
        assert shutil.which("node"), "node is required (make deps installs it)"
        assert os.path.exists(S3RVER), "s3rver is missing: make deps runs npm ci in tests/s3"
        self.dir = os.path.join(base, "s3rver")
        os.makedirs(self.dir)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(base, "s3rver.log"), "wb")
        # s3rver's continuation tokens use DES: Node 17+ needs OpenSSL's legacy provider
        self.proc = subprocess.Popen(
            ["node", "--openssl-legacy-provider", S3RVER, "-d", self.dir, "-a", "127.0.0.1",
             "-p", str(self.port), "--no-vhost-buckets", "--configure-bucket", BUCKET, "-s"],
            stdout=self.log, stderr=subprocess.STDOUT)

        def up():
            assert self.proc.poll() is None, "s3rver exited"
            try:
                return urllib.request.urlopen(self.url + "/" + BUCKET + "?list-type=2").status == 200
            except OSError:
                return False
        wait_until(up, "s3rver on port %d" % self.port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.log.close()

    def env(self, **more):
        e = {"NESTBOX_BLOB__BACKEND": "s3", "NESTBOX_BLOB__S3_ENDPOINT": self.url,
             "NESTBOX_BLOB__S3_BUCKET": BUCKET, "NESTBOX_BLOB__S3_ACCESS_KEY": "S3RVER",
             "NESTBOX_BLOB__S3_SECRET_KEY": "S3RVER", "NESTBOX_BLOB__S3_PART_SIZE": str(PART)}
        e.update({"NESTBOX_BLOB__S3_" + k.upper(): v for k, v in more.items()})
        return e

    def objects(self, prefix="blobs/"):
        """{key: size} of the bucket, page by page (two keys a page)."""
        out, token = {}, None
        while True:
            q = {"list-type": "2", "prefix": prefix, "max-keys": "2"}
            if token:
                q["continuation-token"] = token
            url = "%s/%s?%s" % (self.url, BUCKET, urllib.parse.urlencode(q))
            root = ET.fromstring(urllib.request.urlopen(url).read())
            for c in root.findall(NS + "Contents"):
                out[c.find(NS + "Key").text] = int(c.find(NS + "Size").text)
            if root.find(NS + "IsTruncated").text != "true":
                return out
            token = root.find(NS + "NextContinuationToken").text

    def get(self, key):
        return urllib.request.urlopen("%s/%s/%s" % (self.url, BUCKET, key)).read()

    def put(self, key, data):
        urllib.request.urlopen(urllib.request.Request(
            "%s/%s/%s" % (self.url, BUCKET, key), data=data, method="PUT"))

    def delete(self, key):
        urllib.request.urlopen(urllib.request.Request(
            "%s/%s/%s" % (self.url, BUCKET, key), method="DELETE"))


@pytest.fixture
def s3(tmpdir_shared):
    s = S3StandIn(tmpdir_shared)
    yield s
    s.stop()


def local_blobs(nb):
    """Blob files below var/blobs (tmp/ is the spool, and must be empty)."""
    root = os.path.join(nb.state, "blobs")
    found = []
    for d, _, fs in os.walk(root):
        found += [os.path.relpath(os.path.join(d, f), root) for f in fs]
    return found


def big_swu(d, version, size):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "sw-description"), "w") as f:
        f.write('software = { version = "%s"; hardware-compatibility: [ "2.0" ];'
                ' images: ( { filename = "rootfs.img"; type = "raw"; } ); };\n' % version)
    with open(os.path.join(d, "rootfs.img"), "wb") as f:
        f.write(os.urandom(size))
    out = os.path.join(d, "image-%s.swu" % version)
    subprocess.run("printf 'sw-description\\nrootfs.img\\n' | cpio -o -H crc > %s" % out,
                   shell=True, cwd=d, check=True, capture_output=True)
    return out


def admin(nb):
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.start()
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    r = b.post("/admin/tokens", {"csrf": b.csrf(), "name": "t"})
    tok = r.text.split('<code id="new-token">')[1].split("</code>")[0]
    return b, {"Authorization": "Bearer " + tok}


def artifact_link(nb, sid):
    """As SWUpdate: register, poll, read the deployment; the download path."""
    nb.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    ddi(nb, "GET", BASE + "dev1")
    ddi(nb, "PUT", BASE + "dev1/configData", body={"data": {
        "hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}})
    href = json.loads(ddi(nb, "GET", BASE + "dev1").body)["_links"]["deploymentBase"]["href"]
    dep = json.loads(ddi(nb, "GET", href[len(nb.url):]).body)
    art = dep["deployment"]["chunks"][0]["artifacts"][0]
    return art["_links"]["download-http"]["href"][len(nb.url):]


def test_ddi_upload_multipart_and_download_proxied(make_nb, s3, tmpdir_shared):
    nb = make_nb(s3.env(), sub="ddi")
    nb.env["NESTBOX_ADMIN_PASSWORD"] = "admin-pass-1"
    b, auth = admin(nb)
    swu = big_swu(os.path.join(tmpdir_shared, "sw"), "2.0", 2 * PART + 12345)
    data = open(swu, "rb").read()
    sha = hashlib.sha256(data).hexdigest()
    r = b.request("PUT", "/admin/api/software?filename=image-2.0.swu", data, auth)
    assert r.status in (200, 201), r.body
    sid = str(json.loads(r.body)["id"])
    # in the bucket, by its sha256, in three parts' worth of bytes; not on disk
    assert s3.objects() == {"blobs/" + sha: len(data)}
    assert local_blobs(nb) == []
    dl = artifact_link(nb, sid)
    head = ddi(nb, "HEAD", dl)
    assert head.status == 200 and head.header("Content-Length") == str(len(data))
    got = ddi(nb, "GET", dl)
    assert got.status == 200 and got.body == data
    assert got.header("Accept-Ranges") == "bytes"
    part = ddi(nb, "GET", dl, headers={"Range": "bytes=%d-%d" % (PART - 5, PART + 4)})
    assert part.status == 206 and part.body == data[PART - 5:PART + 5]
    assert part.header("Content-Range") == "bytes %d-%d/%d" % (PART - 5, PART + 4, len(data))
    tail = ddi(nb, "GET", dl, headers={"Range": "bytes=-7"})
    assert tail.status == 206 and tail.body == data[-7:]
    bad = ddi(nb, "GET", dl, headers={"Range": "bytes=%d-" % len(data)})
    assert bad.status == 416 and bad.header("Content-Range") == "bytes */%d" % len(data)
    # the store gone: downloads are 503 (a device retries), an upload is
    # refused and leaves neither a row nor a temporary file
    s3.stop()
    down = ddi(nb, "GET", dl)
    assert down.status == 503 and b"blob store is unavailable" in down.body
    other = big_swu(os.path.join(tmpdir_shared, "sw3"), "3.0", 5000)
    r = b.request("PUT", "/admin/api/software?filename=image-3.0.swu", open(other, "rb").read(),
                  auth)
    assert r.status == 503, r.body
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_software").fetchone()[0] == 1
    assert local_blobs(nb) == []


def sigv4_check(url, secret, region="us-east-1"):
    """An independent SigV4 query-signature check of a presigned GET URL."""
    u = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
    sig = dict(q)["X-Amz-Signature"]
    canon_q = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"),
                                  urllib.parse.quote(v, safe="-_.~"))
                       for k, v in sorted(q) if k != "X-Amz-Signature")
    canon = "\n".join(["GET", u.path, canon_q, "host:" + u.netloc, "", "host",
                       "UNSIGNED-PAYLOAD"])
    date = dict(q)["X-Amz-Date"]
    sts = "\n".join(["AWS4-HMAC-SHA256", date, "%s/%s/s3/aws4_request" % (date[:8], region),
                     hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date[:8], region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest() == sig


def test_presigned_redirect_only_for_clients_that_follow(make_nb, s3, tmpdir_shared):
    nb = make_nb(s3.env(presign="true", presign_ttl="120"), sub="pre")
    nb.ctl("init")
    swu = big_swu(os.path.join(tmpdir_shared, "sw"), "2.0", 40000)
    data = open(swu, "rb").read()
    sid = nb.ctl("software", "add", swu).stdout.strip()
    raw = make_raw_image(os.path.join(tmpdir_shared, "a.img"), size=256 * 1024)
    nb.import_image(raw, "box1", "board1", "main", "1.0")
    image = "box1-board1-main-1.0"
    nb.start()
    r = ddi(nb, "GET", artifact_link(nb, sid))
    assert r.status == 302 and r.header("Cache-Control") == "no-store"
    loc = r.header("Location")
    assert loc.startswith("%s/%s/blobs/%s?X-Amz-Algorithm=AWS4-HMAC-SHA256&" % (
        s3.url, BUCKET, hashlib.sha256(data).hexdigest()))
    assert "X-Amz-Expires=120&" in loc and sigv4_check(loc, "S3RVER")
    assert not sigv4_check(loc.replace("X-Amz-Expires=120", "X-Amz-Expires=121"), "S3RVER")
    assert urllib.request.urlopen(loc).read() == data
    # a box script does not follow redirects: /update is proxied
    u = nb.get("/update/box1/" + image)
    assert u.status == 200 and u.header("Location") is None
    names = tarfile.open(fileobj=io.BytesIO(u.body)).getnames()
    assert any(n.endswith(".img.zst") for n in names)


def test_twine_upload_and_pip_install_through_a_presigned_redirect(make_nb, s3, tmpdir_shared):
    env = s3.env(presign="true")
    env["NESTBOX_PYPI__ROOT_PASSWORD"] = "root-secret"
    nb = make_nb(env, sub="pypi")
    nb.start()
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    h.update(basic("root", "root-secret"))
    assert nb.request("PUT", "/pypi/root/dev", h, json.dumps({}).encode()).status == 201
    whl = make_wheel(tmpdir_shared, "nb-s3", "1.0")
    data = open(whl, "rb").read()
    home = os.path.join(tmpdir_shared, "home")
    os.makedirs(home)
    p = twine(home, nb.url + "/pypi/root/dev/", "root", "root-secret", whl)
    assert p.returncode == 0, p.stdout + p.stderr
    assert s3.objects()["blobs/" + hashlib.sha256(data).hexdigest()] == len(data)
    assert local_blobs(nb) == []
    page = nb.get("/pypi/root/dev/+simple/nb-s3/").body.decode()
    href = re.search(r'href="([^"#]+)', page).group(1)
    r = nb.get(urllib.parse.urljoin("/pypi/root/dev/+simple/nb-s3/", href))
    assert r.status == 302 and "X-Amz-Signature=" in r.header("Location")
    assert r.header("Cache-Control") == "no-store"
    target = os.path.join(tmpdir_shared, "site")
    p = pip(home, "install", "--index-url", nb.url + "/pypi/root/dev/+simple/", "--target",
            target, "nb-s3")
    assert p.returncode == 0, p.stdout + p.stderr
    assert os.path.exists(os.path.join(target, "nb_s3", "__init__.py"))


def test_mkbox_import_and_update_served_from_the_bucket(make_nb, s3, tmpdir_shared):
    nb = make_nb(s3.env(), sub="mkbox")
    nb.ctl("init")
    raw = make_raw_image(os.path.join(tmpdir_shared, "b.img"), size=1024 * 1024)
    nb.import_image(raw, "box1", "board1", "main", "1.0")
    image = "box1-board1-main-1.0"
    nb.start()
    u = nb.get("/update/box1/" + image)
    assert u.status == 200 and u.header("Content-Length") == str(len(u.body))
    tar = tarfile.open(fileobj=io.BytesIO(u.body))
    assert any(n.endswith(".img.zst") for n in tar.getnames())
    key = "blobs/" + hashlib.sha256(u.body).hexdigest()
    assert s3.objects()[key] == len(u.body) and s3.get(key) == u.body
    assert local_blobs(nb) == []
    part = nb.get("/update/box1/" + image, headers={"Range": "bytes=0-99"})
    assert part.status == 206 and part.body == u.body[:100]


def test_mip_publish_and_install_from_the_bucket(make_nb, s3, tmpdir_shared):
    env = s3.env()
    env.update({"NESTBOX_MIP__MPY_CROSS": STAND_IN, "NESTBOX_MIP__OFFLINE": "true"})
    nb = make_nb(env, sub="mip")
    nb.start()
    src = os.path.join(tmpdir_shared, "pkg")
    files = {"app/__init__.py": b"X = 1\n", "main.py": b"import app\n"}
    make_pkg(src, files, {"urls": [["app/__init__.py", "app/__init__.py"],
                                   ["main.py", "main.py"]], "version": "1.0"})
    assert nb.ctl("mip", "publish", src, "--name", "app", "--version", "1.0").returncode == 0
    keys = s3.objects()
    for body in files.values():
        assert keys["blobs/" + hashlib.sha256(body).hexdigest()] == len(body)
    assert local_blobs(nb) == []
    c = MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "board"))
    c.install("app")
    got = files_of(c.target)
    assert got["main.py"] == files["main.py"]
    # compiled from the source read back from the bucket, and stored there
    assert got["app/__init__.mpy"][:4] == b"M\x06\x00\x1f"
    assert "blobs/" + hashlib.sha256(got["app/__init__.mpy"]).hexdigest() in s3.objects()


def test_migrate_from_the_filesystem_then_served_from_s3(make_nb, s3, tmpdir_shared):
    nb = make_nb(sub="mig")              # the filesystem store first
    nb.ctl("init")
    swu = big_swu(os.path.join(tmpdir_shared, "sw"), "2.0", PART + 999)
    data = open(swu, "rb").read()
    sid = nb.ctl("software", "add", swu).stdout.strip()
    raw = make_raw_image(os.path.join(tmpdir_shared, "c.img"), size=256 * 1024)
    nb.import_image(raw, "box1", "board1", "main", "1.0")
    on_disk = sorted(p for p in local_blobs(nb) if not p.startswith("tmp/"))
    assert len(on_disk) >= 2
    # usage errors (exit 2) and a missing endpoint (exit 1) copy nothing
    for argv in (["--to", "http://x/y"], ["--to", "s3://"], ["--to", "s3:///p"], []):
        r = nb.ctl("blobs", "migrate", *argv, check=False)
        assert r.returncode == 2 and "s3://BUCKET[/PREFIX]" in r.stderr, (argv, r.stderr)
    r = nb.ctl("blobs", "migrate", "--to", "s3://%s" % BUCKET, check=False)
    assert r.returncode == 1 and "blob.s3_endpoint" in r.stderr
    assert s3.objects("") == {}
    env = s3.env()
    r = nb.ctl("blobs", "migrate", "--to", "s3://%s/moved" % BUCKET, env={
        k: v for k, v in env.items() if k != "NESTBOX_BLOB__BACKEND"})
    assert "%d copied, 0 already there, 0 failed" % len(on_disk) in r.stdout
    assert sorted(s3.objects("moved/")) == sorted("moved/" + p.split("/")[1] for p in on_disk)
    # resumable: what is there with the same size is skipped
    r = nb.ctl("blobs", "migrate", "--to", "s3://%s/moved" % BUCKET, env=env)
    assert "0 copied, %d already there, 0 failed" % len(on_disk) in r.stdout
    # a damaged file is refused, never copied (the update tar's, not the artifact's)
    victim = [p for p in on_disk if not p.endswith(hashlib.sha256(data).hexdigest())][0]
    with open(os.path.join(nb.state, "blobs", victim), "r+b") as f:
        f.write(b"X")
    s3.delete("moved/" + victim.split("/")[1])
    r = nb.ctl("blobs", "migrate", "--to", "s3://%s/moved" % BUCKET, env=env, check=False)
    assert r.returncode == 1 and "1 failed" in r.stdout and victim.split("/")[1] in r.stderr
    assert "moved/" + victim.split("/")[1] not in s3.objects("moved/")
    # switched: served from the bucket, with the files gone from disk
    shutil.move(os.path.join(nb.state, "blobs"), os.path.join(tmpdir_shared, "old-blobs"))
    nb.env.update(env)
    nb.env["NESTBOX_BLOB__S3_PREFIX"] = "moved"
    nb.start()
    got = ddi(nb, "GET", artifact_link(nb, sid))
    assert got.status == 200 and got.body == data


def test_verify_and_gc_on_the_bucket(make_nb, s3, tmpdir_shared):
    nb = make_nb(s3.env(), sub="gc")
    nb.ctl("init")
    swus = [big_swu(os.path.join(tmpdir_shared, "sw%d" % i), "%d.0" % i, 3000 + i)
            for i in range(3)]
    ids = [nb.ctl("software", "add", p).stdout.strip() for p in swus]
    assert len(s3.objects()) == 3       # listed two a page: pagination
    assert "3 good, 0 damaged, 0 unreadable" in nb.ctl("blobs", "verify").stdout
    # a damaged object is found by verify
    key = "blobs/" + hashlib.sha256(open(swus[0], "rb").read()).hexdigest()
    s3.put(key, b"bad")
    r = nb.ctl("blobs", "verify", check=False)
    assert r.returncode == 1 and "damaged " + key.split("/")[1] in r.stdout
    # gc removes the unreferenced object through the listing, keeps the rest
    nb.ctl("software", "del", ids[1])
    r = nb.ctl("gc", "--grace", "0")
    assert "1 blobs" in r.stdout, r.stdout
    left = s3.objects()
    assert len(left) == 2 and "blobs/" + hashlib.sha256(open(swus[1], "rb").read()).hexdigest() \
        not in left
