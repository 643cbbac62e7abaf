"""The upload APIs read what curl -F sends: a multipart form's "file" part
is the upload, never the form with its wrapping (an image stored with
its boundary lines, and a .sha256 over them, installed on a box as a
broken disk)."""
import glob
import hashlib
import json
import os
import subprocess

import pytest

from admin_client import running_with_admin
from conftest import make_raw_image


@pytest.fixture
def api(make_nb):
    """A running server and an admin API token's Authorization header."""
    nb, _, auth = running_with_admin(make_nb)
    return nb, "Authorization: " + auth["Authorization"]


def curl(nb, auth, method, path, *args):
    """The real client; returns (status, body)."""
    p = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-H", auth,
                        "-X", method, *args, "http://127.0.0.1:%d%s" % (nb.port, path)],
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    body, _, status = p.stdout.rpartition(b"\n")
    return int(status), body


def stored_image(nb, box):
    """The decompressed bytes of the box's one stored image."""
    (path,) = glob.glob(os.path.join(nb.images, box, "*.img.zst"))
    return subprocess.run(["zstdcat", path], capture_output=True, check=True).stdout


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_image_api_takes_the_file_of_a_curl_form(api, tmpdir_shared, method):
    nb, auth = api
    raw = make_raw_image(os.path.join(tmpdir_shared, "small.img"), size=65536)
    data = open(raw, "rb").read()
    status, body = curl(nb, auth, method, "/admin/api/images?box=mp&board=b&version=1",
                        "-F", "file=@" + raw)
    assert status == 201, body
    assert json.loads(body) == {"box": "mp", "image": "mp-b-1"}
    assert stored_image(nb, "mp") == data
    # the sum boxes check (sha256sum -c) is the stored file's
    (zst,) = glob.glob(os.path.join(nb.images, "mp", "*.img.zst"))
    status, body = curl(nb, auth, "GET", "/admin/api/images")
    (entry,) = json.loads(body)
    assert entry["sha256"] == hashlib.sha256(open(zst, "rb").read()).hexdigest()


def test_image_api_refuses_a_raw_body_typed_as_a_form(api):
    nb, auth = api
    status, body = curl(nb, auth, "PUT", "/admin/api/images?box=mp&board=b&version=1",
                        "-H", "Content-Type: multipart/form-data; boundary=x",
                        "--data-binary", "raw image bytes, no form")
    assert status == 400 and "error" in json.loads(body), body
    assert not glob.glob(os.path.join(nb.images, "mp", "*.img*"))
    # a form without a file part stores nothing either
    status, body = curl(nb, auth, "PUT", "/admin/api/images?box=mp&board=b&version=1",
                        "-F", "box=mp")
    assert status == 400 and json.loads(body)["error"] == "the form has no file", body
    assert not glob.glob(os.path.join(nb.images, "mp", "*.img*"))


def test_mip_api_takes_the_file_of_a_curl_form(api, tmpdir_shared):
    nb, auth = api
    src = os.path.join(tmpdir_shared, "single.py")
    with open(src, "wb") as f:
        f.write(b"S = 2\n")
    status, body = curl(nb, auth, "PUT",
                        "/admin/api/mip/packages?name=single&version=2&file=single.py",
                        "-F", "file=@" + src)
    assert status == 201, body
    doc = json.loads(nb.get("/mip/package/py/single/latest.json").body)
    ((name, h),) = doc["hashes"]
    assert name == "single.py" and h == hashlib.sha256(b"S = 2\n").hexdigest()[:8]
    assert nb.get("/mip/file/%s/%s" % (h[:2], h)).body == b"S = 2\n"


def test_software_api_takes_the_file_of_a_curl_form(api, tmpdir_shared):
    """The software API read forms already: it stays so (the same kind)."""
    from test_software import make_swu
    nb, auth = api
    swu = make_swu(os.path.join(tmpdir_shared, "sw"), "1.0")
    data = open(swu, "rb").read()
    status, body = curl(nb, auth, "PUT", "/admin/api/software", "-F", "file=@" + swu)
    assert status == 201, body
    with nb.db() as c:
        row = c.execute("SELECT name, size, sha256 FROM ddi_software").fetchone()
    assert row == ("image-1.0.swu", len(data), hashlib.sha256(data).hexdigest())
