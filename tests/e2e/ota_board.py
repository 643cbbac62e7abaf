"""A board running the MicroPython OTA updater, step by step as the
client's own code does it (protocols/ota-github.md): resolve the target
(latest release, tag -> commit with one level of annotated-tag
dereference, or a branch tip), compare with version.json, fetch the
manifest or the tree, download and verify every file (sha256/crc32/size in
manifest mode, the git blob sha1 of exactly `size` bytes in tree mode),
stage, swap, apply deletes, write version.json.  A failed run changes
nothing on the board.

Requests go out as micropython-lib `requests` sends them: HTTP/1.1,
`Host` without the port, `Connection: close`; a status >= 400 is an error,
a redirect or a chunked body is not followed (old urequests cannot), and
every answer must carry an exact Content-Length.
"""
import hashlib
import hmac
import http.client
import json
import os
import urllib.parse
import zlib


class OtaError(Exception):
    pass


class HttpError(OtaError):
    def __init__(self, status, url):
        super().__init__("HTTP %d for %s" % (status, url))
        self.status = status


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def path_ok(path, manifest_mode):
    """The client's path rules: refused paths fail the whole update."""
    if not path or path.startswith("/"):
        return False
    for seg in path.split("/"):
        if seg in ("", ".", ".."):
            return False
        if manifest_mode and seg.startswith("."):
            return False
    return True


def rule_match(path, rules):
    for r in rules:
        r = r.rstrip("/")
        if path == r or path.startswith(r + "/"):
            return True
    return False


class Board:
    def __init__(self, api, raw, owner, repo, workdir, channel="stable", branch="main",
                 token=None, allow=(), ignore=(), manifest_key=None, delete_patterns=()):
        self.api, self.raw = api.rstrip("/"), raw.rstrip("/")
        self.owner, self.repo, self.dir = owner, repo, workdir
        self.channel, self.branch, self.token = channel, branch, token
        self.allow, self.ignore = list(allow), list(ignore)
        self.manifest_key, self.delete_patterns = manifest_key, list(delete_patterns)
        self.requests = []          # every URL of the last run
        os.makedirs(workdir, exist_ok=True)

    # -- HTTP as the board's requests module speaks it ----------------------
    def get(self, url, accept):
        self.requests.append(url)
        u = urllib.parse.urlsplit(url)
        c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
        try:
            c.putrequest("GET", u.path + ("?" + u.query if u.query else ""), skip_host=True,
                         skip_accept_encoding=True)
            c.putheader("Host", u.hostname)          # no port, as micropython-lib sends it
            c.putheader("Connection", "close")
            c.putheader("Accept", accept)
            c.putheader("User-Agent", "ota-updater")
            if self.token:
                c.putheader("Authorization", "token " + self.token)
            c.endheaders()
            r = c.getresponse()
            body = r.read()
            headers = {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()
        if r.status >= 400:
            raise HttpError(r.status, url)
        if r.status != 200:
            raise OtaError("HTTP %d (no redirects followed) for %s" % (r.status, url))
        if "chunked" in headers.get("transfer-encoding", ""):
            raise OtaError("chunked answer for " + url)
        if int(headers.get("content-length", -1)) != len(body):
            raise OtaError("no exact Content-Length for " + url)
        return body, headers

    def get_json(self, url):
        return json.loads(self.get(url, "application/vnd.github+json")[0])

    def repo_api(self, rest):
        return "%s/repos/%s/%s/%s" % (self.api, self.owner, self.repo, rest)

    # -- version.json --------------------------------------------------------
    def version(self):
        try:
            with open(os.path.join(self.dir, "version.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def files(self):
        out = {}
        for d, dirs, fs in os.walk(self.dir):
            for f in fs:
                p = os.path.relpath(os.path.join(d, f), self.dir)
                if p != "version.json":
                    with open(os.path.join(d, f), "rb") as fh:
                        out[p] = fh.read()
        return out

    # -- the algorithm ------------------------------------------------------
    def deref(self, obj):
        if obj["type"] == "commit":
            return obj["sha"]
        return self.get_json(self.repo_api("git/tags/" + obj["sha"]))["object"]["sha"]

    def resolve(self):
        if self.channel == "stable":
            rel = self.get_json(self.repo_api("releases/latest"))
            tag = rel["tag_name"]
            asset = next((a for a in rel.get("assets", []) if a["name"] == "manifest.json"), None)
            ref = self.get_json(self.repo_api("git/ref/tags/" + tag))
            commit = self.deref(ref["object"])
            url = (asset.get("browser_download_url") or asset.get("url")) if asset else None
            return {"ref": tag, "raw_ref": tag, "commit": commit, "manifest_url": url}
        ref = self.get_json(self.repo_api("git/ref/heads/" + self.branch))
        obj = ref["object"]
        commit = self.deref(obj) if obj["type"] == "tag" else obj["sha"]
        return {"ref": self.branch, "raw_ref": commit, "commit": commit, "manifest_url": None}

    def wanted(self, path):
        if rule_match(path, self.ignore):
            return False
        return not self.allow or rule_match(path, self.allow)

    def raw_url(self, ref, path):
        return "%s/%s/%s/%s/%s" % (self.raw, self.owner, self.repo, ref,
                                   urllib.parse.quote(path))

    def check_signature(self, m):
        if not self.manifest_key:
            return
        sig = m.get("signature")
        if not sig:
            raise OtaError("manifest not signed")
        body = {k: v for k, v in m.items() if k != "signature"}
        data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        want = hmac.new(self.manifest_key.encode(), data, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            raise OtaError("bad manifest signature")

    def plan_manifest(self, t, ver):
        body, _ = self.get(t["manifest_url"], "application/octet-stream")
        m = json.loads(body)
        self.check_signature(m)
        version = m.get("version") or t["ref"]
        if ver.get("ref") == version and ver.get("commit") == t["commit"]:
            return None
        staged = {}
        for f in m["files"]:
            if not path_ok(f["path"], True):
                raise OtaError("refused path " + f["path"])
            if not self.wanted(f["path"]):
                continue
            data, _ = self.get(self.raw_url(t["raw_ref"], f["path"]), "application/octet-stream")
            if "size" in f and f["size"] != len(data):
                raise OtaError("size mismatch " + f["path"])
            if f.get("sha256"):
                if hashlib.sha256(data).hexdigest() != f["sha256"]:
                    raise OtaError("sha256 mismatch " + f["path"])
            elif "crc32" in f and zlib.crc32(data) != f["crc32"]:
                raise OtaError("crc32 mismatch " + f["path"])
            staged[f["path"]] = data
        for d in m.get("deletes", []):
            if not path_ok(d, True):
                raise OtaError("refused delete " + d)
        deletes = [d for d in m.get("deletes", []) if self.wanted(d)]
        return staged, deletes, version, m

    def plan_tree(self, t, ver):
        if ver.get("commit") == t["commit"]:
            return None
        tree = self.get_json(self.repo_api("git/trees/%s?recursive=1" % t["commit"]))
        staged = {}
        for e in tree["tree"]:
            if e["type"] != "blob" or e.get("size", 0) <= 0:
                continue
            if not path_ok(e["path"], False):
                raise OtaError("refused path " + e["path"])
            if not self.wanted(e["path"]):
                continue
            data, _ = self.get(self.raw_url(t["raw_ref"], e["path"]), "application/octet-stream")
            if len(data) != e["size"] or git_blob_sha1(data[:e["size"]]) != e["sha"]:
                raise OtaError("blob sha1 mismatch " + e["path"])
            staged[e["path"]] = data
        deletes = []
        if self.delete_patterns:
            for p in self.files():
                if p not in staged and rule_match(p, self.delete_patterns):
                    deletes.append(p)
        return staged, deletes, t["ref"], tree

    def run(self):
        """One update check.  Returns False when up to date, else the plan's
        last document (the manifest or the tree)."""
        self.requests = []
        ver = self.version()
        t = self.resolve()
        plan = self.plan_manifest(t, ver) if t["manifest_url"] else self.plan_tree(t, ver)
        if plan is None:
            return False
        staged, deletes, ref, doc = plan
        for p, data in staged.items():           # the swap: only after every check passed
            full = os.path.join(self.dir, p)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
        for d in deletes:
            full = os.path.join(self.dir, d)
            if os.path.isfile(full):
                os.remove(full)
        with open(os.path.join(self.dir, "version.json"), "w") as f:
            json.dump({"ref": ref, "commit": t["commit"]}, f)
        return doc
