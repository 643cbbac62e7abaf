"""The Debian package (make deb): built with debhelper, installed into this
machine with `apt-get install ./nestbox_….deb`, its lighttpd snippet
included by a private lighttpd on a free port (the system's lighttpd and
Apache services are not touched), a box (curl | tar + sha256sum -c) and a
DDI device (the real swupdate) updated through it with the programs running
as the user nestbox, then purged, leaving nothing behind."""
import glob
import os
import pwd
import shutil
import signal
import subprocess

import pytest

from conftest import ROOT, STORE, free_port, make_raw_image, wait_until
from swupdate_harness import SwupdateDevice, make_signed_swu, make_signing_pair
from test_ddi_swupdate import PAYLOAD, bootloader
from test_mkbox import file_sha, run_box

CGIBIN = "/usr/lib/nestbox/cgi-bin"
SNIPPET = "/etc/lighttpd/conf-available/50-nestbox.conf"
SERVICE_CONF = "/etc/nestbox/lighttpd.conf"
APACHE_SITE = "/etc/apache2/sites-available/nestbox.conf"
LEFT_BEHIND = ("/usr/lib/nestbox", "/usr/bin/nestboxctl", "/usr/share/nestbox", "/etc/nestbox",
               "/var/lib/nestbox", SNIPPET, APACHE_SITE)
WAIT = 90.0
APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")


def problem():
    if STORE == "postgresql":
        # make test runs the two stores' passes at once; the package is
        # installed machine-wide, so only one pass may install it
        return "the package installs machine-wide and keeps its store in SQLite: the SQLite pass tests it"
    if os.environ.get("NESTBOX_ASAN") == "1":
        return "the package holds the normal build, not the sanitizer one"
    if os.geteuid() != 0:
        return "installing a package needs root"
    for tool in ("dpkg-buildpackage", "dh", "apt-get", "swupdate"):
        if shutil.which(tool) is None:
            return "%s is not installed (make deps installs it)" % tool
    if package_installed() is None and user_exists():
        return "a user nestbox exists that the package did not create"
    return None


def package_installed():
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", "nestbox"],
                       capture_output=True, text=True)
    return r.stdout if r.returncode == 0 and r.stdout.endswith(" installed") else None


def user_exists():
    try:
        return pwd.getpwnam("nestbox")
    except KeyError:
        return None


pytestmark = pytest.mark.skipif(problem() is not None, reason=str(problem()))


def box_update(url, d, build_id):
    """box1's update script (its own curl | tar and sha256sum -c) run against url
    from a box that runs build_id, onto a fresh d/disk: (CompletedProcess, disk)."""
    disk = os.path.join(d, "disk")
    if os.path.exists(disk):
        os.unlink(disk)
    p = run_box(url, os.path.join(d, "work"), disk, "box1", "rpi4", "1.0", build_id)
    return p, disk


def device_updates(url, d, cert, target, show):
    """Device dev1 (token tok-dev1, rollout mode) as the real swupdate at url:
    installs the rollout's image into target, "reboots" and reports success,
    until show() (its `nestboxctl device show dev1`) says the action finished."""
    dev = SwupdateDevice(os.path.join(d, "device"), url, "DEFAULT", "dev1", "tok-dev1", cert,
                         hw=("board", "1.0"), sw_version="1.0", bootloader=bootloader(),
                         grub_env={"ustate": "0"})
    try:
        dev.start()
        dev.wait_for(lambda: os.path.exists(target) and open(target, "rb").read() == PAYLOAD,
                     WAIT, "the image installed into the target")
        dev.wait_for(lambda: "An already installed update is pending testing" in dev.log(),
                     WAIT, "swupdate waiting for the reboot")
        dev.simulate_reboot(ok=True)
        dev.wait_for(lambda: "\nstate\tfinished\n" in show(), WAIT, "closed + success")
    finally:
        dev.stop()


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert p.returncode == 0, "%s: %s%s" % (cmd, p.stdout, p.stderr)
    return p.stdout


def ctl(*args):
    """nestboxctl as the service's user, with nothing but the installed
    configuration (/etc/nestbox/nestbox.yaml, found by default)."""
    return run(["runuser", "-u", "nestbox", "--", "env", "-i", "PATH=/usr/bin:/bin",
                "nestboxctl", *args], cwd="/")


def purge():
    run(["apt-get", "purge", "-y", "-qq", "nestbox"], env=APT_ENV)


def programs():
    """{pid: uid} of every installed nestbox program running"""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink("/proc/%s/exe" % pid).startswith(CGIBIN + "/"):
                out[int(pid)] = os.stat("/proc/" + pid).st_uid
        except OSError:
            pass
    return out


@pytest.fixture
def deb():
    out = run(["make", "-s", "-C", ROOT, "deb"])
    path = out.strip().splitlines()[-1]
    assert path.endswith("_amd64.deb") and os.path.exists(path), out
    return path


@pytest.fixture
def installed(deb):
    if package_installed():
        purge()
    try:
        out = run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", deb],
                  env=APT_ENV)
        yield out
    finally:
        if package_installed():
            purge()


class Lighttpd:
    """The package's own lighttpd (/etc/nestbox/lighttpd.conf, which includes
    the conf-available snippet) on a free port instead of 8080."""

    def __init__(self, d):
        self.d, self.port = d, free_port()
        self.conf = os.path.join(d, "lighttpd.conf")
        with open(SERVICE_CONF) as f:
            shipped = f.read()
        assert "\nserver.port          = 8080\n" in shipped, shipped
        with open(self.conf, "w") as f:
            f.write(shipped.replace("\nserver.port          = 8080\n",
                                    '\nserver.port = %d\nserver.bind = "127.0.0.1"\n'
                                    % self.port))
        self.log = os.path.join(d, "lighttpd.log")
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        # only what a service manager would pass: no NESTBOX_CONFIG, so the
        # programs find /etc/nestbox/nestbox.yaml themselves
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NESTBOX_DDI__POLL_TIME": "00:00:01"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(["lighttpd", "-D", "-f", self.conf], env=env, cwd="/",
                                         stdout=log, stderr=subprocess.STDOUT)

        def up():
            assert self.proc.poll() is None, open(self.log).read()
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                self.url + "/healthz"], capture_output=True, text=True)
            return r.stdout == "200"
        wait_until(up, "the installed nestbox behind lighttpd", limit=60)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        wait_until(lambda: not programs(), "the programs to exit")


def test_deb_installs_runs_as_nestbox_updates_a_box_and_a_device_and_purges(installed,
                                                                          tmpdir_shared):
    d = tmpdir_shared
    # installed: the nestbox system user owns the state, the store is there
    user = user_exists()
    assert user and user.pw_uid < 1000 and user.pw_dir == "/var/lib/nestbox", user
    st = os.stat("/var/lib/nestbox/nestbox.db")
    assert (st.st_uid, st.st_gid) == (user.pw_uid, user.pw_gid)
    assert os.stat("/var/lib/nestbox").st_uid == user.pw_uid
    assert "admin login: user admin, password " in installed, installed
    for p in ("/usr/bin/nestboxctl", CGIBIN + "/ddi.fcgi", CGIBIN + "/update.fcgi",
              "/usr/share/nestbox/templates", "/usr/share/nestbox/htdocs",
              "/etc/nestbox/nestbox.yaml", SERVICE_CONF, SNIPPET, APACHE_SITE):
        assert os.path.exists(p), p
    conffiles = run(["dpkg-query", "-W", "-f", "${Conffiles}", "nestbox"])
    assert "/etc/nestbox/nestbox.yaml" in conffiles and SNIPPET in conffiles, conffiles
    # the Apache site is a valid configuration as installed
    aconf = os.path.join(d, "apache.conf")
    with open(aconf, "w") as f:
        f.write('ServerRoot "/etc/apache2"\nDefaultRuntimeDir "%s"\nPidFile "%s/pid"\n'
                'ErrorLog "%s/error.log"\nServerName localhost\n'
                'Listen 127.0.0.1:%d\nLoadModule mpm_event_module '
                '/usr/lib/apache2/modules/mod_mpm_event.so\n'
                'Include mods-available/authz_core.load\nInclude mods-available/alias.load\n'
                'Include mods-available/fcgid.load\nInclude mods-available/xsendfile.load\n'
                'Include %s\n' % (d, d, d, free_port(), APACHE_SITE))
    run(["apache2", "-t", "-f", aconf])

    # content, added by the service's user
    raw = make_raw_image(os.path.join(d, "raw.img"))
    cert, key = make_signing_pair(os.path.join(d, "keys"))
    target = os.path.join(d, "target", "rootfs.bin")
    os.makedirs(os.path.dirname(target))
    swu = make_signed_swu(os.path.join(d, "swu"), "2.0", target, PAYLOAD, cert=cert, key=key)
    assert ctl("image", "import", raw, "--box", "box1", "--board", "rpi4", "--branch", "master",
               "--version", "1.0").strip() == "box1/box1-rpi4-master-1.0"
    sid = ctl("software", "add", swu).strip()
    ctl("device", "add", "dev1", "--token", "tok-dev1", "--mode", "rollout")
    ctl("rollout", "add", "--feed", "default", "--software", sid)

    srv = Lighttpd(d)
    srv.start()
    try:
        # a box: the update script's own curl | tar and sha256sum -c
        p, disk = box_update(srv.url, d, "old-build")
        assert p.returncode == 0 and "box1-rpi4-master-1.0.img.zst: OK" in p.stdout, \
            p.stdout + p.stderr
        assert file_sha(disk) == file_sha(raw)
        # the admin pages and their stylesheet (sent with its type: nosniff)
        css = run(["curl", "-sfI", srv.url + "/static/nestbox.css"]).lower()
        assert "content-type: text/css" in css, css
        assert "<form" in run(["curl", "-sfL", srv.url + "/admin/login"])

        # a DDI device: the real swupdate installs, "reboots", reports success
        device_updates(srv.url, d, cert, target, lambda: ctl("device", "show", "dev1"))
        shown = ctl("device", "show", "dev1")
        assert "\nversion\t2.0\n" in shown, shown

        # every program that answered runs as nestbox, none as root
        running = programs()
        assert len(running) >= 3 and set(running.values()) == {user.pw_uid}, running
    finally:
        srv.stop()
    # the programs wrote only files the service's user owns
    owners = {os.stat(os.path.join(r, n)).st_uid
              for r, ds, fs in os.walk("/var/lib/nestbox") for n in ds + fs}
    assert owners == {user.pw_uid}, owners

    # removed cleanly: remove keeps the configuration and the state, purge
    # takes everything, the user too
    run(["apt-get", "remove", "-y", "-qq", "nestbox"], env=APT_ENV)
    assert not os.path.exists("/usr/bin/nestboxctl") and not os.path.exists(CGIBIN)
    assert os.path.exists("/var/lib/nestbox/nestbox.db")
    assert os.path.exists("/etc/nestbox/nestbox.yaml")
    purge()
    assert package_installed() is None
    assert not [p for p in LEFT_BEHIND if os.path.lexists(p)], \
        [p for p in LEFT_BEHIND if os.path.lexists(p)]
    assert user_exists() is None
    assert not glob.glob("/etc/lighttpd/conf-enabled/*nestbox*")
