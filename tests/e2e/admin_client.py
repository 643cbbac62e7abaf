"""A small browser-like client for the admin pages: cookies, CSRF, forms."""
import html.parser
import http.client
import uuid
from urllib.parse import urlencode


class Forms(html.parser.HTMLParser):
    """Collects hidden inputs per form action (enough to find CSRF tokens)."""

    def __init__(self):
        super().__init__()
        self.forms, self.cur = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.cur = {"action": a.get("action"), "fields": {}}
            self.forms.append(self.cur)
        elif tag == "input" and self.cur is not None and a.get("name"):
            self.cur["fields"][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.cur = None


def forms_of(body):
    p = Forms()
    p.feed(body.decode())
    return p.forms


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self.text = body.decode(errors="replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def headers_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Browser:
    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            resp = Resp(r.status, r.getheaders(), r.read())
        finally:
            c.close()
        for sc in resp.headers_all("Set-Cookie"):
            name, _, rest = sc.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in sc:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields, headers=None):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", path, urlencode(fields), h)

    def csrf(self, path="/admin/users"):
        for f in forms_of(self.get(path).body):
            if "csrf" in f["fields"]:
                return f["fields"]["csrf"]
        raise AssertionError("no CSRF token on " + path)

    def login(self, user, password, expect=303):
        page = self.get("/admin/login")
        fields = forms_of(page.body)[-1]["fields"]
        fields.update(username=user, password=password)
        r = self.post("/admin/login", fields)
        assert r.status == expect, (r.status, r.text)
        return r

    def upload(self, fields, filename, data, csrf_first=True, truncate=0, action="/admin/images",
               headers=None):
        boundary = "----nestbox" + uuid.uuid4().hex
        parts = []
        items = list(fields.items())
        if not csrf_first:
            items = [kv for kv in items if kv[0] != "csrf"]
        for k, v in items:
            parts.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                          % (boundary, k, v)).encode())
        parts.append(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n" % (boundary, filename)).encode()
                     + data + b"\r\n")
        if not csrf_first and "csrf" in fields:
            parts.append(("--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n"
                          % (boundary, fields["csrf"])).encode())
        body = b"".join(parts) + ("--%s--\r\n" % boundary).encode()
        if truncate:
            body = body[:-truncate]
            # the declared length matches what is sent: the body just ends early
        h = {"Content-Type": "multipart/form-data; boundary=" + boundary}
        h.update(headers or {})
        return self.request("POST", action, body, h)


def refusal(r):
    """The message of an admin page's refusal: drawn in the error page with
    the navigation (admin_fail), or a body's plain text."""
    if (r.header("Content-Type") or "").startswith("text/html"):
        assert "<nav" in r.text, r.text
        return html.unescape(r.text.split('<p class="error" role="alert">')[1].split("<")[0])
    return r.text.rstrip("\n")


def running_with_admin(make_nb, env=None):
    """A started server whose user admin (password admin-pass-1) is logged
    in: (nb, Browser), and an API token of admin's as a header dict."""
    nb = make_nb({"NESTBOX_ADMIN_PASSWORD": "admin-pass-1", **(env or {})})
    nb.ctl("init")
    nb.ctl("user", "first-admin")
    auth = {"Authorization": "Bearer " + nb.ctl("user", "token", "admin").stdout.strip()}
    nb.start()
    b = Browser(nb.port)
    b.login("admin", "admin-pass-1")
    return nb, b, auth
