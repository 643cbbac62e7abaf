"""Hostile requests against every route of every program's table, through
lighttpd: odd methods, malformed and oversized headers, bad
percent-encoding and NUL bytes (%00) in paths and queries, very long
query strings and repeated query keys, broken bodies of every type.  Bad
input is a 4xx (or the answer the route gives anyway), never a 5xx, a
hang or a crash; a relay's 502 (or its 503 while the upstream's breaker is
open) is honest only where its upstream is down for the plain request too (mip's GitHub and GitLab, the Python index's
pypi.org: unreachable here)."""
import http.client
import os
import socket
import time

import pytest

from admin_client import Browser
from test_admin_ddi import token
from test_allow import PROGRAMS, SAMPLE, a_path, route_table, segs
from test_software import make_swu

DDI_AUTH = {"Authorization": "TargetToken tok-1"}
# what replaces a path parameter: a value no validator takes, an id that
# passes most (a handler runs, then finds nothing), the objects that exist
SAMPLES = {"shape": "x1", "id": "1", "real": "1"}
REAL = (("controller/v1/" + SAMPLE, "controller/v1/dev1"), ("/pypi/%s/%s" % (SAMPLE, SAMPLE),
                                                          "/pypi/root/pypi"))


@pytest.fixture
def served(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    sid = nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")).stdout.strip()
    nb.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    nb.start()
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    nb.admin_auth = token(b)
    return nb


def send(nb, method, target, headers=None, body=None, timeout=20):
    """The status, "hang" (no answer in timeout seconds) or "error: ..."
    (the connection broke: a program crashed)."""
    try:
        return nb.request(method, target, headers, body, timeout=timeout).status
    except socket.timeout:
        return "hang"
    except (OSError, http.client.HTTPException) as e:
        return "error: %r" % e


BAD_SEGMENTS = ("%00", "a%00b", "%zz", "%", "%2F", "%2e%2e", "%FF", "%C0%AF", "x" * 3000)
BAD_QUERIES = ("%", "%zz", "a=%00", "%00=1", "a=%", "=&&&", "id=1&id=2&page=1&page=2&q=1&q=2",
               "actionHistory=99999999999999999999&page=-1", "q=" + "a" * 6000,
               "&".join("k%d=v" % i for i in range(1500)), "c=%FF%FE&name=%C0%80")
BAD_BODIES = (
    ("application/json", b"{"), ("application/json", b"[" * 5000),
    ("application/json", b'{"data": {"a": "\\u0000"}, "mode": "merge", "id": 1e999}'),
    ("application/x-www-form-urlencoded", b"%zz=%&a=\x00"),
    ("application/x-www-form-urlencoded", b"&".join(b"k=v" for _ in range(3000))),
    ("multipart/form-data", b"--x\r\n\r\n"), ("multipart/form-data; boundary=x", b"--x\r\n\r\n"),
    ("application/octet-stream", b"\xff\xfe" * 100), (None, b"\x00" * 10),
)
BAD_HEADERS = (
    {"Authorization": "TargetToken " + "a" * 4000}, {"Authorization": "Basic !!!"},
    {"Authorization": "Bearer \x01"}, {"Cookie": ";;;=;" + "s=" + "a" * 4000},
    {"Range": "bytes=99999999999999999999-"}, {"Range": "bytes=5-1,0-0"},
    {"If-None-Match": ",".join('"%d"' % i for i in range(500))}, {"If-None-Match": 'W/"'},
    {"Host": "a/b"}, {"Accept": "*/*;q=x"}, {"X-Forwarded-For": "x" * 3000},
)


def variants(path):
    """(method, target, headers, body) of the sweep for one path."""
    s = segs(path)
    out = [(m, path, {}, b"" if m in ("POST", "PUT", "PATCH") else None)
           for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")]
    for i in range(len(s)):
        for bad in BAD_SEGMENTS:
            out.append(("GET", "/" + "/".join(s[:i] + [bad] + s[i + 1:]), {}, None))
    for q in BAD_QUERIES:
        out.append(("GET", path + "?" + q, {}, None))
    out.append(("POST", path + "?" + BAD_QUERIES[-1], {"Content-Type": "application/json"}, b"{}"))
    for ctype, body in BAD_BODIES:
        for m in ("POST", "PUT"):
            out.append((m, path, {"Content-Type": ctype} if ctype else {}, body))
    for h in BAD_HEADERS:
        out.append(("GET", path, h, None))
    out.append(("POST", path, {"Content-Length": "abc"}, None))
    return out


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_no_5xx_hang_or_crash_anywhere(served, sample):
    nb = served
    bad, n, t0 = [], 0, time.time()
    for program in PROGRAMS:
        table = route_table(program)
        auth = nb.admin_auth if program == "admin" else DDI_AUTH if program == "ddi" else {}
        for path in dict.fromkeys(a_path(p) for _, p in table):
            if sample == "real":
                for k, v in REAL:
                    path = path.replace(k, v)
            path = path.replace(SAMPLE, SAMPLES[sample])
            plain = send(nb, "GET", path, auth)
            for method, target, headers, body in variants(path):
                status = send(nb, method, target, dict(auth, **headers), body)
                n += 1
                # an upstream down: 502, then 503 while its breaker is open
                relayed = status in (502, 503) and plain in (502, 503)
                if not isinstance(status, int) or (status >= 500 and not relayed):
                    bad.append((program, method, target[:100], sorted(headers), body and body[:20],
                                status))
    assert not bad, "\n".join(map(str, bad))
    assert n > 5000, n
    print("%s: %d requests in %.0f s" % (sample, n, time.time() - t0))
    log = nb.read_log()
    assert "left a transaction open" not in log
