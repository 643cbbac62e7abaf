"""The rules of names and forms in OTA publishing, each once too loose:
repository names GitHub would refuse, tags git would read as something
else, a form field given twice, a left-out file named with its archive's
top directory or with raw bytes that are not text."""
import hashlib
import json
import os
import subprocess
import tarfile

from admin_client import Browser
from conftest import CTL
from test_ota import write_tree
from test_ota_admin import curl_publish, counts, targz
from test_ota_faults import put, site, tar_of  # noqa: F401 (site: the fixture)


BAD_REPOS = (".git/x", "acme/...", "acme/..", "acme/-x", "acme/app.git", "acme/app.wiki",
             "-acme/app", "acme-/app", "ac--me/app", "ac_me/app", "a.b/app", "a" * 40 + "/app",
             "acme/" + "a" * 101, "acme/a b", "acme")


def test_repository_names_follow_githubs_rules_everywhere(site):
    nb, b, token = site
    arc = put(nb, "app.tar.gz", targz({"main.py": b"1\n"}))
    csrf = b.csrf("/admin/ota")
    for repo in BAD_REPOS:
        status, body = curl_publish(nb, token, arc, "repo=" + repo, "tag=v1")
        assert status == 400 and "owner/name" in json.loads(body)["error"], (repo, body)
        r = b.upload({"csrf": csrf, "repo": repo, "tag": "v1"}, "app.tar.gz",
                     open(arc, "rb").read(), action="/admin/ota/publish")
        assert r.status == 400, (repo, r.status)
        for cmd in (["publish", "--tag", "v1", arc], ["push", "--branch", "main", arc],
                    ["repo"], ["token"], ["key"], ["rollout"], ["boards"]):
            p = subprocess.run([CTL, "ota", cmd[0], "--repo", repo] + cmd[1:], env=nb.env,
                               capture_output=True, text=True)
            assert p.returncode == 2, (repo, cmd, p.returncode, p.stderr)
    assert counts(nb) == (0, 0, 0, 0, 0)
    # the routes that name a repository refuse such names too
    for owner, name in ((".git", "x"), ("acme", "app.git"), ("acme", "-x"), ("ac_me", "app")):
        r = nb.get("/ota/api/repos/%s/%s/releases/latest" % (owner, name))
        assert r.status == 400, (owner, name, r.status)
        r = nb.get("/ota/raw/%s/%s/v1/main.py" % (owner, name))
        assert r.status == 400, (owner, name, r.status)
        r = b.get("/admin/ota/%s/%s" % (owner, name))
        assert r.status == 400, (owner, name, r.status)
    # GitHub's own names pass: a dot first, dots inside, 39 characters of owner
    for repo in ("acme/.github", "acme/a..b", "a1-b2/x_y.z", "a" * 39 + "/" + "b" * 100):
        status, body = curl_publish(nb, token, arc, "repo=" + repo, "tag=v1")
        assert status == 201, (repo, body)
        owner, name = repo.split("/")
        r = nb.get("/ota/api/repos/%s/%s/releases/latest" % (owner, name))
        assert r.status == 200 and json.loads(r.body)["tag_name"] == "v1", (repo, r.status)


def test_tags_and_branches_git_would_misread_are_refused(site):
    nb, b, token = site
    arc = put(nb, "app.tar.gz", targz({"main.py": b"1\n"}))
    hexid = "b917a726c93f902e43291d9009d6488385133b67"
    for name in ("HEAD", "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD", "CHERRY_PICK_HEAD",
                 "AUTO_MERGE", hexid, hexid.upper(), "v1.lock", ".v1", "-v1", "a..b"):
        for field, flag in (("tag", "--tag"), ("branch", "--branch")):
            status, body = curl_publish(nb, token, arc, "repo=acme/app", field + "=" + name)
            assert status == 400 and "bad " + field in json.loads(body)["error"], \
                (name, body)
            p = subprocess.run([CTL, "ota", "publish" if field == "tag" else "push",
                                "--repo", "acme/app", flag, name, arc], env=nb.env,
                               capture_output=True, text=True)
            assert p.returncode == 2, (name, p.returncode, p.stderr)
    assert counts(nb) == (0, 0, 0, 0, 0)
    # names that only look alike are names: lower case, capitals without HEAD, short hex
    for tag in ("head", "RELEASE", "b917a72", "v1-HEAD"):
        status, body = curl_publish(nb, token, arc, "repo=acme/app", "tag=" + tag)
        assert status == 201, (tag, body)


def form_upload(b, fields, data, action):
    """A multipart form with fields in order (a name may come twice), then the file."""
    boundary = "----nestbox-twice"
    parts = [("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
              % (boundary, k, v)).encode() for k, v in fields]
    parts.append(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.tgz\""
                  "\r\n\r\n" % boundary).encode() + data + b"\r\n")
    body = b"".join(parts) + ("--%s--\r\n" % boundary).encode()
    return b.request("POST", action, body,
                     {"Content-Type": "multipart/form-data; boundary=" + boundary})


def test_a_field_given_twice_is_refused_naming_it(site):
    nb, b, token = site
    arc = put(nb, "app.tar.gz", targz({"main.py": b"1\n"}))
    for fields in (["tag=v1", "tag=v2"], ["repo=acme/other", "tag=v1"],
                   ["tag=v1", "version=1", "version=2"], ["branch=main", "branch=dev"]):
        status, body = curl_publish(nb, token, arc, "repo=acme/app", *fields)
        assert status == 400, (fields, body)
        field = [f.split("=")[0] for f in ["repo=acme/app"] + fields]
        twice = [f for f in field if field.count(f) > 1][0]
        assert json.loads(body)["error"] == twice + " given twice", body
    # the page's form: drawn again with the field marked
    csrf = b.csrf("/admin/ota")
    r = form_upload(b, [("csrf", csrf), ("repo", "acme/app"), ("tag", "v1"), ("tag", "v2")],
                    open(arc, "rb").read(), "/admin/ota/publish")
    assert r.status == 400 and "tag given twice" in r.text, (r.status, r.text[:300])
    assert counts(nb) == (0, 0, 0, 0, 0)


def test_left_out_files_are_named_inside_the_release_as_text(site):
    nb, b, token = site
    arc = put(nb, "app.tar.gz", tar_of([
        ("build/main.py", "file", b"1\n"),
        ("build/.env", "file", b"SECRET=1\n"),
        ("build/lib/.cache/x", "file", b"2\n"),
        ("build/link.py", tarfile.SYMTYPE, "main.py")]))
    status, body = curl_publish(nb, token, arc, "repo=acme/app", "tag=v1")
    assert status == 201, body
    out = json.loads(body)
    assert sorted(s["path"] for s in out["skipped"]) == [".env", "lib/.cache/x", "link.py"], out
    # raw bytes that are no UTF-8 in a left-out name: shown escaped, the body is JSON
    raw = put(nb, "raw.tar.gz", tar_of([
        ("top/main.py", "file", b"1\n"),
        ("top/l\xffnk".encode("latin-1").decode("utf-8", "surrogateescape"), tarfile.SYMTYPE,
         "main.py")]))
    status, body = curl_publish(nb, token, raw, "repo=acme/app", "tag=v2")
    assert status == 201, body
    body.encode("utf-8")
    assert [s["path"] for s in json.loads(body)["skipped"]] == ["l\\xffnk"], body
    # and in a refusal: a path the updater refuses, with a byte that is no text
    bad = put(nb, "bad.tar.gz", tar_of([
        ("main.py", "file", b"1\n"),
        ("lib/\xfe\xff.py".encode("latin-1").decode("utf-8", "surrogateescape"), "file",
         b"x\n")]))
    p = subprocess.run(["curl", "-sS", "-H", "Authorization: Bearer " + token,
                        "-F", "repo=acme/app", "-F", "tag=v3", "-F", "file=@" + bad,
                        nb.url + "/admin/api/ota/publish"], capture_output=True, check=True)
    msg = json.loads(p.stdout.decode("utf-8"))["error"]
    assert "lib/\\xfe\\xff.py" in msg and "not UTF-8" in msg, msg
    # a cut UTF-8 character at the message's length limit stays whole or goes
    long_name = "\u00e9" * 200 + "/\x01.py"
    arc = put(nb, "long.tar.gz", tar_of([("main.py", "file", b"1\n"), (long_name, "file", b"x")]))
    p = subprocess.run(["curl", "-sS", "-H", "Authorization: Bearer " + token,
                        "-F", "repo=acme/app", "-F", "tag=v3", "-F", "file=@" + arc,
                        nb.url + "/admin/api/ota/publish"], capture_output=True, check=True)
    msg = json.loads(p.stdout.decode("utf-8"))["error"]
    assert msg.startswith("the upload: " + "\u00e9" * 10) and "..." in msg, msg
    # a directory's left-out names, through nestboxctl, are inside the source too
    src = os.path.join(nb.tmp, "dir")
    write_tree(src, {"main.py": b"2\n", ".env": b"x\n"})
    p = nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v4", src)
    assert "left out .env (hidden" in p.stderr, p.stderr


def test_made_up_tokens_are_anonymous_and_the_inventory_is_bounded(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_OTA__MAX_BOARDS": "3", "NESTBOX_OTA__ROLLOUT_START": "50"}).start()
    for tag in ("v1", "v2"):
        src = os.path.join(tmpdir_shared, "src-" + tag)
        write_tree(src, {"main.py": tag.encode()})
        nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", tag, src)
    latest = "/ota/api/repos/acme/app/releases/latest"
    anon = json.loads(nb.get(latest).body)["tag_name"]
    # a board choosing its token chooses neither a row nor its rollout bucket
    for i in range(40):
        r = nb.get(latest, {"Authorization": "token made-up-%d" % i})
        assert r.status == 200 and json.loads(r.body)["tag_name"] == anon, (i, r.body)
        nb.get("/ota/raw/acme/app/%s/main.py" % anon, {"Authorization": "token x%d" % i})
    with nb.db() as db:
        rows = db.execute("SELECT board_key, name FROM ota_boards").fetchall()
    assert rows == [("a:127.0.0.1", "127.0.0.1")], rows
    # the repository's own tokens are boards of their own, up to ota.max_boards
    for i in range(5):
        t = nb.ctl("ota", "token", "--repo", "acme/app", "--name", "b%d" % i).stdout.strip()
        assert nb.get(latest, {"Authorization": "token " + t}).status == 200
        assert nb.get("/ota/api/repos/acme/app/git/ref/tags/v1",
                      {"Authorization": "token " + t}).status == 200
    with nb.db() as db:
        names = sorted(r[0] for r in db.execute("SELECT name FROM ota_boards"))
    assert names == ["127.0.0.1", "b0", "b1"], names


def test_concurrent_publishes_to_a_new_repository(site):
    nb, b, token = site
    arcs = [put(nb, "c%d.tar.gz" % i, targz({"main.py": b"%d\n" % i, "lib/u.py": b"u\n"}))
            for i in range(4)]
    for rnd in range(6):
        repo = "acme/new%d" % rnd
        # two publishers per tag, all four at once, on a repository none has made yet
        procs = [subprocess.Popen(
            ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-H",
             "Authorization: Bearer " + token, "-F", "repo=" + repo, "-F",
             "tag=v%d" % (i % 2), "-F", "file=@" + arcs[i], nb.url + "/admin/api/ota/publish"],
            stdout=subprocess.PIPE, text=True) for i in range(4)]
        statuses = []
        for p in procs:
            out, _ = p.communicate(timeout=120)
            body, _, status = out.rpartition("\n")
            statuses.append(int(status))
            assert int(status) in (201, 409), (rnd, status, body)
        assert sorted(statuses) == [201, 201, 409, 409], (rnd, statuses)
        with nb.db() as db:
            tags = sorted(r[0] for r in db.execute(
                "SELECT tag FROM ota_releases JOIN ota_repos r ON r.id = repo_id"
                " WHERE r.name = 'new%d'" % rnd))
        assert tags == ["v0", "v1"], (rnd, tags)
        owner, name = repo.split("/")
        for tag in ("v0", "v1"):
            r = nb.get("/ota/raw/%s/%s/%s/lib/u.py" % (owner, name, tag))
            assert r.status == 200 and r.body == b"u\n", (rnd, tag, r.status)


def blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def two_blobs_sharing_a_prefix(n=7):
    """Two file contents whose git blob ids share their first n hex digits."""
    seen = {}
    i = 0
    while True:
        data = b"x%d\n" % i
        p = blob_sha1(data)[:n]
        if p in seen:
            return seen[p], data, p
        seen[p] = data
        i += 1


def test_github_shapes_pages_tags_short_ids_and_allow(site):
    nb, b, token = site
    one, two, prefix = two_blobs_sharing_a_prefix()
    for i in range(3):
        arc = put(nb, "r%d.tar.gz" % i, targz({"main.py": b"%d\n" % i, "a.py": one, "b.py": two}))
        assert curl_publish(nb, token, arc, "repo=acme/app", "tag=v%d" % i)[0] == 201
    api = "/ota/api/repos/acme/app"

    def tags_of(path):
        r = nb.get(api + path)
        assert r.status == 200, (path, r.status, r.body)
        return [x.get("tag_name") or x["name"] for x in json.loads(r.body)]
    assert tags_of("/releases") == ["v2", "v1", "v0"]
    assert tags_of("/releases?per_page=2") == ["v2", "v1"]
    assert tags_of("/releases?per_page=2&page=2") == ["v0"]
    assert tags_of("/releases?per_page=2&page=3") == []
    assert tags_of("/releases?per_page=0") == ["v2"]
    assert tags_of("/releases?per_page=1000") == ["v2", "v1", "v0"]
    assert tags_of("/releases?per_page=x&page=-4") == ["v2", "v1", "v0"]
    assert tags_of("/releases?page=99999999999999999999") == ["v2", "v1", "v0"]
    # the tags, as GitHub lists them, with the commit each names
    tags = json.loads(nb.get(api + "/tags?per_page=2").body)
    assert [t["name"] for t in tags] == ["v2", "v1"], tags
    for t in tags:
        ref = json.loads(nb.get(api + "/git/ref/tags/" + t["name"]).body)
        assert t["commit"]["sha"] == ref["object"]["sha"], (t, ref)
        assert t["commit"]["url"].endswith("/commits/" + t["commit"]["sha"]), t
    # an abbreviated commit id, as GitHub takes one for a sha (either case)
    commit = tags[0]["commit"]["sha"]
    full = json.loads(nb.get(api + "/git/trees/%s?recursive=1" % commit).body)
    for short in (commit[:7], commit[:12].upper(), commit.upper()):
        r = nb.get(api + "/git/trees/%s?recursive=1" % short)
        assert r.status == 200 and json.loads(r.body) == full, (short, r.status)
        r = nb.get("/ota/raw/acme/app/%s/main.py" % short)
        assert r.status == 200 and r.body == b"2\n", (short, r.status)
    for short in ("0000000", commit[:6]):
        assert nb.get(api + "/git/trees/%s" % short).status == 404, short
        assert nb.get("/ota/raw/acme/app/%s/main.py" % short).status == 404, short
    # an abbreviation of two objects: GitHub's 422 in the API, the raw host's 404
    r = nb.get(api + "/git/trees/" + prefix)
    assert r.status == 422 and prefix in json.loads(r.body)["message"], (r.status, r.body)
    assert nb.get("/ota/raw/acme/app/%s/main.py" % prefix).status == 404
    # a 405 names HEAD wherever GET is taken
    for path in ("/releases/latest", "/tags", "/git/trees/" + commit, "/releases"):
        r = nb.request("POST", api + path, body=b"")
        assert r.status == 405 and r.headers["allow"] == "GET, HEAD", (path, r.headers)
    r = nb.request("DELETE", "/ota/raw/acme/app/v1/main.py", body=b"")
    assert r.status == 405 and r.headers["allow"] == "GET, HEAD", r.headers
