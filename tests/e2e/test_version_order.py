"""Version order, not string order, in real DDI polls and in the mip index.

Pairs where the two orders disagree ("1.10" < "1.9" as strings) and
pre-releases (older than their release, as semver and SWUpdate say): a
device in `latest` or `rollout` mode is offered only newer software, and
`latest` is the newest by version whatever the order of upload.  The unit
table is tests/unit/test_ddi_decide.c::test_version_order.
"""
import json
import os

import pytest

from test_ddi import BASE, ddi
from test_software import SW_DESC, make_swu

BOARD_B = SW_DESC.replace("board-a", "board-b")


@pytest.fixture
def vnb(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_DDI__POLL_TIME": "00:00:05"})
    nb.ctl("init")
    ids = {}
    # uploaded newest first: "latest" must not mean "last uploaded"
    for v, desc in (("1.10", None), ("1.9", None), ("3.0", BOARD_B), ("3.0.0-rc1", BOARD_B)):
        swu = make_swu(os.path.join(tmpdir_shared, "sw" + v), v,
                       desc=desc % v if desc else None)
        ids[v] = nb.ctl("software", "add", swu).stdout.strip()
    nb.start()
    return nb, ids


def device(nb, dev, installed, mode, board="board-a", feed=None):
    args = ["device", "add", dev, "--token", "tok-1", "--mode", mode]
    if feed:
        args += ["--feed", feed]
    nb.ctl(*args)
    r = ddi(nb, "PUT", BASE + dev + "/configData", body={"mode": "merge", "data": {
        "hw_boardname": board, "hw_revision": "2.0", "sw_version": installed}})
    assert r.status == 200


def offered(nb, dev):
    """The version the poll offers, or None."""
    r = ddi(nb, "GET", BASE + dev)
    assert r.status == 200
    links = json.loads(r.body)["_links"]
    if "deploymentBase" not in links:
        return None
    path = links["deploymentBase"]["href"][len(nb.url):]
    d = json.loads(ddi(nb, "GET", path).body)
    return d["deployment"]["chunks"][0]["version"]


def test_latest_mode_orders_by_version(vnb):
    nb, _ = vnb
    device(nb, "l-19", "1.9", "latest")
    device(nb, "l-110", "1.10", "latest")
    device(nb, "l-rc", "3.0.0-rc1", "latest", board="board-b")
    device(nb, "l-rel", "3.0", "latest", board="board-b")
    assert offered(nb, "l-19") == "1.10"
    assert offered(nb, "l-110") is None
    assert offered(nb, "l-rc") == "3.0"         # a pre-release is older than its release
    assert offered(nb, "l-rel") is None


def test_rollout_mode_orders_by_version(vnb):
    nb, ids = vnb
    nb.ctl("rollout", "add", "--confirm-empty", "--feed", "new", "--software", ids["1.10"])
    nb.ctl("rollout", "add", "--confirm-empty", "--feed", "old", "--software", ids["1.9"])
    nb.ctl("rollout", "add", "--confirm-empty", "--feed", "rel", "--software", ids["3.0"])
    nb.ctl("rollout", "add", "--confirm-empty", "--feed", "rc", "--software", ids["3.0.0-rc1"])
    device(nb, "r-19", "1.9", "rollout", feed="new")
    device(nb, "r-110", "1.10", "rollout", feed="old")
    device(nb, "r-rc", "3.0.0-rc1", "rollout", board="board-b", feed="rel")
    device(nb, "r-rel", "3.0", "rollout", board="board-b", feed="rc")
    device(nb, "r-rel3", "3.0.0", "rollout", board="board-b", feed="rc")
    assert offered(nb, "r-19") == "1.10"
    assert offered(nb, "r-110") is None
    assert offered(nb, "r-rc") == "3.0"
    assert offered(nb, "r-rel") is None
    assert offered(nb, "r-rel3") is None


def test_mip_latest_is_the_newest_version(make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_MIP__OFFLINE": "true"})
    nb.ctl("init")
    src = os.path.join(tmpdir_shared, "m.py")
    with open(src, "w") as f:
        f.write("x = 1\n")
    for v in ("1.10", "1.9", "2.0", "2.0-rc1"):
        nb.ctl("mip", "publish", src, "--name", "m", "--version", v)
    nb.start()
    r = nb.get("/mip/package/py/m/latest.json")
    assert r.status == 200 and json.loads(r.body)["version"] == "2.0"
    index = json.loads(nb.get("/mip/index.json").body)
    assert [p["version"] for p in index["packages"] if p["name"] == "m"] == ["2.0"]
