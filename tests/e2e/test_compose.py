"""compose.yaml as an operator runs it, with Debian's podman-compose: nestbox
(the image test_container.py builds) on PostgreSQL 15 (the db service, built
from Debian's package) with its blobs in the S3 stand-in (the blobs service,
s3rver from tests/s3).  A box (curl | tar + sha256sum -c), a DDI device (the
real swupdate) and a mip board update through it; their rows are read in
PostgreSQL and their blobs listed in the stand-in's bucket, and neither a
SQLite file nor a blob file is on nestbox's own volume.  `podman-compose
down` and `up` again: the same answers, nothing lost.

The db and blobs images are built by `podman-compose build` itself, with
--layers=false, and removed with the project's containers, volumes and
network when the test ends."""
import os
import uuid
import xml.etree.ElementTree as ET

import pytest

from admin_client import Browser
from conftest import ROOT, STORE, free_port, make_raw_image, wait_until
from mip_fakes import MipClient
from swupdate_harness import make_signed_swu, make_signing_pair
from test_container import LIMITS, PODMAN, image, podman_problem, run  # noqa: F401 (fixture)
from test_ddi_swupdate import PAYLOAD
from test_deb import box_update, device_updates
from test_mip import files_of, make_pkg
from test_mkbox import file_sha


def compose_problem():
    """Why compose's services cannot run here, or None."""
    if STORE == "postgresql":
        return ("compose.yaml brings its own PostgreSQL (the db service); it runs once, in"
                " the SQLite pass of make test")
    problem = podman_problem()
    if problem is not None:
        return problem
    # podman 4 on CNI resolves the services' names only with this plugin
    backend = run(PODMAN + ["info", "--format", "{{.Host.NetworkBackend}}"]).stdout.strip()
    if backend == "cni" and not any(os.path.exists(os.path.join(d, "dnsname"))
                                    for d in ("/usr/lib/cni", "/opt/cni/bin")):
        return ("CNI's dnsname plugin is missing, so the services cannot find each other"
                " by name (make deps installs golang-github-containernetworking-plugin-dnsname)")
    return None


COMPOSE_PROBLEM = compose_problem()
pytestmark = pytest.mark.skipif(COMPOSE_PROBLEM is not None,
                                reason="compose test skipped: %s" % COMPOSE_PROBLEM)

PASSWORD = "compose-admin-pw"
BUCKET = "nestbox"
NS = "{http://doc.s3.amazonaws.com/2006-03-01/}"
# what the checks compare before `down` and after `up`
SHOWN = ("device show dev1", "rollout list", "software list", "image list", "mip list",
         "user list")


class Deployment:
    """One podman-compose project of compose.yaml, plus an override file that
    mounts the test's inputs and sets what the test needs (a 1 s DDI poll,
    mip offline) the way an operator's compose.override.yaml would."""

    def __init__(self, image, d):
        self.project = "nbcompose" + uuid.uuid4().hex[:8]
        self.port = free_port()
        self.inputs = os.path.join(d, "input")
        os.makedirs(self.inputs)
        override = os.path.join(d, "override.yaml")
        with open(override, "w") as f:
            f.write("services:\n  nestbox:\n    environment:\n"
                    "      - NESTBOX_DDI__POLL_TIME=00:00:01\n"
                    "      - NESTBOX_MIP__OFFLINE=true\n"
                    "    volumes:\n      - %s:/input:ro\n" % self.inputs)
        base = run(["sh", os.path.join(ROOT, "scripts", "container-base.sh"), *PODMAN[1:]],
                   timeout=1200).stdout.strip().splitlines()[-1]
        self.env = dict(os.environ, NESTBOX_IMAGE=image, NESTBOX_BASE=base,
                        NESTBOX_DB_IMAGE="localhost/nestbox-db:e2e",
                        NESTBOX_BLOBS_IMAGE="localhost/nestbox-blobs:e2e",
                        NESTBOX_PUBLISH="127.0.0.1:%d" % self.port,
                        NESTBOX_DB_PASSWORD="pw-" + uuid.uuid4().hex,
                        NESTBOX_ADMIN_PASSWORD=PASSWORD)
        self.compose = ["podman-compose", "--podman-args", " ".join(PODMAN[1:]),
                        "--podman-run-args", " ".join(LIMITS),
                        "--podman-build-args", "--format docker --layers=false " + " ".join(LIMITS),
                        "-f", os.path.join(ROOT, "compose.yaml"), "-f", override,
                        "-p", self.project]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def cmd(self, *args, timeout=600, check=True):
        return run(self.compose + list(args), env=self.env, timeout=timeout, check=check)

    def container(self, service):
        return "%s_%s_1" % (self.project, service)

    def up(self):
        self.cmd("up", "-d")
        wait_until(self.healthy, "compose's nestbox on /healthz", limit=120)

    def healthy(self):
        p = run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", self.url + "/healthz"],
                check=False)
        if p.stdout == "200":
            return True
        state = run(PODMAN + ["inspect", "--format", "{{.State.Status}}",
                              self.container("nestbox")], check=False).stdout.strip()
        assert state in ("created", "running"), "nestbox stopped (%s):\n%s" % (
            state, self.logs("nestbox"))
        return False

    def logs(self, service):
        p = run(PODMAN + ["logs", self.container(service)], check=False)
        return p.stdout + p.stderr

    def ctl(self, *args):
        return run(PODMAN + ["exec", self.container("nestbox"), "nestboxctl", *args]).stdout

    def sql(self, query):
        """Rows of query in the db service's nestbox database, as lists of text."""
        out = run(PODMAN + ["exec", self.container("db"), "psql", "-h", "/tmp", "-U", "nestbox",
                            "-d", "nestbox", "-AtF", "\t", "-c", query]).stdout
        return [line.split("\t") for line in out.splitlines()]

    def bucket(self):
        """{key: size} of the stand-in's bucket, asked from inside nestbox's
        container (the blobs service is not published on the host)."""
        xml = run(PODMAN + ["exec", self.container("nestbox"), "curl", "-fsS",
                            "http://blobs:4569/%s?list-type=2&max-keys=1000" % BUCKET]).stdout
        root = ET.fromstring(xml)
        assert root.find(NS + "IsTruncated").text == "false"
        return {c.find(NS + "Key").text: int(c.find(NS + "Size").text)
                for c in root.findall(NS + "Contents")}

    def ls(self, path):
        """Names in the directory path on nestbox's volume ([] if there is none)."""
        return run(PODMAN + ["exec", self.container("nestbox"), "sh", "-c",
                             'ls -A "$1" 2>/dev/null || true', "sh", path]).stdout.split()

    def leftovers(self, *kinds):
        """The names of the project's networks and volumes (or of kinds)
        still on the machine."""
        label = "label=io.podman.compose.project=" + self.project
        return [n for kind in kinds or ("network", "volume")
                for n in run(PODMAN + [kind, "ls", "--filter", label, "--format", "{{.Name}}"],
                             check=False).stdout.split()]

    def close(self):
        """Everything the project made goes.  podman-compose 1.0's `down`
        leaves the project's network (<project>_default): with CNI every
        later podman run that sets up a network runs each plugin of every
        network on the machine once more (CNI VERSION), so leaked networks
        made every container start here seconds slower."""
        self.cmd("down", "-v", timeout=300, check=False)
        for v in ("nestbox-state", "nestbox-db", "nestbox-blobs"):
            run(PODMAN + ["volume", "rm", "-f", "%s_%s" % (self.project, v)], check=False)
        for n in self.leftovers("network"):
            run(PODMAN + ["network", "rm", "-f", n], check=False)

    def remove_images(self):
        """The db and blobs images the project built (built anew by each
        session with --layers=false: nothing of them stays on the machine)."""
        run(PODMAN + ["rmi", "-f", self.env["NESTBOX_DB_IMAGE"], self.env["NESTBOX_BLOBS_IMAGE"]],
            check=False)


@pytest.fixture
def deployment(image, tmpdir_shared):
    dep = Deployment(image, tmpdir_shared)
    try:
        dep.cmd("build", "db", "blobs", timeout=1800)
        yield dep
    finally:
        dep.close()
        dep.remove_images()


def stored_in_postgresql_and_the_bucket(dep, swu, app):
    """The rows are in PostgreSQL, the blobs they name in the bucket, and
    nestbox's volume holds no SQLite file and no blob."""
    assert dep.sql("SELECT controller_id, sw_version FROM ddi_devices") == [["dev1", "2.0"]]
    [[sw_sha]] = dep.sql("SELECT sha256 FROM ddi_software")
    assert sw_sha == file_sha(swu)
    [[tar_blob]] = dep.sql("SELECT blob FROM mkbox_tar WHERE box = 'box1'")
    mip = {sha for [sha] in dep.sql("SELECT sha256 FROM mip_files")}
    assert file_sha(app) in mip
    keys = dep.bucket()
    for sha in [sw_sha, tar_blob, *mip]:
        assert "blobs/" + sha in keys, (sha, keys)
    assert keys["blobs/" + sw_sha] == os.path.getsize(swu)
    # the volume: no SQLite file; below blobs/ only the upload spool, empty
    assert not [f for f in dep.ls("/var/lib/nestbox") if f.startswith("nestbox.db")]
    assert [f for f in dep.ls("/var/lib/nestbox/blobs") if f != "tmp"] == []
    assert dep.ls("/var/lib/nestbox/blobs/tmp") == []


def test_compose_on_postgresql_and_s3_updates_a_box_a_device_and_a_board(deployment,
                                                                          tmpdir_shared):
    dep, d = deployment, tmpdir_shared
    inp = dep.inputs
    raw = make_raw_image(os.path.join(inp, "raw.img"))
    app = os.path.join(inp, "pkg", "app.py")
    make_pkg(os.path.join(inp, "pkg"), {"app.py": b"print('nestbox on postgresql and s3')\n"})
    cert, key = make_signing_pair(os.path.join(d, "keys"))
    target = os.path.join(d, "target", "rootfs.bin")
    os.makedirs(os.path.dirname(target))
    swu = make_signed_swu(os.path.join(inp, "swu"), "2.0", target, PAYLOAD, cert=cert, key=key)
    # the db image without its password makes no cluster and says why
    p = run(PODMAN + ["run", "--rm", *LIMITS, dep.env["NESTBOX_DB_IMAGE"]], check=False)
    assert p.returncode == 2 and "POSTGRES_PASSWORD must be set" in p.stderr, p.stderr
    dep.up()
    assert dep.ctl("image", "import", "/input/raw.img", "--box", "box1", "--board", "rpi4",
                   "--branch", "master", "--version", "1.0").strip() == "box1/box1-rpi4-master-1.0"
    dep.ctl("mip", "publish", "/input/pkg", "--name", "app", "--version", "1.0")
    sid = dep.ctl("software", "add", "/input/swu/" + os.path.basename(swu)).strip()
    dep.ctl("device", "add", "dev1", "--token", "tok-dev1", "--mode", "rollout")
    dep.ctl("rollout", "add", "--feed", "default", "--software", sid)

    p, disk = box_update(dep.url, d, "not-this-build")
    assert p.returncode == 0 and "box1-rpi4-master-1.0.img.zst: OK" in p.stdout, p.stdout + p.stderr
    assert file_sha(disk) == file_sha(raw)
    [[build_id]] = dep.sql("SELECT build_id FROM mkbox_tar WHERE box = 'box1'")
    board = MipClient(dep.url + "/mip", os.path.join(d, "board"))
    board.install("app")
    assert files_of(board.target) == {"app.py": b"print('nestbox on postgresql and s3')\n"}
    device_updates(dep.url, d, cert, target, lambda: dep.ctl("device", "show", "dev1"))
    stored_in_postgresql_and_the_bucket(dep, swu, app)

    # down (the containers go, the volumes stay) and up again
    before = {k: dep.ctl(*k.split()) for k in SHOWN}
    dep.cmd("down", timeout=300)
    assert run(PODMAN + ["container", "exists", dep.container("db")], check=False).returncode != 0
    dep.up()
    assert {k: dep.ctl(*k.split()) for k in SHOWN} == before
    assert "\t2.0\t100%\t1\t0\t0\t" in before["rollout list"], before
    stored_in_postgresql_and_the_bucket(dep, swu, app)
    p, disk = box_update(dep.url, d, build_id)
    assert p.returncode == 3 and "up to date" in p.stdout, p.stdout + p.stderr
    p, disk = box_update(dep.url, d, "an-older-build")
    assert p.returncode == 0 and file_sha(disk) == file_sha(raw), p.stdout + p.stderr
    again = MipClient(dep.url + "/mip", os.path.join(d, "board2"))
    again.install("app")
    assert files_of(again.target) == files_of(board.target)
    Browser(dep.port).login("admin", PASSWORD)

    # nestbox started while PostgreSQL is down waits for it, then serves
    # (the log keeps earlier starts: a new line is what this start said)
    said = "waiting up to 60s for the store"
    earlier = dep.logs("nestbox").count(said)
    run(PODMAN + ["stop", "-t", "20", dep.container("db")])
    run(PODMAN + ["restart", "-t", "20", dep.container("nestbox")])
    wait_until(lambda: dep.logs("nestbox").count(said) > earlier,
               "nestbox waiting for the stopped db", limit=60)
    assert not dep.healthy()
    run(PODMAN + ["start", dep.container("db")])
    wait_until(dep.healthy, "nestbox on /healthz once the db is back", limit=120)
    assert dep.ctl("device", "show", "dev1") == before["device show dev1"]

    # taken down, the project leaves nothing behind on the machine
    dep.close()
    assert dep.leftovers() == []


def test_without_its_database_the_container_stops_after_the_bounded_wait(image):
    """db.url naming a server that never answers: the entry point gives up
    after NESTBOX_STORE_WAIT seconds with the store's error, exit status 1."""
    p = run(PODMAN + ["run", "--rm", *LIMITS,
                      "-e", "NESTBOX_DB__URL=postgresql://nestbox:pw@127.0.0.1:9/nestbox",
                      "-e", "NESTBOX_STORE_WAIT=2", image], timeout=120, check=False)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "waiting up to 2s for the store" in p.stderr, p.stderr
    assert "the store did not open within 2s" in p.stderr and "127.0.0.1" in p.stderr, p.stderr
    assert "admin login" not in p.stdout
    p = run(PODMAN + ["run", "--rm", *LIMITS, "-e", "NESTBOX_STORE_WAIT=soon",
                      "-e", "NESTBOX_DB__URL=postgresql://nestbox:pw@127.0.0.1:9/nestbox", image],
            timeout=120, check=False)
    assert p.returncode == 2 and "must be a number of seconds, not 'soon'" in p.stderr, p.stderr
