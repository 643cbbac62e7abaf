"""A mirror index's upstream that hangs, fails or is not the operator's
choice must never stall the index for anyone else: pages of private
indexes and mirror pages already cached are answered while fetches hang
(on lighttpd and Apache); a second request for a page being fetched, and
every request on an upstream host that just failed, is answered at once
(the copy, else 503 with Retry-After); only root (or pypi.user_mirrors)
points an index at an upstream, and an upstream's failure is not relayed
to the client.  An upstream on loopback may redirect files within it."""
import json
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import free_port, give_to_www_data, wait_until
from pypi_dists import basic, upload_form
from test_pypi_mirror import (JSON_ACCEPT, ROOT_PW, PyPIStandIn, mirror_rows, page,
                              patch_index, point_root_pypi, upstream, put_json, start_px,
                              wheels)  # noqa: F401 (upstream: a fixture)

DEADLINE = 10     # a generous bound on a request that must not wait on an upstream


class Silent:
    """An upstream that accepts connections and never answers; counts them."""

    def __init__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(64)
        self.url = "http://127.0.0.1:%d/simple/" % self.s.getsockname()[1]
        self.conns, self.lock, self.held = 0, threading.Lock(), []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            with self.lock:
                self.conns += 1
                self.held.append(c)

    def count(self):
        with self.lock:
            return self.conns

    def close(self):
        self.s.close()
        with self.lock:
            for c in self.held:
                c.close()


def get(front, path, headers=None, timeout=DEADLINE):
    """GET with a client-side bound: a stalled index fails the test."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", front.port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def seed(front, upstream, tmpdir):
    """root/pypi mirrors upstream with nb-cached already cached; alice/dev
    (bases root/pypi) holds the private nb-mine.  The names of both files."""
    cached, = wheels(os.path.join(tmpdir, "up"), "nb-cached", "1.0")
    upstream.publish("nb-cached", [cached])
    point_root_pypi(front, upstream)
    status, h, body = get(front, "/pypi/root/pypi/+simple/nb-cached/", JSON_ACCEPT)
    assert status == 200 and h["x-nestbox-mirror"] == "fresh", body
    put_json(front, "/pypi/alice", {"password": "alice-pw"}, basic("root", ROOT_PW))
    put_json(front, "/pypi/alice/dev", {"bases": ["root/pypi"]}, basic("alice", "alice-pw"))
    mine, = wheels(os.path.join(tmpdir, "mine"), "nb-mine", "1.0")
    body, h = upload_form(mine)
    h.update(basic("alice", "alice-pw"))
    r = front.request("POST", "/pypi/alice/dev/", h, body)
    assert r.status == 200, r.body
    return os.path.basename(cached), os.path.basename(mine)


def check_others_answered_while_hanging(front, upstream, tmpdir):
    """Cold pages whose upstream hangs (more of them than the front end
    has processes for the program, the same page thrice as pip's retries
    do): the private page and the cached mirror page are answered all
    the while, and right."""
    cached, mine = seed(front, upstream, tmpdir)
    upstream.gate = threading.Event()
    cold = ["nb-cold-a", "nb-cold-a", "nb-cold-b", "nb-cold-c", "nb-cold-a"]
    try:
        with ThreadPoolExecutor(len(cold)) as ex:
            # one after the other, each once it hangs or is answered (lighttpd
            # hands a request to the least busy process even when all are
            # busy: sent together, one could queue behind a hanging one)
            hanging = []
            for p in cold:
                path = "/simple/%s/" % p
                before = upstream.count(path)
                f = ex.submit(get, front, "/pypi/root/pypi/+simple/%s/" % p, JSON_ACCEPT, 120)
                hanging.append(f)
                wait_until(lambda: f.done() or upstream.count(path) > before,
                           "%s asked or answered" % p)
            for _ in range(3):
                status, h, body = get(front, "/pypi/alice/dev/+simple/nb-mine/", JSON_ACCEPT)
                assert status == 200, body
                assert [f["filename"] for f in json.loads(body)["files"]] == [mine]
                status, h, body = get(front, "/pypi/root/pypi/+simple/nb-cached/", JSON_ACCEPT)
                assert status == 200 and h["x-nestbox-mirror"] == "cached", body
                assert [f["filename"] for f in json.loads(body)["files"]] == [cached]
            # a request for a page another is fetching does not queue behind it
            status, h, body = get(front, "/pypi/root/pypi/+simple/nb-cold-a/", JSON_ACCEPT)
            assert status == 503 and int(h["retry-after"]) > 0, (status, body)
            upstream.gate.set()
            answers = [f.result() for f in hanging]
    finally:
        upstream.gate.set()
    # each was either fetched (404: the upstream has no such project) or
    # told to come back (503 Retry-After)
    for status, h, body in answers:
        assert status in (404, 503), (status, body)
        if status == 503:
            assert int(h["retry-after"]) > 0
    # only those that fetched asked the upstream (one at a time per page)
    fetched = sum(1 for p, (status, _, _) in zip(cold, answers) if p == "nb-cold-a" and
                  status == 404)
    assert upstream.count("/simple/nb-cold-a/") == fetched >= 1


@pytest.mark.shipped_procs
def test_hanging_upstream_stalls_no_one_else(make_nb, upstream, tmpdir_shared):
    nb = start_px(make_nb, NESTBOX_PYPI__MIRROR_TIMEOUT="60")
    check_others_answered_while_hanging(nb, upstream, tmpdir_shared)


@pytest.mark.shipped_procs
def test_hanging_upstream_stalls_no_one_else_on_apache(make_nb, upstream, tmpdir_shared):
    from test_apache import Apache
    nb = make_nb({}, sub="ap")
    nb.ctl("init")
    with open(nb.config, "a") as f:
        f.write("pypi:\n  root_password: %s\n  mirror_timeout: 60\n" % ROOT_PW)
    a = Apache(os.path.join(tmpdir_shared, "apache"), nb)
    a.start()
    try:
        check_others_answered_while_hanging(a, upstream, tmpdir_shared)
    finally:
        a.stop()


def test_failed_upstream_host_is_not_asked_again_for_a_while(make_nb):
    """After a timeout on one page, other pages of the same upstream are
    answered 503 with Retry-After at once, without connecting to it; the
    failure's details (the upstream's address, its status) are not shown."""
    up = Silent()
    try:
        nb = start_px(make_nb, NESTBOX_PYPI__MIRROR_TIMEOUT="1")
        patch_index(nb, "/pypi/root/pypi", {"mirror_url": up.url})
        status, h, body = get(nb, "/pypi/root/pypi/+simple/nb-first/", JSON_ACCEPT)
        assert status in (502, 503), body
        assert up.url.encode() not in body and b"127.0.0.1" not in body
        seen = up.count()
        for p in ("nb-second", "nb-third", "nb-first"):
            status, h, body = get(nb, "/pypi/root/pypi/+simple/%s/" % p, JSON_ACCEPT)
            assert status == 503 and int(h["retry-after"]) > 0, (status, body)
        assert up.count() == seen
        # the program is free for everything else
        assert get(nb, "/pypi/root/pypi", {"Accept": "application/json"})[0] == 200
    finally:
        up.close()


def test_files_redirected_to_another_loopback_port_are_fetched(make_nb, upstream, tmpdir_shared):
    """pypi.org sends its files to another host; an upstream on loopback (a
    LAN mirror) may do the same within its own space (a public one may not
    send them to an internal address: tests/unit/test_fetch.c)."""
    files = PyPIStandIn(os.path.join(tmpdir_shared, "files.host"))
    try:
        whl, = wheels(os.path.join(tmpdir_shared, "d"), "nb-moved", "1.0")
        upstream.publish("nb-moved", [whl])
        files.publish("nb-moved", [whl])
        upstream.files_at = files.url
        nb = start_px(make_nb)
        point_root_pypi(nb, upstream)
        f = json.loads(page(nb, "nb-moved").body)["files"][0]
        r = nb.get(f["url"])
        assert r.status == 200 and r.body == open(whl, "rb").read()
        path = "/packages/" + f["filename"]
        assert upstream.count(path) == 1 and files.count(path) == 1
        assert mirror_rows(nb) == {f["filename"]: f["hashes"]["sha256"]}
    finally:
        files.stop()


# -- who may point an index at an upstream ---------------------------------

def index_config(front, path):
    r = front.get(path, {"Accept": "application/json"})
    assert r.status == 200, r.body
    return json.loads(r.body)["result"]


def send_config(front, method, path, cfg, auth):
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    h.update(auth)
    return front.request(method, path, h, json.dumps(cfg).encode())


def test_only_root_points_an_index_at_an_upstream(make_nb, upstream, tmpdir_shared):
    """mirror_url makes the server fetch whatever URL it names (an address
    inside its network too): a user's PUT or PATCH that sets or changes it
    is refused (403) and changes nothing; root may, and the owner may then
    send the config back unchanged (devpi's client PATCHes it whole)."""
    nb = start_px(make_nb)
    alice = basic("alice", "alice-pw")
    put_json(nb, "/pypi/alice", {"password": "alice-pw"}, basic("root", ROOT_PW))
    internal = "http://127.0.0.1:%d/simple/" % free_port()
    r = send_config(nb, "PUT", "/pypi/alice/m", {"type": "mirror", "mirror_url": internal}, alice)
    assert r.status == 403 and b"mirror_url" in r.body, r.body
    assert nb.get("/pypi/alice/m", {"Accept": "application/json"}).status == 404
    put_json(nb, "/pypi/alice/dev", {}, alice)
    for cfg in ({"mirror_url": internal}, {"type": "mirror", "mirror_url": internal}):
        r = send_config(nb, "PATCH", "/pypi/alice/dev", cfg, alice)
        assert r.status == 403, r.body
    cfg = index_config(nb, "/pypi/alice/dev")
    assert cfg["type"] == "stage" and not cfg.get("mirror_url")
    # root may; the owner keeps it and changes the rest
    r = send_config(nb, "PATCH", "/pypi/alice/dev", {"type": "mirror",
                                                    "mirror_url": upstream.url + "/simple/"},
                    basic("root", ROOT_PW))
    assert r.status == 200, r.body
    cfg = index_config(nb, "/pypi/alice/dev")
    cfg.pop("projects", None)
    cfg["title"] = "Alice's mirror"
    r = send_config(nb, "PATCH", "/pypi/alice/dev", cfg, alice)
    assert r.status == 200, r.body
    r = send_config(nb, "PATCH", "/pypi/alice/dev", {"mirror_url": internal}, alice)
    assert r.status == 403, r.body
    cfg = index_config(nb, "/pypi/alice/dev")
    assert cfg["mirror_url"] == upstream.url + "/simple/" and cfg["title"] == "Alice's mirror"


def test_user_mirrors_lets_users_point_indexes_at_upstreams(make_nb, upstream, tmpdir_shared):
    nb = start_px(make_nb, NESTBOX_PYPI__USER_MIRRORS="true")
    alice = basic("alice", "alice-pw")
    put_json(nb, "/pypi/alice", {"password": "alice-pw"}, basic("root", ROOT_PW))
    r = send_config(nb, "PUT", "/pypi/alice/m", {"type": "mirror",
                                                "mirror_url": upstream.url + "/simple/"}, alice)
    assert r.status == 201, r.body
    assert index_config(nb, "/pypi/alice/m")["mirror_url"] == upstream.url + "/simple/"
