"""Immutable raw files (by tag or commit id) are sent by the front end, not
by ota.fcgi: the program answers X-Sendfile with the blob's path and no
body, and lighttpd and Apache (mod_xsendfile) send the bytes with an exact
Content-Length.  A whole board run through Apache too, with a private
repository's token passed through mod_fcgid."""
import os
import shutil

import pytest

from conftest import Nestbox
from ota_board import Board
from test_apache import MODULES, Apache
from test_framing import cgi, framed
from test_ota import write_tree

FILES = {"main.py": b"print('fe')\n", "lib/big.bin": bytes(range(256)) * 300,
         "lib/u.py": b"U = 1\n"}


def published(nb, tmp):
    src = os.path.join(tmp, "src")
    write_tree(src, FILES)
    nb.ctl("init")
    nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", src)
    nb.ctl("ota", "push", "--repo", "acme/app", "--branch", "main", src)
    with nb.db() as db:
        return db.execute("SELECT commit_sha FROM ota_releases").fetchone()[0]


def test_raw_files_are_handed_to_the_front_end(tmpdir_shared):
    nb = Nestbox(tmpdir_shared)
    commit = published(nb, tmpdir_shared)
    on = {"NESTBOX_SERVER__XSENDFILE": "true"}
    for ref in ("v1", commit, "main"):
        a = cgi(nb, "ota", "GET", "/ota/raw/acme/app/%s/lib/big.bin" % ref, env=on)
        assert a.status == 200 and a.has("x-sendfile"), a.lines
        framed(a)
        with open(a.one("x-sendfile"), "rb") as f:
            assert f.read() == FILES["lib/big.bin"]
        assert a.one("etag").strip('"') in a.one("x-sendfile")
    # without X-Sendfile the program streams the same bytes, framed exactly
    a = cgi(nb, "ota", "GET", "/ota/raw/acme/app/v1/lib/big.bin",
            env={"NESTBOX_SERVER__XSENDFILE": "false"})
    assert a.status == 200 and not a.has("x-sendfile") and a.body == FILES["lib/big.bin"]
    framed(a)
    # the API answers are the program's own, with their exact length
    for uri in ("/ota/api/repos/acme/app/releases/latest",
                "/ota/api/repos/acme/app/git/ref/tags/v1",
                "/ota/api/repos/acme/app/git/trees/%s?recursive=1" % commit,
                "/ota/raw/acme/app/v1/missing.py"):
        framed(cgi(nb, "ota", "GET", uri, env=on))


def test_raw_files_through_lighttpd(nb, tmpdir_shared):
    commit = published(nb, tmpdir_shared)
    nb.start()
    for ref in ("v1", commit):
        for path, data in FILES.items():
            r = nb.get("/ota/raw/acme/app/%s/%s" % (ref, path))
            assert r.status == 200 and r.body == data
            assert int(r.header("content-length")) == len(data)
            assert r.header("x-sendfile") is None and r.header("transfer-encoding") is None


@pytest.fixture
def apache_ota(tmpdir_shared):
    if not shutil.which("apache2") or not os.path.exists(MODULES + "/mod_fcgid.so"):
        pytest.fail("apache2 with mod_fcgid is required (make deps installs it)")
    nb = Nestbox(tmpdir_shared)
    commit = published(nb, tmpdir_shared)
    nb.ctl("ota", "repo", "--repo", "acme/app", "--private")
    token = nb.ctl("ota", "token", "--repo", "acme/app", "--name", "ap-board").stdout.strip()
    a = Apache(os.path.join(tmpdir_shared, "apache"), nb)
    # boards send Host without the port, and Apache then says port 80: the
    # links nestbox hands out come from server.base_url (README)
    with open(nb.config) as f:
        conf = f.read()
    with open(nb.config, "w") as f:
        f.write(conf.replace("server:\n", "server:\n  base_url: %s\n" % a.url, 1))
    a.start()
    yield a, nb, commit, token
    a.stop()


def test_board_and_raw_files_through_apache(apache_ota, tmpdir_shared):
    a, nb, commit, token = apache_ota
    auth = {"Authorization": "token " + token}
    for ref in ("v1", commit):
        r = a.get("/ota/raw/acme/app/%s/lib/big.bin" % ref, auth)
        assert r.status == 200 and r.body == FILES["lib/big.bin"], a.read_log()
        assert int(r.header("content-length")) == len(FILES["lib/big.bin"])
        assert r.header("x-sendfile") is None
        assert a.get("/ota/raw/acme/app/%s/lib/big.bin" % ref).status == 404   # private
    board = Board(a.url + "/ota/api", a.url + "/ota/raw", "acme", "app",
                  os.path.join(tmpdir_shared, "board"), token=token)
    m = board.run()
    assert m["version"] == "v1" and board.files() == FILES
    assert board.run() is False
    out = nb.ctl("ota", "boards", "--json").stdout
    assert '"ap-board"' in out and '"3/3"' in out
