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


def inm_cases(etag):
    """If-None-Match values that name etag (RFC 9110 13.1.2: weak
    comparison for a GET) and values that do not (a malformed one never
    does)."""
    tag = etag[2:] if etag.startswith("W/") else etag
    match = [tag, "W/" + tag, '"zz", ' + tag, ' "zz" ,, W/%s , "yy"' % tag, "*", " * "]
    # (the malformed lists holding the tag, "w/" and the like, are the
    # matcher's unit test's: tests/unit/test_http.c)
    miss = ['"zz"', 'W/"zz"', tag[:-2] + '"', tag.strip('"'), '"zz", W/"yy"']
    return match, miss


def test_if_none_match_on_every_kind_of_answer(make_nb, tmpdir_shared):
    """ota's ETags (a JSON answer, a raw file streamed, a download): every
    value naming the tag is a 304 for GET and HEAD, with the ETag and no
    body or Content-Length (RFC 9110 15.4.5: a 304's would have to be the
    200's), nor a Content-Type; every other value the whole 200."""
    from test_ota import write_tree
    nb = make_nb({"NESTBOX_SERVER__XSENDFILE": "false"})
    nb.ctl("init")
    src = os.path.join(tmpdir_shared, "h")
    write_tree(src, {"main.py": b"print('h')\n"})
    nb.ctl("ota", "publish", "--repo", "acme/app", "--tag", "v1", src)
    nb.start()
    for path in ("/ota/api/repos/acme/app/releases/latest", "/ota/raw/acme/app/v1/main.py",
                 "/ota/download/acme/app/v1/manifest.json"):
        full = nb.get(path)
        etag = full.header("etag")
        assert full.status == 200 and etag, (path, full.status)
        match, miss = inm_cases(etag)
        for method in ("GET", "HEAD"):
            for value in match:
                r = nb.request(method, path, {"If-None-Match": value})
                assert r.status == 304, (path, method, value, r.status)
                assert r.body == b"" and r.header("etag") == etag, (path, value, r.headers)
                assert r.header("content-length") in (None, str(len(full.body))), \
                    (path, value, r.headers)
                assert r.header("content-type") is None, (path, value, r.headers)
            for value in miss:
                r = nb.request(method, path, {"If-None-Match": value})
                assert r.status == 200, (path, method, value, r.status)
                assert r.body == (full.body if method == "GET" else b"")
                assert r.header("content-length") == str(len(full.body))


def test_if_none_match_star_on_every_program(files_nb):
    """"*" names any current representation (RFC 9110 13.1.2): every
    program's GET that would be a 200 is a 304 without a body, keeping its
    Cache-Control; an error stays the error, and a POST is not a GET."""
    nb, sid, _ = files_nb
    star = {"If-None-Match": "*"}
    for path, headers in (("/list", {}), ("/update/rb/rb-pc-main", {}), ("/healthz", {}),
                          ("/metrics", {}), ("/admin/login", {}), ("/mip/index.json", {}),
                          ("/DEFAULT/controller/v1/r1", TOKEN),
                          (artifact_path(nb, sid), TOKEN)):
        assert nb.get(path, headers).status == 200, path
        r = nb.get(path, dict(headers, **star))
        assert r.status == 304 and r.body == b"", (path, r.status, r.headers)
        assert r.header("content-length") is None, (path, r.headers)
    assert nb.get("/admin/login", star).header("cache-control") == "no-store"
    for path in ("/update/rb/nope", "/admin/api/nope", "/mip/github/x"):
        r = nb.get(path)
        assert r.status >= 400 and nb.get(path, star).status == r.status, path
    assert nb.get("/DEFAULT/controller/v1/r1", star).status == 401
    assert nb.request("POST", "/log/echo", star, b"x").status == 200
