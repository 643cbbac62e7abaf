"""Stand-ins for what the mip tests cannot reach here (the internet): an
upstream in the official index format and a GitHub-shaped raw-file host,
both served from memory on loopback, plus a client that follows mip's own
install algorithm with mip's request headers."""
import hashlib
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FakeHost:
    """path -> bytes, with ETag revalidation and a log of requests; moved:
    path -> the URL a 302 sends it to."""

    def __init__(self):
        self.files, self.log, self.tamper, self.moved = {}, [], {}, {}
        self.hold = None    # (part, Event): a path with part waits for the event
        host = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                host.log.append((self.path, self.headers.get("If-None-Match")))
                hold = host.hold
                if hold and hold[0] in self.path:
                    hold[1].wait(120)
                if self.path in host.moved:
                    self.send_response(302)
                    self.send_header("Location", host.moved[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = host.files.get(self.path.split("?")[0])
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"%s"' % hashlib.sha1(body).hexdigest()
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                body = host.tamper.get(self.path, body)
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def requests(self, part):
        return [p for p, _ in self.log if part in p]

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def sha(data):
    return hashlib.sha256(data).hexdigest()


def add_official_package(host, name, version, files, flavour="6", latest=True):
    """Lays out a package as micropython.org/pi/v2 does (deps inlined in hashes)."""
    hashes = []
    for path, data in files.items():
        h = sha(data)
        host.files["/file/%s/%s" % (h[:2], h[:8])] = data
        hashes.append([path, h[:8]])
    doc = json.dumps({"v": 1, "hashes": hashes, "version": version}).encode()
    host.files["/package/%s/%s/%s.json" % (flavour, name, version)] = doc
    if latest:
        host.files["/package/%s/%s/latest.json" % (flavour, name)] = doc


def http_get(url, host=None):
    """One request exactly as mip sends it: Host without port, Connection: close.
    host: another name for the same server (the board knows it by that name)."""
    u = urlsplit(url)
    path = u.path + ("?" + u.query if u.query else "")
    with socket.create_connection((u.hostname, u.port or 80), timeout=60) as s:
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (path, host or u.hostname)).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    assert "chunked" not in headers.get("transfer-encoding", ""), "mip cannot read chunked bodies"
    if status == 200:
        assert int(headers["content-length"]) == len(body), url
    return status, headers, body


class MipClient:
    """mip.install(): package JSON, then hashes from the index, urls, deps.
    relative=False is a mip older than micropython-lib PR 975, and mpremote:
    both open a "urls" entry as it stands, so a relative one fails."""

    def __init__(self, index, target, mpy="6", relative=True):
        self.index, self.target, self.mpy = index, target, mpy
        self.relative = relative
        self.fetched = []

    def cli(self, arg):
        """`micropython -m mip install ARG` and `mpremote mip install ARG`: both
        split the argument at "@" and pass the right half as the version,
        which install() drops for a URL (it only rewrites github:/gitlab:)."""
        version = None
        if "@" in arg:
            arg, version = arg.split("@")
        return self.install(arg, version)

    def install(self, package, version=None):
        if package.startswith(("github:", "gitlab:")):
            raise AssertionError("the board would fetch %s from the internet" % package)
        if package.startswith("http://"):
            if not package.endswith(".json"):
                package = package.rstrip("/") + "/package.json"
            url = package
        else:
            url = "%s/package/%s/%s/%s.json" % (self.index, self.mpy, package,
                                                  version or "latest")
        status, _, body = http_get(url)
        if status != 200:
            raise AssertionError("Package not found: %s (%d) %s" % (url, status, body[:200]))
        doc = json.loads(body)
        base = url.rpartition("/")[0]
        for path, h in doc.get("hashes", ()):
            self._file("%s/file/%s/%s" % (self.index, h[:2], h), path)
        for path, src in doc.get("urls", ()):
            if src.startswith(("github:", "gitlab:")):
                raise AssertionError("the board would fetch %s from the internet" % src)
            if not src.startswith(("http://", "https://")):
                if not self.relative:
                    raise AssertionError("File not found: %s (not a URL to this client)" % src)
                src = base + "/" + src
            self._file(src, path)
        for dep in doc.get("deps", ()):
            self.install(dep[0], dep[1] if len(dep) > 1 else None)
        return doc

    def _file(self, url, path):
        status, _, body = http_get(url)
        if status != 200:
            raise AssertionError("File not found: %s (%d)" % (url, status))
        self.fetched.append(url)
        dest = os.path.join(self.target, path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(body)
