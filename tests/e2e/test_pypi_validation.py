"""Input the Python index must refuse, through every door that takes it:
deletes that would leave another index's base dangling, +login tokens
that outlive the password, JSON bodies with bytes after the object or
that are not UTF-8, methods and missing things answered by their own
status, control characters in text that pages and logs show, wheels and
sdists whose members climb out of the unpack directory, a path in the
upload's file name, a file name that differs only in case from one
already there, and upload form fields given twice.  Each refusal is a
4xx (or a non-zero exit) and changes nothing."""
import base64
import io
import json
import os
import tarfile
import zipfile

from pypi_dists import basic, make_sdist, make_wheel, upload_form
from test_pypi_ops import ROOT_PW, config, ctl, ok, store_counts
from test_pypi_ops import px, team, dists  # noqa: F401  (fixtures)

ALICE = basic("alice", "alice-pw")
ROOT = basic("root", ROOT_PW)
JSON_CT = {"Content-Type": "application/json"}


def jreq(nb, method, path, body, auth=ALICE):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return nb.request(method, "/pypi/" + path, dict(JSON_CT, **auth), body)


def upload(nb, index, path, auth=ALICE):
    body, headers = upload_form(path)
    return nb.request("POST", "/pypi/%s/" % index, dict(headers, **auth), body)


def raw_form(parts, boundary="----nestboxrawform"):
    """A multipart body of (name, value or (filename, bytes)) in order."""
    out = io.BytesIO()
    for name, v in parts:
        if isinstance(v, tuple):
            out.write(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                       "Content-Type: application/octet-stream\r\n\r\n"
                       % (boundary, name, v[0])).encode())
            out.write(v[1] + b"\r\n")
        else:
            out.write(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                       % (boundary, name, v)).encode())
    out.write(("--%s--\r\n" % boundary).encode())
    return out.getvalue(), {"Content-Type": "multipart/form-data; boundary=" + boundary}


def twine_parts(path, filename=None):
    data = open(path, "rb").read()
    fn = os.path.basename(path)
    name, version = fn.split("-")[:2]
    return [("name", name), ("version", version), ("filetype", "bdist_wheel"),
            ("pyversion", "py3"), ("metadata_version", "2.1"), (":action", "file_upload"),
            ("protocol_version", "1"), ("content", (filename or fn, data))]


def post_form(nb, index, parts, auth=ALICE):
    body, headers = raw_form(parts)
    return nb.request("POST", "/pypi/%s/" % index, dict(headers, **auth), body)


# -- 1. a base in use ------------------------------------------------------------

def test_a_base_in_use_cannot_be_deleted(team):
    nb, _ = team
    ok(ctl(nb, "user", "add", "bob", stdin="bob-pw\n"))
    ok(ctl(nb, "index", "create", "bob/app", "bases=alice/dev"))
    before = store_counts(nb)
    # the index another user's index inherits from, and its user
    r = nb.request("DELETE", "/pypi/alice/dev", ALICE)
    assert r.status == 409 and b"bob/app" in r.body, (r.status, r.body)
    r = nb.request("DELETE", "/pypi/alice", ROOT)
    assert r.status == 409 and b"bob/app" in r.body, (r.status, r.body)
    r = nb.request("DELETE", "/pypi/alice", ALICE)
    assert r.status == 409 and b"bob/app" in r.body
    # an index the same user's other index inherits from
    r = nb.request("DELETE", "/pypi/alice/base", ALICE)
    assert r.status == 409 and b"alice/dev" in r.body
    # root's mirror, a base of alice/dev
    r = nb.request("DELETE", "/pypi/root/pypi", ROOT)
    assert r.status == 409 and b"alice/dev" in r.body
    # the operator's command says the same
    p = ctl(nb, "index", "delete", "alice/dev")
    assert p.returncode != 0 and "bob/app" in p.stderr, p.stderr
    p = ctl(nb, "user", "delete", "alice")
    assert p.returncode != 0 and "bob/app" in p.stderr, p.stderr
    assert store_counts(nb) == before
    assert config(nb, "bob", "app")["bases"] == ["alice/dev"]
    # once nothing uses them they go; a user's own indexes go with it
    assert jreq(nb, "PATCH", "bob/app", {"bases": []}, basic("bob", "bob-pw")).status == 200
    assert nb.request("DELETE", "/pypi/alice", ALICE).status == 200
    assert nb.get("/pypi/alice/base", {"Accept": "application/json"}).status == 404
    # a later user of the same name inherits nothing: nothing named it
    ok(ctl(nb, "user", "add", "alice", stdin="alice-pw\n"))
    assert config(nb, "bob", "app")["bases"] == []


# -- 2. tokens and passwords -------------------------------------------------------

def login_token(nb, user, pw):
    r = jreq(nb, "POST", "+login", {"user": user, "password": pw}, {})
    assert r.status == 200, r.body
    return json.loads(r.body)["result"]["password"]


def devpi_auth(user, token):
    return {"X-Devpi-Auth": base64.b64encode(("%s:%s" % (user, token)).encode()).decode()}


def test_a_new_password_ends_the_login_tokens(team):
    nb, _ = team
    t1 = login_token(nb, "alice", "alice-pw")
    t2 = login_token(nb, "alice", "alice-pw")
    assert jreq(nb, "PATCH", "alice", {"email": "a@x.org"}, basic("alice", t1)).status == 200
    assert jreq(nb, "PATCH", "alice", {"email": "b@x.org"}, devpi_auth("alice", t2)).status == 200
    # an email change keeps them; a password change through the API ends both
    assert jreq(nb, "PATCH", "alice", {"password": "alice-pw-2"}, basic("alice", t1)).status == 200
    for auth in (basic("alice", t1), devpi_auth("alice", t2)):
        r = jreq(nb, "PATCH", "alice", {"email": "c@x.org"}, auth)
        assert r.status == 401, (auth, r.status)
    # and through nestboxctl
    t3 = login_token(nb, "alice", "alice-pw-2")
    assert jreq(nb, "PATCH", "alice", {"email": "d@x.org"}, basic("alice", t3)).status == 200
    ok(ctl(nb, "user", "passwd", "alice", stdin="alice-pw-3\n"))
    assert jreq(nb, "PATCH", "alice", {"email": "e@x.org"}, basic("alice", t3)).status == 401
    # another user's tokens stay
    tr = login_token(nb, "root", ROOT_PW)
    ok(ctl(nb, "user", "passwd", "alice", stdin="alice-pw-4\n"))
    assert jreq(nb, "PATCH", "root", {"email": "r@x.org"}, basic("root", tr)).status == 200


# -- 3. JSON bodies ------------------------------------------------------------------

def test_json_bodies_are_one_utf8_object(team):
    nb, d = team
    assert upload(nb, "alice/dev", make_wheel(d, "jsonpkg", "1.0")).status == 200
    before = store_counts(nb)
    cases = [
        ("PUT", "alice/j1", b'{"title":"a"}xyz'),
        ("PUT", "alice/j1", b'{"title":"a"} {"title":"b"}'),
        ("PATCH", "alice/dev", b'{"title":"a"}]'),
        ("PATCH", "alice/dev", b'{"title":"\xe9t\xe9"}'),
        ("PATCH", "alice", b'{"email":"a@x"}garbage'),
        ("PATCH", "alice/dev/jsonpkg/1.0", b'{"yanked":true}x'),
    ]
    for method, path, body in cases:
        r = jreq(nb, method, path, body)
        assert r.status == 400, (method, path, body, r.status, r.body)
    r = jreq(nb, "PUT", "zed", b'{"password":"p"}xyz', ROOT)
    assert r.status == 400 and b"more than one JSON value" in r.body, r.body
    r = jreq(nb, "POST", "+login", b'{"user":"alice","password":"alice-pw"}xyz', {})
    assert r.status == 400, r.body
    r = jreq(nb, "POST", "+login", b'{"user":"alice","password":"\xff"}', {})
    assert r.status == 400 and b"UTF-8" in r.body, r.body
    assert store_counts(nb) == before
    assert config(nb, "alice", "dev")["title"] == ""
    # blanks after the object are JSON's own
    assert jreq(nb, "PATCH", "alice/dev", b'{"title":"t"} \r\n').status == 200


# -- 4. statuses ------------------------------------------------------------------------

def test_login_takes_post_only(px):
    for method in ("GET", "HEAD", "PUT", "DELETE"):
        r = px.request(method, "/pypi/+login")
        assert r.status == 405, (method, r.status, r.body)
        assert r.header("Allow") == "POST", (method, r.headers)


def test_deleting_what_is_not_there_is_404(team):
    nb, _ = team
    ok(ctl(nb, "user", "add", "bob", stdin="bob-pw\n"))
    for auth in (ALICE, ROOT, {}):
        assert nb.request("DELETE", "/pypi/nosuch", auth).status == 404, auth
        assert nb.request("DELETE", "/pypi/alice/nosuch", auth).status == 404, auth
    # what is there is still another user's: 403, and 401 for no one
    assert nb.request("DELETE", "/pypi/bob", ALICE).status == 403
    assert nb.request("DELETE", "/pypi/bob", {}).status == 401
    assert nb.request("DELETE", "/pypi/alice/dev", basic("bob", "bob-pw")).status == 403


def test_volatile_is_a_json_boolean(team):
    nb, _ = team
    before = store_counts(nb)
    for v in ("False", "false", "true", 0, 1, None):
        r = jreq(nb, "PATCH", "alice/dev", {"volatile": v})
        assert r.status == 400 and b"volatile" in r.body, (v, r.status, r.body)
        r = jreq(nb, "PUT", "alice/v1", {"volatile": v})
        assert r.status == 400 and b"volatile" in r.body, (v, r.status)
    assert store_counts(nb) == before
    assert config(nb, "alice", "dev")["volatile"] is True
    assert jreq(nb, "PATCH", "alice/dev", {"volatile": False}).status == 200
    assert config(nb, "alice", "dev")["volatile"] is False
    # the operator's text door still reads the words
    ok(ctl(nb, "index", "modify", "alice/dev", "volatile=True"))
    assert config(nb, "alice", "dev")["volatile"] is True
    p = ctl(nb, "index", "modify", "alice/dev", "volatile=maybe")
    assert p.returncode != 0 and "volatile" in p.stderr


# -- 5. one line of text ---------------------------------------------------------------

def test_text_fields_hold_no_control_characters(team):
    nb, d = team
    assert upload(nb, "alice/dev", make_wheel(d, "textpkg", "1.0")).status == 200
    before = store_counts(nb)
    for bad in ("a\nb", "a\rb", "\x1b[31mred", "a\x7f", "a\u0085b", "a\u009bb"):
        r = jreq(nb, "PATCH", "alice/dev", {"title": bad})
        assert r.status == 400 and b"title" in r.body, (bad, r.body)
        r = jreq(nb, "PATCH", "alice", {"email": bad})
        assert r.status == 400 and b"email" in r.body, (bad, r.body)
        r = jreq(nb, "PUT", "carol", {"password": "pw", "email": bad}, ROOT)
        assert r.status == 400 and b"email" in r.body, (bad, r.body)
        r = jreq(nb, "PATCH", "alice/dev/textpkg/1.0", {"yanked": bad})
        assert r.status == 400 and b"yank reason" in r.body, (bad, r.body)
    p = ctl(nb, "yank", "alice/dev", "textpkg", "1.0", "--reason", "bad\x1b[0m")
    assert p.returncode != 0, p.stdout
    p = ctl(nb, "index", "modify", "alice/dev", "title=a\x1bb")
    assert p.returncode != 0 and "title" in p.stderr
    assert store_counts(nb) == before
    with nb.db() as db:
        assert db.execute("SELECT count(*) FROM pypi_files WHERE yanked IS NOT NULL"
                          ).fetchone()[0] == 0
    # printable text, non-ASCII included, still goes in
    assert jreq(nb, "PATCH", "alice/dev", {"title": "Équipe — dev"}).status == 200
    r = jreq(nb, "PATCH", "alice/dev/textpkg/1.0", {"yanked": "broken on Python 3.13"})
    assert r.status == 200


# -- 6. wheels, sdists and file names ----------------------------------------------------

def with_member(path, member, out):
    data = open(path, "rb").read()
    open(out, "wb").write(data)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr(zipfile.ZipInfo(member), b"x = 1\n")
    return out


def test_archive_members_stay_inside(team, tmpdir_shared):
    nb, d = team
    whl = make_wheel(d, "Climb", "1.0")
    name = os.path.basename(whl)
    before = store_counts(nb)
    for i, member in enumerate(("../evil.py", "climb/../../evil.py", "/etc/evil.py",
                                "climb\\..\\evil.py", "C:/evil.py", "..")):
        sub = os.path.join(tmpdir_shared, "members%d" % i)
        os.makedirs(sub)
        bad = with_member(whl, member, os.path.join(sub, name))
        r = upload(nb, "alice/dev", bad)
        assert r.status == 400 and b"not a valid wheel" in r.body, (member, r.status, r.body)
        p = ctl(nb, "upload", "alice/dev", bad)
        assert p.returncode != 0 and "not a valid wheel" in p.stderr, (member, p.stderr)
    # an sdist whose tar climbs out
    sd = make_sdist(d, "Climb", "1.0")
    sub = os.path.join(tmpdir_shared, "tarclimb")
    os.makedirs(sub)
    bad = os.path.join(sub, os.path.basename(sd))
    with tarfile.open(sd) as src, tarfile.open(bad, "w:gz") as t:
        for m in src.getmembers():
            t.addfile(m, src.extractfile(m))
        ti = tarfile.TarInfo("Climb-1.0/../../evil.py")
        ti.size = 6
        t.addfile(ti, io.BytesIO(b"x = 1\n"))
    r = upload(nb, "alice/dev", bad)
    assert r.status == 400 and b"not a valid sdist" in r.body, r.body
    assert store_counts(nb) == before
    # members with dots that climb nowhere are fine
    ok_whl = with_member(whl, "climb/..data/x.py", os.path.join(d, "ok-" + name))
    os.replace(ok_whl, os.path.join(tmpdir_shared, name))
    assert upload(nb, "alice/dev", os.path.join(tmpdir_shared, name)).status == 200


def test_a_path_in_the_upload_file_name_is_refused(team):
    nb, d = team
    whl = make_wheel(d, "Pathy", "1.0")
    before = store_counts(nb)
    for fn in ("../../Pathy-1.0-py3-none-any.whl", "/tmp/Pathy-1.0-py3-none-any.whl",
               "x\\\\Pathy-1.0-py3-none-any.whl", "dir/Pathy-1.0-py3-none-any.whl"):
        r = post_form(nb, "alice/dev", twine_parts(whl, fn))
        assert r.status == 400 and b"path" in r.body, (fn, r.status, r.body)
    assert store_counts(nb) == before
    assert post_form(nb, "alice/dev", twine_parts(whl)).status == 200


def test_a_name_differing_only_in_case_is_the_same_file(team, tmpdir_shared):
    nb, d = team
    first = make_wheel(d, "My_Pkg", "1.2")
    assert upload(nb, "alice/dev", first).status == 200
    other = os.path.join(tmpdir_shared, "lower")
    os.makedirs(other)
    lower = make_wheel(other, "my_pkg", "1.2", summary="other bytes")
    assert os.path.basename(lower) != os.path.basename(first)
    assert os.path.basename(lower).lower() == os.path.basename(first).lower()
    before = store_counts(nb)
    for index in ("alice/dev", "alice/base"):
        if index == "alice/base":
            assert upload(nb, index, first).status == 200
            before = store_counts(nb)
        r = upload(nb, index, lower)
        assert r.status == 409 and os.path.basename(first).encode() in r.body, (index, r.body)
        p = ctl(nb, "upload", index, lower)
        assert p.returncode != 0 and os.path.basename(first) in p.stderr, p.stderr
    assert store_counts(nb) == before
    # the same name again is the same file as before (identical: 200)
    assert upload(nb, "alice/dev", first).status == 200


# -- 7. form fields given twice -----------------------------------------------------------

def test_upload_fields_given_twice_are_refused(team):
    nb, d = team
    whl = make_wheel(d, "Twice", "1.0")
    parts = twine_parts(whl)
    before = store_counts(nb)
    content = parts[-1]
    for field, extra in (("version", ("version", "1.0")), ("name", ("name", "Twice")),
                         ("version", ("version", "9.9")), (":action", (":action", "submit")),
                         ("sha256_digest", ("sha256_digest", "0" * 64)),
                         ("content", content)):
        twice = [extra] if field in [k for k, _ in parts] else [extra, extra]
        form = parts + twice if field == "content" else parts[:1] + twice + parts[1:]
        r = post_form(nb, "alice/dev", form)
        assert r.status == 400, (field, r.status, r.body)
        assert json.loads(r.body)["error"] == 'the form field "%s" is given twice' % field
    assert store_counts(nb) == before
    # list fields repeat by design (twine sends one per classifier)
    r = post_form(nb, "alice/dev", [("classifiers", "A :: B"), ("classifiers", "C :: D")] + parts)
    assert r.status == 200, r.body
