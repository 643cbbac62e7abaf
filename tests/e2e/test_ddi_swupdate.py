"""Debian's real SWUpdate (suricatta mode) updates from nestbox's DDI server:
a signed .swu is rolled out and installed into a file-backed target, the
device reports success after a (simulated) reboot and then runs the new
version, and the rollout counts it; a broken image is reported as a
failure and counted; a cancel is acknowledged.  swupdate_harness.py drives
swupdate."""
import json
import os
import shutil

import pytest

from conftest import wait_until
from swupdate_harness import SwupdateDevice, make_signed_swu, make_signing_pair, namespace_prefix

pytestmark = pytest.mark.skipif(shutil.which("swupdate") is None,
                                reason="Debian's swupdate is not installed (make deps installs it)")

PAYLOAD = bytes(range(256)) * 64 + b"nestbox ddi payload\n"
WAIT = 90.0


def bootloader():
    try:
        namespace_prefix()
        return "grub"
    except RuntimeError:
        return "none"


def signed_software(make_nb, d, hw, fail=False):
    """A store polled every second, holding a signed .swu 2.0 for boards hw
    (name, revision) that writes PAYLOAD to <d>/target/rootfs.bin: the
    server (not started), the signing certificate, the target, the id."""
    nb = make_nb({"NESTBOX_DDI__POLL_TIME": "00:00:01"}, sub="ddi")
    nb.ctl("init")
    cert, key = make_signing_pair(os.path.join(d, "keys"))
    target = os.path.join(d, "target", "rootfs.bin")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    swu = make_signed_swu(os.path.join(d, "swu"), "2.0", target, PAYLOAD, hw=hw,
                          fail=fail, cert=cert, key=key)
    return nb, cert, target, nb.ctl("software", "add", swu).stdout.strip()


@pytest.fixture
def fleet(make_nb, tmpdir_shared):
    made = []

    def make(fail=False, mode="rollout"):
        nb, cert, target, sid = signed_software(make_nb, tmpdir_shared, ("board", "1.0"), fail)
        d = tmpdir_shared
        nb.ctl("device", "add", "dev1", "--token", "tok-dev1", "--mode", mode,
               *(["--assign", sid] if mode == "assigned" else []))
        if mode == "rollout":
            nb.ctl("rollout", "add", "--feed", "default", "--software", sid)
        nb.start()
        dev = SwupdateDevice(os.path.join(d, "device"), nb.url, "DEFAULT", "dev1", "tok-dev1",
                             cert, hw=("board", "1.0"), sw_version="1.0",
                             bootloader=bootloader(), grub_env={"ustate": "0"})
        made.append(dev)
        return nb, dev, target
    yield make
    for x in made:
        x.stop()


def device(nb):
    with nb.db() as c:
        return c.execute("SELECT state, sw_version, hw_model, hw_revision FROM ddi_devices"
                         " WHERE controller_id='dev1'").fetchone()


def action(nb):
    with nb.db() as c:
        return c.execute("SELECT status FROM ddi_actions ORDER BY id DESC LIMIT 1").fetchone()


def counts(nb):
    """(state, successes, failures) of the one rollout."""
    with nb.db() as c:
        return c.execute("SELECT state, success, failure FROM ddi_rollouts").fetchone()


def test_swupdate_installs_and_reports_success(fleet):
    nb, dev, target = fleet()
    dev.start()
    dev.wait_for(lambda: os.path.exists(target) and open(target, "rb").read() == PAYLOAD,
                 WAIT, "the image installed into the target")
    dev.wait_for(lambda: "An already installed update is pending testing" in dev.log(),
                 WAIT, "swupdate waiting for the reboot")
    assert device(nb)[:1] == ("running",) and action(nb) == ("running",)
    with nb.db() as c:
        details = "".join(r[0] for r in c.execute("SELECT details FROM ddi_action_status"))
    assert "All Chunks Installed." in details
    dev.simulate_reboot(ok=True)
    dev.wait_for(lambda: action(nb) == ("finished",), WAIT, "closed + success")
    assert device(nb) == ("finished", "2.0", "board", "1.0")
    assert counts(nb) == ("running", 1, 0)
    # the device now runs 2.0: the polls that follow offer nothing new
    polls = lambda: nb.db().execute(
        "SELECT coalesce(sum(count), 0) FROM metrics_requests WHERE route='/ddi/poll'"
    ).fetchone()[0]
    seen = polls()
    dev.wait_for(lambda: polls() >= seen + 2, WAIT, "two more polls")
    with nb.db() as c:
        assert c.execute("SELECT count(*) FROM ddi_actions").fetchone()[0] == 1
        (closed,), = c.execute("SELECT details FROM ddi_action_status WHERE execution='closed'")
    assert "Update Installed." in closed


def test_swupdate_reports_a_broken_image(fleet):
    nb, dev, target = fleet(fail=True)
    dev.start()
    dev.wait_for(lambda: action(nb) == ("error",), WAIT, "closed + failure")
    assert device(nb)[:2] == ("error", "1.0")
    assert counts(nb) == ("running", 0, 1)
    assert not os.path.exists(target)
    with nb.db() as c:
        last = c.execute("SELECT execution, finished FROM ddi_action_status ORDER BY id DESC"
                         " LIMIT 1").fetchone()
    assert last == ("closed", "failure")


def test_swupdate_acknowledges_a_cancel(fleet):
    """The action exists and is being canceled before swupdate first polls
    (a plain client opens it), so nothing here depends on timing."""
    nb, dev, target = fleet()
    auth = {"Authorization": "TargetToken tok-dev1", "Content-Type": "application/json"}
    base = "/DEFAULT/controller/v1/dev1"
    body = json.dumps({"mode": "merge", "data": {"hw_boardname": "board", "hw_revision": "1.0",
                                                 "sw_version": "1.0"}}).encode()
    assert nb.request("PUT", base + "/configData", auth, body).status == 200
    assert "deploymentBase" in json.loads(nb.request("GET", base, auth).body)["_links"]
    assert nb.ctl("device", "cancel", "dev1").returncode == 0
    # no new offer once canceled: the rollout is paused
    nb.ctl("rollout", "pause", "1")
    dev.start()
    dev.wait_for(lambda: action(nb) == ("canceled",), WAIT, "the cancel acknowledged")
    assert device(nb)[0] == "registered"
    assert not os.path.exists(target)
    with nb.db() as c:
        fb = c.execute("SELECT execution, finished FROM ddi_action_status").fetchall()
    assert fb and fb[-1][0] in ("closed", "canceled") and fb[-1][1] != "failure"

    def routes():
        with nb.db() as c:
            return {r for (r,) in c.execute("SELECT route FROM request_log")}
    # the front end's access log reaches the request log a moment after the answer
    wait_until(lambda: {"/ddi/cancelAction", "/ddi/cancelFeedback"} <= routes(),
               "the cancel's requests in the request log")
    assert counts(nb) == ("paused", 0, 0)
