"""Two hosts, one fleet (issue 12, item 4): two nestbox installations with
separate state directories and front ends on different ports (host A
behind lighttpd, host B behind Apache with apache-example.conf) share one
store on a PostgreSQL cluster of the suite's own (initdb into a temporary
directory, a unix socket there: conftest.PgCluster) and one bucket on an
S3-compatible server on loopback.  The S3 server is a STAND-IN: the npm
package s3rver (test_s3.S3StandIn); no S3 server is packaged in Debian.

What is shared and what is per host:
  shared    the store (db.url), the blobs (blob.backend s3), the mkbox
            image directory (mkbox.image_path: the build pipeline's
            directory, which is the source of truth of /list and /update)
            and the OTA git repositories (ota.git_dir); on real hosts the
            two directories are on a network filesystem both mount
  per host  var/: the static trees the front end answers from
            (mkbox-static, mip-static, ota-static), the upload spool
            (blobs/tmp), the compile cache's scratch files, the
            programs' sockets; the front end's configuration
With the store on PostgreSQL, a host's static trees hold only answers
no other host's write can change (versioned mip package JSON; the mkbox
tree, keyed on the shared image directory's files, which the front end
checks on every request): a hosted package's latest.json, proxied
package JSON, file-prefix links and the OTA static answers are the
programs' (src/mip, src/ota/ota_static.c).  A host that did not do a
write answers from the store and the bucket, and never from a copy made
before another host changed it.

The tests: a rollout made on B's pages installed by swupdate through A,
A killed mid-run and the device finishing on B; an image imported on one
host fetched by the box script from the other; mip packages published on
one host installed from the other (hosted latest, a name hosted after
the other host proxied it, a file prefix made ambiguous); an OTA
repository made private on one host; and one machine on SQLite and the
filesystem moved with blobs migrate and store migrate, then served by
two hosts (the README's "More than one machine").

The clients are the real ones the suite drives: Debian's swupdate
(swupdate_harness.py), the box script (`curl | tar`, sha256sum -c), the
mip client of test_mip.py; the operator uses the admin pages and
nestboxctl.

The test needs initdb (PostgreSQL 15, NESTBOX_PG_BIN): it runs in the
PostgreSQL pass of the suite (make test-pg, which make test runs when
initdb exists) and whenever this file is named on pytest's command line;
the SQLite pass skips it (its store is PostgreSQL either way).
"""
import hashlib
import json
import os
import shutil
import signal
import urllib.parse

import pytest

from admin_client import Browser
from conftest import (PG_BIN, STORE, Nestbox, PgCluster, give_to_www_data, make_raw_image,
                      pg_available, wait_until)
from mip_fakes import FakeHost, MipClient, add_official_package
from swupdate_harness import SwupdateDevice, make_signed_swu, make_signing_pair
from test_apache import MODULES, Apache
from test_ddi_swupdate import bootloader
from test_mip import STAND_IN, files_of, make_pkg
from test_mkbox import file_sha, run_box
from test_rollout_page import group
from test_s3 import BUCKET, S3StandIn
from test_static import is_static

PAYLOAD = bytes(range(256)) * 96 + b"two hosts, one fleet\n"
WAIT = 90.0
PASSWORD = "admin-pass-1"


@pytest.fixture(autouse=True)
def _where(request):
    if not pg_available():
        pytest.skip("PostgreSQL cannot be started here (%s/initdb is missing): the two-host"
                    " test needs a cluster of its own" % PG_BIN)
    named = any(os.path.basename(a.split("::")[0]) == "test_two_hosts.py"
                for a in request.config.args)
    if STORE != "postgresql" and not named:
        pytest.skip("runs in the PostgreSQL pass (make test-pg) or when named on its own")
    if not shutil.which("apache2") or not os.path.exists(MODULES + "/mod_fcgid.so"):
        pytest.fail("apache2 with mod_fcgid is required (make deps installs it)")


class Fleet:
    """One store, one bucket, one image directory; host A (lighttpd) and
    host B (Apache), each with its own var/."""

    def __init__(self, base, base_url=None, one_machine_first=False, blobs="s3"):
        self.base, self.base_url = base, base_url
        # blobs "dir": the filesystem store in one directory both hosts mount
        self.blob_dir = os.path.join(base, "shared-blobs") if blobs == "dir" else None
        self.pg = PgCluster.get()
        self.db_url = self.pg.new_database()
        self.s3 = S3StandIn(base)
        self.upstream = FakeHost()       # micropython.org's index, for proxied names
        self.images = os.path.join(base, "shared-images")
        self.git = os.path.join(base, "shared-ota-git")
        os.makedirs(self.images)
        # the compiler stand-in where Apache's user can run it
        self.mpy_cross = os.path.join(base, "mpy-cross")
        shutil.copy2(STAND_IN, self.mpy_cross)
        self.apache = self.a = None
        try:
            # one_machine_first: host A starts alone on SQLite and the
            # filesystem (the test moves it, as the README says)
            self.a = self.host("a", shared=not one_machine_first)
            self.b = self.host("b", shared=True)
            if not one_machine_first:
                self.a.start()
                self.start_b()
        except BaseException:
            self.stop()
            raise

    def host(self, name, shared):
        d = os.path.join(self.base, name)
        os.makedirs(d)
        nb = Nestbox(d, env={"NESTBOX_ADMIN_PASSWORD": PASSWORD}, store="sqlite")
        nb.pg_url = self.db_url          # nb.db() is the SQLite file's: refused
        nb.images = self.images
        with open(nb.config) as f:
            nb.own_config = f.read()
        if self.base_url:           # the fleet's one public name, before both hosts
            nb.own_config = nb.own_config.replace(
                "server:\n", "server:\n  base_url: %s\n" % self.base_url, 1)
        self.configure(nb, shared)
        return nb

    def configure(self, nb, shared):
        """What the hosts' nestbox.yaml add (README, "More than one
        machine"); shared: the store on PostgreSQL and the blobs on S3."""
        with open(nb.config, "w") as f:
            f.write(nb.own_config)
            if shared:
                f.write("db:\n  url: \"%s\"\n" % self.db_url)
            if self.blob_dir:
                f.write("blob:\n  dir: %s\n" % self.blob_dir)
            else:
                f.write("blob:\n%s  s3_endpoint: %s\n  s3_bucket: %s\n  s3_region: us-east-1\n"
                        "  s3_access_key: S3RVER\n  s3_secret_key: S3RVER\n"
                        % ("  backend: s3\n" if shared else "", self.s3.url, BUCKET))
            f.write("mkbox:\n  image_path: %s\n"
                    "ota:\n  git_dir: %s\n"
                    "mip:\n  mpy_cross: %s\n  upstream: %s\n  cache_ttl: 3600\n"
                    "ddi:\n  poll_time: \"00:00:01\"\n"
                    % (self.images, self.git, self.mpy_cross, self.upstream.url))

    def start_b(self):
        self.b.ctl("init")
        self.give_b_its_state()
        self.apache = Apache(os.path.join(self.base, "apache-b"), self.b)
        self.apache.start()

    def move_a(self):
        """Host A moves its blobs to the bucket and its store to
        PostgreSQL, as the README says, and starts again."""
        r = self.a.ctl("blobs", "migrate", "--to", "s3://" + BUCKET)
        assert " 0 failed" in r.stdout, r.stdout
        self.a.stop()
        self.a.ctl("store", "migrate", "--to", self.db_url)
        self.configure(self.a, shared=True)
        self.a.start()

    def sql(self, query):
        """Rows of a query on the shared store, as lists of strings."""
        name = urllib.parse.urlsplit(self.db_url).path.lstrip("/")
        out = self.pg.run("psql", "-h", self.pg.dir, "-U", "postgres", "-At", "-F", "|",
                          "-c", query, name)
        return [line.split("|") for line in out.splitlines()]

    def give_b_its_state(self):
        """Apache's programs run as www-data (root runs the suite): what
        nestboxctl wrote into host B's var/ as root goes to them."""
        give_to_www_data(*[top for top in (self.b.state, self.blob_dir) if top])

    def kill_a(self):
        """Host A dies: lighttpd and its programs, no clean shut-down."""
        pids = self.a.backends()
        self.a.proc.send_signal(signal.SIGKILL)
        self.a.proc.wait()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.a.proc = None

    def stop(self):
        errors = []
        for f in (self.apache and self.apache.stop, self.a and self.a.stop, self.s3.stop,
                  self.upstream.stop):
            try:
                if f:
                    f()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, errors


@pytest.fixture
def fleet(tmpdir_shared):
    f = Fleet(tmpdir_shared)
    yield f
    f.stop()


def operator(port):
    b = Browser(port)
    b.login("admin", PASSWORD)
    return b


# -- DDI: a rollout made on B, a device served by A, then by B ---------------

def test_rollout_on_b_device_on_a_then_a_killed(fleet):
    if shutil.which("swupdate") is None:
        pytest.skip("Debian's swupdate is not installed (make deps installs it)")
    d = fleet.base
    fleet.b.ctl("user", "first-admin")
    cert, key = make_signing_pair(os.path.join(d, "keys"))
    target = os.path.join(d, "target", "rootfs.bin")
    os.makedirs(os.path.dirname(target))
    swu = make_signed_swu(os.path.join(d, "swu"), "2.0", target, PAYLOAD, hw=("board", "1.0"),
                          cert=cert, key=key)
    # the operator, on host B's pages: the software, then a rollout
    ob = operator(fleet.apache.port)
    r = ob.upload({"csrf": ob.csrf("/admin/software"), "name": "two-host image"},
                  "image-2.0.swu", open(swu, "rb").read(), action="/admin/software")
    assert r.status == 303, r.text
    (sid,), = fleet.sql("SELECT id FROM ddi_software")
    fleet.b.ctl("device", "add", "dev1", "--token", "tok-dev1", "--mode", "rollout")
    r = ob.post("/admin/rollouts", {"csrf": ob.csrf("/admin/rollouts"), "name": "spring",
                                    "feed": "default", "software": sid})
    assert r.status == 303, r.text
    fleet.give_b_its_state()
    # the device polls host A, downloads through A and installs
    dev = SwupdateDevice(os.path.join(d, "device"), fleet.a.url, "DEFAULT", "dev1", "tok-dev1",
                         cert, hw=("board", "1.0"), sw_version="1.0", bootloader=bootloader(),
                         grub_env={"ustate": "0"})
    try:
        dev.start()
        dev.wait_for(lambda: os.path.exists(target) and open(target, "rb").read() == PAYLOAD,
                     WAIT, "the image installed from host A")
        dev.wait_for(lambda: "An already installed update is pending testing" in dev.log(),
                     WAIT, "swupdate waiting for the reboot")
        sha = hashlib.sha256(open(swu, "rb").read()).hexdigest()
        assert "blobs/" + sha in fleet.s3.objects()
        assert fleet.sql("SELECT status FROM ddi_actions") == [["running"]]
        # host A dies mid-run; the device is pointed at host B and reboots
        fleet.kill_a()
        dev.stop()
        dev.server_url = fleet.apache.url
        dev.write_config()
        dev.simulate_reboot(ok=True)
        dev.wait_for(lambda: fleet.sql("SELECT status FROM ddi_actions") == [["finished"]],
                     WAIT, "closed + success reported to host B")
    finally:
        dev.stop()
    # nothing lost: one action, the feedback A took and the one B took
    assert fleet.sql("SELECT state, sw_version FROM ddi_devices") == [["finished", "2.0"]]
    details = "".join(r[0] for r in fleet.sql("SELECT details FROM ddi_action_status"))
    assert "All Chunks Installed." in details
    assert fleet.sql("SELECT success, failure FROM ddi_rollouts") == [["1", "0"]]
    # host B's pages show it
    page = ob.get("/admin/rollouts/1")
    assert page.status == 200 and group(page.text, "succeeded") == ["dev1"], page.text
    (dev_id,), = fleet.sql("SELECT id FROM ddi_devices")
    page = ob.get("/admin/devices/" + dev_id).text
    assert "2.0" in page and "All Chunks Installed." in page


# -- mkbox: an import on one host, /update on the other ----------------------

def box(srv, d, tag, build_id):
    disk = os.path.join(d, "disk-" + tag)
    p = run_box(srv, os.path.join(d, "work-" + tag), disk, "box1", "rpi4", "1.0", build_id)
    return p, disk


def test_image_imported_on_one_host_served_by_the_other(fleet):
    d = fleet.base
    raw = make_raw_image(os.path.join(d, "raw1.img"), size=1 << 20, seed=1)
    fleet.a.import_image(raw, "box1", "rpi4", "master", "1.0")
    image = "box1-rpi4-master-1.0"
    first = fleet.a.build_id("box1", image)
    fleet.give_b_its_state()
    # host B did not import: its front end misses, its program answers
    p, disk = box(fleet.apache.url, d, "b1", "old")
    assert p.returncode == 0, p.stdout + p.stderr + fleet.apache.read_log()
    assert file_sha(disk) == file_sha(raw)
    assert fleet.apache.get("/list").body == b"box1/" + image.encode() + b"\n"
    # host A, which imported, sends /list as a file (the update tar's blob
    # is in the bucket: /update is its program's, which proxies it) once
    # its front end's watcher has seen the import (an event, not the import)
    want = b"box1/" + image.encode() + b"\n"
    wait_until(lambda: is_static(fleet.a.get("/list")), "host A's /list as a file")
    r = fleet.a.get("/list")
    assert is_static(r) and r.body == want
    p, disk = box(fleet.a.url, d, "a1", first)
    assert p.returncode == 3 and "up to date" in p.stdout
    # a new build imported on B: A's static copy of the old one is never sent
    raw2 = make_raw_image(os.path.join(d, "raw2.img"), size=1 << 20, seed=2)
    fleet.b.import_image(raw2, "box1", "rpi4", "master", "1.0")
    fleet.give_b_its_state()
    second = fleet.b.build_id("box1", image)
    assert second != first
    for url, tag in ((fleet.a.url, "a2"), (fleet.apache.url, "b2")):
        p, disk = box(url, d, tag, first)
        assert p.returncode == 0, (tag, p.stdout + p.stderr)
        assert file_sha(disk) == file_sha(raw2), tag
        p, _ = box(url, d, tag + "-again", second)
        assert p.returncode == 3, (tag, p.stdout + p.stderr)
    # a second box imported on B: A's static /list is never sent stale
    fleet.b.import_image(raw, "box2", "rpi4", "master", "1.0")
    fleet.give_b_its_state()
    both = b"box1/box1-rpi4-master-1.0\nbox2/box2-rpi4-master-1.0\n"
    assert fleet.a.get("/list").body == both
    assert fleet.apache.get("/list").body == both


# -- mip: published on one host, installed from the other --------------------

def publish(nb, d, version, body):
    src = os.path.join(d, "pkg-" + version)
    files = {"app/__init__.py": body, "main.py": b"import app\n"}
    make_pkg(src, files, {"urls": [["app/__init__.py", "app/__init__.py"],
                                   ["main.py", "main.py"]], "version": version})
    r = nb.ctl("mip", "publish", src, "--name", "app", "--version", version)
    assert r.returncode == 0, r.stderr
    return files


def install(url, d, tag, version=None):
    c = MipClient(url + "/mip", os.path.join(d, "board-" + tag))
    doc = c.install("app", version)
    return doc, files_of(c.target)


def test_mip_published_on_one_host_installed_from_the_other(fleet):
    d = fleet.base
    v1 = publish(fleet.a, d, "1.0", b"X = 1\n")
    fleet.give_b_its_state()
    doc, got = install(fleet.apache.url, d, "b1")
    assert doc["version"] == "1.0" and got["main.py"] == v1["main.py"]
    assert got["app/__init__.mpy"][:4] == b"M\x06\x00\x1f"
    doc, got = install(fleet.a.url, d, "a1")
    assert doc["version"] == "1.0"
    # 2.0 published on B: A had sent "latest" as a file; it must now send 2.0
    v2 = publish(fleet.b, d, "2.0", b"X = 2\n")
    fleet.give_b_its_state()
    for url, tag in ((fleet.a.url, "a2"), (fleet.apache.url, "b2")):
        doc, got = install(url, d, tag)
        assert doc["version"] == "2.0", (tag, doc)
        assert got["app/__init__.mpy"].endswith(v2["app/__init__.py"]), tag
    # a version stays what it was, on either host
    for url, tag in ((fleet.a.url, "a3"), (fleet.apache.url, "b3")):
        doc, got = install(url, d, tag, "1.0")
        assert doc["version"] == "1.0" and got["app/__init__.mpy"].endswith(v1["app/__init__.py"])


def test_a_name_hosted_on_one_host_is_never_sent_from_upstream_by_the_other(fleet):
    d = fleet.base
    add_official_package(fleet.upstream, "app", "0.9", {"app.mpy": b"M\x06\x00\x1fUPSTREAM"})
    # host A proxies upstream's app, fresh for an hour
    doc, _ = install(fleet.a.url, d, "up", "0.9")
    assert doc["version"] == "0.9"
    r = fleet.a.get("/mip/package/6/app/latest.json")
    assert r.status == 200 and json.loads(r.body)["version"] == "0.9"
    # from the store, never from a copy of A's own (no host could remove it)
    assert not is_static(fleet.a.get("/mip/package/6/app/latest.json"))
    # the name becomes hosted on host B: A answers its own, never upstream's
    publish(fleet.b, d, "1.0", b"X = 1\n")
    fleet.give_b_its_state()
    r = fleet.a.get("/mip/package/6/app/0.9.json")
    assert r.status == 404 and b"hosted" in r.body, r.body
    doc, _ = install(fleet.a.url, d, "a1")
    assert doc["version"] == "1.0"


# -- OTA: a repository made private on one host ------------------------------

OTA_BASE = "http://fleet.example:8080"


@pytest.fixture
def ota_fleet(tmpdir_shared):
    f = Fleet(tmpdir_shared, base_url=OTA_BASE)
    yield f
    f.stop()


def ota_release(nb, d):
    """Publishes acme/app v1.0 through nb; the release's API path."""
    from test_ota import write_tree
    src = os.path.join(d, "ota-src")
    write_tree(src, {"main.py": b"print('v1')\n", "lib/u.py": b"U = 1\n"})
    nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1.0", src)
    return "/ota/api/repos/acme/app/releases/tags/v1.0"


def test_repository_made_private_on_one_host_is_private_on_the_other(ota_fleet):
    fleet, d = ota_fleet, ota_fleet.base
    ota_release(fleet.a, d)
    fleet.give_b_its_state()
    urls = ["/ota/api/repos/acme/app/releases/tags/v1.0",
            "/ota/api/repos/acme/app/git/ref/tags/v1.0",
            "/ota/download/acme/app/v1.0/manifest.json"]
    for host in (fleet.a, fleet.apache):
        for u in urls:
            r = host.get(u)
            assert r.status == 200, (u, r.status, r.body)
    # made private on B: no host answers without the repository's token
    fleet.b.ctl("ota", "repo", "--repo", "acme/app", "--private")
    token = fleet.b.ctl("ota", "token", "--repo", "acme/app", "--name", "b1").stdout.strip()
    fleet.give_b_its_state()
    for host in (fleet.a, fleet.apache):
        for u in urls:
            r = host.get(u)
            assert r.status == 404, (host.url, u, r.status, r.headers)
            assert host.get(u, {"Authorization": "token " + token}).status == 200, u


# -- one machine moved to two hosts (README, "More than one machine") --------

@pytest.fixture
def moved_fleet(tmpdir_shared):
    f = Fleet(tmpdir_shared, base_url=OTA_BASE, one_machine_first=True)
    yield f
    f.stop()


# host A's programs remove its static copies from its SQLite days as they
# start (mip_static_unshare): every program started with lighttpd
@pytest.mark.shipped_procs
def test_one_machine_moved_then_served_by_two_hosts(moved_fleet):
    """Devices, tokens, history and blobs survive the move; a copy host A
    made while alone is never sent once another host changed the data."""
    from test_ddi import BASE, ddi, feedback
    from test_software import make_swu
    fleet, d = moved_fleet, moved_fleet.base
    a = fleet.a
    a.ctl("init")
    a.ctl("user", "first-admin")
    a.start()
    oa = operator(a.port)
    api = {"Authorization": "Bearer " + oa.post("/admin/tokens", {
        "csrf": oa.csrf(), "name": "ops"}).text.split('<code id="new-token">')[1].split("</code>")[0]}
    swu = make_swu(os.path.join(d, "sw"), "2.0")
    data = open(swu, "rb").read()
    assert oa.upload({"csrf": oa.csrf("/admin/software"), "name": ""}, "image-2.0.swu", data,
                     action="/admin/software").status == 303
    a.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "rollout")
    assert oa.post("/admin/rollouts", {"csrf": oa.csrf("/admin/rollouts"), "name": "spring",
                                       "feed": "default", "software": "1"}).status == 303
    # the device starts on the one machine: its action, its first feedback
    assert ddi(a, "PUT", BASE + "dev1/configData", body={"data": {
        "hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0"}}).status == 200
    href = json.loads(ddi(a, "GET", BASE + "dev1").body)["_links"]["deploymentBase"]["href"]
    action = href.split("/deploymentBase/")[1].split("?")[0]
    assert feedback(a, "dev1", action, "proceeding", details=["downloading"]).status == 200
    v1 = publish(a, d, "1.0", b"X = 1\n")
    assert is_static(a.get("/mip/package/6/app/latest.json"))      # a copy of A's own
    release = ota_release(a, d)
    assert "x-nestbox-route" not in a.get(release).headers          # a file of A's own
    fleet.move_a()
    fleet.start_b()
    fleet.give_b_its_state()
    assert fleet.s3.objects()["blobs/" + hashlib.sha256(data).hexdigest()] == len(data)
    # on host B: the same device, token, action and operator's API token
    b = fleet.apache
    dep = json.loads(ddi(b, "GET", "%s%s/deploymentBase/%s" % (BASE, "dev1", action)).body)
    art = dep["deployment"]["chunks"][0]["artifacts"][0]
    link = urllib.parse.urlsplit(art["_links"]["download-http"]["href"])
    got = ddi(b, "GET", link.path + ("?" + link.query if link.query else ""))
    assert got.status == 200 and got.body == data
    assert feedback(b, "dev1", action, "closed", "success", ["installed"]).status == 200
    assert fleet.sql("SELECT state, sw_version FROM ddi_devices") == [["finished", "2.0"]]
    details = fleet.sql("SELECT execution, details FROM ddi_action_status ORDER BY id")
    assert ["proceeding", "downloading"] in details and ["closed", "installed"] in details, \
        details
    r = b.request("GET", "/admin/api/rollouts/1", api)
    assert r.status == 200 and json.loads(r.body)["groups"][0]["key"] == "succeeded", r.body
    doc, got = install(b.url, d, "b1")
    assert doc["version"] == "1.0" and got["main.py"] == v1["main.py"]
    # 2.0 published on B: host A's copy from its SQLite days is gone
    publish(fleet.b, d, "2.0", b"X = 2\n")
    fleet.give_b_its_state()
    doc, _ = install(a.url, d, "a2")
    assert doc["version"] == "2.0", doc
    # the repository made private on B: A's files from its SQLite days are gone
    fleet.b.ctl("ota", "repo", "--repo", "acme/app", "--private")
    for host in (a, b):
        assert host.get(release).status == 404, host.url


# -- mip files by hash prefix, with the blobs in one shared directory --------

@pytest.fixture
def dir_fleet(tmpdir_shared):
    f = Fleet(tmpdir_shared, blobs="dir")
    yield f
    f.stop()


def colliding_sources():
    """Two Python sources whose sha256 share the first 8 hex digits."""
    seen = {}
    for i in range(1 << 22):
        src = b"X = %d\n" % i
        p = hashlib.sha256(src).hexdigest()[:8]
        if p in seen:
            return seen[p], src, p
        seen[p] = src
    raise AssertionError("no collision found")


def test_a_file_prefix_made_ambiguous_on_one_host_is_ambiguous_on_the_other(dir_fleet):
    """A file is fetched by the 8-digit prefix upstream's package JSON
    names: while it names one file the front end may send it itself; once
    another host stores a second file with that prefix, no host may answer
    the prefix with the first one's bytes (the program answers 409)."""
    fleet, d = dir_fleet, dir_fleet.base
    one, two, prefix = colliding_sources()
    for nb, name, src in ((fleet.a, "one", one), (fleet.b, "two", two)):
        path = os.path.join(d, name + ".py")
        with open(path, "wb") as f:
            f.write(src)
        r = nb.ctl("mip", "publish", path, "--name", name, "--version", "1.0")
        assert r.returncode == 0, r.stderr
        fleet.give_b_its_state()
    url = "/mip/file/%s/%s" % (prefix[:2], prefix)
    for host in (fleet.a, fleet.apache):
        r = host.get(url)
        assert r.status == 409 and not is_static(r), (host.url, r.status, r.body[:80])
