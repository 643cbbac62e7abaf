"""The MicroPython OTA updater against nestbox: a board (ota_board.py)
following the client's algorithm through releases, tags, trees, branch tips
and raw files, with the ids checked against real git."""
import hashlib
import hmac
import io
import json
import os
import subprocess
import tarfile
import zlib

import pytest

from ota_board import Board, HttpError, OtaError, git_blob_sha1


def write_tree(root, files):
    for p, data in files.items():
        full = os.path.join(root, p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com",
               GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.com")
    return subprocess.run(["git", "-C", repo, *args], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def make_git_repo(path, files):
    os.makedirs(path, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    write_tree(path, files)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    return path


def commit_all(repo, files, msg, remove=()):
    write_tree(repo, files)
    for p in remove:
        git(repo, "rm", "-q", p)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", msg)


@pytest.fixture
def ota(nb, tmpdir_shared):
    nb.start()
    nb.tmp = tmpdir_shared

    def board(name, **kw):
        return Board(nb.url + "/ota/api", nb.url + "/ota/raw", kw.pop("owner", "acme"),
                     kw.pop("repo", "app"), os.path.join(tmpdir_shared, "board-" + name), **kw)
    nb.board = board
    return nb


V1 = {"main.py": b"print('v1')\n", "lib/util.py": b"X = 1\n", "old.py": b"gone in v2\n",
      "empty.txt": b""}


def test_stable_manifest_v1_then_v2_deletes_and_up_to_date(ota):
    src = os.path.join(ota.tmp, "v1")
    write_tree(src, dict(V1, **{".gitignore": b"*.pyc\n"}))
    p = ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1.0", src)
    assert "4 files, 4 new" in p.stdout
    assert "left out .gitignore" in p.stderr
    b = ota.board("a")
    m = b.run()
    assert m["version"] == "v1.0" and m["deletes"] == []
    assert b.files() == V1
    assert sorted(f["path"] for f in m["files"]) == sorted(V1)
    commit = b.version()["commit"]
    assert b.version() == {"ref": "v1.0", "commit": commit}

    # a second run fetches the manifest (the client always does) and no file
    assert b.run() is False
    assert not [u for u in b.requests if "/ota/raw/" in u]

    v2 = {"main.py": b"print('v2')\n", "lib/util.py": b"X = 1\n", "new/mod.py": b"Y = 2\n",
          "empty.txt": b""}
    src2 = os.path.join(ota.tmp, "v2")
    write_tree(src2, v2)
    p = ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v2.0", src2)
    assert "4 files, 2 new in the store" in p.stdout     # only what changed is stored
    m = b.run()
    assert m["deletes"] == ["old.py"]
    assert b.files() == v2
    assert b.version()["ref"] == "v2.0" and b.version()["commit"] != commit
    # the new commit's parent is the previous release
    gitdir = os.path.join(ota.state, "ota", "git", "acme", "app.git")
    assert git(gitdir, "rev-parse", "v2.0^") == commit
    assert b.run() is False

    # a published release never changes
    p = ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v2.0", src, check=False)
    assert p.returncode == 3 and "exists" in p.stderr


def test_tree_mode_annotated_and_lightweight_tags_have_gits_ids(ota):
    repo = make_git_repo(os.path.join(ota.tmp, "src"),
                         {"main.py": b"print(1)\n", "lib/a.py": b"A = 1\n",
                          "lib/sub/b.py": b"B = 2\n", ".github/ci.yml": b"on: push\n",
                          "empty.py": b""})
    git(repo, "tag", "-a", "v1", "-m", "first release")
    ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", "--no-manifest", repo, "v1")
    b = ota.board("t")
    rel = b.get_json(b.repo_api("releases/latest"))
    assert rel["tag_name"] == "v1" and rel["assets"] == []
    ref = b.get_json(b.repo_api("git/ref/tags/v1"))
    assert ref["object"] == {"sha": git(repo, "rev-parse", "v1"), "type": "tag",
                             "url": ref["object"]["url"]}
    tag = b.get_json(b.repo_api("git/tags/" + ref["object"]["sha"]))
    assert tag["object"]["sha"] == git(repo, "rev-parse", "v1^{commit}")
    assert tag["object"]["type"] == "commit" and tag["tag"] == "v1"
    assert tag["message"].strip() == "first release"

    tree = b.run()
    assert b.version() == {"ref": "v1", "commit": git(repo, "rev-parse", "v1^{commit}")}
    assert tree["sha"] == git(repo, "rev-parse", "v1^{tree}") and tree["truncated"] is False
    # every entry, directories included, with git's own ids, modes and sizes
    want = {}
    for line in git(repo, "ls-tree", "-r", "-t", "-l", "v1").splitlines():
        meta, path = line.split("\t")
        mode, typ, sha, size = meta.split()
        want[path] = (mode, typ, sha, None if size == "-" else int(size))
    got = {e["path"]: (e["mode"], e["type"], e["sha"], e.get("size")) for e in tree["tree"]}
    assert got == want
    for path in ("main.py", "lib/sub/b.py"):
        assert got[path][2] == git(repo, "hash-object", path)
    # tree mode downloads every non-empty blob, hidden ones too (as from GitHub)
    assert b.files() == {"main.py": b"print(1)\n", "lib/a.py": b"A = 1\n",
                         "lib/sub/b.py": b"B = 2\n", ".github/ci.yml": b"on: push\n"}
    assert b.run() is False and len(b.requests) == 3     # latest, ref, tag: no tree

    # a lightweight tag on the next commit
    commit_all(repo, {"main.py": b"print(2)\n"}, "second")
    git(repo, "tag", "v2")
    ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v2", "--no-manifest", repo, "v2")
    ref = b.get_json(b.repo_api("git/ref/tags/v2"))
    assert ref["object"]["type"] == "commit"
    assert ref["object"]["sha"] == git(repo, "rev-parse", "v2")
    b.run()
    assert b.version() == {"ref": "v2", "commit": git(repo, "rev-parse", "v2")}
    assert b.files()["main.py"] == b"print(2)\n"
    assert git(os.path.join(ota.state, "ota", "git", "acme", "app.git"),
               "rev-parse", "v2") == git(repo, "rev-parse", "v2")


def test_developer_channel_by_commit_with_filters(ota):
    repo = make_git_repo(os.path.join(ota.tmp, "dev"),
                         {"main.py": b"print('dev')\n", "lib/x.py": b"x\n",
                          "lib/skip.py": b"skip\n", "docs/readme.txt": b"docs\n"})
    ota.ctl("ota", "push", "--repo", "acme/app", "--branch", "main", repo)
    tip = git(repo, "rev-parse", "HEAD")
    b = ota.board("d", channel="developer", allow=["main.py", "lib/"], ignore=["lib/skip.py"])
    b.run()
    assert b.version() == {"ref": "main", "commit": tip}
    assert b.files() == {"main.py": b"print('dev')\n", "lib/x.py": b"x\n"}
    raw = [u for u in b.requests if "/ota/raw/" in u]
    assert raw and all("/acme/app/%s/" % tip in u for u in raw)   # raw files by commit id

    commit_all(repo, {"lib/x.py": b"x2\n"}, "next")
    ota.ctl("ota", "push", "--repo", "acme/app", "--branch", "main", repo, "main")
    b.run()
    assert b.version()["commit"] == git(repo, "rev-parse", "HEAD")
    assert b.files()["lib/x.py"] == b"x2\n"
    assert b.run() is False and not [u for u in b.requests if "/git/trees/" in u]
    # an old commit stays readable by id, as on GitHub
    r = ota.get("/ota/raw/acme/app/%s/lib/x.py" % tip)
    assert r.status == 200 and r.body == b"x\n"


def test_signed_manifest_checked_with_the_key(ota):
    ota.ctl("ota", "repo", "--repo", "acme/signed")
    key = ota.ctl("ota", "key", "--repo", "acme/signed").stdout.strip()
    assert len(key) == 64
    src = os.path.join(ota.tmp, "s")
    files = {"main.py": b"print('s')\n", "lib/\u00fcn\u00efcode.py": b"u = 1\n",
             "hooks/post.py": b"print('post')\n"}
    write_tree(src, {k: v for k, v in files.items()})
    ota.ctl("ota", "publish", "--repo", "acme/signed", "--tag", "v1", "--post-update",
            "hooks/post.py", src)
    b = ota.board("s", repo="signed", manifest_key=key)
    m = b.run()
    assert m["post_update"] == "hooks/post.py" and b.files() == files
    body = {k: v for k, v in m.items() if k != "signature"}
    data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    assert m["signature"] == hmac.new(key.encode(), data, hashlib.sha256).hexdigest()
    with pytest.raises(OtaError, match="bad manifest signature"):
        ota.board("s2", repo="signed", manifest_key="not-the-key").run()
    assert ota.board("s2", repo="signed").files() == {}       # a failed run changes nothing
    # an unsigned repository's manifest fails a board that has a key
    src2 = os.path.join(ota.tmp, "u")
    write_tree(src2, {"main.py": b"1\n"})
    ota.ctl("ota", "publish", "--repo", "acme/plain", "--tag", "v1", src2)
    with pytest.raises(OtaError, match="not signed"):
        ota.board("s3", repo="plain", manifest_key=key).run()


def test_private_repository_needs_its_token(ota):
    src = os.path.join(ota.tmp, "p")
    write_tree(src, {"main.py": b"secret\n"})
    ota.ctl("ota", "publish", "--repo", "acme/priv", "--tag", "v1", src)
    ota.ctl("ota", "repo", "--repo", "acme/priv", "--private")
    token = ota.ctl("ota", "token", "--repo", "acme/priv", "--name", "board-7").stdout.strip()
    for t in (None, "wrong", ""):
        with pytest.raises(HttpError) as e:
            ota.board("p", repo="priv", token=t).run()
        assert e.value.status == 404
    for path in ("/ota/raw/acme/priv/v1/main.py", "/ota/download/acme/priv/v1/manifest.json",
                 "/ota/api/repos/acme/priv/releases"):
        assert ota.get(path).status == 404
        assert ota.get(path, {"Authorization": "token " + token}).status == 200
    b = ota.board("p", repo="priv", token=token)
    b.run()
    assert b.files() == {"main.py": b"secret\n"}
    # the token is stored hashed only
    with ota.db() as db:
        stored = [r[0] for r in db.execute("SELECT token_hash FROM ota_tokens")]
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def tar_with(path, members):
    with tarfile.open(path, "w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("bad", ["../evil.py", "/etc/evil.py", "lib/../evil.py", "a/./b.py"])
def test_refused_paths_fail_the_publication(ota, bad):
    arc = tar_with(os.path.join(ota.tmp, "bad.tar.gz"), {"main.py": b"1\n", bad: b"evil\n"})
    p = ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", arc, check=False)
    assert p.returncode == 1 and "refuses" in p.stderr and bad.lstrip("/") in p.stderr
    assert ota.get("/ota/api/repos/acme/app/releases/latest").status == 404


def test_archive_publish_and_hidden_files_left_out(ota):
    arc = tar_with(os.path.join(ota.tmp, "app-1.0.tar.gz"),
                   {"app-1.0/main.py": b"1\n", "app-1.0/.env": b"SECRET=1\n",
                    "app-1.0/lib/u.py": b"u\n"})
    p = ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", arc)
    assert "left out .env" in p.stderr  # as it is in the release
    b = ota.board("z")
    m = b.run()
    assert sorted(f["path"] for f in m["files"]) == ["lib/u.py", "main.py"]
    assert b.files() == {"main.py": b"1\n", "lib/u.py": b"u\n"}
    for f in m["files"]:
        data = b.files()[f["path"]]
        assert f["size"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
        assert f["crc32"] == zlib.crc32(data)
    tree = b.get_json(b.repo_api("git/trees/%s?recursive=1" % b.version()["commit"]))
    for e in tree["tree"]:
        if e["type"] == "blob":
            assert e["sha"] == git_blob_sha1(b.files()[e["path"]])


def test_http_shapes_etag_and_errors(ota):
    src = os.path.join(ota.tmp, "h")
    write_tree(src, {"main.py": b"print('h')\n", "lib/u.py": b"U = 1\n"})
    ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", src)
    for path in ("/ota/api/repos/acme/app/releases/latest",
                 "/ota/api/repos/acme/app/git/ref/tags/v1",
                 "/ota/raw/acme/app/v1/main.py",
                 "/ota/download/acme/app/v1/manifest.json"):
        r = ota.get(path)
        assert r.status == 200 and int(r.header("content-length")) == len(r.body)
        etag = r.header("etag")
        assert etag
        if "/ota/raw/" in path or "/ota/download/" in path:     # immutable: named by content
            assert etag == '"%s"' % hashlib.sha256(r.body).hexdigest()
        r2 = ota.get(path, {"If-None-Match": etag})
        assert r2.status == 304 and r2.body == b""
        # RFC 9110 13.1.2: weak comparison, lists; a tag inside another one
        # or a lower-case w/ names nothing
        for inm, want in (("W/" + etag, 304), ('"x", ' + etag, 304), ("*", 304),
                          ("w/" + etag, 200), ('"a' + etag[1:-1] + 'b"', 200),
                          (etag[:-1] + 'x"', 200)):
            assert ota.get(path, {"If-None-Match": inm}).status == want, (path, inm)
    rel = json.loads(ota.get("/ota/api/repos/acme/app/releases/latest").body)
    assert isinstance(rel["id"], int) and rel["draft"] is False
    asset = rel["assets"][0]
    assert asset["name"] == "manifest.json" and isinstance(asset["size"], int)
    # links carry the port the board did not send
    assert asset["browser_download_url"].startswith(ota.url + "/ota/download/")
    r = ota.get(asset["url"][len(ota.url):], {"Accept": "application/octet-stream"})
    assert r.status == 200 and json.loads(r.body)["version"] == "v1"
    assert json.loads(ota.get("/ota/api/repos/acme/app/releases").body)[0]["tag_name"] == "v1"
    assert json.loads(ota.get("/ota/api/repos/acme/app/releases/tags/v1").body)["id"] == rel["id"]
    # bad input: a clear 4xx in JSON, never a 500
    for path, status in (("/ota/api/repos/acme/app/git/trees/..x", 400),
                         ("/ota/api/repos/acme/app/git/trees/nothex", 404),  # a ref, unknown
                         ("/ota/api/repos/acme/app/git/ref/tags/..x", 400),
                         ("/ota/api/repos/ac%20me/app/releases/latest", 400),
                         ("/ota/api/repos/acme/app/git/trees/" + "0" * 40, 404),
                         ("/ota/api/repos/acme/app/git/tags/" + "0" * 40, 404),
                         ("/ota/api/repos/acme/nope/releases/latest", 404),
                         ("/ota/raw/acme/app/v1/missing.py", 404),
                         ("/ota/raw/acme/app/v1/.deltas/main.py.delta", 404),
                         ("/ota/raw/acme/app/nosuchref/main.py", 404),
                         ("/ota/download/acme/app/v1/other.json", 400)):
        r = ota.get(path)
        assert r.status == status, path
        assert r.header("content-type").startswith("application/json"), path
    # a refused field is named by the router before any handler runs
    for path, field in (("/ota/api/repos/acme/app/git/trees/..x", "sha"),
                        ("/ota/api/repos/acme/app/releases/012", "id"),
                        ("/ota/api/repos/acme/app/git/ref/tags/..x", "tag"),
                        ("/ota/download/acme/app/v1/other.json", "file")):
        r = ota.get(path)
        assert (r.status, json.loads(r.body)["message"]) == (400, "invalid " + field), path
    # any recursive, even without a value, asks for the whole tree (GitHub)
    tree = "/ota/api/repos/acme/app/git/trees/" + rel["target_commitish"]
    for query, paths in (("", ["lib", "main.py"]), ("?recursive", ["lib", "lib/u.py", "main.py"]),
                         ("?recursive=0", ["lib", "lib/u.py", "main.py"])):
        assert [e["path"] for e in json.loads(ota.get(tree + query).body)["tree"]] == paths


def test_links_from_base_url(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_SERVER__BASE_URL": "http://ota.example:8123/"}).start()
    src = os.path.join(tmpdir_shared, "b")
    write_tree(src, {"main.py": b"1\n"})
    nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", src)
    rel = json.loads(nb.get("/ota/api/repos/acme/app/releases/latest").body)
    assert rel["assets"][0]["browser_download_url"] == \
        "http://ota.example:8123/ota/download/acme/app/v1/manifest.json"
    assert rel["url"].startswith("http://ota.example:8123/ota/api/repos/acme/app/releases/")


@pytest.mark.parametrize("args, why", [
    (["--repo", "acme", "--tag", "v1"], "owner/name"),
    (["--repo", "acme/a/b", "--tag", "v1"], "owner/name"),
    (["--repo", "acme/app", "--tag", "../v1"], "bad tag"),
    (["--repo", "acme/app", "--tag", "v1.lock"], "bad tag"),
    (["--repo", "acme/app", "--tag", "v1", "--version", "a b"], "bad tag or version"),
    (["--repo", "acme/app", "--tag", "v1", "--version", "x\u00e9\udcff"], "bad tag or version"),
    (["--repo", "acme/app", "--tag", "v1", "--post-update", "nope.py"], "post_update"),
    (["--repo", "acme/app", "--tag", "v1", "--post-update", ".hidden.py"], "post_update"),
])
def test_bad_publisher_input_changes_nothing(ota, args, why):
    src = os.path.join(ota.tmp, "in")
    write_tree(src, {"main.py": b"1\n", ".hidden.py": b"h\n"})
    p = ota.ctl("ota", "publish", *args, src, check=False,
                env={"PYTHONIOENCODING": "surrogateescape"})
    assert p.returncode in (1, 2) and why in p.stderr
    assert ota.get("/ota/api/repos/acme/app/releases/latest").status == 404
    assert ota.get("/ota/api/repos/acme/app/releases").status in (200, 404)
    with ota.db() as db:
        assert db.execute("SELECT count(*) FROM ota_releases").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM ota_files").fetchone()[0] == 0
        # refused before the repository is touched: not even it is recorded
        assert db.execute("SELECT count(*) FROM ota_repos").fetchone()[0] == 0


def test_push_refuses_bad_branch_and_source(ota):
    src = os.path.join(ota.tmp, "pb")
    write_tree(src, {"main.py": b"1\n"})
    # a bad name is a usage error (2), a bad source a failure (1)
    for args, why, code in ((["--branch", "../main", src], "bad branch", 2),
                            (["--branch", "main", os.path.join(ota.tmp, "missing")],
                             "does not exist", 1),
                            (["--branch", "main", src, "HEAD"],
                             "only taken with a git repository", 1)):
        p = ota.ctl("ota", "push", "--repo", "acme/app", *args, check=False)
        assert p.returncode == code and why in p.stderr, p.stderr
    assert ota.get("/ota/api/repos/acme/app/git/ref/heads/main").status == 404


def test_version_names_the_manifest(ota):
    src = os.path.join(ota.tmp, "ver")
    write_tree(src, {"main.py": b"1\n"})
    ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v3", "--version", "3.0.0", src)
    b = ota.board("v")
    m = b.run()
    assert m["version"] == "3.0.0" and b.version()["ref"] == "3.0.0"
    assert b.run() is False


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the repository away")
def test_git_repository_owned_by_another_user_keeps_its_ids(ota):
    """A CI checkout owned by another user than nestboxctl's: libgit2's
    safe.directory check must not turn it into a plain directory."""
    repo = make_git_repo(os.path.join(ota.tmp, "ci"), {"main.py": b"1\n"})
    git(repo, "tag", "v1")
    subprocess.run(["chown", "-R", "nobody", repo], check=True)
    ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", repo, "v1")
    ref = json.loads(ota.get("/ota/api/repos/acme/app/git/ref/tags/v1").body)
    want = subprocess.run(["git", "-c", "safe.directory=*", "-C", repo, "rev-parse", "v1"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert ref["object"]["sha"] == want


def test_gc_keeps_published_files(ota):
    """nestboxctl gc removes unreferenced blobs only: a release's files stay
    downloadable after a gc with no grace time."""
    src = os.path.join(ota.tmp, "gc")
    write_tree(src, V1)
    ota.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1.0", src)
    p = ota.ctl("gc", "--grace", "0")
    assert " 0 blobs" in p.stdout, p.stdout
    b = ota.board("gc")
    b.run()
    assert b.files() == V1
