"""make install lays out programs, data, config and the front-end snippets."""
import os
import subprocess

import pytest

from conftest import ROOT


@pytest.mark.skipif(os.environ.get("NESTBOX_ASAN") == "1",
                    reason="make install builds the normal programs, not the sanitizer ones")
def test_make_install_layout(tmpdir_shared):
    dest = os.path.join(tmpdir_shared, "dest")
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + dest, "PREFIX=/usr"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for p in ("usr/lib/nestbox/cgi-bin/list.fcgi", "usr/lib/nestbox/cgi-bin/update.fcgi",
              "usr/lib/nestbox/cgi-bin/log.fcgi", "usr/bin/nestboxctl",
              "etc/nestbox/nestbox.yaml.example", "etc/nestbox/lighttpd-nestbox.conf",
              "etc/nestbox/apache-example.conf"):
        assert os.path.exists(os.path.join(dest, p)), p
    assert os.access(os.path.join(dest, "usr/bin/nestboxctl"), os.X_OK)
    assert not os.path.exists(os.path.join(dest, "usr/lib/nestbox/cgi-bin/bench-zero.fcgi"))
    example = open(os.path.join(dest, "etc/nestbox/nestbox.yaml.example")).read()
    assert "  var_dir: /var/lib/nestbox\n" in example
    snippet = open(os.path.join(dest, "etc/nestbox/lighttpd-nestbox.conf")).read()
    assert '"/update" =>' in snippet and "x-sendfile" in snippet
    assert 'var.nestbox_cgibin = "/usr/lib/nestbox/cgi-bin"' in snippet
    # the snippet is a valid lighttpd configuration as installed
    conf = os.path.join(tmpdir_shared, "lighttpd.conf")
    with open(conf, "w") as f:
        f.write('server.document-root = "%s"\nserver.port = 8080\ninclude "%s"\n'
                % (tmpdir_shared, os.path.join(dest, "etc/nestbox/lighttpd-nestbox.conf")))
    r = subprocess.run(["lighttpd", "-tt", "-f", conf], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
