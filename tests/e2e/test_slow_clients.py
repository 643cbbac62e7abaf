"""A slow or stalled request body must never delay other requests of the
same program (issue 11 §1).  Each test opens trickling bodies that never
finish, then checks that other requests to the same program are answered
while the trickles are still open.  No test depends on timing: the waits
are generous bounds on a request that must complete at all."""
import base64
import http.client
import json
import os
import signal
import socket
import threading
import pytest

from admin_client import Browser
from conftest import make_raw_image, sqlite_only, wait_until

# slow clients and concurrency across a program's processes: the shipped counts
pytestmark = pytest.mark.shipped_procs

# more than any program has processes: before the front end buffered small
# bodies, these alone held every process of the program
TRICKLES = 3
OTHERS = 5


def trickle(port, method, path, headers=None, first=b"x"):
    """Opens a request that declares a 60000-byte body and sends only its
    first bytes; the caller keeps the socket open."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 60000\r\n" % (method, path)
    for k, v in (headers or {}).items():
        head += "%s: %s\r\n" % (k, v)
    s.sendall(head.encode() + b"\r\n" + first)
    return s


def still_open(s):
    """True when the trickle has had no answer (the request is pending)."""
    s.setblocking(False)
    try:
        return s.recv(1) == b"" and False
    except BlockingIOError:
        return True
    finally:
        s.setblocking(True)


DDI_TOKEN = {"Authorization": "TargetToken tok-slow", "Content-Type": "application/json"}


def ask(nb, method, path, headers=None):
    """One request with a bound (20 s): a stalled program fails the test
    instead of hanging the suite."""
    c = http.client.HTTPConnection("127.0.0.1", nb.port, timeout=20)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def cases(nb):
    """(program, trickle request, other request) for every program; the
    other request is a callable answering a status."""
    return [
        ("admin", ("POST", "/admin/login", {"Content-Type": "application/x-www-form-urlencoded"}),
         lambda: ask(nb, "GET", "/admin/login")),
        ("ddi", ("PUT", "/DEFAULT/controller/v1/slow1/configData", DDI_TOKEN),
         lambda: ask(nb, "GET", "/DEFAULT/controller/v1/slow1", DDI_TOKEN)),
        ("mip", ("GET", "/mip/index.json", {}), lambda: ask(nb, "GET", "/mip/index.json")),
        ("log", ("POST", "/log/echo", {}), lambda: ask(nb, "GET", "/healthz")),
        ("update", ("GET", "/update/sb/sb-pc-main", {}),
         lambda: ask(nb, "GET", "/update/sb/sb-pc-main")),
        ("list", ("GET", "/list", {}), lambda: ask(nb, "GET", "/list")),
    ]


def check_not_stalled(port, method, path, headers, other, expect):
    held = [trickle(port, method, path, headers) for _ in range(TRICKLES)]
    try:
        for _ in range(OTHERS):
            assert other() == expect
        if method != "GET":
            # (a GET's body is ignored: it may be answered at once)
            assert all(still_open(s) for s in held), "a trickle was answered before its body"
    finally:
        for s in held:
            s.close()


@pytest.fixture
def slow_nb(make_nb, tmpdir_shared):
    nb = make_nb()
    nb.ctl("init")
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=64 << 10)
    nb.import_image(raw, "sb", "pc", "main")
    nb.ctl("device", "add", "slow1", "--token", "tok-slow")
    return nb


@pytest.mark.parametrize("program", ["admin", "ddi", "mip", "log", "update", "list"])
def test_trickling_body_does_not_stall_program(slow_nb, program):
    nb = slow_nb.start()
    for name, (method, path, headers), other in cases(nb):
        if name == program:
            expect = other()
            assert expect < 500
            # a request with a timeout: a stalled program fails it, not hangs the suite
            check_not_stalled(nb.port, method, path, headers, other, expect)


def upload_trickle(nb, b):
    csrf = b.csrf("/admin/images")
    boundary = "----nestboxslow"
    # the image's names come before the file: its bytes go straight into
    # the import (the box directory's .img.zst temporary)
    first = "".join("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                    % (boundary, k, v) for k, v in (("csrf", csrf), ("box", "slow"),
                                                   ("board", "pc")))
    first = (first + "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
             "filename=\"x.img\"\r\n\r\n" % boundary).encode()
    cookie = "; ".join("%s=%s" % kv for kv in b.cookies.items())
    return trickle(nb.port, "POST", "/admin/images",
                   {"Content-Type": "multipart/form-data; boundary=" + boundary,
                    "Cookie": cookie}, first)


@pytest.fixture
def admin_nb(make_nb):
    def make(env=None):
        e = {"NESTBOX_ADMIN_PASSWORD": "admin-pass-1"}
        e.update(env or {})
        nb = make_nb(e)
        nb.ctl("init")
        nb.ctl("user", "first-admin")
        nb.start()
        b = Browser(nb.port)
        b.login("admin", "admin-pass-1")
        return nb, b
    return make


def test_streamed_upload_does_not_stall_admin(admin_nb):
    """An upload streams to admin.fcgi (it must not be spooled twice), so
    it holds a process: others still answer the pages."""
    nb, b = admin_nb()
    s = upload_trickle(nb, b)
    try:
        for _ in range(OTHERS):
            assert b.get("/admin/images").status == 200
        assert still_open(s)
    finally:
        s.close()


def test_slow_uploads_never_hold_the_admin_pages(admin_nb):
    """More slow uploads than there are upload processes: they wait for
    each other, the pages are answered all the while (uploads have
    processes of their own)."""
    nb, b = admin_nb()
    held = [upload_trickle(nb, b) for _ in range(TRICKLES)]
    try:
        for _ in range(OTHERS):
            assert b.get("/admin/images").status == 200
            assert b.get("/admin/").status == 200
        assert all(still_open(s) for s in held)
    finally:
        for s in held:
            s.close()


@pytest.mark.parametrize("path", ["/pypi/root/pypi/", "/pypi/root/pypi", "/admin/api/ota/publish",
                                  "/admin/api/images?box=b&board=x", "/admin/images",
                                  "/admin/software", "/admin/mip", "/admin/ota/publish",
                                  "/admin/api/software", "/admin/api/mip/packages?name=a&version=1"])
def test_anonymous_upload_refused_before_its_body(admin_nb, path):
    """An upload without credentials is answered (401) while its body is
    still on the way: the front end does not spool a body the program will
    refuse (it did for /pypi and OTA publishing: anyone could fill the
    front end's temporary directory)."""
    nb, b = admin_nb()
    method = "PUT" if path.startswith("/admin/api/images") else "POST"
    s = socket.create_connection(("127.0.0.1", nb.port), timeout=30)
    try:
        s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000\r\n"
                   "Content-Type: multipart/form-data; boundary=xx\r\n\r\n--xx\r\n"
                   % (method, path)).encode())
        head = read_answer(s)
        # a page's form is sent to the login page (303), an API refuses
        refused = (b"HTTP/1.1 401 Unauthorized", b"HTTP/1.1 403 Forbidden") if \
            "/api/" in path or path.startswith("/pypi") else (b"HTTP/1.1 303 See Other",)
        assert head.split(b"\r\n")[0] in refused, head
    finally:
        s.close()


def test_slow_pypi_uploads_never_hold_pips_pages(admin_nb):
    """Signed-in twine uploads that trickle hold only the upload processes:
    pip's pages of the same index are answered all the while."""
    nb, b = admin_nb({"NESTBOX_PYPI__ROOT_PASSWORD": "root-pass-1"})
    auth = {"Authorization": "Basic " + base64.b64encode(b"root:root-pass-1").decode(),
            "Content-Type": "multipart/form-data; boundary=xx"}
    nb.ctl("pypi", "index", "create", "root/dev")    # a stage (root/pypi mirrors)
    held = [trickle(nb.port, "POST", "/pypi/root/dev/", auth, b"--xx\r\n")
            for _ in range(TRICKLES)]
    try:
        for _ in range(OTHERS):
            assert ask(nb, "GET", "/pypi/root/dev/+simple/") == 200
        for s in held:
            if not still_open(s):
                s.settimeout(5)
                raise AssertionError("a trickle was answered: %r" % s.recv(300))
    finally:
        for s in held:
            s.close()


def slow_sender(port, path, stop, length=30000, rate=600):
    """A client that sends a length-byte body at rate bytes a second (faster
    than the 408 rule's minimum rate, so nothing cuts it off) until stop is
    set; returns its socket and thread."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
               "Content-Type: application/json\r\n\r\n" % (path, length)).encode())

    def run():
        sent = 0
        while sent < length and not stop.wait(0.1):
            try:
                s.sendall(b" " * (rate // 10))
            except OSError:
                return
            sent += rate // 10
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return s, t


def test_slow_anonymous_logins_hold_no_upload(admin_nb, tmpdir_shared):
    """Anyone may POST /pypi/+login: slow ones are buffered by the front
    end, so they hold no pypi process, streaming or not (they held both
    upload processes: a +login or a twine upload waited until they were
    done).  Only twine's upload streams, refused at once without
    credentials."""
    from pypi_dists import make_wheel, twine
    nb, _ = admin_nb({"NESTBOX_PYPI__ROOT_PASSWORD": "root-pass-1"})
    nb.ctl("pypi", "index", "create", "root/dev")
    stop = threading.Event()
    held = [slow_sender(nb.port, "/pypi/+login", stop) for _ in range(2)]
    try:
        login = {"Content-Type": "application/json"}
        c = http.client.HTTPConnection("127.0.0.1", nb.port, timeout=20)
        c.request("POST", "/pypi/+login", json.dumps({"user": "root", "password": "root-pass-1"}),
                  login)
        r = c.getresponse()
        assert r.status == 200 and "password" in json.loads(r.read())["result"]
        c.close()
        d = os.path.join(tmpdir_shared, "slowdist")
        os.makedirs(d, exist_ok=True)
        whl = make_wheel(d, "slowpkg", "1.0")
        p = twine(os.path.join(tmpdir_shared, "home"), nb.url + "/pypi/root/dev/", "root",
                  "root-pass-1", whl)
        assert p.returncode == 0, p.stdout + p.stderr
        assert ask(nb, "GET", "/pypi/root/dev/+simple/slowpkg/") == 200
        assert all(still_open(s) for s, _ in held)
    finally:
        stop.set()
        for s, t in held:
            t.join()
            s.close()


def read_answer(s):
    s.settimeout(60)
    out = b""
    while b"\r\n\r\n" not in out:
        chunk = s.recv(4096)
        if not chunk:
            break
        out += chunk
    return out


def test_stalled_upload_gets_408_and_frees_the_process(admin_nb):
    """A body slower than server.body_timeout (plus body_min_rate) is cut
    off with 408, and the process goes on to the next request."""
    nb, b = admin_nb({"NESTBOX_SERVER__BODY_TIMEOUT": "1"})
    held = [upload_trickle(nb, b) for _ in range(2)]
    try:
        for s in held:
            head = read_answer(s)
            assert head.startswith(b"HTTP/1.1 408"), head
        assert b.get("/admin/images").status == 200
    finally:
        for s in held:
            s.close()
    # the front end's access log reaches the store within log.flush_ms
    def logged():
        with nb.db() as c:
            return c.execute("SELECT count(*) FROM request_log WHERE status=408").fetchone()[0]
    wait_until(lambda: logged() >= 1, "the 408 in the request log", limit=15)


def test_program_exits_after_term_during_a_request(admin_nb):
    """SIGTERM while a program is in a request (here, reading an upload):
    it finishes that request and then exits, without a further connection
    (issue 16 §6: programs that hung in accept() after a late SIGTERM)."""
    nb, b = admin_nb()
    admin = [p for p in nb.backends() if b"admin.fcgi" in open("/proc/%d/cmdline" % p, "rb").read()]
    assert admin
    s = upload_trickle(nb, b)
    try:
        # the upload reached a program when one holds a second socket
        wait_until(lambda: max(sockets(p) for p in admin) >= 2, "the upload to reach admin.fcgi")
        for pid in admin:
            os.kill(pid, signal.SIGTERM)
        s.sendall(b"y" * 100)
        s.shutdown(socket.SHUT_WR)
        read_answer(s)
    finally:
        s.close()
    def gone():
        return not any(alive(p) for p in admin)
    wait_until(gone, "admin.fcgi to exit", limit=15)
    # lighttpd starts admin.fcgi again for the next request; when lighttpd
    # stops, that one must exit too (it is not always sent a signal)
    # (lighttpd may answer 503 while it notices the exits and respawns)
    wait_until(lambda: Browser(nb.port).get("/admin/login").status == 200,
               "admin.fcgi started again")
    nb.stop()       # waits (bounded) for every program to exit


def sockets(pid):
    try:
        return sum(os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
                   for fd in os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def spawn_on_socket(nb, prog, path):
    """Starts prog as a front end would: a listening Unix socket on fd 0.
    The test process stays its parent, so only the socket tells it that its
    front end is gone."""
    import subprocess
    from conftest import CGIBIN
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)
    p = subprocess.Popen([os.path.join(CGIBIN, prog)], stdin=s.fileno(), env=nb.env,
                         stderr=subprocess.DEVNULL)
    s.close()
    return p


@sqlite_only("\"has opened its store\" is seen as the open SQLite file")
@pytest.mark.parametrize("prog", ["ddi.fcgi", "list.fcgi", "admin.fcgi"])
def test_program_without_its_front_end_exits(nb, prog):
    """lighttpd unlinks its sockets when it stops, but a program still
    starting then is not always signalled (programs were left re-parented to
    init after an e2e teardown): a program whose socket file is gone exits,
    whether it went while the program ran or before it started."""
    nb.ctl("init")
    run = os.path.join(nb.base, "sockets")
    os.makedirs(run, exist_ok=True)
    path = os.path.join(run, "p.sock")
    p = spawn_on_socket(nb, prog, path)
    try:
        # running: it has opened its store and waits for connections
        def store_open():
            try:
                return any(os.readlink("/proc/%d/fd/%s" % (p.pid, fd)).endswith("nestbox.db")
                           for fd in os.listdir("/proc/%d/fd" % p.pid))
            except OSError:
                return False
        wait_until(store_open, "the program to open its store")
        assert p.poll() is None
        os.unlink(path)
        p.wait(timeout=30)
        # gone before it started: it never waits for a connection
        p = spawn_on_socket(nb, prog, path)
        os.unlink(path)
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_program_dying_in_a_request_is_counted_as_500(admin_nb):
    """A program killed in a request (a crash, an OOM kill): the front end
    answers the client itself, and its access log (the request log's
    source) counts that answer as a 500 of the program that owns the URL,
    in /metrics and the request log, once."""
    nb, b = admin_nb()
    admin = [p for p in nb.backends() if b"admin.fcgi" in open("/proc/%d/cmdline" % p, "rb").read()]
    s = upload_trickle(nb, b)
    box = os.path.join(nb.images, "slow")
    try:
        # in the handler: it has opened the import's temporary
        wait_until(lambda: os.path.isdir(box) and
                   any(".img.zst.tmp." in f for f in os.listdir(box)),
                   "the upload to reach its handler")
        for pid in admin:
            if sockets(pid) >= 2:
                os.kill(pid, signal.SIGKILL)
        # the front end answers the client itself, and logs that answer
        # (a client gone before any answer is in no access log)
        s.settimeout(20)
        assert s.recv(100).startswith(b"HTTP/1.1 500 ")
    finally:
        s.close()

    def crashed():
        m = nb.get("/metrics").body.decode()
        return [l for l in m.splitlines()
                if l.startswith('nestbox_requests_total{program="admin"') and 'status="500"' in l]
    wait_until(crashed, "the crash counted")
    assert crashed()[0].endswith(" 1"), crashed()
    with nb.db() as c:
        rows = c.execute("SELECT method, path FROM request_log WHERE program='admin'"
                         " AND status=500").fetchall()
    assert rows == [("POST", "/admin/images")]
    # counted once: the next reaps find nothing more
    nb.get("/metrics")
    assert crashed()[0].endswith(" 1")


# -- slow uploads that carry credentials (issue: one slow uploader per
# upload process stalled every other upload)

UPLOAD_DEADLINE = 15      # a bound on an upload that must not wait on others


def dripping_upload(port, path, headers, stop, first=b"--xx\r\n"):
    """An upload whose body comes at a byte a second, until stop is set:
    slower than anything but far from stalled.  Its socket and thread."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 60000\r\n" % path
    for k, v in headers.items():
        head += "%s: %s\r\n" % (k, v)
    s.sendall(head.encode() + b"\r\n" + first)

    def run():
        while not stop.wait(1.0):
            try:
                s.sendall(b"x")
            except OSError:
                return
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return s, t


def bounded(port, method, path, headers, body):
    """One request with UPLOAD_DEADLINE: (status, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=UPLOAD_DEADLINE)
    try:
        c.request(method, path, body, headers)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def ota_form(repo, tag, name, data):
    b = "----nestboxota"
    out = b"".join(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                    % (b, k, v)).encode() for k, v in (("repo", repo), ("tag", tag)))
    out += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n" % (b, name)).encode()
    return out + data + ("\r\n--%s--\r\n" % b).encode(), \
        {"Content-Type": "multipart/form-data; boundary=" + b}


def check_slow_uploaders_hold_no_upload(front, pypi_auth, bearer, tmpdir):
    """More uploaders dripping their bodies than there are upload processes,
    on twine's upload and the OTA publishing API, each with valid
    credentials: a normal twine upload and a normal publish complete
    meanwhile, and the drips are still pending."""
    from pypi_dists import make_wheel, upload_form
    from test_ota_admin import targz
    stop = threading.Event()
    multipart = {"Content-Type": "multipart/form-data; boundary=xx"}
    held = [dripping_upload(front.port, "/pypi/root/dev/", dict(multipart, **pypi_auth), stop)
            for _ in range(TRICKLES)]
    held += [dripping_upload(front.port, "/admin/api/ota/publish", dict(multipart, **bearer),
                             stop) for _ in range(TRICKLES)]
    try:
        d = os.path.join(tmpdir, "drip-dist")
        os.makedirs(d, exist_ok=True)
        body, h = upload_form(make_wheel(d, "nb-drip", "1.0"))
        status, out = bounded(front.port, "POST", "/pypi/root/dev/", dict(h, **pypi_auth), body)
        assert status == 200, out
        status, out = bounded(front.port, "GET", "/pypi/root/dev/+simple/nb-drip/", {}, None)
        assert status == 200 and b"nb_drip-1.0-py3-none-any.whl" in out, out
        body, h = ota_form("acme/drip", "v1", "app.tar.gz", targz({"app/main.py": b"drip\n"}))
        status, out = bounded(front.port, "POST", "/admin/api/ota/publish", dict(h, **bearer),
                              body)
        assert status == 201, out
        assert json.loads(out)["files"] == 1
        assert all(still_open(s) for s, _ in held), "a drip was answered before its body"
    finally:
        stop.set()
        for s, t in held:
            t.join()
            s.close()


def api_bearer(b):
    r = b.post("/admin/tokens", {"csrf": b.csrf(), "name": "drip"})
    assert r.status == 201, r.text
    return {"Authorization": "Bearer " +
            r.text.split('<code id="new-token">')[1].split("</code>")[0]}


def test_slow_authenticated_uploads_hold_no_upload(admin_nb, tmpdir_shared):
    # the program's own cut-off for slow bodies is far away: the front end
    # must not need it
    nb, b = admin_nb({"NESTBOX_PYPI__ROOT_PASSWORD": "root-pass-1",
                      "NESTBOX_SERVER__BODY_TIMEOUT": "300"})
    nb.ctl("pypi", "index", "create", "root/dev")
    # signed-in form uploads stream (each holds a process): more of them
    # than they have processes, and the API's uploads still go through
    forms = [upload_trickle(nb, b) for _ in range(TRICKLES)]
    try:
        check_slow_uploaders_hold_no_upload(nb, {"Authorization": "Basic " + base64.b64encode(
            b"root:root-pass-1").decode()}, api_bearer(b), tmpdir_shared)
    finally:
        for s in forms:
            s.close()


def test_slow_authenticated_uploads_hold_no_upload_on_apache(make_nb, tmpdir_shared):
    from conftest import give_to_www_data
    from test_apache import Apache
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1",
                  "NESTBOX_PYPI__ROOT_PASSWORD": "root-pass-1"}, sub="ap")
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.ctl("pypi", "index", "create", "root/dev")     # root made with its password
    a = Apache(os.path.join(tmpdir_shared, "apache"), nb)
    give_to_www_data(nb.state)
    a.start()
    try:
        b = Browser(a.port)
        b.login("admin", "admin-pass-1")
        check_slow_uploaders_hold_no_upload(a, {"Authorization": "Basic " + base64.b64encode(
            b"root:root-pass-1").decode()}, api_bearer(b), tmpdir_shared)
    finally:
        a.stop()
