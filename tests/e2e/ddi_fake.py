"""A minimal hawkBit DDI stand-in, used ONLY to prove the swupdate harness
(tests/e2e/swupdate_harness.py) against the real swupdate.  It is not a
model of nestbox's DDI server: one tenant, one device, one deployment.

What it does (see /work/shared/protocols/hawkbit-ddi.md for the wire facts):
- GET  /{tenant}/controller/v1/{id}: poll; links configData until the device
  sent its attributes, then deploymentBase while the one action is open.
- PUT  .../configData: records the attributes.
- GET  .../deploymentBase/{action}: the deployment (one chunk, one artifact,
  sha1/md5/sha256, size, download-http link).
- POST .../deploymentBase/{action}/feedback: records the feedback; a closed
  feedback closes the action (then 410 Gone for further feedback).
- GET/HEAD .../softwaremodules/{sm}/artifacts/{file}: the .swu, with Range.
- GET .../softwaremodules/{sm}/artifacts/{file}.MD5SUM.
Every request must carry `Authorization: TargetToken <token>` (else 401).
Every request is recorded in `requests` (method, path, query, status, body).
"""
import hashlib
import http.server
import json
import os
import re
import threading
import urllib.parse


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method, self.path, self.query = method, path, query
        self.headers, self.body = headers, body
        self.status = None

    def json(self):
        return json.loads(self.body.decode()) if self.body else None

    def short(self, base):
        """'GET poll', 'POST deploymentBase/1/feedback', ...: the path below base."""
        rest = self.path[len(base):].lstrip("/") if self.path.startswith(base) else self.path
        return "%s %s" % (self.method, rest or "poll")

    def __repr__(self):
        return "<%s %s -> %s>" % (self.method, self.path, self.status)


class FakeDDI:
    def __init__(self, swu_path, tenant="DEFAULT", controller_id="dev1", token="secret-token",
                 action_id=1, softwaremodule_id=3, version=None, sleep="00:00:01"):
        with open(swu_path, "rb") as f:
            self.artifact = f.read()
        self.artifact_name = os.path.basename(swu_path)
        self.tenant, self.controller_id, self.token = tenant, controller_id, token
        self.action_id, self.sm_id = str(action_id), softwaremodule_id
        self.version = version or "0"
        self.sleep = sleep
        self.base = "/%s/controller/v1/%s" % (tenant, controller_id)
        self.requests = []
        self.config_data = None
        self.feedback = []          # parsed JSON bodies of deploymentBase feedback
        self.action_open = True
        self.lock = threading.Condition()
        self.httpd = None
        self.thread = None

    # -- lifecycle ----------------------------------------------------------
    def start(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _handle(self):
                u = urllib.parse.urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                req = Request(self.command, u.path, u.query,
                              {k.lower(): v for k, v in self.headers.items()}, body)
                status, headers, payload = fake.dispatch(req)
                req.status = status
                with fake.lock:
                    fake.requests.append(req)
                    fake.lock.notify_all()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=10)
            self.httpd = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    # -- observations -------------------------------------------------------
    def sequence(self):
        """The requests so far, shortened ('GET poll', 'PUT configData', ...)."""
        with self.lock:
            return [r.short(self.base) for r in self.requests]

    def closed_feedback(self):
        """The 'closed' feedback bodies so far (normally zero or one)."""
        with self.lock:
            return [f for f in self.feedback
                    if f.get("status", {}).get("execution") == "closed"]

    # -- protocol -----------------------------------------------------------
    def _json(self, status, obj):
        return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()

    def _link(self, rel_path, etag=None):
        href = self.url + self.base + rel_path
        if etag:
            href += "?c=" + etag
        return {"href": href}

    def dispatch(self, req):
        auth = req.headers.get("authorization", "")
        if auth != "TargetToken " + self.token:
            return 401, {}, b""
        if not req.path.startswith(self.base):
            return 404, {}, b""
        rest = req.path[len(self.base):]
        etag = hashlib.sha1(("%s-%s" % (self.action_id, self.version)).encode()).hexdigest()[:12]

        if rest in ("", "/") and req.method == "GET":
            links = {}
            with self.lock:
                if self.config_data is None:
                    links["configData"] = self._link("/configData")
                if self.action_open:
                    links["deploymentBase"] = self._link("/deploymentBase/" + self.action_id, etag)
            return self._json(200, {"config": {"polling": {"sleep": self.sleep}}, "_links": links})

        if rest == "/configData" and req.method == "PUT":
            try:
                body = req.json()
            except ValueError:
                return 400, {}, b""
            if not isinstance(body, dict) or not body.get("data"):
                return 400, {}, b""
            with self.lock:
                self.config_data = dict(body["data"])
            return 200, {}, b""

        m = re.fullmatch(r"/deploymentBase/([^/]+)", rest)
        if m and req.method == "GET":
            if m.group(1) != self.action_id:
                return 404, {}, b""
            return self._json(200, self.deployment())

        m = re.fullmatch(r"/deploymentBase/([^/]+)/feedback", rest)
        if m and req.method == "POST":
            if m.group(1) != self.action_id:
                return 404, {}, b""
            try:
                body = req.json()
            except ValueError:
                return 400, {}, b""
            with self.lock:
                if not self.action_open:
                    return 410, {}, b""
                self.feedback.append(body)
                if body.get("status", {}).get("execution") == "closed":
                    self.action_open = False
            return 200, {}, b""

        m = re.fullmatch(r"/softwaremodules/(\d+)/artifacts/([^/]+)", rest)
        if m and req.method in ("GET", "HEAD") and int(m.group(1)) == self.sm_id:
            name = m.group(2)
            if name == self.artifact_name + ".MD5SUM":
                text = "%s  %s\n" % (hashlib.md5(self.artifact).hexdigest(), self.artifact_name)
                return 200, {"Content-Type": "text/plain"}, text.encode()
            if name != self.artifact_name:
                return 404, {}, b""
            return self._artifact(req)

        return 404, {}, b""

    def _artifact(self, req):
        data, total = self.artifact, len(self.artifact)
        hdrs = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes",
                "Content-Disposition": 'attachment;filename="%s"' % self.artifact_name}
        rng = req.headers.get("range")
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip()) if rng else None
        if not m or (not m.group(1) and not m.group(2)):
            hdrs["Content-Length"] = str(total)
            return 200, hdrs, data
        if m.group(1):
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else total - 1
        else:
            start, end = max(0, total - int(m.group(2))), total - 1
        if start >= total or end < start:
            return 416, {"Content-Range": "bytes */%d" % total}, b""
        end = min(end, total - 1)
        hdrs["Content-Range"] = "bytes %d-%d/%d" % (start, end, total)
        hdrs["Content-Length"] = str(end - start + 1)
        return 206, hdrs, data[start:end + 1]

    def deployment(self):
        a = self.artifact
        href = self.url + self.base + "/softwaremodules/%d/artifacts/%s" % (self.sm_id,
                                                                            self.artifact_name)
        return {
            "id": self.action_id,
            "deployment": {
                "download": "forced", "update": "forced",
                "chunks": [{
                    "part": "os", "version": self.version, "name": "harness-image",
                    "artifacts": [{
                        "filename": self.artifact_name,
                        "hashes": {"sha1": hashlib.sha1(a).hexdigest(),
                                   "md5": hashlib.md5(a).hexdigest(),
                                   "sha256": hashlib.sha256(a).hexdigest()},
                        "size": len(a),
                        "_links": {"download-http": {"href": href},
                                   "md5sum-http": {"href": href + ".MD5SUM"}},
                    }],
                }],
            },
            "actionHistory": {"status": "RUNNING", "messages": ["fake ddi"]},
        }
