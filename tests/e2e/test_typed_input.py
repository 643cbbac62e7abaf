"""Declared route input: a refused field is answered by the program, with
a body that names it, before any handler runs (list, update and log)."""
import os

import pytest

from conftest import make_raw_image


@pytest.fixture
def served(nb, tmpdir_shared):
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"))
    nb.ctl("init")
    assert nb.import_image(raw, "box1", "rpi4", "master", "1.0") == "box1/box1-rpi4-master-1.0"
    nb.start()
    return nb


@pytest.mark.parametrize("path,field", [
    ("/update?name=box1&board=rpi4/../..&version=1.0", "board"),
    ("/update?name=..&board=secret&version=s", "name"),
    ("/update?name=box1&board=rpi4&branch=a%20b", "branch"),
    ("/update?name=box1&board=rpi4&version=1.0%2f..", "version"),
    ("/update/box1/box1-rpi4-*", "image"),
    ("/update/.box/x/1", "box"),
])
def test_refused_field_is_400_naming_it(served, path, field):
    r = served.get(path)
    assert (r.status, r.body) == (400, b"invalid " + field.encode() + b"\n")


def test_valid_query_still_served(served):
    r = served.get("/update?name=box1&board=rpi4&branch=&version=1.0&build_id=")
    assert r.status == 200
    assert len(r.body) > 512          # the whole tar, not the empty answer


def test_echo_rest_may_be_empty(served):
    assert served.get("/log/echo/").status == 200
    assert served.get("/log/echo/a/b").status == 200
