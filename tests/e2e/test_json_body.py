"""The routes whose body is JSON (the DDI API's feedback, confirmation,
configData and installedBase; the admin API's JSON bodies) refuse a body
of another media type, 415 before anything runs (src/lib/route.h
ROUTE_JSON_BODY), and take what the real clients send: SWUpdate's
"application/json", rauc-hawkbit-updater's "application/json;charset=UTF-8",
no Content-Type at all, any case, a "+json" type."""
import json

import pytest

from admin_client import Browser
from test_admin_ddi import token
from test_ddi import BASE

DDI_JSON_ROUTES = [
    ("PUT", "configData"),
    ("POST", "deploymentBase/1/feedback"),
    ("POST", "cancelAction/1/feedback"),
    ("PUT", "installedBase"),
    ("POST", "confirmationBase/activateAutoConfirm"),
    ("POST", "confirmationBase/deactivateAutoConfirm"),
    ("POST", "confirmationBase/1/feedback"),
]
NOT_JSON = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/xml", "application/jsonx", "text/json"]
JSON_TYPES = [None, "application/json", "application/json;charset=UTF-8",
              "Application/JSON ; Charset=utf-8", "application/hal+json"]


@pytest.fixture
def served(make_nb):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.ctl("device", "add", "dev1", "--token", "tok-1")
    nb.start()
    return nb


def send(nb, method, path, ctype, body, headers=None):
    h = dict(headers or {})
    if ctype is not None:
        h["Content-Type"] = ctype
    return nb.request(method, path, h, body)


def devices(nb):
    with nb.db() as c:
        return c.execute("SELECT controller_id, attributes FROM ddi_devices ORDER BY 1").fetchall()


def test_ddi_json_routes_refuse_other_types(served):
    """Every JSON route of the DDI API: 415 in the API's JSON, for a known
    device and for one not registered yet (no device is made: the type is
    refused before authentication registers anyone)."""
    nb = served
    before = devices(nb)
    for method, rest in DDI_JSON_ROUTES:
        for dev in ("dev1", "newdev"):
            for ctype in NOT_JSON:
                r = send(nb, method, BASE + dev + "/" + rest, ctype, b"{}",
                         {"Authorization": "TargetToken tok-1"})
                assert r.status == 415, (method, rest, dev, ctype, r.status, r.body)
                assert json.loads(r.body)["status"] == 415
                assert "JSON" in json.loads(r.body)["error"]
    assert devices(nb) == before


def test_ddi_json_routes_take_json_and_no_type(served):
    """configData with each type a client sends (or none) is stored; an
    empty body with a form type is no body (activateAutoConfirm's is
    optional)."""
    nb = served
    auth = {"Authorization": "TargetToken tok-1"}
    for i, ctype in enumerate(JSON_TYPES):
        body = json.dumps({"data": {"sw_version": "1.%d" % i}, "mode": "merge"}).encode()
        r = send(nb, "PUT", BASE + "dev1/configData", ctype, body, auth)
        assert r.status == 200, (ctype, r.status, r.body)
        assert json.loads(dict(devices(nb))["dev1"])["sw_version"] == "1.%d" % i
    r = send(nb, "POST", BASE + "dev1/confirmationBase/activateAutoConfirm",
             "application/x-www-form-urlencoded", b"", auth)
    assert r.status == 200, r.body


def test_admin_json_api_refuses_other_types(served):
    """The admin API's JSON-body routes: 415 in JSON for a form or text
    body, nothing stored; the same body as JSON (or untyped) reaches the
    handler, whose own refusal shows it was read."""
    nb = served
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    auth = token(b)
    with nb.db() as c:
        uid = c.execute("SELECT id FROM users WHERE name = 'admin'").fetchone()[0]
        counts = [c.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                  for t in ("ddi_rollouts", "ddi_software", "users")]
    cases = [("/admin/api/rollouts", b'{"feed": "f"}', "software_id must be a software's id"),
             ("/admin/api/rollouts/1/stage", b'{"percent": 101}', "percent must be 1-100"),
             ("/admin/api/software/url", b'{"url": 5}',
              "url must be a string of at most 1023 bytes"),
             ("/admin/api/users/%d/password" % uid, b'{"password": "short"}',
              "password must be a string of 8 to 255 bytes")]
    for path, body, said in cases:
        for ctype in ("application/x-www-form-urlencoded", "text/plain"):
            r = b.request("POST", path, body, dict(auth, **{"Content-Type": ctype}))
            assert r.status == 415, (path, ctype, r.status, r.text)
            assert json.loads(r.body)["status"] == 415
        for ctype in (None, "application/json", "application/json; charset=UTF-8"):
            h = dict(auth, **({"Content-Type": ctype} if ctype else {}))
            r = b.request("POST", path, body, h)
            assert r.status == 400 and json.loads(r.body)["error"] == said, (path, r.text)
    with nb.db() as c:
        assert [c.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                for t in ("ddi_rollouts", "ddi_software", "users")] == counts
