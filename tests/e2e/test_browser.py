"""A real browser (Debian's chromium, driven by playwright-core) logs in,
imports an image through the form and finds it in the list; screenshots
land in tests/e2e/out/."""
import os
import shutil
import subprocess

from conftest import ROOT, make_raw_image

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
    os.makedirs(OUT, exist_ok=True)
    p = subprocess.run(["node", SCRIPT, nb.url, "admin", "browser-pass-1", raw, OUT],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "browser test: ok" in p.stdout
    for name in ("01-login.png", "02-dashboard.png", "03-images.png", "05-users.png"):
        assert os.path.getsize(os.path.join(OUT, name)) > 1000
    # the browser's upload is a real build that boxes can fetch
    assert nb.get("/list").body == b"browserbox/browserbox-rpi4-master-7\n"
    r = nb.get("/update?name=browserbox&board=rpi4&version=7")
    assert r.status == 200 and len(r.body) > 10240
