"""make install lays out programs, data, config and the front-end snippets."""
import http.client
import os
import subprocess

import pytest

from conftest import ROOT, free_port, wait_until


@pytest.mark.skipif(os.environ.get("NESTBOX_ASAN") == "1",
                    reason="make install builds the normal programs, not the sanitizer ones")
def test_make_install_layout(tmpdir_shared):
    dest = os.path.join(tmpdir_shared, "dest")
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + dest, "PREFIX=/usr"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for p in ("usr/lib/nestbox/cgi-bin/list.fcgi", "usr/lib/nestbox/cgi-bin/update.fcgi",
              "usr/lib/nestbox/cgi-bin/log.fcgi", "usr/bin/nestboxctl",
              "etc/nestbox/nestbox.yaml.example", "etc/nestbox/lighttpd-nestbox.conf",
              "etc/nestbox/apache-example.conf"):
        assert os.path.exists(os.path.join(dest, p)), p
    assert os.access(os.path.join(dest, "usr/bin/nestboxctl"), os.X_OK)
    assert not os.path.exists(os.path.join(dest, "usr/lib/nestbox/cgi-bin/bench-zero.fcgi"))
    example = open(os.path.join(dest, "etc/nestbox/nestbox.yaml.example")).read()
    assert "  var_dir: /var/lib/nestbox\n" in example
    snippet = open(os.path.join(dest, "etc/nestbox/lighttpd-nestbox.conf")).read()
    assert '"/update" =>' in snippet and "x-sendfile" in snippet
    assert 'var.nestbox_cgibin = "/usr/lib/nestbox/cgi-bin"' in snippet
    # the snippet is a valid lighttpd configuration as installed
    conf = os.path.join(tmpdir_shared, "lighttpd.conf")
    with open(conf, "w") as f:
        f.write('server.document-root = "%s"\nserver.port = 8080\ninclude "%s"\n'
                % (tmpdir_shared, os.path.join(dest, "etc/nestbox/lighttpd-nestbox.conf")))
    r = subprocess.run(["lighttpd", "-tt", "-f", conf], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# -- make run: what it installs and what it prints ------------------------------
TEST_ONLY = ("clang", "libcmocka-dev", "apache2", "python3-pytest", "chromium", "swupdate",
             "rauc", "podman", "wrk", "twine", "nodejs", "npm", "debhelper")


def deps_missing(tmpdir, *args):
    """Runs scripts/deps.sh as if nothing were installed and the caller were
    not root: it then names every package it would install, and installs none."""
    fake = os.path.join(tmpdir, "fakebin")
    os.makedirs(fake, exist_ok=True)
    for name, body in (("dpkg-query", "exit 1"), ("id", "echo 1000"),
                       ("node", "exit 0"), ("npm", "exit 0")):
        with open(os.path.join(fake, name), "w") as f:
            f.write("#!/bin/sh\n%s\n" % body)
        os.chmod(os.path.join(fake, name), 0o755)
    env = dict(os.environ, PATH=fake + ":" + os.environ["PATH"])
    r = subprocess.run(["sh", os.path.join(ROOT, "scripts/deps.sh"), *args], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stdout + r.stderr
    line = [l for l in r.stderr.splitlines() if "missing Debian packages:" in l][0]
    return set(line.split("packages:", 1)[1].split())


def test_make_run_installs_only_what_running_needs(tmpdir_shared):
    run = deps_missing(tmpdir_shared, "--run")
    assert {"lighttpd", "build-essential", "libfcgi-dev", "libsqlite3-dev"} <= run
    assert not run & set(TEST_ONLY), run & set(TEST_ONLY)
    every = deps_missing(tmpdir_shared)
    assert run < every and set(TEST_ONLY) - {"nodejs", "npm"} <= every
    lists = {k: subprocess.run(["sh", os.path.join(ROOT, "scripts/deps.sh"), "--%s-list" % k],
                               capture_output=True, text=True, check=True).stdout.split()
             for k in ("build", "run", "test")}
    assert set(lists["run"]) == run and set(lists["build"]) < run
    assert set(lists["test"]) | run == every - {"nodejs", "npm"}
    # make run asks for the run list, make test for everything
    # (TEST_PG_LOG: the dry run must not empty the log of a make test running
    # in this tree, which is what runs this test)
    plan = subprocess.run(["make", "-n", "-C", ROOT, "run", "test", "TEST_PG_LOG=/dev/null"],
                          capture_output=True, text=True).stdout
    assert "sh scripts/deps.sh --run\n" in plan and "sh scripts/deps.sh\n" in plan


def run_sh(tmpdir, port, config_text, host="127.0.0.1", server=""):
    """Starts scripts/run.sh (what make run runs) over a fresh state directory."""
    config = os.path.join(tmpdir, "nestbox.yaml")
    with open(config, "w") as f:
        f.write("server:\n  var_dir: var\n%sadmin:\n  templates: %s/templates\n"
                % (server, ROOT) + config_text)
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("NESTBOX_") or k == "IMAGE_PATH")}
    env.update(NESTBOX_CONFIG=config, HOST=host, PORT=str(port))
    log = open(os.path.join(tmpdir, "run.log"), "w+")
    proc = subprocess.Popen(["sh", os.path.join(ROOT, "scripts/run.sh")], env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    return proc, log


def stop_run_sh(proc, state):
    proc.terminate()
    proc.wait(timeout=30)
    mark = ("NESTBOX_STATE=%s\0" % state).encode()

    def gone():
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/environ" % pid, "rb") as f:
                    if mark in f.read() + b"\0":
                        return False
            except OSError:
                pass
        return True
    wait_until(gone, "the programs to exit")


@pytest.mark.skipif(os.environ.get("NESTBOX_ASAN") == "1",
                    reason="scripts/run.sh runs the normal build (bin/, cgi-bin/)")
def test_run_banner_prints_device_urls(tmpdir_shared):
    """The banner of make run names each device protocol's URL next to the
    admin URL, and each of them is answered by its program."""
    port = free_port()
    proc, log = run_sh(tmpdir_shared, port,
                       "ddi:\n  tenants: [DEFAULT, lab]\nmip:\n  offline: true\n")
    try:
        wait_until(lambda: "Ctrl-C" in open(log.name).read() or proc.poll() is not None,
                   "the banner of run.sh")
        banner = open(log.name).read()
        assert proc.poll() is None, banner
        base = "http://127.0.0.1:%d" % port
        for want in ("admin:   %s/admin/   admin login: user admin, password " % base,
                     "DDI:     %s/DEFAULT/controller/v1/<controllerId>" % base,
                     "DDI:     %s/lab/controller/v1/<controllerId>" % base,
                     "mkbox:   %s/list   %s/update/<box>/<image>" % (base, base),
                     'mip:     %s/mip   (mip.install("pkg", index="%s/mip"))' % (base, base),
                     "OTA:     %s/ota/api   %s/ota/raw" % (base, base),
                     "Python:  %s/pypi/root/pypi/+simple/" % base):
            assert want in banner, (want, banner)
        def get(path):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                c.request("GET", path)
                r = c.getresponse()
                return r.status, r.getheader("Content-Type") or "", r.read()
            finally:
                c.close()

        def answering():
            # the banner may come before lighttpd listens: a refused
            # connection is "not yet", not a failure
            try:
                return get("/healthz")[0] == 200
            except OSError:
                return False
        wait_until(answering, "nestbox to answer")
        assert get("/admin/")[0] in (200, 303)
        assert get("/list")[0] == 200
        # each device URL reaches its program, which answers in its protocol
        # (lighttpd's own 404 page would be HTML)
        for path in ("/lab/controller/v1/dev-1", "/mip/index.json",
                     "/ota/api/repos/acme/app/releases/latest"):
            status, ctype, body = get(path)
            assert "text/html" not in ctype, (path, status, body[:200])
        status, ctype, body = get("/pypi/root/pypi/+simple/")
        assert status == 200 and b"Simple index of root/pypi" in body, (status, body)
        assert get("/elsewhere/controller/v1/dev-1")[0] == 404
    finally:
        stop_run_sh(proc, os.path.join(tmpdir_shared, "var"))
        log.close()


@pytest.mark.skipif(os.environ.get("NESTBOX_ASAN") == "1",
                    reason="scripts/run.sh runs the normal build (bin/, cgi-bin/)")
def test_run_banner_on_a_wildcard_address_gives_devices_base_url(tmpdir_shared):
    """Listening on 0.0.0.0 (as in the container), devices are given
    server.base_url, never the wildcard address."""
    port = free_port()
    proc, log = run_sh(tmpdir_shared, port, "", host="0.0.0.0",
                       server="  base_url: http://updates.example:8080/\n")
    try:
        wait_until(lambda: "Ctrl-C" in open(log.name).read() or proc.poll() is not None,
                   "the banner of run.sh")
        banner = open(log.name).read()
        assert "DDI:     http://updates.example:8080/DEFAULT/controller/v1/" in banner, banner
        assert "admin:   http://updates.example:8080/admin/" in banner
        listen = "nestbox: http://0.0.0.0:%d/" % port
        assert listen in banner.splitlines(), banner
        assert not [l for l in banner.splitlines() if "0.0.0.0" in l and l != listen], banner
    finally:
        stop_run_sh(proc, os.path.join(tmpdir_shared, "var"))
        log.close()
