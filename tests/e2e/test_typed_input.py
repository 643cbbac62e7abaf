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


# A declared field given twice is refused by the router of every program
# that declares query or form fields, naming the field, before any
# handler (or, for the admin's form, the login) runs.  list, log and
# mip-index declare none: what they are asked is the path alone.
@pytest.mark.parametrize("method,path,body", [
    ("GET", "/update?name=box1&board=rpi4&name=box2&version=1.0", None),
    ("GET", "/admin/login?next=/admin/&next=//elsewhere", None),
    ("POST", "/admin/login", b"username=a&password=x&username=b"),
    ("GET", "/DEFAULT/controller/v1/dev1/deploymentBase/1?actionHistory=1&actionHistory=9",
     None),
    ("GET", "/ota/api/repos/octo/app/git/trees/main?recursive=1&recursive=", None),
    ("DELETE", "/pypi/root/dev/pkg?force&force=false", None),
])
def test_declared_field_twice_is_400_naming_it(served, method, path, body):
    field = {"/update": "name", "/admin/login": "next" if body is None else "username",
             "/DEFAULT": "actionHistory", "/ota/api": "recursive",
             "/pypi/root": "force"}
    name = next(v for k, v in field.items() if path.startswith(k))
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    r = served.request(method, path, headers, body)
    assert r.status == 400, (path, r.status, r.body)
    assert b"invalid " + name.encode() + b": given more than once" in r.body, r.body


def test_repeated_undeclared_field_is_not_read(served):
    # echo shows the query as it came: it declares no field, so both stay
    import json
    r = served.get("/log/echo?a=1&a=2")
    assert r.status == 200, r.body
    assert json.loads(r.body)["query"] == {"a": ["1", "2"]}
