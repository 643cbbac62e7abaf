"""Faults found by attacking OTA publishing: each answer here was once wrong
(a server path in a message, a release boards cannot fetch, links dropped
without a word, an empty release, a push that changed nothing making a
commit, a tree asked for by its ref, the rollout's field names, non-JSON
or non-GitHub error bodies)."""
import io
import json
import os
import subprocess
import tarfile

import pytest

from admin_client import Browser
from conftest import CTL
from test_ota import git, make_git_repo, write_tree
from test_ota_admin import api_token, counts, curl_publish, targz


@pytest.fixture
def site(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.start()
    nb.tmp = tmpdir_shared
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    return nb, b, api_token(b)


def put(nb, name, data):
    path = os.path.join(nb.tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def tar_of(entries):
    """A .tar.gz of TarInfo-building entries: (name, type, data or linkname)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, kind, arg in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(arg)
                t.addfile(info, io.BytesIO(arg))
                continue
            info.type = kind
            info.linkname = arg or ""
            if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                info.devmajor, info.devminor = 1, 3
            t.addfile(info)
    return buf.getvalue()


def assert_no_server_path(nb, text):
    for leak in (nb.tmp, "upload.tmp", "/var/", "/tmp/"):
        assert leak not in text, text


def test_errors_name_the_upload_not_a_server_path(site):
    nb, b, token = site
    hostname = put(nb, "hostname", b"box-7\n")
    whole = targz({"app/main.py": b"x" * 50000, "app/lib.py": os.urandom(50000)})
    cut = put(nb, "cut.tar.gz", whole[:len(whole) // 2])
    for arc in (hostname, cut):
        status, body = curl_publish(nb, token, arc, "repo=a/b", "tag=v1")
        assert status == 400, body
        msg = json.loads(body)["error"]
        assert msg.startswith("the upload"), msg
        assert_no_server_path(nb, msg)
    # the admin page's form says the same, in text
    csrf = b.csrf("/admin/ota")
    r = b.upload({"csrf": csrf, "repo": "a/b", "tag": "v1"}, "hostname", b"box-7\n",
                 action="/admin/ota/publish")
    assert r.status == 400 and "the upload" in r.text, r.text
    assert_no_server_path(nb, r.text)
    # nestboxctl names its own argument (run where the file is: a relative one)
    p = subprocess.run([CTL, "ota", "publish", "--repo", "a/b", "--tag", "v1", "hostname"],
                       env=nb.env, cwd=nb.tmp, capture_output=True, text=True)
    assert p.returncode != 0 and "hostname: not a readable archive" in p.stderr, p.stderr
    assert_no_server_path(nb, p.stderr.replace(" hostname", ""))
    assert counts(nb) == (0, 0, 0, 0, 0)


def test_paths_boards_cannot_fetch_are_refused_at_publish(site):
    nb, b, token = site
    long_name = "a" * 300 + ".py"
    deep = "/".join(["d"] * 200) + "/x.py"
    for bad in (long_name, "lib/" + long_name, deep):
        arc = put(nb, "bad.tar.gz", targz({"main.py": b"1\n", bad: b"2\n"}))
        status, body = curl_publish(nb, token, arc, "repo=acme/app", "tag=v1")
        assert status == 400, body
        msg = json.loads(body)["error"]
        assert bad[:40] in msg and ("256" in msg or "27" in msg), msg
    assert counts(nb) == (0, 0, 0, 0, 0)
    # the same from a directory, through nestboxctl
    write_tree(os.path.join(nb.tmp, "src"), {"main.py": b"1\n", "d/" * 27 + "x.py": b"2\n"})
    p = nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1",
               os.path.join(nb.tmp, "src"), check=False)
    assert p.returncode != 0 and "d/d/d/d" in p.stderr and "27" in p.stderr, p.stderr
    # at the limits: published, and every file fetched from the raw route
    edge = {"b" * 256: b"long\n", "/".join(["s"] * 26) + "/deep.py": b"deep\n"}
    arc = put(nb, "edge.tar.gz", targz(edge))
    status, body = curl_publish(nb, token, arc, "repo=acme/app", "tag=v1")
    assert status == 201, body
    for path, data in edge.items():
        r = nb.get("/ota/raw/acme/app/v1/" + path)
        assert r.status == 200 and r.body == data, (path, r.status)


def test_links_and_special_files_are_listed_and_empty_releases_refused(site):
    nb, b, token = site
    arc = put(nb, "links.tar.gz", tar_of([
        ("main.py", "file", b"1\n"),
        ("link.py", tarfile.SYMTYPE, "main.py"),
        ("hard.py", tarfile.LNKTYPE, "main.py"),
        ("fifo", tarfile.FIFOTYPE, None),
        ("null", tarfile.CHRTYPE, None)]))
    status, body = curl_publish(nb, token, arc, "repo=acme/app", "tag=v1")
    assert status == 201, body
    out = json.loads(body)
    assert out["files"] == 1
    why = {s["path"]: s["reason"] for s in out["skipped"]}
    assert set(why) == {"link.py", "hard.py", "fifo", "null"}, out
    assert "symbolic link" in why["link.py"] and "hard link" in why["hard.py"]
    assert "fifo" in why["fifo"] and "device" in why["null"]
    # a directory: its symlink and fifo are named by nestboxctl
    src = os.path.join(nb.tmp, "dir")
    write_tree(src, {"main.py": b"2\n"})
    os.symlink("main.py", os.path.join(src, "alias.py"))
    os.mkfifo(os.path.join(src, "pipe"))
    p = nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v2", src)
    assert "left out alias.py (a symbolic link" in p.stderr, p.stderr
    assert "left out pipe (a fifo" in p.stderr, p.stderr
    # only dotfiles (or nothing) is an empty release: refused, nothing written
    before = counts(nb)
    for n, members in enumerate(({".env": b"x\n", ".github/ci.yml": b"y\n"}, {})):
        arc = put(nb, "empty%d.tar.gz" % n, targz(members))
        for fields in (["tag=v3"], ["branch=main"]):
            status, body = curl_publish(nb, token, arc, "repo=acme/app", *fields)
            assert status == 400 and "no files" in json.loads(body)["error"], body
    assert counts(nb) == before


def test_git_commits_with_links_or_no_files_are_refused(site):
    nb, b, token = site
    repo = make_git_repo(os.path.join(nb.tmp, "g"), {"main.py": b"1\n"})
    os.symlink("main.py", os.path.join(repo, "alias.py"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a link")
    p = nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", repo, check=False)
    assert p.returncode != 0 and "alias.py: a symbolic link" in p.stderr, p.stderr
    dots = make_git_repo(os.path.join(nb.tmp, "d"), {".env": b"x\n"})
    p = nb.ctl("ota", "push", "--repo", "acme/app", "--branch", "main", dots, check=False)
    assert p.returncode != 0 and "no files" in p.stderr, p.stderr
    assert counts(nb) == (0, 0, 0, 0, 0)


def test_pushing_the_same_tree_again_changes_nothing(site):
    nb, b, token = site
    arc = put(nb, "app.tar.gz", targz({"main.py": b"1\n", "lib/u.py": b"2\n"}))
    status, body = curl_publish(nb, token, arc, "repo=acme/app", "branch=main")
    assert status == 201, body
    first = json.loads(body)
    # the same files again, in another archive (other order, other mtimes)
    again = put(nb, "again.tar.gz", targz({"lib/u.py": b"2\n", "main.py": b"1\n"}))
    status, body = curl_publish(nb, token, again, "repo=acme/app", "branch=main")
    assert status == 200, body
    out = json.loads(body)
    assert out["unchanged"] is True and out["commit"] == first["commit"], out
    with nb.db() as db:
        assert db.execute("SELECT commit_sha FROM ota_branches").fetchall() == \
            [(first["commit"],)]
    r = nb.get("/ota/api/repos/acme/app/git/ref/heads/main")
    assert json.loads(r.body)["object"]["sha"] == first["commit"]
    p = nb.ctl("ota", "push", "--repo", "acme/app", "--branch", "main", arc)
    assert "unchanged" in p.stdout and first["commit"] in p.stdout, p.stdout
    # a change is a new commit again
    arc = put(nb, "v2.tar.gz", targz({"main.py": b"3\n", "lib/u.py": b"2\n"}))
    status, body = curl_publish(nb, token, arc, "repo=acme/app", "branch=main")
    assert status == 201 and json.loads(body)["commit"] != first["commit"], body


def test_trees_by_tag_or_branch_as_github(site):
    nb, b, token = site
    arc = put(nb, "app.tar.gz", targz({"main.py": b"1\n", "lib/u.py": b"2\n"}))
    assert curl_publish(nb, token, arc, "repo=acme/app", "tag=v1.0")[0] == 201
    assert curl_publish(nb, token, arc, "repo=acme/app", "branch=main")[0] == 201
    api = "/ota/api/repos/acme/app/git"
    tag = json.loads(nb.get(api + "/ref/tags/v1.0").body)["object"]["sha"]
    head = json.loads(nb.get(api + "/ref/heads/main").body)["object"]["sha"]
    for ref, sha in (("v1.0", tag), ("main", head)):
        r = nb.get(api + "/trees/%s?recursive=1" % ref)
        assert r.status == 200, r.body
        want = nb.get(api + "/trees/%s?recursive=1" % sha)
        assert json.loads(r.body) == json.loads(want.body)
        assert [e["path"] for e in json.loads(r.body)["tree"]] == ["lib", "lib/u.py", "main.py"]
    r = nb.get(api + "/trees/v9?recursive=1")
    assert r.status == 404 and json.loads(r.body)["message"] == "Not Found"


def test_rollout_answer_names_owner_and_repo(site):
    nb, b, token = site
    arc = put(nb, "app.tar.gz", targz({"main.py": b"1\n"}))
    assert curl_publish(nb, token, arc, "repo=acme/app", "tag=v1")[0] == 201
    p = subprocess.run(["curl", "-sS", "-H", "Authorization: Bearer " + token, "-d",
                        "action=pause", nb.url + "/admin/api/ota/acme/app/rollout"],
                       capture_output=True, text=True, check=True)
    out = json.loads(p.stdout)
    assert out["owner"] == "acme" and out["repo"] == "app" and "name" not in out, out


def github_error(r, status):
    """GitHub's error shape: {"message": …, "documentation_url": …}."""
    assert r.status == status, (r.status, r.body)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = json.loads(r.body)
    assert body["message"] and "error" not in body, body
    assert body["documentation_url"].startswith("https://docs.github.com/"), body


def test_error_answers_are_json_and_github_shaped(site):
    nb, b, token = site
    arc = put(nb, "app.tar.gz", targz({"main.py": b"1\n"}))
    assert curl_publish(nb, token, arc, "repo=acme/app", "tag=v1")[0] == 201
    auth = {"Authorization": "Bearer " + token}
    form = dict(auth, **{"Content-Type": "application/x-www-form-urlencoded"})
    # the admin API under /admin/api/ota answers JSON, a 405 with its Allow
    for method, path, status in (("GET", "/admin/api/ota/acme/app/rollout", 405),
                                 ("DELETE", "/admin/api/ota/acme/app/rollout", 405),
                                 ("GET", "/admin/api/ota/publish", 405),
                                 ("GET", "/admin/api/ota", 404),
                                 ("POST", "/admin/api/ota/acme/app/nothing", 404)):
        r = nb.request(method, path, form, b"" if method != "GET" else None)
        assert r.status == status, (method, path, r.status, r.body)
        assert json.loads(r.body)["error"], (path, r.body)
        if status == 405:
            assert r.headers["allow"] == "POST", r.headers
    with nb.db() as db:
        before = db.execute("SELECT * FROM ota_rollouts").fetchall()
    for percent in ("9" * 5000, "1" + "0" * 30, "%41" * 300):
        r = nb.request("POST", "/admin/api/ota/acme/app/rollout", form,
                       ("action=stage&percent=" + percent).encode())
        assert r.status == 400, (percent[:10], r.status, r.headers, r.body)
        assert json.loads(r.body)["error"], (percent[:10], r.body)
    with nb.db() as db:
        assert db.execute("SELECT * FROM ota_rollouts").fetchall() == before
    # /ota/api answers in GitHub's shape, a handler's refusal as a missing route's
    github_error(nb.get("/ota/api/repos/acme/app/nothing"), 404)
    github_error(nb.get("/ota/api"), 404)
    github_error(nb.request("POST", "/ota/api/repos/acme/app/releases/latest", body=b""), 405)
    # a handler's refusal too: an unknown tag, an unknown repository
    github_error(nb.get("/ota/api/repos/acme/app/releases/tags/v9"), 404)
    github_error(nb.get("/ota/api/repos/acme/nope/git/trees/main"), 404)
