"""Self-check of the swupdate harness: the REAL swupdate (Debian 12,
suricatta mode) against the tiny fake DDI server in ddi_fake.py.  This
proves the harness (signing, .swu layout, config, grubenv, reboot
simulation, process handling); nestbox's own DDI tests build on it.

Request sequence observed from Debian 12's swupdate 2022.12 (-p 1, server
sleep 00:00:01), successful update, -B grub, fresh grubenv without ustate:

  run 1 (start-up):
    GET  poll                         links configData + deploymentBase
    GET  deploymentBase/1?c=<etag>    start-up check of the open action
    PUT  configData                   {"id":"","time":…,"status":{closed,success},
                                       "data":{"sw_version","hw_revision","hw_boardname"}}
    GET  poll, GET deploymentBase/1   first loop: "Cannot read stored update
                                      state" (no ustate yet), nothing done
                                      (with ustate=0 in the env this cycle installs)
    GET  poll, GET deploymentBase/1   "Update classified as 'forced'"
    POST feedback  proceeding, progress 0/1, ["Installing Update Chunk Artifacts."]
    HEAD artifact, GET artifact       (a poll + deploymentBase GET may interleave)
    POST feedback  proceeding, progress 0/0 or 1/0, details = swupdate log lines
    POST feedback  proceeding, progress 1/1, ["Installed Chunk."]
    POST feedback  proceeding, progress 1/1, ["All Chunks Installed."]
    -> ustate=1 in grubenv; then every cycle: GET poll, GET deploymentBase/1,
       and the log says "An already installed update is pending testing,
       ignoring available update action."  No further feedback.
  run 2 (after simulate_reboot: ustate=2):
    GET  poll, GET deploymentBase/1
    POST feedback  closed, finished success, ["Update Installed."]   -> ustate=0
    GET  poll (no deploymentBase link any more), PUT configData again
    (sent after every start, link or not), then GET poll every cycle.
  ustate=3 instead of 2: closed, finished failure, ["Update Failed."].

Failed install (fail=True: wrong sha256 of the image):
    … GET artifact, POST feedback proceeding (log lines, incl. the HASH
    mismatch), POST feedback closed, finished failure, progress 0/1,
    details ["No suitable .swu image found"], sometimes preceded by the
    error lines logged meanwhile ("ERROR : HASH mismatch : <a> <--> <b>"),
    depending on IPC timing; the target file is not created
    (rawfile images are hashed in $TMPDIR before being copied) and ustate
    is not set.  Then only GET poll (the action is closed).

Every request: Authorization: TargetToken <token>, User-Agent
libcurl-agent/1.0; PUT/POST with Content-Type: application/json.
Feedback "id" is a number (1), configData's "id" is "".
"""
import os
import shutil

import pytest

from ddi_fake import FakeDDI
from swupdate_harness import (SwupdateDevice, make_signed_swu, make_signing_pair,
                              namespace_prefix, parse_grubenv)

pytestmark = pytest.mark.skipif(shutil.which("swupdate") is None,
                                reason="Debian's swupdate is not installed")

TENANT, DEVICE, TOKEN = "DEFAULT", "dev1", "harness-token-1"
PAYLOAD = bytes(range(256)) * 40 + b"nestbox harness payload\n"
WAIT = 90.0


def grub_or_skip(bootloader):
    if bootloader == "grub":
        try:
            namespace_prefix()
        except RuntimeError as e:
            pytest.skip("-B grub needs a private mount namespace: %s" % e)


@pytest.fixture
def setup(tmpdir_shared):
    made = []

    def make(bootloader="grub", fail=False):
        grub_or_skip(bootloader)
        d = tmpdir_shared
        cert, key = make_signing_pair(os.path.join(d, "keys"))
        target = os.path.join(d, "target", "rootfs.bin")
        os.makedirs(os.path.dirname(target))
        swu = make_signed_swu(os.path.join(d, "swu"), "2.0", target, PAYLOAD,
                              fail=fail, cert=cert, key=key)
        fake = FakeDDI(swu, tenant=TENANT, controller_id=DEVICE, token=TOKEN,
                       version="2.0").start()
        made.append(fake)
        dev = SwupdateDevice(os.path.join(d, "device"), fake.url, TENANT, DEVICE, TOKEN,
                             cert, hw=("board", "1.0"), sw_version="1.0",
                             bootloader=bootloader)
        made.append(dev)
        return fake, dev, target
    yield make
    for x in reversed(made):
        x.stop()


def feedback_after(fake, n):
    with fake.lock:
        return [r.json() for r in fake.requests[n:]
                if r.method == "POST" and r.path.endswith("/feedback")]


def status(fb):
    s = fb["status"]
    return s["execution"], s["result"]["finished"]


def index_of(seq, item):
    return seq.index(item)


def polls_after(fake, n, what="GET poll"):
    """How many times `what` was requested after request number n."""
    return fake.sequence()[n:].count(what)


def check_common(fake, dev):
    with fake.lock:
        reqs = list(fake.requests)
    assert reqs, "no request reached the fake"
    for r in reqs:
        assert r.headers.get("authorization") == "TargetToken " + TOKEN, r
        assert r.status != 401, r
        if r.method in ("PUT", "POST"):
            assert r.headers.get("content-type", "").startswith("application/json"), r
    assert fake.config_data == {"hw_boardname": "board", "hw_revision": "1.0",
                                "sw_version": "1.0"}


def install_and_check(fake, dev, target):
    """Run 1: from the first poll to the installed image waiting for a reboot."""
    art = "softwaremodules/3/artifacts/" + fake.artifact_name
    dev.start()
    dev.wait_for(lambda: any("All Chunks Installed." in f["status"].get("details", [])
                             for f in feedback_after(fake, 0)), WAIT, "the install")
    if dev.bootloader == "grub":
        dev.wait_for(lambda: dev.ustate() == "1", WAIT, "ustate=1 (installed)")
    # swupdate keeps polling without feedback: wait (bounded) for a cycle in
    # which it ignores the open action, then check nothing was closed
    dev.wait_for(lambda: "An already installed update is pending testing" in dev.log(),
                 WAIT, "a poll cycle after the install")
    with open(target, "rb") as f:
        assert f.read() == PAYLOAD

    seq = fake.sequence()
    assert seq[0] == "GET poll"
    first_fb = index_of(seq, "POST deploymentBase/1/feedback")
    assert index_of(seq, "PUT configData") < first_fb
    assert index_of(seq, "GET deploymentBase/1") < first_fb
    head = index_of(seq, "HEAD " + art)
    get = index_of(seq, "GET " + art)
    assert first_fb < head < get
    fbs = feedback_after(fake, 0)
    assert all(status(f) == ("proceeding", "none") for f in fbs), fbs
    assert fbs[0]["status"]["result"]["progress"] == {"cnt": 0, "of": 1}
    assert fbs[0]["status"]["details"] == ["Installing Update Chunk Artifacts."]
    assert fbs[-1]["status"]["details"] == ["All Chunks Installed."]
    assert fbs[-1]["status"]["result"]["progress"] == {"cnt": 1, "of": 1}
    assert fake.action_open and not fake.closed_feedback()
    with fake.lock:
        assert [r.headers.get("user-agent") for r in fake.requests][0] == "libcurl-agent/1.0"
        dl = [r for r in fake.requests if r.path.endswith("/" + fake.artifact_name)]
    assert [r.method for r in dl] == ["HEAD", "GET"] and all(r.status == 200 for r in dl)


@pytest.mark.parametrize("bootloader", ["grub", "none"])
def test_update_then_reboot_reports_success(setup, bootloader):
    fake, dev, target = setup(bootloader)
    install_and_check(fake, dev, target)

    before = len(fake.requests)
    dev.simulate_reboot()
    closed = dev.wait_for(fake.closed_feedback, WAIT, "closed feedback after the reboot")
    assert len(closed) == 1 and status(closed[0]) == ("closed", "success")
    assert closed[0]["status"]["details"] == ["Update Installed."]
    after = fake.sequence()[before:]
    # run 2 starts with poll -> deploymentBase -> closed feedback
    assert after[:3] == ["GET poll", "GET deploymentBase/1", "POST deploymentBase/1/feedback"]
    if bootloader == "grub":
        dev.wait_for(lambda: dev.ustate() == "0", WAIT, "ustate=0 after the report")
    # one more poll: the action is gone, nothing is downloaded again
    n = len(fake.requests)
    dev.wait_for(lambda: polls_after(fake, n) >= 1, WAIT, "a poll after closing")
    assert not [s for s in fake.sequence()[before:] if "artifacts" in s]
    assert len(feedback_after(fake, before)) == 1
    check_common(fake, dev)
    dev.stop()
    with open(target, "rb") as f:
        assert f.read() == PAYLOAD


def test_failed_boot_reports_failure(setup):
    fake, dev, target = setup("grub")
    install_and_check(fake, dev, target)
    dev.simulate_reboot(ok=False)        # ustate=3: the new image did not come up
    closed = dev.wait_for(fake.closed_feedback, WAIT, "closed feedback after a failed boot")
    assert len(closed) == 1 and status(closed[0]) == ("closed", "failure")
    assert closed[0]["status"]["details"] == ["Update Failed."]
    check_common(fake, dev)


@pytest.mark.parametrize("bootloader", ["grub", "none"])
def test_broken_image_reports_failure(setup, bootloader):
    fake, dev, target = setup(bootloader, fail=True)
    dev.start()
    closed = dev.wait_for(fake.closed_feedback, WAIT, "closed feedback of the failed install")
    assert len(closed) == 1 and status(closed[0]) == ("closed", "failure")
    # the error lines swupdate logged meanwhile may or may not be included
    # before it (["ERROR : HASH mismatch : …", "No suitable …"]): IPC timing
    assert closed[0]["status"]["details"][-1] == "No suitable .swu image found"
    assert "HASH mismatch" in dev.log()
    # one more poll: no deploymentBase link any more, no retry
    n = len(fake.requests)
    dev.wait_for(lambda: polls_after(fake, n) >= 1, WAIT, "a poll after closing")
    seq = fake.sequence()
    assert seq.count("GET softwaremodules/3/artifacts/" + fake.artifact_name) == 1
    assert not os.path.exists(target)
    if bootloader == "grub":
        assert dev.ustate() in (None, "0")
    check_common(fake, dev)


def test_harness_artifacts(tmpdir_shared):
    """What the harness writes before swupdate runs: .swu layout, config, grubenv."""
    d = tmpdir_shared
    cert, key = make_signing_pair(os.path.join(d, "k"))
    swu = make_signed_swu(os.path.join(d, "k"), "3.1", "/nonexistent/t", b"abc",
                          hw=("b2", "7.0"))
    with open(swu, "rb") as f:
        data = f.read()
    assert data[:6] == b"070702"                      # cpio -H crc
    names = []
    pos = 0
    while True:                                       # walk the crc archive
        hdr = data[pos:pos + 110]
        namesize, filesize = int(hdr[94:102], 16), int(hdr[54:62], 16)
        name = data[pos + 110:pos + 110 + namesize - 1].decode()
        if name == "TRAILER!!!":
            break
        names.append(name)
        pos = (pos + 110 + namesize + 3) & ~3
        pos = (pos + filesize + 3) & ~3
    assert names == ["sw-description", "sw-description.sig", "payload-3.1.bin"]
    desc = open(os.path.join(d, "k", "sw-description")).read()
    assert 'version = "3.1"' in desc and '[ "7.0" ]' in desc and 'type = "rawfile"' in desc
    try:
        namespace_prefix()
        bl = "grub"
    except RuntimeError:
        bl = "none"
    dev = SwupdateDevice(os.path.join(d, "dev"), "http://127.0.0.1:9", TENANT, DEVICE,
                         TOKEN, cert, hw=("b2", "7.0"), sw_version="3.0", bootloader=bl)
    cfg = open(dev.cfg).read()
    assert 'name = "hw_boardname"; value = "b2";' in cfg and 'value = "3.0"' in cfg
    if bl == "grub":
        raw = open(dev.grubenv, "rb").read()
        assert len(raw) == 1024 and parse_grubenv(raw) == {}
        assert dev.grubenv.startswith(dev.workdir)
    with pytest.raises(ValueError):
        SwupdateDevice(os.path.join(d, "dev2"), "http://x y", TENANT, DEVICE, TOKEN, cert,
                       bootloader="none")
