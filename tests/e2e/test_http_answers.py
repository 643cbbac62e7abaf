"""What every program's answers carry through lighttpd: nosniff on every
kind of answer, and a 416 with Content-Range for a range past the end on
every program that sends files, on the X-Sendfile and the streamed path
(issue 11 §6 and §9)."""
import os

import pytest

from conftest import make_raw_image
from test_software import make_swu

TOKEN = {"Authorization": "TargetToken tok-r"}


@pytest.fixture(params=["true", "false"], ids=["xsendfile", "streamed"])
def files_nb(request, make_nb, tmpdir_shared):
    nb = make_nb({"NESTBOX_SERVER__XSENDFILE": request.param})
    nb.ctl("init")
    raw = make_raw_image(os.path.join(tmpdir_shared, "raw.img"), size=64 << 10)
    nb.import_image(raw, "rb", "pc", "main")
    swu = make_swu(os.path.join(tmpdir_shared, "swu"), "2.0")
    sid = nb.ctl("software", "add", swu).stdout.strip()
    nb.ctl("device", "add", "r1", "--token", "tok-r", "--mode", "assigned", "--assign", sid)
    nb.start()
    return nb, sid, open(swu, "rb").read()


def artifact_path(nb, sid):
    import json
    base = "/DEFAULT/controller/v1/r1"
    r = nb.get("%s/softwaremodules/%s/artifacts" % (base, sid), TOKEN)
    assert r.status == 200, r.body
    href = json.loads(r.body)[0]["_links"]["download-http"]["href"]
    return href[len(nb.url):]


def test_range_past_the_end_is_416_with_content_range(files_nb):
    nb, sid, swu = files_nb
    update = nb.get("/update/rb/rb-pc-main")
    for path, size, headers in (("/update/rb/rb-pc-main", len(update.body), {}),
                                (artifact_path(nb, sid), len(swu), TOKEN)):
        for rng in ("bytes=%d-" % size, "bytes=%d-%d" % (size, size + 9)):
            h = dict(headers, Range=rng)
            r = nb.get(path, h)
            assert r.status == 416, (path, rng, r.status)
            assert r.header("content-range") == "bytes */%d" % size, (path, r.headers)
        # a satisfiable range is still sent (by the front end or the program)
        r = nb.get(path, dict(headers, Range="bytes=%d-" % (size - 3)))
        assert r.status == 206 and len(r.body) == 3


def test_nosniff_on_every_program(files_nb):
    nb, sid, _ = files_nb
    for method, path, headers in (
            ("GET", "/list", {}), ("GET", "/update/rb/rb-pc-main", {}),
            ("HEAD", "/update/rb/rb-pc-main", {}), ("GET", "/update/rb/nope", {}),
            ("GET", "/healthz", {}), ("GET", "/metrics", {}), ("POST", "/log/echo", {}),
            ("GET", "/admin/login", {}), ("GET", "/admin/api/images", {}),
            ("GET", "/DEFAULT/controller/v1/r1", TOKEN),
            ("GET", "/DEFAULT/controller/v1/r1", {}),
            ("GET", artifact_path(nb, sid), TOKEN),
            ("GET", "/mip/index.json", {}), ("GET", "/mip/github/x", {})):
        r = nb.request(method, path, headers, b"x" if method == "POST" else None)
        assert r.header("x-content-type-options") == "nosniff", (method, path, r.status)
    # lighttpd's own answers once a request is routed: static files, its 404
    for path in ("/static/nestbox.css", "/static/nope.html"):
        r = nb.get(path)
        assert r.header("x-content-type-options") == "nosniff", (path, r.status)
