"""Python distributions built by hand for the index tests (wheels pip can
install, sdists), the clients run as Debian ships them (python3 -m pip,
twine), and a twine-shaped multipart upload for the cases twine will not
send (a tampered digest)."""
import base64
import hashlib
import io
import os
import re
import subprocess
import tarfile
import zipfile

PIP = ["/usr/bin/python3", "-m", "pip"]
TWINE = "/usr/bin/twine"


def metadata(name, version, summary="a test package", requires_python=None, deps=()):
    lines = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version,
             "Summary: " + summary]
    if requires_python:
        lines.append("Requires-Python: " + requires_python)
    lines += ["Requires-Dist: " + d for d in deps]
    return ("\n".join(lines) + "\n\nThe long description.\n").encode()


def _record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(d, name, version, module=None, **meta):
    """A pure-Python wheel with a working RECORD; returns its path."""
    dist = re.sub(r"[-_.]+", "_", name)
    module = module or dist.lower()
    info = "%s-%s.dist-info" % (dist, version)
    files = {
        module + "/__init__.py": ("VERSION = %r\n" % version).encode(),
        info + "/METADATA": metadata(name, version, **meta),
        info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: nestbox-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join("%s,%s,%d\n" % (p, _record_hash(b), len(b)) for p, b in files.items())
    record += info + "/RECORD,,\n"
    files[info + "/RECORD"] = record.encode()
    path = os.path.join(d, "%s-%s-py3-none-any.whl" % (dist, version))
    with zipfile.ZipFile(path, "w") as z:
        for p, b in files.items():
            z.writestr(p, b)
    return path


def make_sdist(d, name, version, **meta):
    top = "%s-%s" % (name, version)
    path = os.path.join(d, top + ".tar.gz")
    with tarfile.open(path, "w:gz") as t:
        for p, b in ((top + "/PKG-INFO", metadata(name, version, **meta)),
                     (top + "/setup.py", b"from setuptools import setup\nsetup()\n")):
            ti = tarfile.TarInfo(p)
            ti.size = len(b)
            t.addfile(ti, io.BytesIO(b))
    return path


def client_env(home):
    """No user config, no cache, no network beyond what a test names."""
    e = dict(os.environ, HOME=home, PIP_CONFIG_FILE="/dev/null", PIP_NO_CACHE_DIR="1",
             PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1",
             PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    for k in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "TWINE_USERNAME", "TWINE_PASSWORD",
              "TWINE_REPOSITORY_URL", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        e.pop(k, None)
    e["NO_PROXY"] = e["no_proxy"] = "127.0.0.1,localhost"
    return e


def pip(home, *args):
    return subprocess.run(PIP + list(args), env=client_env(home), capture_output=True,
                          text=True, timeout=300)


def twine(home, url, user, password, *files, extra=()):
    return subprocess.run([TWINE, "upload", "--non-interactive", "--disable-progress-bar",
                           "--repository-url", url, "-u", user, "-p", password, *extra, *files],
                          env=client_env(home), capture_output=True, text=True, timeout=300)


def upload_form(path, fields=None, name=None, version=None, content_name="content"):
    """The body and headers twine would send for path (fields override)."""
    data = open(path, "rb").read()
    fn = os.path.basename(path)
    if fn.endswith(".whl"):
        fname, fver = fn.split("-")[:2]
    else:
        fname, fver = re.sub(r"\.(tar\.gz|zip)$", "", fn).rsplit("-", 1)
    form = [("name", name or fname), ("version", version or fver),
            ("filetype", "bdist_wheel" if fn.endswith(".whl") else "sdist"),
            ("pyversion", "py3" if fn.endswith(".whl") else "source"),
            ("metadata_version", "2.1"), ("summary", "a test package"),
            ("sha256_digest", hashlib.sha256(data).hexdigest()),
            ("md5_digest", hashlib.md5(data).hexdigest()),
            (":action", "file_upload"), ("protocol_version", "1")]
    fields = fields or {}
    form = [(k, fields.get(k, v)) for k, v in form]
    b = "----nestboxtestboundary"
    out = io.BytesIO()
    for k, v in form:
        out.write(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                   % (b, k, v)).encode())
    out.write(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
               "Content-Type: application/octet-stream\r\n\r\n" % (b, content_name, fn)).encode())
    out.write(data + ("\r\n--%s--\r\n" % b).encode())
    return out.getvalue(), {"Content-Type": "multipart/form-data; boundary=" + b}


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}
