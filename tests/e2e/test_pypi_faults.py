"""Faults found by attacking the Python index as the README describes it:
broken distributions accepted, changes missing from the audit feed, bad
export rows imported, a too permissive index config, duplicate JSON keys,
and operator output that differed from the export.  Each case is refused
with a 4xx (or a non-zero exit) and changes nothing."""
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import tarfile
import zipfile

import pytest

from pypi_dists import basic, make_sdist, make_wheel, metadata, upload_form
from conftest import CGIBIN
from test_pypi_ops import ROOT_PW, config, ctl, ok, store_counts
from test_pypi_ops import px, team, dists  # noqa: F401  (fixtures)

ALICE = basic("alice", "alice-pw")
ROOT = basic("root", ROOT_PW)
JSON_CT = {"Content-Type": "application/json"}


def upload(nb, index, path, auth=ALICE):
    body, headers = upload_form(path)
    return nb.request("POST", "/pypi/%s/" % index, dict(headers, **auth), body)


def cut(path, n, out):
    data = open(path, "rb").read()
    open(out, "wb").write(data[:n] if n >= 0 else data[:len(data) + n])
    return out


def plain_wheel(d, fname, entries):
    path = os.path.join(d, fname)
    with zipfile.ZipFile(path, "w") as z:
        for p, b in entries.items():
            z.writestr(p, b)
    return path


def broken_dists(d):
    """(file name, path) of distributions that must all be refused."""
    os.makedirs(d, exist_ok=True)
    whl = make_wheel(d, "My_Pkg", "1.2")
    name = os.path.basename(whl)
    out = []
    for n in (500, -22, -1, len(open(whl, "rb").read()) // 2):
        out.append((name, cut(whl, n, os.path.join(d, "cut%d.whl" % n))))
    # a stored entry with a flipped byte: its CRC no longer matches
    data = bytearray(open(whl, "rb").read())
    at = data.index(b"VERSION = ")
    data[at] ^= 0x20
    bad = os.path.join(d, "crc.whl")
    open(bad, "wb").write(bytes(data))
    out.append((name, bad))
    info = "My_Pkg-1.2.dist-info/"
    meta = metadata("My_Pkg", "1.2")
    wheel = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    out.append((name, plain_wheel(d, "norecord.whl", {info + "METADATA": meta,
                                                        info + "WHEEL": wheel})))
    out.append((name, plain_wheel(d, "nowheel.whl", {info + "METADATA": meta,
                                                       info + "RECORD": b""})))
    out.append((name, plain_wheel(d, "otherinfo.whl", {"Other-1.2.dist-info/METADATA": meta,
                                                         "Other-1.2.dist-info/WHEEL": wheel,
                                                         "Other-1.2.dist-info/RECORD": b""})))
    sd = make_sdist(d, "My_Pkg", "1.2")
    sname = os.path.basename(sd)
    out.append((sname, cut(sd, -12, os.path.join(d, "cut.tar.gz"))))
    out.append((sname, cut(sd, 60, os.path.join(d, "cut60.tar.gz"))))
    zpath = os.path.join(d, "My_Pkg-1.2.zip")
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("My_Pkg-1.2/PKG-INFO", meta)
        z.writestr("My_Pkg-1.2/setup.py", b"from setuptools import setup\nsetup()\n" * 50)
    out.append(("My_Pkg-1.2.zip", cut(zpath, -30, os.path.join(d, "cutzip.zip"))))
    return whl, sd, out


def test_broken_distributions_are_refused_on_every_upload_path(team, tmpdir_shared):
    nb, d = team
    whl, sd, broken = broken_dists(os.path.join(tmpdir_shared, "broken"))
    before = store_counts(nb)
    for i, (fname, path) in enumerate(broken):
        staged = os.path.join(tmpdir_shared, "staged%d" % i, fname)
        os.makedirs(os.path.dirname(staged))
        shutil.copy(path, staged)
        r = upload(nb, "alice/base", staged)
        assert r.status == 400 and b"not a valid" in r.body, (path, r.status, r.body)
        p = ctl(nb, "upload", "alice/base", staged)
        assert p.returncode == 1 and "not a valid" in p.stderr, (path, p.stderr)
    assert store_counts(nb) == before
    # the good files still go in on the non-volatile index (nothing took their names)
    assert upload(nb, "alice/base", whl).status == 200
    assert upload(nb, "alice/base", sd).status == 200


def audit_rows(nb):
    with nb.db() as db:
        return [tuple(r) for r in db.execute(
            "SELECT \"user\", via, action, target FROM admin_audit WHERE via = 'api' ORDER BY id")]


def test_http_changes_reach_the_audit_feed(team):
    nb, d = team
    req = nb.request
    assert req("PUT", "/pypi/bob", dict(JSON_CT, **ROOT),
               json.dumps({"password": "bob-pw"}).encode()).status == 201
    assert req("PATCH", "/pypi/bob", dict(JSON_CT, **basic("bob", "bob-pw")),
               json.dumps({"email": "b@example.org"}).encode()).status == 200
    assert req("PUT", "/pypi/alice/tmp", dict(JSON_CT, **ALICE), b"{}").status == 201
    assert req("PATCH", "/pypi/alice/tmp", dict(JSON_CT, **ALICE),
               b'{"title":"t"}').status == 200
    whl = make_wheel(d, "audited", "1.0")
    assert upload(nb, "alice/tmp", whl).status == 200
    assert upload(nb, "alice/tmp", make_wheel(d, "audited", "2.0")).status == 200
    assert req("PATCH", "/pypi/alice/tmp/audited/1.0", dict(JSON_CT, **ALICE),
               b'{"yanked":true}').status == 200
    assert req("DELETE", "/pypi/alice/tmp/audited/1.0", ALICE).status == 200
    assert req("DELETE", "/pypi/alice/tmp/audited", ALICE).status == 200
    assert req("DELETE", "/pypi/alice/tmp", ALICE).status == 201
    assert req("DELETE", "/pypi/bob", ROOT).status == 200
    rows = audit_rows(nb)
    want = [("root", "pypi user add", "bob"), ("bob", "pypi user modify", "bob"),
            ("alice", "pypi index create", "alice/tmp"),
            ("alice", "pypi index modify", "alice/tmp"),
            ("alice", "pypi upload", "alice/tmp " + os.path.basename(whl)),
            ("alice", "pypi yank", "alice/tmp audited 1.0"),
            ("alice", "pypi delete", "alice/tmp audited 1.0"),
            ("alice", "pypi delete", "alice/tmp audited"),
            ("alice", "pypi index delete", "alice/tmp"),
            ("root", "pypi user delete", "bob")]
    got = [(u, a, t) for u, via, a, t in rows]
    for w in want:
        assert w in got, (w, got)
    # a refused change leaves no row
    n = len(rows)
    assert req("PUT", "/pypi/alice/tmp2", dict(JSON_CT, **ALICE), b'{"type":"x"}').status == 400
    assert len(audit_rows(nb)) == n


def test_import_refuses_bad_rows(team, make_nb, tmpdir_shared):
    nb, d = team
    ok(ctl(nb, "upload", "alice/base", make_wheel(d, "imp-a", "1.0"),
           make_wheel(d, "imp-b", "1.0")))
    out = os.path.join(tmpdir_shared, "export")
    ok(ctl(nb, "export", out))
    doc = json.load(open(os.path.join(out, "pypi.json")))
    fresh = make_nb({"NESTBOX_PYPI__ROOT_PASSWORD": "another-root"}, sub="fresh-faults")
    fresh.start()
    assert fresh.get("/pypi/root/pypi", {"Accept": "application/json"}).status == 200
    empty = store_counts(fresh)
    bad = os.path.join(tmpdir_shared, "bad")
    shutil.copytree(out, bad)
    f0 = doc["files"][0]
    other = [f for f in doc["files"] if f["project"] != f0["project"]][0]
    cases = [
        ("NUL", dict(doc, files=[dict(f0, filename=f0["filename"][:3] + "\u0000.whl")])),
        ("project", dict(doc, files=[dict(f0, project=other["project"])])),
        ("pw_hash", dict(doc, users=[dict(u, pw_hash="plaintext") for u in doc["users"]])),
        ("name", dict(doc, files=[dict(f0, name="Other")])),
        ("version", dict(doc, files=[dict(f0, version="9.9")])),
    ]
    for what, broken in cases:
        json.dump(broken, open(os.path.join(bad, "pypi.json"), "w"))
        p = ctl(fresh, "import", bad)
        assert p.returncode == 1 and p.stderr.strip(), (what, p.stdout, p.stderr)
        assert store_counts(fresh) == empty, what
    ok(ctl(fresh, "import", out))


def put_index(nb, path, body, auth=ALICE):
    return nb.request("PUT", "/pypi/" + path, dict(JSON_CT, **auth), body)


def patch_index(nb, path, body, auth=ALICE):
    return nb.request("PATCH", "/pypi/" + path, dict(JSON_CT, **auth), body)


def test_index_config_is_strict(team):
    nb, _ = team
    before = store_counts(nb)
    # a base cycle, directly or through another index: 409 (the store's state conflicts)
    r = patch_index(nb, "alice/base", b'{"bases":["alice/dev"]}')
    assert r.status == 409 and b"cycle" in r.body, r.body
    ok(ctl(nb, "index", "create", "alice/mid", "bases=alice/dev"))
    r = patch_index(nb, "alice/base", b'{"bases":"alice/mid"}')
    assert r.status == 409 and b"cycle" in r.body
    p = ctl(nb, "index", "modify", "alice/base", "bases=alice/mid")
    assert p.returncode != 0 and "cycle" in p.stderr
    assert config(nb, "alice", "base")["bases"] == []
    ok(ctl(nb, "index", "delete", "alice/mid"))
    # unknown keys are named and refused
    r = put_index(nb, "alice/y9", b'{"zzz":1}')
    assert r.status == 400 and b"zzz" in r.body
    r = patch_index(nb, "alice/dev", b'{"volatil":false}')
    assert r.status == 400 and b"volatil" in r.body
    p = ctl(nb, "index", "create", "alice/y9", "nokey=1")
    assert p.returncode == 1 and "nokey" in p.stderr
    p = ctl(nb, "index", "create", "alice/y9", "title=a", "title=b")
    assert p.returncode == 2 and "twice" in p.stderr
    # a base named twice, control bytes in the title
    r = put_index(nb, "alice/y9", b'{"bases":["alice/base","alice/base"]}')
    assert r.status == 400 and b"twice" in r.body
    p = ctl(nb, "index", "create", "alice/y9", "bases=alice/base,alice/base")
    assert p.returncode == 1 and "twice" in p.stderr
    r = put_index(nb, "alice/y9", b'{"title":"\\u0000"}')
    assert r.status == 400 and b"NUL" in r.body
    for t in (b'"a\\u0007b"', b'"x\\ny"', b'"\\u007f"'):
        r = put_index(nb, "alice/y9", b'{"title":%s}' % t)
        assert r.status == 400 and b"title" in r.body, t
    p = ctl(nb, "index", "create", "alice/y9", "title=a\tb")
    assert p.returncode == 1 and "title" in p.stderr
    assert store_counts(nb) == before
    assert config(nb, "alice", "dev")["volatile"] is True


def test_duplicate_json_keys_are_refused(team):
    nb, _ = team
    before = store_counts(nb)
    r = nb.request("PUT", "/pypi/dupk", dict(JSON_CT, **ROOT),
                   b'{"password":"a","password":"b"}')
    assert r.status == 400 and b"password" in r.body
    r = nb.request("PATCH", "/pypi/alice", dict(JSON_CT, **ALICE),
                   b'{"email":"a@x","email":"b@x"}')
    assert r.status == 400 and b"email" in r.body
    r = put_index(nb, "alice/dk", b'{"bases":[],"type":"stage","bases":["alice/base"]}')
    assert r.status == 400 and b"bases" in r.body
    r = patch_index(nb, "alice/dev", b'{"title":"a","title":"b"}')
    assert r.status == 400 and b"title" in r.body
    r = nb.request("POST", "/pypi/+login", JSON_CT,
                   b'{"user":"alice","password":"alice-pw","user":"root"}')
    assert r.status == 400 and b"user" in r.body
    # nested objects too
    r = patch_index(nb, "alice/dev", b'{"acl_upload":["alice"],"x":{"k":1,"k":2}}')
    assert r.status == 400
    assert store_counts(nb) == before
    assert config(nb, "alice", "dev")["title"] == ""


def test_index_list_json_is_typed_like_the_export(team, tmpdir_shared):
    nb, _ = team
    listed = {i["index"]: i for i in json.loads(ok(ctl(nb, "index", "list", "--json")).stdout)}
    out = os.path.join(tmpdir_shared, "export-typed")
    ok(ctl(nb, "export", out))
    exported = {"%s/%s" % (i["user"], i["name"]): i
                for i in json.load(open(os.path.join(out, "pypi.json")))["indexes"]}
    for k, ex in exported.items():
        got = listed[k]
        for key in ("volatile", "bases", "acl_upload", "mirror_whitelist"):
            assert got[key] == ex[key], (k, key, got[key], ex[key])
    assert listed["alice/base"]["volatile"] is False
    assert listed["alice/dev"]["bases"] == ["alice/base", "root/pypi"]
    assert listed["alice/base"]["bases"] == []


def test_the_readme_says_how_root_gets_a_password():
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    assert "set through the API" not in readme
    assert "nestboxctl pypi user passwd root" in readme


def run_cgi_fsize(nb, uri, body, headers, fsize, length=None):
    """Runs pypi.fcgi once as plain CGI with no file allowed past fsize
    bytes (SIGXFSZ ignored, so a write there fails with EFBIG as on a
    full disk), announcing length bytes of body; returns (status, body)."""
    e = dict(nb.env)
    e.update(GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="POST", REQUEST_URI=uri,
             SCRIPT_NAME="", PATH_INFO=uri, QUERY_STRING="", SERVER_NAME="127.0.0.1",
             SERVER_PORT="8080", SERVER_PROTOCOL="HTTP/1.1", REMOTE_ADDR="127.0.0.1",
             HTTP_HOST="127.0.0.1:8080", CONTENT_LENGTH=str(len(body) if length is None else length))
    for k, v in headers.items():
        e["CONTENT_TYPE" if k.lower() == "content-type" else
          "HTTP_" + k.upper().replace("-", "_")] = v

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    p = subprocess.run([os.path.join(CGIBIN, "pypi.fcgi")], input=body, env=e,
                       capture_output=True, timeout=120, preexec_fn=limit)
    head, _, rest = p.stdout.partition(b"\r\n\r\n")
    status = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"status:")]
    return int(status[0].split()[1]) if status else 200, rest


def test_upload_that_cannot_be_stored_is_503_and_a_short_body_400(team, tmpdir_shared):
    """A blob write that fails (a full disk) is the server's trouble: 503,
    so twine may retry; a body that ends early is the client's: 400.  Both
    store nothing and leave no temporary file."""
    nb, d = team
    path = os.path.join(d, "My_Pkg-1.2-py3-none-any.whl")
    with open(path, "wb") as f:
        f.write(os.urandom(3 << 20))
    body, headers = upload_form(path)
    headers = dict(headers, **ALICE)
    biggest = max(os.path.getsize(os.path.join(dp, n))
                  for dp, _, ns in os.walk(nb.state) for n in ns)
    before = store_counts(nb)
    status, text = run_cgi_fsize(nb, "/pypi/alice/dev/", body, headers, biggest + (1 << 20))
    assert status == 503, text
    assert b"cannot store the upload" in text
    status, text = run_cgi_fsize(nb, "/pypi/alice/dev/", body[:len(body) // 2], headers,
                                 resource.RLIM_INFINITY, length=len(body))
    assert status == 400, text
    assert store_counts(nb) == before
    left = [n for dp, _, ns in os.walk(nb.state) for n in ns if ".tmp" in n]
    assert left == []


def test_json_routes_refuse_other_media_types(team):
    """The index's JSON bodies (login, user, index and version changes) are
    declared as such: a form or text body is a 415 before any handler runs,
    nothing changes; devpi's client sends application/json, which works."""
    nb, _ = team
    before = store_counts(nb)
    cases = [("POST", "/pypi/+login", {}, b'{"user":"alice","password":"alice-pw"}'),
             ("PUT", "/pypi/carol", ROOT, b'{"password":"carol-pw"}'),
             ("PATCH", "/pypi/alice", ALICE, b'{"email":"a@example.org"}'),
             ("PUT", "/pypi/alice/t415", ALICE, b'{"type":"stage"}'),
             ("PATCH", "/pypi/alice/dev", ALICE, b'{"title":"t415"}'),
             ("PATCH", "/pypi/alice/dev/anything/1.0", ALICE, b'{"yanked":true}')]
    for method, path, auth, body in cases:
        for ctype in ("application/x-www-form-urlencoded", "text/plain"):
            r = nb.request(method, path, dict(auth, **{"Content-Type": ctype}), body)
            assert r.status == 415, (method, path, ctype, r.status, r.body)
            assert json.loads(r.body)["status"] == 415
    assert store_counts(nb) == before
    assert config(nb, "alice", "dev")["title"] == ""
    r = nb.request("POST", "/pypi/+login", JSON_CT, b'{"user":"alice","password":"alice-pw"}')
    assert r.status == 200, r.body
