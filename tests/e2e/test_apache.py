"""apache-example.conf: a private Apache (mod_fcgid + mod_xsendfile) on a
high port serving the same programs; the mkbox acceptance test through it."""
import os
import pwd
import shutil
import socket
import signal
import subprocess
import time

import pytest

from admin_client import Browser
from conftest import (CGIBIN, CTL, ROOT, free_port, give_to_www_data, make_raw_image,
                      wait_until, Response)
from test_mkbox import file_sha, run_box

MODULES = "/usr/lib/apache2/modules"


class Apache:
    def __init__(self, base, nb, defines=""):
        self.base, self.nb = base, nb
        self.prefix = os.path.join(base, "prefix")
        cgi = os.path.join(self.prefix, "lib", "nestbox", "cgi-bin")
        os.makedirs(cgi)
        for prog in ("list", "update", "log", "admin", "ddi", "mip-index", "ota", "pypi"):
            shutil.copy2(os.path.join(CGIBIN, prog + ".fcgi"), cgi)
        shutil.copy2(os.path.join(CGIBIN, "nestbox-accesslog"), cgi)
        shutil.copy2(os.path.join(CGIBIN, "nestbox-mkbox-watch"), cgi)
        share = os.path.join(self.prefix, "share", "nestbox")
        shutil.copytree(os.path.join(ROOT, "htdocs"), os.path.join(share, "htdocs"))
        shutil.copytree(os.path.join(ROOT, "templates"), os.path.join(share, "templates"))
        # the installed layout: templates from <prefix>/share (Apache's user may
        # not be able to enter the source tree)
        with open(nb.config) as f:
            conf = f.read().replace("%s/templates" % ROOT, share + "/templates")
        with open(nb.config, "w") as f:
            f.write(conf)
        self.port = free_port()
        self.log = os.path.join(base, "apache-error.log")
        run = os.path.join(base, "apache-run")
        os.makedirs(run)
        user = "www-data" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        # Apache's children run as www-data: give them the state
        give_to_www_data(nb.state, run)
        self.conf = os.path.join(base, "httpd.conf")
        with open(self.conf, "w") as f:
            f.write(f"""
ServerRoot {base}
ServerName localhost
Listen 127.0.0.1:{self.port}
PidFile {run}/httpd.pid
ErrorLog {self.log}
LogLevel warn
User {user}
Group {user}
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule alias_module {MODULES}/mod_alias.so
LoadModule setenvif_module {MODULES}/mod_setenvif.so
LoadModule mime_module {MODULES}/mod_mime.so
TypesConfig /etc/mime.types
LoadModule fcgid_module {MODULES}/mod_fcgid.so
LoadModule reqtimeout_module {MODULES}/mod_reqtimeout.so
LoadModule xsendfile_module {MODULES}/mod_xsendfile.so
DocumentRoot {base}
FcgidIPCDir {run}/fcgid
FcgidProcessTableFile {run}/fcgid_shm
Define NESTBOX_PREFIX {self.prefix}
Define NESTBOX_STATE {nb.state}
Define NESTBOX_CONFIG {nb.config}
{defines}
Include {ROOT}/apache-example.conf
""")

    def start(self):
        r = subprocess.run(["apache2", "-t", "-f", self.conf], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        self.proc = subprocess.Popen(["apache2", "-f", self.conf, "-DFOREGROUND"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

        def up():
            assert self.proc.poll() is None, "apache exited: " + self.read_log()
            try:
                return self.get("/healthz").status == 200
            except OSError:
                return False
        wait_until(up, "apache on port %d" % self.port)

    def read_log(self):
        return open(self.log, errors="replace").read() if os.path.exists(self.log) else ""

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        log = self.read_log()
        assert "AddressSanitizer" not in log and "runtime error:" not in log, log

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def request(self, method, path, headers=None, body=None):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.putrequest(method, path, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                c.putheader(k, v)
            if body is not None:
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body)
            r = c.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            c.close()


@pytest.fixture
def apache(nb, tmpdir_shared):
    if not shutil.which("apache2") or not os.path.exists(MODULES + "/mod_fcgid.so"):
        pytest.fail("apache2 with mod_fcgid is required (make deps installs it)")
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=2 << 20)
    nb.ctl("init")
    nb.import_image(raw, "ab", "rpi4", "master", "5")
    a = Apache(os.path.join(tmpdir_shared, "apache"), nb)
    a.start()
    yield a, raw
    a.stop()


def test_box_script_through_apache(apache, tmpdir_shared):
    a, raw = apache
    disk = os.path.join(tmpdir_shared, "disk")
    work = os.path.join(tmpdir_shared, "work")
    p = run_box(a.url, work, disk, "ab", "rpi4", "5", "old")
    assert p.returncode == 0, p.stdout + p.stderr + a.read_log()
    assert file_sha(disk) == file_sha(raw)
    current = a.nb.build_id("ab", "ab-rpi4-master-5")
    p = run_box(a.url, work, disk + "2", "ab", "rpi4", "5", current)
    assert p.returncode == 3 and "up to date" in p.stdout


def test_mkbox_answers_through_apache(apache):
    a, _ = apache
    assert a.get("/list").body == b"ab/ab-rpi4-master-5\n"
    assert a.get("/list/rpi").body == b"ab/ab-rpi4-master-5\n"
    assert a.get("/list/zzz").body == b"\n"
    r = a.get("/update/ab/ab-rpi4-master-5")
    assert r.status == 200 and r.header("content-type") == "application/x-tar"
    assert int(r.header("content-length")) == len(r.body) and len(r.body) % 10240 == 0
    # the body came from the blob, sent by mod_xsendfile
    assert "x-sendfile" not in r.headers
    r2 = a.get("/update/ab/ab-rpi4-master-5", {"Range": "bytes=10-19"})
    assert r2.status == 206 and r2.body == r.body[10:20]
    bid = a.nb.build_id("ab", "ab-rpi4-master-5")
    assert a.get("/update/ab/ab-rpi4-master-5/" + bid).body == b"\0" * 10240
    r = a.get("/update/ab/nope")
    assert (r.status, r.body) == (400, b"")
    assert a.get("/update/ab/ab-rpi4-master-5/").status == 404
    for p in ("/update/%2e%2e/x/y", "/update/ab/a%00b", "/update/ab/*"):
        assert 400 <= a.get(p).status < 500, p
    # "/" once its dot segments are removed (RFC 3986 5.2.4): the front
    # end's redirect to the admin pages, nothing of /list
    r = a.get("/list/%2e%2e")
    assert r.status == 302 and r.header("location").endswith("/admin/")
    assert a.get("/healthz").status == 200


def test_ddi_through_apache(apache, tmpdir_shared):
    """A device's whole cycle through mod_fcgid: the TargetToken must reach
    the program (Apache hides Authorization from scripts unless told)."""
    import hashlib
    import json
    from test_software import make_swu
    a, _ = apache
    swu = make_swu(os.path.join(tmpdir_shared, "swu"), "2.0")
    sid = a.nb.ctl("software", "add", swu).stdout.strip()
    a.nb.ctl("device", "add", "ap1", "--token", "tok-ap", "--mode", "assigned", "--assign", sid)
    give_to_www_data(a.nb.state)
    auth = {"Authorization": "TargetToken tok-ap", "Content-Type": "application/json"}
    base = "/DEFAULT/controller/v1/ap1"
    assert a.request("GET", base).status == 401          # no token
    r = a.request("GET", base, auth)
    assert r.status == 200, r.body
    assert json.loads(r.body)["_links"]["configData"]["href"] == a.url + base + "/configData"
    body = json.dumps({"data": {"hw_boardname": "board-a", "hw_revision": "2.0"}}).encode()
    assert a.request("PUT", base + "/configData", auth, body).status == 200
    dep = json.loads(a.request("GET", base, auth).body)["_links"]["deploymentBase"]["href"]
    action = dep.split("/deploymentBase/")[1].split("?")[0]
    d = json.loads(a.request("GET", dep[len(a.url):], auth).body)
    art = d["deployment"]["chunks"][0]["artifacts"][0]
    data = open(swu, "rb").read()
    got = a.request("GET", art["_links"]["download-http"]["href"][len(a.url):], auth)
    assert got.status == 200 and got.body == data and "x-sendfile" not in got.headers
    assert art["hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
    fb = json.dumps({"status": {"execution": "closed", "result": {"finished": "success"},
                                "details": ["done"]}}).encode()
    assert a.request("POST", "%s/deploymentBase/%s/feedback" % (base, action), auth,
                     fb).status == 200
    with a.nb.db() as c:
        assert c.execute("SELECT state, sw_version FROM ddi_devices").fetchone() == \
            ("finished", "2.0")


def test_trickling_bodies_do_not_stall_apache(apache):
    """Issue 11 §1 through Apache: trickling bodies on every program while
    other requests of the same program are answered."""
    from test_slow_clients import check_not_stalled, DDI_TOKEN
    a, _ = apache
    a.nb.ctl("device", "add", "slow1", "--token", "tok-slow")
    give_to_www_data(a.nb.state)
    for method, path, headers, other in (
            ("POST", "/admin/login", {"Content-Type": "application/x-www-form-urlencoded"},
             "/admin/login"),
            ("PUT", "/DEFAULT/controller/v1/slow1/configData", DDI_TOKEN,
             "/DEFAULT/controller/v1/slow1"),
            ("GET", "/mip/index.json", {}, "/mip/index.json"),
            ("POST", "/log/echo", {}, "/healthz"),
            ("GET", "/update/ab/ab-rpi4-master-5", {}, "/update/ab/ab-rpi4-master-5"),
            ("GET", "/list", {}, "/list")):
        h = DDI_TOKEN if "controller" in other else {}
        expect = a.get(other, h).status
        assert expect < 500, (other, expect, a.read_log())
        check_not_stalled(a.port, method, path, headers, lambda: a.get(other, h).status, expect)


def test_apache_cuts_off_a_stalled_body(nb, tmpdir_shared):
    """mod_reqtimeout as apache-example.conf sets it (here with a 1 s limit)
    cuts a stalled body off.  mod_fcgid 2.3.9, which reads the body, turns
    that timeout into a 500 of its own ("can't get data from http client")
    instead of mod_reqtimeout's 408: no program saw the request, and the
    error log says why."""
    from test_slow_clients import trickle, read_answer
    nb.ctl("init")
    a = Apache(os.path.join(tmpdir_shared, "apache"), nb, "Define NESTBOX_BODY_TIMEOUT 1")
    a.start()
    try:
        s = trickle(a.port, "POST", "/log/echo")
        head = read_answer(s)
        s.close()
        assert head.startswith((b"HTTP/1.1 408", b"HTTP/1.1 500")), head
        assert "The timeout specified has expired" in a.read_log()
        assert a.get("/healthz").status == 200
    finally:
        a.stop()


def test_ota_board_through_apache(apache, tmpdir_shared):
    """A board following the OTA updater's algorithm through mod_fcgid: the
    release, its manifest asset and the raw files, with a private
    repository's token reaching the program."""
    from ota_board import Board
    from test_ota import V1, write_tree
    a, _ = apache
    # a board sends Host without the port (as MicroPython's requests does), so
    # asset links come from server.base_url; mod_fcgid starts ota.fcgi on its
    # first request, which reads this
    with open(a.nb.config) as f:
        conf = f.read()
    with open(a.nb.config, "w") as f:
        f.write(conf.replace("server:\n", "server:\n  base_url: %s\n" % a.url, 1))
    src = os.path.join(tmpdir_shared, "ota-src")
    write_tree(src, V1)
    a.nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1.0", src)
    give_to_www_data(a.nb.state)
    b = Board(a.url + "/ota/api", a.url + "/ota/raw", "acme", "app",
              os.path.join(tmpdir_shared, "ota-board"))
    m = b.run()
    assert m["version"] == "v1.0"
    assert b.files() == V1
    assert b.run() is False


# -- the request log from Apache's access log (issue 15 §5) ------------------

def test_request_log_through_apache(apache):
    """Apache pipes its access log into nestbox-accesslog: a program's
    answer is logged with its program and route, a static file as
    "static", Apache's own 404 as "front"; /metrics counts them."""
    a, _ = apache
    assert a.get("/list/ab", {"User-Agent": "box-script"}).status == 200
    assert a.get("/static/nestbox.css").status == 200
    assert a.get("/nothing/here").status == 404

    def rows():
        with a.nb.db() as c:
            return c.execute("SELECT program, method, path, route, status, user_agent, remote"
                             " FROM request_log ORDER BY id").fetchall()
    wait_until(lambda: len([r for r in rows() if r[2] != "/healthz"]) == 3, "three rows")
    # Apache's processes write their lines in the order each one finishes
    got = sorted(r for r in rows() if r[2] != "/healthz")
    assert got == [("front", "GET", "/nothing/here", "-", 404, "", "127.0.0.1"),
                   ("list", "GET", "/list/ab", "/list/:search", 200, "box-script", "127.0.0.1"),
                   ("static", "GET", "/static/nestbox.css", "-", 200, "", "127.0.0.1")]
    text = a.get("/metrics").body.decode()
    assert 'nestbox_requests_total{program="list",route="/list/:search",status="200"} 1' in text
    # written by Apache's user (not the root that starts piped loggers):
    # the programs can still write the store
    st = os.stat(a.nb.state)
    for f in os.listdir(a.nb.state):
        if f.startswith("nestbox.db"):
            assert os.stat(os.path.join(a.nb.state, f)).st_uid == st.st_uid, f


def test_unknown_methods_in_the_request_log_through_apache(apache):
    """Apache logs the request line as it came: a method no one registered
    is stored as sent, cut to 23 bytes and made printable ASCII (a control
    byte or a byte that is no UTF-8 becomes '?'), whatever Apache answered."""
    a, _ = apache
    sent = {b"FOO": "FOO", b"Q" + b"X" * 199: "Q" + "X" * 22, b"G\x01T\xff": "G?T?"}
    for method in sent:
        with socket.create_connection(("127.0.0.1", a.port), timeout=30) as s:
            s.sendall(method + b" /list/ab HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert s.recv(65536).startswith(b"HTTP/1.1 "), method

    def rows():
        with a.nb.db() as c:
            return c.execute("SELECT method, status FROM request_log"
                             " WHERE method NOT IN ('GET', 'HEAD')").fetchall()
    wait_until(lambda: len(rows()) == 3, "three rows")
    got = {m: status for m, status in rows()}
    assert sorted(got) == sorted(sent.values()), got
    assert all(400 <= status < 600 for status in got.values()), got


def test_pypi_through_apache(apache, tmpdir_shared):
    """The Python index through mod_fcgid: an index created with devpi's JSON
    API, a wheel uploaded as twine sends it (Basic auth reaching the
    program), its simple page and the file itself."""
    import hashlib
    import json
    from pypi_dists import basic, make_wheel, upload_form
    a, _ = apache
    # mod_fcgid starts pypi.fcgi on its first request, which creates root
    with open(a.nb.config) as f:
        conf = f.read()
    with open(a.nb.config, "w") as f:
        f.write(conf + "pypi:\n  root_password: apache-root-pw\n")
    root = basic("root", "apache-root-pw")
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    r = a.request("PUT", "/pypi/root/dev", dict(h, **root), json.dumps({}).encode())
    assert r.status == 201, r.body
    whl = make_wheel(tmpdir_shared, "nb-apache", "1.0")
    body, uh = upload_form(whl)
    assert a.request("POST", "/pypi/root/dev/", dict(uh, **root), body).status == 200
    page = json.loads(a.request("GET", "/pypi/root/dev/+simple/nb-apache/",
                                {"Accept": "application/vnd.pypi.simple.v1+json"}).body)
    f = page["files"][0]
    data = open(whl, "rb").read()
    assert f["hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
    url = f["url"].split("#")[0]
    path = url if url.startswith("/") else "/" + url.split("/", 3)[3]
    got = a.request("GET", path)
    assert got.status == 200 and got.body == data


# -- the front door and the request log's user through Apache (issue 14 §4, §5)

def test_root_and_the_operator_in_the_request_log_through_apache(apache):
    """"/" leads to the admin pages, and the operator a page answered is
    the request log's user, as with lighttpd."""
    a, _ = apache
    r = a.get("/")
    assert r.status == 302 and r.headers["location"].endswith("/admin/")
    p = subprocess.run([CTL, "user", "add", "ann"], env=a.nb.env, input="ann-pass-1\n",
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    b = Browser(a.port)
    b.login("ann", "ann-pass-1")
    assert b.get("/admin/users").status == 200
    assert a.get("/list/ab").status == 200

    def users_of(path):
        with a.nb.db() as c:
            return [u for u, in c.execute("SELECT \"user\" FROM request_log WHERE path = ?",
                                          (path,))]
    # a device's request has no user
    wait_until(lambda: users_of("/admin/users") == ["ann"] and users_of("/list/ab") == [""],
               "the rows with their users")


def test_no_line_lost_at_a_graceful_restart_through_apache(apache):
    """A graceful restart (SIGUSR1: apachectl graceful, a log rotation's
    reload) signals the piped loggers with SIGTERM and starts new ones,
    while the old children finish the requests they hold and write their
    lines into the old pipe: every answered request still has its row.
    The old nestbox-accesslog used to stop once that pipe had been quiet
    for 100 ms, and a request ending later was lost."""
    from conftest import burst, read_to_close
    a, _ = apache
    answered = burst(a.port, "/list/restart-%d-%d", each=100)
    # the last request: half sent when the restart comes (a static file:
    # mod_fcgid's process manager is restarted with the configuration)
    late = socket.create_connection(("127.0.0.1", a.port), timeout=20)
    late.sendall(b"GET /static/nestbox.css?restart-late HTTP/1.1\r\nHost: x\r\n")
    restarts = a.read_log().count("resuming normal operations")
    a.proc.send_signal(signal.SIGUSR1)
    wait_until(lambda: a.read_log().count("resuming normal operations") > restarts,
               "Apache's graceful restart")
    time.sleep(1)  # a quiet old pipe for a while: the rest comes late
    late.sendall(b"Connection: close\r\n\r\n")
    answer = read_to_close(late)
    late.close()
    assert answer.startswith(b"HTTP/1.1 "), answer[:80]
    answered.append(int(answer.split()[1]))

    def rows():
        with a.nb.db() as c:
            return c.execute("SELECT count(*) FROM request_log WHERE path LIKE '%restart-%'"
                             ).fetchone()[0]
    wait_until(lambda: rows() >= len(answered), "%d rows" % len(answered), limit=30)
    assert rows() == len(answered) == 401
