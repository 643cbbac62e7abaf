"""What the OTA part does beyond GitHub: the board inventory (who fetched
what, from the raw-file requests) and staged rollouts of the stable
channel, seen by boards running the updater's algorithm (ota_board.py),
through nestboxctl and the store."""
import hashlib
import json
import os

import pytest

from ota_board import Board
from test_ota import write_tree, make_git_repo, git


def bucket(tag, token):
    """The documented rollout rule (README, "Staged rollouts"): a board's
    place 0..99 is the first 32 bits of sha256("<tag>\\n<board key>") mod
    100, the key being "t:" + sha256(token) (or "a:" + address without one)."""
    key = "t:" + hashlib.sha256(token.encode()).hexdigest()
    return int(hashlib.sha256(("%s\n%s" % (tag, key)).encode()).hexdigest()[:8], 16) % 100


@pytest.fixture
def fleet(make_nb, tmpdir_shared):
    # new releases start with no board (stage 0): the operator stages them
    nb = make_nb({"NESTBOX_OTA__ROLLOUT_START": "0"}).start()
    nb.tmp = tmpdir_shared

    def board(name, **kw):
        return Board(nb.url + "/ota/api", nb.url + "/ota/raw", "acme", kw.pop("repo", "app"),
                     os.path.join(tmpdir_shared, "board-" + name), **kw)
    nb.board = board
    return nb


def publish(nb, tag, files, *extra):
    src = os.path.join(nb.tmp, "src-" + tag)
    write_tree(src, files)
    return nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", tag, *extra, src)


def boards(nb, *args):
    return {b["board"]: b for b in json.loads(nb.ctl("ota", "boards", "--json", *args).stdout)}


def board_rows(nb):
    with nb.db() as db:
        return db.execute("SELECT * FROM ota_boards ORDER BY id").fetchall()


def test_inventory_after_board_runs(fleet):
    nb = fleet
    publish(nb, "v1", {"main.py": b"1\n", "lib/a.py": b"a\n", "empty.py": b""})
    token = nb.ctl("ota", "token", "--repo", "acme/app", "--name", "board-7").stdout.strip()
    b7 = nb.board("b7", token=token)
    anon = nb.board("anon")
    b7.run()
    anon.run()
    inv = boards(nb)
    assert set(inv) == {"board-7", "127.0.0.1"}, inv
    for name in ("board-7", "127.0.0.1"):
        row = inv[name]
        assert row["repo"] == "acme/app" and row["agent"] == "ota-updater"
        assert row["release"] == "v1" and row["commit"] == b7.version()["commit"]
        assert row["files"] == "3/3" and row["last_seen"] > 0
    assert inv["board-7"]["address"] == "127.0.0.1"

    # an up-to-date check writes nothing (last_seen is kept to the minute)
    before = board_rows(nb)
    assert b7.run() is False and anon.run() is False
    assert board_rows(nb) == before

    # a board that stops half-way has not fetched the release completely
    publish(nb, "v2", {"main.py": b"2\n", "lib/a.py": b"a2\n"})
    nb.ctl("ota", "rollout", "--repo", "acme/app", "--stage", "100")
    r = nb.get("/ota/raw/acme/app/v2/main.py", {"Authorization": "token " + token})
    assert r.status == 200
    inv = boards(nb, "--repo", "acme/app")
    assert inv["board-7"]["release"] == "v1" and inv["board-7"]["files"] == "1/2"
    assert inv["board-7"]["fetching"] == "v2"
    b7.run()
    inv = boards(nb)
    assert inv["board-7"]["release"] == "v2" and inv["board-7"]["files"] == "2/2"
    assert inv["board-7"]["commit"] == b7.version()["commit"]


def test_inventory_developer_channel_by_commit(fleet):
    nb = fleet
    repo = make_git_repo(os.path.join(nb.tmp, "dev"), {"main.py": b"d\n", "lib/x.py": b"x\n"})
    nb.ctl("ota", "push", "--repo", "acme/app", "--branch", "main", repo)
    b = nb.board("dev", channel="developer")
    b.run()
    row = boards(nb)["127.0.0.1"]
    assert row["commit"] == git(repo, "rev-parse", "HEAD") and row["files"] == "2/2"
    assert row["release"] is None      # a branch tip, no release


def tokens_on_both_sides(nb, tag, stage, prefix="b"):
    """Two board tokens, one inside the first `stage` percent for `tag`, one
    outside (new tokens until both are found)."""
    inside = outside = None
    for i in range(40):
        t = nb.ctl("ota", "token", "--repo", "acme/app",
                   "--name", "%s%d" % (prefix, i)).stdout.strip()
        if bucket(tag, t) < stage and not inside:
            inside = t
        elif bucket(tag, t) >= stage and not outside:
            outside = t
        if inside and outside:
            return inside, outside
    raise AssertionError("no tokens on both sides of %d%%" % stage)


def test_staged_rollout_two_boards_pause_resume(fleet):
    nb = fleet
    publish(nb, "v1", {"main.py": b"1\n"})
    ins, out = tokens_on_both_sides(nb, "v2", 50)
    a, b = nb.board("a", token=ins), nb.board("b", token=out)
    # the first release has no previous one: every board gets it
    a.run()
    b.run()
    assert a.version()["ref"] == b.version()["ref"] == "v1"

    publish(nb, "v2", {"main.py": b"2\n"})
    # stage 0: the new release goes to no board yet
    assert a.run() is False and b.run() is False
    st = nb.ctl("ota", "rollout", "--repo", "acme/app").stdout
    assert "v2" in st and "0%" in st and "after v1" in st

    nb.ctl("ota", "rollout", "--repo", "acme/app", "--stage", "50")
    a.run()
    assert a.version()["ref"] == "v2" and a.files()["main.py"] == b"2\n"
    assert b.run() is False and b.version()["ref"] == "v1"

    # paused: no board that has not fetched it gets it, even at 100%;
    # a board that has it keeps it (no downgrade)
    nb.ctl("ota", "rollout", "--repo", "acme/app", "--pause")
    nb.ctl("ota", "rollout", "--repo", "acme/app", "--stage", "100")
    assert "paused" in nb.ctl("ota", "rollout", "--repo", "acme/app").stdout
    assert b.run() is False and b.version()["ref"] == "v1"
    assert a.run() is False and a.version()["ref"] == "v2"

    nb.ctl("ota", "rollout", "--repo", "acme/app", "--resume")
    b.run()
    assert b.version()["ref"] == "v2" and b.files()["main.py"] == b"2\n"

    # lowering the stage takes the release from no board that has it; boards
    # that never fetched it follow the stable rule
    nb.ctl("ota", "rollout", "--repo", "acme/app", "--stage", "50")
    assert b.run() is False and b.version()["ref"] == "v2"
    ins2, out2 = tokens_on_both_sides(nb, "v2", 50, "n")
    for t, want in ((ins2, "v2"), (out2, "v1"), (out2, "v1")):
        r = nb.get("/ota/api/repos/acme/app/releases/latest", {"Authorization": "token " + t})
        assert json.loads(r.body)["tag_name"] == want
    with nb.db() as db:
        acts = [r[0] for r in db.execute("SELECT action FROM admin_audit ORDER BY id")]
    assert acts.count("ota rollout") >= 4


def test_rollout_of_a_third_release_keeps_the_last_complete_one(fleet):
    """v3 published while v2 is still staged: boards outside v3's share get
    v1 (what everyone had), not the half-rolled-out v2."""
    nb = fleet
    publish(nb, "v1", {"main.py": b"1\n"})
    publish(nb, "v2", {"main.py": b"2\n"})
    nb.ctl("ota", "rollout", "--repo", "acme/app", "--stage", "30")
    publish(nb, "v3", {"main.py": b"3\n"})
    st = nb.ctl("ota", "rollout", "--repo", "acme/app").stdout
    assert "v3" in st and "after v1" in st
    assert json.loads(nb.get("/ota/api/repos/acme/app/releases/latest").body)["tag_name"] == "v1"
    # releases/tags still answers every release, as GitHub does
    assert nb.get("/ota/api/repos/acme/app/releases/tags/v3").status == 200


@pytest.mark.parametrize("args, why", [
    (["--stage", "101"], "from 0 to 100"),
    (["--stage", "-1"], "from 0 to 100"),
    (["--stage", "ten"], "from 0 to 100"),
    (["--pause", "--resume"], "one of"),
])
def test_bad_rollout_input_changes_nothing(fleet, args, why):
    nb = fleet
    publish(nb, "v1", {"main.py": b"1\n"})
    publish(nb, "v2", {"main.py": b"2\n"})
    with nb.db() as db:
        before = db.execute("SELECT * FROM ota_rollouts").fetchall()
    p = nb.ctl("ota", "rollout", "--repo", "acme/app", *args, check=False)
    assert p.returncode == 2 and why in p.stderr, p.stderr
    with nb.db() as db:
        assert db.execute("SELECT * FROM ota_rollouts").fetchall() == before


def test_rollout_of_unknown_repository(fleet):
    p = fleet.ctl("ota", "rollout", "--repo", "acme/none", "--stage", "5", check=False)
    assert p.returncode == 1 and "not found" in p.stderr
    p = fleet.ctl("ota", "boards", "--repo", "acme/none", check=False)
    assert p.returncode == 1 and "not found" in p.stderr


def test_inventory_the_store_cannot_keep_is_said_and_the_board_served(fleet):
    """The inventory is best effort: when the store cannot read or write
    it, a board's check and its files are still answered, and the failure
    is said in the error log rather than dropped."""
    from test_operators import renamed
    nb = fleet
    publish(nb, "v1", {"main.py": b"1\n"})
    nb.ctl("ota", "rollout", "--repo", "acme/app", "--stage", "100")
    renamed(nb, "ota_boards", "ota_boards_away")
    try:
        r = nb.get("/ota/raw/acme/app/v1/main.py")
        assert r.status == 200 and r.body == b"1\n", (r.status, r.body)
    finally:
        renamed(nb, "ota_boards_away", "ota_boards")
    assert "nestbox[ota]: board inventory:" in nb.read_log()
