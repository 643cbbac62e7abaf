"""The container image (Containerfile) with Debian's podman (compose.yaml, which
runs it on PostgreSQL and an S3 stand-in, is test_compose.py's): the image is
built on a Debian 12 base made here with debootstrap, runs unprivileged with
its state on a volume, and a box (curl | tar + sha256sum -c), a DDI device
(the real swupdate) and a mip board update through it; a new container on
the same volume has lost nothing.

The session leaves one thing on the machine: the debootstrap base image
(keyed on a hash of scripts/container-base.sh and the mirror), reused by the
next session.  The nestbox image is built once per session with
--layers=false (no layer cache, nothing intermediate kept), and at the end
it, the containers and volumes the tests made (labelled with this tree) and
the untagged images the builds left are removed.  The image size and the
time from `podman start` to the first answer are written to
tests/e2e/out/container.txt."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid

import pytest

from admin_client import Browser
from conftest import ROOT, STORE, free_port, make_raw_image, wait_until
from mip_fakes import MipClient
from swupdate_harness import make_signed_swu, make_signing_pair
from test_ddi_swupdate import PAYLOAD
from test_deb import box_update, device_updates
from test_mip import files_of, make_pkg
from test_mkbox import file_sha

# what podman needs on these machines: runc (crun is refused), cgroupfs,
# and limits the default ones exceed
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs"]
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
# the tag names this source tree: podman's images are the machine's, and
# another tree's test building at the same time must not replace this one's
TREE = hashlib.sha256(ROOT.encode()).hexdigest()[:10]
IMAGE = "localhost/nestbox:e2e-" + TREE
# on every container and volume the tests make, to remove them at the end
LABEL = "nestbox-e2e=" + TREE
PASSWORD = "container-admin-pw"


def podman_problem():
    """Why the image cannot be built and run here, or None."""
    if os.environ.get("NESTBOX_ASAN") == "1":
        return "the image builds the normal programs, not the sanitizer ones"
    missing = [c for c in ("podman", "runc", "debootstrap", "podman-compose", "swupdate")
               if shutil.which(c) is None]
    if missing:
        return "not installed: %s (make deps installs them)" % ", ".join(missing)
    if os.geteuid() != 0:
        return "debootstrap and the podman runs here need root"
    p = subprocess.run(PODMAN + ["info"], capture_output=True, text=True)
    if p.returncode != 0:
        return "podman does not work on this machine: " + p.stderr.strip()[-300:]
    return None


PROBLEM = podman_problem()
if STORE == "postgresql":      # the container cannot reach the suite's cluster socket
    PROBLEM = "the container's store is its own SQLite file (NESTBOX_TEST_STORE=postgresql)"
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason="container test skipped: %s" % PROBLEM)


def run(cmd, timeout=600, check=True, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(cmd), p.returncode,
                                                         p.stdout[-4000:], p.stderr[-4000:]))
    return p


def report(line):
    out = os.path.join(ROOT, "tests", "e2e", "out")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "container.txt"), "a") as f:
        f.write(time.strftime("%Y-%m-%d %H:%M:%S ") + line + "\n")


def image_id(tag):
    p = run(PODMAN + ["image", "inspect", "--format", "{{.Id}}", tag], check=False)
    return p.stdout.strip() if p.returncode == 0 else None


def made_here():
    """The ids of the untagged images on the machine (what a build leaves)."""
    return set(run(PODMAN + ["images", "-q", "--no-trunc", "--filter", "dangling=true"]
                   ).stdout.split())


# the image, built once for the session's container and compose tests, and
# how many of their fixtures still use it: the last one to finish removes
# it with everything else the session made
_SESSION = {"image": None, "error": None, "users": 0, "dangling": set()}


def build_image():
    """The Containerfile's image on the debootstrapped base, built with
    --layers=false: no intermediate layer or stage image stays on disk
    (each session builds the image anew; the base alone is kept)."""
    clean_up()      # what an interrupted earlier session left
    _SESSION["dangling"] = made_here()
    base = run(["sh", os.path.join(ROOT, "scripts", "container-base.sh"), *PODMAN[1:]],
               timeout=1200).stdout.strip().splitlines()[-1]
    # --format docker: the OCI format has no HEALTHCHECK
    run(PODMAN + ["build", "--format", "docker", "--layers=false", *LIMITS,
                  "--build-arg", "BASE=" + base, "-f", os.path.join(ROOT, "Containerfile"),
                  "-t", IMAGE, ROOT], timeout=1800)
    size = run(PODMAN + ["image", "inspect", "--format", "{{.Size}}", IMAGE]).stdout.strip()
    report("image %s on %s: %.1f MB" % (IMAGE, base, int(size) / 1e6))
    return IMAGE


def clean_up(before=None):
    """Removes this tree's containers, volumes and image (they carry its
    label or tag) and, given the untagged images there were before, the
    untagged images made since."""
    for kind, key in (("container", "{{.Names}}"), ("volume", "{{.Name}}")):
        names = run(PODMAN + [kind, "ls", *(["-a"] if kind == "container" else []),
                              "--filter", "label=" + LABEL, "--format", key],
                    check=False).stdout.split()
        if names:
            run(PODMAN + [kind, "rm", "-f", *names], check=False)
    run(PODMAN + ["rmi", "-f", IMAGE], check=False)
    left = made_here() - before if before is not None else set()
    if left:
        run(PODMAN + ["rmi", "-f", *left], check=False)


@pytest.fixture(scope="session")
def image():
    """The image's tag; test_compose.py imports this fixture too, and pytest
    keeps one instance per module: the image is built by the first."""
    if _SESSION["image"] is None and _SESSION["error"] is None:
        try:
            _SESSION["image"] = build_image()
        except Exception as e:      # reported by every module that asks
            _SESSION["error"] = e
    if _SESSION["error"] is not None:
        raise _SESSION["error"]
    _SESSION["users"] += 1
    yield _SESSION["image"]
    _SESSION["users"] -= 1
    if _SESSION["users"] == 0:
        clean_up(_SESSION["dangling"])


class Container:
    """One nestbox container, its state volume and a read-only /input."""

    def __init__(self, image, inputs, env=None, args=(), volume=None):
        self.image, self.inputs, self.env = image, inputs, dict(env or {})
        self.args = list(args)      # further `podman create` options
        # another container's volume, shared: removed by its owner
        self.own_volume = volume is None
        self.volume = volume or "nestbox-e2e-" + uuid.uuid4().hex[:12]
        self.name = None
        self.port = free_port()
        if self.own_volume:
            run(PODMAN + ["volume", "create", "--label", LABEL, self.volume])

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        """A new container on the volume; seconds until /healthz said 200."""
        self.remove()
        self.name = "nestbox-e2e-" + uuid.uuid4().hex[:12]
        envs = [a for k, v in self.env.items() for a in ("-e", "%s=%s" % (k, v))]
        run(PODMAN + ["create", "--name", self.name, "--label", LABEL, *LIMITS, *envs,
                      "-p", "127.0.0.1:%d:8080" % self.port,
                      "-v", "%s:/var/lib/nestbox" % self.volume,
                      "-v", "%s:/input:ro" % self.inputs, *self.args, self.image])
        t0 = time.monotonic()
        run(PODMAN + ["start", self.name])
        wait_until(self.healthy, "the container's /healthz", limit=60)
        return time.monotonic() - t0

    def healthy(self):
        p = run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", self.url + "/healthz"],
                check=False)
        if p.stdout == "200":
            return True
        state = run(PODMAN + ["inspect", "--format", "{{.State.Status}}", self.name]).stdout
        assert state.strip() == "running", "container stopped:\n" + self.logs()
        return False

    def logs(self):
        p = run(PODMAN + ["logs", self.name], check=False)
        return p.stdout + p.stderr

    def ctl(self, *args):
        return run(PODMAN + ["exec", self.name, "nestboxctl", *args]).stdout

    def remove(self):
        if self.name:
            run(PODMAN + ["stop", "-t", "20", self.name], check=False)
            run(PODMAN + ["rm", "-f", self.name], check=False)
            self.name = None

    def close(self):
        self.remove()
        if self.own_volume:
            run(PODMAN + ["volume", "rm", "-f", self.volume], check=False)


@pytest.fixture
def container(image, tmpdir_shared):
    made = []

    def make(env=None, args=(), volume=None):
        inputs = os.path.join(tmpdir_shared, "input%d" % len(made))
        os.makedirs(inputs)
        c = Container(image, inputs, env, args, volume)
        made.append(c)
        return c
    yield make
    # the containers sharing a volume first, then the volumes' owners
    for c in sorted(made, key=lambda c: c.own_volume):
        c.close()


def test_image_runs_unprivileged_with_a_health_check_and_prints_the_first_login(container):
    c = container()
    info = json.loads(run(PODMAN + ["image", "inspect", c.image]).stdout)[0]
    assert info["Config"]["User"] == "nestbox"
    assert "/var/lib/nestbox" in info["Config"]["Volumes"]
    assert "/healthz" in " ".join(info["Healthcheck"]["Test"])
    # issue 17's target, in podman's decimal megabytes (what the README says)
    assert info["Size"] < 100e6, "the image is %.1f MB, not under 100 MB" % (info["Size"] / 1e6)
    first = c.start()
    report("first answer (/healthz 200) %.2f s after podman start" % first)
    assert run(PODMAN + ["exec", c.name, "id", "-u"]).stdout.strip() != "0"
    assert run(PODMAN + ["exec", c.name, "stat", "-c", "%U", "/var/lib/nestbox/nestbox.db"]
               ).stdout.strip() == "nestbox"
    # the image's HEALTHCHECK itself (podman runs it here on request: no systemd timers)
    assert run(PODMAN + ["healthcheck", "run", c.name], check=False).returncode == 0
    m = re.search(r"admin login: user admin, password (\S+)", c.logs())
    assert m, c.logs()
    Browser(c.port).login("admin", m.group(1))
    # a later start keeps that password and prints no new one
    c.start()
    logs = c.logs()
    assert "password as printed when it was created" in logs
    assert "admin login: user admin, password " not in logs
    Browser(c.port).login("admin", m.group(1))
    Browser(c.port).login("admin", "not-the-password", expect=401)


def served_root(c):
    """NESTBOX_ROOT of the container's lighttpd (process 1: the entry point
    and scripts/run.sh exec it), the tree it serves htdocs/ and etc/ from."""
    env = run(PODMAN + ["exec", c.name, "cat", "/proc/1/environ"]).stdout.split("\0")
    assert run(PODMAN + ["exec", c.name, "cat", "/proc/1/comm"]).stdout.strip() == "lighttpd"
    return dict(v.split("=", 1) for v in env if "=" in v)["NESTBOX_ROOT"]


def static_file_is_the_images(c):
    body = run(["curl", "-fsS", c.url + "/static/nestbox.css"]).stdout
    assert body == run(PODMAN + ["exec", c.name, "cat",
                                 "/usr/lib/nestbox/htdocs/nestbox.css"]).stdout
    assert len(body) > 100


def test_what_lighttpd_reads_per_request_is_served_off_the_image_overlay(container):
    """htdocs/ and the Lua scripts are looked up on every request: served
    from a copy on the container's tmpfs (/dev/shm), not the image's
    overlay; without a writable /dev/shm (--ipc none: none mounted) the
    image's own tree is served and said so."""
    c = container()
    c.start()
    assert served_root(c) == "/dev/shm/nestbox"
    assert run(PODMAN + ["exec", c.name, "stat", "-f", "-c", "%T", "/dev/shm/nestbox/htdocs"]
               ).stdout.strip() == "tmpfs"
    static_file_is_the_images(c)
    # /list goes through mod_magnet's script, read from the copy
    assert run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", c.url + "/list"]
               ).stdout == "200"

    # on the same volume, whose run/ is now a link into c's /dev/shm: the
    # programs' sockets go back into a directory of the volume
    c.remove()
    d = container(args=["--ipc", "none"], volume=c.volume)
    d.start()
    assert served_root(d) == "/usr/lib/nestbox"
    assert "/dev/shm not writable: serving /usr/lib/nestbox from the image" in d.logs()
    assert "the programs' sockets are in /var/lib/nestbox/run, on the volume" in d.logs()
    static_file_is_the_images(d)
    assert answers(d, "/log/echo") == "200"


def programs_running(c):
    """The names of the processes running in container c (its own pid
    namespace: /proc lists only them; the image has no ps)."""
    out = run(PODMAN + ["exec", c.name, "sh", "-c", "cat /proc/[0-9]*/comm"]).stdout
    return sorted(out.split())


def answers(c, path):
    return run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", c.url + path]).stdout


def test_two_containers_on_one_volume_each_run_their_own_programs(container):
    """lighttpd binds the programs' sockets in <var_dir>/run, and a socket
    that answers is a program it does not start: with run/ on the volume, a
    second container on it (an upgrade started before the old one stops)
    used the first one's programs, and answered 503 for good once the first
    stopped.  Each container's sockets are its own."""
    a = container()
    a.start()
    b = container(volume=a.volume)
    b.start()
    for c in (a, b):
        names = programs_running(c)
        assert names.count("log.fcgi") == 2 and names.count("admin.fcgi") >= 2, names
    a.remove()
    for path in ("/log/echo", "/admin/login", "/list"):
        assert answers(b, path) == "200", path + ":\n" + b.logs()
    # and a later container on the volume, as the only one, still starts
    b.start()
    assert answers(b, "/log/echo") == "200"


def test_box_ddi_device_and_mip_board_update_through_it_and_nothing_is_lost(container,
                                                                             tmpdir_shared):
    c = container({"NESTBOX_ADMIN_PASSWORD": PASSWORD, "NESTBOX_DDI__POLL_TIME": "00:00:01",
                   "NESTBOX_MIP__OFFLINE": "true"})
    d, inp = tmpdir_shared, c.inputs
    raw = make_raw_image(os.path.join(inp, "raw.img"))
    make_pkg(os.path.join(inp, "pkg"), {"app.py": b"print('nestbox in a container')\n"})
    cert, key = make_signing_pair(os.path.join(d, "keys"))
    target = os.path.join(d, "target", "rootfs.bin")
    os.makedirs(os.path.dirname(target))
    swu = make_signed_swu(os.path.join(inp, "swu"), "2.0", target, PAYLOAD, cert=cert, key=key)
    c.start()
    assert c.ctl("image", "import", "/input/raw.img", "--box", "box1", "--board", "rpi4",
                 "--branch", "master", "--version", "1.0").strip() == "box1/box1-rpi4-master-1.0"
    c.ctl("mip", "publish", "/input/pkg", "--name", "app", "--version", "1.0")
    sid = c.ctl("software", "add", "/input/swu/" + os.path.basename(swu)).strip()
    c.ctl("device", "add", "dev1", "--token", "tok-dev1", "--mode", "rollout")
    c.ctl("rollout", "add", "--feed", "default", "--software", sid)

    # a box: the update script's own curl | tar and sha256sum -c
    p, disk = box_update(c.url, d, "not-this-build")
    assert p.returncode == 0 and "box1-rpi4-master-1.0.img.zst: OK" in p.stdout, p.stdout + p.stderr
    assert file_sha(disk) == file_sha(raw)
    build_id = run(PODMAN + ["exec", c.name, "cat", "/var/lib/nestbox/images/box1/"
                             "box1-rpi4-master-1.0.img.buildID"]).stdout.split()[0]

    # a mip board
    board = MipClient(c.url + "/mip", os.path.join(d, "board"))
    board.install("app")
    assert files_of(board.target) == {"app.py": b"print('nestbox in a container')\n"}

    # a DDI device: the real swupdate installs, "reboots", reports success
    device_updates(c.url, d, cert, target, lambda: c.ctl("device", "show", "dev1"))
    shown = c.ctl("device", "show", "dev1")
    assert "\nversion\t2.0\n" in shown and "\tfinished\t100%\t2.0\t" in shown, shown

    # the container goes; a new one on the same volume has everything
    before = {k: c.ctl(*k.split()) for k in ("device show dev1", "rollout list",
                                              "software list", "image list", "mip list",
                                              "user list")}
    c.start()
    after = {k: c.ctl(*k.split()) for k in before}
    assert after == before
    # the rollout counts the device's success: 1 success, 0 failures, 0 open
    assert "\t2.0\t100%\t1\t0\t0\t" in after["rollout list"], after
    p, disk = box_update(c.url, d, build_id)
    assert p.returncode == 3 and "up to date" in p.stdout, p.stdout + p.stderr
    p, disk = box_update(c.url, d, "an-older-build")
    assert p.returncode == 0 and file_sha(disk) == file_sha(raw), p.stdout + p.stderr
    again = MipClient(c.url + "/mip", os.path.join(d, "board2"))
    again.install("app")
    assert files_of(again.target) == files_of(board.target)
    Browser(c.port).login("admin", PASSWORD)

