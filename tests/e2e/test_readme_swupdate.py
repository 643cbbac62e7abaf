"""The README's swupdate.cfg, as printed, starts Debian's swupdate and
updates the device (without its `globals` section swupdate 2022.12 stopped
at once: "'globals' section missing").  Only the server's address is
changed; the README's device, token and board are the test's."""
import os
import re
import shutil

import pytest

from conftest import ROOT
from swupdate_harness import SwupdateDevice
from test_ddi_swupdate import PAYLOAD, WAIT, bootloader, signed_software

pytestmark = pytest.mark.skipif(shutil.which("swupdate") is None,
                                reason="Debian's swupdate is not installed (make deps installs it)")


def readme_cfg():
    """The config block under "## Point SWUpdate at nestbox"."""
    text = open(os.path.join(ROOT, "README.md")).read()
    section = text.split("## Point SWUpdate at nestbox", 1)[1]
    return re.search(r"```\n(.*?)```", section, re.S).group(1)


def test_readme_swupdate_cfg_updates_a_device(make_nb, tmpdir_shared):
    cfg = readme_cfg()
    values = dict(re.findall(r'^\s*(tenant|id|url|targettoken) = "([^"]*)";', cfg, re.M))
    board = re.search(r'name = "hw_boardname"; value = "([^"]*)"', cfg).group(1)
    revision = re.search(r'name = "hw_revision"; value = "([^"]*)"', cfg).group(1)
    nb, cert, target, sid = signed_software(make_nb, tmpdir_shared, (board, revision))
    d = tmpdir_shared
    nb.ctl("device", "add", values["id"], "--token", values["targettoken"])
    nb.ctl("rollout", "add", "--feed", "default", "--software", sid)
    nb.start()
    dev = SwupdateDevice(os.path.join(d, "device"), nb.url, values["tenant"], values["id"],
                         values["targettoken"], cert, hw=(board, revision), sw_version="1.0",
                         bootloader=bootloader(), grub_env={"ustate": "0"})
    try:
        # the README's text, the server's address aside (its polldelay of
        # 300 s is replaced by the server's ddi.poll_time, as it says)
        with open(dev.cfg, "w") as f:
            f.write(cfg.replace(values["url"], nb.url))
        dev.start()
        dev.wait_for(lambda: os.path.exists(target) and open(target, "rb").read() == PAYLOAD,
                     WAIT, "the image installed into the target")
        with nb.db() as c:
            assert c.execute("SELECT hw_model, hw_revision FROM ddi_devices").fetchall() == [
                (board, revision)]
    finally:
        dev.stop()
