"""The import command make run's banner prints works as printed from any
directory (it named bin/nestboxctl alone, which outside the repository
found no store: "no store at <cwd>/var/nestbox.db")."""
import os
import re
import subprocess

import pytest

from conftest import make_raw_image, wait_until
from conftest import free_port
from test_install import run_sh, stop_run_sh


@pytest.mark.skipif(os.environ.get("NESTBOX_ASAN") == "1",
                    reason="scripts/run.sh runs the normal build (bin/, cgi-bin/)")
def test_banner_import_command_works_from_elsewhere(tmpdir_shared):
    proc, log = run_sh(tmpdir_shared, free_port(), "")
    try:
        wait_until(lambda: "Ctrl-C" in open(log.name).read() or proc.poll() is not None,
                   "the banner of run.sh")
        banner = open(log.name).read()
        lines = [l for l in banner.splitlines()
                 if l.lstrip().startswith("images:") and " image import " in l]
        assert len(lines) == 1, banner
        line = lines[0]
        raw = make_raw_image(os.path.join(tmpdir_shared, "my disk.img"), size=65536)
        cmd = line.split("images:", 1)[1].strip()
        cmd = re.sub(r"\s*\[[^]]*\]", "", cmd)
        cmd = cmd.replace("<file.img>", "'%s'" % raw).replace("--box B", "--box bb") \
                 .replace("--board X", "--board pc")
        elsewhere = os.path.join(tmpdir_shared, "elsewhere")
        os.makedirs(elsewhere)
        env = {k: v for k, v in os.environ.items()
               if not (k.startswith("NESTBOX_") or k == "IMAGE_PATH")}
        p = subprocess.run(["sh", "-c", cmd], cwd=elsewhere, env=env, capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 0 and p.stdout == "bb/bb-pc\n", (cmd, p.stdout, p.stderr)
        assert os.listdir(elsewhere) == []
        assert any(n.endswith(".img.zst")
                   for n in os.listdir(os.path.join(tmpdir_shared, "var", "images", "bb")))
    finally:
        stop_run_sh(proc, os.path.join(tmpdir_shared, "var"))
        log.close()
