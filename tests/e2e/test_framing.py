"""Each program's own framing, below the front end.

lighttpd and Apache both add a Content-Length of their own when a FastCGI
program leaves it out, so a test through them cannot see a program that
forgets it; old MicroPython `requests` and the box script depend on it
whatever the front end.  Here every program runs as plain CGI (the same
binary: REQUEST_METHOD, REQUEST_URI, ... from the environment, the
response on stdout) and every kind of answer is checked: buffered, fixed
(the empty update tar), a streamed file (whole and a range), HEAD, a
redirect, errors, and the start-up failure.  Its own headers must carry
exactly one Content-Length, equal to the body bytes it wrote (for HEAD, to
the bytes the GET writes), and never chunked encoding; an X-Sendfile answer
carries no body (the front end sends the file and its length).
"""
import json
import os
import subprocess
from urllib.parse import urlencode

import pytest

from conftest import CGIBIN, Nestbox, make_raw_image
from test_software import make_swu

DDI = "/DEFAULT/controller/v1/"


class CgiAnswer:
    def __init__(self, out):
        head, sep, self.body = out.partition(b"\r\n\r\n")
        assert sep, "no end of headers in %r" % out[:200]
        self.lines = head.decode("latin-1").split("\r\n")
        self.headers = {}
        for line in self.lines:
            k, _, v = line.partition(":")
            self.headers.setdefault(k.strip().lower(), []).append(v.strip())
        self.status = int(self.one("status").split()[0])

    def one(self, name):
        v = self.headers.get(name, [])
        assert len(v) == 1, "%s: %d times in %s" % (name, len(v), self.lines)
        return v[0]

    def has(self, name):
        return name in self.headers


def cgi(nb, program, method, uri, body=b"", headers=None, env=None):
    """Runs cgi-bin/<program>.fcgi once as plain CGI; returns its parsed output."""
    path, _, query = uri.partition("?")
    e = dict(nb.env)
    e.update(GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD=method, REQUEST_URI=uri,
             SCRIPT_NAME="", PATH_INFO=path, QUERY_STRING=query, SERVER_NAME="127.0.0.1",
             SERVER_PORT="8080", SERVER_PROTOCOL="HTTP/1.1", REMOTE_ADDR="127.0.0.1",
             HTTP_HOST="127.0.0.1:8080")
    if body:
        e["CONTENT_LENGTH"] = str(len(body))
    for k, v in (headers or {}).items():
        if k.lower() == "content-type":
            e["CONTENT_TYPE"] = v
        else:
            e["HTTP_" + k.upper().replace("-", "_")] = v
    e.update(env or {})
    p = subprocess.run([os.path.join(CGIBIN, program + ".fcgi")], input=body, env=e,
                       capture_output=True, timeout=60)
    return CgiAnswer(p.stdout)


def framed(a, method="GET", get_len=None):
    """The program's own framing is exact; returns the body length it announced."""
    assert not a.has("transfer-encoding"), a.lines
    if a.has("x-sendfile"):
        assert a.body == b"" and not a.has("content-length"), a.lines
        assert os.path.isfile(a.one("x-sendfile"))
        return None
    n = int(a.one("content-length"))
    if method == "HEAD":
        assert a.body == b"", "HEAD with a body"
        if get_len is not None:
            assert n == get_len, "HEAD says %d, GET sends %d" % (n, get_len)
    else:
        assert n == len(a.body), "Content-Length %d, body %d bytes" % (n, len(a.body))
    return n


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """One state directory with an image build, DDI software and a device,
    a hosted mip package and an admin user; no front end."""
    base = str(tmp_path_factory.mktemp("framing"))
    nb = Nestbox(base, {"NESTBOX_SERVER__XSENDFILE": "false",
                        "NESTBOX_ADMIN_PASSWORD": "admin-pass-1",
                        "NESTBOX_MIP__OFFLINE": "true"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    raw = make_raw_image(os.path.join(base, "disk.img"), size=300000)
    image = nb.import_image(raw, "fb", "pc").split("/")[-1]
    swu = make_swu(os.path.join(base, "sw"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    nb.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    pkg = os.path.join(base, "hello.py")
    with open(pkg, "w") as f:
        f.write("print('hello')\n")
    nb.ctl("mip", "publish", pkg, "--name", "hello", "--version", "1.0")
    return nb, image, sid


def get_and_head(nb, program, uri, headers=None, env=None, status=200):
    g = cgi(nb, program, "GET", uri, headers=headers, env=env)
    assert g.status == status, (uri, g.status, g.body[:200])
    n = framed(g)
    h = cgi(nb, program, "HEAD", uri, headers=headers, env=env)
    assert h.status == status
    framed(h, "HEAD", n)
    return g


def test_list_buffered_head_and_errors(state):
    nb, image, _ = state
    g = get_and_head(nb, "list", "/list/")
    assert image.encode() in g.body
    get_and_head(nb, "list", "/list/no-such-thing")
    framed(cgi(nb, "list", "POST", "/list/", body=b"x"))          # 405
    a = cgi(nb, "list", "GET", "/nothing/here")
    assert a.status == 404
    framed(a)


def test_update_fixed_file_range_and_errors(state):
    nb, image, _ = state
    build = nb.build_id("fb", image)
    # the box is up to date: the fixed empty tar (one 10240-byte record of zeros)
    g = get_and_head(nb, "update", "/update/fb/%s/%s" % (image, build))
    assert g.body == b"\0" * 10240
    # a new build: the tar streamed from the blob store
    g = get_and_head(nb, "update", "/update/fb/%s/old-build" % image)
    assert len(g.body) > 10240 and g.body[257:262] == b"ustar"
    r = cgi(nb, "update", "GET", "/update/fb/%s/old-build" % image, headers={"Range": "bytes=100-199"})
    assert r.status == 206 and r.body == g.body[100:200]
    framed(r)
    r = cgi(nb, "update", "GET", "/update/fb/%s/old-build" % image,
            headers={"Range": "bytes=%d-" % len(g.body)})
    assert r.status == 416
    framed(r)
    # what the original answers for an unknown image, and a bad name
    get_and_head(nb, "update", "/update/fb/no-such-image/x", status=400)
    get_and_head(nb, "update", "/update/fb/..", status=400)


def test_update_through_x_sendfile(state):
    nb, image, _ = state
    a = cgi(nb, "update", "GET", "/update/fb/%s/old-build" % image,
            env={"NESTBOX_SERVER__XSENDFILE": "true"})
    assert a.status == 200 and a.has("x-sendfile")
    framed(a)


def test_log_program(state):
    nb, _, _ = state
    get_and_head(nb, "log", "/healthz")
    framed(cgi(nb, "log", "GET", "/metrics"))      # counts change: no GET/HEAD pair
    framed(cgi(nb, "log", "HEAD", "/metrics"), "HEAD")
    a = cgi(nb, "log", "POST", "/log/echo/x", body=b"abc" * 100,
            headers={"Content-Type": "text/plain"})
    assert a.status == 200
    framed(a)
    framed(cgi(nb, "log", "GET", "/no/route"))


def test_admin_program(state):
    nb, _, _ = state
    g = get_and_head(nb, "admin", "/admin/login")
    assert b"<form" in g.body
    a = cgi(nb, "admin", "GET", "/admin/")                        # no session: redirect
    assert a.status == 303 and a.body == b""
    framed(a)
    a = cgi(nb, "admin", "GET", "/admin/api/whoami")              # API error, JSON
    assert a.status == 401 and json.loads(a.body)["status"] == 401
    framed(a)
    a = cgi(nb, "admin", "POST", "/admin/login", body=b"username=admin&password=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= a.status < 500
    framed(a)


def test_mip_index_program(state):
    nb, _, _ = state
    get_and_head(nb, "mip-index", "/mip/index.json")
    g = get_and_head(nb, "mip-index", "/mip/package/py/hello/latest.json")
    h = json.loads(g.body)["hashes"][0][1]
    f = get_and_head(nb, "mip-index", "/mip/file/%s/%s" % (h[:2], h))
    assert f.body == b"print('hello')\n"
    get_and_head(nb, "mip-index", "/mip/package/py/none/latest.json", status=404)
    get_and_head(nb, "mip-index", "/mip/file/zz/12345678", status=400)


def test_ddi_program(state):
    nb, _, sid = state
    auth = {"Authorization": "TargetToken tok-1", "Accept": "application/json"}
    g = get_and_head(nb, "ddi", DDI + "dev1", headers=auth)
    assert "config" in json.loads(g.body)
    a = cgi(nb, "ddi", "GET", DDI + "dev1", headers={"Authorization": "TargetToken wrong"})
    assert a.status == 401
    framed(a)
    body = json.dumps({"mode": "merge", "data": {"hw_boardname": "board-a",
                       "hw_revision": "2.0", "sw_version": "1.0"}}).encode()
    a = cgi(nb, "ddi", "PUT", DDI + "dev1/configData", body=body,
            headers=dict(auth, **{"Content-Type": "application/json"}))
    assert a.status == 200
    framed(a)
    a = cgi(nb, "ddi", "PUT", DDI + "dev1/configData", body=b"{not json",
            headers=dict(auth, **{"Content-Type": "application/json"}))
    assert a.status == 400
    framed(a)
    j = json.loads(cgi(nb, "ddi", "GET", DDI + "dev1", headers=auth).body)
    dep = j["_links"]["deploymentBase"]["href"].split("127.0.0.1:8080", 1)[1]
    d = get_and_head(nb, "ddi", dep, headers=auth)
    art = json.loads(d.body)["deployment"]["chunks"][0]["artifacts"][0]
    url = art["_links"]["download-http"]["href"].split("127.0.0.1:8080", 1)[1]
    f = get_and_head(nb, "ddi", url, headers=auth)
    assert len(f.body) == art["size"]


def test_configuration_error_answer(tmp_path):
    """A program that cannot start answers 503 with its own exact framing."""
    nb = Nestbox(str(tmp_path))
    with open(nb.config, "w") as f:
        f.write("server:\n  no_such_key: 1\n")
    for program in ("list", "update", "log", "admin", "mip-index", "ddi"):
        a = cgi(nb, program, "GET", "/healthz")
        assert a.status == 503
        framed(a)


def login_cgi(nb, password):
    """The login form's CSRF cookie and field, then the POST, all as CGI."""
    page = cgi(nb, "admin", "GET", "/admin/login")
    cookie = [v for v in page.headers["set-cookie"] if v.startswith("nb_login=")][0]
    csrf = cookie.split(";")[0].split("=", 1)[1]
    body = urlencode({"csrf": csrf, "username": "admin", "password": password}).encode()
    return cgi(nb, "admin", "POST", "/admin/login", body=body,
               headers={"Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": "nb_login=" + csrf})


def test_login_wrong_password_below_the_front_end(state):
    """A second guard for wrong passwords at the program itself (the
    others: test_auth.c's auth_verify_password, test_admin.py through
    lighttpd): 401, no session cookie; the right one gets a session."""
    nb, _, _ = state
    a = login_cgi(nb, "admin-pass-2")
    assert a.status == 401
    framed(a)
    assert not [c for c in a.headers.get("set-cookie", []) if c.startswith("nb_session=")]
    with nb.db() as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    a = login_cgi(nb, "admin-pass-1")
    assert a.status == 303
    framed(a)
    assert [c for c in a.headers["set-cookie"] if c.startswith("nb_session=")]
