"""A 405 carries Allow, the methods the path takes (RFC 9110 15.5.6: a
405 MUST), from every program's router and from a handler's own 405 (a
DDI cancel feedback for an action no cancel was asked of): every route of
every program's table is walked with each method it does not take."""
import http.client
import json
import os
import re
import subprocess

import pytest

from admin_client import Browser
from conftest import ROOT
from test_admin_ddi import token
from test_ddi import BASE, ddi, feedback
from test_software import make_swu

CASES = [
    # (method, path, the Allow expected)
    ("PUT", "/list", "GET, HEAD"),
    ("DELETE", "/list/abc", "GET, HEAD"),
    ("POST", "/update/box/image", "GET, HEAD"),
    ("PUT", "/mip/index.json", "GET, HEAD"),
    ("PUT", "/pypi/root/pypi/+simple/", "GET, HEAD"),
    ("POST", "/pypi/root/pypi/+simple/x/", "GET, HEAD"),
    ("DELETE", "/DEFAULT/controller/v1/dev1", "GET, HEAD"),
    ("GET", "/DEFAULT/controller/v1/dev1/configData", "PUT"),
    ("PUT", "/admin/images", "GET, HEAD, POST"),
    ("POST", "/metrics", "GET, HEAD"),
    ("DELETE", "/healthz", "GET, HEAD"),
]


@pytest.fixture
def served(make_nb):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.start()
    return nb


def answer(nb, method, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", nb.port, timeout=30)
    try:
        c.request(method, path, body=b"" if method in ("POST", "PUT") else None,
                  headers=headers or {})
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("Allow")
    finally:
        c.close()


def test_405_names_the_allowed_methods(served):
    """One server, every program's case."""
    got = {(m, p): answer(served, m, p) for m, p, _ in CASES}
    assert got == {(m, p): (405, allow) for m, p, allow in CASES}


def test_ota_keeps_its_allow(served):
    """ota answers its API's 405 itself (GitHub's JSON shape), with Allow."""
    status, got = answer(served, "PUT", "/ota/api/repos/a/b/releases/latest")
    assert status == 405 and "GET" in got.split(", ")


def test_allow_lists_every_method_of_a_path(served):
    """A path several routes share lists all of theirs, each once."""
    status, got = answer(served, "POST", "/pypi/root")
    assert status == 405
    assert got == "GET, HEAD, PUT, PATCH, DELETE"


PROGRAMS = ("list", "update", "log", "admin", "mip-index", "ddi", "ota", "pypi")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ROUTE = re.compile(r'\{ \("([A-Z*]+)"\), \(((?:\s*"[^"]*")+)\),')
# a value for a path parameter by its name (a served tenant); else SAMPLE
SAMPLES = {"tenant": "DEFAULT"}
SAMPLE = "x1"


def route_table(program):
    """[(method, pattern)] of a program's table, in order, as the compiler
    sees it (its macros expanded): src/cgi/<program>.fcgi.c."""
    flags = subprocess.run(["pkg-config", "--cflags", "libcjson", "fcgi", "libpq"],
                           capture_output=True, text=True).stdout.split()
    src = subprocess.run(["cc", "-E", "-P", "-DNB_NO_MAIN", *flags,
                          os.path.join(ROOT, "src", "cgi", program + ".fcgi.c")],
                         capture_output=True, text=True, check=True).stdout
    name = program.replace("-index", "") + "_routes[] = {"
    body = src[src.index(name):]
    body = body[:body.index("};")]
    table = [(m, "".join(re.findall(r'"([^"]*)"', pat))) for m, pat in ROUTE.findall(body)]
    assert table, program
    return table


def segs(path):
    p = path[1:] if path.startswith("/") else path
    return p.split("/") if p else []


def matches(pattern, path):
    """route.c's match_one over the pattern's and the path's segments."""
    ps, xs = segs(pattern), segs(path)
    for i, s in enumerate(ps):
        if s.startswith("*") and i == len(ps) - 1:
            return True
        if i >= len(xs):
            return False
        if s.startswith(":"):
            if not xs[i]:
                return False
        elif s != xs[i]:
            return False
    return len(ps) == len(xs)


def a_path(pattern):
    """A request path the pattern matches."""
    out = []
    for s in segs(pattern):
        if s.startswith("*"):
            out += [SAMPLE, SAMPLE]
        elif s.startswith(":"):
            out.append(SAMPLES.get(s[1:], SAMPLE))
        else:
            out.append(s)
    return "/" + "/".join(out)      # a pattern's trailing "/" is its last, empty segment


def allowed(table, path):
    """The Allow route.c's route_allow gives: the methods of the routes
    matching path, in table order, HEAD after GET, up to the first "*"
    route matching (it takes every method left)."""
    got = []
    for m, pattern in table:
        if not matches(pattern, path):
            continue
        if m == "*":
            break
        for one in (m, "HEAD") if m == "GET" else (m,):
            if one not in got:
                got.append(one)
    return got


def test_every_405_of_every_table_names_the_allowed_methods(served):
    """Each route's path, with each method no route of the path takes: a
    405 whose Allow is exactly the table's methods for the path, the
    router's or a catch-all handler's (the admin's /admin/api/ota/, after
    its authentication: asked with an API token)."""
    b = Browser(served.port)
    b.login("admin", "admin-pass-1")
    auth = token(b)
    wrong = []
    walked = 0
    for program in PROGRAMS:
        table = route_table(program)
        for path in dict.fromkeys(a_path(p) for _, p in table):
            allow = allowed(table, path)
            star = any(m == "*" and matches(p, path) for m, p in table)
            if not allow and star:
                continue        # a catch-all takes every method: no 405
            for method in METHODS:
                if method in allow:
                    continue
                status, got = answer(served, method, path,
                                     auth if program == "admin" else None)
                walked += 1
                if (status, got) != (405, ", ".join(allow)):
                    wrong.append((program, method, path, status, got, ", ".join(allow)))
    assert not wrong, "\n".join(map(str, wrong))
    assert walked > 300


def test_a_handlers_405_names_the_allowed_methods(make_nb, tmpdir_shared):
    """A cancel feedback for an action no cancel was asked of is hawkBit's
    405, answered by the handler: it carries Allow too (POST, all the path
    takes), and so does the router's 405 of a GET there."""
    nb = make_nb({"NESTBOX_DDI__POLL_TIME": "00:00:05"})
    nb.ctl("init")
    sid = nb.ctl("software", "add", make_swu(os.path.join(tmpdir_shared, "sw"), "2.0")).stdout.strip()
    nb.ctl("device", "add", "dev1", "--token", "tok-1", "--mode", "assigned", "--assign", sid)
    nb.start()
    ddi(nb, "PUT", BASE + "dev1/configData", body={
        "mode": "merge", "data": {"hw_boardname": "board-a", "hw_revision": "2.0"}})
    poll = json.loads(ddi(nb, "GET", BASE + "dev1").body)
    action = poll["_links"]["deploymentBase"]["href"].rsplit("/", 1)[1].split("?")[0]
    r = feedback(nb, "dev1", action, "proceeding", kind="cancelAction")
    assert r.status == 405 and r.header("allow") == "POST", (r.status, r.headers, r.body)
    assert json.loads(r.body)["error"] == "the action cannot be canceled"
    r = ddi(nb, "GET", BASE + "dev1/cancelAction/%s/feedback" % action)
    assert r.status == 405 and r.header("allow") == "POST", (r.status, r.headers)
