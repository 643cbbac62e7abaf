"""A 405 carries Allow, the methods the path takes (RFC 9110 15.5.6: a
405 MUST), from every program's router: only ota's catch-alls sent one."""
import http.client

import pytest

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
    nb.start()
    return nb


def answer(nb, method, path):
    c = http.client.HTTPConnection("127.0.0.1", nb.port, timeout=30)
    try:
        c.request(method, path, body=b"" if method in ("POST", "PUT") else None)
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
