"""The mip index's upstreams (the official index, raw hosts) that hang or
fail never stall it for anyone else: while fetches hang, hosted packages
and cached ones are answered (a stale copy when the upstream cannot be
asked), further cold requests get 503 with Retry-After at once, and no
upstream URL or transport error reaches the client (only the log).  An
upstream on loopback (a LAN mirror) may redirect within its own space."""
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import wait_until
from mip_fakes import FakeHost, MipClient, add_official_package
from test_mip import gh_package, make_pkg, mip, upstream  # noqa: F401 (fixtures)
from test_pypi_upstream import get  # a GET bounded by a generous deadline


def fill_the_gate(nb, upstream, ex, n):
    """n cold packages asked at once (in ex), each fetch held by the
    upstream once it has asked: their futures."""
    hanging = []
    for i in range(n):
        path = "/package/6/cold-%d/latest.json" % i
        f = ex.submit(get, nb, "/mip" + path, None, 120)
        hanging.append(f)
        wait_until(lambda: f.done() or upstream.requests(path), "cold-%d asked" % i)
    return hanging


def check_gate_full(nb, upstream):
    """A further cold package is not fetched while the fetches are all taken."""
    s, h, body = get(nb, "/mip/package/6/cold-next/latest.json")
    assert s == 503 and int(h["retry-after"]) > 0, (s, body)
    assert not upstream.requests("cold-next")


@pytest.mark.shipped_procs
def test_hanging_upstream_stalls_neither_hosted_nor_cached(mip, upstream, tmpdir_shared):
    add_official_package(upstream, "cached", "1.0", {"cached.mpy": b"M\x06\x00\x1fcached"})
    # cache_ttl 0: the cached copy is always expired, so the program answers it
    nb = mip(cache_ttl="0", fetch_timeout="60")
    MipClient(nb.url + "/mip", os.path.join(tmpdir_shared, "a")).install("cached")
    d = os.path.join(tmpdir_shared, "hosted")
    make_pkg(d, {"h.py": b"H = 1\n"})
    assert nb.ctl("mip", "publish", d, "--name", "hosted", "--version", "1.0").returncode == 0
    upstream.hold = ("/package/", threading.Event())
    upstream.hold[1].clear()
    try:
        with ThreadPoolExecutor(2) as ex:
            hanging = fill_the_gate(nb, upstream, ex, 2)
            for _ in range(3):
                # a condition takes the request past the front end's copy to the program
                s, h, body = get(nb, "/mip/package/6/hosted/latest.json",
                                 {"If-None-Match": '"other"'})
                assert s == 200 and json.loads(body)["version"] == "1.0", body
                s, h, body = get(nb, "/mip/package/6/cached/latest.json")
                assert s == 200 and b"cached.mpy" in body, body
            check_gate_full(nb, upstream)
            upstream.hold[1].set()
            answers = [f.result() for f in hanging]
    finally:
        upstream.hold[1].set()
    assert [s for s, _, _ in answers] == [404, 404], answers


@pytest.mark.shipped_procs
@pytest.mark.parametrize("fetches", [1, 3])
def test_upstream_fetches_sets_how_many_fetch_at_once(mip, upstream, fetches):
    # the default (2) is the test above; the front end runs 4 processes
    nb = mip(upstream_fetches=str(fetches), fetch_timeout="60")
    upstream.hold = ("/package/", threading.Event())
    upstream.hold[1].clear()
    try:
        with ThreadPoolExecutor(fetches) as ex:
            hanging = fill_the_gate(nb, upstream, ex, fetches)
            check_gate_full(nb, upstream)
            upstream.hold[1].set()
            answers = [f.result() for f in hanging]
    finally:
        upstream.hold[1].set()
    assert [s for s, _, _ in answers] == [404] * fetches, answers


def test_failing_upstream_is_not_told_to_the_client(mip, upstream, tmpdir_shared):
    gh_package(upstream, "gone", "HEAD", {"gone.py": b"G = 1\n"})
    add_official_package(upstream, "far", "1.0", {"far.mpy": b"M\x06\x00\x1ffar"})
    nb = mip()
    where = upstream.url
    upstream.stop()     # refused connections: a transport error
    for path in ("/mip/github/org/gone", "/mip/package/6/far/latest.json",
                 "/mip/file/ab/abcdef12", "/mip/github/org/gone"):
        s, h, body = get(nb, path)
        assert s in (502, 503), (path, s, body)
        assert b"unavailable" in body, (path, body)
        assert where.encode() not in body and b"127.0.0.1" not in body, (path, body)
        assert b"onnect" not in body, (path, body)    # curl's "Couldn't connect"
        if s == 503:
            assert int(h["retry-after"]) > 0
    # the operator still learns what failed
    with nb.db() as db:
        errs = [e for e, in db.execute("SELECT error FROM mip_upstream").fetchall()]
    assert any("127.0.0.1" in (e or "") for e in errs), errs


def test_loopback_upstream_redirects_to_another_loopback_port(mip, upstream, tmpdir_shared):
    # an upstream at an internal address may send its requests to another
    # internal one (what a public upstream may not: tests/unit/test_fetch.c)
    other = FakeHost()
    try:
        add_official_package(other, "moved", "1.0", {"moved.mpy": b"M\x06\x00\x1fmoved"})
        for path in other.files:
            upstream.moved[path] = other.url + path
        nb = mip()
        target = os.path.join(tmpdir_shared, "t")
        MipClient(nb.url + "/mip", target).install("moved")
        assert open(os.path.join(target, "moved.mpy"), "rb").read() == b"M\x06\x00\x1fmoved"
        asked = [p for p in other.files if "/file/" in p or p.endswith("/latest.json")]
        for path in asked:
            assert upstream.requests(path) and other.requests(path), path
    finally:
        other.stop()
