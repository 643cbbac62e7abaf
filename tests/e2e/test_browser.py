"""A real browser (Debian's chromium, driven by playwright-core) logs in,
checks every form pattern (valid under the v flag, refusing a bad value),
imports an image through the form and finds it in the list, then visits
the DDI pages and creates a rollout, sees a refused form with its message
beside the field, a delete's question, and every page at 390 px without
sideways scrolling; screenshots (one per page) land in tests/e2e/out/."""
import json
import os
import shutil
import subprocess

from admin_client import Browser
from conftest import ROOT, make_raw_image
from test_ddi import BASE, ddi, feedback
from test_software import make_swu

OUT = os.path.join(ROOT, "tests", "e2e", "out")
SCRIPT = os.path.join(ROOT, "tests", "browser", "admin.mjs")


def test_browser_login_upload_list(make_nb, tmpdir_shared):
    assert shutil.which("node") and os.path.exists("/usr/bin/chromium"), \
        "node and chromium are required (make deps installs them)"
    assert os.path.isdir(os.path.join(ROOT, "tests", "browser", "node_modules", "playwright-core")), \
        "playwright-core is missing: make deps runs npm ci in tests/browser"
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "browser-pass-1"})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    nb.start()
    raw = make_raw_image(os.path.join(tmpdir_shared, "browser.img"), size=512 * 1024)
    ddi_fleet(nb, tmpdir_shared)
    os.makedirs(OUT, exist_ok=True)
    p = subprocess.run(["node", SCRIPT, nb.url, "admin", "browser-pass-1", raw, OUT],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "browser test: ok" in p.stdout
    for name in ("01-login.png", "02-dashboard.png", "03-images.png", "05-users.png",
                 "07-devices.png", "07b-devices-bulk.png", "08-device.png", "09-software.png", "10-rollouts.png",
                 "11-rollout.png", "12-rollout-canceled.png", "13-dashboard-health.png",
                 "14-audit.png", "15-dashboard-phone.png", "05b-users-field-error.png",
                 "03b-images-field-error.png", "09b-software-field-error.png",
                 "10b-rollouts-field-error.png",
                 "05c-users-confirm-delete.png") + tuple(
                     "phone-%s.png" % p for p in ("dashboard", "devices", "device", "software",
                                                  "rollouts", "rollout", "images", "mip",
                                                  "requests", "users", "audit", "settings",
                                                  "not-found")):
        assert os.path.getsize(os.path.join(OUT, name)) > 1000, name
    # the browser's upload is a real build that boxes can fetch
    assert nb.get("/list").body == b"browserbox/browserbox-rpi4-master-7\n"
    r = nb.get("/update?name=browserbox&board=rpi4&version=7")
    assert r.status == 200 and len(r.body) > 10240
    with nb.db() as c:
        assert c.execute("SELECT percent FROM ddi_rollouts WHERE name='browser rollout'"
                         ).fetchone() == (50,)
        # the browser's bulk action changed the two devices it selected, and no other
        assert c.execute("SELECT controller_id FROM ddi_devices WHERE feed='lab' ORDER BY 1"
                         ).fetchall() == [("gateway-04",), ("gateway-05",)]


def ddi_fleet(nb, tmp):
    """Software, six devices and a rollout with one success, one failure
    and one update under way: something for the DDI pages to show."""
    nb.ctl("software", "add", make_swu(os.path.join(tmp, "sw1"), "1.0"), "--name", "core-image")
    nb.ctl("software", "add", make_swu(os.path.join(tmp, "sw2"), "2.0"), "--name", "core-image")
    for i in range(6):
        cid = "gateway-%02d" % i
        ddi(nb, "GET", BASE + cid, token="t%d" % i)
        ddi(nb, "PUT", BASE + cid + "/configData", token="t%d" % i, body={"data": {
            "hw_boardname": "board-a", "hw_revision": "2.0", "sw_version": "1.0",
            "serial": "SN-%04d" % (1000 + i)}})
    b = Browser(nb.port)
    b.login("admin", "browser-pass-1")
    assert b.post("/admin/rollouts", {"csrf": b.csrf("/admin/rollouts"), "name": "spring",
                                      "feed": "default", "software": "2"}).status == 303
    for i, (execution, finished) in enumerate((("closed", "success"), ("closed", "failure"),
                                                ("proceeding", "none"))):
        cid = "gateway-%02d" % i
        links = json.loads(ddi(nb, "GET", BASE + cid, token="t%d" % i).body)["_links"]
        action = links["deploymentBase"]["href"].split("/deploymentBase/")[1].split("?")[0]
        feedback(nb, cid, action, "proceeding", details=["Downloading", "Downloaded 60%"],
                 token="t%d" % i)
        feedback(nb, cid, action, execution, finished, ["done" if finished != "none" else "..."],
                 token="t%d" % i)
